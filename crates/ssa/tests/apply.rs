//! Server-side apply semantics as the Kubernetes documentation describes them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use glidepath_patch::BuiltinSchema;
use glidepath_ssa::{FieldSet, Operation, SsaError, Writer, apply, managed_fields, record_update};
use serde_json::{Value, json};

fn w(manager: &str) -> Writer<'_> {
    Writer { manager, api_version: "apps/v1", time: "2026-11-22T10:00:00Z", subresource: None }
}

fn deploy(replicas: i64, labels: Value, containers: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}}
    })
}

fn owners(obj: &Value) -> Vec<(String, Operation)> {
    managed_fields(obj).into_iter().map(|e| (e.manager, e.operation)).collect()
}

#[test]
fn create_by_apply_records_fields_v1_like_kube_apiserver() {
    let config = deploy(2, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}]));
    let obj = apply(None, &config, &w("alice"), false, &BuiltinSchema).unwrap();
    assert_eq!(obj["spec"], config["spec"]);
    let mf = &obj["metadata"]["managedFields"][0];
    assert_eq!(
        (mf["manager"].as_str(), mf["operation"].as_str(), mf["fieldsType"].as_str()),
        (Some("alice"), Some("Apply"), Some("FieldsV1"))
    );
    assert_eq!(
        mf["fieldsV1"],
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                // A LabelSelector is atomic (`+structType=atomic`): owned whole.
                "f:selector": {},
                "f:template": {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:containers": {
                    "k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {}}
                }}}
            }
        })
    );
    // Parsing it back gives the same set.
    let set = FieldSet::from_fields_v1(&mf["fieldsV1"]);
    assert_eq!(set.to_fields_v1(), mf["fieldsV1"]);
}

#[test]
fn reapplying_the_same_configuration_changes_nothing() {
    let config = deploy(2, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}]));
    let once = apply(None, &config, &w("alice"), false, &BuiltinSchema).unwrap();
    let twice = apply(Some(&once), &config, &w("alice"), false, &BuiltinSchema).unwrap();
    assert_eq!(once, twice);
    // Also a second later: the managedFields timestamp must not move either.
    let later = Writer { time: "2026-11-22T10:00:01Z", ..w("alice") };
    assert_eq!(apply(Some(&once), &config, &later, false, &BuiltinSchema).unwrap(), once);
}

#[test]
fn a_different_value_for_someone_elses_field_conflicts_unless_forced() {
    let a = apply(
        None,
        &deploy(3, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap();
    let b_config =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 5}});
    let err = apply(Some(&a), &b_config, &w("bob"), false, &BuiltinSchema).unwrap_err();
    assert_eq!(err.to_string(), "Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas");
    assert!(matches!(err, SsaError::Conflicts(ref c) if c.len() == 1));

    let forced = apply(Some(&a), &b_config, &w("bob"), true, &BuiltinSchema).unwrap();
    assert_eq!(forced["spec"]["replicas"], 5);
    let alice = managed_fields(&forced).into_iter().find(|e| e.manager == "alice").unwrap();
    assert!(
        !alice.fields.to_fields_v1()["f:spec"].as_object().unwrap().contains_key("f:replicas"),
        "alice lost replicas"
    );
    // Now alice conflicts with bob.
    let err = apply(
        Some(&forced),
        &deploy(3, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap_err();
    assert!(err.to_string().contains("conflict with \"bob\": .spec.replicas"), "{err}");
}

#[test]
fn the_same_value_is_shared_not_a_conflict() {
    let a = apply(
        None,
        &deploy(3, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap();
    let b_config =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3}});
    let shared = apply(Some(&a), &b_config, &w("bob"), false, &BuiltinSchema).unwrap();
    assert_eq!(owners(&shared), [("alice".into(), Operation::Apply), ("bob".into(), Operation::Apply)]);
    // alice stops applying replicas: bob still owns it, so it stays.
    let alice_without = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "web:1"}]}}}});
    let after = apply(Some(&shared), &alice_without, &w("alice"), false, &BuiltinSchema).unwrap();
    assert_eq!(after["spec"]["replicas"], 3);
}

#[test]
fn fields_a_manager_stops_applying_are_removed() {
    let a = apply(
        None,
        &deploy(2, json!({"app": "web", "tier": "front"}), json!([{"name": "app", "image": "web:1"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap();
    let b = apply(
        Some(&a),
        &deploy(2, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap();
    assert_eq!(b["metadata"]["labels"], json!({"app": "web"}));
}

#[test]
fn keyed_lists_merge_by_name_and_items_are_owned_separately() {
    let a = apply(
        None,
        &deploy(1, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap();
    let sidecar = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "envoy:1"}]}}}});
    let b = apply(Some(&a), &sidecar, &w("mesh"), false, &BuiltinSchema).unwrap();
    let names: Vec<&str> = b["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app", "proxy"]);
    // alice re-applies her config (without proxy): proxy stays, it is mesh's.
    let c = apply(
        Some(&b),
        &deploy(1, json!({"app": "web"}), json!([{"name": "app", "image": "web:2"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap();
    assert_eq!(c["spec"]["template"]["spec"]["containers"].as_array().unwrap().len(), 2);
    assert_eq!(c["spec"]["template"]["spec"]["containers"][0]["image"], "web:2");
    // mesh withdraws the sidecar: removed.
    let withdraw =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"mesh": "on"}}});
    let d = apply(Some(&c), &withdraw, &w("mesh"), false, &BuiltinSchema).unwrap();
    let names: Vec<&str> = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app"]);
}

#[test]
fn updates_take_ownership_of_what_they_change() {
    let a = apply(
        None,
        &deploy(2, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap();
    let mut edited = a.clone();
    edited["spec"]["replicas"] = json!(7);
    record_update(Some(&a), &mut edited, &w("kubectl-edit"), &BuiltinSchema);
    assert_eq!(owners(&edited), [("alice".into(), Operation::Apply), ("kubectl-edit".into(), Operation::Update)]);
    let err = apply(
        Some(&edited),
        &deploy(2, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap_err();
    assert!(err.to_string().contains("conflict with \"kubectl-edit\": .spec.replicas"), "{err}");
    // An update that changes nothing records nothing new.
    let mut same = edited.clone();
    record_update(Some(&edited), &mut same, &w("someone"), &BuiltinSchema);
    assert_eq!(owners(&same).len(), 2);
}

#[test]
fn conflicts_name_keyed_list_items() {
    let a = apply(
        None,
        &deploy(1, json!({"app": "web"}), json!([{"name": "app", "image": "web:1"}])),
        &w("alice"),
        false,
        &BuiltinSchema,
    )
    .unwrap();
    let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:9"}]}}}});
    let err = apply(Some(&a), &other, &w("bob"), false, &BuiltinSchema).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"alice\": .spec.template.spec.containers[name=\"app\"].image"
    );
}

#[test]
fn status_and_identity_fields_are_never_owned() {
    let mut config = deploy(1, json!({"app": "web"}), json!([]));
    config["status"] = json!({"replicas": 1});
    config["metadata"]["resourceVersion"] = json!("5");
    let obj = apply(None, &config, &w("alice"), false, &BuiltinSchema).unwrap();
    let fields = &obj["metadata"]["managedFields"][0]["fieldsV1"];
    assert!(fields.get("f:status").is_none() && fields["f:metadata"].get("f:resourceVersion").is_none(), "{fields}");
}
