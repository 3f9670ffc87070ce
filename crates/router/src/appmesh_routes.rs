//! The App Mesh route pieces of `appmesh:v1beta2`: the protocol a Canary's port speaks, the
//! route kind and timeouts that go with it, retry policies and A/B header matches, as
//! `appmesh.k8s.aws/v1beta2` spells them.

use glidepath_api::duration;
use glidepath_api::flagger::istio::AbMatch;
use serde_json::{Map, Value, json};

use crate::{RouteContext, RouterError};

pub(crate) const NAME: &str = "appmesh:v1beta2";
pub(crate) const NAME_V1BETA1: &str = "appmesh";

pub(crate) fn err(field: &'static str, message: impl Into<String>) -> RouterError {
    err_for(NAME, field, message)
}

pub(crate) fn err_for(provider: &'static str, field: &'static str, message: impl Into<String>) -> RouterError {
    RouterError::BuildRoutes { provider, field, message: message.into() }
}

/// The listener protocol, which also decides the route kind: App Mesh only attaches routes of
/// the virtual router listener's protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    Http,
    Http2,
    Grpc,
}

impl Protocol {
    /// Flagger's rule (a port name containing `grpc` is gRPC), then `appProtocol` for what
    /// Flagger does not tell apart (HTTP/2); TCP has no weighted header routes here.
    pub fn of(ctx: &RouteContext<'_>) -> Result<Protocol, RouterError> {
        let svc = ctx.service();
        let port_name = svc.and_then(|s| s.port_name.as_deref()).unwrap_or("http");
        let app = svc.and_then(|s| s.app_protocol.as_deref()).unwrap_or("").to_ascii_lowercase();
        if port_name.contains("grpc") || app == "grpc" {
            return Ok(Protocol::Grpc);
        }
        match app.as_str() {
            "" | "http" => Ok(Protocol::Http),
            "http2" | "h2c" | "kubernetes.io/h2c" => Ok(Protocol::Http2),
            other => Err(err(
                "spec.service.appProtocol",
                format!("{other}: appmesh:v1beta2 routes http, http2 or grpc (port name containing grpc)"),
            )),
        }
    }

    /// The `portMapping.protocol` and listener-timeout key.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Http2 => "http2",
            Protocol::Grpc => "grpc",
        }
    }

    /// The key of the route in `spec.routes[]`.
    pub fn route_key(self) -> &'static str {
        match self {
            Protocol::Http => "httpRoute",
            Protocol::Http2 => "http2Route",
            Protocol::Grpc => "grpcRoute",
        }
    }
}

/// A Go duration as App Mesh's `{unit: ms, value}`.
fn millis(field: &'static str, text: &str) -> Result<Value, RouterError> {
    let d = duration::parse(text).map_err(|e| err(field, e.to_string()))?;
    let ms = i64::try_from(d.as_millis()).map_err(|_| err(field, format!("{text}: out of range")))?;
    Ok(json!({"unit": "ms", "value": ms}))
}

/// `spec.service.timeout` as a route (and listener) `perRequest` timeout.
pub(crate) fn timeout(ctx: &RouteContext<'_>) -> Result<Option<Value>, RouterError> {
    match ctx.service().and_then(|s| s.timeout.as_deref()).filter(|t| !t.is_empty()) {
        Some(t) => Ok(Some(json!({"perRequest": millis("spec.service.timeout", t)?}))),
        None => Ok(None),
    }
}

const HTTP_EVENTS: &[&str] = &["server-error", "gateway-error", "client-error", "stream-error"];
const GRPC_EVENTS: &[&str] = &["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"];
const TCP_EVENTS: &[&str] = &["connection-error"];

/// `spec.service.retries` with Flagger's defaults (one attempt, 250ms per try, on
/// `gateway-error`), each `retryOn` event sorted into the list App Mesh's schema has it in.
pub(crate) struct Retry {
    pub attempts: i32,
    pub per_try_ms: i64,
    pub http: Vec<String>,
    pub grpc: Vec<String>,
    pub tcp: Vec<String>,
}

pub(crate) fn retry(
    ctx: &RouteContext<'_>,
    provider: &'static str,
    grpc_events: bool,
) -> Result<Option<Retry>, RouterError> {
    const FIELD: &str = "spec.service.retries.perTryTimeout";
    let Some(r) = ctx.service().and_then(|s| s.retries.as_ref()) else { return Ok(None) };
    let per_try_ms = match r.per_try_timeout.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => {
            let d = duration::parse(t).map_err(|e| err_for(provider, FIELD, e.to_string()))?;
            i64::try_from(d.as_millis()).map_err(|_| err_for(provider, FIELD, format!("{t}: out of range")))?
        }
        None => 250,
    };
    let retry_on = r.retry_on.as_deref().filter(|s| !s.is_empty()).unwrap_or("gateway-error");
    let mut out = Retry {
        attempts: r.attempts.filter(|a| *a > 0).unwrap_or(1),
        per_try_ms,
        http: vec![],
        grpc: vec![],
        tcp: vec![],
    };
    for event in retry_on.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let list = if HTTP_EVENTS.contains(&event) {
            &mut out.http
        } else if TCP_EVENTS.contains(&event) {
            &mut out.tcp
        } else if grpc_events && GRPC_EVENTS.contains(&event) {
            &mut out.grpc
        } else {
            let known = if grpc_events { "http, tcp or grpc" } else { "http or tcp" };
            return Err(err_for(
                provider,
                "spec.service.retries.retryOn",
                format!("{event} is not an App Mesh {known} retry event (e.g. gateway-error, server-error)"),
            ));
        };
        list.push(event.to_owned());
    }
    Ok(Some(out))
}

/// The v1beta2 retry policy of a route.
pub(crate) fn retry_policy(ctx: &RouteContext<'_>, protocol: Protocol) -> Result<Option<Value>, RouterError> {
    let Some(r) = retry(ctx, NAME, protocol == Protocol::Grpc)? else { return Ok(None) };
    let mut policy = Map::new();
    policy.insert("maxRetries".into(), json!(r.attempts));
    policy.insert("perRetryTimeout".into(), json!({"unit": "ms", "value": r.per_try_ms}));
    for (key, events) in [("httpRetryEvents", r.http), ("grpcRetryEvents", r.grpc), ("tcpRetryEvents", r.tcp)] {
        if !events.is_empty() {
            policy.insert(key.into(), json!(events));
        }
    }
    Ok(Some(Value::Object(policy)))
}

/// The route's request match: the URI prefix of `spec.service.match[0]` (App Mesh routes by
/// prefix only, as Flagger) plus the headers of one `analysis.match` entry. gRPC routes match
/// metadata instead and have no prefix.
pub(crate) fn route_match(
    ctx: &RouteContext<'_>,
    provider: &'static str,
    protocol: Protocol,
    ab: Option<&AbMatch>,
) -> Result<Value, RouterError> {
    let mut out = Map::new();
    if protocol != Protocol::Grpc {
        let prefix = ctx
            .service()
            .and_then(|s| s.r#match.as_ref())
            .and_then(|m| m.first())
            .and_then(|m| m.uri.as_ref())
            .and_then(|u| u.prefix.as_deref())
            .filter(|p| !p.is_empty())
            .unwrap_or("/");
        out.insert("prefix".into(), json!(prefix));
    }
    if let Some(m) = ab {
        conditions(m, provider, protocol, &mut out)?;
    }
    Ok(Value::Object(out))
}

/// The header (gRPC: metadata) and query parameter conditions of one A/B entry.
fn conditions(
    m: &AbMatch,
    provider: &'static str,
    protocol: Protocol,
    out: &mut Map<String, Value>,
) -> Result<(), RouterError> {
    const FIELD: &str = "spec.analysis.match";
    let err = |field, message: String| err_for(provider, field, message);
    if m.source_labels.as_ref().is_some_and(|l| !l.is_empty()) {
        return Err(err(FIELD, "App Mesh cannot match source labels; use headers".into()));
    }
    let mut headers = Vec::new();
    for (name, hm) in m.headers.iter().flatten() {
        let method = [("exact", &hm.exact), ("prefix", &hm.prefix), ("suffix", &hm.suffix), ("regex", &hm.regex)]
            .into_iter()
            .find_map(|(k, v)| v.as_ref().map(|v| json!({k: v})))
            .ok_or_else(|| err(FIELD, format!("header {name}: one of exact, prefix, suffix, regex")))?;
        headers.push(json!({"name": name, "match": method}));
    }
    if !headers.is_empty() {
        let key = if protocol == Protocol::Grpc { "metadata" } else { "headers" };
        out.insert(key.into(), json!(headers));
    }
    let mut params = Vec::new();
    for (name, sm) in m.query_params.iter().flatten() {
        // The v1beta1 API has no query parameter matches.
        match (&sm.exact, protocol) {
            (Some(v), Protocol::Http | Protocol::Http2)
                if provider == NAME && sm.prefix.is_none() && sm.regex.is_none() =>
            {
                params.push(json!({"name": name, "match": {"exact": v}}))
            }
            _ => {
                return Err(err(
                    FIELD,
                    format!(
                        "query parameter {name}: App Mesh matches query parameters exactly, on HTTP routes, not in v1beta1"
                    ),
                ));
            }
        }
    }
    if !params.is_empty() {
        out.insert("queryParameters".into(), json!(params));
    }
    if out.get("headers").or(out.get("metadata")).or(out.get("queryParameters")).is_none() {
        return Err(err(FIELD, "an entry needs at least one header or query parameter".into()));
    }
    Ok(())
}
