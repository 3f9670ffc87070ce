//! `generic` and `generic-hmac` (`forwarder.go`): POST the event JSON itself, with header
//! `gotk-component: <reportingController>` and the Secret's custom headers; `generic-hmac`
//! signs the body with `X-Signature: sha256=<hex HMAC-SHA256(body, token)>`.

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};

use crate::digest::{hex, hmac_sha256};
use crate::http::{Http, header_map, parse_url};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig};

/// Header naming the controller that emitted the event.
pub(crate) const COMPONENT_HEADER: &str = "gotk-component";

#[derive(Debug)]
pub(crate) struct Forwarder {
    http: Http,
    url: Url,
    headers: HeaderMap,
    hmac_key: Option<Vec<u8>>,
}

impl Forwarder {
    pub(crate) fn new(cfg: &ProviderConfig, signed: bool) -> Result<Self, NotifyError> {
        let url = parse_url(&cfg.provider_type, &cfg.address)?;
        let hmac_key = if signed {
            if cfg.token.is_empty() {
                return Err(NotifyError::CreateInvalidConfig {
                    kind: cfg.provider_type.clone(),
                    reason: "the HMAC key (Secret key token) is empty".into(),
                });
            }
            Some(cfg.token.as_bytes().to_vec())
        } else {
            None
        };
        let headers = header_map(&cfg.provider_type, &cfg.headers)?;
        Ok(Forwarder { http: Http::new(cfg)?, url, headers, hmac_key })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let body = self.http.encode(event)?;
        let mut req = self.http.request(Method::POST, self.url.clone()).header(CONTENT_TYPE, "application/json");
        if let Ok(v) = HeaderValue::try_from(event.reporting_controller.as_str()) {
            req = req.header(COMPONENT_HEADER, v);
        }
        // Custom headers after gotk-component, so a Secret can override it as in Flux.
        req = req.headers(self.headers.clone());
        if let Some(key) = &self.hmac_key {
            req = req.header("X-Signature", format!("sha256={}", hex(&hmac_sha256(key, &body))));
        }
        self.http.send(req.body(body)).await.map(drop)
    }
}

impl Notifier for Forwarder {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}
