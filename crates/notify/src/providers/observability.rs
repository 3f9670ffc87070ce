//! Incident and event APIs with a plain JSON POST: `datadog` (`datadog.go`, the Events API v1
//! that datadog-api-client-go's `CreateEvent` calls) and `incident.io` (`incidentio.go`, an
//! HTTP alert source).

use std::collections::BTreeMap;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde_json::json;

use super::format::object_name;
use crate::http::{Http, parse_url, secret_header};
use crate::time::unix_seconds;
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, REASON_PROGRESSING, Severity};

/// Datadog's US1 site, used when the Provider has no address.
const DATADOG_API: &str = "https://api.datadoghq.com";

fn require_token(cfg: &ProviderConfig, what: &str) -> Result<(), NotifyError> {
    if cfg.token.is_empty() {
        return Err(NotifyError::CreateInvalidConfig {
            kind: cfg.provider_type.clone(),
            reason: format!("the {what} (token) is empty"),
        });
    }
    Ok(())
}

/// Datadog: `POST <scheme>://<host>/api/v1/events` with `DD-API-KEY: <token>`; only the
/// address' scheme and host are used. The title is `Events from the <Kind> <name>/<namespace>`,
/// the text the message, `alert_type` `error` or `info`, `source_type_name` `fluxcd`, and the
/// tags `flux_reporting_controller`, `flux_reason`, `kube_kind`, `kube_name`,
/// `kube_namespace` and every `key:value` of the metadata (sorted here; Go's map order is
/// random), all lower-cased. Flux skips no event.
#[derive(Debug)]
pub(crate) struct DataDog {
    http: Http,
    url: Url,
    headers: HeaderMap,
}

impl DataDog {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        require_token(cfg, "API key")?;
        let base = if cfg.address.trim().is_empty() { DATADOG_API } else { cfg.address.as_str() };
        let mut url = parse_url(&cfg.provider_type, base)?;
        url.set_path("/api/v1/events");
        url.set_query(None);
        url.set_fragment(None);
        let mut headers = HeaderMap::new();
        headers.insert("DD-API-KEY", secret_header(&cfg.provider_type, &cfg.token)?);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Ok(DataDog { http: Http::new(cfg)?, url, headers })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let o = &event.involved_object;
        let mut tags = vec![
            format!("flux_reporting_controller:{}", event.reporting_controller),
            format!("flux_reason:{}", event.reason),
            format!("kube_kind:{}", o.kind),
            format!("kube_name:{}", o.name),
            format!("kube_namespace:{}", o.namespace),
        ];
        tags.extend(event.metadata.iter().map(|(k, v)| format!("{k}:{v}")));
        let tags: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
        let alert_type = if event.severity == Severity::Error { "error" } else { "info" };
        let payload = json!({
            "alert_type": alert_type,
            "date_happened": unix_seconds(&event.timestamp).unwrap_or_default(),
            "source_type_name": "fluxcd",
            "tags": tags,
            "text": event.message,
            "title": format!("Events from the {} {}/{}", o.kind, o.name, o.namespace),
        });
        self.http.send_json(Method::POST, self.url.clone(), &payload, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for DataDog {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}

/// incident.io: `POST <address>` (`/v2/alert_events/http/<alert source id>`) with the token as
/// Bearer. An error fires the alert, anything else resolves it; the involved object's UID is
/// the deduplication key. Progressing events are skipped.
#[derive(Debug)]
pub(crate) struct IncidentIo {
    http: Http,
    url: Url,
    headers: HeaderMap,
}

impl IncidentIo {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let url = parse_url(&cfg.provider_type, &cfg.address)?;
        require_token(cfg, "API token")?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, &format!("Bearer {}", cfg.token))?);
        Ok(IncidentIo { http: Http::new(cfg)?, url, headers })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.reason == REASON_PROGRESSING {
            return Ok(());
        }
        let status = if event.severity == Severity::Error { "firing" } else { "resolved" };
        let mut metadata: BTreeMap<String, String> = event.metadata.clone();
        metadata.insert("severity".into(), event.severity.as_str().into());
        metadata.insert("reason".into(), event.reason.clone());
        if !event.reporting_controller.is_empty() {
            metadata.insert("reportingController".into(), event.reporting_controller.clone());
        }
        let mut payload = json!({
            "title": format!("{}: {}", object_name(event), event.reason),
            "status": status,
            "deduplication_key": event.involved_object.uid,
            "metadata": metadata,
        });
        if !event.message.is_empty() {
            payload["description"] = json!(event.message);
        }
        self.http.send_json(Method::POST, self.url.clone(), &payload, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for IncidentIo {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}
