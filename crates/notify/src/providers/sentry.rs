//! `sentry` (`sentry.go`): the address is a Sentry DSN, `channel` the environment. An error
//! event becomes a Sentry error event (message, level, `server_name` = reporting controller,
//! `transaction` = `Kind: namespace/name`, metadata as `extra`); an info event becomes a
//! transaction with one span whose tags are the `flux_*` identity plus the metadata. Trace
//! events are not sent. Nothing is skipped otherwise (no commit-status or Progressing rule).
//!
//! Flux uses the sentry-go SDK; this re-implements what reaches Sentry as one envelope POST to
//! `<scheme>://<host>[/<path>]/api/<project>/envelope/` with
//! `X-Sentry-Auth: Sentry sentry_version=7, sentry_client=…, sentry_key=<public key>`.
//! Deliberate differences from the SDK:
//! - the request is sent at once and a non-2xx answer is an error (sentry-go queues events in
//!   the background and Flux's `Post` always returns nil);
//! - no SDK integrations: no `contexts.device/os/runtime`, `modules`, host-name `server_name`
//!   on transactions, or `release`; `sdk` names this crate and `platform` is `other`;
//! - the envelope header carries only the `event_id` (sentry-go also sends `sent_at`, `dsn`
//!   and `sdk`), and the legacy `sentry_secret` of an old DSN is sent when present.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};
use serde_json::{Map, Value, json};

use crate::digest::hex;
use crate::http::{Http, secret_header};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, Severity};

/// The `sentry_client` of the auth header and the `sdk.name` of events.
const CLIENT: &str = "glidepath-notify";

/// A DSN split into what the request needs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Dsn {
    pub(crate) envelope: Url,
    pub(crate) public_key: String,
    pub(crate) secret_key: Option<String>,
}

/// `<scheme>://<public_key>[:<secret>]@<host>[:<port>]/[<path>/]<project_id>`. Errors never
/// repeat the DSN.
pub(crate) fn parse_dsn(kind: &str, dsn: &str) -> Result<Dsn, NotifyError> {
    let invalid =
        |reason: &str| NotifyError::CreateInvalidConfig { kind: kind.to_string(), reason: reason.to_string() };
    if dsn.trim().is_empty() {
        return Err(invalid("the DSN (address) is empty"));
    }
    let url = Url::parse(dsn.trim()).map_err(|_| invalid("the DSN (address) is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("the DSN (address) must be an http or https URL"));
    }
    if url.username().is_empty() {
        return Err(invalid("the DSN (address) has no public key"));
    }
    let mut segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    while segments.last() == Some(&"") {
        segments.pop();
    }
    let project = segments.pop().filter(|p| !p.is_empty()).ok_or_else(|| invalid("the DSN has no project id"))?;
    let mut envelope = url.clone();
    envelope.set_query(None);
    envelope.set_fragment(None);
    let _ = envelope.set_username("");
    let _ = envelope.set_password(None);
    let path: String = segments.iter().map(|s| format!("/{s}")).collect();
    envelope.set_path(&format!("{path}/api/{project}/envelope/"));
    Ok(Dsn {
        envelope,
        public_key: url.username().to_string(),
        secret_key: url.password().filter(|p| !p.is_empty()).map(str::to_string),
    })
}

#[derive(Debug)]
pub(crate) struct Sentry {
    http: Http,
    url: Url,
    auth: HeaderValue,
    environment: String,
    rng: SystemRandom,
}

impl Sentry {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let dsn = parse_dsn(&cfg.provider_type, &cfg.address)?;
        let mut auth = format!(
            "Sentry sentry_version=7, sentry_client={CLIENT}/{}, sentry_key={}",
            env!("CARGO_PKG_VERSION"),
            dsn.public_key
        );
        let mut http = Http::new(cfg)?.with_secret(&dsn.public_key);
        if let Some(secret) = &dsn.secret_key {
            auth.push_str(&format!(", sentry_secret={secret}"));
            http = http.with_secret(secret);
        }
        let auth = secret_header(&cfg.provider_type, &auth)?;
        Ok(Sentry { http, url: dsn.envelope, auth, environment: cfg.channel.clone(), rng: SystemRandom::new() })
    }

    /// `n` random bytes as hex (event, trace and span ids).
    fn random_hex(&self, n: usize) -> Result<String, NotifyError> {
        let mut bytes = vec![0u8; n];
        self.rng.fill(&mut bytes).map_err(|_| NotifyError::EncodePayload {
            kind: self.http.kind().to_string(),
            reason: "no random bytes for the event id".into(),
        })?;
        Ok(hex(&bytes))
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let (item_type, mut payload) = match event.severity {
            Severity::Error => ("event", error_event(event)),
            Severity::Info => ("transaction", transaction(event, &self.random_hex(16)?, &self.random_hex(8)?)),
            Severity::Trace => return Ok(()),
        };
        let event_id = self.random_hex(16)?;
        payload.insert("event_id".into(), json!(event_id));
        payload.insert("platform".into(), json!("other"));
        payload.insert("sdk".into(), json!({"name": CLIENT, "version": env!("CARGO_PKG_VERSION")}));
        if !self.environment.is_empty() {
            payload.insert("environment".into(), json!(self.environment));
        }
        let body = self.http.encode(&Value::Object(payload))?;
        let mut envelope = self.http.encode(&json!({"event_id": event_id}))?;
        envelope.push(b'\n');
        envelope.extend(self.http.encode(&json!({"type": item_type, "length": body.len()}))?);
        envelope.push(b'\n');
        envelope.extend(body);
        envelope.push(b'\n');
        let req = self
            .http
            .request(Method::POST, self.url.clone())
            .header(CONTENT_TYPE, "application/x-sentry-envelope")
            .header("X-Sentry-Auth", self.auth.clone())
            .body(envelope);
        self.http.send(req).await.map(drop)
    }
}

impl Notifier for Sentry {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}

/// `Kind: namespace/name` (`eventSummary`).
fn summary(event: &Event) -> String {
    let o = &event.involved_object;
    format!("{}: {}/{}", o.kind, o.namespace, o.name)
}

/// `toSentryEvent`: an error event with the metadata as `extra`.
fn error_event(event: &Event) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("timestamp".into(), json!(event.timestamp));
    m.insert("level".into(), json!(event.severity.as_str()));
    m.insert("server_name".into(), json!(event.reporting_controller));
    m.insert("transaction".into(), json!(summary(event)));
    if !event.metadata.is_empty() {
        m.insert("extra".into(), json!(event.metadata));
    }
    m.insert("message".into(), json!(event.message));
    m
}

/// `eventToSpan`: a transaction whose trace context and single span share the ids; the span
/// starts and ends at the event's timestamp.
fn transaction(event: &Event, trace_id: &str, span_id: &str) -> Map<String, Value> {
    let o = &event.involved_object;
    // The identity first, then the metadata, which wins on a clash as in Flux.
    let mut tags: std::collections::BTreeMap<String, String> = [
        ("flux_involved_object_kind", &o.kind),
        ("flux_involved_object_namespace", &o.namespace),
        ("flux_involved_object_name", &o.name),
        ("flux_reporting_controller", &event.reporting_controller),
        ("flux_reporting_instance", &event.reporting_instance),
        ("flux_reason", &event.reason),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect();
    tags.extend(event.metadata.clone());
    let span = json!({
        "trace_id": trace_id, "span_id": span_id, "op": "event", "tags": tags,
        "start_timestamp": event.timestamp, "timestamp": event.timestamp,
    });
    let mut m = Map::new();
    m.insert("type".into(), json!("transaction"));
    m.insert("transaction".into(), json!(summary(event)));
    m.insert("message".into(), json!(event.message));
    m.insert("contexts".into(), json!({"trace": {"trace_id": trace_id, "span_id": span_id, "op": "event"}}));
    m.insert("tags".into(), json!(tags));
    m.insert("timestamp".into(), json!(event.timestamp));
    m.insert("start_timestamp".into(), json!(event.timestamp));
    m.insert("spans".into(), json!([span]));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_envelope_endpoint_from_the_dsn() {
        let d = parse_dsn("sentry", "https://abc123@o1.ingest.sentry.io/42").unwrap();
        assert_eq!(d.envelope.as_str(), "https://o1.ingest.sentry.io/api/42/envelope/");
        assert_eq!((d.public_key.as_str(), d.secret_key), ("abc123", None));
        let d = parse_dsn("sentry", "http://k:s@sentry.local:9000/prefix/7/").unwrap();
        assert_eq!(d.envelope.as_str(), "http://sentry.local:9000/prefix/api/7/envelope/");
        assert_eq!(d.secret_key.as_deref(), Some("s"));
        for bad in ["", "https://sentry.io/42", "https://abc@sentry.io/", "ftp://abc@sentry.io/1", "nope"] {
            let err = parse_dsn("sentry", bad).unwrap_err().to_string();
            assert!(bad.is_empty() || !err.contains(bad), "{err}");
        }
    }
}
