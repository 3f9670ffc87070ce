//! The canary controller against the embedded API server, with real webhooks (the load
//! tester) on loopback: whole releases, observed through the API like a user would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::{Controller, Settings};
use glidepath_api::flagger::Canary;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use support::{apply, deployment, env, event_messages, image, recorder, settings, wait_phase};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_blue_green_release_through_a_gate() {
    let env = env().await;
    let gate = format!("{}/gate/check", env.hooks);
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {
            "provider": "kubernetes",
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {"interval": "10s", "threshold": 2, "iterations": 2, "webhooks": [
                {"name": "gate", "type": "confirm-rollout", "url": gate},
                {"name": "smoke", "type": "pre-rollout", "url": format!("{}/gate/approve", env.hooks)},
                {"name": "load", "type": "rollout", "url": format!("{}/", env.hooks), "metadata": {"type": "bash", "cmd": "true"}}
            ]}
        }
    })).await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;

    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    let primary = deployments.get("podinfo-primary").await.unwrap();
    assert_eq!(primary.spec.selector.match_labels.as_ref().unwrap()["app"], "podinfo-primary");
    assert_eq!(image(&primary), "podinfo:1");
    assert_eq!(deployments.get("podinfo").await.unwrap().spec.replicas, Some(0), "target scaled to zero");
    let services: Api<Service> = Api::namespaced(env.client.clone(), "test");
    for (name, selector) in
        [("podinfo", "podinfo-primary"), ("podinfo-primary", "podinfo-primary"), ("podinfo-canary", "podinfo")]
    {
        let s = services.get(name).await.unwrap();
        assert_eq!(s.spec.unwrap().selector.unwrap()["app"], selector, "{name}");
    }

    // New revision: the gate is closed, so the release waits.
    apply(&env.client, &deployment("podinfo:2")).await;
    wait_phase(&env.client, "Waiting", Duration::from_secs(30), &mut seen).await;
    let open = reqwest::Client::new()
        .post(format!("{}/gate/open", env.hooks))
        .json(&json!({"name": "podinfo", "namespace": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status().as_u16(), 202);
    let done = wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    // "" until the controller first writes status.
    seen.retain(|p| !p.is_empty());
    assert_eq!(seen, ["Initializing", "Initialized", "Waiting", "Progressing", "Promoting", "Finalising", "Succeeded"]);
    let status = done.status.unwrap();
    assert_eq!(status.promoted().unwrap().status, "True");
    assert_eq!(image(&deployments.get("podinfo-primary").await.unwrap()), "podinfo:2", "promoted");
    assert_eq!(deployments.get("podinfo").await.unwrap().spec.replicas, Some(0));
    let apex = services.get("podinfo").await.unwrap();
    assert_eq!(apex.spec.unwrap().selector.unwrap()["app"], "podinfo-primary");
    let events = event_messages(&env.client).await;
    for expected in [
        "Initialization done! podinfo.test",
        "New revision detected! Scaling up podinfo.test",
        "Advance podinfo.test canary iteration 2/2",
        "Promotion completed! Scaling down podinfo.test",
    ] {
        assert!(events.iter().any(|e| e == expected), "missing event {expected:?} in {events:?}");
    }
    let metrics = controller.metrics.encode();
    for line in [
        r#"flagger_canary_successes_total{name="podinfo",namespace="test",deployment_strategy="blue-green",analysis_status="completed"} 1"#,
        r#"flagger_canary_status{name="podinfo",namespace="test"} 1"#,
        r#"flagger_canary_weight{workload="podinfo-primary",namespace="test"} 100"#,
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    assert!(
        metrics.contains(r#"flagger_info{version=""#) && metrics.contains(r#"mesh_provider="kubernetes"} 1"#),
        "{metrics}"
    );
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_rollout_hook_rolls_back_and_keeps_the_primary() {
    let env = env().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(
        &env.client,
        &json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {
                "provider": "kubernetes",
                "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "service": {"port": 9898},
                "analysis": {"interval": "10s", "threshold": 2, "iterations": 5, "webhooks": [
                    {"name": "load", "type": "rollout", "url": format!("{}/gate/halt", env.hooks)}
                ]}
            }
        }),
    )
    .await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    apply(&env.client, &deployment("podinfo:2")).await;
    let failed = wait_phase(&env.client, "Failed", Duration::from_secs(60), &mut seen).await;
    assert_eq!(failed.status.unwrap().failed_checks, Some(2));
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    assert_eq!(image(&deployments.get("podinfo-primary").await.unwrap()), "podinfo:1", "primary untouched");
    assert_eq!(deployments.get("podinfo").await.unwrap().spec.replicas, Some(0), "canary scaled down");
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_canary_gets_a_condition_and_others_still_progress() {
    let env = env().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    // Schema-valid but semantically broken: gatewayapi without gatewayRefs.
    let broken = json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "broken", "namespace": "test"},
        "spec": {"provider": "gatewayapi", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 80}, "analysis": {"interval": "10s", "threshold": 1, "stepWeight": 10}}
    });
    apply(&env.client, &broken).await;
    apply(&env.client, &json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "kubernetes", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898}, "analysis": {"interval": "10s", "threshold": 1, "iterations": 1}}
    })).await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    let b = canaries.get("broken").await.unwrap();
    let cond = b.status.unwrap().conditions.unwrap().into_iter().find(|c| c.r#type == "Validated").unwrap();
    assert_eq!(cond.status, "False");
    assert!(cond.message.unwrap().contains("spec.service.gatewayRefs"), "names the field");
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(env.client.clone(), "test");
    let notes: Vec<String> =
        events.list(&Default::default()).await.unwrap().items.into_iter().filter_map(|e| e.note).collect();
    assert!(notes.iter().any(|n| n.starts_with("Invalid canary spec")), "{notes:?}");
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

/// A hook server that records every call: path and JSON body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_canary_fails_at_the_progress_deadline() {
    let env = env().await;
    let (hooks, calls) = recorder().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(
        &env.client,
        &json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {
                "provider": "kubernetes", "progressDeadlineSeconds": 2,
                "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "service": {"port": 9898},
                "analysis": {"interval": "10s", "threshold": 5, "iterations": 3,
                    "webhooks": [{"name": "after", "type": "post-rollout", "url": format!("{hooks}/post")}]}
            }
        }),
    )
    .await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    // The new revision's pods crash-loop: the Deployment never reports its own deadline.
    let mut broken = deployment("podinfo:2");
    broken["spec"]["template"]["metadata"]["annotations"] = json!({"sandbox.glidepath.io/fail": "crash-loop"});
    apply(&env.client, &broken).await;
    wait_phase(&env.client, "Failed", Duration::from_secs(60), &mut seen).await;
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    assert_eq!(image(&deployments.get("podinfo-primary").await.unwrap()), "podinfo:1");
    let post: Vec<Value> = calls.lock().unwrap().iter().filter(|(p, _)| p == "post").map(|(_, b)| b.clone()).collect();
    assert_eq!(post.len(), 1, "post-rollout once");
    assert_eq!(post[0]["phase"], "Failed");
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracked_config_change_releases_and_the_primary_copy_follows() {
    let env = env().await;
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(env.client.clone(), "test");
    cms.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "podinfo-config"}, "data": {"color": "blue"}})).unwrap(),
    )
    .await
    .unwrap();
    let mut d = deployment("podinfo:1");
    d["spec"]["template"]["spec"]["containers"][0]["envFrom"] = json!([{"configMapRef": {"name": "podinfo-config"}}]);
    apply(&env.client, &d).await;
    apply(&env.client, &json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "kubernetes", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898}, "analysis": {"interval": "10s", "threshold": 1, "iterations": 1}}
    })).await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    assert_eq!(cms.get("podinfo-config-primary").await.unwrap().data.unwrap()["color"], "blue");
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    let primary = deployments.get("podinfo-primary").await.unwrap();
    let env_from = primary.spec.template.spec.unwrap().containers[0].env_from.clone().unwrap();
    assert_eq!(env_from[0].config_map_ref.as_ref().unwrap().name, "podinfo-config-primary");

    cms.patch("podinfo-config", &PatchParams::default(), &Patch::Merge(json!({"data": {"color": "green"}})))
        .await
        .unwrap();
    wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    seen.retain(|p| !p.is_empty());
    assert!(seen.contains(&"Progressing".to_owned()), "{seen:?}");
    assert_eq!(
        cms.get("podinfo-config-primary").await.unwrap().data.unwrap()["color"],
        "green",
        "copy updated at promotion"
    );
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_controller_finishes_the_release_without_repeating_hooks() {
    let env = env().await;
    let (hooks, calls) = recorder().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &support::kubernetes_canary(support::hooked_analysis(&hooks, 6))).await;
    let first = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    apply(&env.client, &deployment("podinfo:2")).await;
    // Stop in the middle of the analysis.
    let api: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let s = api.get("podinfo").await.unwrap().status.unwrap_or_default();
        if s.phase.as_str() == "Progressing" && s.iterations.unwrap_or(0) >= 2 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{s:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.shutdown().await;
    let second = Controller::start(env.client.clone(), settings()).await.unwrap();
    wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.iter().filter(|(p, _)| p == "pre").count(), 1, "pre-rollout not repeated: {calls:?}");
    assert_eq!(calls.iter().filter(|(p, _)| p == "post").count(), 1);
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    assert_eq!(image(&deployments.get("podinfo-primary").await.unwrap()), "podinfo:2");
    second.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_api_canary_shifts_httproute_weights() {
    let env = env().await;
    support::install_httproute_crd(&env.client).await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "gatewayapi:v1", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898, "gatewayRefs": [{"name": "public", "namespace": "gateway"}]},
            "analysis": {"interval": "10s", "threshold": 1, "stepWeights": [20, 60]}}
    })).await;
    let controller =
        Controller::start(env.client.clone(), Settings { mesh_provider: "istio".into(), ..settings() }).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    let routes: Api<kube::api::DynamicObject> = Api::namespaced_with(
        env.client.clone(),
        "test",
        &kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            "gateway.networking.k8s.io",
            "v1",
            "HTTPRoute",
        )),
    );
    let weights = |r: &kube::api::DynamicObject| -> (i64, i64) {
        let b = &r.data["spec"]["rules"][0]["backendRefs"];
        (b[0]["weight"].as_i64().unwrap(), b[1]["weight"].as_i64().unwrap())
    };
    assert_eq!(weights(&routes.get("podinfo").await.unwrap()), (100, 0));
    apply(&env.client, &deployment("podinfo:2")).await;
    let mut observed = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        observed.insert(weights(&routes.get("podinfo").await.unwrap()));
        let c: Canary = Api::namespaced(env.client.clone(), "test").get("podinfo").await.unwrap();
        if c.status.map(|s| s.phase.as_str() == "Succeeded").unwrap_or(false) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "weights seen {observed:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(observed.contains(&(80, 20)) && observed.contains(&(40, 60)), "steps 20 and 60 routed: {observed:?}");
    assert_eq!(weights(&routes.get("podinfo").await.unwrap()), (100, 0), "all traffic back on the primary");

    // A settled Canary whose spec.service changes: the Services and the route follow at the
    // next tick, with no release.
    apply(&env.client, &json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "gatewayapi:v1", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9899, "gatewayRefs": [{"name": "internal", "namespace": "gateway"}]},
            "analysis": {"interval": "10s", "threshold": 1, "stepWeights": [20, 60]}}
    })).await;
    let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(env.client.clone(), "test");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let route = routes.get("podinfo").await.unwrap();
        let ports: Vec<i32> =
            futures::future::join_all(["podinfo", "podinfo-primary", "podinfo-canary"].map(|n| services.get(n)))
                .await
                .into_iter()
                .map(|s| s.unwrap().spec.unwrap().ports.unwrap()[0].port)
                .collect();
        if route.data["spec"]["parentRefs"][0]["name"] == "internal" && ports == [9899; 3] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "spec.service change not applied: {ports:?} {}",
            route.data["spec"]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let c: Canary = Api::namespaced(env.client.clone(), "test").get("podinfo").await.unwrap();
    assert_eq!(c.status.unwrap().phase.as_str(), "Succeeded", "no release for a routing change");
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_crds_the_controller_says_what_to_do() {
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    let err = Controller::start(client, settings()).await.unwrap_err();
    assert!(format!("{err:#}").contains("glidepath crds | kubectl apply -f -"), "{err:#}");
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revert_on_deletion_restores_the_target_before_letting_go() {
    let env = env().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(
        &env.client,
        &json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {"provider": "kubernetes", "revertOnDeletion": true,
                "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "service": {"port": 9898}, "analysis": {"interval": "10s", "threshold": 1, "iterations": 1}}
        }),
    )
    .await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    let c = wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    support::wait_for_finalizer(&env.client).await;
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    assert_eq!(deployments.get("podinfo").await.unwrap().spec.replicas, Some(0));
    drop(c);

    canaries.delete("podinfo", &Default::default()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while canaries.get_opt("podinfo").await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "canary never released");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let target = deployments.get("podinfo").await.unwrap();
    assert_eq!(target.spec.replicas, Some(2), "target serves again with the primary's replicas");
    assert_eq!(target.status.unwrap().available_replicas, Some(2), "and was ready before the finalizer went");
    assert!(event_messages(&env.client).await.iter().any(|m| m == "Terminated canary podinfo.test"));
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_set_release_scales_by_node_selector() {
    let env = env().await;
    let ds = |image: &str| {
        json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "test"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                "template": {"metadata": {"labels": {"app": "agent"}},
                    "spec": {"containers": [{"name": "agent", "image": image}]}}}
        })
    };
    apply(&env.client, &ds("agent:1")).await;
    apply(&env.client, &json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "kubernetes", "targetRef": {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent"},
            "service": {"port": 8080}, "analysis": {"interval": "10s", "threshold": 1, "iterations": 1}}
    })).await;
    let controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let mut seen = Vec::new();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    let daemon_sets: Api<k8s_openapi::api::apps::v1::DaemonSet> = Api::namespaced(env.client.clone(), "test");
    let node_selector = |d: &k8s_openapi::api::apps::v1::DaemonSet| {
        d.spec.template.spec.as_ref().unwrap().node_selector.clone().unwrap_or_default()
    };
    let target = daemon_sets.get("agent").await.unwrap();
    assert_eq!(
        node_selector(&target).get("flagger.app/scale-to-zero").map(String::as_str),
        Some("true"),
        "target scaled to zero"
    );
    let primary = daemon_sets.get("agent-primary").await.unwrap();
    assert!(!node_selector(&primary).contains_key("flagger.app/scale-to-zero"));

    apply(&env.client, &ds("agent:2")).await;
    wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    let primary = daemon_sets.get("agent-primary").await.unwrap();
    assert_eq!(primary.spec.template.spec.as_ref().unwrap().containers[0].image.as_deref(), Some("agent:2"));
    let target = daemon_sets.get("agent").await.unwrap();
    assert!(node_selector(&target).contains_key("flagger.app/scale-to-zero"), "target scaled to zero again");
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}

/// `--watch-label-selector`: a Canary without the shard's label belongs to another
/// controller (a Flagger, another Glidepath) and gets no status and no primary from this one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_shard_s_canaries_are_run() {
    let env = env().await;
    for name in ["podinfo", "web"] {
        let mut d = deployment("podinfo:1");
        d["metadata"]["name"] = json!(name);
        apply(&env.client, &d).await;
        let mut c = support::kubernetes_canary(json!({"interval": "10s", "threshold": 1, "iterations": 1}));
        c["metadata"]["name"] = json!(name);
        c["spec"]["targetRef"]["name"] = json!(name);
        if name == "podinfo" {
            c["metadata"]["labels"] = json!({"sharding.fluxcd.io/key": "shard1"});
        }
        apply(&env.client, &c).await;
    }
    let settings = Settings { watch_label_selector: Some("sharding.fluxcd.io/key=shard1".into()), ..settings() };
    let controller = Controller::start(env.client.clone(), settings).await.unwrap();
    wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut Vec::new()).await;
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    assert!(canaries.get("web").await.unwrap().status.is_none(), "another shard's Canary");
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(env.client.clone(), "test");
    assert!(deployments.get_opt("web-primary").await.unwrap().is_none());
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}
