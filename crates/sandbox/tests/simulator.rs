//! The workload simulator, observed as a user would: `kubectl wait`, status fields, failure
//! injection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::time::Duration;

use common::{Kubectl, client, start};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

fn deploy(name: &str, annotations: serde_json::Value, deadline: i64) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"replicas": 2, "progressDeadlineSeconds": deadline, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}, "annotations": annotations},
                "spec": {"containers": [{"name": "c", "image": "x:1"}]}}}
    }))
    .unwrap()
}

async fn until<F: Fn(&Deployment) -> bool>(api: &Api<Deployment>, name: &str, f: F) -> Deployment {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let d = api.get(name).await.unwrap();
        if f(&d) {
            return d;
        }
        assert!(tokio::time::Instant::now() < deadline, "condition not reached: {:?}", d.status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn reason(d: &Deployment, type_: &str) -> Option<String> {
    d.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_.as_deref() == Some(type_))?.reason.clone()
}

#[tokio::test]
async fn deployments_roll_out_and_kubectl_wait_sees_it() {
    let sandbox = start().await;
    let api: Api<Deployment> = Api::namespaced(client(&sandbox).await, "default");
    api.create(&PostParams::default(), &deploy("web", json!({}), 600)).await.unwrap();
    let k = Kubectl::new(&sandbox.kubeconfig_yaml());
    k.ok(&["wait", "--for=condition=Available", "deploy/web", "--timeout=20s"]).await;
    let d = api.get("web").await.unwrap();
    let s = d.status.unwrap();
    assert_eq!((s.ready_replicas, s.available_replicas, s.updated_replicas), (Some(2), Some(2), Some(2)));
    assert_eq!(s.observed_generation, d.metadata.generation);
    // Scale to zero and a new template are followed.
    api.patch("web", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 0}}))).await.unwrap();
    until(&api, "web", |d| d.status.as_ref().and_then(|s| s.replicas) == Some(0)).await;
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn failure_injection_never_ready_and_crash_loop() {
    let sandbox = start().await;
    let api: Api<Deployment> = Api::namespaced(client(&sandbox).await, "default");
    api.create(&PostParams::default(), &deploy("never", json!({"sandbox.glidepath.io/fail": "never-ready"}), 1))
        .await
        .unwrap();
    api.create(&PostParams::default(), &deploy("crash", json!({"sandbox.glidepath.io/fail": "crash-loop"}), 1))
        .await
        .unwrap();
    let never = until(&api, "never", |d| reason(d, "Progressing").as_deref() == Some("ProgressDeadlineExceeded")).await;
    assert_eq!(never.status.unwrap().available_replicas, Some(0));
    let crash = until(&api, "crash", |d| d.status.as_ref().and_then(|s| s.observed_generation).is_some()).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let crash = api.get("crash").await.unwrap_or(crash);
    assert_eq!(reason(&crash, "Progressing").as_deref(), Some("ReplicaSetUpdated"), "no deadline reported");
    assert_eq!(reason(&crash, "Available").as_deref(), Some("MinimumReplicasUnavailable"));
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn daemon_sets_follow_the_scale_to_zero_node_selector() {
    let sandbox = start().await;
    let c = client(&sandbox).await;
    let api: Api<DaemonSet> = Api::namespaced(c, "default");
    let ds: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "a:1"}]}}}
    }))
    .unwrap();
    api.create(&PostParams::default(), &ds).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let s = api.get("agent").await.unwrap().status;
        if s.as_ref().and_then(|s| s.number_available) == Some(3) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{s:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let patch = json!({"spec": {"template": {"spec": {"nodeSelector": {"flagger.app/scale-to-zero": "true"}}}}});
    api.patch("agent", &PatchParams::default(), &Patch::Merge(patch)).await.unwrap();
    loop {
        let s = api.get("agent").await.unwrap().status.unwrap();
        if s.desired_number_scheduled == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{s:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn rollouts_keep_one_replica_set_per_template_hash() {
    use k8s_openapi::api::apps::v1::ReplicaSet;
    use kube::ResourceExt;
    use kube::api::{DeleteParams, ListParams};
    tokio::time::timeout(common::TIMEOUT, async {
        let sandbox = start().await;
        let c = client(&sandbox).await;
        let api: Api<Deployment> = Api::namespaced(c.clone(), "default");
        let rss: Api<ReplicaSet> = Api::namespaced(c.clone(), "default");
        let created = api.create(&PostParams::default(), &deploy("shop", json!({}), 600)).await.unwrap();
        let uid = created.uid().unwrap();
        let owned = |list: Vec<ReplicaSet>| -> Vec<ReplicaSet> {
            list.into_iter()
                .filter(|rs| rs.owner_references().iter().any(|o| o.uid == uid && o.controller == Some(true)))
                .collect()
        };
        let ready_rs = |rs: &ReplicaSet, n: i32| {
            rs.status.as_ref().is_some_and(|s| s.replicas == n && s.ready_replicas == Some(n))
                && rs.spec.replicas == Some(n)
        };
        let wait_sets = |want: usize| {
            let rss = rss.clone();
            let owned = &owned;
            async move {
                loop {
                    let sets = owned(rss.list(&ListParams::default()).await.unwrap().items);
                    let new_ready = sets.iter().filter(|rs| ready_rs(rs, 2)).count() == 1;
                    let rest_zero = sets.iter().filter(|rs| ready_rs(rs, 0)).count() == want - 1;
                    if sets.len() == want && new_ready && rest_zero {
                        return sets;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let first = wait_sets(1).await;
        let rs = &first[0];
        let hash = rs.labels()["pod-template-hash"].clone();
        assert_eq!(rs.name_any(), format!("shop-{hash}"));
        assert_eq!(rs.spec.selector.match_labels.as_ref().unwrap()["pod-template-hash"], hash);
        assert_eq!(rs.annotations()["deployment.kubernetes.io/revision"], "1");
        let d = until(&api, "shop", |d| d.status.as_ref().and_then(|s| s.ready_replicas) == Some(2)).await;
        let s = d.status.unwrap();
        assert_eq!((s.replicas, s.updated_replicas), (Some(2), Some(2)), "the Deployment counts its new ReplicaSet");

        // A new template: a second ReplicaSet takes over, the first is scaled to zero.
        let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:2"}]}}}});
        api.patch("shop", &PatchParams::default(), &Patch::Strategic(image)).await.unwrap();
        let second = wait_sets(2).await;
        let new = second.iter().find(|rs| ready_rs(rs, 2)).unwrap();
        assert_ne!(new.labels()["pod-template-hash"], hash);
        assert_eq!(new.annotations()["deployment.kubernetes.io/revision"], "2");
        assert!(second.iter().any(|rs| rs.name_any() == format!("shop-{hash}") && ready_rs(rs, 0)));

        // Deleting the Deployment collects its ReplicaSets.
        api.delete("shop", &DeleteParams::foreground()).await.unwrap();
        loop {
            if owned(rss.list(&ListParams::default()).await.unwrap().items).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sandbox.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn standalone_replica_sets_become_ready_unless_told_not_to() {
    use k8s_openapi::api::apps::v1::ReplicaSet;
    tokio::time::timeout(common::TIMEOUT, async {
        let sandbox = start().await;
        let rss: Api<ReplicaSet> = Api::namespaced(client(&sandbox).await, "default");
        let rs = |name: &str, annotations: serde_json::Value| -> ReplicaSet {
            serde_json::from_value(json!({
                "metadata": {"name": name},
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}, "annotations": annotations},
                        "spec": {"containers": [{"name": "c", "image": "x:1"}]}}}
            }))
            .unwrap()
        };
        rss.create(&PostParams::default(), &rs("solo", json!({}))).await.unwrap();
        rss.create(&PostParams::default(), &rs("stuck", json!({"sandbox.glidepath.io/fail": "never-ready"})))
            .await
            .unwrap();
        let status = |name: &'static str| {
            let rss = rss.clone();
            async move {
                loop {
                    if let Some(s) = rss.get(name).await.unwrap().status {
                        return s;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let solo = status("solo").await;
        assert_eq!((solo.replicas, solo.ready_replicas, solo.available_replicas), (3, Some(3), Some(3)));
        let stuck = status("stuck").await;
        assert_eq!((stuck.replicas, stuck.ready_replicas), (3, Some(0)));
        sandbox.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
