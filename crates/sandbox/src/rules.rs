//! CRD validation rules (`x-kubernetes-validations`, CEL), evaluated as kube-apiserver does
//! after the structural checks passed: each rule of a schema node runs with `self` bound to the
//! value there (absent values are not checked); transition rules (using `oldSelf`) run only on
//! updates, where the old value correlates (object properties, map values, `listType: map`
//! items by key). A rule that is false gives a 422 cause at the node's path (or its
//! `fieldPath`) with its `message`, `messageExpression` or `failed rule: <rule>`; one that
//! fails with "no such key" is an error as on kube-apiserver.
//!
//! Why in the sandbox: the routes and CRs Glidepath writes (Gateway API HTTPRoutes alone carry
//! 56 rules) must be rejected here when a real API server would reject them.
//!
//! Limits: no cost budget; rules the interpreter (`glidepath-cel`) cannot compile or run are
//! skipped, not failed, so a valid object is never refused for a gap of ours.

use glidepath_cel::{CelError, CelValue, Env, Expr};
use serde_json::Value;

use crate::error::Cause;
use crate::schema::{Schema, join};

/// Checks every rule of `schema` against `obj`; `old` is the stored object on updates.
pub(crate) fn check(schema: &Schema, root: &Value, obj: &Value, old: Option<&Value>, out: &mut Vec<Cause>) {
    walk(&Walk { schema, env: std::cell::OnceCell::new() }, obj, root, old, "", out);
}

struct Walk<'a> {
    schema: &'a Schema,
    /// Made at the first rule: most custom resources have none.
    env: std::cell::OnceCell<Env>,
}

impl Walk<'_> {
    fn env(&self) -> &Env {
        self.env.get_or_init(Env::new)
    }
}

fn walk(w: &Walk<'_>, v: &Value, s: &Value, old: Option<&Value>, path: &str, out: &mut Vec<Cause>) {
    if v.is_null() {
        return;
    }
    if let Some(rules) = s.get("x-kubernetes-validations").and_then(Value::as_array) {
        for rule in rules {
            evaluate(w, rule, v, s, old, path, out);
        }
    }
    match v {
        Value::Object(map) => {
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, sub) in props {
                    if let Some(child) = map.get(k) {
                        walk(w, child, sub, old.and_then(|o| o.get(k)), &join(path, k), out);
                    }
                }
            } else if let Some(sub) = s.get("additionalProperties").filter(|a| a.is_object()) {
                for (k, child) in map {
                    walk(w, child, sub, old.and_then(|o| o.get(k)), &format!("{path}[{k}]"), out);
                }
            }
        }
        Value::Array(items) => {
            let Some(sub) = s.get("items").filter(|i| i.is_object()) else { return };
            for (i, item) in items.iter().enumerate() {
                let previous = old.and_then(|o| correlated(s, item, o));
                walk(w, item, sub, previous, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The old item a new list item continues: only `listType: map` lists correlate, by their keys.
fn correlated<'a>(s: &Value, item: &Value, old: &'a Value) -> Option<&'a Value> {
    if s.get("x-kubernetes-list-type").and_then(Value::as_str) != Some("map") {
        return None;
    }
    let keys: Vec<&str> = s.get("x-kubernetes-list-map-keys")?.as_array()?.iter().filter_map(Value::as_str).collect();
    old.as_array()?.iter().find(|o| keys.iter().all(|k| o.get(k) == item.get(k)))
}

fn evaluate(w: &Walk<'_>, rule: &Value, v: &Value, s: &Value, old: Option<&Value>, path: &str, out: &mut Vec<Cause>) {
    let Some(text) = rule.get("rule").and_then(Value::as_str) else { return };
    let transition = text.contains("oldSelf");
    if transition && old.is_none() {
        return;
    }
    let Some(program) = w.schema.program(text) else { return };
    let mut vars = vec![("self", v)];
    if let Some(o) = old.filter(|_| transition) {
        vars.push(("oldSelf", o));
    }
    let ty = s.get("type").and_then(Value::as_str).unwrap_or("object");
    let field = match rule.get("fieldPath").and_then(Value::as_str) {
        Some(fp) => format!("{path}{fp}").trim_start_matches('.').to_owned(),
        None => path.to_owned(),
    };
    let message = match w.env().eval(&program, &vars) {
        Ok(CelValue::Bool(true)) => return,
        Ok(CelValue::Bool(false)) => failure_message(w, rule, &vars, text),
        Err(CelError::NoSuchKey { key, .. }) => format!("no such key: {key} evaluating rule: {text}"),
        Ok(other) => {
            tracing::debug!(rule = text, result = ?other, "validation rule did not return a bool; skipped");
            return;
        }
        Err(e) => {
            tracing::debug!(error = %e, "validation rule not evaluated; skipped");
            return;
        }
    };
    let cause = match rule.get("reason").and_then(Value::as_str) {
        Some(r @ "FieldValueRequired") => Cause::new(r, field, format!("Required value: {message}")),
        Some(r @ "FieldValueForbidden") => Cause::new(r, field, format!("Forbidden: {message}")),
        Some(r @ "FieldValueDuplicate") => Cause::new(r, field, format!("Duplicate value: {message}")),
        _ => Cause::new("FieldValueInvalid", field, format!("Invalid value: \"{ty}\": {message}")),
    };
    out.push(cause);
}

fn failure_message(w: &Walk<'_>, rule: &Value, vars: &[(&str, &Value)], text: &str) -> String {
    if let Some(expr) = rule.get("messageExpression").and_then(Value::as_str)
        && let Some(p) = w.schema.program(expr)
        && let Ok(CelValue::String(m)) = w.env().eval(&p, vars)
    {
        return m.to_string();
    }
    match rule.get("message").and_then(Value::as_str) {
        Some(m) => m.to_owned(),
        None => format!("failed rule: {text}"),
    }
}

/// Compiles a rule; `None` (logged) when it does not compile.
pub(crate) fn compile(text: &str) -> Option<std::sync::Arc<Expr>> {
    match Expr::compile(text) {
        Ok(e) => Some(std::sync::Arc::new(e)),
        Err(e) => {
            tracing::warn!(error = %e, "CRD validation rule not enforced");
            None
        }
    }
}
