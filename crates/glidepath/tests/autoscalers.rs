//! `autoscalerRef.kind: ScaledObject` (KEDA), as Flagger runs it: a `<name>-primary`
//! ScaledObject scaling the primary with its trigger queries rewritten, owned by the Canary; the
//! user's ScaledObject paused (`autoscaling.keda.sh/paused-replicas: "0"`) while the target is
//! at zero, resumed for a run, paused again after the promotion. The upstream KEDA CRD served by
//! the sandbox validates what is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::Controller;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use serde_json::json;
use support::{apply, deployment, env, settings, wait_phase};

const PAUSED: &str = "autoscaling.keda.sh/paused-replicas";

fn paused(so: &DynamicObject) -> Option<String> {
    so.metadata.annotations.as_ref().and_then(|a| a.get(PAUSED).cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scaled_object_gets_a_primary_copy_and_is_paused_while_the_target_is_at_zero() {
    let env = env().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/crds/keda/keda.sh_scaledobjects.yaml");
    let crd: CustomResourceDefinition = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Api::<CustomResourceDefinition>::all(env.client.clone()).create(&PostParams::default(), &crd).await.unwrap();
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "podinfo-so", "namespace": "test"},
        "spec": {"scaleTargetRef": {"name": "podinfo"}, "minReplicaCount": 1, "maxReplicaCount": 4,
            "triggers": [{"type": "prometheus", "name": "rps", "metadata": {"serverAddress": "http://prometheus:9090",
                "query": "sum(rate(http_requests_total{app=\"podinfo\"}[1m]))", "threshold": "100"}}]}
    })).await;
    apply(
        &env.client,
        &json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {"provider": "kubernetes",
                "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "autoscalerRef": {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "name": "podinfo-so",
                    "primaryScalerReplicas": {"minReplicas": 2}},
                "service": {"port": 9898}, "analysis": {"interval": "10s", "threshold": 1, "iterations": 1}}
        }),
    )
    .await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut Vec::new()).await;
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("keda.sh", "v1alpha1", "ScaledObject"));
    let sos: Api<DynamicObject> = Api::namespaced_with(env.client.clone(), "test", &ar);
    let primary = sos.get("podinfo-so-primary").await.unwrap();
    assert_eq!(primary.data["spec"]["scaleTargetRef"]["name"], "podinfo-primary");
    assert_eq!(
        primary.data["spec"]["triggers"][0]["metadata"]["query"],
        "sum(rate(http_requests_total{app=\"podinfo-primary\"}[1m]))"
    );
    assert_eq!(primary.data["spec"]["minReplicaCount"], 2);
    assert_eq!(primary.metadata.owner_references.as_ref().unwrap()[0].kind, "Canary");
    assert_eq!(paused(&sos.get("podinfo-so").await.unwrap()).as_deref(), Some("0"), "paused while at zero");
    assert_eq!(sos.get("podinfo-so").await.unwrap().metadata.owner_references, None, "the user's stays the user's");

    // A release resumes the target's ScaledObject for the run and pauses it after promotion:
    // every distinct state is recorded until the promotion is done.
    apply(&env.client, &deployment("podinfo:2")).await;
    let canaries: Api<glidepath_api::flagger::Canary> = Api::namespaced(env.client.clone(), "test");
    let mut states: Vec<Option<String>> = vec![Some("0".into())];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let now = paused(&sos.get("podinfo-so").await.unwrap());
        if states.last() != Some(&now) {
            states.push(now.clone());
        }
        let phase = canaries.get("podinfo").await.unwrap().status.map(|s| s.phase.as_str().to_owned());
        if phase.as_deref() == Some("Succeeded") && now.is_some() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "release not done; paused states {states:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(states, vec![Some("0".into()), None, Some("0".into())], "paused, resumed for the run, paused again");
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}
