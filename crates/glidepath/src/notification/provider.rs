//! Providers are static objects (v1beta3 has no status), so a Provider that cannot work here
//! is refused when it is seen, not at its first event: a Warning Event `InvalidConfig` on the
//! Provider names the field. The CRD keeps Flux's whole type enum (wire compatibility); the
//! types Glidepath does not deliver to are refused here.

use std::sync::Arc;

use glidepath_api::flux::notification::{Provider, ProviderSpec};
use kube::Client;
use kube::runtime::controller::Action;

/// Why `spec` cannot deliver, naming the field; `None` when it can.
pub fn invalid(spec: &ProviderSpec) -> Option<String> {
    if !glidepath_notify::SUPPORTED_TYPES.contains(&spec.r#type.as_str()) {
        return Some(format!(
            "spec.type: '{}' is not supported by Glidepath; events for this Provider are not delivered (supported: {})",
            spec.r#type,
            glidepath_notify::SUPPORTED_TYPES.join(", ")
        ));
    }
    if let Some(t) = spec.timeout.as_deref()
        && let Err(e) = glidepath_api::duration::parse(t)
    {
        return Some(format!("spec.timeout: {e}"));
    }
    if let Some(expr) = spec.commit_status_expr.as_deref().filter(|e| !e.is_empty())
        && let Err(e) = glidepath_cel::Expr::compile(expr)
    {
        return Some(format!("spec.commitStatusExpr: {e}"));
    }
    None
}

/// Check one Provider; wakes again only when it changes.
pub async fn reconcile(p: Arc<Provider>, client: Arc<Client>) -> Result<Action, kube::Error> {
    if let Some(message) = invalid(&p.spec) {
        tracing::warn!(provider = %kube::ResourceExt::name_any(&*p), "{message}");
        crate::sync::publish_event(&client, &*p, true, "InvalidConfig", &message).await;
    }
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(t: &str) -> ProviderSpec {
        ProviderSpec { r#type: t.into(), ..Default::default() }
    }

    #[test]
    fn unsupported_types_and_broken_fields_are_named() {
        assert_eq!(invalid(&spec("slack")), None);
        let nats = invalid(&spec("nats")).unwrap();
        assert!(nats.starts_with("spec.type: 'nats' is not supported"), "{nats}");
        let mut s = spec("generic");
        s.timeout = Some("soon".into());
        assert!(invalid(&s).unwrap().starts_with("spec.timeout: "));
        let mut s = spec("github");
        s.commit_status_expr = Some("event.(".into());
        assert!(invalid(&s).unwrap().starts_with("spec.commitStatusExpr: "));
        s.commit_status_expr = Some("event.reason == 'x' ? 'a' : 'b'".into());
        assert_eq!(invalid(&s), None);
    }
}
