//! A Kustomization that asks for what Glidepath does not build yet (a remote cluster, another
//! identity, SOPS decryption, drift ignore rules) is refused before anything is applied:
//! `Ready=False`, reason `InvalidSpec`, the message naming the field. Real Git over `file://`,
//! the embedded API server, the controllers in-process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::sync_env;

use serde_json::json;
use sync_env::*;

#[tokio::test]
async fn unimplemented_fields_are_refused_and_nothing_is_applied() {
    let e = env().await;
    e.repo.write("apps/a.yaml", &config_map("a", "1"));
    let sha = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "remote", "./apps", json!({"kubeConfig": {"secretRef": {"name": "workload-cluster"}}}))
        .await;
    kustomization(&e.client, "tenant", "./apps", json!({"serviceAccountName": "tenant-a"})).await;
    kustomization(&e.client, "plain", "./apps", json!({"targetNamespace": "default"})).await;
    for (name, field) in [("remote", "spec.kubeConfig"), ("tenant", "spec.serviceAccountName")] {
        let k = wait_failed(&e.client, "Kustomization", name, "InvalidSpec").await;
        let (_, _, msg) = ready(&k).unwrap();
        assert!(msg.contains(field) && msg.contains("not supported by Glidepath yet"), "{name}: {msg}");
        assert_eq!(condition(&k, "Stalled").unwrap()["status"], "True");
    }
    // The marker that the controller ran: the valid one beside them applied its copy.
    wait_applied(&e.client, "plain", &sha).await;
    assert!(get(&e.client, "v1", "ConfigMap", Some("default"), "a").await.is_some());
    assert!(cm(&e.client, "a").await.is_none(), "a refused Kustomization applied its objects");
}

/// `--watch-label-selector` (Flux's sharding): objects without the shard's label belong to
/// another controller and are never touched, while the shard's own are reconciled.
#[tokio::test]
async fn only_the_shard_s_objects_are_reconciled() {
    let e = env_with(|s| s.watch_label_selector = Some("sharding.fluxcd.io/key=shard1".into())).await;
    e.repo.write("apps/a.yaml", &config_map("a", "1"));
    let sha = e.repo.commit("one");
    let labels = |shard: bool| if shard { json!({"sharding.fluxcd.io/key": "shard1"}) } else { json!({}) };
    for (name, shard) in [("ours", true), ("theirs", false)] {
        let repo = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": name, "namespace": NS, "labels": labels(shard)},
            "spec": {"url": e.repo.url(), "interval": "1s", "ref": {"branch": "main"}}});
        apply(&e.client, &repo, "test").await;
        let ks = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name, "namespace": NS, "labels": labels(shard)},
            "spec": {"interval": "1s", "path": "./apps", "prune": true,
                "sourceRef": {"kind": "GitRepository", "name": "ours"}}});
        apply(&e.client, &ks, "test").await;
    }
    // The marker: the shard's Kustomization applied from the shard's repository.
    wait_applied(&e.client, "ours", &sha).await;
    let untouched = |o: &serde_json::Value| o.get("status").is_none_or(|s| s.get("conditions").is_none());
    assert!(untouched(&gitrepo(&e.client, "theirs").await), "another shard's GitRepository");
    assert!(untouched(&ks(&e.client, "theirs").await), "another shard's Kustomization");
}
