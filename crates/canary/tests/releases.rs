//! Whole releases played tick by tick: the sequence of (phase, canaryWeight, primaryWeight,
//! iterations, failedChecks), including the golden sequences of Flagger's own tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use std::time::Duration;

use glidepath_api::flagger::CanaryPhase;
use glidepath_api::flagger::defaults::WebhookType;
use glidepath_canary::{Check, Readiness, Routes};
use serde_json::json;
use support::{World, canary};

const HOOK: &str = "http://127.0.0.1:1/";

fn hooks(kinds: &[&str]) -> serde_json::Value {
    json!(kinds.iter().map(|k| json!({"name": format!("{k}-hook"), "type": k, "url": HOOK})).collect::<Vec<_>>())
}

#[test]
fn golden_analysis_phases_step_100_promotion_50() {
    // scheduler_deployment_test.go TestScheduler_DeploymentAnalysisPhases
    let mut w = World::new(canary(
        "istio",
        json!({"interval": "1m", "threshold": 10, "stepWeight": 100, "stepWeightPromotion": 50}),
    ));
    w.tick();
    assert_eq!(w.row(), ("Initializing", 0, 100, 0, 0), "primary created, not ready yet");
    w.tick();
    assert_eq!(w.row(), ("Initialized", 0, 100, 0, 0));
    w.obs.target_hash = "v2".into();
    assert_eq!(
        w.play(6),
        [
            ("Progressing", 0, 100, 0, 0),
            ("Progressing", 100, 0, 0, 0),
            ("Promoting", 100, 0, 0, 0),
            ("Promoting", 50, 50, 0, 0),
            ("Finalising", 0, 100, 0, 0),
            ("Succeeded", 0, 100, 0, 0),
        ]
    );
    assert_eq!(w.primary_hash.as_deref(), Some("v2"), "promoted");
    assert_eq!(w.target_replicas, 0, "target scaled down");
    assert_eq!(w.post_rollout, [CanaryPhase::Succeeded]);
    assert_eq!(w.status().last_promoted_spec.as_deref(), Some("v2"));
    assert_eq!(w.results, [(true, false)]);
    // Settled: further ticks change nothing.
    let before = w.row();
    assert!(w.tick().status.is_empty());
    assert_eq!(w.row(), before);
}

#[test]
fn golden_blue_green_phases() {
    // TestScheduler_DeploymentBlueGreenAnalysisPhases: iterations 1.
    let mut w = World::new(canary("istio", json!({"interval": "1m", "threshold": 10, "iterations": 1})));
    w.initialised_with_new_revision();
    let phases: Vec<&str> = w.play(6).into_iter().map(|r| r.0).collect();
    assert_eq!(phases, ["Progressing", "Progressing", "Progressing", "Promoting", "Finalising", "Succeeded"]);
    assert_eq!(w.primary_hash.as_deref(), Some("v2"));
}

#[test]
fn canary_steps_to_max_weight_then_promotes() {
    let mut w =
        World::new(canary("istio", json!({"interval": "30s", "threshold": 2, "stepWeight": 20, "maxWeight": 50})));
    w.initialised_with_new_revision();
    assert_eq!(
        w.play(7),
        [
            ("Progressing", 0, 100, 0, 0),
            ("Progressing", 20, 80, 0, 0),
            ("Progressing", 40, 60, 0, 0),
            ("Progressing", 60, 40, 0, 0), // overshoots maxWeight, as Flagger does
            ("Promoting", 60, 40, 0, 0),
            ("Finalising", 0, 100, 0, 0),
            ("Succeeded", 0, 100, 0, 0),
        ]
    );
}

/// A controller killed between a step's route write and its status write: the routes are
/// ahead of the status. The next tick records the step and waits its interval (no checks, no
/// further step), so the weight still gets its full analysis.
#[test]
fn a_step_whose_status_was_lost_is_recorded_before_the_next() {
    let mut w =
        World::new(canary("istio", json!({"interval": "30s", "threshold": 2, "stepWeight": 20, "maxWeight": 60})));
    w.initialised_with_new_revision();
    assert_eq!(w.play(2), [("Progressing", 0, 100, 0, 0), ("Progressing", 20, 80, 0, 0)]);
    // The next step's routes landed, its status did not.
    w.obs.routes = Some(Routes::split(40));
    let d = w.tick();
    assert_eq!(w.row(), ("Progressing", 40, 60, 0, 0), "the step is recorded");
    assert!(d.actions.iter().all(|a| !matches!(a, glidepath_canary::Action::SetRoutes(_))), "{:?}", d.actions);
    assert_eq!(w.asked.last().map(Vec::len), Some(0), "no checks in the recording tick");
    assert_eq!(w.play(1), [("Progressing", 60, 40, 0, 0)], "the next step a full interval later");
}

#[test]
fn step_weights_list() {
    let mut w = World::new(canary("gatewayapi", json!({"interval": "1m", "threshold": 1, "stepWeights": [1, 10, 50]})));
    w.initialised_with_new_revision();
    let weights: Vec<i32> = w.play(5).into_iter().map(|r| r.1).collect();
    assert_eq!(weights, [0, 1, 10, 50, 50]);
    assert_eq!(w.row().0, "Promoting");
}

#[test]
fn failed_metrics_reach_the_threshold_and_roll_back() {
    let mut w = World::new(canary(
        "istio",
        json!({
            "interval": "1m", "threshold": 2, "stepWeight": 10,
            "metrics": [{"name": "request-success-rate", "thresholdRange": {"min": 99}}],
            "webhooks": hooks(&["post-rollout"])
        }),
    ));
    w.script(Check::Metrics, &[true, false]);
    w.initialised_with_new_revision();
    assert_eq!(
        w.play(5),
        [
            ("Progressing", 0, 100, 0, 0),
            ("Progressing", 10, 90, 0, 0), // pre-rollout step: metrics not asked yet
            ("Progressing", 20, 80, 0, 0), // metrics pass
            ("Progressing", 20, 80, 0, 1), // metrics fail: weight holds
            ("Progressing", 20, 80, 0, 2),
        ]
    );
    assert_eq!(w.play(1), [("Failed", 0, 100, 0, 2)]);
    assert_eq!(w.primary_hash.as_deref(), Some("v1"), "primary untouched");
    assert_eq!(w.target_replicas, 0);
    assert_eq!(w.post_rollout, [CanaryPhase::Failed]);
    assert!(w.alerts.iter().any(|a| a == "Failed checks threshold reached 2"), "{:?}", w.alerts);
    assert_eq!(w.results, [(false, false)]);
    // Failed and unchanged: nothing more happens.
    assert!(w.tick().status.is_empty());
    // Reverting the template to the primary's starts no run but records the hash.
    w.obs.target_hash = "v1".into();
    let d = w.tick();
    assert_eq!(d.status.last_applied_spec.as_deref(), Some("v1"));
    assert_eq!(w.row().0, "Failed");
    // A new revision starts a new run.
    w.obs.target_hash = "v3".into();
    w.tick();
    assert_eq!(w.row(), ("Progressing", 0, 100, 0, 0));
}

#[test]
fn checks_are_asked_for_in_flaggers_order_and_only_when_needed() {
    let mut w = World::new(canary(
        "istio",
        json!({
            "interval": "1m", "threshold": 5, "stepWeight": 50,
            "metrics": [{"name": "request-duration", "thresholdRange": {"max": 500}}],
            "webhooks": hooks(&["confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion", "rollback"])
        }),
    ));
    w.hooks(WebhookType::Rollback, &[false]); // a passing rollback hook would abort the release
    w.initialised_with_new_revision();
    w.play(5);
    let r = |k| Check::Hooks(k);
    use WebhookType::*;
    assert_eq!(
        w.asked[2..],
        [
            vec![r(ConfirmRollout)],
            vec![r(Rollback), r(PreRollout), r(ConfirmTrafficIncrease)],
            vec![r(Rollback), r(Rollout), Check::Metrics, r(ConfirmTrafficIncrease)],
            vec![r(Rollback), r(Rollout), Check::Metrics, r(ConfirmPromotion)],
            vec![],
        ]
    );
    assert_eq!(w.row().0, "Finalising");
}

#[test]
fn confirm_rollout_gate_waits_then_starts() {
    let mut w = World::new(canary(
        "kubernetes",
        json!({"interval": "1m", "threshold": 1, "iterations": 2, "webhooks": hooks(&["confirm-rollout"])}),
    ));
    w.hooks(WebhookType::ConfirmRollout, &[false, false, true]);
    w.initialised_with_new_revision();
    assert_eq!(w.play(3), [("Waiting", 0, 100, 0, 0), ("Waiting", 0, 100, 0, 0), ("Progressing", 0, 100, 0, 0)]);
    assert_eq!(w.alerts.iter().filter(|a| *a == "Canary is waiting for approval.").count(), 1, "alert once");
    assert_eq!(w.target_replicas, 1, "scaled up when the run starts");
}

#[test]
fn confirm_promotion_gate_holds_in_waiting_promotion() {
    let mut w = World::new(canary(
        "istio",
        json!({"interval": "1m", "threshold": 1, "stepWeight": 50, "webhooks": hooks(&["confirm-promotion"])}),
    ));
    w.hooks(WebhookType::ConfirmPromotion, &[false, false, true]);
    w.initialised_with_new_revision();
    assert_eq!(
        w.play(6),
        [
            ("Progressing", 0, 100, 0, 0),
            ("Progressing", 50, 50, 0, 0),
            ("Progressing", 100, 0, 0, 0),
            ("WaitingPromotion", 0, 0, -1, 0), // status weight resets, routes keep 100% canary
            ("WaitingPromotion", 0, 0, -1, 0),
            ("Promoting", 0, 0, -1, 0),
        ]
    );
}

#[test]
fn confirm_traffic_increase_halts_without_counting_failures() {
    let mut w = World::new(canary(
        "istio",
        json!({"interval": "1m", "threshold": 1, "stepWeight": 25, "webhooks": hooks(&["confirm-traffic-increase"])}),
    ));
    w.hooks(WebhookType::ConfirmTrafficIncrease, &[true, false, false, true]);
    w.initialised_with_new_revision();
    let weights: Vec<(i32, i32)> = w.play(5).into_iter().map(|r| (r.1, r.4)).collect();
    assert_eq!(weights, [(0, 0), (25, 0), (25, 0), (25, 0), (50, 0)]);
}

#[test]
fn failing_pre_rollout_counts_and_retries() {
    let mut w = World::new(canary(
        "istio",
        json!({"interval": "1m", "threshold": 3, "stepWeight": 50, "webhooks": hooks(&["pre-rollout"])}),
    ));
    w.hooks(WebhookType::PreRollout, &[false, true]);
    w.initialised_with_new_revision();
    assert_eq!(
        w.play(3),
        [("Progressing", 0, 100, 0, 0), ("Progressing", 0, 100, 0, 1), ("Progressing", 50, 50, 0, 1)]
    );
}

#[test]
fn rollback_hook_aborts_the_release() {
    let mut w = World::new(canary(
        "istio",
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10, "webhooks": hooks(&["rollback", "post-rollout"])}),
    ));
    w.hooks(WebhookType::Rollback, &[false, false, true]);
    w.initialised_with_new_revision();
    let rows = w.play(4);
    assert_eq!(rows[3], ("Failed", 0, 100, 0, 0));
    assert!(w.alerts.contains(&"Rolling back manual webhook invoked".to_owned()));
    assert_eq!(w.post_rollout, [CanaryPhase::Failed]);
}

#[test]
fn new_revision_during_analysis_restarts_it() {
    let mut w = World::new(canary("istio", json!({"interval": "1m", "threshold": 5, "stepWeight": 10})));
    w.initialised_with_new_revision();
    w.play(3);
    assert_eq!(w.row(), ("Progressing", 20, 80, 0, 0));
    w.obs.target_hash = "v3".into();
    assert_eq!(w.play(2), [("Progressing", 0, 100, 0, 0), ("Progressing", 10, 90, 0, 0)]);
    assert!(w.events.iter().any(|e| e.starts_with("New revision detected! Restarting analysis")));
}

#[test]
fn tracked_config_change_starts_a_release() {
    let mut w = World::new(canary("istio", json!({"interval": "1m", "threshold": 5, "stepWeight": 50})));
    w.obs.configs.insert("configmap/podinfo-config".into(), "aaaa".into());
    w.tick();
    w.tick();
    assert_eq!(w.row().0, "Initialized");
    assert!(w.tick().status.is_empty(), "nothing changed");
    w.obs.configs.insert("configmap/podinfo-config".into(), "bbbb".into());
    w.tick();
    assert_eq!(w.row(), ("Progressing", 0, 100, 0, 0));
    assert_eq!(w.status().tracked_configs.unwrap()["configmap/podinfo-config"], "bbbb");
}

#[test]
fn skip_analysis_promotes_at_once() {
    let mut c =
        canary("istio", json!({"interval": "1m", "threshold": 1, "stepWeight": 10, "webhooks": hooks(&["rollout"])}));
    c.spec.skip_analysis = Some(true);
    let mut w = World::new(c);
    w.hooks(WebhookType::Rollout, &[false]);
    w.initialised_with_new_revision();
    assert_eq!(w.play(2), [("Progressing", 0, 100, 0, 0), ("Succeeded", 0, 100, 0, 0)]);
    assert_eq!(w.primary_hash.as_deref(), Some("v2"));
    assert_eq!(w.results, [(true, true)]);
    assert!(w.asked.iter().flatten().all(|c| *c != Check::Hooks(WebhookType::Rollout)), "no analysis hooks");
}

#[test]
fn suspend_freezes_the_release() {
    let mut w = World::new(canary("istio", json!({"interval": "1m", "threshold": 5, "stepWeight": 10})));
    w.initialised_with_new_revision();
    w.play(2);
    let before = w.row();
    w.canary.spec.suspend = Some(true);
    for _ in 0..3 {
        let d = w.tick();
        assert!(d.status.is_empty() && d.actions.len() == 1, "{d:?}");
    }
    assert_eq!(w.row(), before);
    w.canary.spec.suspend = None;
    w.tick();
    assert_eq!(w.row().1, 20);
}

#[test]
fn canary_that_never_becomes_ready_fails_at_the_progress_deadline() {
    let mut c = canary("istio", json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    c.spec.progress_deadline_seconds = Some(300);
    let mut w = World::new(c);
    w.initialised_with_new_revision();
    w.tick();
    assert_eq!(w.row(), ("Progressing", 0, 100, 0, 0));
    w.obs.target = Readiness::Waiting("podinfo has 0/1 available replicas".into());
    let rows = w.play(6);
    assert!(rows[..4].iter().all(|r| *r == ("Progressing", 0, 100, 0, 0)), "{rows:?}");
    assert_eq!(rows[5].0, "Failed", "{rows:?}");
    assert!(w.alerts.iter().any(|a| a.starts_with("Progress deadline exceeded")), "{:?}", w.alerts);
}

#[test]
fn primary_failing_during_promotion_keeps_traffic_on_the_canary() {
    let mut w = World::new(canary("istio", json!({"interval": "1m", "threshold": 5, "stepWeight": 100})));
    w.initialised_with_new_revision();
    w.play(3);
    assert_eq!(w.row().0, "Promoting");
    w.obs.primary = Some(Readiness::Failed("ProgressDeadlineExceeded".into()));
    w.tick();
    assert_eq!(w.row(), ("Failed", 100, 0, 0, 0));
    assert_eq!(w.obs.routes, Some(Routes::ALL_CANARY));
}

#[test]
fn promoting_waits_for_the_primary_rollout() {
    let mut w = World::new(canary("istio", json!({"interval": "1m", "threshold": 5, "stepWeight": 100})));
    w.initialised_with_new_revision();
    w.play(3);
    w.obs.primary = Some(Readiness::Waiting("rolling out".into()));
    assert_eq!(w.play(2), [("Promoting", 100, 0, 0, 0), ("Promoting", 100, 0, 0, 0)]);
    w.obs.primary = Some(Readiness::Ready);
    assert_eq!(w.play(2), [("Finalising", 0, 100, 0, 0), ("Succeeded", 0, 100, 0, 0)]);
}

#[test]
fn ab_testing_routes_matched_traffic_for_iterations() {
    let mut w = World::new(canary(
        "istio",
        json!({
            "interval": "1m", "threshold": 5, "iterations": 3,
            "match": [{"headers": {"x-canary": {"exact": "insider"}}}]
        }),
    ));
    w.initialised_with_new_revision();
    assert_eq!(
        w.play(6),
        [
            ("Progressing", 0, 100, 0, 0),
            ("Progressing", 0, 0, 1, 0),
            ("Progressing", 0, 0, 2, 0),
            ("Progressing", 0, 0, 3, 0),
            ("Promoting", 0, 0, 3, 0),
            ("Finalising", 0, 100, 0, 0),
        ]
    );
}

#[test]
fn istio_canary_mirrors_before_shifting() {
    let mut w =
        World::new(canary("istio", json!({"interval": "1m", "threshold": 5, "stepWeight": 50, "mirror": true})));
    w.initialised_with_new_revision();
    w.play(2);
    assert_eq!(w.obs.routes, Some(Routes { primary: 100, canary: 0, mirrored: true }));
    w.tick();
    assert_eq!(w.obs.routes, Some(Routes::split(50)), "mirroring stops at the first weight step");
}

#[test]
fn kubernetes_provider_runs_blue_green_with_ten_iterations() {
    let mut w = World::new(canary("kubernetes", json!({"interval": "1m", "threshold": 5, "stepWeight": 10})));
    w.initialised_with_new_revision();
    let rows = w.play(13);
    assert_eq!(rows[10], ("Progressing", 0, 100, 10, 0));
    assert_eq!(rows[11], ("Progressing", 0, 0, 11, 0), "apex switched to the canary pods");
    assert_eq!(rows[12].0, "Promoting");
    w.tick();
    assert_eq!(w.row(), ("Finalising", 0, 100, 0, 0), "apex back on the promoted primary");
}

#[test]
fn initialisation_waits_for_the_primary() {
    let mut w = World::new(canary("istio", json!({"interval": "1m", "threshold": 5, "stepWeight": 10})));
    w.primary_readiness = Readiness::Waiting("0/1 ready".into());
    w.tick();
    w.tick();
    assert_eq!(w.row().0, "Initializing");
    assert_eq!(w.target_replicas, 1, "target keeps serving until the primary is ready");
    w.obs.primary = Some(Readiness::Ready);
    w.tick();
    assert_eq!(w.row().0, "Initialized");
    assert_eq!(w.target_replicas, 0);
    assert_eq!(w.status().last_promoted_spec.as_deref(), Some("v1"));
}

#[test]
fn requeue_follows_the_analysis_interval() {
    let mut w = World::new(canary("istio", json!({"interval": "5s", "threshold": 5, "stepWeight": 10})));
    assert_eq!(w.tick().requeue_after, Duration::from_secs(10));
}

#[test]
fn primary_broken_during_analysis_rolls_back() {
    let mut w = World::new(canary(
        "istio",
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10, "webhooks": hooks(&["post-rollout"])}),
    ));
    w.initialised_with_new_revision();
    w.play(2);
    w.obs.primary = Some(Readiness::Failed("primary deployment exceeded its progress deadline".into()));
    w.tick();
    assert_eq!(w.row(), ("Failed", 0, 100, 0, 0));
    assert_eq!(w.post_rollout, [CanaryPhase::Failed]);
}

#[test]
fn blue_green_mirrors_during_the_iterations_then_switches() {
    let mut w = World::new(canary("istio", json!({"interval": "1m", "threshold": 5, "iterations": 2, "mirror": true})));
    w.initialised_with_new_revision();
    w.play(2);
    assert_eq!(w.obs.routes, Some(Routes { primary: 100, canary: 0, mirrored: true }));
    w.play(2);
    assert_eq!(w.obs.routes, Some(Routes::ALL_CANARY), "all live traffic to the canary after the iterations");
    w.tick();
    assert_eq!(w.row().0, "Promoting");
}
