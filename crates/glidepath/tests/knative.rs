//! Knative Service targets (`provider: knative`) against the embedded API server, with a
//! stand-in for Knative Serving's controller that creates a Revision per template and reports
//! the Service's status as Knative does. A release moves the Service's own `spec.traffic`
//! from the primary revision to the latest one step by step, promotes by moving the
//! `flagger.app/primary-revision` annotation, rolls back a revision that fails, and the
//! Service stays the user's: no ownerReference, no Deployments or Services of ours, and with
//! `revertOnDeletion` our fields go when the Canary does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use glidepath::controller::Controller;
use glidepath_api::flagger::Canary;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const API_VERSION: &str = "serving.knative.dev/v1";

/// Knative Serving's CRDs are not among the conformance data: the two kinds with the fields
/// used here typed as Knative publishes them (`spec.traffic` items), the rest preserved.
async fn knative_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let open = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
    let traffic = json!({"type": "array", "items": {"type": "object", "properties": {
        "configurationName": {"type": "string"}, "latestRevision": {"type": "boolean"},
        "percent": {"type": "integer", "format": "int64"}, "revisionName": {"type": "string"},
        "tag": {"type": "string"}, "url": {"type": "string"}}}});
    for (plural, kind) in [("services", "Service"), ("revisions", "Revision")] {
        let spec = if kind == "Service" {
            json!({"type": "object", "properties": {"template": open, "traffic": traffic}})
        } else {
            open.clone()
        };
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": format!("{plural}.serving.knative.dev")},
            "spec": {"group": "serving.knative.dev", "scope": "Namespaced",
                "names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind, "listKind": format!("{kind}List")},
                "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": spec, "status": open}}}}]}});
        api.create(&PostParams::default(), &serde_json::from_value(crd).unwrap()).await.unwrap();
    }
}

fn api(client: &Client, kind: &str) -> Api<DynamicObject> {
    let plural = if kind == "Service" { "services" } else { "revisions" };
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("serving.knative.dev", "v1", kind), plural);
    Api::namespaced_with(client.clone(), "test", &ar)
}

fn knative_service(image: &str) -> Value {
    json!({"apiVersion": API_VERSION, "kind": "Service", "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"template": {"spec": {"containers": [{"image": image}]}}}})
}

/// Knative Serving's part: a Revision `<service>-0000N` for each new template (Ready unless its
/// image is `broken`), and the Service's status: latest created/ready revision and the
/// resolved traffic (all to the latest revision when `spec.traffic` is empty).
fn knative_controller(client: Client) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let (services, revisions) = (api(&client, "Service"), api(&client, "Revision"));
        let mut templates: BTreeMap<String, Value> = BTreeMap::new();
        let mut count = 0;
        let mut latest = String::new();
        let mut ready = String::new();
        loop {
            let Ok(svc) = services.get("podinfo").await else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let template = svc.data["spec"]["template"].clone();
            if !templates.values().any(|t| *t == template) {
                count += 1;
                latest = format!("podinfo-{count:05}");
                templates.insert(latest.clone(), template.clone());
                let image = template["spec"]["containers"][0]["image"].as_str().unwrap_or_default().to_owned();
                let rev = json!({"apiVersion": API_VERSION, "kind": "Revision",
                    "metadata": {"name": latest, "namespace": "test"}, "spec": template["spec"]});
                revisions.create(&PostParams::default(), &serde_json::from_value(rev).unwrap()).await.unwrap();
                let condition = if image.contains("broken") {
                    json!({"type": "Ready", "status": "False", "reason": "ContainerMissing", "message": "image not found"})
                } else {
                    ready = latest.clone();
                    json!({"type": "Ready", "status": "True"})
                };
                let status =
                    json!({"apiVersion": API_VERSION, "kind": "Revision", "status": {"conditions": [condition]}});
                revisions
                    .patch_status(&latest, &PatchParams::apply("knative").force(), &Patch::Apply(&status))
                    .await
                    .unwrap();
            }
            let resolved: Vec<Value> = match svc.data["spec"]["traffic"].as_array() {
                Some(t) if !t.is_empty() => t
                    .iter()
                    .map(|t| {
                        let mut t = t.clone();
                        if t["latestRevision"] == true {
                            t["revisionName"] = json!(ready);
                        }
                        t
                    })
                    .collect(),
                _ => vec![json!({"revisionName": ready, "latestRevision": true, "percent": 100})],
            };
            let status = json!({"apiVersion": API_VERSION, "kind": "Service", "status": {
                "observedGeneration": svc.metadata.generation, "latestCreatedRevisionName": latest,
                "latestReadyRevisionName": ready, "traffic": resolved}});
            let _ =
                services.patch_status("podinfo", &PatchParams::apply("knative").force(), &Patch::Apply(&status)).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

/// (primary revision, canary %, primary %) as the Service's spec carries them.
type Split = (String, i64, i64);

/// Every distinct split the Service's spec carried.
fn record_splits(client: Client) -> (Arc<Mutex<Vec<Split>>>, tokio::task::JoinHandle<()>) {
    let seen: Arc<Mutex<Vec<Split>>> = Arc::default();
    let out = seen.clone();
    let task = tokio::spawn(async move {
        let services = api(&client, "Service");
        loop {
            if let Ok(svc) = services.get("podinfo").await
                && let Some(t) = svc.data["spec"]["traffic"].as_array().filter(|t| t.len() == 2)
            {
                let primary = svc.metadata.annotations.unwrap_or_default().remove("flagger.app/primary-revision");
                let split =
                    (primary.unwrap_or_default(), t[0]["percent"].as_i64().unwrap(), t[1]["percent"].as_i64().unwrap());
                let mut s = seen.lock().unwrap();
                if s.last() != Some(&split) {
                    s.push(split);
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    (out, task)
}

/// A Prometheus stand-in answering every instant query with 1, recording the queries.
async fn prometheus() -> (String, Arc<Mutex<Vec<String>>>) {
    let queries: Arc<Mutex<Vec<String>>> = Arc::default();
    let q = queries.clone();
    let app = axum::Router::new().route(
        "/api/v1/query",
        axum::routing::get(move |axum::extract::Query(p): axum::extract::Query<BTreeMap<String, String>>| {
            let q = q.clone();
            async move {
                q.lock().unwrap().push(p.get("query").cloned().unwrap_or_default());
                axum::Json(json!({"status": "success", "data": {"resultType": "vector",
                    "result": [{"metric": {}, "value": [1.0, "1"]}]}}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, queries)
}

fn canary(prometheus: &str) -> (Value, Value) {
    let template = json!({"apiVersion": "flagger.app/v1beta1", "kind": "MetricTemplate",
        "metadata": {"name": "errors", "namespace": "test"},
        "spec": {"provider": {"type": "prometheus", "address": prometheus},
            "query": "sum(rate(requests{namespace=\"{{ namespace }}\",revision=\"{{ route }}\",code=~\"5..\"}[{{ interval }}]))"}});
    let canary = json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "knative", "revertOnDeletion": true,
            "targetRef": {"apiVersion": API_VERSION, "kind": "Service", "name": "podinfo"},
            "analysis": {"interval": "10s", "threshold": 2, "maxWeight": 60, "stepWeight": 20,
                "metrics": [{"name": "errors", "templateRef": {"name": "errors"}, "thresholdRange": {"max": 5}, "interval": "1m"}]}}});
    (template, canary)
}

async fn knative_svc(client: &Client) -> DynamicObject {
    api(client, "Service").get("podinfo").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_knative_release_moves_revision_traffic_promotes_and_rolls_back() {
    let env = support::env().await;
    knative_crds(&env.client).await;
    let stand_in = knative_controller(env.client.clone());
    support::apply(&env.client, &knative_service("podinfo:1")).await;
    let (prom, queries) = prometheus().await;
    let (template, canary) = canary(&prom);
    support::apply(&env.client, &template).await;
    support::apply(&env.client, &canary).await;
    let (splits, recorder) = record_splits(env.client.clone());
    let controller = Controller::start(env.client.clone(), support::settings()).await.unwrap();
    let mut seen = Vec::new();
    support::wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    let svc = knative_svc(&env.client).await;
    assert_eq!(svc.metadata.annotations.as_ref().unwrap()["flagger.app/primary-revision"], "podinfo-00001");
    assert_eq!(
        svc.data["spec"]["traffic"],
        json!([{"latestRevision": true, "percent": 0}, {"revisionName": "podinfo-00001", "latestRevision": false, "percent": 100}])
    );
    assert!(svc.metadata.owner_references.is_none(), "the Knative Service is the user's");
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(env.client.clone(), "test");
    let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(env.client.clone(), "test");
    assert!(deployments.list(&Default::default()).await.unwrap().items.is_empty(), "no primary workload");
    assert!(services.list(&Default::default()).await.unwrap().items.is_empty(), "Knative makes its own Services");

    // A new template is a new revision: the canary, analysed with `{{ route }}` = its name.
    support::apply(&env.client, &knative_service("podinfo:2")).await;
    let done = support::wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    assert!(seen.contains(&"Progressing".to_owned()) && seen.contains(&"Finalising".to_owned()), "{seen:?}");
    assert_eq!(done.status.as_ref().unwrap().canary_weight, Some(0));
    let steps: Vec<Split> = splits.lock().unwrap().clone();
    let old = "podinfo-00001".to_owned();
    for w in [20, 40, 60] {
        assert!(steps.contains(&(old.clone(), w, 100 - w)), "step {w} on the old primary: {steps:?}");
    }
    let new = "podinfo-00002".to_owned();
    assert_eq!(steps.last(), Some(&(new.clone(), 0, 100)), "promoted: all traffic on the new primary: {steps:?}");
    let canary_steps: Vec<i64> = steps.iter().filter(|s| s.0 == old).map(|s| s.1).collect();
    assert!(canary_steps.windows(2).all(|w| w[0] <= w[1]), "weights only rise during the release: {steps:?}");
    let q = queries.lock().unwrap().clone();
    assert!(q.iter().any(|q| q.contains("revision=\"podinfo-00002\"") && q.contains("[1m]")), "{q:?}");

    // A revision Knative cannot run rolls back; the primary stays.
    support::apply(&env.client, &knative_service("podinfo:broken")).await;
    support::wait_phase(&env.client, "Failed", Duration::from_secs(60), &mut seen).await;
    let svc = knative_svc(&env.client).await;
    assert_eq!(svc.metadata.annotations.as_ref().unwrap()["flagger.app/primary-revision"], "podinfo-00002");
    assert_eq!(svc.data["spec"]["traffic"][0]["percent"], 0, "{}", svc.data["spec"]);
    let events = support::event_messages(&env.client).await;
    assert!(events.iter().any(|e| e.contains("podinfo-00003") && e.contains("ContainerMissing")), "{events:?}");

    // revertOnDeletion: our annotation and split go, the user's Service stays.
    support::wait_for_finalizer(&env.client).await;
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    canaries.delete("podinfo", &DeleteParams::default()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while canaries.get_opt("podinfo").await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "the Canary was never released");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let svc = knative_svc(&env.client).await;
    assert!(!svc.metadata.annotations.unwrap_or_default().contains_key("flagger.app/primary-revision"));
    assert!(svc.data["spec"].get("traffic").is_none(), "{}", svc.data["spec"]);
    assert_eq!(svc.data["spec"]["template"]["spec"]["containers"][0]["image"], "podinfo:broken", "the user's template");
    recorder.abort();
    stand_in.abort();
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}
