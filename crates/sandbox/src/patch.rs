//! PATCH bodies: JSON merge patch, JSON patch, strategic merge patch (built-in kinds, through
//! `glidepath-patch`'s shared merge-key table) and server-side apply (through `glidepath-ssa`).

use glidepath_patch::{BuiltinSchema, SmpMode};
use glidepath_ssa::{ApplySchema, OpenApiSchema, SsaError, Writer};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::resource::ResourceInfo;

/// A parsed PATCH request body.
#[derive(Debug, Clone)]
pub enum Patch {
    Merge(Value),
    Json(json_patch::Patch),
    Strategic(Value),
    /// Server-side apply: the applied configuration.
    Apply(Value),
}

impl Patch {
    pub fn parse(content_type: &str, body: &[u8]) -> Result<Self, ApiError> {
        match content_type {
            "application/merge-patch+json" => Ok(Self::Merge(crate::http::parse_json(body)?)),
            "application/json-patch+json" => {
                let v = crate::http::parse_json(body)?;
                let p: json_patch::Patch =
                    serde_json::from_value(v).map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
                Ok(Self::Json(p))
            }
            "application/strategic-merge-patch+json" => Ok(Self::Strategic(crate::http::parse_json(body)?)),
            "application/apply-patch+yaml" => {
                let v = crate::http::parse_yaml(body)?;
                if !v.is_object() {
                    return Err(ApiError::bad_request("an apply configuration must be an object"));
                }
                Ok(Self::Apply(v))
            }
            other => Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format - accepted media types include: \
                 application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, \
                 application/strategic-merge-patch+json; got {other:?}"
            ))),
        }
    }

    /// Applies a merge, JSON or strategic patch to a copy of `current`.
    pub fn apply(&self, current: &Value) -> Result<Value, ApiError> {
        let mut doc = current.clone();
        match self {
            Self::Merge(p) => {
                if !p.is_object() {
                    return Err(ApiError::bad_request("a merge patch must be a JSON object"));
                }
                json_patch::merge(&mut doc, p);
            }
            Self::Json(p) => {
                json_patch::patch(&mut doc, p).map_err(|e| {
                    ApiError::unprocessable(format!(
                        "the server rejected our request due to an error in our request: {e}"
                    ))
                })?;
            }
            Self::Strategic(p) => {
                doc = glidepath_patch::strategic_merge(current, p, SmpMode::Kubernetes)
                    .map_err(|e| ApiError::unprocessable(format!("strategic merge patch: {e}")))?
                    .ok_or_else(|| ApiError::unprocessable("a patch cannot delete the object; use DELETE"))?;
            }
            Self::Apply(_) => return Err(ApiError::bad_request("server-side apply is not a plain patch")),
        }
        Ok(doc)
    }
}

/// Runs `f` with the schema server-side apply uses for `info`: a custom resource's
/// `openAPIV3Schema` (list types, map types, keys), the built-in table otherwise.
fn with_schema<T>(info: &ResourceInfo, f: impl FnOnce(&dyn ApplySchema) -> T) -> T {
    match info.schema.as_deref().filter(|_| info.custom) {
        Some(schema) => f(&OpenApiSchema::new(schema.root())),
        None => f(&BuiltinSchema),
    }
}

/// Server-side apply of `config` onto `current` (`None` creates): the merged object with its
/// managed fields, or a 409 naming every conflicting field and manager.
pub fn server_side_apply(
    info: &ResourceInfo,
    current: Option<&Value>,
    config: &Value,
    writer: &Writer<'_>,
    force: bool,
    name: &str,
) -> Result<Value, ApiError> {
    with_schema(info, |schema| glidepath_ssa::apply(current, config, writer, force, schema)).map_err(|e| match &e {
        SsaError::Conflicts(conflicts) => {
            let causes: Vec<Value> = conflicts
                .iter()
                .map(|c| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{}\"", c.manager), "field": c.field}))
                .collect();
            ApiError::apply_conflict(e.to_string(), &info.group, &info.plural, name, causes)
        }
        SsaError::ParseConfiguration => ApiError::bad_request(e.to_string()),
    })
}

/// Record an update by `writer` in the managed fields of `new`.
pub fn record_update(info: &ResourceInfo, old: Option<&Value>, new: &mut Value, writer: &Writer<'_>) {
    with_schema(info, |schema| glidepath_ssa::record_update(old, new, writer, schema));
}
