//! GitRepository reconciler: fetch (ls-refs short-circuit when unchanged), artifact, status.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glidepath_api::flux::GitRepository;
use glidepath_api::flux::GitRepositoryStatus;
use glidepath_api::flux::validate::GitReference;
use glidepath_source::{Credentials, FetchOutcome, FetchRequest, GitRef};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};
use serde_json::json;

use super::artifacts::{Stored, unpack};
use super::conditions::{self as c};
use super::{Context, SOURCE_CONTROLLER, STATUS_MANAGER, SyncError};

/// Flux's manual-trigger annotation.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";

/// What the controller remembers per GitRepository (by uid).
#[derive(Clone, Debug)]
pub struct Memory {
    generation: i64,
    requested_at: Option<String>,
    at: Instant,
}

pub(crate) fn git_ref(r: GitReference) -> GitRef {
    match r {
        GitReference::Commit { sha, branch } => GitRef::Commit { sha, branch },
        GitReference::Name(n) => GitRef::Name(n),
        GitReference::Semver(s) => GitRef::Semver(s),
        GitReference::Tag(t) => GitRef::Tag(t),
        GitReference::Branch(b) => GitRef::Branch(b),
    }
}

pub fn error_policy(_repo: Arc<GitRepository>, _err: &SyncError, _ctx: Arc<Context>) -> Action {
    Action::requeue(Duration::from_secs(10))
}

/// One reconcile of a GitRepository.
pub async fn reconcile(repo: Arc<GitRepository>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    let (ns, name) = (repo.namespace().unwrap_or_default(), repo.name_any());
    let uid = repo.uid().unwrap_or_default();
    if repo.meta().deletion_timestamp.is_some() {
        ctx.store.remove(&ns, &name);
        return Ok(Action::await_change());
    }
    if repo.spec.suspended() {
        return Ok(Action::await_change());
    }
    let generation = repo.meta().generation.unwrap_or(0);
    let requested_at = repo.annotations().get(REQUESTED_AT).cloned();
    let interval = repo.spec.interval().unwrap_or(Duration::from_secs(60));
    let now = Instant::now();
    let memory = ctx.git_memory.lock().ok().and_then(|m| m.get(&uid).cloned());
    if let Some(m) = &memory {
        let elapsed = now.saturating_duration_since(m.at);
        let same_request = requested_at.is_none() || requested_at == m.requested_at;
        if m.generation == generation && same_request && elapsed < interval {
            return Ok(Action::requeue(interval - elapsed));
        }
    }
    if let Ok(mut m) = ctx.git_memory.lock() {
        m.insert(uid.clone(), Memory { generation, requested_at: requested_at.clone(), at: now });
    }

    let mut status = repo.status.clone().unwrap_or_default();
    let mut conds = status.conditions.take().unwrap_or_default();
    let outcome = fetch_and_store(&repo, &ctx, &ns, &name).await;
    let key = format!("GitRepository/{ns}/{name}");
    match outcome {
        Ok((stored, new)) => {
            tracing::Span::current().record("revision", stored.revision.as_str());
            let msg = format!("stored artifact for revision '{}'", stored.revision);
            c::set(&mut conds, c::READY, true, c::SUCCEEDED, &msg, Some(generation));
            c::set(&mut conds, c::ARTIFACT_IN_STORAGE, true, c::SUCCEEDED, &msg, Some(generation));
            for gone in [c::FETCH_FAILED, c::RECONCILING, c::STALLED, "ArtifactOutdated"] {
                c::remove(&mut conds, gone);
            }
            let same_artifact =
                status.artifact.as_ref().is_some_and(|a| a.digest == stored.digest && a.revision == stored.revision);
            if !same_artifact {
                status.artifact = Some(stored.status_artifact(ctx.settings.artifact_host(), None, Timestamp::now()));
            }
            status.observed_ignore = repo.spec.ignore.clone();
            ctx.events.forget(&key);
            // After a restart the same (deterministic) artifact is rebuilt: not news.
            if new && !same_artifact {
                let rev = stored.revision.as_str();
                ctx.publish(&*repo, false, "NewArtifact", &msg, &[("revision", rev)], SOURCE_CONTROLLER).await;
            }
        }
        Err((reason, message, stalling)) => {
            c::set(&mut conds, c::FETCH_FAILED, true, reason, &message, Some(generation));
            c::set(&mut conds, c::READY, false, reason, &message, Some(generation));
            if stalling {
                c::set(&mut conds, c::STALLED, true, reason, &message, Some(generation));
            } else {
                c::remove(&mut conds, c::STALLED);
            }
            if ctx.events.is_new(&key, &message) {
                ctx.publish(&*repo, true, reason, &message, &[], SOURCE_CONTROLLER).await;
            }
        }
    }
    status.observed_generation = Some(generation);
    if requested_at.is_some() {
        status.last_handled_reconcile_at = requested_at;
    }
    write_status(&ctx, &repo, status, conds).await?;
    Ok(Action::requeue(interval))
}

async fn write_status(
    ctx: &Context,
    repo: &GitRepository,
    mut status: GitRepositoryStatus,
    conds: Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
) -> Result<(), SyncError> {
    let old = repo.status.clone().unwrap_or_default();
    let unchanged = c::same(old.conditions.as_deref().unwrap_or_default(), &conds) && {
        let mut a = old.clone();
        a.conditions = None;
        let mut b = status.clone();
        b.conditions = None;
        a == b
    };
    if unchanged {
        return Ok(());
    }
    status.conditions = Some(conds);
    let api: Api<GitRepository> = Api::namespaced(ctx.client.clone(), &repo.namespace().unwrap_or_default());
    let params = PatchParams { field_manager: Some(STATUS_MANAGER.into()), ..PatchParams::default() };
    api.patch_status(&repo.name_any(), &params, &Patch::Merge(json!({ "status": status })))
        .await
        .map_err(|source| SyncError::WriteStatus { object: format!("GitRepository/{}", repo.name_any()), source })?;
    Ok(())
}

/// The credentials of a GitRepository's `secretRef` (none without one). Errors are
/// `(reason, message, stalling)`.
pub(crate) async fn credentials(
    ctx: &Context,
    ns: &str,
    spec: &glidepath_api::flux::GitRepositorySpec,
) -> Result<Credentials, (&'static str, String, bool)> {
    let Some(secret) = spec.secret_ref.as_ref().filter(|s| !s.name.is_empty()) else {
        return Ok(Credentials::default());
    };
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let data: BTreeMap<String, Vec<u8>> = match secrets.get_opt(&secret.name).await {
        Ok(Some(s)) => s.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect(),
        Ok(None) => {
            let msg = format!("secret '{ns}/{}' not found", secret.name);
            return Err((glidepath_source::error::REASON_AUTHENTICATION_FAILED, msg, false));
        }
        Err(e) => {
            let msg = format!("failed to get secret '{ns}/{}': {e}", secret.name);
            return Err((glidepath_source::error::REASON_AUTHENTICATION_FAILED, msg, false));
        }
    };
    Credentials::from_secret_data(&data).map_err(|e| (e.reason(), e.to_string(), e.is_stalling()))
}

/// Fetch the reference and, when it moved (or nothing is stored yet), build, store and unpack the
/// artifact. Errors are `(reason, message, stalling)`.
async fn fetch_and_store(
    repo: &GitRepository,
    ctx: &Context,
    ns: &str,
    name: &str,
) -> Result<(Arc<Stored>, bool), (&'static str, String, bool)> {
    let spec = &repo.spec;
    let validation = spec.validate();
    if !validation.is_valid() {
        return Err(("InvalidSpec", validation.errors.to_string(), true));
    }
    let mut req = FetchRequest::new(spec.url.clone(), git_ref(spec.reference()));
    req.timeout = spec.timeout();
    req.credentials = credentials(ctx, ns, spec).await?;
    let previous = ctx.store.get(ns, name).filter(|s| s.ignore == spec.ignore && s.dir.is_dir());
    req.last_observed_revision = previous.as_ref().map(|s| s.revision.clone());
    let root = ctx.store.root().join("gitrepository").join(ns).join(name);
    let ignore = spec.ignore.clone();
    // The reconcile's span goes with the fetch, so its lines name the GitRepository.
    let span = tracing::Span::current();
    let work = tokio::task::spawn_blocking(move || -> Result<Option<Stored>, (&'static str, String, bool)> {
        let _in = span.enter();
        let tmp = tempfile::Builder::new()
            .prefix("glidepath-checkout-")
            .tempdir()
            .map_err(|e| (c::STORAGE_OPERATION_FAILED, format!("create checkout directory: {e}"), false))?;
        let checkout = tmp.path().join("checkout");
        let outcome =
            glidepath_source::fetch(&req, &checkout).map_err(|e| (e.reason(), e.to_string(), e.is_stalling()))?;
        let revision = match outcome {
            FetchOutcome::Unchanged { .. } => return Ok(None),
            FetchOutcome::Fetched { revision, .. } => revision,
        };
        let file = format!("{}.tar.gz", revision.commit);
        let tarball = root.join(&file);
        let info = glidepath_source::write_artifact_file(&checkout, ignore.as_deref(), &tarball)
            .map_err(|e| (c::STORAGE_OPERATION_FAILED, e.to_string(), false))?;
        // A fresh directory per artifact: readers of the previous tree are never disturbed.
        let dir = root.join(format!("{}-{}", revision.commit, &info.digest[7..19]));
        if !dir.is_dir() {
            let staging = root.join(format!(".{}.tmp", revision.commit));
            let _ = std::fs::remove_dir_all(&staging);
            unpack(&tarball, &staging)
                .and_then(|()| std::fs::rename(&staging, &dir))
                .map_err(|e| (c::STORAGE_OPERATION_FAILED, format!("unpack artifact: {e}"), false))?;
        }
        let path = tarball
            .strip_prefix(root.parent().and_then(|p| p.parent()).and_then(|p| p.parent()).unwrap_or(&root))
            .map(|p| p.display().to_string())
            .unwrap_or(file);
        Ok(Some(Stored { revision: revision.to_string(), digest: info.digest, size: info.size, path, dir, ignore }))
    })
    .await
    .map_err(|e| (c::STORAGE_OPERATION_FAILED, format!("fetch task failed: {e}"), false))??;
    match (work, previous) {
        (Some(stored), _) => Ok((ctx.store.put(ns, name, stored), true)),
        (None, Some(previous)) => Ok((previous, false)),
        (None, None) => Err((c::STORAGE_OPERATION_FAILED, "artifact missing from storage".into(), false)),
    }
}
