//! Table tests for strategic merge patch, including every directive.

use glidepath_patch::{
    BuiltinSchema, ListStrategy, Schema, SmpMode, list_strategy, strategic_merge, strategic_merge_with,
};
use serde_json::{Value, json};

fn deployment(spec: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": spec}}})
}

#[allow(clippy::panic)]
fn run(original: &Value, patch: &Value, mode: SmpMode) -> Option<Value> {
    strategic_merge(original, patch, mode).unwrap_or_else(|e| panic!("merge failed: {e}"))
}

#[test]
fn strategic_merge_table() {
    let cases: Vec<(&str, Value, Value, Value)> = vec![
        (
            "containers merge by name, new ones first",
            deployment(json!({"containers": [{"name": "a", "image": "a:1"}]})),
            deployment(json!({"containers": [{"name": "b", "image": "b:1"}, {"name": "a", "image": "a:2"}]})),
            deployment(json!({"containers": [{"name": "b", "image": "b:1"}, {"name": "a", "image": "a:2"}]})),
        ),
        (
            "env merge by name inside a container",
            deployment(json!({"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}]}]})),
            deployment(json!({"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}]})),
            deployment(
                json!({"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}]}]}),
            ),
        ),
        (
            "ports merge by containerPort",
            deployment(json!({"containers": [{"name": "a", "ports": [{"containerPort": 80, "name": "http"}]}]})),
            deployment(json!({"containers": [{"name": "a", "ports": [{"containerPort": 80, "protocol": "TCP"}]}]})),
            deployment(
                json!({"containers": [{"name": "a", "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}]}]}),
            ),
        ),
        (
            "volumeMounts merge by mountPath",
            deployment(json!({"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/x", "name": "v1"}]}]})),
            deployment(json!({"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/x", "name": "v2"}]}]})),
            deployment(json!({"containers": [{"name": "a", "volumeMounts": [{"mountPath": "/x", "name": "v2"}]}]})),
        ),
        (
            "tolerations are atomic",
            deployment(json!({"tolerations": [{"key": "a"}, {"key": "b"}]})),
            deployment(json!({"tolerations": [{"key": "c"}]})),
            deployment(json!({"tolerations": [{"key": "c"}]})),
        ),
        (
            "null deletes a key",
            deployment(json!({"volumes": [{"name": "v", "emptyDir": {}}]})),
            deployment(json!({"volumes": [{"name": "v", "emptyDir": null, "hostPath": {"path": "/p"}}]})),
            deployment(json!({"volumes": [{"name": "v", "hostPath": {"path": "/p"}}]})),
        ),
        (
            "$patch: delete on a list element",
            deployment(json!({"containers": [{"name": "a"}, {"name": "b"}]})),
            deployment(json!({"containers": [{"name": "a", "$patch": "delete"}]})),
            deployment(json!({"containers": [{"name": "b"}]})),
        ),
        (
            "$patch: replace on a map",
            deployment(json!({"nodeSelector": {"a": "1", "b": "2"}})),
            deployment(json!({"nodeSelector": {"$patch": "replace", "c": "3"}})),
            deployment(json!({"nodeSelector": {"c": "3"}})),
        ),
        (
            "$patch: replace as a list element",
            deployment(json!({"containers": [{"name": "a"}, {"name": "b"}]})),
            deployment(json!({"containers": [{"$patch": "replace"}, {"name": "c"}]})),
            deployment(json!({"containers": [{"name": "c"}]})),
        ),
        (
            "$patch: merge is the default",
            deployment(json!({"nodeSelector": {"a": "1"}})),
            deployment(json!({"nodeSelector": {"$patch": "merge", "b": "2"}})),
            deployment(json!({"nodeSelector": {"a": "1", "b": "2"}})),
        ),
        (
            "$setElementOrder reorders a merged list",
            deployment(json!({"containers": [{"name": "a"}, {"name": "b"}]})),
            deployment(
                json!({"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}], "containers": [{"name": "a", "image": "x"}]}),
            ),
            deployment(json!({"containers": [{"name": "b"}, {"name": "a", "image": "x"}]})),
        ),
        (
            "$retainKeys drops unlisted keys",
            json!({"kind": "Deployment", "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
            json!({"kind": "Deployment", "spec": {"strategy": {"type": "Recreate"}}}),
        ),
        (
            "$deleteFromPrimitiveList and finalizers as a set",
            json!({"kind": "ConfigMap", "metadata": {"finalizers": ["a", "b", "c"]}}),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"], "finalizers": ["d", "a"]}}),
            json!({"kind": "ConfigMap", "metadata": {"finalizers": ["d", "a", "c"]}}),
        ),
        (
            "Service ports merge by port",
            json!({"kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}),
            json!({"spec": {"ports": [{"port": 443}, {"port": 80, "name": "http"}]}}),
            json!({"kind": "Service", "spec": {"ports": [{"port": 443}, {"port": 80, "name": "http", "targetPort": 8080}]}}),
        ),
        (
            "conditions merge by type",
            json!({"kind": "Pod", "status": {"conditions": [{"type": "Ready", "status": "False"}]}}),
            json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
            json!({"kind": "Pod", "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
        ),
        (
            "CRD lists without a schema are replaced, even with names",
            json!({"kind": "Widget", "spec": {"items": [{"name": "a", "v": 1}, {"name": "b"}]}}),
            json!({"spec": {"items": [{"name": "a", "v": 2}]}}),
            json!({"kind": "Widget", "spec": {"items": [{"name": "a", "v": 2}]}}),
        ),
        (
            "built-in kinds never infer a name key: RoleBinding subjects are replaced",
            json!({"kind": "RoleBinding", "subjects": [{"kind": "ServiceAccount", "name": "a"}]}),
            json!({"subjects": [{"kind": "ServiceAccount", "name": "b"}]}),
            json!({"kind": "RoleBinding", "subjects": [{"kind": "ServiceAccount", "name": "b"}]}),
        ),
        (
            "CRD scalar lists are replaced",
            json!({"kind": "Widget", "spec": {"args": ["a", "b"]}}),
            json!({"spec": {"args": ["c"]}}),
            json!({"kind": "Widget", "spec": {"args": ["c"]}}),
        ),
    ];
    for (name, original, patch, want) in cases {
        assert_eq!(run(&original, &patch, SmpMode::Kustomize), Some(want), "{name}");
    }
}

/// A custom schema for the `Widget` CRD layered over the built-in table.
struct WidgetSchema;

impl Schema for WidgetSchema {
    fn list_strategy(&self, kind: &str, path: &[&str]) -> Option<ListStrategy> {
        match (kind, path) {
            ("Widget", ["spec", "items"]) => Some(ListStrategy::MergeByKey("name")),
            _ => BuiltinSchema.list_strategy(kind, path),
        }
    }
}

#[test]
fn custom_schema_gives_crd_lists_a_merge_key() {
    let original = json!({"kind": "Widget", "spec": {"items": [{"name": "a", "v": 1}, {"name": "b"}]}});
    let patch = json!({"spec": {"items": [{"name": "a", "v": 2}]}});
    let want = json!({"kind": "Widget", "spec": {"items": [{"name": "a", "v": 2}, {"name": "b"}]}});
    let got = strategic_merge_with(&original, &patch, SmpMode::Kustomize, &WidgetSchema).unwrap();
    assert_eq!(got, Some(want));
}

#[test]
fn top_level_delete_removes_the_object() {
    let obj = json!({"kind": "ConfigMap", "metadata": {"name": "x"}});
    assert_eq!(run(&obj, &json!({"$patch": "delete"}), SmpMode::Kustomize), None);
}

#[test]
fn kubernetes_mode_appends_new_set_items() {
    let original = json!({"kind": "ConfigMap", "metadata": {"finalizers": ["a", "b"]}});
    let patch = json!({"metadata": {"finalizers": ["c", "a"]}});
    let want = json!({"kind": "ConfigMap", "metadata": {"finalizers": ["a", "b", "c"]}});
    assert_eq!(run(&original, &patch, SmpMode::Kubernetes), Some(want));
}

#[test]
fn kubernetes_mode_replaces_unknown_lists() {
    let original = json!({"kind": "Widget", "spec": {"items": [{"name": "a"}, {"name": "b"}]}});
    let patch = json!({"spec": {"items": [{"name": "a", "v": 2}]}});
    let want = json!({"kind": "Widget", "spec": {"items": [{"name": "a", "v": 2}]}});
    assert_eq!(run(&original, &patch, SmpMode::Kubernetes), Some(want));
}

#[test]
fn invalid_directive_is_an_error() {
    let err = strategic_merge(&json!({"kind": "Pod"}), &json!({"spec": {"$patch": "explode"}}), SmpMode::Kustomize);
    assert!(err.is_err());
}

#[test]
fn schema_table_lookups() {
    let cases: Vec<(&str, &[&str], Option<ListStrategy>)> = vec![
        ("Deployment", &["spec", "template", "spec", "containers"], Some(ListStrategy::MergeByKey("name"))),
        ("Pod", &["spec", "initContainers", "env"], Some(ListStrategy::MergeByKey("name"))),
        (
            "CronJob",
            &["spec", "jobTemplate", "spec", "template", "spec", "volumes"],
            Some(ListStrategy::MergeByKey("name")),
        ),
        (
            "StatefulSet",
            &["spec", "template", "spec", "containers", "volumeMounts"],
            Some(ListStrategy::MergeByKey("mountPath")),
        ),
        ("Service", &["spec", "ports"], Some(ListStrategy::MergeByKey("port"))),
        ("Pod", &["spec", "containers", "ports"], Some(ListStrategy::MergeByKey("containerPort"))),
        ("Pod", &["spec", "imagePullSecrets"], Some(ListStrategy::MergeByKey("name"))),
        ("Pod", &["spec", "tolerations"], Some(ListStrategy::Replace)),
        ("Pod", &["spec", "containers", "envFrom"], Some(ListStrategy::Replace)),
        ("Widget", &["spec", "containers"], None),
    ];
    for (kind, path, want) in cases {
        assert_eq!(list_strategy(kind, path), want, "{kind} {path:?}");
    }
}
