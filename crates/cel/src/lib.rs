//! `glidepath-cel`: the Common Expression Language as Kubernetes and Flux use it.
//!
//! This crate owns compiling and evaluating CEL expressions over JSON objects: CRD validation
//! rules in the sandbox (`self`, `oldSelf`), and Flux's `healthCheckExprs` (the object's fields
//! as variables) in the apply engine. JSON integers are CEL `int`s, as in Kubernetes; the
//! standard functions and macros come from the `cel` crate, plus the Kubernetes string
//! extensions rules commonly use (`split`, `lowerAscii`, `upperAscii`, `trim`, `indexOf`,
//! `join`). Not supported: optional field syntax (`a.?b`, `orValue`), the Kubernetes URL, IP,
//! quantity and format libraries, cost budgets. A panic inside the interpreter (a library bug)
//! is caught and reported as an error.
//!
//! It must not depend on Kubernetes crates or other Glidepath crates.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use cel::extractors::This;
use cel::objects::{Key, Map};
use cel::{Context, ExecutionError, Program};
use serde_json::Value;

pub use cel::Value as CelValue;

/// Errors of compiling or evaluating an expression; each names the expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CelError {
    #[error("compile CEL expression '{expr}': {message}")]
    Compile { expr: String, message: String },
    /// The expression read a key the value does not have (Kubernetes rejects, Flux waits).
    #[error("evaluate CEL expression '{expr}': no such key: {key}")]
    NoSuchKey { expr: String, key: String },
    #[error("evaluate CEL expression '{expr}': {message}")]
    Evaluate { expr: String, message: String },
    #[error("CEL expression '{expr}' must evaluate to a bool, not {got}")]
    NotBool { expr: String, got: String },
}

/// A compiled expression.
pub struct Expr {
    text: String,
    program: Program,
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Expr").field(&self.text).finish()
    }
}

impl Expr {
    pub fn compile(text: &str) -> Result<Self, CelError> {
        let compile_error = |message: String| CelError::Compile { expr: text.to_owned(), message };
        match catch_unwind(|| Program::compile(text)) {
            Ok(Ok(program)) => Ok(Expr { text: text.to_owned(), program }),
            Ok(Err(e)) => {
                let message = e.to_string();
                let hint = if text.contains(".?") { " (optional field syntax `.?` is not supported)" } else { "" };
                Err(compile_error(format!("{}{hint}", message.lines().next().unwrap_or(&message))))
            }
            Err(_) => Err(compile_error("the CEL parser crashed".into())),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The functions expressions may call; variables are given per evaluation.
pub struct Env {
    base: Context<'static>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").finish_non_exhaustive()
    }
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Self {
        Env { base: base_context() }
    }

    /// Evaluates `expr` with `vars` bound.
    pub fn eval(&self, expr: &Expr, vars: &[(&str, &Value)]) -> Result<CelValue, CelError> {
        let mut ctx = self.base.new_inner_scope();
        for (name, value) in vars {
            ctx.add_variable_from_value(*name, to_cel(value));
        }
        let text = || expr.text.clone();
        match catch_unwind(AssertUnwindSafe(|| expr.program.execute(&ctx))) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(ExecutionError::NoSuchKey(key))) => Err(CelError::NoSuchKey { expr: text(), key: key.to_string() }),
            Ok(Err(e)) => Err(CelError::Evaluate { expr: text(), message: e.to_string() }),
            Err(_) => Err(CelError::Evaluate { expr: text(), message: "the CEL interpreter crashed".into() }),
        }
    }

    /// Evaluates a condition.
    pub fn eval_bool(&self, expr: &Expr, vars: &[(&str, &Value)]) -> Result<bool, CelError> {
        match self.eval(expr, vars)? {
            CelValue::Bool(b) => Ok(b),
            other => Err(CelError::NotBool { expr: expr.text.clone(), got: format!("{other:?}") }),
        }
    }

    /// Evaluates a condition with the top-level fields of `object` as variables (`status`,
    /// `spec`, `metadata`, ...), as Flux's `healthCheckExprs` see a custom resource.
    /// A field the object lacks reads as an empty map (`status.conditions` on an object with no
    /// status yet is a missing key, not an unknown variable).
    pub fn eval_bool_on_fields(&self, expr: &Expr, object: &Value) -> Result<bool, CelError> {
        let empty = Value::Object(serde_json::Map::new());
        let mut vars: Vec<(&str, &Value)> =
            object.as_object().map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect()).unwrap_or_default();
        for field in ["metadata", "spec", "status"] {
            if !vars.iter().any(|(k, _)| *k == field) {
                vars.push((field, &empty));
            }
        }
        self.eval_bool(expr, &vars)
    }
}

/// JSON as CEL sees it: integers are `int` (`uint` only beyond `i64`), objects are maps.
fn to_cel(v: &Value) -> CelValue {
    match v {
        Value::Null => CelValue::Null,
        Value::Bool(b) => CelValue::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => CelValue::Int(i),
            (None, Some(u)) => CelValue::UInt(u),
            _ => CelValue::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => CelValue::String(Arc::new(s.clone())),
        Value::Array(items) => CelValue::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let m: HashMap<Key, CelValue> =
                map.iter().map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v))).collect();
            CelValue::Map(Map { map: Arc::new(m) })
        }
    }
}

fn base_context() -> Context<'static> {
    let mut ctx = Context::default();
    ctx.add_function("split", |This(this): This<Arc<String>>, sep: Arc<String>| -> Arc<Vec<CelValue>> {
        Arc::new(this.split(sep.as_str()).map(CelValue::from).collect())
    });
    ctx.add_function("lowerAscii", |This(this): This<Arc<String>>| this.to_ascii_lowercase());
    ctx.add_function("upperAscii", |This(this): This<Arc<String>>| this.to_ascii_uppercase());
    ctx.add_function("trim", |This(this): This<Arc<String>>| this.trim().to_owned());
    ctx.add_function("indexOf", |This(this): This<Arc<String>>, needle: Arc<String>| -> i64 {
        this.find(needle.as_str()).map_or(-1, |byte| this[..byte].chars().count() as i64)
    });
    ctx.add_function("join", |This(this): This<Arc<Vec<CelValue>>>, sep: Arc<String>| -> String {
        let parts: Vec<String> = this
            .iter()
            .map(|v| match v {
                CelValue::String(s) => s.to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        parts.join(sep.as_str())
    });
    ctx
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{CelError, Env, Expr};

    fn eval(expr: &str, vars: &[(&str, serde_json::Value)]) -> Result<bool, CelError> {
        let vars: Vec<(&str, &serde_json::Value)> = vars.iter().map(|(k, v)| (*k, v)).collect();
        Env::new().eval_bool(&Expr::compile(expr)?, &vars)
    }

    #[test]
    fn kubernetes_rules_and_extensions() {
        let route = json!({"group": "", "kind": "Service", "port": 80});
        let rule = "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true";
        assert_eq!(eval(rule, &[("self", route)]), Ok(true));
        assert_eq!(eval(rule, &[("self", json!({"group": "", "kind": "Service"}))]), Ok(false));
        // JSON integers compare as ints with literals and with each other.
        assert_eq!(eval("self.min <= self.max && self.max < 10", &[("self", json!({"min": 1, "max": 3}))]), Ok(true));
        assert_eq!(
            eval("self.split('/').size() == 2 && self.lowerAscii() == 'a/b'", &[("self", json!("A/b"))]),
            Ok(true)
        );
        assert_eq!(eval("['x', 'y'].join('-') == 'x-y' && 'abc'.indexOf('c') == 2", &[]), Ok(true));
        assert_eq!(eval("self == oldSelf", &[("self", json!("a")), ("oldSelf", json!("b"))]), Ok(false));
    }

    #[test]
    fn errors_name_the_expression() {
        let missing = eval("self.port > 0", &[("self", json!({}))]).unwrap_err();
        assert!(matches!(&missing, CelError::NoSuchKey { key, .. } if key == "port"), "{missing:?}");
        let bad = Expr::compile("status.?conditions.orValue([])").unwrap_err();
        assert!(bad.to_string().contains("status.?conditions") && bad.to_string().contains("not supported"), "{bad}");
        let not_bool = eval("1 + 1", &[]).unwrap_err();
        assert!(matches!(not_bool, CelError::NotBool { .. }));
    }

    #[test]
    fn object_fields_are_variables() {
        let cert = json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let current =
            Expr::compile("status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')").unwrap();
        assert_eq!(Env::new().eval_bool_on_fields(&current, &cert), Ok(true));
        let pending = json!({"kind": "Certificate", "spec": {}});
        assert!(matches!(Env::new().eval_bool_on_fields(&current, &pending), Err(CelError::NoSuchKey { .. })));
    }
}
