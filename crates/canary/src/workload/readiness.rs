//! Readiness of Deployments, DaemonSets (reference §2.6) and Knative Revisions, judged from
//! their status.

use std::time::Duration;

use glidepath_api::k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use glidepath_api::k8s_openapi::jiff::Timestamp;

use crate::model::Readiness;

/// Judge a Knative Revision by its `Ready` condition: `True` is ready, `False` is a revision
/// that will not come up (Knative's own verdict: missing image, crash, its progress
/// deadline), anything else is still deploying. `None`: the revision does not exist (yet).
pub fn knative_revision(name: &str, revision: Option<&serde_json::Value>) -> Readiness {
    let Some(revision) = revision else {
        return Readiness::Waiting(format!("Knative Revision {name} not found yet"));
    };
    let ready = revision["status"]["conditions"].as_array().and_then(|c| c.iter().find(|c| c["type"] == "Ready"));
    let text = |c: &serde_json::Value, key: &str| c[key].as_str().unwrap_or_default().to_owned();
    match ready {
        Some(c) if c["status"] == "True" => Readiness::Ready,
        Some(c) if c["status"] == "False" => {
            Readiness::Failed(format!("Knative Revision {name} failed: {}: {}", text(c, "reason"), text(c, "message")))
        }
        _ => Readiness::Waiting(format!("Knative Revision {name} is not ready")),
    }
}

/// Judge a Deployment: rolled out, and at least `threshold`% of its updated replicas available.
///
/// Fails (non-retriable) when the Deployment's own progress deadline passed, or when it has
/// lacked minimum availability for longer than `deadline` (the Canary's
/// `progressDeadlineSeconds`).
pub fn deployment(d: &Deployment, threshold: i32, deadline: Duration, now: Timestamp) -> Readiness {
    let name = d.metadata.name.as_deref().unwrap_or("");
    let Some(status) = &d.status else {
        return Readiness::Waiting(format!("{name}: waiting for the deployment status"));
    };
    if d.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return Readiness::Waiting(format!("{name}: waiting for rollout to be observed"));
    }
    for c in status.conditions.iter().flatten() {
        let reason = c.reason.as_deref().unwrap_or("");
        if c.type_.as_deref() == Some("Progressing") && reason == "ProgressDeadlineExceeded" {
            return Readiness::Failed(format!("deployment {name:?} exceeded its progress deadline"));
        }
        if c.type_.as_deref() == Some("Available")
            && c.status.as_deref() == Some("False")
            && reason == "MinimumReplicasUnavailable"
            && let Some(since) = c.last_update_time.as_ref().or(c.last_transition_time.as_ref())
            && elapsed(since.0, now) > deadline
        {
            return Readiness::Failed(format!(
                "deployment {name:?} has had minimum availability missing for over {deadline:?}"
            ));
        }
    }
    let desired = d.spec.replicas.unwrap_or(1);
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if updated < desired {
        return Readiness::Waiting(format!(
            "waiting for rollout to finish: {updated} out of {desired} new replicas have been updated"
        ));
    }
    if replicas > updated {
        return Readiness::Waiting(format!(
            "waiting for rollout to finish: {} old replicas are pending termination",
            replicas - updated
        ));
    }
    let needed = needed(updated, threshold);
    if available < needed {
        return Readiness::Waiting(format!(
            "waiting for rollout to finish: {available} of {needed} (threshold {threshold}%) updated replicas are available"
        ));
    }
    Readiness::Ready
}

/// Judge a DaemonSet: every desired pod updated and `threshold`% of them available.
pub fn daemon_set(ds: &DaemonSet, threshold: i32) -> Readiness {
    let name = ds.metadata.name.as_deref().unwrap_or("");
    let Some(status) = &ds.status else {
        return Readiness::Waiting(format!("{name}: waiting for the daemon set status"));
    };
    if ds.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return Readiness::Waiting(format!("{name}: waiting for rollout to be observed"));
    }
    let desired = status.desired_number_scheduled;
    let updated = status.updated_number_scheduled.unwrap_or(0);
    let available = status.number_available.unwrap_or(0);
    if updated < desired {
        return Readiness::Waiting(format!("waiting for rollout to finish: {updated} out of {desired} pods updated"));
    }
    let needed = needed(desired, threshold);
    if available < needed {
        return Readiness::Waiting(format!(
            "waiting for rollout to finish: {available} of {needed} (threshold {threshold}%) pods available"
        ));
    }
    Readiness::Ready
}

/// `floor(total × threshold%)`.
fn needed(total: i32, threshold: i32) -> i32 {
    let t = i64::from(threshold.clamp(0, 100));
    i32::try_from(i64::from(total) * t / 100).unwrap_or(total)
}

fn elapsed(since: Timestamp, now: Timestamp) -> Duration {
    u64::try_from(now.as_second() - since.as_second()).map(Duration::from_secs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dep(spec_replicas: i32, generation: i64, status: serde_json::Value) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "podinfo", "generation": generation},
            "spec": {"replicas": spec_replicas, "selector": {}, "template": {}},
            "status": status
        }))
        .unwrap()
    }

    fn now() -> Timestamp {
        "2026-11-22T10:10:00Z".parse().unwrap()
    }

    const DEADLINE: Duration = Duration::from_secs(600);

    #[test]
    fn ready_when_rolled_out_and_available() {
        let d =
            dep(2, 3, json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}));
        assert_eq!(deployment(&d, 100, DEADLINE, now()), Readiness::Ready);
    }

    #[test]
    fn waits_for_observation_updates_termination_and_availability() {
        let cases = [
            json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}),
            json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1}),
            json!({"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}),
            json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 1}),
        ];
        for s in cases {
            let d = dep(2, 3, s.clone());
            assert!(matches!(deployment(&d, 100, DEADLINE, now()), Readiness::Waiting(_)), "{s}");
        }
    }

    #[test]
    fn threshold_lowers_the_bar() {
        let d =
            dep(4, 1, json!({"observedGeneration": 1, "replicas": 4, "updatedReplicas": 4, "availableReplicas": 2}));
        assert_eq!(deployment(&d, 50, DEADLINE, now()), Readiness::Ready);
        assert!(matches!(deployment(&d, 75, DEADLINE, now()), Readiness::Waiting(_)));
    }

    #[test]
    fn deadlines_fail() {
        let exceeded = dep(
            1,
            1,
            json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
            "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}),
        );
        assert!(matches!(deployment(&exceeded, 100, DEADLINE, now()), Readiness::Failed(_)));
        let unavailable = |since: &str| {
            dep(
                1,
                1,
                json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 0,
                "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "lastUpdateTime": since}]}),
            )
        };
        assert!(matches!(deployment(&unavailable("2026-11-22T09:59:00Z"), 100, DEADLINE, now()), Readiness::Failed(_)));
        assert!(matches!(
            deployment(&unavailable("2026-11-22T10:05:00Z"), 100, DEADLINE, now()),
            Readiness::Waiting(_)
        ));
    }

    #[test]
    fn daemon_sets() {
        let ds = |s: serde_json::Value| -> DaemonSet {
            serde_json::from_value(json!({"metadata": {"name": "d", "generation": 1}, "status": s})).unwrap()
        };
        let base =
            json!({"observedGeneration": 1, "currentNumberScheduled": 3, "numberMisscheduled": 0, "numberReady": 3});
        let with = |extra: serde_json::Value| {
            let mut b = base.clone();
            b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            b
        };
        assert_eq!(
            daemon_set(
                &ds(with(json!({"desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 3}))),
                100
            ),
            Readiness::Ready
        );
        assert!(matches!(
            daemon_set(
                &ds(with(json!({"desiredNumberScheduled": 3, "updatedNumberScheduled": 2, "numberAvailable": 3}))),
                100
            ),
            Readiness::Waiting(_)
        ));
        assert!(matches!(
            daemon_set(
                &ds(with(json!({"desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 1}))),
                67
            ),
            Readiness::Waiting(_)
        ));
    }
}
