//! Kustomization status, Events and the finalizer (deletion with `deletionPolicy`).

use glidepath_api::flux::Kustomization;
use glidepath_api::flux::kustomization::{KustomizationStatus, ResourceInventory};
use glidepath_apply::Entry;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};
use serde_json::json;

use super::conditions::{self as c};
use super::git::REQUESTED_AT;
use super::kustomize::{FINALIZER, Failure, inventory, key, owner};
use super::{Context, KUSTOMIZE_CONTROLLER, STATUS_MANAGER, SyncError};

async fn patch_status(ctx: &Context, ks: &Kustomization, status: &KustomizationStatus) -> Result<(), SyncError> {
    let api: Api<Kustomization> = Api::namespaced(ctx.client.clone(), &ks.namespace().unwrap_or_default());
    let params = PatchParams { field_manager: Some(STATUS_MANAGER.into()), ..PatchParams::default() };
    api.patch_status(&ks.name_any(), &params, &Patch::Merge(json!({ "status": status })))
        .await
        .map_err(|source| SyncError::WriteStatus { object: key(ks), source })?;
    Ok(())
}

/// `Reconciling=True`, `Ready=Unknown` before applying a new revision or spec.
/// Returns the status written.
pub(super) async fn progressing(
    ctx: &Context,
    ks: &Kustomization,
    revision: &str,
) -> Result<KustomizationStatus, SyncError> {
    let mut status = ks.status.clone().unwrap_or_default();
    let mut conds = status.conditions.take().unwrap_or_default();
    let generation = ks.meta().generation;
    let msg = format!("Building manifests for revision {revision}");
    c::set(&mut conds, c::RECONCILING, true, c::PROGRESSING, &msg, generation);
    c::set_status(&mut conds, c::READY, "Unknown", c::PROGRESSING, "Reconciliation in progress", generation);
    status.conditions = Some(conds);
    status.last_attempted_revision = Some(revision.to_owned());
    patch_status(ctx, ks, &status).await?;
    Ok(status)
}

/// Flux's status while health checks run: the inventory of what was applied, `Reconciling` and
/// `Healthy=Unknown` saying which revision is checked and for how long at most.
/// `base` is the status last written (this reconcile's progress, or the object's).
pub(super) async fn health_checking(
    ctx: &Context,
    ks: &Kustomization,
    base: KustomizationStatus,
    revision: &str,
    inventory: &[Entry],
    timeout: std::time::Duration,
) -> Result<(), SyncError> {
    let mut status = base;
    let mut conds = status.conditions.take().unwrap_or_default();
    let generation = ks.meta().generation;
    let timeout = glidepath_api::duration::format(timeout);
    let msg = format!("Running health checks for revision {revision} with a timeout of {timeout}");
    c::set(&mut conds, c::RECONCILING, true, c::PROGRESSING, &msg, generation);
    c::set_status(&mut conds, c::HEALTHY, "Unknown", c::PROGRESSING, &msg, generation);
    status.conditions = Some(conds);
    status.inventory = Some(inventory_of(inventory));
    status.last_attempted_revision = Some(revision.to_owned());
    patch_status(ctx, ks, &status).await
}

fn inventory_of(inv: &[Entry]) -> ResourceInventory {
    let mut entries: Vec<_> = inv.iter().map(Entry::to_ref).collect();
    entries.sort();
    entries.dedup();
    ResourceInventory { entries }
}

/// Final status, and Events only when something changed: objects written, or a new failure.
pub(super) async fn finish(
    ctx: &Context,
    ks: &Kustomization,
    result: Result<Option<String>, Failure>,
    revision: Option<&str>,
    inventory: Option<Vec<Entry>>,
) -> Result<(), SyncError> {
    finish_with(ctx, ks, result, revision, inventory, false).await
}

/// [`finish`]; `force` writes even when the status equals the object's snapshot (because a
/// progressing status was written since).
pub(super) async fn finish_with(
    ctx: &Context,
    ks: &Kustomization,
    result: Result<Option<String>, Failure>,
    revision: Option<&str>,
    inventory: Option<Vec<Entry>>,
    force: bool,
) -> Result<(), SyncError> {
    let old = ks.status.clone().unwrap_or_default();
    let mut status = old.clone();
    let mut conds: Vec<Condition> = status.conditions.take().unwrap_or_default();
    let generation = ks.meta().generation;
    let checks = ks.spec.wait() || ks.spec.health_checks.as_ref().is_some_and(|h| !h.is_empty());
    if let Some(inv) = inventory {
        status.inventory = Some(inventory_of(&inv));
    }
    if let Some(r) = revision {
        status.last_attempted_revision = Some(r.to_owned());
    }
    if let Some(at) = ks.annotations().get(REQUESTED_AT) {
        status.last_handled_reconcile_at = Some(at.clone());
    }
    status.observed_generation = generation;
    match &result {
        Ok(changes) => {
            let rev = revision.unwrap_or_default();
            let msg = format!("Applied revision: {rev}");
            c::set(&mut conds, c::READY, true, c::RECONCILIATION_SUCCEEDED, &msg, generation);
            if checks {
                c::set(&mut conds, c::HEALTHY, true, c::SUCCEEDED, "Health check passed", generation);
            } else {
                c::remove(&mut conds, c::HEALTHY);
            }
            c::remove(&mut conds, c::RECONCILING);
            c::remove(&mut conds, c::STALLED);
            status.last_applied_revision = revision.map(str::to_owned);
            ctx.events.forget(&key(ks));
            if let Some(changes) = changes {
                let message = format!("{changes}\n{msg}");
                let meta = [("revision", rev)];
                ctx.publish(ks, false, c::RECONCILIATION_SUCCEEDED, &message, &meta, KUSTOMIZE_CONTROLLER).await;
            }
        }
        Err(f) => {
            c::set(&mut conds, c::READY, false, f.reason, &f.message, generation);
            if f.reason == c::HEALTH_CHECK_FAILED {
                c::set(&mut conds, c::HEALTHY, false, f.reason, &f.message, generation);
            }
            if f.reason == "InvalidSpec" {
                c::set(&mut conds, c::STALLED, true, f.reason, &f.message, generation);
            }
            let retrying = format!("Detecting drift and retrying after failure: {}", f.reason);
            c::set(&mut conds, c::RECONCILING, true, c::PROGRESSING_WITH_RETRY, &retrying, generation);
            // A source without an artifact yet is a wait, not news: no Event for it.
            let waiting = f.message.starts_with("Source artifact not found");
            if !waiting && ctx.events.is_new(&key(ks), &f.message) {
                let meta: Vec<(&str, &str)> = revision.map(|r| ("revision", r)).into_iter().collect();
                ctx.publish(ks, true, f.reason, &f.message, &meta, KUSTOMIZE_CONTROLLER).await;
            }
        }
    }
    let same_conds = c::same(old.conditions.as_deref().unwrap_or_default(), &conds);
    status.conditions = Some(conds);
    let mut a = old.clone();
    a.conditions = None;
    let mut b = status.clone();
    b.conditions = None;
    if same_conds && a == b && !force {
        return Ok(());
    }
    patch_status(ctx, ks, &status).await
}

pub(super) async fn ensure_finalizer(ctx: &Context, ks: &Kustomization) -> Result<(), SyncError> {
    super::finalizers::ensure(ctx, ks, FINALIZER).await
}

/// Deletion: prune per `deletionPolicy` (MirrorPrune follows `prune`; Delete always; Orphan
/// never), then release the finalizer.
pub(super) async fn finalize(ks: &Kustomization, ctx: &Context) -> Result<Action, SyncError> {
    if !ks.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(Action::await_change());
    }
    let spec = &ks.spec;
    let prune = match spec.deletion_policy() {
        "Delete" | "WaitForTermination" => true,
        "Orphan" => false,
        _ => spec.prune(),
    };
    if prune && !spec.suspended() {
        let inv = inventory(&ks.status.clone().unwrap_or_default());
        let outcome = ctx.applier.prune(&inv, &owner(ks)).await;
        for (entry, e) in &outcome.failed {
            tracing::warn!(kustomization = %key(ks), object = %entry.meta, error = %e, "prune on deletion failed");
        }
    }
    if let Ok(mut m) = ctx.ks_memory.lock() {
        m.remove(&ks.uid().unwrap_or_default());
    }
    super::finalizers::release(ctx, ks, FINALIZER).await?;
    Ok(Action::await_change())
}
