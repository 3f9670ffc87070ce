//! `glidepath promote` and `glidepath abort`: a person ends the running analysis. The request
//! is acknowledged on the tick that sees it, acts only on a running release, and never
//! lingers to act on a later one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod support;

use glidepath_api::flagger::CanaryPhase;
use glidepath_canary::{Action, Manual, Readiness};
use serde_json::json;
use support::{World, canary};

fn world() -> World {
    let mut w = World::new(canary(
        "istio",
        json!({"interval": "1m", "threshold": 5, "stepWeights": [10, 20, 40, 80], "stepWeightPromotion": 50}),
    ));
    w.initialised_with_new_revision();
    w
}

#[test]
fn promote_skips_the_remaining_steps_and_promotes_through_promoting() {
    let mut w = world();
    let rows = w.play(2);
    assert_eq!(rows[1], ("Progressing", 10, 90, 0, 0));
    w.obs.manual = Some(Manual::Promote);
    let d = w.tick();
    assert_eq!(d.actions[0], Action::AcknowledgeManual, "acknowledged before anything else");
    assert!(d.actions.contains(&Action::Promote));
    assert_eq!(w.obs.manual, None);
    assert_eq!(w.row(), ("Promoting", 10, 90, 0, 0), "weights unchanged until the primary rolled out");
    assert_eq!(w.primary_hash.as_deref(), Some("v2"));
    assert_eq!(w.play(3), [("Finalising", 0, 100, 0, 0), ("Succeeded", 0, 100, 0, 0), ("Succeeded", 0, 100, 0, 0)]);
    assert_eq!(w.results, [(true, false)]);
    assert!(w.events.iter().any(|e| e.contains("requested by user")), "{:?}", w.events);
}

#[test]
fn abort_rolls_back_at_once() {
    let mut w = world();
    w.play(3);
    assert_eq!(w.row(), ("Progressing", 20, 80, 0, 0));
    w.obs.manual = Some(Manual::Abort);
    let d = w.tick();
    assert_eq!(d.actions[0], Action::AcknowledgeManual);
    assert_eq!(w.row(), ("Failed", 0, 100, 0, 0));
    assert_eq!(w.target_replicas, 0);
    assert_eq!(w.post_rollout, [CanaryPhase::Failed]);
    assert_eq!(w.primary_hash.as_deref(), Some("v1"), "the primary keeps the old version");
    assert!(w.alerts.iter().any(|a| a.contains("aborted by user")));
}

#[test]
fn requests_outside_a_release_are_acknowledged_and_ignored() {
    let mut w = World::new(canary("istio", json!({"interval": "1m", "stepWeight": 50})));
    w.tick();
    w.tick();
    assert_eq!(w.row().0, "Initialized");
    for request in [Manual::Promote, Manual::Abort] {
        w.obs.manual = Some(request);
        let d = w.tick();
        assert_eq!(d.actions[0], Action::AcknowledgeManual);
        assert!(!d.actions.contains(&Action::Promote));
        assert_eq!(w.row().0, "Initialized");
        assert!(w.events.last().unwrap().contains("ignored"), "{:?}", w.events);
    }
    // A later release runs its analysis normally: nothing was left over.
    w.obs.target_hash = "v2".into();
    let rows = w.play(2);
    assert_eq!(rows[1], ("Progressing", 50, 50, 0, 0));
}

#[test]
fn promote_is_refused_while_the_canary_is_not_ready() {
    let mut w = world();
    w.play(2);
    w.obs.target = Readiness::Waiting("1 of 2 updated replicas available".into());
    w.obs.manual = Some(Manual::Promote);
    w.tick();
    assert_eq!(w.row(), ("Progressing", 10, 90, 0, 0));
    assert!(w.events.last().unwrap().contains("refused"), "{:?}", w.events);
    assert_eq!(w.primary_hash.as_deref(), Some("v1"));
}

#[test]
fn promote_during_promotion_changes_nothing() {
    let mut w = world();
    for _ in 0..10 {
        if w.row().0 == "Promoting" {
            break;
        }
        w.tick();
    }
    assert_eq!(w.row().0, "Promoting");
    w.obs.manual = Some(Manual::Abort);
    w.tick();
    assert_eq!(w.row().0, "Promoting", "an abort cannot stop a promotion that has started");
    assert_eq!(w.play(4).last().unwrap().0, "Succeeded");
}
