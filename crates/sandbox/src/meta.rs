//! Helpers for `metadata` on objects held as JSON values, timestamps and name validation.

use serde_json::{Map, Value, json};

use crate::error::Cause;

/// Now as an RFC 3339 timestamp with second precision, like `metav1.Time`.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Seconds since the timestamp, or `None` when it does not parse.
pub fn age_seconds(ts: &str) -> Option<i64> {
    let t: jiff::Timestamp = ts.parse().ok()?;
    Some(jiff::Timestamp::now().as_second() - t.as_second())
}

pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn metadata(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata")?.as_object()
}

/// The value as a map, replacing it with an empty object when it is not one.
pub fn as_map(v: &mut Value) -> &mut Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => {
            *other = Value::Object(Map::new());
            as_map(other)
        }
    }
}

/// The `metadata` map, created when missing or not an object.
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    as_map(as_map(obj).entry("metadata").or_insert_with(|| Value::Object(Map::new())))
}

pub fn meta_str<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    metadata(obj)?.get(key)?.as_str()
}

pub fn name(obj: &Value) -> &str {
    meta_str(obj, "name").unwrap_or("")
}

pub fn namespace(obj: &Value) -> &str {
    meta_str(obj, "namespace").unwrap_or("")
}

pub fn uid(obj: &Value) -> &str {
    meta_str(obj, "uid").unwrap_or("")
}

pub fn resource_version(obj: &Value) -> &str {
    meta_str(obj, "resourceVersion").unwrap_or("")
}

pub fn labels(obj: &Value) -> Option<&Map<String, Value>> {
    metadata(obj)?.get("labels")?.as_object()
}

pub fn finalizers(obj: &Value) -> Vec<String> {
    metadata(obj)
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

pub fn set_finalizers(obj: &mut Value, list: &[String]) {
    let meta = metadata_mut(obj);
    if list.is_empty() {
        meta.remove("finalizers");
    } else {
        meta.insert("finalizers".to_owned(), json!(list));
    }
}

pub fn is_deleting(obj: &Value) -> bool {
    metadata(obj).is_some_and(|m| m.get("deletionTimestamp").is_some_and(|v| !v.is_null()))
}

/// `(apiVersion, kind, name, uid)` of every ownerReference.
pub fn owner_uids(obj: &Value) -> Vec<String> {
    metadata(obj)
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|r| r.get("uid")?.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Removes the ownerReferences pointing to `owner_uid`; returns whether any was removed.
pub fn remove_owner(obj: &mut Value, owner_uid: &str) -> bool {
    let meta = metadata_mut(obj);
    let Some(Value::Array(refs)) = meta.get_mut("ownerReferences") else { return false };
    let before = refs.len();
    refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
    let changed = refs.len() != before;
    if refs.is_empty() {
        meta.remove("ownerReferences");
    }
    changed
}

fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(dns_label)
}

/// Validates `metadata.name` the way kube-apiserver does for most kinds (DNS-1123 subdomain;
/// DNS-1123 label for namespaces and services).
pub fn validate_name(name: &str, label_only: bool) -> Option<Cause> {
    let reason = glidepath_api::field::FieldErrorType::Invalid.cause_reason();
    if name.is_empty() {
        let required = glidepath_api::field::FieldErrorType::Required.cause_reason();
        return Some(Cause::new(required, "metadata.name", "Required value: name or generateName is required"));
    }
    let ok = if label_only { dns_label(name) } else { dns_subdomain(name) };
    if ok {
        return None;
    }
    let what = if label_only { "RFC 1123 label" } else { "RFC 1123 subdomain" };
    Some(Cause::new(
        reason,
        "metadata.name",
        format!(
            "Invalid value: {name:?}: a lowercase {what} must consist of lower case alphanumeric characters, '-' or '.', \
             and must start and end with an alphanumeric character"
        ),
    ))
}

/// Five random lowercase alphanumerics, as `generateName` appends.
pub fn random_suffix() -> String {
    const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes.iter().take(5).map(|b| char::from(CHARS[usize::from(*b) % CHARS.len()])).collect()
}

fn qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && name.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|c| c.is_ascii_alphanumeric());
    name_ok && prefix.is_none_or(dns_subdomain)
}

fn label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            && v.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && v.bytes().last().is_some_and(|c| c.is_ascii_alphanumeric()))
}

/// Validates label keys and values and annotation keys, as kube-apiserver does for every kind.
pub fn validate_labels(obj: &Value) -> Vec<Cause> {
    let reason = glidepath_api::field::FieldErrorType::Invalid.cause_reason();
    let mut out = Vec::new();
    let Some(m) = metadata(obj) else { return out };
    for (field, check_values) in [("labels", true), ("annotations", false)] {
        let Some(entry) = m.get(field) else { continue };
        let Some(map) = entry.as_object() else {
            if !entry.is_null() {
                out.push(Cause::new(reason, format!("metadata.{field}"), "Invalid value: must be a map of strings"));
            }
            continue;
        };
        for (k, v) in map {
            if !qualified_name(k) {
                out.push(Cause::new(
                    reason,
                    format!("metadata.{field}"),
                    format!(
                        "Invalid value: {k:?}: name part must consist of alphanumeric characters, '-', '_' or '.', \
                         and must start and end with an alphanumeric character"
                    ),
                ));
            }
            match v.as_str() {
                Some(s) if !check_values || label_value(s) => {}
                Some(s) => out.push(Cause::new(
                    reason,
                    format!("metadata.{field}"),
                    format!(
                        "Invalid value: {s:?}: a valid label must be an empty string or consist of alphanumeric \
                         characters, '-', '_' or '.', and must start and end with an alphanumeric character"
                    ),
                )),
                None => out.push(Cause::new(
                    reason,
                    format!("metadata.{field}"),
                    format!("Invalid value: {v}: must be a string"),
                )),
            }
        }
    }
    out
}
