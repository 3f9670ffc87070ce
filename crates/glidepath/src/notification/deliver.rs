//! The live [`Deliver`]: a Provider and its Secrets become a `glidepath_notify::ProviderConfig`
//! (the Secret's `address` wins over `spec.address`; `token`, `username`, `password`,
//! `headers`; `certSecretRef` PEMs; `proxySecretRef` or the deprecated `spec.proxy`;
//! `commitStatusExpr` evaluated in CEL over `event`, `provider` and `alert`), and the
//! notifier of its type posts the event. No error carries the address or a credential.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use glidepath_notify::{Event, ProviderConfig, ProxyConfig};
use kube::ResourceExt;

use super::dispatch::{Deliver, Target};

/// The deliverer the controller runs with.
pub fn live() -> Arc<dyn Deliver> {
    Arc::new(Live)
}

struct Live;

impl Deliver for Live {
    fn deliver<'a>(&'a self, target: &'a Target, event: &'a Event) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let config = config(target, event)?;
            if !glidepath_notify::provider_accepts(&config.provider_type, event) {
                return Ok(());
            }
            let notifier = glidepath_notify::notifier(&config).map_err(|e| e.to_string())?;
            notifier.post(event).await.map_err(|e| e.to_string())
        })
    }
}

/// The notifier's configuration from the Provider, its Secrets and the Alert.
pub fn config(target: &Target, event: &Event) -> Result<ProviderConfig, String> {
    let spec = &target.provider.spec;
    let s = &target.secret;
    let secret = |k: &str| s.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let address = s.get("address").map(|a| a.trim().to_owned()).or_else(|| spec.address.clone()).unwrap_or_default();
    let mut c = ProviderConfig::new(spec.r#type.clone(), address);
    c.channel = spec.channel.clone().unwrap_or_default();
    c.username = s.get("username").map(|u| u.trim().to_owned()).or_else(|| spec.username.clone()).unwrap_or_default();
    c.token = secret("token");
    c.password = secret("password");
    if let Some(h) = s.get("headers") {
        c.headers =
            serde_norway::from_str(h).map_err(|_| "Secret key headers: not a YAML map of strings".to_owned())?;
    }
    if let Some(t) = spec.timeout.as_deref() {
        c.timeout = glidepath_api::duration::parse(t).map_err(|e| format!("spec.timeout: {e}"))?;
    }
    c.timeout = c.timeout.max(Duration::from_millis(1));
    let proxy = target.proxy.get("address").map(|a| a.trim().to_owned()).or_else(|| spec.proxy.clone());
    c.proxy = proxy.filter(|p| !p.is_empty()).map(|url| ProxyConfig {
        url,
        username: target.proxy.get("username").cloned(),
        password: target.proxy.get("password").cloned(),
    });
    let pem =
        |k: &str, legacy: &str| target.certs.get(k).or_else(|| target.certs.get(legacy)).map(|v| v.as_bytes().to_vec());
    c.ca_pem = pem("ca.crt", "caFile");
    c.client_cert_pem = pem("tls.crt", "certFile");
    c.client_key_pem = pem("tls.key", "keyFile");
    c.provider_uid = target.provider.uid().unwrap_or_default();
    if let Some(expr) = spec.commit_status_expr.as_deref().filter(|e| !e.is_empty()) {
        c.commit_status = Some(commit_status(expr, target, event)?);
    }
    Ok(c)
}

/// `spec.commitStatusExpr`: a CEL string over `event`, `provider` and `alert`.
fn commit_status(expr: &str, target: &Target, event: &Event) -> Result<String, String> {
    let compiled = glidepath_cel::Expr::compile(expr).map_err(|e| format!("spec.commitStatusExpr: {e}"))?;
    let to = |v: serde_json::Result<serde_json::Value>| v.map_err(|e| e.to_string());
    let (ev, provider, alert) = (
        to(serde_json::to_value(event))?,
        to(serde_json::to_value(&target.provider))?,
        to(serde_json::to_value(&target.alert))?,
    );
    let value = glidepath_cel::Env::new()
        .eval(&compiled, &[("event", &ev), ("provider", &provider), ("alert", &alert)])
        .map_err(|e| format!("spec.commitStatusExpr: {e}"))?;
    match value {
        glidepath_cel::CelValue::String(s) => Ok(s.to_string()),
        other => Err(format!("spec.commitStatusExpr: evaluates to {other:?}, not a string")),
    }
}
