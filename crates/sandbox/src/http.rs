//! HTTP plumbing shared by the handlers: JSON responses, query parameters, request bodies.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use crate::error::ApiError;
use crate::selector::{FieldSelector, LabelSelector, Selectors};
use crate::store::{FieldValidation, WriteOptions};

pub fn json_response(code: StatusCode, v: &Value) -> Response {
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = code;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// Decoded query parameters (last value wins).
#[derive(Debug, Clone, Default)]
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let mut map = HashMap::new();
        for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(decode(k), decode(v));
        }
        Self(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }

    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.get("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => {
                Err(ApiError::bad_request(format!("dryRun: Unsupported value: {other:?}: supported values: \"All\"")))
            }
        }
    }

    /// `dryRun` and `fieldValidation` of a write.
    pub fn write_options(&self) -> Result<WriteOptions, ApiError> {
        let field_validation = match self.get("fieldValidation") {
            None | Some("") | Some("Warn") => FieldValidation::Warn,
            Some("Strict") => FieldValidation::Strict,
            Some("Ignore") => FieldValidation::Ignore,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "fieldValidation: Unsupported value: {other:?}: supported values: \"Ignore\", \"Strict\", \"Warn\""
                )));
            }
        };
        Ok(WriteOptions { dry_run: self.dry_run()?, field_validation })
    }

    /// Label and field selectors; `info` decides which field labels are supported.
    pub fn selectors(&self, info: &crate::resource::ResourceInfo) -> Result<Selectors, ApiError> {
        let extra = crate::selector::supported_fields(&info.group, &info.plural);
        Ok(Selectors {
            labels: LabelSelector::parse(self.get("labelSelector").unwrap_or_default())?,
            fields: FieldSelector::parse_for(self.get("fieldSelector").unwrap_or_default(), extra)?,
        })
    }

    pub fn number(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
                ApiError::bad_request(format!("{key}: Invalid value: {v:?}: must be a non-negative integer"))
            }),
        }
    }
}

/// Percent-decoding for query strings (`+` is a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Adds one `Warning: 299 - "..."` header per warning.
pub fn with_warnings(mut resp: Response, warnings: &[String]) -> Response {
    for w in warnings {
        let text = format!("299 - \"{}\"", w.replace('"', "\\\""));
        if let Ok(v) = HeaderValue::from_str(&text) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    resp
}

/// What representation the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

/// The representation a GET, LIST or WATCH answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The objects themselves.
    Object,
    /// A `meta.k8s.io` Table (as `kubectl get` asks for).
    Table(IncludeObject),
    /// `PartialObjectMetadata(List)`: metadata only (metadata-only informers, `kube::runtime::metadata_watcher`).
    Metadata,
}

/// What the client asked for in the first entry of its `Accept` header.
pub fn view(headers: &HeaderMap, query: &Query) -> View {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let first = accept.split(',').next().unwrap_or_default();
    if first.contains("as=Table") {
        return View::Table(match query.get("includeObject") {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        });
    }
    // `as=PartialObjectMetadata` and `as=PartialObjectMetadataList`.
    if first.contains("as=PartialObjectMetadata") {
        return View::Metadata;
    }
    View::Object
}

pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Parses a create/update body: JSON, or YAML when the content type says so.
pub fn parse_body(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, ApiError> {
    match content_type(headers).as_str() {
        "application/yaml" => {}
        "application/vnd.kubernetes.protobuf" => return crate::protobuf::decode(bytes),
        _ => return parse_json(bytes),
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    parse_yaml(bytes)
}

/// Parses a YAML body. JSON is YAML, and what clients send as YAML mostly is JSON (kube-rs,
/// client-go apply requests), so a body that opens like JSON is read as JSON first — like
/// kube-apiserver's `YAMLOrJSONDecoder`, and far cheaper than the YAML parser.
pub fn parse_yaml(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && let Ok(v) = serde_json::from_slice(bytes)
    {
        return Ok(v);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ApiError::bad_request(format!("yaml parse error: {e}")))?;
    serde_norway::from_str(text).map_err(|e| ApiError::bad_request(format!("yaml parse error: {e}")))
}

/// Parses a JSON request body.
pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("json parse error: {e}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::parse_yaml;

    #[test]
    fn yaml_bodies_read_json_directly_and_fall_back_to_yaml() {
        assert_eq!(parse_yaml(br#" {"a": {"b": [1, "x"]}}"#).ok(), Some(json!({"a": {"b": [1, "x"]}})));
        // A YAML flow mapping opens like JSON but is not JSON.
        assert_eq!(parse_yaml(b"{a: b, c: [1]}").ok(), Some(json!({"a": "b", "c": [1]})));
        assert_eq!(parse_yaml(b"a: 1\nb: on\n").ok(), Some(json!({"a": 1, "b": "on"})));
        assert!(parse_yaml(b"{a: [unclosed").is_err());
    }
}
