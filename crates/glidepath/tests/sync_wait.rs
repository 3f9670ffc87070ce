//! Health checks of a Kustomization as Flux runs them: `wait: true` checks the set it applied
//! (never what it just pruned), and while it waits the status already carries the inventory and
//! Flux's "Running health checks" progress. Real Git over `file://`, the embedded API server, the
//! controllers in-process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::sync_env;

use serde_json::{Value, json};
use sync_env::*;

fn service(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: app\nspec:\n  selector:\n    app: {name}\n  ports:\n  - port: 80\n"
    )
}

/// A Deployment the workload simulator rolls out only after `delay`.
fn slow_deployment(name: &str, delay: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: app\n  annotations:\n    sandbox.glidepath.io/ready-after: {delay}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1\n"
    )
}

fn inventory_ids(k: &Value) -> Vec<String> {
    let entries = k["status"]["inventory"]["entries"].as_array().cloned().unwrap_or_default();
    entries.iter().filter_map(|e| e["id"].as_str().map(str::to_owned)).collect()
}

/// Ready=True at `sha` or Ready=False at all: whichever comes first, so a failure shows at once.
async fn settled(e: &Env, name: &str, sha: &str) -> Value {
    let want = format!("main@sha1:{sha}");
    wait_for(&e.client, "Kustomization", name, "settled", |o| {
        let applied = o["status"]["lastAppliedRevision"] == want.as_str() && ready(o).is_some_and(|r| r.0 == "True");
        let failed = o["status"]["lastAttemptedRevision"] == want.as_str() && ready(o).is_some_and(|r| r.0 == "False");
        applied || failed
    })
    .await
}

#[tokio::test]
async fn wait_checks_the_applied_set_and_never_a_pruned_object() {
    let e = env().await;
    e.repo.write("apps/a.yaml", &config_map("a", "1")).write("apps/loadtester.yaml", &service("loadtester"));
    let one = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({"wait": true, "prune": true, "timeout": "10s"})).await;
    wait_applied(&e.client, "apps", &one).await;
    assert!(get(&e.client, "v1", "Service", Some("app"), "loadtester").await.is_some());

    e.repo.remove("apps/loadtester.yaml");
    let two = e.repo.commit("drop the load tester");
    let k = settled(&e, "apps", &two).await;
    assert_eq!(ready(&k).unwrap().0, "True", "status: {:#}", k["status"]);
    assert_eq!(k["status"]["lastAppliedRevision"], format!("main@sha1:{two}"));
    assert_eq!(condition(&k, "Healthy").unwrap()["status"], "True");
    assert!(get(&e.client, "v1", "Service", Some("app"), "loadtester").await.is_none());
    assert_eq!(inventory_ids(&k), vec!["app_a__ConfigMap".to_owned()]);
}

#[tokio::test]
async fn during_a_health_wait_the_status_shows_the_inventory_and_what_is_checked() {
    let e = env().await;
    e.repo.write("apps/web.yaml", &slow_deployment("web", "4s")).write("apps/a.yaml", &config_map("a", "1"));
    let sha = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({"wait": true, "timeout": "1m30s"})).await;
    let want = format!("Running health checks for revision main@sha1:{sha} with a timeout of 1m30s");
    let k = wait_for(&e.client, "Kustomization", "apps", "the health-check progress", |o| {
        condition(o, "Reconciling").is_some_and(|c| c["message"] == want.as_str())
    })
    .await;
    let healthy = condition(&k, "Healthy").unwrap();
    assert_eq!((healthy["status"].as_str(), healthy["reason"].as_str()), (Some("Unknown"), Some("Progressing")));
    assert_eq!(healthy["message"], want.as_str());
    assert_eq!(condition(&k, "Reconciling").unwrap()["reason"], "Progressing");
    assert_ne!(ready(&k).unwrap().0, "True", "Ready before the Deployment rolled out");
    assert_eq!(inventory_ids(&k), vec!["app_a__ConfigMap".to_owned(), "app_web_apps_Deployment".to_owned()]);

    let k = wait_applied(&e.client, "apps", &sha).await;
    assert_eq!(condition(&k, "Healthy").unwrap()["status"], "True");
    assert!(condition(&k, "Reconciling").is_none(), "{:#}", k["status"]);
}

#[tokio::test]
async fn old_flux_api_versions_fail_naming_the_kind_and_version() {
    let e = env().await;
    let old = "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: app\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: podinfo\n      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n";
    e.repo.write("apps/a.yaml", &config_map("a", "1")).write("apps/release.yaml", old);
    e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({})).await;
    let k = wait_failed(&e.client, "Kustomization", "apps", "ReconciliationFailed").await;
    let (_, _, msg) = ready(&k).unwrap();
    assert!(msg.contains("HelmRelease") && msg.contains("helm.toolkit.fluxcd.io/v2beta1"), "{msg}");
    assert!(cm(&e.client, "a").await.is_none(), "a broken set applied in part");
}
