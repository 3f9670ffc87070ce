//! Kill the controller at several points of a release and start a new one: the release ends
//! exactly as an uninterrupted one does (DESIGN.md §6). The state lives in the Canary status,
//! so nothing is repeated (hooks, promotion) and no step is lost.
//!
//! "Kill" is an abort of every controller task at whatever await point it has reached, as with
//! SIGKILL: between ticks (when the status shows a point of the release), and between any two
//! API writes of one tick (the sandbox's write gate holds the next write, the controller is
//! killed while it hangs, and the held write is never applied).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::Controller;
use glidepath_api::flagger::Canary;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DynamicObject};
use serde_json::{Value, json};
use support::{apply, deployment, env, image, install_httproute_crd, recorder, settings};

/// The final state a user can see.
#[derive(Debug, PartialEq)]
struct End {
    phase: String,
    canary_weight: i32,
    route: (i64, i64),
    primary_image: String,
    target_replicas: Option<i32>,
    /// Calls per hook path, in order of first call.
    hooks: Vec<(String, usize)>,
    steps_routed: Vec<(i64, i64)>,
}

fn canary(hooks: &str) -> Value {
    json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"provider": "gatewayapi:v1",
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898, "gatewayRefs": [{"name": "public", "namespace": "gateway"}]},
            "analysis": {"interval": "10s", "threshold": 2, "stepWeights": [20, 40, 60], "stepWeightPromotion": 30,
                "webhooks": [
                    {"name": "pre", "type": "pre-rollout", "url": format!("{hooks}/pre")},
                    {"name": "promote", "type": "confirm-promotion", "url": format!("{hooks}/confirm")},
                    {"name": "post", "type": "post-rollout", "url": format!("{hooks}/post")}
                ]}}
    })
}

type At = fn(&glidepath_api::flagger::CanaryStatus) -> bool;

/// When to kill the controller.
#[derive(Clone, Copy)]
enum Kill {
    Never,
    /// When the status first shows this: between ticks.
    AtTick(At),
    /// When the status first shows this, let that many more API writes through, then kill the
    /// controller while its next write hangs: between two writes of one tick.
    AfterWrites(At, u64),
}

/// Play a release of `podinfo:2`; at the `kill` point, kill the controller and start a new one.
async fn release(kill: Kill) -> End {
    let env = env().await;
    install_httproute_crd(&env.client).await;
    let (hooks, calls) = recorder().await;
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &canary(&hooks)).await;
    let mut controller = Controller::start(env.client.clone(), settings()).await.unwrap();
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    let routes: Api<DynamicObject> = Api::namespaced_with(
        env.client.clone(),
        "test",
        &kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            "gateway.networking.k8s.io",
            "v1",
            "HTTPRoute",
        )),
    );
    let weights = |r: &DynamicObject| {
        let b = &r.data["spec"]["rules"][0]["backendRefs"];
        (b[0]["weight"].as_i64().unwrap_or(-1), b[1]["weight"].as_i64().unwrap_or(-1))
    };
    let mut published = false;
    let mut killed = matches!(kill, Kill::Never);
    let mut steps = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let s = canaries.get("podinfo").await.unwrap().status.unwrap_or_default();
        if let Ok(r) = routes.get("podinfo").await {
            let w = weights(&r);
            if steps.last() != Some(&w) {
                steps.push(w);
            }
        }
        if !published && s.phase.as_str() == "Initialized" {
            apply(&env.client, &deployment("podinfo:2")).await;
            published = true;
        }
        match kill {
            Kill::AtTick(at) if !killed && at(&s) => {
                controller.shutdown().await;
                controller = Controller::start(env.client.clone(), settings()).await.unwrap();
                killed = true;
            }
            Kill::AfterWrites(at, n) if !killed && at(&s) => {
                let gate = env.sandbox.write_gate();
                let held = gate.hold_after(n);
                let until = tokio::time::Instant::now() + Duration::from_secs(20);
                while gate.writes() < held {
                    assert!(tokio::time::Instant::now() < until, "the controller made fewer than {} writes", n + 1);
                    // The release goes on meanwhile: keep recording its steps.
                    if let Ok(r) = routes.get("podinfo").await
                        && steps.last() != Some(&weights(&r))
                    {
                        steps.push(weights(&r));
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                // Killed while write number `held` hangs; it is then refused, never applied.
                controller.shutdown().await;
                gate.release();
                controller = Controller::start(env.client.clone(), settings()).await.unwrap();
                killed = true;
            }
            _ => {}
        }
        if published && s.phase.as_str() == "Succeeded" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "release stuck: {s:?}, kill applied: {killed}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(killed, "the kill point was never reached");
    controller.shutdown().await;
    let s = canaries.get("podinfo").await.unwrap().status.unwrap();
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "test");
    let mut hooks: Vec<(String, usize)> = Vec::new();
    for (path, _) in calls.lock().unwrap().iter() {
        match hooks.iter_mut().find(|(p, _)| p == path) {
            Some((_, n)) => *n += 1,
            None => hooks.push((path.clone(), 1)),
        }
    }
    let end = End {
        phase: s.phase.as_str().into(),
        canary_weight: s.canary_weight.unwrap_or(0),
        route: weights(&routes.get("podinfo").await.unwrap()),
        primary_image: image(&deployments.get("podinfo-primary").await.unwrap()),
        target_replicas: deployments.get("podinfo").await.unwrap().spec.replicas,
        hooks,
        steps_routed: steps,
    };
    env.sandbox.shutdown().await.unwrap();
    end
}

fn uninterrupted() -> End {
    End {
        phase: "Succeeded".into(),
        canary_weight: 0,
        route: (100, 0),
        primary_image: "podinfo:2".into(),
        target_replicas: Some(0),
        // confirm-promotion is asked once per tick at max weight; one tick here.
        hooks: vec![("pre".into(), 1), ("confirm".into(), 1), ("post".into(), 1)],
        steps_routed: vec![(100, 0), (80, 20), (60, 40), (40, 60), (70, 30), (100, 0)],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_kill_the_release_goes_as_planned() {
    assert_eq!(release(Kill::Never).await, uninterrupted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_initialising() {
    assert_eq!(release(Kill::AtTick(|s| s.phase.as_str() == "Initializing")).await, uninterrupted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_the_start_of_the_analysis() {
    assert_eq!(release(Kill::AtTick(|s| s.phase.as_str() == "Progressing")).await, uninterrupted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_two_steps() {
    assert_eq!(release(Kill::AtTick(|s| s.canary_weight == Some(40))).await, uninterrupted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_promoting() {
    assert_eq!(release(Kill::AtTick(|s| s.phase.as_str() == "Promoting")).await, uninterrupted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_finalising() {
    assert_eq!(release(Kill::AtTick(|s| s.phase.as_str() == "Finalising")).await, uninterrupted());
}

/// Kills between any two writes of one tick: after 0, 1, 2, … further writes at each point.
/// The end is the uninterrupted one, every step routed, except that a hook whose call came
/// just before the kill (its record was the held write) may run once more: webhooks are
/// at-least-once across a crash, as in Flagger, so they must be idempotent.
async fn killed_mid_tick(at: At, writes: std::ops::Range<u64>) {
    let want = uninterrupted();
    for n in writes {
        let end = release(Kill::AfterWrites(at, n)).await;
        let names = |e: &End| e.hooks.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        assert_eq!(names(&end), names(&want), "killed after {n} more writes: {end:?}");
        let repeated = end.hooks.iter().filter(|(_, calls)| *calls > 1).count();
        assert!(end.hooks.iter().all(|(_, calls)| (1..=2).contains(calls)) && repeated <= 1, "{end:?}");
        assert_eq!(
            End { hooks: vec![], ..end },
            End { hooks: vec![], ..uninterrupted() },
            "killed after {n} more writes"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_writes_while_initialising() {
    killed_mid_tick(|s| s.phase.as_str() == "Initializing", 0..4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_writes_at_the_start_of_the_analysis() {
    killed_mid_tick(|s| s.phase.as_str() == "Progressing", 0..4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_writes_of_a_step() {
    killed_mid_tick(|s| s.canary_weight == Some(20), 0..4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_writes_while_promoting() {
    killed_mid_tick(|s| s.phase.as_str() == "Promoting", 0..4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_between_writes_while_finalising() {
    killed_mid_tick(|s| s.phase.as_str() == "Finalising", 0..3).await;
}
