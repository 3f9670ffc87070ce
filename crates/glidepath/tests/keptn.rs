//! The `keptn` metrics provider against the embedded API server: a `KeptnMetric`'s value, and
//! an `Analysis` created for the check, answered by a stand-in for Keptn's controller, read as
//! 1 (passed) or 0 (failed), and deleted afterwards; and a release gated by a KeptnMetric
//! through a MetricTemplate, as a user writes it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::Controller;
use glidepath::controller::keptn::KeptnProvider;
use glidepath_analysis::MetricProvider;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use serde_json::json;

/// Keptn's CRDs are not among the conformance data: stand-ins that keep what they are given.
async fn keptn_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for (plural, kind) in [("keptnmetrics", "KeptnMetric"), ("analyses", "Analysis")] {
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": format!("{plural}.metrics.keptn.sh")},
            "spec": {"group": "metrics.keptn.sh", "scope": "Namespaced",
                "names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind, "listKind": format!("{kind}List")},
                "versions": [{"name": "v1beta1", "served": true, "storage": true, "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
        api.create(&PostParams::default(), &serde_json::from_value(crd).unwrap()).await.unwrap();
    }
}

fn api(client: &Client, kind: &str) -> Api<DynamicObject> {
    let plural = if kind == "Analysis" { "analyses" } else { "keptnmetrics" };
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("metrics.keptn.sh", "v1beta1", kind), plural);
    Api::namespaced_with(client.clone(), "test", &ar)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keptn_metrics_and_analyses_answer_checks() {
    let env = support::env().await;
    keptn_crds(&env.client).await;
    let metrics = api(&env.client, "KeptnMetric");
    let metric = json!({"apiVersion": "metrics.keptn.sh/v1beta1", "kind": "KeptnMetric",
        "metadata": {"name": "latency", "namespace": "test"},
        "spec": {"provider": {"name": "prom"}, "query": "q", "fetchIntervalSeconds": 10}});
    metrics.create(&PostParams::default(), &serde_json::from_value(metric).unwrap()).await.unwrap();
    let provider = KeptnProvider::new(env.client.clone());
    let err = provider.query("keptnmetric/test/latency").await.unwrap_err();
    assert!(err.to_string().contains("no values"), "a metric without a value yet: {err}");
    let status = json!({"apiVersion": "metrics.keptn.sh/v1beta1", "kind": "KeptnMetric", "status": {"value": "120.5"}});
    metrics.patch_status("latency", &PatchParams::apply("keptn").force(), &Patch::Apply(&status)).await.unwrap();
    assert_eq!(provider.query("keptnmetric/test/latency").await.unwrap(), 120.5);
    assert!(provider.query("keptnmetric/test/missing").await.is_err());

    // Keptn's controller stand-in: completes each Analysis, passing those with args ok=yes.
    let analyses = api(&env.client, "Analysis");
    let grader = {
        let analyses = analyses.clone();
        tokio::spawn(async move {
            loop {
                for a in analyses.list(&Default::default()).await.unwrap().items {
                    if a.data.pointer("/status/state").is_none() {
                        assert_eq!(a.data["spec"]["analysisDefinition"]["name"], "slo");
                        let pass = a.data["spec"]["args"]["ok"] == "yes";
                        let status = json!({"apiVersion": "metrics.keptn.sh/v1beta1", "kind": "Analysis",
                            "status": {"state": "Completed", "pass": pass}});
                        let name = a.metadata.name.clone().unwrap();
                        let _ = analyses
                            .patch_status(&name, &PatchParams::apply("keptn").force(), &Patch::Apply(&status))
                            .await;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    assert_eq!(provider.query("analysis/test/slo/5m/ok=yes;team=web").await.unwrap(), 1.0);
    assert_eq!(provider.query("analysis/test/slo/1m/ok=no").await.unwrap(), 0.0);
    grader.abort();
    assert!(analyses.list(&Default::default()).await.unwrap().items.is_empty(), "analyses are cleaned up");

    // Nobody grades: the check fails after the timeout, and the Analysis still goes.
    let mut slow = KeptnProvider::new(env.client.clone());
    slow.analysis_timeout = Duration::from_millis(300);
    let err = slow.query("analysis/test/slo").await.unwrap_err();
    assert!(err.to_string().contains("did not complete"), "{err}");
    assert!(analyses.list(&Default::default()).await.unwrap().items.is_empty());
    env.sandbox.shutdown().await.unwrap();
}

/// A MetricTemplate of type keptn gates a release: a good KeptnMetric value promotes, a bad one
/// rolls the next release back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keptn_metric_template_gates_a_release() {
    let env = support::env().await;
    keptn_crds(&env.client).await;
    let metrics = api(&env.client, "KeptnMetric");
    let metric = json!({"apiVersion": "metrics.keptn.sh/v1beta1", "kind": "KeptnMetric",
        "metadata": {"name": "latency", "namespace": "test"}, "spec": {"provider": {"name": "prom"}, "query": "q"}});
    metrics.create(&PostParams::default(), &serde_json::from_value(metric).unwrap()).await.unwrap();
    let set = |v: &'static str| {
        let metrics = metrics.clone();
        async move {
            let status =
                json!({"apiVersion": "metrics.keptn.sh/v1beta1", "kind": "KeptnMetric", "status": {"value": v}});
            metrics
                .patch_status("latency", &PatchParams::apply("keptn").force(), &Patch::Apply(&status))
                .await
                .unwrap();
        }
    };
    set("120").await;
    support::apply(&env.client, &support::deployment("podinfo:1")).await;
    support::apply(
        &env.client,
        &json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "MetricTemplate",
            "metadata": {"name": "latency", "namespace": "test"},
            "spec": {"provider": {"type": "keptn"}, "query": "keptnmetric/test/latency"}
        }),
    )
    .await;
    support::apply(&env.client, &json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "kubernetes", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898}, "analysis": {"interval": "10s", "threshold": 1, "iterations": 2,
                "metrics": [{"name": "latency", "templateRef": {"name": "latency"}, "thresholdRange": {"max": 500}}]}}
    })).await;
    let controller = Controller::start(env.client.clone(), support::settings()).await.unwrap();
    let mut seen = Vec::new();
    support::wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    support::apply(&env.client, &support::deployment("podinfo:2")).await;
    support::wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    set("900").await;
    support::apply(&env.client, &support::deployment("podinfo:3")).await;
    support::wait_phase(&env.client, "Failed", Duration::from_secs(60), &mut seen).await;
    let events = support::event_messages(&env.client).await;
    assert!(events.iter().any(|e| e.contains("latency") && e.contains("900")), "{events:?}");
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}
