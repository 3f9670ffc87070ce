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
//! Limits: no cost budget; rules using a function the interpreter (`cel` crate plus the
//! Kubernetes string extensions below) lacks are skipped, not failed, so a valid object is
//! never refused for a gap of ours.

use std::collections::HashMap;
use std::sync::Arc;

use cel::extractors::This;
use cel::objects::{Key, Map as CelMap};
use cel::{Context, ExecutionError, Program, Value as Cel};
use serde_json::Value;

use crate::error::Cause;
use crate::schema::{Schema, join};

/// Checks every rule of `schema` against `obj`; `old` is the stored object on updates.
pub(crate) fn check(schema: &Schema, root: &Value, obj: &Value, old: Option<&Value>, out: &mut Vec<Cause>) {
    let base = base_context();
    walk(&Walk { schema, base: &base }, obj, root, old, "", out);
}

struct Walk<'a> {
    schema: &'a Schema,
    base: &'a Context<'a>,
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
    let mut ctx = w.base.new_inner_scope();
    ctx.add_variable_from_value("self", to_cel(v));
    if let Some(o) = old.filter(|_| transition) {
        ctx.add_variable_from_value("oldSelf", to_cel(o));
    }
    let ty = s.get("type").and_then(Value::as_str).unwrap_or("object");
    let field = match rule.get("fieldPath").and_then(Value::as_str) {
        Some(fp) => format!("{path}{fp}").trim_start_matches('.').to_owned(),
        None => path.to_owned(),
    };
    let Some(outcome) = run(&program, &ctx, text) else { return };
    let message = match outcome {
        Ok(Cel::Bool(true)) => return,
        Ok(Cel::Bool(false)) => failure_message(w, rule, &ctx, text),
        Err(ExecutionError::NoSuchKey(key)) => format!("no such key: {key} evaluating rule: {text}"),
        Ok(other) => {
            tracing::debug!(rule = text, result = ?other, "validation rule did not return a bool; skipped");
            return;
        }
        Err(e) => {
            tracing::debug!(rule = text, error = %e, "validation rule not evaluated; skipped");
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

fn failure_message(w: &Walk<'_>, rule: &Value, ctx: &Context<'_>, text: &str) -> String {
    if let Some(expr) = rule.get("messageExpression").and_then(Value::as_str)
        && let Some(p) = w.schema.program(expr)
        && let Some(Ok(Cel::String(m))) = run(&p, ctx, expr)
    {
        return m.to_string();
    }
    match rule.get("message").and_then(Value::as_str) {
        Some(m) => m.to_owned(),
        None => format!("failed rule: {text}"),
    }
}

/// Executes a program. A panic in the interpreter (a bug of the library) must not take the
/// request, or the store lock it may run under, down with it: `None`, and the rule is skipped.
fn run(program: &Program, ctx: &Context<'_>, text: &str) -> Option<cel::ResolveResult> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| program.execute(ctx)));
    if outcome.is_err() {
        tracing::warn!(rule = text, "CEL evaluation panicked; rule skipped");
    }
    outcome.ok()
}

/// Compiles a rule; `None` (logged) when it does not parse.
pub(crate) fn compile(text: &str) -> Option<Arc<Program>> {
    match std::panic::catch_unwind(|| Program::compile(text)) {
        Ok(Ok(p)) => Some(Arc::new(p)),
        Ok(Err(e)) => {
            tracing::warn!(rule = text, error = %e, "CRD validation rule does not compile; not enforced");
            None
        }
        Err(_) => {
            tracing::warn!(rule = text, "CRD validation rule crashed the CEL parser; not enforced");
            None
        }
    }
}

/// JSON as CEL sees it: integers are `int` (as in Kubernetes), objects are maps.
fn to_cel(v: &Value) -> Cel {
    match v {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Cel::Int(i),
            (None, Some(u)) => Cel::UInt(u),
            _ => Cel::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Cel::String(Arc::new(s.clone())),
        Value::Array(items) => Cel::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let m: HashMap<Key, Cel> = map.iter().map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v))).collect();
            Cel::Map(CelMap { map: Arc::new(m) })
        }
    }
}

/// The standard functions plus the Kubernetes string extensions the rules of common CRDs use.
fn base_context() -> Context<'static> {
    let mut ctx = Context::default();
    ctx.add_function("split", |This(this): This<Arc<String>>, sep: Arc<String>| -> Arc<Vec<Cel>> {
        Arc::new(this.split(sep.as_str()).map(Cel::from).collect())
    });
    ctx.add_function("lowerAscii", |This(this): This<Arc<String>>| this.to_ascii_lowercase());
    ctx.add_function("upperAscii", |This(this): This<Arc<String>>| this.to_ascii_uppercase());
    ctx.add_function("trim", |This(this): This<Arc<String>>| this.trim().to_owned());
    ctx.add_function("indexOf", |This(this): This<Arc<String>>, needle: Arc<String>| -> i64 {
        this.find(needle.as_str()).map_or(-1, |byte| this[..byte].chars().count() as i64)
    });
    ctx.add_function("join", |This(this): This<Arc<Vec<Cel>>>, sep: Arc<String>| -> String {
        let parts: Vec<String> = this
            .iter()
            .map(|v| match v {
                Cel::String(s) => s.to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        parts.join(sep.as_str())
    });
    ctx
}
