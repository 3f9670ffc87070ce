//! Removal with the built-in schema: the Canary `spec.autoscalerRef` case (a custom kind
//! without a schema, every object a struct) and Deployment containers, env and ports, as
//! kube-apiserver removes them. Only the crate's original API, so it also runs against it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use glidepath_patch::BuiltinSchema;
use glidepath_ssa::{Writer, apply, managed_fields};
use serde_json::{Value, json};

fn w(manager: &str) -> Writer<'_> {
    Writer { manager, api_version: "apps/v1", time: "2026-12-06T10:00:00Z", subresource: None }
}

fn fields_of(obj: &Value, manager: &str) -> Value {
    managed_fields(obj).into_iter().find(|e| e.manager == manager).map(|e| e.fields.to_fields_v1()).unwrap()
}

fn canary(spec: Value) -> Value {
    json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": spec})
}

#[test]
fn a_struct_no_longer_applied_is_removed_not_left_empty() {
    let target = json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"});
    let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "podinfo"});
    let with = canary(json!({"targetRef": target, "autoscalerRef": hpa, "service": {"port": 9898}}));
    let a = apply(None, &with, &w("kubectl"), false, &BuiltinSchema).unwrap();
    let without = canary(json!({"targetRef": target, "service": {"port": 9898}}));
    let b = apply(Some(&a), &without, &w("kubectl"), false, &BuiltinSchema).unwrap();
    assert_eq!(b["spec"], json!({"targetRef": target, "service": {"port": 9898}}));
    let f = fields_of(&b, "kubectl");
    assert!(f["f:spec"].get("f:autoscalerRef").is_none(), "{f}");
    // The applier still applies spec.service.port: spec.service stays.
    let c = apply(Some(&b), &canary(json!({"targetRef": target})), &w("kubectl"), false, &BuiltinSchema).unwrap();
    assert_eq!(c["spec"], json!({"targetRef": target}));
}

fn deploy(containers: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}}})
}

fn containers(obj: &Value) -> &Value {
    &obj["spec"]["template"]["spec"]["containers"]
}

#[test]
fn env_vars_and_containers_are_removed_by_key() {
    let app = |env: Value| json!({"name": "app", "image": "web:1", "env": env});
    let side = json!({"name": "sidecar", "image": "envoy:1", "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]});
    let env2 = json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]);
    let a = apply(None, &deploy(json!([app(env2), side])), &w("kubectl"), false, &BuiltinSchema).unwrap();
    let f = fields_of(&a, "kubectl");
    let ports = &f["f:spec"]["f:template"]["f:spec"]["f:containers"][r#"k:{"name":"sidecar"}"#]["f:ports"];
    assert!(ports.get(r#"k:{"containerPort":80,"protocol":"TCP"}"#).is_some(), "{ports}");
    assert!(ports.get(r#"k:{"containerPort":53,"protocol":"UDP"}"#).is_some(), "{ports}");

    // One env var goes; the other stays.
    let b = apply(
        Some(&a),
        &deploy(json!([app(json!([{"name": "A", "value": "1"}])), side])),
        &w("kubectl"),
        false,
        &BuiltinSchema,
    )
    .unwrap();
    assert_eq!(containers(&b)[0]["env"], json!([{"name": "A", "value": "1"}]));
    // The last one goes with the env field itself, not leaving `env: []`.
    let no_env = json!({"name": "app", "image": "web:1"});
    let c = apply(Some(&b), &deploy(json!([no_env, side])), &w("kubectl"), false, &BuiltinSchema).unwrap();
    assert_eq!(containers(&c)[0], no_env);
    // A whole container goes.
    let d = apply(Some(&c), &deploy(json!([no_env])), &w("kubectl"), false, &BuiltinSchema).unwrap();
    assert_eq!(containers(&d), &json!([no_env]));
    let f = fields_of(&d, "kubectl");
    let owned = f["f:spec"]["f:template"]["f:spec"]["f:containers"].as_object().unwrap();
    assert_eq!(owned.keys().collect::<Vec<_>>(), [r#"k:{"name":"app"}"#]);
}

#[test]
fn an_env_var_another_applier_also_applies_stays() {
    let app = |env: Value| json!([{"name": "app", "image": "web:1", "env": env}]);
    let a =
        apply(None, &deploy(app(json!([{"name": "A", "value": "1"}]))), &w("alice"), false, &BuiltinSchema).unwrap();
    let bob = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [{"name": "A", "value": "1"}]}]}}}});
    let b = apply(Some(&a), &bob, &w("bob"), false, &BuiltinSchema).unwrap();
    let c = apply(Some(&b), &deploy(json!([{"name": "app", "image": "web:1"}])), &w("alice"), false, &BuiltinSchema)
        .unwrap();
    assert_eq!(containers(&c)[0]["env"], json!([{"name": "A", "value": "1"}]));
}

#[test]
fn service_ports_go_by_port_and_protocol_and_the_selector_is_atomic() {
    let svc = |ports: Value| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"app": "web"}, "ports": ports}})
    };
    let two = json!([{"name": "http", "port": 80}, {"name": "https", "port": 443}]);
    let a = apply(None, &svc(two), &w("kubectl"), false, &BuiltinSchema).unwrap();
    // kube-apiserver's fieldsV1 for a Service: `f:selector: {}`, ports keyed by port+protocol.
    let f = fields_of(&a, "kubectl");
    assert_eq!(f["f:spec"]["f:selector"], json!({}), "{f}");
    assert!(f["f:spec"]["f:ports"].get(r#"k:{"port":443,"protocol":"TCP"}"#).is_some(), "{f}");
    let b = apply(Some(&a), &svc(json!([{"name": "http", "port": 80}])), &w("kubectl"), false, &BuiltinSchema).unwrap();
    assert_eq!(b["spec"]["ports"], json!([{"name": "http", "port": 80}]));
}
