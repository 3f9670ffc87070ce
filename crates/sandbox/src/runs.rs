//! What the Job controller and kubelets would do to Jobs and bare Pods (Helm hooks and test
//! pods run as these): after the simulator's readiness delay a Job completes (`succeeded`,
//! `Complete` and `SuccessCriteriaMet` conditions) and a Pod runs — to `Succeeded` when its
//! `restartPolicy` lets it finish, else `Running` and Ready. With the failure annotation
//! (`sandbox.glidepath.io/fail: never-ready|crash-loop`, on the Job's pod template or on the
//! Pod) a Job fails (`BackoffLimitExceeded`) and a Pod fails (or, restarting, stays unready).

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::simulator::Behaviour;

fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn condition(type_: &str, status: &str, reason: &str, message: &str, at: Timestamp) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
        "lastProbeTime": time(at), "lastTransitionTime": time(at)})
}

fn fails(b: Behaviour) -> bool {
    matches!(b, Behaviour::NeverReady | Behaviour::CrashLoop)
}

/// A Job's status once its pods ran.
pub fn job_status(obj: &Value, started: Timestamp, now: Timestamp) -> Value {
    let completions = obj["spec"]["completions"].as_i64().unwrap_or(1);
    if fails(Behaviour::of(&obj["spec"]["template"])) {
        let msg = "Job has reached the specified backoff limit";
        return json!({
            "startTime": time(started),
            "failed": obj["spec"]["backoffLimit"].as_i64().unwrap_or(6) + 1,
            "conditions": [
                condition("FailureTarget", "True", "BackoffLimitExceeded", msg, now),
                condition("Failed", "True", "BackoffLimitExceeded", msg, now),
            ],
        });
    }
    json!({
        "startTime": time(started),
        "completionTime": time(now),
        "succeeded": completions,
        "ready": 0,
        "terminating": 0,
        "conditions": [
            condition("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now),
            condition("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now),
        ],
    })
}

/// A bare Pod's status once it ran: the admitted status (`qosClass` …) with phase and conditions.
pub fn pod_status(obj: &Value, started: Timestamp, now: Timestamp) -> Value {
    let finishes = obj["spec"]["restartPolicy"].as_str().is_some_and(|p| p == "Never" || p == "OnFailure");
    let failed = fails(Behaviour::of(obj));
    let mut status = obj["status"].as_object().cloned().unwrap_or_default();
    let (phase, ready) = match (finishes, failed) {
        (true, false) => ("Succeeded", false),
        (true, true) => ("Failed", false),
        (false, false) => ("Running", true),
        (false, true) => ("Running", false),
    };
    let ready_status = if ready { "True" } else { "False" };
    let reason = if finishes { "PodCompleted" } else { "" };
    status.insert("phase".into(), json!(phase));
    status.insert("startTime".into(), json!(time(started)));
    status.insert(
        "conditions".into(),
        json!([
            condition("Initialized", "True", reason, "", now),
            condition("Ready", ready_status, reason, "", now),
            condition("ContainersReady", ready_status, reason, "", now),
            condition("PodScheduled", "True", "", "", now),
        ]),
    );
    Value::Object(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap()
    }

    #[test]
    fn jobs_complete_or_fail_by_their_template() {
        let ok = json!({"spec": {"template": {"metadata": {}}}});
        let s = job_status(&ok, at(0), at(1));
        assert_eq!(s["succeeded"], 1);
        assert_eq!(s["conditions"][1]["type"], "Complete");
        let bad = json!({"spec": {"backoffLimit": 0, "template": {"metadata": {"annotations": {crate::simulator::FAIL_ANNOTATION: "crash-loop"}}}}});
        let s = job_status(&bad, at(0), at(1));
        assert_eq!(s["failed"], 1);
        assert_eq!(s["conditions"][1]["type"], "Failed");
    }

    #[test]
    fn pods_finish_by_restart_policy() {
        let test_pod = json!({"spec": {"restartPolicy": "Never"}, "status": {"qosClass": "BestEffort"}});
        let s = pod_status(&test_pod, at(0), at(1));
        assert_eq!((s["phase"].as_str(), s["qosClass"].as_str()), (Some("Succeeded"), Some("BestEffort")));
        let failing = json!({"metadata": {"annotations": {crate::simulator::FAIL_ANNOTATION: "never-ready"}}, "spec": {"restartPolicy": "Never"}});
        assert_eq!(pod_status(&failing, at(0), at(1))["phase"], "Failed");
        let server = json!({"spec": {}});
        let s = pod_status(&server, at(0), at(1));
        assert_eq!((s["phase"].as_str(), s["conditions"][1]["status"].as_str()), (Some("Running"), Some("True")));
    }
}
