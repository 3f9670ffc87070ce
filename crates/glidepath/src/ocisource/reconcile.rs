//! One OCIRepository reconcile: finalizer, suspend, interval; resolve the revision (HEAD);
//! pull and store only when [`plan::needs_pull`]; then `status.artifact`, Flux's conditions,
//! the NewArtifact event on a new artifact, and the status write.

use std::sync::Arc;
use std::time::{Duration, Instant};

use glidepath_api::flux::{OCIRepository, OCIRepositoryStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};

use super::plan::{self, Current};
use super::pull::{self, Place, URL_INVALID};
use super::{Failure, Memory};
use crate::imagectl::registry::{self, AUTHENTICATION_FAILED, RegistrySpec};
use crate::sync::artifacts::Stored;
use crate::sync::conditions as c;
use crate::sync::finalizers::{self, FLUX_FINALIZER};
use crate::sync::git::REQUESTED_AT;
use crate::sync::{Context, SOURCE_CONTROLLER, SyncError};

pub fn error_policy(_o: Arc<OCIRepository>, _e: &SyncError, _c: Arc<Context>) -> Action {
    Action::requeue(Duration::from_secs(10))
}

/// The artifact a successful reconcile reports.
struct Pulled {
    stored: Arc<Stored>,
    /// The manifest's annotations, when the artifact was pulled now (else the status keeps its own).
    metadata: Option<Option<std::collections::BTreeMap<String, String>>>,
}

/// One reconcile of an OCIRepository.
pub async fn reconcile(repo: Arc<OCIRepository>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    let (ns, name) = (repo.namespace().unwrap_or_default(), repo.name_any());
    if repo.meta().deletion_timestamp.is_some() {
        ctx.oci.store.remove(&ns, &name);
        finalizers::release(&ctx, &*repo, FLUX_FINALIZER).await?;
        return Ok(Action::await_change());
    }
    finalizers::ensure(&ctx, &*repo, FLUX_FINALIZER).await?;
    if repo.spec.suspended() {
        return Ok(Action::await_change());
    }
    let interval = repo.spec.interval();
    if let Some(wait) = not_due(&ctx, &repo, interval) {
        return Ok(Action::requeue(wait));
    }
    let timeout = repo.spec.timeout();
    let outcome = match tokio::time::timeout(timeout, pull_if_needed(&ctx, &repo, &ns, &name)).await {
        Ok(o) => o,
        Err(_) => Err(Failure {
            reason: pull::OCI_PULL_FAILED,
            message: format!("failed to pull artifact from '{}': timed out after {timeout:?}", repo.spec.url),
            stalling: false,
        }),
    };
    let requeue = plan::next_attempt(outcome.is_ok(), interval);
    if let Ok(mut memory) = ctx.oci.memory.lock()
        && let Some(m) = memory.get_mut(&repo.uid().unwrap_or_default())
    {
        m.wait = requeue;
    }
    finish(&ctx, &repo, outcome).await?;
    Ok(Action::requeue(requeue))
}

/// When the registry was asked less than an interval (or, after a failure, a retry period) ago
/// for this generation and request, the time left (our own status write wakes the controller: it
/// is not a reason to ask again).
fn not_due(ctx: &Context, repo: &OCIRepository, interval: Duration) -> Option<Duration> {
    let uid = repo.uid().unwrap_or_default();
    let generation = repo.meta().generation.unwrap_or(0);
    let requested_at = repo.annotations().get(REQUESTED_AT).cloned();
    let now = Instant::now();
    let mut memory = ctx.oci.memory.lock().ok()?;
    if let Some(m) = memory.get(&uid) {
        let elapsed = now.saturating_duration_since(m.at);
        let same_request = requested_at.is_none() || requested_at == m.requested_at;
        if m.generation == generation && same_request && elapsed < m.wait {
            return Some(m.wait - elapsed);
        }
    }
    memory.insert(uid, Memory { generation, requested_at, at: now, wait: interval });
    None
}

/// Resolve the revision, and pull and store the artifact unless the stored one is current.
async fn pull_if_needed(ctx: &Context, repo: &OCIRepository, ns: &str, name: &str) -> Result<Pulled, Failure> {
    let spec = &repo.spec;
    if let Some((field, what)) = spec.unsupported() {
        let message = format!("{field}: {what}: not supported by Glidepath yet");
        return Err(Failure { reason: "InvalidSpec", message, stalling: true });
    }
    let repository =
        plan::repository(&spec.url).map_err(|message| Failure { reason: URL_INVALID, message, stalling: true })?;
    let access = registry::connect(ctx, &RegistrySpec::of_oci(repo), ns, repository)
        .await
        .map_err(|message| Failure { reason: AUTHENTICATION_FAILED, message, stalling: false })?;
    let (client, repository) = (&access.client, &access.repository);
    let resolved = pull::resolve(client, repository, repo).await?;
    tracing::Span::current().record("revision", resolved.revision.as_str());
    let previous = ctx.oci.store.get(ns, name).filter(|s| s.dir.exists());
    let observed = repo.status.as_ref().and_then(|s| s.observed_layer_selector.as_ref());
    let stored_now =
        previous.as_ref().map(|s| Current { revision: &s.revision, ignore: s.ignore.as_deref(), selector: observed });
    let wanted = Current {
        revision: &resolved.revision,
        ignore: spec.ignore.as_deref(),
        selector: spec.layer_selector.as_ref(),
    };
    if let Some(previous) = previous.as_ref().filter(|_| !plan::needs_pull(stored_now, wanted)) {
        return Ok(Pulled { stored: Arc::clone(previous), metadata: None });
    }
    let manifest = pull::manifest(client, repository, repo, &resolved.digest).await?;
    let layer = plan::select_layer(&manifest, spec.layer_media_type()).map_err(|message| Failure {
        reason: pull::OCI_LAYER_OPERATION_FAILED,
        message,
        stalling: false,
    })?;
    let place = Place { root: ctx.oci.store.root().to_path_buf(), ns: ns.to_owned(), name: name.to_owned() };
    let op = spec.layer_operation();
    tracing::debug!(revision = %resolved.revision, layer = %layer.digest, op = plan::operation_name(op), "pulling");
    let stored =
        pull::store_layer(client, repository, layer, op, spec.ignore.clone(), &resolved.revision, place).await?;
    Ok(Pulled { stored: ctx.oci.store.put(ns, name, stored), metadata: Some(pull::metadata(&manifest)) })
}

async fn finish(ctx: &Context, repo: &OCIRepository, outcome: Result<Pulled, Failure>) -> Result<(), SyncError> {
    let generation = repo.meta().generation.unwrap_or(0);
    let old = repo.status.clone().unwrap_or_default();
    let old_conds = old.conditions.clone().unwrap_or_default();
    let mut status = old.clone();
    let mut conds = status.conditions.take().unwrap_or_default();
    let key = format!("OCIRepository/{}/{}", repo.namespace().unwrap_or_default(), repo.name_any());
    match outcome {
        Ok(pulled) => succeeded(ctx, repo, &mut status, &mut conds, pulled, generation, &key).await,
        Err(f) => {
            c::set(&mut conds, c::FETCH_FAILED, true, f.reason, &f.message, Some(generation));
            c::set(&mut conds, c::READY, false, f.reason, &f.message, Some(generation));
            if f.stalling {
                c::set(&mut conds, c::STALLED, true, f.reason, &f.message, Some(generation));
                c::remove(&mut conds, c::RECONCILING);
            } else {
                c::remove(&mut conds, c::STALLED);
                c::set(&mut conds, c::RECONCILING, true, c::PROGRESSING_WITH_RETRY, &f.message, Some(generation));
            }
            if ctx.events.is_new(&key, &f.message) {
                ctx.publish(repo, true, f.reason, &f.message, &[], SOURCE_CONTROLLER).await;
            }
        }
    }
    status.observed_generation = Some(generation);
    if let Some(at) = repo.annotations().get(REQUESTED_AT) {
        status.last_handled_reconcile_at = Some(at.clone());
    }
    crate::sync::status_write::write(ctx, repo, (&old, &old_conds), &status, conds).await
}

async fn succeeded(
    ctx: &Context,
    repo: &OCIRepository,
    status: &mut OCIRepositoryStatus,
    conds: &mut Vec<Condition>,
    pulled: Pulled,
    generation: i64,
    key: &str,
) {
    let stored = &pulled.stored;
    let msg = format!("stored artifact for digest '{}'", stored.revision);
    c::set(conds, c::READY, true, c::SUCCEEDED, &msg, Some(generation));
    c::set(conds, c::ARTIFACT_IN_STORAGE, true, c::SUCCEEDED, &msg, Some(generation));
    for gone in [c::FETCH_FAILED, c::RECONCILING, c::STALLED, "ArtifactOutdated"] {
        c::remove(conds, gone);
    }
    let same = status.artifact.as_ref().is_some_and(|a| a.digest == stored.digest && a.revision == stored.revision);
    if !same {
        let metadata = match pulled.metadata {
            Some(m) => m,
            None => status.artifact.as_ref().and_then(|a| a.metadata.clone()),
        };
        status.artifact = Some(stored.status_artifact(ctx.settings.artifact_host(), metadata, Timestamp::now()));
    }
    status.url = Some(format!("http://{}/{}", ctx.settings.artifact_host(), stored.path));
    status.observed_ignore = repo.spec.ignore.clone();
    status.observed_layer_selector = repo.spec.layer_selector.clone();
    ctx.events.forget(key);
    // After a restart the same (deterministic) artifact is rebuilt: not news.
    if !same {
        let event = format!("stored artifact with revision '{}' from '{}'", stored.revision, repo.spec.url);
        let meta = [("revision", stored.revision.as_str()), ("digest", stored.digest.as_str())];
        ctx.publish(repo, false, "NewArtifact", &event, &meta, SOURCE_CONTROLLER).await;
    }
}
