//! The routers through the controller, against the sandbox with the providers' upstream CRDs:
//! the weights written at each step, A/B matches, rollback to 100/0, and clear conditions when
//! a provider's CRDs are missing or it cannot express what the Canary asks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use glidepath::controller::{Controller, Settings};
use glidepath_api::flagger::Canary;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use serde_json::{Value, json};
use support::{apply, deployment, env, wait_phase};

async fn install_crds(client: &Client, dir: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/crds").join(dir);
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let crd: CustomResourceDefinition =
                serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            api.create(&PostParams::default(), &crd).await.unwrap();
        }
    }
}

fn dynamic(client: &Client, group: &str, version: &str, kind: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), "test", &ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind)))
}

fn canary(provider: &str, service: Value, analysis: Value) -> Value {
    json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": provider, "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": service, "analysis": analysis}
    })
}

/// (primary, canary) weights of the VirtualService's first HTTP route.
fn istio_weights(vs: &DynamicObject) -> (i64, i64) {
    let route = &vs.data["spec"]["http"][0]["route"];
    let w = |host: &str| {
        route
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["destination"]["host"] == host)
            .map_or(0, |d| d["weight"].as_i64().unwrap_or(0))
    };
    (w("podinfo-primary"), w("podinfo-canary"))
}

/// Watch `read` until the canary reaches `until`, collecting every distinct value.
async fn collect<T: Ord + Clone + std::fmt::Debug>(
    client: &Client,
    until: &str,
    mut read: impl AsyncFnMut() -> Option<T>,
) -> BTreeSet<T> {
    let canaries: Api<Canary> = Api::namespaced(client.clone(), "test");
    let mut seen = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = read().await {
            seen.insert(v);
        }
        let phase =
            canaries.get("podinfo").await.unwrap().status.map(|s| s.phase.as_str().to_owned()).unwrap_or_default();
        if phase == until {
            return seen;
        }
        assert!(tokio::time::Instant::now() < deadline, "phase {until} not reached (at {phase}); seen {seen:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn settings() -> Settings {
    Settings { mesh_provider: "istio".into(), ..support::settings() }
}

/// A sandbox with the Istio CRDs, `podinfo:1` under an initialised `istio` Canary, and the
/// controller running.
async fn istio_initialised(service: Value, analysis: Value) -> (support::Env, Controller) {
    let env = env().await;
    install_crds(&env.client, "istio").await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &canary("istio", service, analysis)).await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut Vec::new()).await;
    (env, controller)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn istio_canary_steps_through_the_virtual_service_and_promotes() {
    let (env, controller) = istio_initialised(
        json!({"port": 9898, "gateways": ["public"], "hosts": ["app.example.com"]}),
        json!({"interval": "10s", "threshold": 1, "stepWeights": [10, 40, 70]}),
    )
    .await;
    let vs = dynamic(&env.client, "networking.istio.io", "v1beta1", "VirtualService");
    let dr = dynamic(&env.client, "networking.istio.io", "v1beta1", "DestinationRule");
    assert!(dr.get("podinfo-primary").await.is_ok() && dr.get("podinfo-canary").await.is_ok());
    let init = vs.get("podinfo").await.unwrap();
    assert_eq!(istio_weights(&init), (100, 0));
    assert_eq!(init.data["spec"]["hosts"], json!(["app.example.com", "podinfo"]));
    apply(&env.client, &deployment("podinfo:2")).await;
    let seen =
        collect(&env.client, "Succeeded", async || vs.get("podinfo").await.ok().map(|v| istio_weights(&v))).await;
    for step in [(90, 10), (60, 40), (30, 70)] {
        assert!(seen.contains(&step), "step {step:?} routed; seen {seen:?}");
    }
    assert_eq!(istio_weights(&vs.get("podinfo").await.unwrap()), (100, 0), "all traffic back on the primary");
    controller.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn istio_rollback_restores_all_traffic_to_the_primary() {
    // A rollout hook that always fails: two failed checks, then rollback.
    let (env, controller) = istio_initialised(
        json!({"port": 9898}),
        json!({"interval": "10s", "threshold": 2, "stepWeight": 25,
            "webhooks": [{"name": "load", "type": "rollout", "url": "http://127.0.0.1:1/"}]}),
    )
    .await;
    apply(&env.client, &deployment("podinfo:2")).await;
    let vs = dynamic(&env.client, "networking.istio.io", "v1beta1", "VirtualService");
    let seen = collect(&env.client, "Failed", async || vs.get("podinfo").await.ok().map(|v| istio_weights(&v))).await;
    assert!(seen.contains(&(75, 25)), "the first step was routed: {seen:?}");
    assert_eq!(istio_weights(&vs.get("podinfo").await.unwrap()), (100, 0));
    controller.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn istio_ab_test_routes_matching_requests_to_the_canary() {
    let (env, controller) = istio_initialised(
        json!({"port": 9898}),
        json!({"interval": "10s", "threshold": 1, "iterations": 2,
            "match": [{"headers": {"x-canary": {"exact": "insider"}}}]}),
    )
    .await;
    apply(&env.client, &deployment("podinfo:2")).await;
    let vs = dynamic(&env.client, "networking.istio.io", "v1beta1", "VirtualService");
    let seen = collect(&env.client, "Succeeded", async || {
        let v = vs.get("podinfo").await.ok()?;
        let http = v.data["spec"]["http"].clone();
        // (matched route's canary weight, default route's primary weight) while a match exists.
        (http[0]["match"][0]["headers"]["x-canary"]["exact"] == "insider")
            .then(|| (istio_weights(&v).1, http[1]["route"][0]["weight"].as_i64().unwrap_or(100)))
    })
    .await;
    assert!(seen.contains(&(100, 100)), "matched requests to the canary, the rest to the primary: {seen:?}");
    assert_eq!(istio_weights(&vs.get("podinfo").await.unwrap()), (100, 0));
    controller.shutdown().await;
}

/// The VirtualService's spec once the last route write landed (it equals `want` within the
/// bound, or the last one seen is returned for the assertion).
async fn settled_spec(vs: &Api<DynamicObject>, want: &Value) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let spec = vs.get("podinfo").await.unwrap().data["spec"].clone();
        if &spec == want || tokio::time::Instant::now() > deadline {
            return spec;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Blue/green with traffic mirroring: the canary gets a mirrored copy during the analysis;
/// after promotion the VirtualService is field for field what it was before the release (no
/// `mirror`, no `mirrorPercentage` left behind).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn istio_mirroring_leaves_nothing_behind_after_promotion() {
    let (env, controller) = istio_initialised(
        json!({"port": 9898, "retries": {"attempts": 3, "perTryTimeout": "1s"}}),
        json!({"interval": "10s", "threshold": 1, "iterations": 2, "mirror": true, "mirrorWeight": 100}),
    )
    .await;
    let vs = dynamic(&env.client, "networking.istio.io", "v1beta1", "VirtualService");
    let before = vs.get("podinfo").await.unwrap().data["spec"].clone();
    assert!(before["http"][0].get("mirror").is_none(), "{before:#}");
    apply(&env.client, &deployment("podinfo:2")).await;
    let seen = collect(&env.client, "Succeeded", async || {
        let v = vs.get("podinfo").await.ok()?;
        v.data["spec"]["http"][0]["mirror"]["host"].as_str().map(str::to_owned)
    })
    .await;
    assert!(seen.contains("podinfo-canary"), "mirrored to the canary during the analysis: {seen:?}");
    let after = settled_spec(&vs, &before).await;
    assert_eq!(after, before, "the promoted VirtualService differs from the uninterrupted one");
    controller.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_ab_test_clones_the_ingress_with_header_annotations() {
    let env = env().await;
    apply(&env.client, &json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "podinfo", "namespace": "test", "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "1m"}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "app.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "podinfo", "port": {"number": 9898}}}}]}}]}
    }))
    .await;
    apply(&env.client, &deployment("podinfo:1")).await;
    let mut c = canary(
        "nginx",
        json!({"port": 9898}),
        json!({"interval": "10s", "threshold": 1, "iterations": 2,
        "match": [{"headers": {"x-canary": {"exact": "insider"}}}]}),
    );
    c["spec"]["ingressRef"] = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo"});
    apply(&env.client, &c).await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut Vec::new()).await;
    let ingresses = dynamic(&env.client, "networking.k8s.io", "v1", "Ingress");
    let annotation = |i: &DynamicObject, k: &str| {
        i.metadata.annotations.as_ref().and_then(|a| a.get(&format!("nginx.ingress.kubernetes.io/{k}")).cloned())
    };
    let clone = ingresses.get("podinfo-canary").await.unwrap();
    assert_eq!(clone.data["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"], "podinfo-canary");
    assert_eq!(annotation(&clone, "canary").as_deref(), Some("true"));
    assert_eq!(annotation(&clone, "proxy-body-size").as_deref(), Some("1m"), "the user's annotations are kept");
    apply(&env.client, &deployment("podinfo:2")).await;
    let seen = collect(&env.client, "Succeeded", async || {
        let i = ingresses.get("podinfo-canary").await.ok()?;
        Some((annotation(&i, "canary-by-header"), annotation(&i, "canary-by-header-value")))
    })
    .await;
    assert!(
        seen.contains(&(Some("x-canary".into()), Some("insider".into()))),
        "header match written during the analysis: {seen:?}"
    );
    // The header routing goes with the analysis (Flagger removes the canary-by-* annotations
    // when traffic returns to the primary); waits for the promotion's last route write.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let after = loop {
        let i = ingresses.get("podinfo-canary").await.unwrap();
        if annotation(&i, "canary-by-header").is_none() || tokio::time::Instant::now() > deadline {
            break i;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(annotation(&after, "canary-weight").as_deref(), Some("0"), "no traffic to the canary after promotion");
    for stale in ["canary-by-header", "canary-by-header-value", "canary-by-header-pattern", "canary-by-cookie"] {
        assert_eq!(annotation(&after, stale), None, "{stale} left after promotion: {:?}", after.metadata.annotations);
    }
    assert_eq!(annotation(&after, "canary").as_deref(), Some("true"));
    assert_eq!(annotation(&after, "proxy-body-size").as_deref(), Some("1m"));
    controller.shutdown().await;
}

async fn validated(client: &Client) -> (String, String) {
    let canaries: Api<Canary> = Api::namespaced(client.clone(), "test");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let c = canaries.get("podinfo").await.unwrap();
        if let Some(cond) =
            c.status.and_then(|s| s.conditions).unwrap_or_default().into_iter().find(|c| c.r#type == "Validated")
        {
            return (cond.reason, cond.message.unwrap_or_default());
        }
        assert!(tokio::time::Instant::now() < deadline, "no Validated condition");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_provider_crds_give_a_condition_and_the_controller_keeps_going() {
    let env = env().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(
        &env.client,
        &canary("istio", json!({"port": 9898}), json!({"interval": "10s", "threshold": 1, "stepWeight": 50})),
    )
    .await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let (reason, message) = validated(&env.client).await;
    assert_eq!(reason, "RoutesUnavailable");
    assert!(message.contains("kind not served (networking.istio.io/v1beta1)"), "{message}");
    assert!(message.contains("install the Istio CRDs"), "{message}");
    // Installing the CRDs later is enough: the next interval initialises the canary.
    install_crds(&env.client, "istio").await;
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut Vec::new()).await;
    controller.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ab_testing_on_linkerd_is_refused_with_the_field_named() {
    let env = env().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(
        &env.client,
        &canary(
            "linkerd",
            json!({"port": 9898}),
            json!({"interval": "10s", "threshold": 1, "iterations": 2,
            "match": [{"headers": {"x-canary": {"exact": "insider"}}}]}),
        ),
    )
    .await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let (reason, message) = validated(&env.client).await;
    assert_eq!(reason, "InvalidSpec");
    assert!(message.contains("spec.analysis.match") && message.contains("linkerd"), "{message}");
    controller.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn istio_session_affinity_pins_canary_users_with_a_cookie_per_run() {
    let (env, controller) = istio_initialised(
        json!({"port": 9898}),
        json!({"interval": "10s", "threshold": 1, "stepWeights": [20, 50],
            "sessionAffinity": {"cookieName": "flagger-cookie", "maxAge": 3600}}),
    )
    .await;
    apply(&env.client, &deployment("podinfo:2")).await;
    let vs = dynamic(&env.client, "networking.istio.io", "v1beta1", "VirtualService");
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    // (cookie in the status, sticky route's cookie regex, Set-Cookie on the canary destination)
    let seen = collect(&env.client, "Succeeded", async || {
        let cookie = canaries.get("podinfo").await.ok()?.status?.session_affinity_cookie?;
        let v = vs.get("podinfo").await.ok()?;
        let http = v.data["spec"]["http"].as_array()?.clone();
        let sticky = http.iter().find(|r| r["name"] == "sticky-route")?;
        let regex = sticky["match"][0]["headers"]["cookie"]["regex"].as_str()?.to_owned();
        let weighted = http.last()?;
        let set =
                weighted["route"].as_array()?.iter().find(|d| d["destination"]["host"] == "podinfo-canary")?["headers"]
                    ["response"]["add"]["Set-Cookie"]
                    .as_str()?
                    .to_owned();
        Some((cookie, regex, set))
    })
    .await;
    assert!(!seen.is_empty(), "sticky routes were written during the run");
    for (cookie, regex, set) in &seen {
        let value = cookie.strip_prefix("flagger-cookie=").unwrap();
        assert!(regex.contains(value), "the sticky route matches the assigned cookie: {regex} vs {cookie}");
        assert!(set.starts_with(&format!("{cookie}; Max-Age=3600")), "{set}");
    }
    let cookies: BTreeSet<&String> = seen.iter().map(|(c, _, _)| c).collect();
    assert_eq!(cookies.len(), 1, "one cookie for the whole run: {cookies:?}");
    // The run is over: the cookie is retired, and the next run gets another one.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        let s = canaries.get("podinfo").await.unwrap().status.unwrap();
        if s.session_affinity_cookie.is_none() {
            break s;
        }
        assert!(tokio::time::Instant::now() < deadline, "cookie never retired: {s:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status.previous_session_affinity_cookie.as_ref(), Some(*cookies.first().unwrap()));
    controller.shutdown().await;
}
