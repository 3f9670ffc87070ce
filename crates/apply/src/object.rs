//! Object identity (cli-utils `ObjMetadata`), Flux's inventory id format, owner labels and the
//! per-object policy annotations.

use std::fmt;

use glidepath_api::flux::kustomization::ResourceRef;
use serde_json::{Map, Value};

use crate::error::ApplyError;

/// Owner label: the Kustomization's name.
pub const OWNER_NAME_LABEL: &str = "kustomize.toolkit.fluxcd.io/name";
/// Owner label: the Kustomization's namespace.
pub const OWNER_NAMESPACE_LABEL: &str = "kustomize.toolkit.fluxcd.io/namespace";
/// Per-object apply policy: `Override` (default), `Merge`, `IfNotPresent`, `Ignore`.
pub const SSA_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/ssa";
/// `enabled`: recreate the object on immutable-field errors.
pub const FORCE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/force";
/// `disabled`: never garbage-collect the object.
pub const PRUNE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/prune";
/// `disabled`: leave the object alone entirely.
pub const RECONCILE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/reconcile";

/// Group, kind, namespace and name of an object: what an inventory entry identifies.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjMeta {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// Kinds whose names may hold `:` (encoded as `__` in ids), as cli-utils does.
fn is_rbac(group: &str, kind: &str) -> bool {
    group == "rbac.authorization.k8s.io"
        && matches!(kind, "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding")
}

impl ObjMeta {
    pub fn new(group: &str, kind: &str, namespace: &str, name: &str) -> Self {
        ObjMeta { group: group.into(), kind: kind.into(), namespace: namespace.into(), name: name.into() }
    }

    /// Identity of a manifest; fails when `apiVersion`, `kind` or `metadata.name` is missing.
    pub fn of(obj: &Value) -> Result<Self, ApplyError> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        if api_version.is_empty() || kind.is_empty() || name.is_empty() {
            return Err(ApplyError::InvalidObject {
                object: format!("{kind} {name:?} ({api_version})"),
                reason: "apiVersion, kind and metadata.name are required".into(),
            });
        }
        let namespace = obj.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
        Ok(ObjMeta::new(group_of(api_version), kind, namespace, name))
    }

    /// `<namespace>_<name>_<group>_<kind>` (cli-utils `ObjMetadata.String()`).
    pub fn id(&self) -> String {
        let name = if is_rbac(&self.group, &self.kind) { self.name.replace(':', "__") } else { self.name.clone() };
        format!("{}_{}_{}_{}", self.namespace, name, self.group, self.kind)
    }

    /// Parse an inventory id; `None` when it does not have the four fields.
    pub fn parse(id: &str) -> Option<Self> {
        let parts: Vec<&str> = id.split('_').collect();
        if parts.len() < 4 {
            return None;
        }
        let (namespace, kind, group) = (parts[0], parts[parts.len() - 1], parts[parts.len() - 2]);
        let mut name = parts[1..parts.len() - 2].join("_");
        if is_rbac(group, kind) {
            name = name.replace("__", ":");
        }
        (!kind.is_empty() && !name.is_empty()).then(|| ObjMeta::new(group, kind, namespace, &name))
    }
}

impl fmt::Display for ObjMeta {
    /// Flux's change-log form: `Kind/namespace/name` (`Kind/name` when cluster-scoped).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// The group part of an `apiVersion` (`""` for the core group).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// The version part of an `apiVersion`.
pub fn version_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or(api_version, |(_, v)| v)
}

/// One inventory entry: identity plus the applied version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    pub meta: ObjMeta,
    pub version: String,
}

impl Entry {
    pub fn to_ref(&self) -> ResourceRef {
        ResourceRef { id: self.meta.id(), v: self.version.clone() }
    }

    pub fn from_ref(r: &ResourceRef) -> Option<Self> {
        ObjMeta::parse(&r.id).map(|meta| Entry { meta, version: r.v.clone() })
    }

    /// `apiVersion` of the entry (`v1`, `apps/v1`).
    pub fn api_version(&self) -> String {
        if self.meta.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.meta.group, self.version) }
    }
}

/// Entries of `old` whose identity is not in `new` (what a prune deletes), in `old`'s order.
pub fn stale(old: &[Entry], new: &[Entry]) -> Vec<Entry> {
    let keep: std::collections::HashSet<&ObjMeta> = new.iter().map(|e| &e.meta).collect();
    old.iter().filter(|e| !keep.contains(&e.meta)).cloned().collect()
}

/// The Kustomization that owns applied objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub name: String,
    pub namespace: String,
}

impl Owner {
    /// Set the owner labels on `obj` (overriding existing values).
    pub fn label(&self, obj: &mut Value) {
        let labels = metadata_map(obj, "labels");
        labels.insert(OWNER_NAME_LABEL.into(), Value::String(self.name.clone()));
        labels.insert(OWNER_NAMESPACE_LABEL.into(), Value::String(self.namespace.clone()));
    }

    /// Whether a live object carries this owner's labels (prune only deletes those).
    pub fn owns(&self, live: &Value) -> bool {
        let label =
            |k: &str| live.pointer(&format!("/metadata/labels/{}", k.replace('/', "~1"))).and_then(Value::as_str);
        label(OWNER_NAME_LABEL) == Some(self.name.as_str())
            && label(OWNER_NAMESPACE_LABEL) == Some(self.namespace.as_str())
    }
}

/// `metadata.<field>` of `obj` as a mutable map, created when missing.
pub fn metadata_map<'a>(obj: &'a mut Value, field: &str) -> &'a mut Map<String, Value> {
    let meta = as_map(obj).entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    as_map(as_map(meta).entry(field).or_insert_with(|| Value::Object(Map::new())))
}

/// `v` as a map, replacing a non-object value with an empty map.
pub fn as_map(v: &mut Value) -> &mut Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => {
            *other = Value::Object(Map::new());
            as_map(other)
        }
    }
}

/// An annotation of `obj`.
pub fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// The per-object apply policy (`kustomize.toolkit.fluxcd.io/ssa`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Policy {
    #[default]
    Override,
    Merge,
    IfNotPresent,
    Ignore,
}

impl Policy {
    /// Read the policy (Flux matches the values case-insensitively); `reconcile: disabled` is `Ignore`.
    pub fn of(obj: &Value) -> Self {
        if annotation(obj, RECONCILE_ANNOTATION).is_some_and(|v| v.eq_ignore_ascii_case("disabled")) {
            return Policy::Ignore;
        }
        match annotation(obj, SSA_ANNOTATION).map(str::to_ascii_lowercase).as_deref() {
            Some("merge") => Policy::Merge,
            Some("ifnotpresent") => Policy::IfNotPresent,
            Some("ignore") => Policy::Ignore,
            _ => Policy::Override,
        }
    }
}

/// The per-object force annotation.
pub fn force_enabled(obj: &Value) -> bool {
    annotation(obj, FORCE_ANNOTATION).is_some_and(|v| v.eq_ignore_ascii_case("enabled"))
}

/// Whether prune must leave the (live) object alone.
pub fn prune_disabled(obj: &Value) -> bool {
    annotation(obj, PRUNE_ANNOTATION).is_some_and(|v| v.eq_ignore_ascii_case("disabled"))
        || Policy::of(obj) == Policy::Ignore
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_follow_cli_utils() {
        assert_eq!(ObjMeta::new("", "Namespace", "", "ns1").id(), "_ns1__Namespace");
        assert_eq!(ObjMeta::new("", "Service", "default", "podinfo").id(), "default_podinfo__Service");
        assert_eq!(ObjMeta::new("apps", "Deployment", "a", "b").id(), "a_b_apps_Deployment");
        let rbac = ObjMeta::new("rbac.authorization.k8s.io", "ClusterRole", "", "system:auth");
        assert_eq!(rbac.id(), "_system__auth_rbac.authorization.k8s.io_ClusterRole");
        assert_eq!(ObjMeta::parse(&rbac.id()), Some(rbac));
        let svc = ObjMeta::new("", "Service", "default", "podinfo");
        assert_eq!(ObjMeta::parse(&svc.id()), Some(svc));
        assert_eq!(ObjMeta::parse("nope"), None);
    }

    #[test]
    fn identity_needs_kind_and_name() {
        let ok = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "n"}});
        assert_eq!(ObjMeta::of(&ok).unwrap(), ObjMeta::new("apps", "Deployment", "n", "x"));
        assert!(ObjMeta::of(&json!({"kind": "Deployment", "metadata": {"name": "x"}})).is_err());
    }

    #[test]
    fn stale_entries_keep_old_order_and_ignore_version_changes() {
        let e = |kind: &str, name: &str, v: &str| Entry { meta: ObjMeta::new("", kind, "n", name), version: v.into() };
        let old = vec![e("ConfigMap", "a", "v1"), e("Service", "b", "v1"), e("ConfigMap", "c", "v1")];
        let new = vec![e("Service", "b", "v2")];
        assert_eq!(stale(&old, &new), vec![e("ConfigMap", "a", "v1"), e("ConfigMap", "c", "v1")]);
    }

    #[test]
    fn owner_labels_and_policies() {
        let owner = Owner { name: "apps".into(), namespace: "flux-system".into() };
        let mut obj = json!({"metadata": {"name": "x", "labels": {"a": "b"}}});
        assert!(!owner.owns(&obj));
        owner.label(&mut obj);
        assert!(owner.owns(&obj));
        assert_eq!(obj["metadata"]["labels"]["a"], "b");
        let with = |k: &str, v: &str| json!({"metadata": {"annotations": {k: v}}});
        assert_eq!(Policy::of(&with(SSA_ANNOTATION, "IfNotPresent")), Policy::IfNotPresent);
        assert_eq!(Policy::of(&with(SSA_ANNOTATION, "merge")), Policy::Merge);
        assert_eq!(Policy::of(&with(SSA_ANNOTATION, "Ignore")), Policy::Ignore);
        assert_eq!(Policy::of(&with(RECONCILE_ANNOTATION, "disabled")), Policy::Ignore);
        assert_eq!(Policy::of(&json!({})), Policy::Override);
        assert!(force_enabled(&with(FORCE_ANNOTATION, "enabled")));
        assert!(prune_disabled(&with(PRUNE_ANNOTATION, "disabled")));
        assert!(!prune_disabled(&json!({})));
    }
}
