//! HelmRelease status as helm-controller writes it: `history` snapshots of the stored releases
//! (newest first), the last attempt, failure counters, and the `Ready`, `Released`, `Remediated`
//! and `Stalled` conditions with Flux's reasons and messages. Written only when it changed.

use glidepath_api::flux::HelmRelease;
use std::collections::BTreeMap;

use glidepath_api::flux::helm_release::{HelmReleaseStatus, Snapshot, TestHookStatus};
use glidepath_helm::storage::ReleaseRecord;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use sha2::Digest;

use crate::sync::conditions as c;
use crate::sync::{Context, SyncError};

pub const RELEASED: &str = "Released";
pub const REMEDIATED: &str = "Remediated";
pub const INSTALL_SUCCEEDED: &str = "InstallSucceeded";
pub const INSTALL_FAILED: &str = "InstallFailed";
pub const UPGRADE_SUCCEEDED: &str = "UpgradeSucceeded";
pub const UPGRADE_FAILED: &str = "UpgradeFailed";
pub const ROLLBACK_SUCCEEDED: &str = "RollbackSucceeded";
pub const ROLLBACK_FAILED: &str = "RollbackFailed";
pub const UNINSTALL_SUCCEEDED: &str = "UninstallSucceeded";
pub const UNINSTALL_FAILED: &str = "UninstallFailed";
pub const RETRIES_EXCEEDED: &str = "RetriesExceeded";
pub const GET_LAST_RELEASE_FAILED: &str = "GetLastReleaseFailed";
pub const TEST_SUCCESS: &str = "TestSuccess";
pub const TEST_SUCCEEDED: &str = "TestSucceeded";
pub const TEST_FAILED: &str = "TestFailed";

/// `<ns>/<name>.v<N>`, as helm-controller names a release in messages.
pub fn release_ref(rec: &ReleaseRecord) -> String {
    format!("{}/{}.v{}", rec.namespace, rec.name, rec.version)
}

/// `<chart>@<version>`.
pub fn chart_ref(rec: &ReleaseRecord) -> String {
    format!("{}@{}", rec.chart.metadata.name, rec.chart.metadata.version)
}

fn time(s: &Option<String>) -> Option<Time> {
    s.as_deref().and_then(|t| t.parse().ok()).map(Time)
}

/// A stored release as a status snapshot.
pub fn snapshot(rec: &ReleaseRecord) -> Snapshot {
    let json = serde_json::to_vec(rec).unwrap_or_default();
    Snapshot {
        api_version: None,
        digest: format!("sha256:{:x}", sha2::Sha256::digest(&json)),
        name: rec.name.clone(),
        namespace: rec.namespace.clone(),
        version: rec.version,
        status: rec.info.status.as_str().to_owned(),
        chart_name: rec.chart.metadata.name.clone(),
        chart_version: rec.chart.metadata.version.clone(),
        app_version: Some(rec.chart.metadata.app_version.clone()).filter(|v| !v.is_empty()),
        config_digest: super::values::config_digest(&rec.config),
        first_deployed: time(&rec.info.first_deployed),
        last_deployed: time(&rec.info.last_deployed),
        deleted: time(&rec.info.deleted),
        test_hooks: test_hooks(rec),
        oci_digest: None,
        action: None,
    }
}

/// The runs of the release's test hooks, as the snapshot records them (none before a test ran).
fn test_hooks(rec: &ReleaseRecord) -> Option<BTreeMap<String, TestHookStatus>> {
    let runs: BTreeMap<String, TestHookStatus> = rec
        .hooks
        .iter()
        .filter(|h| h.events.iter().any(|e| e == "test") && !h.last_run.phase.is_empty())
        .map(|h| {
            let status = TestHookStatus {
                last_started: time(&h.last_run.started_at),
                last_completed: time(&h.last_run.completed_at),
                phase: Some(h.last_run.phase.clone()),
            };
            (format!("{}/{}", rec.namespace, h.name), status)
        })
        .collect();
    (!runs.is_empty()).then_some(runs)
}

/// Snapshots of `history` (oldest first) newest first, at most `max` (0: all).
pub fn snapshots(history: &[ReleaseRecord], max: usize) -> Vec<Snapshot> {
    let mut out: Vec<Snapshot> = history.iter().rev().map(snapshot).collect();
    if max > 0 {
        out.truncate(max);
    }
    out
}

/// Set the Ready condition (and drop Stalled/Reconciling unless `stalled`).
pub fn ready(conds: &mut Vec<Condition>, ok: bool, reason: &str, message: &str, generation: i64, stalled: bool) {
    c::set(conds, c::READY, ok, reason, message, Some(generation));
    c::remove(conds, c::RECONCILING);
    if stalled {
        c::set(conds, c::STALLED, true, reason, message, Some(generation));
    } else {
        c::remove(conds, c::STALLED);
    }
}

/// Write `status` unless it equals what the object has.
pub async fn write(
    ctx: &Context,
    hr: &HelmRelease,
    status: HelmReleaseStatus,
    conds: Vec<Condition>,
) -> Result<(), SyncError> {
    let old = hr.status.clone().unwrap_or_default();
    let old_conds = old.conditions.clone().unwrap_or_default();
    crate::sync::status_write::write(ctx, hr, (&old, &old_conds), &status, conds).await
}
