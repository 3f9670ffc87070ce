//! Evaluating commands, fields, function calls and arguments (Go's `evalCommand`,
//! `evalField`, `evalCall`, `evalArg`, `validateType`).

use crate::ast::{Arg, Command, Number};
use crate::exec::{At, R, State, Val};
use crate::funcs::{Exec, Func, Param};
use crate::value::Value;
use crate::{Error, MissingKey, Template};

impl<'t> State<'t> {
    pub fn eval_command(&mut self, dot: &Val, cmd: &'t Command, fin: Option<Val>) -> R<Val> {
        self.at = At::Cmd(cmd);
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.at = At::Arg(first);
                return self.eval_field_chain(dot, dot.clone(), first, idents, &cmd.args[1..], fin);
            }
            Arg::Chain { .. } => return self.eval_chain(dot, first, &cmd.args[1..], fin),
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, Some(cmd), &cmd.args[1..], fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(cmd, fin.is_some())?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { .. } => return self.eval_variable(dot, first, &cmd.args[1..], fin),
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(cmd, fin.is_some())?;
        match first {
            Arg::Bool { val, .. } => Ok(Val::plain(Value::Bool(*val))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => self.errorf("nil is not a command"),
            Arg::Number { num, .. } => self.ideal_constant(num).map(Val::plain),
            Arg::String { text, .. } => Ok(Val::plain(Value::str(text.as_str()))),
            _ => self.errorf(format!("can't evaluate command {}", crate::fmt::quote(&first.to_string()))),
        }
    }

    fn not_a_function(&self, cmd: &Command, has_final: bool) -> R<()> {
        if cmd.args.len() > 1 || has_final {
            return self.errorf(format!("can't give argument to non-function {}", cmd.args[0]));
        }
        Ok(())
    }

    /// Go's `idealConstant`: the literal's syntax decides between int and float64.
    pub fn ideal_constant(&self, n: &Number) -> R<Value> {
        let t = &n.text;
        let hex_int = t.len() > 2 && t.starts_with('0') && t[1..].starts_with(['x', 'X']) && !t.contains(['p', 'P']);
        if n.is_float && !hex_int && !t.starts_with('\'') && t.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(n.float));
        }
        if n.is_int {
            return Ok(Value::Int(n.int));
        }
        if n.is_uint {
            return self.errorf(format!("{t} overflows int"));
        }
        Ok(Value::Invalid)
    }

    fn eval_chain(&mut self, dot: &Val, chain: &'t Arg, args: &'t [Arg], fin: Option<Val>) -> R<Val> {
        self.at = At::Arg(chain);
        let Arg::Chain { node, fields, .. } = chain else { return Ok(dot.clone()) };
        if matches!(**node, Arg::Nil { .. }) {
            return self.errorf(format!("indirection through explicit nil in {chain}"));
        }
        let recv = self.eval_operand(dot, node)?;
        self.at = At::Arg(chain);
        self.eval_field_chain(dot, recv, chain, fields, args, fin)
    }

    fn eval_variable(&mut self, dot: &Val, var: &'t Arg, args: &'t [Arg], fin: Option<Val>) -> R<Val> {
        self.at = At::Arg(var);
        let Arg::Variable { idents, .. } = var else { return Ok(dot.clone()) };
        let value = self.var_value(&idents[0])?;
        if idents.len() == 1 {
            if !args.is_empty() || fin.is_some() {
                return self.errorf(format!("can't give argument to non-function {var}"));
            }
            return Ok(value);
        }
        self.eval_field_chain(dot, value, var, &idents[1..], args, fin)
    }

    /// `.X.Y.Z` on `recv`: the last name gets the command's arguments (a method call's).
    fn eval_field_chain(
        &mut self,
        dot: &Val,
        mut recv: Val,
        node: &'t Arg,
        idents: &[String],
        args: &'t [Arg],
        mut fin: Option<Val>,
    ) -> R<Val> {
        self.at = At::Arg(node);
        let n = idents.len();
        for (i, name) in idents.iter().enumerate() {
            let (a, f) = if i + 1 == n { (args, fin.take()) } else { (&[][..], None) };
            recv = self.eval_field(dot, name, node, a, f, recv)?;
        }
        Ok(recv)
    }

    fn eval_field(
        &mut self,
        dot: &Val,
        name: &str,
        node: &'t Arg,
        args: &'t [Arg],
        fin: Option<Val>,
        recv: Val,
    ) -> R<Val> {
        let typ = if recv.boxed { "interface {}".to_string() } else { recv.v.type_name() };
        let has_args = !args.is_empty() || fin.is_some();
        match &recv.v {
            Value::Invalid => {
                if self.missing_key() == MissingKey::Error {
                    return self.errorf(format!("nil data; no entry for key {}", crate::fmt::quote(name)));
                }
                Ok(Val::plain(Value::Invalid))
            }
            Value::Nil => self.errorf(format!("nil pointer evaluating interface {{}}.{name}")),
            Value::Map(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                match m.get(name) {
                    Some(v) => Ok(Val { v, boxed: true }),
                    None => match self.missing_key() {
                        MissingKey::Default => Ok(Val::plain(Value::Invalid)),
                        MissingKey::Zero => Ok(Val { v: Value::Nil, boxed: true }),
                        MissingKey::Error => {
                            self.errorf(format!("map has no entry for key {}", crate::fmt::quote(name)))
                        }
                    },
                }
            }
            Value::Opaque(o) => {
                if let Some(method) = o.method(name) {
                    return self.eval_call(dot, &method, node, None, name, args, fin);
                }
                match o.field(name) {
                    Some(_) if has_args => {
                        self.errorf(format!("{name} has arguments but cannot be invoked as function"))
                    }
                    Some(v) => Ok(Val::plain(v)),
                    None => self.errorf(format!("can't evaluate field {name} in type {typ}")),
                }
            }
            _ => self.errorf(format!("can't evaluate field {name} in type {typ}")),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Val,
        ident: &'t Arg,
        name: &str,
        cmd: Option<&'t Command>,
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> R<Val> {
        self.at = At::Arg(ident);
        let set: &'t Template = self.set;
        let Some(f) = set.funcs.get(name) else {
            return self.errorf(format!("{} is not a defined function", crate::fmt::quote(name)));
        };
        self.eval_call(dot, f, ident, cmd, name, args, fin)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        dot: &Val,
        f: &Func,
        ident: &'t Arg,
        cmd: Option<&'t Command>,
        name: &str,
        args: &'t [Arg],
        fin: Option<Val>,
    ) -> R<Val> {
        let num_in = args.len() + usize::from(fin.is_some());
        // Go's `call` gets the callee's text first (for "non-function .X of type T").
        let offset = usize::from(f.callee_name);
        let fixed = f.fixed.len() - offset;
        if f.variadic.is_some() {
            if num_in < fixed {
                return self
                    .errorf(format!("wrong number of args for {name}: want at least {fixed} got {}", args.len()));
            }
        } else if num_in != fixed {
            return self.errorf(format!("wrong number of args for {name}: want {fixed} got {num_in}"));
        }
        let param = |i: usize| f.fixed.get(i + offset).copied().or(f.variadic).unwrap_or(Param::Any);
        if let Some(or) = f.short_circuit {
            return self.and_or(dot, or, args, fin);
        }
        let mut argv = Vec::with_capacity(num_in + offset);
        if f.callee_name {
            let callee = match (args.first(), &fin) {
                (Some(a), _) => a.to_string(),
                (None, Some(v)) => crate::fmt::print_value(&v.v),
                (None, None) => String::new(),
            };
            argv.push(Value::str(callee));
        }
        for (i, a) in args.iter().enumerate() {
            argv.push(self.eval_arg(dot, param(i), a)?);
        }
        if let Some(v) = fin {
            argv.push(self.validate(v, param(args.len()))?);
        }
        let at = match cmd {
            Some(c) => At::Cmd(c),
            None => At::Arg(ident),
        };
        self.at = at;
        let result = (f.body)(self, &argv);
        self.at = at;
        match result {
            Ok(v) => {
                if let Value::String(s) = &v
                    && s.len() > self.set.options.max_output
                {
                    let e = Error::OutputLimit { name: self.tree.name.clone(), limit: self.set.options.max_output };
                    return Err(e);
                }
                Ok(Val::plain(v))
            }
            Err(msg) => match self.fatal.take() {
                Some(e) => Err(e),
                None => self.errorf(format!("error calling {name}: {msg}")),
            },
        }
    }

    /// `and` / `or`: evaluate left to right, stop at the deciding argument and return it.
    fn and_or(&mut self, dot: &Val, or: bool, args: &'t [Arg], fin: Option<Val>) -> R<Val> {
        let mut v = Value::Invalid;
        for a in args {
            v = self.eval_arg(dot, Param::Value, a)?;
            if v.truth() == or {
                return Ok(Val::plain(v));
            }
        }
        if let Some(f) = fin {
            v = self.validate(f, Param::Value)?;
        }
        Ok(Val::plain(v))
    }

    /// An operand evaluated without conversion (the receiver of a chain).
    fn eval_operand(&mut self, dot: &Val, a: &'t Arg) -> R<Val> {
        self.at = At::Arg(a);
        match a {
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Field { idents, .. } => self.eval_field_chain(dot, dot.clone(), a, idents, &[], None),
            Arg::Variable { .. } => self.eval_variable(dot, a, &[], None),
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Identifier { name, .. } => self.eval_function(dot, a, name, None, &[], None),
            Arg::Chain { .. } => self.eval_chain(dot, a, &[], None),
            Arg::Nil { .. } => self.errorf("nil is not a command"),
            Arg::Bool { val, .. } => Ok(Val::plain(Value::Bool(*val))),
            Arg::Number { num, .. } => self.ideal_constant(num).map(Val::plain),
            Arg::String { text, .. } => Ok(Val::plain(Value::str(text.as_str()))),
        }
    }

    /// Go's `evalArg`: an argument converted to the parameter's type.
    fn eval_arg(&mut self, dot: &Val, param: Param, a: &'t Arg) -> R<Value> {
        self.at = At::Arg(a);
        match a {
            Arg::Nil { .. } => {
                if param == Param::Value {
                    return Ok(Value::Invalid);
                }
                if param.nilable() {
                    return Ok(Value::Nil);
                }
                return self.errorf(format!("cannot assign nil to {}", param.go_type()));
            }
            Arg::Dot { .. }
            | Arg::Field { .. }
            | Arg::Variable { .. }
            | Arg::Pipe(_)
            | Arg::Identifier { .. }
            | Arg::Chain { .. } => {
                let v = self.eval_operand(dot, a)?;
                self.at = At::Arg(a);
                return self.validate(v, param);
            }
            _ => {}
        }
        match (param, a) {
            (Param::Any | Param::Value, _) => Ok(self.eval_operand(dot, a)?.v),
            (Param::Bool, Arg::Bool { val, .. }) => Ok(Value::Bool(*val)),
            (Param::Bool, _) => self.errorf(format!("expected bool; found {a}")),
            (Param::String, Arg::String { text, .. }) => Ok(Value::str(text.as_str())),
            (Param::String, _) => self.errorf(format!("expected string; found {a}")),
            (Param::Int, Arg::Number { num, .. }) if num.is_int => Ok(Value::Int(num.int)),
            (Param::Int, _) => self.errorf(format!("expected integer; found {a}")),
            (Param::Float, Arg::Number { num, .. }) if num.is_float => Ok(Value::Float(num.float)),
            (Param::Float, _) => self.errorf(format!("expected float; found {a}")),
            (Param::List | Param::Map, _) => {
                self.errorf(format!("can't handle {a} for arg of type {}", param.go_type()))
            }
        }
    }

    /// Go's `validateType`: the value must be assignable to the parameter.
    fn validate(&self, v: Val, param: Param) -> R<Value> {
        if v.v == Value::Invalid {
            if param == Param::Value {
                return Ok(Value::Invalid);
            }
            if param.nilable() {
                return Ok(Value::Nil);
            }
            return self.errorf(format!("invalid value; expected {}", param.go_type()));
        }
        let ok = matches!(
            (param, &v.v),
            (Param::Any | Param::Value, _)
                | (Param::String, Value::String(_))
                | (Param::Int, Value::Int(_))
                | (Param::Float, Value::Float(_))
                | (Param::Bool, Value::Bool(_))
                | (Param::List, Value::List(_))
                | (Param::Map, Value::Map(_))
        );
        if ok {
            return Ok(v.v);
        }
        let got = if v.v == Value::Nil { "interface {}".to_string() } else { v.v.type_name() };
        self.errorf(format!("wrong type for value; expected {}; got {got}", param.go_type()))
    }
}

impl Exec for State<'_> {
    fn name(&self) -> &str {
        &self.tree.name
    }

    fn template(&self) -> &Template {
        self.set
    }

    fn execute(&mut self, name: &str, data: &Value) -> Result<String, Error> {
        let out = self.nested(name, data);
        if let Err(e @ (Error::StepLimit { .. } | Error::OutputLimit { .. })) = &out {
            self.fatal = Some(e.clone());
        }
        out
    }

    fn execute_in(&mut self, set: &Template, name: &str, data: &Value) -> Result<String, Error> {
        let Some(tree) = set.trees.get(name) else {
            return Err(Error::NoTemplate { name: name.to_string(), set: set.name.clone() });
        };
        if self.depth >= set.options.max_depth {
            return self.errorf("exceeded maximum template depth (100000)");
        }
        let mut st = State::new(set, tree, data.clone(), self.depth + 1, self.steps);
        st.nesting = self.nesting;
        let res = st.walk_list(&st.vars[0].1.clone(), &tree.root);
        self.steps = st.steps;
        if let Err(e @ (Error::StepLimit { .. } | Error::OutputLimit { .. })) = &res {
            self.fatal = Some(e.clone());
        }
        res.map(|_| st.out)
    }
}
