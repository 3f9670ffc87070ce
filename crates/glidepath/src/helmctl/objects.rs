//! A release's rendered manifests as the objects the apply layer gets: parsed, placed in the
//! release namespace when they name none, and marked as Helm marks them (label
//! `app.kubernetes.io/managed-by: Helm`, annotations `meta.helm.sh/release-name` and
//! `-namespace`, so `helm` itself recognises them), plus helm-controller's origin labels
//! (`helm.toolkit.fluxcd.io/name`, `/namespace`) and `spec.commonMetadata`.

use std::collections::BTreeMap;

use glidepath_apply::object::{annotation, metadata_map};
use serde_json::Value;

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const RELEASE_NAME: &str = "meta.helm.sh/release-name";
pub const RELEASE_NAMESPACE: &str = "meta.helm.sh/release-namespace";
pub const ORIGIN_NAME: &str = "helm.toolkit.fluxcd.io/name";
pub const ORIGIN_NAMESPACE: &str = "helm.toolkit.fluxcd.io/namespace";
/// Objects Helm leaves behind on uninstall and upgrade.
pub const RESOURCE_POLICY: &str = "helm.sh/resource-policy";

/// Who renders and owns the objects.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    pub release: String,
    pub namespace: String,
    /// The HelmRelease.
    pub owner_name: String,
    pub owner_namespace: String,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
}

/// Parse a release manifest (`---`-separated documents) into objects, marked. An error names
/// the template the document came from.
pub fn parse_manifest(manifest: &str, marks: &Marks) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for doc in glidepath_helm::manifest::split_manifests(manifest) {
        let source = doc.lines().find_map(|l| l.strip_prefix("# Source: ")).unwrap_or("manifest").to_owned();
        let v: Value = serde_norway::from_str(&doc).map_err(|e| format!("{source}: invalid YAML: {e}"))?;
        match v {
            Value::Null => continue,
            Value::Object(_) => {}
            _ => return Err(format!("{source}: a document is not an object")),
        }
        if v.get("kind").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(format!("{source}: object has no kind"));
        }
        out.push(mark(v, marks));
    }
    Ok(out)
}

/// `obj` with the release's namespace (when it names none) and marks.
pub fn mark(mut obj: Value, marks: &Marks) -> Value {
    let meta = metadata_map(&mut obj, "labels");
    for (k, v) in &marks.common_labels {
        meta.insert(k.clone(), Value::String(v.clone()));
    }
    meta.insert(MANAGED_BY.into(), "Helm".into());
    meta.insert(ORIGIN_NAME.into(), Value::String(marks.owner_name.clone()));
    meta.insert(ORIGIN_NAMESPACE.into(), Value::String(marks.owner_namespace.clone()));
    let ann = metadata_map(&mut obj, "annotations");
    for (k, v) in &marks.common_annotations {
        ann.insert(k.clone(), Value::String(v.clone()));
    }
    ann.insert(RELEASE_NAME.into(), Value::String(marks.release.clone()));
    ann.insert(RELEASE_NAMESPACE.into(), Value::String(marks.namespace.clone()));
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut)
        && m.get("namespace").and_then(Value::as_str).is_none_or(str::is_empty)
    {
        // Cluster-scoped kinds lose it again in the apply layer's preflight.
        m.insert("namespace".into(), Value::String(marks.namespace.clone()));
    }
    obj
}

/// Helm's ownership check of an existing object: it belongs to this release, or to no release
/// at all (then it is taken over, as helm-controller does unless `disableTakeOwnership`). An
/// object of another release is never taken: the error is Helm's.
pub fn ownership_conflict(live: &Value, release: &str, namespace: &str, take_ownership: bool) -> Option<String> {
    let name = annotation(live, RELEASE_NAME);
    let ns = annotation(live, RELEASE_NAMESPACE);
    let managed = live.pointer("/metadata/labels").and_then(|l| l.get(MANAGED_BY)).and_then(Value::as_str);
    if name == Some(release) && ns == Some(namespace) {
        return None;
    }
    let unowned = name.is_none() && ns.is_none();
    if unowned && take_ownership {
        return None;
    }
    let mut problems = Vec::new();
    if managed != Some("Helm") {
        problems.push(format!("label validation error: missing key \"{MANAGED_BY}\": must be set to \"Helm\""));
    }
    match name {
        Some(n) if n != release => problems.push(format!(
            "annotation validation error: key \"{RELEASE_NAME}\" must equal \"{release}\": current value is \"{n}\""
        )),
        None => problems
            .push(format!("annotation validation error: missing key \"{RELEASE_NAME}\": must be set to \"{release}\"")),
        _ => {}
    }
    match ns {
        Some(n) if n != namespace => problems.push(format!(
            "annotation validation error: key \"{RELEASE_NAMESPACE}\" must equal \"{namespace}\": current value is \"{n}\""
        )),
        None => problems.push(format!(
            "annotation validation error: missing key \"{RELEASE_NAMESPACE}\": must be set to \"{namespace}\""
        )),
        _ => {}
    }
    Some(format!("invalid ownership metadata; {}", problems.join("; ")))
}

/// Whether Helm keeps `obj` when the release drops it (`helm.sh/resource-policy: keep`).
pub fn kept(obj: &Value) -> bool {
    annotation(obj, RESOURCE_POLICY) == Some("keep")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn marks() -> Marks {
        Marks {
            release: "podinfo".into(),
            namespace: "apps".into(),
            owner_name: "podinfo".into(),
            owner_namespace: "flux-system".into(),
            common_labels: [("team".to_owned(), "a".to_owned())].into(),
            ..Marks::default()
        }
    }

    #[test]
    fn objects_are_placed_and_marked_as_helm_and_flux_mark_them() {
        let manifest = "---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n\n---\n# Source: c/templates/ns.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n  namespace: other\n";
        let objs = parse_manifest(manifest, &marks()).unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0]["metadata"]["namespace"], "apps");
        assert_eq!(objs[1]["metadata"]["namespace"], "other");
        assert_eq!(objs[0]["metadata"]["labels"][MANAGED_BY], "Helm");
        assert_eq!(objs[0]["metadata"]["labels"]["team"], "a");
        assert_eq!(objs[0]["metadata"]["labels"][ORIGIN_NAMESPACE], "flux-system");
        assert_eq!(objs[0]["metadata"]["annotations"][RELEASE_NAME], "podinfo");
        assert_eq!(objs[0]["metadata"]["annotations"][RELEASE_NAMESPACE], "apps");
    }

    #[test]
    fn bad_documents_name_their_template() {
        let err = parse_manifest("---\n# Source: c/templates/bad.yaml\nkind: [\n", &marks()).unwrap_err();
        assert!(err.starts_with("c/templates/bad.yaml: invalid YAML"), "{err}");
        let err =
            parse_manifest("---\n# Source: c/templates/nokind.yaml\nmetadata: {name: a}\n", &marks()).unwrap_err();
        assert_eq!(err, "c/templates/nokind.yaml: object has no kind");
    }

    #[test]
    fn objects_of_another_release_are_never_taken() {
        let other = json!({"metadata": {"labels": {MANAGED_BY: "Helm"},
            "annotations": {RELEASE_NAME: "other", RELEASE_NAMESPACE: "apps"}}});
        let err = ownership_conflict(&other, "podinfo", "apps", true).unwrap();
        assert!(
            err.contains("key \"meta.helm.sh/release-name\" must equal \"podinfo\": current value is \"other\""),
            "{err}"
        );
        let mine = json!({"metadata": {"annotations": {RELEASE_NAME: "podinfo", RELEASE_NAMESPACE: "apps"}}});
        assert_eq!(ownership_conflict(&mine, "podinfo", "apps", false), None);
        let unowned = json!({"metadata": {"name": "x"}});
        assert_eq!(ownership_conflict(&unowned, "podinfo", "apps", true), None);
        let err = ownership_conflict(&unowned, "podinfo", "apps", false).unwrap();
        assert!(err.contains("missing key \"app.kubernetes.io/managed-by\""), "{err}");
    }
}
