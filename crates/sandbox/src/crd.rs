//! CustomResourceDefinitions: turning a CRD object into served resources, and the status
//! (`Established`, `NamesAccepted`) kube-apiserver's CRD controllers would write.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::error::Cause;
use crate::resource::{ALL_VERBS, Column, ResourceInfo, ScalePaths};
use crate::schema::Schema;

fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn required(field: &str) -> Cause {
    Cause::new(glidepath_api::field::FieldErrorType::Required.cause_reason(), field, "Required value")
}

fn invalid(field: &str, message: String) -> Cause {
    Cause::new(glidepath_api::field::FieldErrorType::Invalid.cause_reason(), field, message)
}

/// The served versions of a CRD as registry entries, or the reasons it is invalid.
pub fn served(crd: &Value) -> Result<Vec<ResourceInfo>, Vec<Cause>> {
    let mut causes = Vec::new();
    let group = s(crd, "/spec/group");
    let plural = s(crd, "/spec/names/plural");
    let kind = s(crd, "/spec/names/kind");
    let scope = s(crd, "/spec/scope");
    if group.is_empty() {
        causes.push(required("spec.group"));
    } else if !group.contains('.') {
        causes
            .push(invalid("spec.group", format!("Invalid value: {group:?}: should be a domain with at least one dot")));
    }
    if plural.is_empty() {
        causes.push(required("spec.names.plural"));
    }
    if kind.is_empty() {
        causes.push(required("spec.names.kind"));
    }
    if !matches!(scope, "Namespaced" | "Cluster") {
        causes.push(Cause::new(
            glidepath_api::field::FieldErrorType::NotSupported.cause_reason(),
            "spec.scope",
            format!("Unsupported value: {scope:?}: supported values: \"Cluster\", \"Namespaced\""),
        ));
    }
    let name = crate::meta::name(crd);
    let want = format!("{plural}.{group}");
    if !plural.is_empty() && !group.is_empty() && name != want {
        causes.push(invalid(
            "metadata.name",
            format!("Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"),
        ));
    }
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array).cloned().unwrap_or_default();
    if versions.is_empty() {
        causes.push(required("spec.versions"));
    }
    let storage = versions.iter().filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true)).count();
    if !versions.is_empty() && storage != 1 {
        causes.push(invalid(
            "spec.versions",
            "Invalid value: must have exactly one version marked as storage version".to_owned(),
        ));
    }
    if !causes.is_empty() {
        return Err(causes);
    }
    let singular = match s(crd, "/spec/names/singular") {
        "" => kind.to_lowercase(),
        x => x.to_owned(),
    };
    let mut out = Vec::new();
    for v in &versions {
        if v.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let version = s(v, "/name");
        let scale = v.pointer("/subresources/scale").map(|sc| ScalePaths {
            spec_replicas: s(sc, "/specReplicasPath").to_owned(),
            status_replicas: s(sc, "/statusReplicasPath").to_owned(),
            label_selector: sc.get("labelSelectorPath").and_then(Value::as_str).map(str::to_owned),
        });
        let columns = v.get("additionalPrinterColumns").and_then(Value::as_array).map(|cols| {
            cols.iter()
                .map(|c| Column {
                    name: s(c, "/name").to_owned(),
                    kind: s(c, "/type").to_owned(),
                    format: s(c, "/format").to_owned(),
                    description: s(c, "/description").to_owned(),
                    priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                    json_path: s(c, "/jsonPath").to_owned(),
                })
                .collect()
        });
        let schema = v.pointer("/schema/openAPIV3Schema").map(|sch| Arc::new(Schema::new(sch.clone())));
        out.push(ResourceInfo {
            group: group.to_owned(),
            version: version.to_owned(),
            plural: plural.to_owned(),
            singular: singular.clone(),
            kind: kind.to_owned(),
            namespaced: scope == "Namespaced",
            short_names: strings(crd.pointer("/spec/names/shortNames")),
            categories: strings(crd.pointer("/spec/names/categories")),
            verbs: ALL_VERBS.iter().map(|x| (*x).to_owned()).collect(),
            status: v.pointer("/subresources/status").is_some(),
            scale,
            generation: true,
            columns,
            schema,
            custom: true,
            storage: None,
            conversion: crate::convert::Conversion::None,
        });
    }
    Ok(out)
}

/// Writes the status the CRD controllers would: names accepted, established, stored versions.
pub fn set_established(crd: &mut Value) {
    let now = crate::meta::now_rfc3339();
    let mut names = crd.pointer("/spec/names").cloned().unwrap_or_else(|| json!({}));
    let kind = s(crd, "/spec/names/kind").to_owned();
    if let Some(m) = names.as_object_mut() {
        m.entry("singular").or_insert_with(|| json!(kind.to_lowercase()));
        m.entry("listKind").or_insert_with(|| json!(format!("{kind}List")));
    }
    let stored: Vec<String> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let status = json!({
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": now},
        ],
        "acceptedNames": names,
        "storedVersions": stored,
    });
    let old_status = crd.get("status").cloned();
    // Keep transition times stable across updates.
    let keep = old_status.as_ref().is_some_and(|o| o.get("acceptedNames") == status.get("acceptedNames"));
    if !keep {
        crate::meta::as_map(crd).insert("status".to_owned(), status);
    }
}
