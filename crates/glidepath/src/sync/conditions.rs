//! Flux condition types and reasons, and setting conditions kstatus-style (the transition time
//! only moves when the status does).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

pub const READY: &str = "Ready";
pub const RECONCILING: &str = "Reconciling";
pub const STALLED: &str = "Stalled";
pub const HEALTHY: &str = "Healthy";
pub const FETCH_FAILED: &str = "FetchFailed";
pub const ARTIFACT_IN_STORAGE: &str = "ArtifactInStorage";

pub const SUCCEEDED: &str = "Succeeded";
pub const PROGRESSING: &str = "Progressing";
pub const PROGRESSING_WITH_RETRY: &str = "ProgressingWithRetry";
pub const RECONCILIATION_SUCCEEDED: &str = "ReconciliationSucceeded";
pub const RECONCILIATION_FAILED: &str = "ReconciliationFailed";
pub const BUILD_FAILED: &str = "BuildFailed";
pub const ARTIFACT_FAILED: &str = "ArtifactFailed";
pub const HEALTH_CHECK_FAILED: &str = "HealthCheckFailed";
pub const PRUNE_FAILED: &str = "PruneFailed";
pub const DEPENDENCY_NOT_READY: &str = "DependencyNotReady";
pub const STORAGE_OPERATION_FAILED: &str = "StorageOperationFailed";

/// Set (or replace) a condition; keep `lastTransitionTime` when the status is unchanged.
pub fn set(conds: &mut Vec<Condition>, kind: &str, status: bool, reason: &str, message: &str, generation: Option<i64>) {
    set_status(conds, kind, if status { "True" } else { "False" }, reason, message, generation);
}

/// Like [`set`] with a raw status (`Unknown` while reconciling).
pub fn set_status(
    conds: &mut Vec<Condition>,
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    generation: Option<i64>,
) {
    let message: String = message.chars().take(32 * 1024).collect();
    if let Some(c) = conds.iter_mut().find(|c| c.type_ == kind) {
        if c.status != status {
            c.last_transition_time = Time(Timestamp::now());
        }
        c.status = status.to_owned();
        c.reason = reason.to_owned();
        c.message = message;
        c.observed_generation = generation;
        return;
    }
    conds.push(Condition {
        type_: kind.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message,
        observed_generation: generation,
        last_transition_time: Time(Timestamp::now()),
    });
}

/// Drop a condition (negative-polarity conditions are only present while True).
pub fn remove(conds: &mut Vec<Condition>, kind: &str) {
    conds.retain(|c| c.type_ != kind);
}

pub fn get<'a>(conds: &'a [Condition], kind: &str) -> Option<&'a Condition> {
    conds.iter().find(|c| c.type_ == kind)
}

/// Conditions equal apart from transition times (to decide whether a status write is needed).
pub fn same(a: &[Condition], b: &[Condition]) -> bool {
    let key =
        |c: &Condition| (c.type_.clone(), c.status.clone(), c.reason.clone(), c.message.clone(), c.observed_generation);
    let mut ka: Vec<_> = a.iter().map(key).collect();
    let mut kb: Vec<_> = b.iter().map(key).collect();
    ka.sort();
    kb.sort();
    ka == kb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_time_moves_only_with_status() {
        let mut conds = Vec::new();
        set(&mut conds, READY, false, BUILD_FAILED, "a", Some(1));
        let first = conds[0].last_transition_time.clone();
        std::thread::sleep(std::time::Duration::from_millis(2));
        set(&mut conds, READY, false, BUILD_FAILED, "b", Some(1));
        assert_eq!(conds[0].last_transition_time, first);
        assert_eq!(conds[0].message, "b");
        set(&mut conds, READY, true, RECONCILIATION_SUCCEEDED, "ok", Some(1));
        assert_ne!(conds[0].last_transition_time, first);
        let before = conds.clone();
        set(&mut conds, STALLED, true, BUILD_FAILED, "x", Some(1));
        assert!(!same(&before, &conds));
        remove(&mut conds, STALLED);
        assert!(same(&before, &conds));
    }
}
