//! The sync engine's CEL features end to end: `healthCheckExprs` deciding the health of a custom
//! resource kstatus cannot read, and `dependsOn[].readyExpr` replacing the built-in dependency
//! rule. Real Git over `file://`, the embedded API server, the controllers in-process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::sync_env;

use std::time::Duration;

use kube::api::{Patch, PatchParams};
use serde_json::json;
use sync_env::*;

const GADGET_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
          status: {type: object, properties: {phase: {type: string}}}
"#;

fn gadget(name: &str, size: u32) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: {name}\n  namespace: app\nspec:\n  size: {size}\n"
    )
}

fn exprs() -> serde_json::Value {
    json!([{"apiVersion": "example.com/v1", "kind": "Gadget",
        "current": "status.phase == 'Ready'", "failed": "spec.size > 5"}])
}

fn checks(name: &str) -> serde_json::Value {
    json!([{"apiVersion": "example.com/v1", "kind": "Gadget", "name": name, "namespace": "app"}])
}

#[tokio::test]
async fn health_check_exprs_decide_the_health_of_a_custom_resource() {
    let e = env().await;
    e.repo
        .write("crds/gadget.yaml", GADGET_CRD)
        .write("ok/g.yaml", &gadget("ok", 1))
        .write("big/g.yaml", &gadget("big", 9));
    let sha = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "crds", "./crds", json!({})).await;
    wait_applied(&e.client, "crds", &sha).await;
    let spec = |name: &str| json!({"timeout": "20s", "healthCheckExprs": exprs(), "healthChecks": checks(name)});
    kustomization(&e.client, "ok", "./ok", spec("ok")).await;
    kustomization(&e.client, "big", "./big", spec("big")).await;

    // `failed` is true at once: Ready=False naming the expression, without waiting for the timeout.
    let big = wait_failed(&e.client, "Kustomization", "big", "HealthCheckFailed").await;
    let (_, _, msg) = ready(&big).unwrap();
    assert!(msg.contains("Gadget/app/big status: 'Failed'") && msg.contains("spec.size > 5"), "{msg}");

    // Applied, but no status yet: the health check waits. (kstatus alone would call a custom
    // resource without conditions Current at once.)
    let gadgets = kube::Api::<kube::api::DynamicObject>::namespaced_with(
        e.client.clone(),
        "app",
        &kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk("example.com", "v1", "Gadget")),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while gadgets.get_opt("ok").await.unwrap().is_none() {
        assert!(tokio::time::Instant::now() < deadline, "the gadget was never applied");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The marker that its health is being checked: Flux's progress message.
    let ok = wait_for(&e.client, "Kustomization", "ok", "health checks running", |o| {
        condition(o, "Reconciling")
            .is_some_and(|c| c["message"].as_str().unwrap_or_default().starts_with("Running health checks"))
    })
    .await;
    assert!(ready(&ok).is_none_or(|r| r.0 != "True"), "Ready before the gadget reported: {:#}", ok["status"]);
    gadgets
        .patch_status("ok", &PatchParams::default(), &Patch::Merge(json!({"status": {"phase": "Ready"}})))
        .await
        .unwrap();
    let ok = wait_applied(&e.client, "ok", &sha).await;
    assert_eq!(condition(&ok, "Healthy").unwrap()["status"], "True");
}

#[tokio::test]
async fn expressions_that_do_not_compile_fail_the_kustomization_naming_them() {
    let e = env().await;
    e.repo.write("apps/cm.yaml", &config_map("a", "1"));
    e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    let bad = json!([{"apiVersion": "example.com/v1", "kind": "Gadget", "current": "status.phase =="}]);
    kustomization(&e.client, "apps", "./apps", json!({"healthCheckExprs": bad})).await;
    let k = wait_failed(&e.client, "Kustomization", "apps", "InvalidSpec").await;
    let (_, _, msg) = ready(&k).unwrap();
    assert!(msg.contains("spec.healthCheckExprs[0]") && msg.contains("status.phase =="), "{msg}");
    let bad_ready = json!([{"name": "apps", "readyExpr": "dep.status.ready &&"}]);
    kustomization(&e.client, "after", "./apps", json!({"dependsOn": bad_ready})).await;
    let k = wait_failed(&e.client, "Kustomization", "after", "InvalidSpec").await;
    let (_, _, msg) = ready(&k).unwrap();
    assert!(msg.contains("spec.dependsOn[0].readyExpr") && msg.contains("dep.status.ready &&"), "{msg}");
    assert!(cm(&e.client, "a").await.is_none(), "applied despite an invalid spec");
}

#[tokio::test]
async fn ready_expr_replaces_the_built_in_dependency_rule() {
    let e = env().await;
    e.repo.write("apps/cm.yaml", &config_map("b", "1")).write("more/cm.yaml", &config_map("c", "1"));
    let sha = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    // `a` never becomes ready: its path does not exist.
    kustomization(&e.client, "a", "./missing", json!({})).await;
    wait_failed(&e.client, "Kustomization", "a", "ArtifactFailed").await;
    let lenient = json!([{"name": "a", "readyExpr": "dep.metadata.name == 'a' && self.metadata.name == 'b'"}]);
    kustomization(&e.client, "b", "./apps", json!({"dependsOn": lenient})).await;
    let strict = json!([{"name": "a",
        "readyExpr": "dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')"}]);
    kustomization(&e.client, "c", "./more", json!({"dependsOn": strict})).await;
    wait_applied(&e.client, "b", &sha).await;
    let c = wait_failed(&e.client, "Kustomization", "c", "DependencyNotReady").await;
    assert!(ready(&c).unwrap().2.contains("readyExpr"), "{:#}", c["status"]);
    assert!(cm(&e.client, "c").await.is_none());
}
