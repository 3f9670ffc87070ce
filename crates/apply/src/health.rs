//! kstatus readiness rules (`cli-utils: pkg/kstatus/status`) as a pure function of the live object.

use serde_json::Value;

/// kstatus' status values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Current,
    InProgress,
    Failed,
    Terminating,
    NotFound,
}

impl Status {
    /// kstatus' spelling (`Current`, `InProgress`, ...), used in condition messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Current => "Current",
            Status::InProgress => "InProgress",
            Status::Failed => "Failed",
            Status::Terminating => "Terminating",
            Status::NotFound => "NotFound",
        }
    }
}

/// The computed status with a human-readable reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub status: Status,
    pub message: String,
}

impl Health {
    fn new(status: Status, message: impl Into<String>) -> Self {
        Health { status, message: message.into() }
    }
    fn current(message: impl Into<String>) -> Self {
        Health::new(Status::Current, message)
    }
    fn progressing(message: impl Into<String>) -> Self {
        Health::new(Status::InProgress, message)
    }
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?.as_array()?.iter().find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

fn cond_status<'a>(obj: &'a Value, kind: &str) -> Option<&'a str> {
    condition(obj, kind)?.get("status")?.as_str()
}

fn cond_reason<'a>(obj: &'a Value, kind: &str) -> Option<&'a str> {
    condition(obj, kind)?.get("reason")?.as_str()
}

fn int(obj: &Value, pointer: &str) -> Option<i64> {
    obj.pointer(pointer).and_then(Value::as_i64)
}

/// `Terminating` once the object is scheduled for deletion: kstatus' first rule, which
/// `healthCheckExprs` keep too.
pub(crate) fn terminating(obj: &Value) -> Option<Health> {
    obj.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
        .then(|| Health::new(Status::Terminating, "Resource scheduled for deletion"))
}

/// kstatus status of a live object.
pub fn health(obj: &Value) -> Health {
    if let Some(h) = terminating(obj) {
        return h;
    }
    if let (Some(generation), Some(observed)) =
        (int(obj, "/metadata/generation"), int(obj, "/status/observedGeneration"))
        && generation != observed
    {
        return Health::progressing(format!(
            "{} generation is {generation}, but latest observed generation is {observed}",
            kind(obj)
        ));
    }
    if cond_status(obj, "Reconciling") == Some("True") {
        let msg = condition(obj, "Reconciling").and_then(|c| c.get("message")).and_then(Value::as_str);
        return Health::progressing(msg.unwrap_or("Reconciling"));
    }
    if cond_status(obj, "Stalled") == Some("True") {
        let msg = condition(obj, "Stalled").and_then(|c| c.get("message")).and_then(Value::as_str);
        return Health::new(Status::Failed, msg.unwrap_or("Stalled"));
    }
    let group = obj.get("apiVersion").and_then(Value::as_str).map_or("", crate::object::group_of);
    match (group, kind(obj)) {
        ("apps", "Deployment") => deployment(obj),
        ("apps", "StatefulSet") => statefulset(obj),
        ("apps", "DaemonSet") => daemonset(obj),
        ("apps", "ReplicaSet") => replicaset(obj),
        ("", "Pod") => pod(obj),
        ("batch", "Job") => job(obj),
        ("", "PersistentVolumeClaim") => pvc(obj),
        ("", "Service") => service(obj),
        ("policy", "PodDisruptionBudget") => Health::current("AllowedDisruptions has been computed."),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => crd(obj),
        ("", "Secret" | "ConfigMap") | ("batch", "CronJob") => Health::current("Resource is always ready"),
        _ => generic(obj),
    }
}

fn kind(obj: &Value) -> &str {
    obj.get("kind").and_then(Value::as_str).unwrap_or_default()
}

fn deployment(obj: &Value) -> Health {
    if cond_reason(obj, "Progressing") == Some("ProgressDeadlineExceeded") {
        return Health::new(Status::Failed, "Progress deadline exceeded");
    }
    let spec = int(obj, "/spec/replicas").unwrap_or(1);
    let replicas = int(obj, "/status/replicas").unwrap_or(0);
    let updated = int(obj, "/status/updatedReplicas").unwrap_or(0);
    let ready = int(obj, "/status/readyReplicas").unwrap_or(0);
    let available = int(obj, "/status/availableReplicas").unwrap_or(0);
    if spec > replicas {
        return Health::progressing(format!("Replicas: {replicas}/{spec}"));
    }
    if spec > updated {
        return Health::progressing(format!("Updated: {updated}/{spec}"));
    }
    if replicas > spec {
        return Health::progressing(format!("Pending termination: {}", replicas - spec));
    }
    if updated > available {
        return Health::progressing(format!("Available: {available}/{updated}"));
    }
    if spec > ready {
        return Health::progressing(format!("Ready: {ready}/{spec}"));
    }
    let progressing = cond_status(obj, "Progressing") == Some("True")
        && cond_reason(obj, "Progressing") == Some("NewReplicaSetAvailable");
    if !progressing {
        return Health::progressing("ReplicaSet not Available");
    }
    if cond_status(obj, "Available") != Some("True") {
        return Health::progressing("Deployment not Available");
    }
    Health::current(format!("Deployment is available. Replicas: {replicas}"))
}

fn statefulset(obj: &Value) -> Health {
    if obj.pointer("/spec/updateStrategy/type").and_then(Value::as_str) == Some("OnDelete") {
        return Health::current("StatefulSet is using the OnDelete update strategy");
    }
    let spec = int(obj, "/spec/replicas").unwrap_or(1);
    let replicas = int(obj, "/status/replicas").unwrap_or(0);
    let ready = int(obj, "/status/readyReplicas").unwrap_or(0);
    let current = int(obj, "/status/currentReplicas").unwrap_or(0);
    let updated = int(obj, "/status/updatedReplicas").unwrap_or(0);
    if spec > replicas {
        return Health::progressing(format!("Replicas: {replicas}/{spec}"));
    }
    if spec > ready {
        return Health::progressing(format!("Ready: {ready}/{spec}"));
    }
    if replicas > spec {
        return Health::progressing(format!("Pending termination: {}", replicas - spec));
    }
    if let Some(partition) = int(obj, "/spec/updateStrategy/rollingUpdate/partition") {
        if updated < spec - partition {
            return Health::progressing(format!("updated: {updated}/{}", spec - partition));
        }
        return Health::current(format!("Partitioned roll out complete. updated: {updated}/{}", spec - partition));
    }
    if spec > current {
        return Health::progressing(format!("current: {current}/{spec}"));
    }
    let (cur, upd) = (obj.pointer("/status/currentRevision"), obj.pointer("/status/updateRevision"));
    if cur != upd {
        return Health::progressing("Waiting for updated revision to match current");
    }
    Health::current(format!("All replicas scheduled as expected. Replicas: {replicas}"))
}

fn daemonset(obj: &Value) -> Health {
    let desired = int(obj, "/status/desiredNumberScheduled").unwrap_or(0);
    let checks = [
        ("/status/currentNumberScheduled", "Current"),
        ("/status/updatedNumberScheduled", "Updated"),
        ("/status/numberAvailable", "Available"),
        ("/status/numberReady", "Ready"),
    ];
    if obj.pointer("/status/desiredNumberScheduled").is_none() {
        return Health::progressing("Missing .status.desiredNumberScheduled");
    }
    for (pointer, what) in checks {
        let n = int(obj, pointer).unwrap_or(0);
        if desired > n {
            return Health::progressing(format!("{what}: {n}/{desired}"));
        }
    }
    Health::current(format!("All replicas scheduled as expected. Replicas: {desired}"))
}

fn replicaset(obj: &Value) -> Health {
    if cond_status(obj, "ReplicaFailure") == Some("True") {
        return Health::progressing("Replica Failure condition. Check Pods");
    }
    let spec = int(obj, "/spec/replicas").unwrap_or(1);
    for (pointer, what) in [
        ("/status/replicas", "Replicas"),
        ("/status/readyReplicas", "Ready"),
        ("/status/availableReplicas", "Available"),
    ] {
        let n = int(obj, pointer).unwrap_or(0);
        if spec > n {
            return Health::progressing(format!("{what}: {n}/{spec}"));
        }
    }
    if int(obj, "/status/replicas").unwrap_or(0) > spec {
        return Health::progressing("Pending termination");
    }
    Health::current(format!("ReplicaSet is available. Replicas: {spec}"))
}

fn pod(obj: &Value) -> Health {
    match obj.pointer("/status/phase").and_then(Value::as_str) {
        Some("Succeeded") => return Health::current("Pod has completed successfully"),
        Some("Failed") => return Health::new(Status::Failed, "Pod has completed, but not successfully"),
        Some("Running") if cond_status(obj, "Ready") == Some("True") => return Health::current("Pod is Ready"),
        _ => {}
    }
    let crash = obj.pointer("/status/containerStatuses").and_then(Value::as_array).is_some_and(|cs| {
        cs.iter().any(|c| c.pointer("/state/waiting/reason").and_then(Value::as_str) == Some("CrashLoopBackOff"))
    });
    if crash {
        return Health::new(Status::Failed, "Pod has containers in CrashLoopBackOff (ContainerCrashLooping)");
    }
    if cond_status(obj, "PodScheduled") == Some("False") && cond_reason(obj, "PodScheduled") == Some("Unschedulable") {
        // kstatus fails it after 15 s; without a clock this stays InProgress until the wait times out.
        return Health::progressing("Pod could not be scheduled (PodUnschedulable)");
    }
    Health::progressing("Pod is not Ready")
}

fn job(obj: &Value) -> Health {
    if cond_status(obj, "Complete") == Some("True") {
        return Health::current("Job Completed");
    }
    if cond_status(obj, "Failed") == Some("True") {
        return Health::new(Status::Failed, "Job Failed");
    }
    if obj.pointer("/status/startTime").is_some_and(|v| !v.is_null()) {
        return Health::current("Job in progress");
    }
    Health::progressing("Job not started")
}

fn pvc(obj: &Value) -> Health {
    match obj.pointer("/status/phase").and_then(Value::as_str) {
        Some("Bound") => Health::current("PVC is Bound"),
        phase => Health::progressing(format!("PVC is not Bound. phase: {}", phase.unwrap_or("unknown"))),
    }
}

fn service(obj: &Value) -> Health {
    let lb = obj.pointer("/spec/type").and_then(Value::as_str) == Some("LoadBalancer");
    let ip = obj.pointer("/spec/clusterIP").and_then(Value::as_str).unwrap_or_default();
    if lb && ip.is_empty() {
        return Health::progressing("ClusterIP not set");
    }
    Health::current("Service is ready")
}

fn crd(obj: &Value) -> Health {
    if cond_status(obj, "NamesAccepted") == Some("False") {
        return Health::new(Status::Failed, "CRD names have not been accepted (NamesAccepted=False)");
    }
    if cond_status(obj, "Established") == Some("True") {
        return Health::current("CRD is established");
    }
    Health::progressing("CRD is not established")
}

fn generic(obj: &Value) -> Health {
    match cond_status(obj, "Ready") {
        Some("True") => Health::current("Resource is Ready"),
        Some(_) => {
            let msg = condition(obj, "Ready").and_then(|c| c.get("message")).and_then(Value::as_str);
            Health::progressing(msg.unwrap_or("Resource is not Ready"))
        }
        None => Health::current("Resource is current"),
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
