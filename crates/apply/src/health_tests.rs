use serde_json::{Value, json};

use super::*;

fn st(obj: Value) -> Status {
    health(&obj).status
}

fn deploy(status: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "generation": 2},
        "spec": {"replicas": 2}, "status": status})
}

fn available_conditions() -> Value {
    json!([
        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        {"type": "Available", "status": "True"}
    ])
}

#[test]
fn generic_rules_come_first() {
    let deleting =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}});
    assert_eq!(st(deleting), Status::Terminating);
    let stale = deploy(json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
        "availableReplicas": 2, "conditions": available_conditions()}));
    assert_eq!(st(stale), Status::InProgress);
    let reconciling = json!({"apiVersion": "x.io/v1", "kind": "W", "status": {"conditions": [{"type": "Reconciling", "status": "True"}]}});
    assert_eq!(st(reconciling), Status::InProgress);
    let stalled = json!({"apiVersion": "x.io/v1", "kind": "W", "status": {"conditions": [{"type": "Stalled", "status": "True", "message": "bad"}]}});
    assert_eq!(health(&stalled), Health { status: Status::Failed, message: "bad".into() });
}

#[test]
fn deployment_rules() {
    let full = |extra: Value| {
        let mut s = json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
            "availableReplicas": 2, "conditions": available_conditions()});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        deploy(s)
    };
    assert_eq!(st(full(json!({}))), Status::Current);
    assert_eq!(health(&full(json!({"readyReplicas": 1}))).message, "Ready: 1/2");
    assert_eq!(health(&full(json!({"updatedReplicas": 1}))).message, "Updated: 1/2");
    assert_eq!(health(&full(json!({"replicas": 3}))).message, "Pending termination: 1");
    assert_eq!(health(&full(json!({"availableReplicas": 1}))).message, "Available: 1/2");
    assert_eq!(st(full(json!({"conditions": [{"type": "Available", "status": "True"}]}))), Status::InProgress);
    let deadline =
        full(json!({"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}));
    assert_eq!(st(deadline), Status::Failed);
    assert_eq!(st(deploy(json!({}))), Status::InProgress);
}

#[test]
fn statefulset_and_daemonset_rules() {
    let sts = |spec: Value, status: Value| json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "spec": spec, "status": status});
    assert_eq!(st(sts(json!({"updateStrategy": {"type": "OnDelete"}}), json!({}))), Status::Current);
    let ready =
        json!({"replicas": 2, "readyReplicas": 2, "currentReplicas": 2, "currentRevision": "a", "updateRevision": "a"});
    assert_eq!(st(sts(json!({"replicas": 2}), ready.clone())), Status::Current);
    let mut rolling = ready.clone();
    rolling["updateRevision"] = json!("b");
    assert_eq!(st(sts(json!({"replicas": 2}), rolling)), Status::InProgress);
    let part = json!({"replicas": 3, "updateStrategy": {"rollingUpdate": {"partition": 2}}});
    assert_eq!(
        st(sts(part.clone(), json!({"replicas": 3, "readyReplicas": 3, "updatedReplicas": 1}))),
        Status::Current
    );
    assert_eq!(st(sts(part, json!({"replicas": 3, "readyReplicas": 3, "updatedReplicas": 0}))), Status::InProgress);

    let ds = |status: Value| json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "status": status});
    let all = json!({"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "updatedNumberScheduled": 3,
        "numberAvailable": 3, "numberReady": 3});
    assert_eq!(st(ds(all.clone())), Status::Current);
    let mut behind = all;
    behind["numberAvailable"] = json!(2);
    assert_eq!(health(&ds(behind)).message, "Available: 2/3");
    assert_eq!(st(ds(json!({}))), Status::InProgress);
}

#[test]
fn replicaset_pod_job_pvc_rules() {
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "spec": {"replicas": 2},
        "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 1}});
    assert_eq!(health(&rs).message, "Available: 1/2");
    let pod = |status: Value| json!({"apiVersion": "v1", "kind": "Pod", "status": status});
    assert_eq!(st(pod(json!({"phase": "Succeeded"}))), Status::Current);
    assert_eq!(st(pod(json!({"phase": "Failed"}))), Status::Failed);
    assert_eq!(
        st(pod(json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}))),
        Status::Current
    );
    let crash =
        pod(json!({"phase": "Running", "containerStatuses": [{"state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}));
    assert_eq!(st(crash), Status::Failed);
    assert_eq!(st(pod(json!({"phase": "Pending"}))), Status::InProgress);
    let job = |status: Value| json!({"apiVersion": "batch/v1", "kind": "Job", "status": status});
    assert_eq!(st(job(json!({"conditions": [{"type": "Complete", "status": "True"}]}))), Status::Current);
    assert_eq!(st(job(json!({"conditions": [{"type": "Failed", "status": "True"}]}))), Status::Failed);
    assert_eq!(st(job(json!({"startTime": "2026-01-01T00:00:00Z"}))), Status::Current);
    assert_eq!(st(job(json!({}))), Status::InProgress);
    let pvc = |phase: &str| json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "status": {"phase": phase}});
    assert_eq!(st(pvc("Bound")), Status::Current);
    assert_eq!(st(pvc("Pending")), Status::InProgress);
}

#[test]
fn service_crd_always_ready_and_generic_rules() {
    let svc = |spec: Value| json!({"apiVersion": "v1", "kind": "Service", "spec": spec});
    assert_eq!(st(svc(json!({"type": "ClusterIP", "clusterIP": "10.0.0.1"}))), Status::Current);
    assert_eq!(st(svc(json!({"type": "LoadBalancer"}))), Status::InProgress);
    assert_eq!(st(svc(json!({"type": "LoadBalancer", "clusterIP": "10.0.0.1"}))), Status::Current);
    let crd = |conds: Value| json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "status": {"conditions": conds}});
    assert_eq!(st(crd(json!([{"type": "Established", "status": "True"}]))), Status::Current);
    assert_eq!(st(crd(json!([{"type": "NamesAccepted", "status": "False"}]))), Status::Failed);
    assert_eq!(st(crd(json!([]))), Status::InProgress);
    for (api, kind) in [("v1", "Secret"), ("v1", "ConfigMap"), ("batch/v1", "CronJob")] {
        assert_eq!(st(json!({"apiVersion": api, "kind": kind})), Status::Current, "{kind}");
    }
    let cr = |conds: Value| json!({"apiVersion": "x.io/v1", "kind": "Widget", "status": {"conditions": conds}});
    assert_eq!(st(cr(json!([{"type": "Ready", "status": "True"}]))), Status::Current);
    assert_eq!(st(cr(json!([{"type": "Ready", "status": "False"}]))), Status::InProgress);
    assert_eq!(st(cr(json!([{"type": "Ready", "status": "Unknown"}]))), Status::InProgress);
    assert_eq!(st(cr(json!([]))), Status::Current);
    assert_eq!(st(json!({"apiVersion": "x.io/v1", "kind": "Widget"})), Status::Current);
    let pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"generation": 2}, "status": {"observedGeneration": 1}});
    assert_eq!(st(pdb), Status::InProgress);
}
