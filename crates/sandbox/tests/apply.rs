//! Server-side apply, strategic merge patch and managed fields, through kube-rs and kubectl.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{Kubectl, client, start_with};
use glidepath_sandbox::Config;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

fn deploy(replicas: i32, image: &str) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": image}]}}}
    })
}

#[tokio::test]
async fn apply_creates_shares_conflicts_and_forces_like_kube_apiserver() {
    // No workload simulator: its status writes would bump resourceVersions under the test.
    let sandbox = start_with(Config { simulator: None, ..Config::default() }).await;
    let api: Api<Deployment> = Api::namespaced(client(&sandbox).await, "default");
    let created = api.patch("web", &PatchParams::apply("alice"), &Patch::Apply(deploy(2, "web:1"))).await.unwrap();
    let rv = created.metadata.resource_version.clone();
    let mf = created.metadata.managed_fields.clone().unwrap();
    assert_eq!((mf[0].manager.as_deref(), mf[0].operation.as_deref()), (Some("alice"), Some("Apply")));

    // The same apply again changes nothing, not even the resourceVersion.
    let again = api.patch("web", &PatchParams::apply("alice"), &Patch::Apply(deploy(2, "web:1"))).await.unwrap();
    assert_eq!(again.metadata.resource_version, rv);

    // bob sets replicas to another value: conflict naming alice and the field.
    let bob =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 5}});
    let err = api.patch("web", &PatchParams::apply("bob"), &Patch::Apply(&bob)).await.unwrap_err();
    let kube::Error::Api(status) = err else { panic!("expected an API error") };
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(status.message.contains("conflict with \"alice\": .spec.replicas"), "{}", status.message);
    let forced = api.patch("web", &PatchParams::apply("bob").force(), &Patch::Apply(&bob)).await.unwrap();
    assert_eq!(forced.spec.replicas, Some(5));
    let managers: Vec<String> = forced.metadata.managed_fields.unwrap().into_iter().filter_map(|m| m.manager).collect();
    assert_eq!(managers, ["alice", "bob"]);

    // A merge patch by an updater takes the field: alice now conflicts with "kubectl-edit".
    api.patch(
        "web",
        &PatchParams { field_manager: Some("kubectl-edit".into()), ..Default::default() },
        &Patch::Merge(json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:9"}]}}}})),
    )
    .await
    .unwrap();
    let err = api.patch("web", &PatchParams::apply("alice"), &Patch::Apply(deploy(5, "web:1"))).await.unwrap_err();
    assert!(err.to_string().contains("kubectl-edit"), "{err}");
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn strategic_merge_patch_merges_containers_by_name() {
    // No workload simulator: its status writes would bump resourceVersions under the test.
    let sandbox = start_with(Config { simulator: None, ..Config::default() }).await;
    let api: Api<Deployment> = Api::namespaced(client(&sandbox).await, "default");
    api.create(&PostParams::default(), &serde_json::from_value(deploy(1, "web:1")).unwrap()).await.unwrap();
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "proxy:1"}]}}}});
    let d = api.patch("web", &PatchParams::default(), &Patch::Strategic(patch)).await.unwrap();
    let names: Vec<String> = d.spec.template.spec.unwrap().containers.into_iter().map(|c| c.name).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"web".to_owned()) && names.contains(&"sidecar".to_owned()));
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn kubectl_server_side_and_client_side_apply() {
    // No workload simulator: its status writes would bump resourceVersions under the test.
    let sandbox = start_with(Config { simulator: None, ..Config::default() }).await;
    let k = Kubectl::new(&sandbox.kubeconfig_yaml());
    let file = k.write("d.yaml", &serde_norway::to_string(&deploy(2, "web:1")).unwrap());
    k.ok(&["apply", "--server-side", "-f", &file]).await;
    let rv1 = k.ok(&["get", "deploy", "web", "-o", "jsonpath={.metadata.resourceVersion}"]).await;
    // A second later, so a moved managedFields timestamp would show.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    k.ok(&["apply", "--server-side", "-f", &file]).await;
    let rv2 = k.ok(&["get", "deploy", "web", "-o", "jsonpath={.metadata.resourceVersion}"]).await;
    assert_eq!(rv1, rv2, "second identical apply leaves the object unchanged");
    let owners = k
        .ok(&["get", "deploy", "web", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}"])
        .await;
    assert_eq!(owners, "kubectl");

    // Client-side apply of a changed object (a strategic merge patch under the hood).
    let file2 = k.write("d2.yaml", &serde_norway::to_string(&deploy(3, "web:2")).unwrap());
    let (ok, out) = k.run(&["apply", "-f", &file2]).await;
    // kubectl refuses to mix client-side apply onto server-side-applied fields only with
    // conflicts; here the object was created server-side by "kubectl", so it takes over.
    assert!(ok, "{out}");
    assert_eq!(k.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]).await, "3");
    k.ok(&[
        "patch",
        "deploy",
        "web",
        "--type",
        "strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:3"}]}}}}"#,
    ])
    .await;
    assert_eq!(
        k.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[*].image}"]).await,
        "web:3"
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn status_applies_record_ownership_and_remove_fields_no_longer_sent() {
    let sandbox = start_with(Config { simulator: None, ..Config::default() }).await;
    let api: Api<Deployment> = Api::namespaced(client(&sandbox).await, "default");
    api.patch("web", &PatchParams::apply("alice"), &Patch::Apply(deploy(2, "web:1"))).await.unwrap();
    let status = |s: serde_json::Value| json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "status": s});
    let pp = PatchParams::apply("ctl").force();
    api.patch_status("web", &pp, &Patch::Apply(status(json!({"replicas": 2, "readyReplicas": 2})))).await.unwrap();
    let applied = api.patch_status("web", &pp, &Patch::Apply(status(json!({"replicas": 2})))).await.unwrap();
    let s = applied.status.unwrap();
    assert_eq!((s.replicas, s.ready_replicas), (Some(2), None), "the field ctl stopped sending is gone");
    let entry =
        applied.metadata.managed_fields.unwrap().into_iter().find(|m| m.manager.as_deref() == Some("ctl")).unwrap();
    assert_eq!(entry.subresource.as_deref(), Some("status"));
    assert_eq!(entry.operation.as_deref(), Some("Apply"));
    // A merge patch of the status is an Update on the status subresource.
    let merge = PatchParams { field_manager: Some("editor".into()), ..Default::default() };
    let patched =
        api.patch_status("web", &merge, &Patch::Merge(json!({"status": {"availableReplicas": 1}}))).await.unwrap();
    let editor =
        patched.metadata.managed_fields.unwrap().into_iter().find(|m| m.manager.as_deref() == Some("editor")).unwrap();
    assert_eq!((editor.operation.as_deref(), editor.subresource.as_deref()), (Some("Update"), Some("status")));
}
