//! The workload simulator: what kube-controller-manager and kubelets on ready nodes would do
//! to Deployment, ReplicaSet and DaemonSet status. After a readiness delay a rollout completes
//! (`replicas`, `updatedReplicas`, `readyReplicas`, `availableReplicas`, `observedGeneration`,
//! the `Available` and `Progressing` conditions). Failure injection per pod template, through
//! the annotation `sandbox.glidepath.io/fail`:
//!
//! - `never-ready`: pods never become ready; at `spec.progressDeadlineSeconds` the Deployment
//!   reports `Progressing=False ProgressDeadlineExceeded`, as a real controller does;
//! - `crash-loop`: pods never become ready and the Deployment never reports the deadline (the
//!   case that strands Flagger canaries, upstream #1247/#1578);
//! - `after=<duration>`: ready at first, unready from `<duration>` after the rollout began.
//!
//! `sandbox.glidepath.io/ready-after: <duration>` on the workload overrides the delay.
//!
//! Each settled Deployment rollout also keeps its `<name>-<pod-template-hash>` ReplicaSet (see
//! `rollout.rs`); older templates' ReplicaSets are scaled to zero.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::server::Shared;
use crate::store::{Part, WriteOptions};

pub const FAIL_ANNOTATION: &str = "sandbox.glidepath.io/fail";
pub const READY_AFTER_ANNOTATION: &str = "sandbox.glidepath.io/ready-after";
const SCALE_TO_ZERO: &str = "flagger.app/scale-to-zero";

/// How pods of a template behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Healthy,
    NeverReady,
    CrashLoop,
    FailAfter(Duration),
}

impl Behaviour {
    pub fn of(template: &Value) -> Self {
        match template["metadata"]["annotations"][FAIL_ANNOTATION].as_str().map(str::trim) {
            Some("never-ready") => Self::NeverReady,
            Some("crash-loop") => Self::CrashLoop,
            Some(v) => v
                .strip_prefix("after=")
                .and_then(|d| glidepath_api::duration::parse(d).ok())
                .map_or(Self::Healthy, Self::FailAfter),
            None => Self::Healthy,
        }
    }

    fn ready_at(self, elapsed: Duration) -> bool {
        match self {
            Self::Healthy => true,
            Self::NeverReady | Self::CrashLoop => false,
            Self::FailAfter(d) => elapsed < d,
        }
    }
}

fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn condition(type_: &str, status: &str, reason: &str, message: &str, since: Timestamp) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
        "lastUpdateTime": time(since), "lastTransitionTime": time(since)})
}

/// The status a Deployment has `elapsed` after its current rollout began at `started`.
pub fn deployment_status(obj: &Value, started: Timestamp, now: Timestamp) -> Value {
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let desired = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let elapsed = Duration::from_secs(u64::try_from((now - started).get_seconds()).unwrap_or(0));
    let behaviour = Behaviour::of(&obj["spec"]["template"]);
    let ready = if behaviour.ready_at(elapsed) { desired } else { 0 };
    let deadline = Duration::from_secs(obj["spec"]["progressDeadlineSeconds"].as_u64().unwrap_or(600));
    let available = if ready >= desired {
        condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", started)
    } else {
        condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            started,
        )
    };
    let progressing = if ready >= desired {
        condition(
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            &format!("ReplicaSet \"{name}\" has successfully progressed."),
            started,
        )
    } else if behaviour == Behaviour::NeverReady && elapsed >= deadline {
        condition(
            "Progressing",
            "False",
            "ProgressDeadlineExceeded",
            &format!("ReplicaSet \"{name}\" has timed out progressing."),
            started,
        )
    } else {
        condition(
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            &format!("ReplicaSet \"{name}\" is progressing."),
            started,
        )
    };
    let mut s = json!({
        "observedGeneration": generation,
        "replicas": desired,
        "updatedReplicas": desired,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": [available, progressing],
    });
    if desired > ready {
        s["unavailableReplicas"] = json!(desired - ready);
    }
    s
}

/// The status of a DaemonSet on `nodes` ready nodes; the scale-to-zero nodeSelector matches none.
pub fn daemon_set_status(obj: &Value, nodes: i64, started: Timestamp, now: Timestamp) -> Value {
    let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let template = &obj["spec"]["template"];
    let desired = if template["spec"]["nodeSelector"].get(SCALE_TO_ZERO).is_some() { 0 } else { nodes };
    let elapsed = Duration::from_secs(u64::try_from((now - started).get_seconds()).unwrap_or(0));
    let ready = if Behaviour::of(template).ready_at(elapsed) { desired } else { 0 };
    json!({
        "observedGeneration": generation,
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": desired,
        "updatedNumberScheduled": desired,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "numberAvailable": ready,
        "numberUnavailable": desired - ready,
    })
}

/// The status of a standalone ReplicaSet (one no Deployment controls).
pub fn replica_set_status(obj: &Value, started: Timestamp, now: Timestamp) -> Value {
    let desired = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let elapsed = Duration::from_secs(u64::try_from((now - started).get_seconds()).unwrap_or(0));
    let ready = if Behaviour::of(&obj["spec"]["template"]).ready_at(elapsed) { desired } else { 0 };
    json!({
        "replicas": desired,
        "fullyLabeledReplicas": desired,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": obj["metadata"]["generation"].as_i64().unwrap_or(1),
    })
}

/// Settings of the simulator.
#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    /// Time from a rollout's start to ready pods.
    pub ready_delay: Duration,
    /// Ready nodes, for DaemonSets.
    pub nodes: i64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig { ready_delay: Duration::from_millis(500), nodes: 3 }
    }
}

type Key = (String, String, String);

/// Follow store events and settle workload status; runs until the sandbox stops.
pub(crate) async fn run(shared: Arc<Shared>, config: SimulatorConfig) {
    let mut events = shared.lock().receiver();
    // Rollout start per workload: (generation, replicas, started).
    let mut rollouts: HashMap<Key, (i64, i64, Timestamp)> = HashMap::new();
    // Jobs and Pods: when they were first seen.
    let mut runs: HashMap<Key, Timestamp> = HashMap::new();
    let mut shutdown = shared.shutdown.clone();
    loop {
        let event = tokio::select! {
            _ = shutdown.changed() => return,
            e = events.recv() => e,
        };
        let event = match event {
            Ok(e) => e,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        let kind = match event.res.as_str() {
            "deployments.apps" => "deployments",
            "daemonsets.apps" => "daemonsets",
            // ReplicaSets of Deployments are kept by `rollout`; standalone ones settle here.
            "replicasets.apps" if !crate::rollout::owned_by_deployment(&event.object) => "replicasets",
            "jobs.batch" => "jobs",
            // Bare Pods only: nothing else here makes Pods.
            "pods" => "pods",
            _ => continue,
        };
        let obj = &event.object;
        let key = (
            kind.to_owned(),
            obj["metadata"]["namespace"].as_str().unwrap_or_default().to_owned(),
            obj["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
        );
        if matches!(event.kind, crate::store::EventType::Deleted) {
            rollouts.remove(&key);
            runs.remove(&key);
            continue;
        }
        if matches!(kind, "jobs" | "pods") {
            // Runs settle once, after the delay, from their first sighting.
            let started = *runs.entry(key.clone()).or_insert_with(Timestamp::now);
            if obj["status"].get("startTime").is_none() {
                let (shared, key, delay) = (shared.clone(), key.clone(), ready_delay(obj, config.ready_delay));
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    settle(&shared, &key, 0, started);
                });
            }
            continue;
        }
        let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
        let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
        let entry = rollouts.entry(key.clone()).or_insert((generation, replicas, Timestamp::now()));
        if entry.0 != generation || entry.1 != replicas {
            *entry = (generation, replicas, Timestamp::now());
        }
        let started = entry.2;
        let delay = ready_delay(obj, config.ready_delay);
        let deadline = Duration::from_secs(obj["spec"]["progressDeadlineSeconds"].as_u64().unwrap_or(600));
        // Settle after the delay; look again when a deadline or a failure time passes.
        let mut wakes = vec![delay];
        match Behaviour::of(&obj["spec"]["template"]) {
            Behaviour::NeverReady => wakes.push(deadline + Duration::from_millis(50)),
            Behaviour::FailAfter(d) => wakes.push(d + Duration::from_millis(50)),
            _ => {}
        }
        for wake in wakes {
            let (shared, key, nodes) = (shared.clone(), key.clone(), config.nodes);
            let since = Duration::from_secs(u64::try_from((Timestamp::now() - started).get_seconds()).unwrap_or(0));
            tokio::spawn(async move {
                tokio::time::sleep(wake.saturating_sub(since)).await;
                settle(&shared, &key, nodes, started);
            });
        }
    }
}

/// `sandbox.glidepath.io/ready-after` on the object, else the simulator's delay.
fn ready_delay(obj: &Value, default: Duration) -> Duration {
    obj["metadata"]["annotations"][READY_AFTER_ANNOTATION]
        .as_str()
        .and_then(|d| glidepath_api::duration::parse(d).ok())
        .unwrap_or(default)
}

/// Write the status a workload should have now, if it differs.
fn settle(shared: &Shared, key: &Key, nodes: i64, started: Timestamp) {
    let (plural, ns, name) = key;
    let mut store = shared.lock();
    let group = match plural.as_str() {
        "jobs" => "batch",
        "pods" => "",
        _ => "apps",
    };
    let Some(info) = store.registry.get(group, "v1", plural) else { return };
    let Ok(current) = store.get(&info, ns, name) else { return };
    let now = Timestamp::now();
    let status = match plural.as_str() {
        "deployments" => deployment_status(&current, started, now),
        "replicasets" => replica_set_status(&current, started, now),
        "jobs" => crate::runs::job_status(&current, started, now),
        "pods" => crate::runs::pod_status(&current, started, now),
        _ => daemon_set_status(&current, nodes, started, now),
    };
    if plural == "deployments" {
        crate::rollout::reconcile(&mut store, &current, &status);
    }
    if same_status(&current["status"], &status) {
        return;
    }
    let mut updated = (*current).clone();
    updated["status"] = status;
    if let Err(e) = store.update(&info, ns, name, updated, Part::Status, &WriteOptions::default()) {
        tracing::debug!(error = %e, "simulator status write");
    }
}

/// Status equality ignoring condition timestamps.
fn same_status(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(conds) = v.get_mut("conditions").and_then(Value::as_array_mut) {
            for c in conds {
                if let Some(m) = c.as_object_mut() {
                    m.remove("lastUpdateTime");
                    m.remove("lastTransitionTime");
                }
            }
        }
        v
    };
    strip(a) == strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(annotations: Value) -> Value {
        json!({"metadata": {"name": "web", "generation": 2}, "spec": {"replicas": 3, "progressDeadlineSeconds": 60,
            "template": {"metadata": {"annotations": annotations}}}})
    }

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn healthy_rollouts_complete() {
        let s = deployment_status(&deploy(json!({})), at(0), at(1));
        assert_eq!((s["observedGeneration"].as_i64(), s["availableReplicas"].as_i64()), (Some(2), Some(3)));
        assert_eq!(s["conditions"][0]["status"], "True");
        assert_eq!(s["conditions"][1]["reason"], "NewReplicaSetAvailable");
    }

    #[test]
    fn never_ready_reaches_the_deadline_but_crash_loop_does_not() {
        let never = deploy(json!({FAIL_ANNOTATION: "never-ready"}));
        assert_eq!(deployment_status(&never, at(0), at(10))["conditions"][1]["reason"], "ReplicaSetUpdated");
        assert_eq!(deployment_status(&never, at(0), at(61))["conditions"][1]["reason"], "ProgressDeadlineExceeded");
        let crash = deploy(json!({FAIL_ANNOTATION: "crash-loop"}));
        let s = deployment_status(&crash, at(0), at(6100));
        assert_eq!(
            (s["availableReplicas"].as_i64(), s["conditions"][1]["reason"].as_str()),
            (Some(0), Some("ReplicaSetUpdated"))
        );
        let late = deploy(json!({FAIL_ANNOTATION: "after=30s"}));
        assert_eq!(deployment_status(&late, at(0), at(10))["availableReplicas"], 3);
        assert_eq!(deployment_status(&late, at(0), at(31))["availableReplicas"], 0);
    }

    #[test]
    fn daemon_sets_scale_to_zero_by_node_selector() {
        let ds = json!({"metadata": {"generation": 1}, "spec": {"template": {"spec": {"nodeSelector": {SCALE_TO_ZERO: "true"}}}}});
        assert_eq!(daemon_set_status(&ds, 3, at(0), at(1))["desiredNumberScheduled"], 0);
        let ds = json!({"metadata": {"generation": 1}, "spec": {"template": {"spec": {}}}});
        assert_eq!(daemon_set_status(&ds, 3, at(0), at(1))["numberAvailable"], 3);
    }
}
