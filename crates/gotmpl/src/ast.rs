//! The parse tree, with Go's `String()` forms (error messages quote nodes through them).

use std::fmt::{self, Display, Formatter, Write};
use std::sync::Arc;

/// One parsed template: its name, the name of the text it came from, and the text (shared by
/// every template a `{{define}}` in that text created) for line and column numbers.
#[derive(Debug)]
pub(crate) struct Tree {
    pub name: String,
    pub parse_name: String,
    pub text: Arc<str>,
    pub root: List,
    /// The deepest nesting its parse reached (an upper bound for this tree).
    pub nesting: usize,
}

/// Trees nested deeper than this are dropped on the big-stack worker: dropping nested boxes
/// recurses, and a caller's thread may have a small stack.
const DEEP_TREE: usize = 200;

impl Drop for Tree {
    fn drop(&mut self) {
        if self.nesting > DEEP_TREE {
            let root = std::mem::take(&mut self.root);
            let _ = crate::on_big_stack(move || drop(root));
        }
    }
}

impl Tree {
    /// Go's `IsEmptyTree`: nothing but white space and comments.
    pub fn is_empty(&self) -> bool {
        self.root.nodes.iter().all(|n| match n {
            Node::Text { text, .. } => text.trim().is_empty(),
            Node::Comment => true,
            _ => false,
        })
    }

    /// Go's `ErrorContext`: `NAME:LINE:COL` and the node's text (whole: Go 1.26, which Helm
    /// 4.2 is built with, no longer truncates it to 20 characters).
    pub fn error_context(&self, pos: usize, node: String) -> (String, String) {
        let text = self.text.get(..pos).unwrap_or(&self.text);
        let col = match text.rfind('\n') {
            None => pos,
            Some(nl) => pos - (nl + 1),
        };
        let line = 1 + text.matches('\n').count();
        (format!("{}:{}:{}", self.parse_name, line, col), node)
    }
}

#[derive(Debug, Default)]
pub(crate) struct List {
    pub nodes: Vec<Node>,
}

#[derive(Debug)]
pub(crate) enum Node {
    Text { text: String },
    Comment,
    Action { pipe: Pipe },
    If(Branch),
    With(Branch),
    Range(Branch),
    Template { pos: usize, name: String, pipe: Option<Pipe> },
    Break { pos: usize },
    Continue { pos: usize },
}

/// `if`, `with` and `range`: a pipeline, a body and an optional `else` body.
#[derive(Debug)]
pub(crate) struct Branch {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<String>,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

#[derive(Debug)]
pub(crate) struct Number {
    pub text: String,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub int: i64,
    pub float: f64,
}

/// An operand.
#[derive(Debug)]
pub(crate) enum Arg {
    Identifier { pos: usize, name: String },
    Dot { pos: usize },
    Nil { pos: usize },
    Bool { pos: usize, val: bool },
    Number { pos: usize, num: Box<Number> },
    String { pos: usize, quoted: String, text: String },
    Field { pos: usize, idents: Vec<String> },
    Variable { pos: usize, idents: Vec<String> },
    Chain { pos: usize, node: Box<Arg>, fields: Vec<String> },
    Pipe(Box<Pipe>),
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::String { pos, .. }
            | Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl Display for Arg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot { .. } => f.write_str("."),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { val, .. } => write!(f, "{val}"),
            Arg::Number { num, .. } => f.write_str(&num.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Field { idents, .. } => idents.iter().try_for_each(|i| write!(f, ".{i}")),
            Arg::Variable { idents, .. } => f.write_str(&idents.join(".")),
            Arg::Chain { node, fields, .. } => {
                if matches!(**node, Arg::Pipe(_)) {
                    write!(f, "({node})")?;
                } else {
                    write!(f, "{node}")?;
                }
                fields.iter().try_for_each(|i| write!(f, ".{i}"))
            }
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl Display for Command {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl Display for Pipe {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Display for List {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&render_list(self, false))
    }
}

impl Display for Node {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        render_node(&mut out, self, false);
        f.write_str(&out)
    }
}

/// Go's `ListNode.String`; `quote_text` renders text nodes quoted (as Go's parse tests do).
/// Comments are left out, as Go's parser drops them unless asked to keep them.
pub(crate) fn render_list(list: &List, quote_text: bool) -> String {
    let mut out = String::new();
    for n in &list.nodes {
        render_node(&mut out, n, quote_text);
    }
    out
}

fn render_node(out: &mut String, node: &Node, q: bool) {
    let branch = |out: &mut String, kw: &str, b: &Branch| {
        let _ = write!(out, "{{{{{kw} {}}}}}{}", b.pipe, render_list(&b.list, q));
        if let Some(e) = &b.else_list {
            let _ = write!(out, "{{{{else}}}}{}", render_list(e, q));
        }
        out.push_str("{{end}}");
    };
    match node {
        Node::Text { text } if q => out.push_str(&crate::fmt::quote(text)),
        Node::Text { text } => out.push_str(text),
        Node::Comment => {}
        Node::Action { pipe } => {
            let _ = write!(out, "{{{{{pipe}}}}}");
        }
        Node::If(b) => branch(out, "if", b),
        Node::With(b) => branch(out, "with", b),
        Node::Range(b) => branch(out, "range", b),
        Node::Template { name, pipe, .. } => {
            let name = crate::fmt::quote(name);
            let _ = match pipe {
                None => write!(out, "{{{{template {name}}}}}"),
                Some(p) => write!(out, "{{{{template {name} {p}}}}}"),
            };
        }
        Node::Break { .. } => out.push_str("{{break}}"),
        Node::Continue { .. } => out.push_str("{{continue}}"),
    }
}
