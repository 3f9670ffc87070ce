//! The function registry and Go's builtins (`funcs.go`). A function declares its parameters
//! (so the executor converts and checks arguments as Go's reflection-based call does) and
//! gets an [`Exec`] handle on the running execution (what Helm's `include` and `tpl` need).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::value::Value;
use crate::{Template, compare, escape};

/// What a function returns: a value, or an error message (the executor reports it as
/// `error calling NAME: MESSAGE`).
pub type FuncResult = Result<Value, String>;

/// The running execution, as functions see it.
pub trait Exec {
    /// The name of the template being executed.
    fn name(&self) -> &str;
    /// The template set being executed (its templates, functions and options).
    fn template(&self) -> &Template;
    /// Executes the named template of the running set with `data` and returns its output
    /// (Helm's `include`). Shares this execution's depth, step and output limits.
    fn execute(&mut self, name: &str, data: &Value) -> Result<String, Error>;
    /// Executes the named template of another set (e.g. a clone of [`template`](Self::template)
    /// with more text parsed into it: Helm's `tpl`), sharing this execution's limits.
    fn execute_in(&mut self, set: &Template, name: &str, data: &Value) -> Result<String, Error>;
}

/// A parameter's Go type, which decides how arguments are converted and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface{}`: anything; no value arrives as [`Value::Nil`].
    Any,
    /// Go's `reflect.Value` (the builtins' parameters): anything, and no value arrives as
    /// [`Value::Invalid`] (so `len` can tell a missing key from a nil one, as Go does).
    Value,
    /// `string`: a string literal or a string value.
    String,
    /// `int`: an integer literal (or a float literal with an integral value) or an int value.
    Int,
    /// `float64`: any number literal or a float value (an int *value* is refused, as in Go).
    Float,
    /// `bool`.
    Bool,
    /// `[]interface{}` (nil allowed).
    List,
    /// `map[string]interface{}` (nil allowed).
    Map,
}

impl Param {
    /// The Go type name in error messages.
    pub fn go_type(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::Value => "reflect.Value",
            Param::String => "string",
            Param::Int => "int",
            Param::Float => "float64",
            Param::Bool => "bool",
            Param::List => "[]interface {}",
            Param::Map => "map[string]interface {}",
        }
    }

    /// Whether an untyped nil can be passed (Go's `canBeNil`).
    pub fn nilable(self) -> bool {
        matches!(self, Param::Any | Param::Value | Param::List | Param::Map)
    }
}

type Body = dyn Fn(&mut dyn Exec, &[Value]) -> FuncResult + Send + Sync;

/// A template function: its parameters and its body.
#[derive(Clone)]
pub struct Func {
    pub(crate) fixed: Vec<Param>,
    pub(crate) variadic: Option<Param>,
    pub(crate) body: Arc<Body>,
    /// `and`/`or` short-circuit in the executor.
    pub(crate) short_circuit: Option<bool>,
    /// The builtin `call`: the executor passes the callee's text first.
    pub(crate) callee_name: bool,
}

impl fmt::Debug for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Func").field("fixed", &self.fixed).field("variadic", &self.variadic).finish_non_exhaustive()
    }
}

impl Func {
    /// A function with `fixed` parameters and, if `variadic` is set, any number of further
    /// arguments of that type.
    pub fn new(
        fixed: &[Param],
        variadic: Option<Param>,
        body: impl Fn(&mut dyn Exec, &[Value]) -> FuncResult + Send + Sync + 'static,
    ) -> Func {
        Func { fixed: fixed.to_vec(), variadic, body: Arc::new(body), short_circuit: None, callee_name: false }
    }

    /// A function of `fixed` parameters that does not need the execution handle.
    pub fn pure(fixed: &[Param], body: impl Fn(&[Value]) -> FuncResult + Send + Sync + 'static) -> Func {
        Func::new(fixed, None, move |_, a| body(a))
    }

    /// A variadic function (`fixed` parameters, then any number of `rest`) without the handle.
    pub fn variadic(
        fixed: &[Param],
        rest: Param,
        body: impl Fn(&[Value]) -> FuncResult + Send + Sync + 'static,
    ) -> Func {
        Func::new(fixed, Some(rest), move |_, a| body(a))
    }
}

/// Functions by name. [`FuncMap::builtins`] holds Go's; later crates add Sprig and Helm's.
#[derive(Debug, Clone, Default)]
pub struct FuncMap(BTreeMap<String, Func>);

impl FuncMap {
    /// An empty map.
    pub fn new() -> FuncMap {
        FuncMap::default()
    }

    /// Adds or replaces a function.
    pub fn insert(&mut self, name: impl Into<String>, f: Func) -> &mut Self {
        self.0.insert(name.into(), f);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Func> {
        self.0.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Adds every function of `other`, replacing same-named ones.
    pub fn extend(&mut self, other: &FuncMap) {
        for (k, v) in &other.0 {
            self.0.insert(k.clone(), v.clone());
        }
    }

    /// Go's builtin functions. `call` exists (so templates parse) but refuses every call:
    /// template values hold no Go functions.
    pub fn builtins() -> FuncMap {
        use Param::{Any, String as Str, Value as V};
        let mut m = FuncMap::new();
        let mut and =
            Func::variadic(&[V], V, |a| Ok(a.iter().find(|v| !v.truth()).or(a.last()).cloned().unwrap_or_default()));
        and.short_circuit = Some(false);
        let mut or =
            Func::variadic(&[V], V, |a| Ok(a.iter().find(|v| v.truth()).or(a.last()).cloned().unwrap_or_default()));
        or.short_circuit = Some(true);
        m.insert("and", and).insert("or", or);
        m.insert("not", Func::pure(&[V], |a| Ok(Value::Bool(!a[0].truth()))));
        m.insert("len", Func::pure(&[V], |a| length(&a[0])));
        m.insert("index", Func::variadic(&[V], V, |a| index(&a[0], &a[1..])));
        m.insert("slice", Func::variadic(&[V], V, |a| slice(&a[0], &a[1..])));
        m.insert("print", Func::variadic(&[], Any, |a| Ok(Value::str(crate::fmt::sprint(a)))));
        m.insert("println", Func::variadic(&[], Any, |a| Ok(Value::str(crate::fmt::sprintln(a)))));
        m.insert(
            "printf",
            Func::variadic(&[Str], Any, |a| Ok(Value::str(crate::fmt::sprintf(a[0].as_str().unwrap_or(""), &a[1..])))),
        );
        m.insert("html", Func::variadic(&[], Any, |a| Ok(Value::str(escape::html(&eval_args(a))))));
        m.insert("js", Func::variadic(&[], Any, |a| Ok(Value::str(escape::js(&eval_args(a))))));
        m.insert("urlquery", Func::variadic(&[], Any, |a| Ok(Value::str(escape::query(&eval_args(a))))));
        m.insert("eq", Func::variadic(&[V], V, |a| compare::eq(&a[0], &a[1..]).map(Value::Bool)));
        m.insert("ne", Func::pure(&[V, V], |a| compare::eq(&a[0], &a[1..2]).map(|b| Value::Bool(!b))));
        m.insert("lt", Func::pure(&[V, V], |a| compare::lt(&a[0], &a[1]).map(Value::Bool)));
        m.insert("le", Func::pure(&[V, V], |a| compare::le(&a[0], &a[1]).map(Value::Bool)));
        m.insert("gt", Func::pure(&[V, V], |a| compare::le(&a[0], &a[1]).map(|b| Value::Bool(!b))));
        m.insert("ge", Func::pure(&[V, V], |a| compare::lt(&a[0], &a[1]).map(|b| Value::Bool(!b))));
        let mut call = Func::variadic(&[Str, V], V, |a| match &a[1] {
            v if v.is_nil() => Err("call of nil".into()),
            v => Err(format!("non-function {} of type {}", a[0].as_str().unwrap_or(""), v.type_name())),
        });
        call.callee_name = true;
        m.insert("call", call);
        m
    }
}

/// Go's `evalArgs`: a lone string as is, otherwise `fmt.Sprint` of the printable values
/// (where nil is the string `<no value>`).
fn eval_args(args: &[Value]) -> String {
    match args {
        [Value::String(s)] => s.to_string(),
        _ => {
            let printable: Vec<Value> =
                args.iter().map(|a| if a.is_nil() { Value::str("<no value>") } else { a.clone() }).collect();
            crate::fmt::sprint(&printable)
        }
    }
}

fn length(v: &Value) -> FuncResult {
    if let Value::Opaque(o) = v
        && let Some(inner) = o.elements()
    {
        return length(&inner);
    }
    let n = match v {
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        Value::Invalid => return Err("reflect: call of reflect.Value.Type on zero Value".into()),
        Value::Nil => return Err("len of nil pointer".into()),
        v => return Err(format!("len of type {}", v.type_name())),
    };
    Ok(Value::Int(n as i64))
}

/// Go's `indexArg`: an integer index within `0..=cap`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, String> {
    let x = match index {
        Value::Int(i) => *i,
        Value::Invalid | Value::Nil => return Err("cannot index slice/array with nil".into()),
        v => return Err(format!("cannot index slice/array with type {}", v.type_name())),
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &Value, indexes: &[Value]) -> FuncResult {
    if item.is_nil() {
        return Err("index of untyped nil".into());
    }
    let mut item = item.clone();
    for ix in indexes {
        item = match &item {
            Value::Invalid | Value::Nil => return Err("index of nil pointer".into()),
            Value::List(l) => {
                let x = index_arg(ix, l.len())?;
                l.get(x).cloned().ok_or("reflect: slice index out of range")?
            }
            Value::String(s) => {
                let x = index_arg(ix, s.len())?;
                Value::Int(i64::from(*s.as_bytes().get(x).ok_or("reflect: string index out of range")?))
            }
            Value::Bytes(b) => {
                let x = index_arg(ix, b.len())?;
                Value::Int(i64::from(*b.get(x).ok_or("reflect: slice index out of range")?))
            }
            Value::Map(m) => match ix {
                Value::String(k) => m.get(k).unwrap_or(Value::Nil),
                Value::Invalid | Value::Nil => return Err("value is nil; should be of type string".into()),
                v => return Err(format!("value has type {}; should be string", v.type_name())),
            },
            v => return Err(format!("can't index item of type {}", v.type_name())),
        };
    }
    Ok(item)
}

fn slice(item: &Value, indexes: &[Value]) -> FuncResult {
    if item.is_nil() {
        return Err("slice of untyped nil".into());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l) => l.len(),
        Value::Bytes(b) => b.len(),
        v => return Err(format!("can't slice item of type {}", v.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, ix) in indexes.iter().enumerate() {
        idx[i] = index_arg(ix, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    let (i, j) = (idx[0], idx[1]);
    Ok(match item {
        Value::String(s) => Value::str(String::from_utf8_lossy(&s.as_bytes()[i..j]).into_owned()),
        Value::List(l) => Value::list(l[i..j].to_vec()),
        Value::Bytes(b) => Value::Bytes(Arc::from(&b[i..j])),
        _ => Value::Nil,
    })
}
