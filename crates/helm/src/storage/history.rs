//! Decisions over one release's history (Helm's `pkg/storage/storage.go`): which revision is
//! the latest, which is deployed, whether an operation is stuck pending, and which revisions
//! `--history-max` prunes. Pure: the caller lists the Secrets and deletes what it is told.

use super::record::{ReleaseRecord, Status};

/// The highest revision (Helm's `Storage.Last`).
pub fn latest(records: &[ReleaseRecord]) -> Option<&ReleaseRecord> {
    records.iter().max_by_key(|r| r.version)
}

/// The highest revision whose status is `deployed` (Helm's `Storage.Deployed`: when concurrent
/// writes left several deployed, the latest counts).
pub fn last_deployed(records: &[ReleaseRecord]) -> Option<&ReleaseRecord> {
    records.iter().filter(|r| r.info.status == Status::Deployed).max_by_key(|r| r.version)
}

/// The latest revision when it is `pending-install`, `pending-upgrade` or
/// `pending-rollback`: Helm refuses a new operation then ("another operation is in progress"),
/// and a controller that finds one it did not start treats it as stuck.
pub fn pending(records: &[ReleaseRecord]) -> Option<&ReleaseRecord> {
    latest(records).filter(|r| r.info.status.is_pending())
}

/// The revisions to delete so that at most `max_history` remain (0 = unlimited), oldest first.
/// The last deployed revision is never deleted (Helm's `removeLeastRecent`), so the newest
/// non-deployed ones are kept instead.
pub fn prune(records: &[ReleaseRecord], max_history: usize) -> Vec<i64> {
    if max_history == 0 {
        return Vec::new();
    }
    remove_least_recent(records, max_history)
}

/// What Helm deletes before it writes a new revision with `max_history` set (`Storage.Create`
/// makes room for one more: it keeps `max_history - 1`). 0 = unlimited.
pub fn prune_before_create(records: &[ReleaseRecord], max_history: usize) -> Vec<i64> {
    if max_history == 0 {
        return Vec::new();
    }
    remove_least_recent(records, max_history - 1)
}

/// Helm's `removeLeastRecent(name, maximum)`: oldest first, skipping the last deployed
/// revision, until `maximum` remain.
fn remove_least_recent(records: &[ReleaseRecord], maximum: usize) -> Vec<i64> {
    if records.len() <= maximum {
        return Vec::new();
    }
    let mut versions: Vec<i64> = records.iter().map(|r| r.version).collect();
    versions.sort_unstable();
    let deployed = last_deployed(records).map(|r| r.version);
    let mut delete = Vec::new();
    for v in versions {
        if records.len() - delete.len() == maximum {
            break;
        }
        if Some(v) != deployed {
            delete.push(v);
        }
    }
    delete
}
