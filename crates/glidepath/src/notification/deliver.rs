//! The live [`Deliver`]: a Provider's type decides the request. `generic` POSTs the event JSON
//! with `gotk-component` and the Secret's `headers`; `generic-hmac` adds
//! `X-Signature: sha256=<hex HMAC-SHA256(body, token)>`. The address comes from the Secret's
//! `address` key when present, else `spec.address`; neither ever appears in an error.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::dispatch::{Deliver, Target};
use super::event::FluxEvent;

/// The deliverer the controller runs with.
pub fn live() -> Arc<dyn Deliver> {
    Arc::new(Live { client: reqwest::Client::new() })
}

struct Live {
    client: reqwest::Client,
}

impl Deliver for Live {
    fn deliver<'a>(&'a self, target: &'a Target, event: &'a FluxEvent) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let kind = target.provider.spec.r#type.as_str();
            let address = target
                .secret
                .get("address")
                .map(|a| a.trim().to_owned())
                .or_else(|| target.provider.spec.address.clone())
                .filter(|a| !a.is_empty())
                .ok_or_else(|| format!("{kind}: no address (spec.address or Secret key address)"))?;
            let body = serde_json::to_vec(event).map_err(|e| format!("encode event: {e}"))?;
            let mut request = self
                .client
                .post(&address)
                .header("Content-Type", "application/json")
                .header("gotk-component", &event.reporting_controller);
            if let Some(headers) = target.secret.get("headers") {
                let map: std::collections::BTreeMap<String, String> = serde_norway::from_str(headers)
                    .map_err(|_| "Secret key headers: not a YAML map of strings".to_owned())?;
                for (k, v) in map {
                    request = request.header(k, v);
                }
            }
            match kind {
                "generic" => {}
                "generic-hmac" => {
                    let token = target.secret.get("token").ok_or("generic-hmac: Secret key token is required")?;
                    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, token.trim().as_bytes());
                    let tag = aws_lc_rs::hmac::sign(&key, &body);
                    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
                    request = request.header("X-Signature", format!("sha256={hex}"));
                }
                other => return Err(format!("provider type {other:?} is not supported")),
            }
            let response = request.body(body).send().await.map_err(|e| format!("post: {}", e.without_url()))?;
            if !response.status().is_success() {
                return Err(format!("post: the receiver answered {}", response.status()));
            }
            Ok(())
        })
    }
}
