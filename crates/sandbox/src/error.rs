//! Errors: [`ApiError`] is a `metav1.Status` failure sent to clients; [`SandboxError`] is what the
//! library API returns to its caller.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Failures of the sandbox library API (starting and stopping the server).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("binding the sandbox listener on {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("reading the sandbox listener address")]
    LocalAddr(#[source] std::io::Error),
    #[error("serving the sandbox API")]
    Serve(#[source] std::io::Error),
    #[error("writing the kubeconfig to {path}")]
    WriteKubeconfig {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading or writing the sandbox state at {path}")]
    State {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing line {line} of the sandbox state file {path}")]
    ParseState {
        path: std::path::PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("waiting for the sandbox server task")]
    Join(#[source] tokio::task::JoinError),
}

/// One `StatusCause` of an `Invalid` (422) error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub reason: String,
    pub field: String,
    pub message: String,
}

impl Cause {
    pub fn new(reason: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { reason: reason.to_owned(), field: field.into(), message: message.into() }
    }

    /// The `<field>: <message>` text kube-apiserver puts in the Status message.
    pub fn text(&self) -> String {
        if self.field.is_empty() { self.message.clone() } else { format!("{}: {}", self.field, self.message) }
    }
}

/// A failed API request, rendered as a `metav1.Status` with the HTTP code and reason
/// kube-apiserver would use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason} ({code}): {message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self { code, reason, message: message.into(), details: None }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// `<plural> "<name>" not found`.
    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        let kind_desc = qualified(plural, group);
        Self::new(404, "NotFound", format!("{kind_desc} \"{name}\" not found"))
            .with_details(details(name, group, plural))
    }

    /// An unknown URL or resource.
    pub fn no_route() -> Self {
        Self::new(404, "NotFound", "the server could not find the requested resource").with_details(json!({}))
    }

    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        Self::new(409, "AlreadyExists", format!("{} \"{name}\" already exists", qualified(plural, group)))
            .with_details(details(name, group, plural))
    }

    /// A stale `resourceVersion` (optimistic concurrency).
    pub fn conflict(group: &str, plural: &str, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {} \"{name}\": {why}", qualified(plural, group)),
        )
        .with_details(details(name, group, plural))
    }

    /// A server-side apply that touches fields other managers own (409 with causes).
    pub fn apply_conflict(message: String, group: &str, plural: &str, name: &str, causes: Vec<Value>) -> Self {
        let mut d = details(name, group, plural);
        d["causes"] = Value::Array(causes);
        Self::new(409, "Conflict", message).with_details(d)
    }

    pub fn stale(group: &str, plural: &str, name: &str) -> Self {
        Self::conflict(
            group,
            plural,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 422 with one cause per field.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<Cause>) -> Self {
        let list: Vec<String> = causes.iter().map(Cause::text).collect();
        let joined = if list.len() == 1 { list.join("") } else { format!("[{}]", list.join(", ")) };
        let kind_desc = if group.is_empty() { kind.to_owned() } else { format!("{kind}.{group}") };
        let causes: Vec<Value> =
            causes.iter().map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field})).collect();
        Self::new(422, "Invalid", format!("{kind_desc} \"{name}\" is invalid: {joined}"))
            .with_details(json!({"name": name, "group": group, "kind": kind, "causes": causes}))
    }

    /// 422 without field causes (a patch that cannot be applied).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(422, "Invalid", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            .with_details(json!({}))
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(413, "RequestEntityTooLarge", format!("Request entity too large: limit is {limit}"))
    }

    /// 429 as kube-apiserver's priority and fairness answers it.
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        Self::new(429, "TooManyRequests", "Too many requests, please try again later.")
            .with_details(json!({"retryAfterSeconds": retry_after_seconds}))
    }

    /// An injected server failure: 500 InternalError, 503 ServiceUnavailable, 504 Timeout.
    pub fn server_error(code: u16, resource: &str) -> Self {
        match code {
            503 => Self::new(503, "ServiceUnavailable", "the server is currently unable to handle the request"),
            504 => {
                Self::new(504, "Timeout", format!("the server was unable to return a response in time ({resource})"))
            }
            other => Self::new(
                if (500..600).contains(&other) { other } else { 500 },
                "InternalError",
                format!("Internal error occurred: injected fault serving {resource}"),
            ),
        }
    }

    /// 410: the requested resourceVersion was compacted away.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "Forbidden", message)
    }

    /// The `metav1.Status` object.
    pub fn status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let (Some(details), Some(map)) = (&self.details, status.as_object_mut()) {
            map.insert("details".to_owned(), details.clone());
        }
        status
    }
}

fn qualified(plural: &str, group: &str) -> String {
    if group.is_empty() { plural.to_owned() } else { format!("{plural}.{group}") }
}

fn details(name: &str, group: &str, plural: &str) -> Value {
    let mut d = json!({"name": name, "kind": plural});
    if !group.is_empty()
        && let Some(map) = d.as_object_mut()
    {
        map.insert("group".to_owned(), json!(group));
    }
    d
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        crate::http::json_response(code, &self.status())
    }
}
