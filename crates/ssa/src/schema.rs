//! What server-side apply needs to know about an object's shape, as structured-merge-diff reads
//! it from the OpenAPI schema: how each list is identified (`x-kubernetes-list-type` and
//! `x-kubernetes-list-map-keys`) and whether each map is a struct, a granular map or atomic
//! (`x-kubernetes-map-type`). Paths are field names only; list items are skipped.

use glidepath_patch::schema::is_builtin_kind;
use glidepath_patch::{BuiltinSchema, ListStrategy, Schema};
use serde_json::Value;

/// One key field of an associative list, with the default structured-merge-diff substitutes
/// when an item omits it (so `{containerPort: 80}` is the item `containerPort=80,protocol=TCP`).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyField {
    pub name: String,
    pub default: Option<Value>,
}

impl KeyField {
    fn named(name: &str) -> Self {
        Self { name: name.to_owned(), default: None }
    }
}

/// How a list is merged and owned.
#[derive(Clone, Debug, PartialEq)]
pub enum ListType {
    /// `x-kubernetes-list-type: map`: items identified by their key fields, owned one by one.
    Map(Vec<KeyField>),
    /// `x-kubernetes-list-type: set`: scalar items identified by value, owned one by one.
    Set,
    /// `atomic` (the default): replaced and owned as a whole.
    Atomic,
}

/// How a map (JSON object) is merged and owned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapType {
    /// Declared properties: fields are named and only their leaves are owned.
    Struct,
    /// `additionalProperties` or untyped: every entry is owned itself (`.` in `fieldsV1` when it
    /// also has owned children).
    Granular,
    /// `x-kubernetes-map-type: atomic`: replaced and owned as a whole.
    Atomic,
}

/// The schema questions apply asks; `kind` is the object's kind, `path` field names only.
pub trait ApplySchema {
    fn list_type(&self, kind: &str, path: &[&str]) -> ListType;
    fn map_type(&self, kind: &str, path: &[&str]) -> MapType;
}

/// Built-in kinds: the shared merge-key table of `glidepath-patch`, with the multi-field keys
/// the Kubernetes OpenAPI declares where strategic merge uses a single `patchMergeKey`.
impl ApplySchema for BuiltinSchema {
    fn list_type(&self, kind: &str, path: &[&str]) -> ListType {
        let tcp = || KeyField { name: "protocol".into(), default: Some(Value::String("TCP".into())) };
        match self.list_strategy(kind, path) {
            Some(ListStrategy::MergeByKey("containerPort")) => {
                ListType::Map(vec![KeyField::named("containerPort"), tcp()])
            }
            Some(ListStrategy::MergeByKey("port")) if kind == "Service" => {
                ListType::Map(vec![KeyField::named("port"), tcp()])
            }
            Some(ListStrategy::MergeByKey("topologyKey")) => {
                ListType::Map(vec![KeyField::named("topologyKey"), KeyField::named("whenUnsatisfiable")])
            }
            Some(ListStrategy::MergeByKey(key)) => ListType::Map(vec![KeyField::named(key)]),
            Some(ListStrategy::MergePrimitives) => ListType::Set,
            Some(ListStrategy::Replace) | None => ListType::Atomic,
        }
    }

    fn map_type(&self, kind: &str, path: &[&str]) -> MapType {
        if is_builtin_kind(kind) && builtin_atomic_map(kind, path) { MapType::Atomic } else { MapType::Struct }
    }
}

/// Built-in maps marked `+structType=atomic` or `+mapType=atomic`: label selectors, a
/// Service's selector and the env `valueFrom` references (what `managedFields` of a Deployment
/// or Service shows as `f:selector: {}`).
fn builtin_atomic_map(kind: &str, path: &[&str]) -> bool {
    const SELECTOR_KINDS: &[&str] = &[
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "PodDisruptionBudget",
        "PersistentVolumeClaim",
    ];
    const REFS: &[&str] = &["configMapKeyRef", "secretKeyRef", "fieldRef", "resourceFieldRef"];
    match path {
        ["spec", "selector"] => SELECTOR_KINDS.contains(&kind) || kind == "Service",
        [.., "labelSelector" | "namespaceSelector" | "podSelector"] => true,
        [.., "valueFrom", r] => REFS.contains(r),
        _ => false,
    }
}

/// A custom resource version's `openAPIV3Schema`. `metadata` is `ObjectMeta`, as kube-apiserver
/// treats it whatever the CRD says.
#[derive(Clone, Copy, Debug)]
pub struct OpenApiSchema<'a> {
    root: &'a Value,
}

impl<'a> OpenApiSchema<'a> {
    pub fn new(root: &'a Value) -> Self {
        Self { root }
    }

    /// The schema node at `path`, stepping through list `items`; `None` once the path leaves
    /// the declared schema (for example under `x-kubernetes-preserve-unknown-fields`).
    fn node(&self, path: &[&str]) -> Option<&'a Value> {
        let mut cur = self.root;
        for name in path {
            cur = through_items(cur);
            cur = match cur.get("properties").and_then(|p| p.get(*name)) {
                Some(s) => s,
                None => cur.get("additionalProperties").filter(|a| a.is_object())?,
            };
        }
        Some(cur)
    }
}

fn through_items(mut node: &Value) -> &Value {
    while let Some(items) = node.get("items") {
        node = items;
    }
    node
}

impl ApplySchema for OpenApiSchema<'_> {
    fn list_type(&self, kind: &str, path: &[&str]) -> ListType {
        if path.first() == Some(&"metadata") {
            return BuiltinSchema.list_type(kind, path);
        }
        let Some(node) = self.node(path) else { return ListType::Atomic };
        match node.get("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("map") => {
                let item = through_items(node);
                let keys = node.get("x-kubernetes-list-map-keys").and_then(Value::as_array);
                let keys = keys.into_iter().flatten().filter_map(Value::as_str);
                let field = |k: &str| KeyField {
                    name: k.to_owned(),
                    default: item.get("properties").and_then(|p| p.get(k)).and_then(|p| p.get("default")).cloned(),
                };
                ListType::Map(keys.map(field).collect())
            }
            Some("set") => ListType::Set,
            _ => ListType::Atomic,
        }
    }

    fn map_type(&self, kind: &str, path: &[&str]) -> MapType {
        if path.first() == Some(&"metadata") {
            return BuiltinSchema.map_type(kind, path);
        }
        let Some(node) = self.node(path) else { return MapType::Granular };
        let node = through_items(node);
        if node.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic") {
            MapType::Atomic
        } else if path.is_empty() || node.get("properties").is_some() {
            MapType::Struct
        } else {
            MapType::Granular
        }
    }
}
