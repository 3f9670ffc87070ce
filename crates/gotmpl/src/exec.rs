//! The executor: Go's `exec.go` walk over the parse tree (printing, `if`/`with`/`range`,
//! template calls, variables) with its error format
//! `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.

use crate::ast::{Arg, Branch, Command, List, Node, Pipe, Tree};
use crate::error::Error;
use crate::value::Value;
use crate::{MissingKey, Template};

pub(crate) type R<T> = Result<T, Error>;

/// A value with whether it was read through an interface (a map entry, a list element):
/// Go names such receivers `interface {}` in errors.
#[derive(Debug, Clone)]
pub(crate) struct Val {
    pub v: Value,
    pub boxed: bool,
}

impl Val {
    pub fn plain(v: Value) -> Val {
        Val { v, boxed: false }
    }
}

/// The node errors point at.
#[derive(Clone, Copy)]
pub(crate) enum At<'t> {
    None,
    Node(&'t Node),
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Arg(&'t Arg),
}

/// What a walk tells its enclosing `range`.
#[derive(PartialEq, Eq)]
pub(crate) enum Flow {
    Normal,
    Break,
    Continue,
}

pub(crate) struct State<'t> {
    pub set: &'t Template,
    pub tree: &'t Tree,
    pub out: String,
    pub vars: Vec<(String, Val)>,
    pub depth: usize,
    pub at: At<'t>,
    pub steps: u64,
    /// A limit error raised inside a function's nested execution: it wins over the
    /// function's own error text.
    pub fatal: Option<Error>,
    /// Nested walks (control structures and template calls) on the stack right now.
    pub nesting: usize,
}

/// Nested walks allowed at once: control structures nested inside recursive template calls
/// multiply, and this bound keeps the worker's stack safe whatever the product.
const MAX_NESTING: usize = 50_000;

impl<'t> State<'t> {
    pub fn new(set: &'t Template, tree: &'t Tree, data: Value, depth: usize, steps: u64) -> State<'t> {
        let data = if data.is_nil() { Value::Invalid } else { data };
        State {
            set,
            tree,
            out: String::new(),
            vars: vec![("$".into(), Val::plain(data))],
            depth,
            at: At::None,
            steps,
            fatal: None,
            nesting: 0,
        }
    }

    pub fn errorf<T>(&self, msg: impl std::fmt::Display) -> R<T> {
        let name = &self.tree.name;
        let (pos, node) = match self.at {
            At::None => {
                return Err(Error::Execute { name: name.clone(), message: format!("template: {name}: {msg}") });
            }
            At::Node(n) => (node_pos(n), n.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Cmd(c) => (c.pos, c.to_string()),
            At::Arg(a) => (a.pos(), a.to_string()),
        };
        let (location, context) = self.tree.error_context(pos, node);
        let message = format!("template: {location}: executing {} at <{context}>: {msg}", crate::fmt::quote(name));
        Err(Error::Execute { name: name.clone(), message })
    }

    pub fn step(&mut self) -> R<()> {
        self.steps += 1;
        let limit = self.set.options.max_steps;
        if self.steps > limit {
            let e = Error::StepLimit { name: self.tree.name.clone(), limit };
            self.fatal = Some(e.clone());
            return Err(e);
        }
        Ok(())
    }

    pub fn write(&mut self, s: &str) -> R<()> {
        let limit = self.set.options.max_output;
        if self.out.len() + s.len() > limit {
            let e = Error::OutputLimit { name: self.tree.name.clone(), limit };
            self.fatal = Some(e.clone());
            return Err(e);
        }
        self.out.push_str(s);
        Ok(())
    }

    pub fn missing_key(&self) -> MissingKey {
        self.set.options.missing_key
    }

    pub fn var_value(&self, name: &str) -> R<Val> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    fn set_var(&mut self, name: &str, v: Val) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    /// Go's `evalPipeline`: runs the commands, each feeding the next, then declares or
    /// assigns the variables.
    pub fn eval_pipeline(&mut self, dot: &Val, pipe: &'t Pipe) -> R<Val> {
        self.at = At::Pipe(pipe);
        let mut value: Option<Val> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            // A value read through interface{} is dug out: a nil becomes "no value".
            value = Some(Val::plain(if v.v == Value::Nil { Value::Invalid } else { v.v }));
        }
        let value = value.unwrap_or(Val::plain(Value::Invalid));
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    pub fn walk_list(&mut self, dot: &Val, list: &'t List) -> R<Flow> {
        for node in &list.nodes {
            let flow = self.walk(dot, node)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Val, node: &'t Node) -> R<Flow> {
        self.step()?;
        self.at = At::Node(node);
        if self.nesting >= MAX_NESTING {
            return self.errorf("exceeded maximum template depth (100000)");
        }
        self.nesting += 1;
        let flow = self.walk_node(dot, node);
        self.nesting -= 1;
        flow
    }

    fn walk_node(&mut self, dot: &Val, node: &'t Node) -> R<Flow> {
        match node {
            Node::Text { text } => self.write(text)?,
            Node::Comment => {}
            Node::Action { pipe } => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at = At::Node(node);
                    self.write(&crate::fmt::print_value(&v.v))?;
                }
            }
            Node::If(b) => return self.walk_if_or_with(false, dot, b),
            Node::With(b) => return self.walk_if_or_with(true, dot, b),
            Node::Range(b) => return self.walk_range(dot, b),
            Node::Template { name, pipe, .. } => self.walk_template(dot, node, name, pipe.as_ref())?,
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &Val, b: &'t Branch) -> R<Flow> {
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let flow = if val.v.truth() {
            if with { self.walk_list(&val, &b.list)? } else { self.walk_list(dot, &b.list)? }
        } else if let Some(e) = &b.else_list {
            self.walk_list(dot, e)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_range(&mut self, dot: &Val, r: &'t Branch) -> R<Flow> {
        let outer = self.vars.len();
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let mark = self.vars.len();
        let entries = match &val.v {
            Value::Opaque(o) => o.entries(),
            _ => None,
        };
        let listed = match &val.v {
            Value::Opaque(o) => o.elements(),
            _ => None,
        };
        let items: Vec<(Val, Val)> = match listed.as_ref().unwrap_or(&val.v) {
            // A map with non-string keys (an Opaque's entries): each key bound as a value.
            _ if entries.is_some() => {
                entries.into_iter().flatten().map(|(k, e)| (Val::plain(k), Val { v: e, boxed: true })).collect()
            }
            Value::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, e)| (Val::plain(Value::Int(i as i64)), Val { v: e.clone(), boxed: true }))
                .collect(),
            Value::Map(m) => {
                m.entries().into_iter().map(|(k, e)| (Val::plain(Value::str(k)), Val { v: e, boxed: true })).collect()
            }
            Value::Int(n) => {
                if r.pipe.decl.len() > 1 {
                    return self.errorf(format!("can't use {n} to iterate over more than one variable"));
                }
                return self.range_int(dot, r, *n, mark, outer);
            }
            Value::Invalid | Value::Nil => Vec::new(),
            v => {
                return self.errorf(format!("range can't iterate over {}", crate::fmt::print_value(v)));
            }
        };
        let ran = !items.is_empty();
        for (index, elem) in items {
            if self.iteration(r, index, elem, mark)? == Flow::Break {
                break;
            }
        }
        if !ran && let Some(e) = &r.else_list {
            self.walk_list(dot, e)?;
        }
        self.vars.truncate(outer);
        Ok(Flow::Normal)
    }

    fn range_int(&mut self, dot: &Val, r: &'t Branch, n: i64, mark: usize, outer: usize) -> R<Flow> {
        for i in 0..n.max(0) {
            let v = Val::plain(Value::Int(i));
            if self.iteration(r, v.clone(), v, mark)? == Flow::Break {
                break;
            }
        }
        if n <= 0
            && let Some(e) = &r.else_list
        {
            self.walk_list(dot, e)?;
        }
        self.vars.truncate(outer);
        Ok(Flow::Normal)
    }

    fn iteration(&mut self, r: &'t Branch, index: Val, elem: Val, mark: usize) -> R<Flow> {
        self.step()?;
        let decl = &r.pipe.decl;
        if r.pipe.is_assign {
            match decl.len() {
                0 => {}
                1 => self.set_var(&decl[0], elem.clone())?,
                _ => {
                    self.set_var(&decl[0], index)?;
                    self.set_var(&decl[1], elem.clone())?;
                }
            }
        } else {
            let n = self.vars.len();
            if !decl.is_empty() {
                self.vars[n - 1].1 = elem.clone();
            }
            if decl.len() > 1 {
                self.vars[n - 2].1 = index;
            }
        }
        let flow = self.walk_list(&elem, &r.list)?;
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_template(&mut self, dot: &Val, node: &'t Node, name: &str, pipe: Option<&'t Pipe>) -> R<()> {
        self.at = At::Node(node);
        let Some(tree) = self.set.trees.get(name) else {
            return self.errorf(format!("template {} not defined", crate::fmt::quote(name)));
        };
        if self.depth >= self.set.options.max_depth {
            return self.errorf("exceeded maximum template depth (100000)");
        }
        let dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Val::plain(Value::Invalid),
        };
        let saved_tree = std::mem::replace(&mut self.tree, tree);
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".into(), dot.clone())]);
        self.depth += 1;
        let out = self.walk_list(&dot, &tree.root);
        self.depth -= 1;
        self.tree = saved_tree;
        self.vars = saved_vars;
        out.map(|_| ())
    }

    /// Runs a whole template with `data` into a fresh output buffer (for [`crate::Exec`]).
    pub fn nested(&mut self, name: &str, data: &Value) -> R<String> {
        let Some(tree) = self.set.trees.get(name) else {
            return Err(Error::NoTemplate { name: name.to_string(), set: self.set.name.clone() });
        };
        if self.depth >= self.set.options.max_depth {
            return self.errorf("exceeded maximum template depth (100000)");
        }
        let data = if data.is_nil() { Value::Invalid } else { data.clone() };
        let dot = Val::plain(data);
        let saved_out = std::mem::take(&mut self.out);
        let saved_tree = std::mem::replace(&mut self.tree, tree);
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".into(), dot.clone())]);
        let saved_at = std::mem::replace(&mut self.at, At::None);
        self.depth += 1;
        let res = self.walk_list(&dot, &tree.root);
        self.depth -= 1;
        self.tree = saved_tree;
        self.vars = saved_vars;
        self.at = saved_at;
        let out = std::mem::replace(&mut self.out, saved_out);
        res.map(|_| out)
    }
}

fn node_pos(n: &Node) -> usize {
    match n {
        Node::Action { pipe } => pipe.pos,
        Node::If(b) | Node::With(b) | Node::Range(b) => b.pos,
        Node::Template { pos, .. } | Node::Break { pos } | Node::Continue { pos } => *pos,
        Node::Text { .. } | Node::Comment => 0,
    }
}
