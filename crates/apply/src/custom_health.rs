//! Flux's `healthCheckExprs`: CEL expressions that decide the health of custom resources whose
//! status kstatus cannot read. An entry applies to objects of its `apiVersion` (or, given a
//! group alone, any version of it) and `kind`; its expressions see the object's top-level
//! fields (`status`, `spec`, `metadata`) and are tried in Flux's order — `inProgress`, `failed`,
//! `current` — the first true one deciding. None true, or a field not there yet (a "no such key"
//! error), means still in progress: the health check waits, as Flux does, until its timeout.

use glidepath_cel::{CelError, Env, Expr};
use serde_json::Value;

use crate::health::{Health, Status, terminating};

/// One compiled `healthCheckExprs[]` entry.
#[derive(Debug)]
pub struct HealthExpr {
    api_version: String,
    kind: Option<String>,
    current: Expr,
    in_progress: Option<Expr>,
    failed: Option<Expr>,
}

impl HealthExpr {
    /// Compiles an entry; an error names the expression that does not compile.
    pub fn new(
        api_version: &str,
        kind: Option<&str>,
        current: &str,
        in_progress: Option<&str>,
        failed: Option<&str>,
    ) -> Result<Self, CelError> {
        let optional = |e: Option<&str>| e.filter(|e| !e.trim().is_empty()).map(Expr::compile).transpose();
        Ok(HealthExpr {
            api_version: api_version.to_owned(),
            kind: kind.filter(|k| !k.is_empty()).map(str::to_owned),
            current: Expr::compile(current)?,
            in_progress: optional(in_progress)?,
            failed: optional(failed)?,
        })
    }

    fn matches(&self, obj: &Value) -> bool {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let version_matches =
            api_version == self.api_version || (!self.api_version.contains('/') && group == self.api_version);
        let kind = obj.get("kind").and_then(Value::as_str);
        version_matches && self.kind.as_deref().is_none_or(|k| Some(k) == kind)
    }
}

/// The health of `obj` by the first entry that applies to it; `None` when none does (kstatus
/// decides then).
pub fn custom_health(exprs: &[HealthExpr], env: &Env, obj: &Value) -> Option<Health> {
    let entry = exprs.iter().find(|e| e.matches(obj))?;
    if let Some(h) = terminating(obj) {
        return Some(h);
    }
    let steps = [
        (entry.in_progress.as_ref(), Status::InProgress, "inProgress"),
        (entry.failed.as_ref(), Status::Failed, "failed"),
        (Some(&entry.current), Status::Current, "current"),
    ];
    for (expr, status, field) in steps {
        let Some(expr) = expr else { continue };
        match env.eval_bool_on_fields(expr, obj) {
            Ok(true) => {
                let message = format!("healthCheckExprs '{field}' is true: {}", expr.text());
                return Some(Health { status, message });
            }
            Ok(false) => {}
            Err(e) => return Some(Health { status: Status::InProgress, message: e.to_string() }),
        }
    }
    Some(Health { status: Status::InProgress, message: "no healthCheckExprs expression is true yet".into() })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cert(conditions: serde_json::Value) -> Value {
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c"},
            "status": {"conditions": conditions}})
    }

    fn exprs() -> Vec<HealthExpr> {
        vec![
            HealthExpr::new(
                "cert-manager.io/v1",
                Some("Certificate"),
                "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')",
                Some("status.conditions.exists(e, e.type == 'Issuing' && e.status == 'True')"),
                Some("status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False')"),
            )
            .unwrap(),
        ]
    }

    fn status(obj: &Value) -> Option<Status> {
        custom_health(&exprs(), &Env::new(), obj).map(|h| h.status)
    }

    #[test]
    fn expressions_decide_in_fluxs_order() {
        assert_eq!(status(&cert(json!([{"type": "Ready", "status": "True"}]))), Some(Status::Current));
        assert_eq!(status(&cert(json!([{"type": "Ready", "status": "False"}]))), Some(Status::Failed));
        // inProgress is tried first: it wins over failed.
        let issuing = cert(json!([{"type": "Ready", "status": "False"}, {"type": "Issuing", "status": "True"}]));
        assert_eq!(status(&issuing), Some(Status::InProgress));
        let unknown = cert(json!([{"type": "Ready", "status": "Unknown"}]));
        assert_eq!(status(&unknown), Some(Status::InProgress));
    }

    #[test]
    fn a_missing_field_waits_and_other_kinds_are_left_to_kstatus() {
        let fresh = json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c"}});
        let h = custom_health(&exprs(), &Env::new(), &fresh).unwrap();
        assert_eq!(h.status, Status::InProgress);
        assert!(h.message.contains("no such key: conditions"), "{}", h.message);
        assert_eq!(status(&json!({"apiVersion": "cert-manager.io/v1", "kind": "Issuer"})), None);
        assert_eq!(status(&json!({"apiVersion": "apps/v1", "kind": "Deployment"})), None);
        // A group alone matches every version of it.
        let any_version = HealthExpr::new("cert-manager.io", None, "true", None, None).unwrap();
        let h =
            custom_health(&[any_version], &Env::new(), &json!({"apiVersion": "cert-manager.io/v1beta1", "kind": "X"}));
        assert_eq!(h.map(|h| h.status), Some(Status::Current));
    }

    #[test]
    fn an_expression_that_does_not_compile_is_named() {
        let err = HealthExpr::new("x.io/v1", None, "status.ready ==", None, None).unwrap_err();
        assert!(err.to_string().contains("status.ready =="), "{err}");
    }
}
