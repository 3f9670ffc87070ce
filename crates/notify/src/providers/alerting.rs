//! Incident and alerting providers: `alertmanager`, `opsgenie`, `pagerduty`, `grafana`
//! (`alertmanager.go`, `opsgenie.go`, `pagerduty.go`, `grafana.go`). All skip commit-status
//! updates.

use std::collections::BTreeMap;

use reqwest::header::{AUTHORIZATION, HeaderMap};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::format::{name_and_description, object_name};
use crate::http::{Http, parse_url, secret_header};
use crate::time::{go_string, unix_seconds};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, REASON_PROGRESSING, Severity};

macro_rules! notifier_impl {
    ($t:ty) => {
        impl Notifier for $t {
            fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
                Box::pin(self.send(event))
            }
        }
    };
}

fn auth_header(cfg: &ProviderConfig, value: &str) -> Result<HeaderMap, NotifyError> {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, value)?);
    Ok(headers)
}

/// The first letter upper-cased (Go's `strings.Title` on a one-word reason).
fn title(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Alertmanager: one firing alert whose labels are the metadata plus the event's identity,
/// with `message` (and a metadata `summary`) as annotations.
#[derive(Debug)]
pub(crate) struct Alertmanager {
    http: Http,
    url: Url,
}

impl Alertmanager {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        Ok(Alertmanager { url: parse_url(&cfg.provider_type, &cfg.address)?, http: Http::new(cfg)? })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() {
            return Ok(());
        }
        let mut labels = event.metadata.clone();
        let mut annotations = BTreeMap::from([("message".to_string(), event.message.clone())]);
        if let Some(summary) = labels.remove("summary") {
            annotations.insert("summary".into(), summary);
        }
        let o = &event.involved_object;
        for (k, v) in [
            ("alertname", format!("Flux{}{}", o.kind, title(&event.reason))),
            ("severity", event.severity.as_str().to_string()),
            ("reason", event.reason.clone()),
            ("timestamp", go_string(&event.timestamp)),
            ("kind", o.kind.clone()),
            ("name", o.name.clone()),
            ("namespace", o.namespace.clone()),
            ("reportingcontroller", event.reporting_controller.clone()),
        ] {
            labels.insert(k.to_string(), v);
        }
        let payload = json!([{"status": "firing", "labels": labels, "annotations": annotations}]);
        self.http.post_json(self.url.clone(), &payload).await.map(drop)
    }
}
notifier_impl!(Alertmanager);

/// Opsgenie: an alert `Kind/name` with the message as description and the metadata plus
/// severity as details; `Authorization: GenieKey <token>`.
#[derive(Debug)]
pub(crate) struct Opsgenie {
    http: Http,
    url: Url,
    headers: HeaderMap,
}

impl Opsgenie {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        if cfg.token.is_empty() {
            return Err(NotifyError::CreateInvalidConfig {
                kind: cfg.provider_type.clone(),
                reason: "the API key (token) is empty".into(),
            });
        }
        let url = parse_url(&cfg.provider_type, &cfg.address)?;
        Ok(Opsgenie { http: Http::new(cfg)?, url, headers: auth_header(cfg, &format!("GenieKey {}", cfg.token))? })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() {
            return Ok(());
        }
        let mut details = event.metadata.clone();
        details.insert("severity".into(), event.severity.as_str().into());
        let o = &event.involved_object;
        let payload =
            json!({"message": format!("{}/{}", o.kind, o.name), "description": event.message, "details": details});
        self.http.send_json(Method::POST, self.url.clone(), &payload, self.headers.clone()).await.map(drop)
    }
}
notifier_impl!(Opsgenie);

/// PagerDuty Events API v2 at the address' scheme and host, routing key in `channel`: an error
/// triggers an incident deduplicated by the object UID, an info event resolves it and is also
/// sent as a change event. Progressing events are skipped.
#[derive(Debug)]
pub(crate) struct PagerDuty {
    http: Http,
    endpoint: Url,
    routing_key: String,
}

impl PagerDuty {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let mut endpoint = parse_url(&cfg.provider_type, &cfg.address)?;
        endpoint.set_path("");
        endpoint.set_query(None);
        Ok(PagerDuty { http: Http::new(cfg)?, endpoint, routing_key: cfg.channel.clone() })
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.endpoint.clone();
        url.set_path(path);
        url
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() || event.reason == REASON_PROGRESSING {
            return Ok(());
        }
        let (name, desc) = name_and_description(event);
        let summary = format!("{desc}: {name}");
        let source = format!("Flux {}", event.reporting_controller);
        let metadata = if event.metadata.is_empty() { Value::Null } else { json!(event.metadata) };
        let details = json!({"message": event.message, "metadata": metadata});
        let mut v2 = json!({"routing_key": self.routing_key, "event_action": "resolve"});
        if !event.involved_object.uid.is_empty() {
            v2["dedup_key"] = json!(event.involved_object.uid);
        }
        if event.severity == Severity::Error {
            v2["event_action"] = json!("trigger");
            v2["payload"] = json!({
                "summary": summary, "source": source, "severity": "error", "timestamp": event.timestamp,
                "component": event.involved_object.name, "group": event.involved_object.kind, "custom_details": details,
            });
        }
        self.http.post_json(self.url("/v2/enqueue"), &v2).await?;
        if event.severity == Severity::Info {
            let change = json!({"routing_key": self.routing_key, "payload": {
                "source": source, "summary": summary, "timestamp": event.timestamp, "custom_details": details,
            }, "links": null});
            self.http.post_json(self.url("/v2/change/enqueue"), &change).await?;
        }
        Ok(())
    }
}
notifier_impl!(PagerDuty);

/// Grafana: an annotation (`when` in Unix seconds, the object name as text) tagged `flux`,
/// the controller and `key: value` per metadata entry; Bearer token, else basic auth.
#[derive(Debug)]
pub(crate) struct Grafana {
    http: Http,
    url: Url,
    headers: HeaderMap,
    basic: Option<(String, String)>,
}

impl Grafana {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let url = parse_url(&cfg.provider_type, &cfg.address)?;
        let headers =
            if !cfg.token.is_empty() { auth_header(cfg, &format!("Bearer {}", cfg.token))? } else { HeaderMap::new() };
        let basic = (cfg.token.is_empty() && !cfg.username.is_empty() && !cfg.password.is_empty())
            .then(|| (cfg.username.clone(), cfg.password.clone()));
        Ok(Grafana { http: Http::new(cfg)?, url, headers, basic })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() {
            return Ok(());
        }
        let mut tags = vec!["flux".to_string(), event.reporting_controller.clone()];
        tags.extend(event.metadata.iter().map(|(k, v)| format!("{k}: {v}")));
        let payload = json!({"when": unix_seconds(&event.timestamp).unwrap_or_default(), "text": object_name(event), "tags": tags});
        let mut req = self.http.request(Method::POST, self.url.clone()).headers(self.headers.clone());
        if let Some((user, pass)) = &self.basic {
            req = req.basic_auth(user, Some(pass));
        }
        let req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(self.http.encode(&payload)?);
        self.http.send(req).await.map(drop)
    }
}
notifier_impl!(Grafana);
