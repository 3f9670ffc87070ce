//! HelmRepository reconciler (`type: default`): fetch `<url>/index.yaml`, store it as the
//! artifact (`helmrepository/<ns>/<name>/index-<hex>.yaml`, revision and digest `sha256:<hex>`,
//! as source-controller does), keep the parsed index once per revision for the HelmCharts.

use std::sync::Arc;
use std::time::Duration;

use glidepath_api::flux::meta::Artifact;
use glidepath_api::flux::{HelmRepository, HelmRepositoryStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};
use sha2::Digest;

use super::http::{access, secret_data};
use super::{HelmIndex, REQUESTED_AT};
use crate::sync::artifacts::Stored;
use crate::sync::conditions as c;
use crate::sync::{Context, SOURCE_CONTROLLER, SyncError};

/// source-controller's reason for an index that does not load.
const INDEXATION_FAILED: &str = "IndexationFailed";

pub fn error_policy(_o: Arc<HelmRepository>, _e: &SyncError, _c: Arc<Context>) -> Action {
    Action::requeue(Duration::from_secs(10))
}

/// One reconcile of a HelmRepository.
pub async fn reconcile(repo: Arc<HelmRepository>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    let (ns, name) = (repo.namespace().unwrap_or_default(), repo.name_any());
    if repo.meta().deletion_timestamp.is_some() {
        ctx.helm.repositories.remove(&ns, &name);
        return Ok(Action::await_change());
    }
    if repo.spec.suspend == Some(true) {
        return Ok(Action::await_change());
    }
    let generation = repo.meta().generation.unwrap_or(0);
    let interval = repo.spec.interval().unwrap_or(Duration::from_secs(600));
    let requested_at = repo.annotations().get(REQUESTED_AT).cloned();
    let mut status = repo.status.clone().unwrap_or_default();
    let mut conds = status.conditions.take().unwrap_or_default();
    let key = format!("HelmRepository/{ns}/{name}");
    if repo.spec.r#type.as_deref() == Some("oci") {
        // OCI repositories have no index: source-controller only checks the URL.
        let msg = "type 'oci' is not supported by Glidepath yet: use an OCIRepository (deprecated upstream too)";
        c::set(&mut conds, c::READY, false, "InvalidSpec", msg, Some(generation));
        c::set(&mut conds, c::STALLED, true, "InvalidSpec", msg, Some(generation));
        status.observed_generation = Some(generation);
        write_status(&ctx, &repo, status, conds).await?;
        return Ok(Action::await_change());
    }
    match fetch_and_store(&repo, &ctx, &ns, &name).await {
        Ok((stored, fresh)) => {
            let msg = format!("stored artifact: revision '{}'", stored.revision);
            c::set(&mut conds, c::READY, true, c::SUCCEEDED, &msg, Some(generation));
            c::set(&mut conds, c::ARTIFACT_IN_STORAGE, true, c::SUCCEEDED, &msg, Some(generation));
            for gone in [c::FETCH_FAILED, c::RECONCILING, c::STALLED] {
                c::remove(&mut conds, gone);
            }
            let same = status.artifact.as_ref().is_some_and(|a| a.digest == stored.digest);
            if !same {
                status.artifact = Some(artifact(&ctx, &stored));
            }
            status.url = Some(format!("http://{}/{}", ctx.settings.artifact_host(), stored.path));
            ctx.events.forget(&key);
            if fresh && !same {
                let size = stored.size.to_string();
                let message = format!("stored fetched index of size {size} from '{}'", repo.spec.url);
                let meta = [("revision", stored.revision.as_str())];
                ctx.publish(&*repo, false, "NewArtifact", &message, &meta, SOURCE_CONTROLLER).await;
            }
        }
        Err((reason, message)) => {
            c::set(&mut conds, c::FETCH_FAILED, true, reason, &message, Some(generation));
            c::set(&mut conds, c::READY, false, reason, &message, Some(generation));
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

pub(super) fn artifact(ctx: &Context, stored: &Stored) -> Artifact {
    stored.status_artifact(ctx.settings.artifact_host(), None, Timestamp::now())
}

/// Fetch and parse the index; store it when new. Errors are `(reason, message)`.
async fn fetch_and_store(
    repo: &HelmRepository,
    ctx: &Context,
    ns: &str,
    name: &str,
) -> Result<(Arc<Stored>, bool), (&'static str, String)> {
    let spec = &repo.spec;
    let auth_failed = |m: String| (glidepath_source::error::REASON_AUTHENTICATION_FAILED, m);
    let auth = match spec.secret_ref.as_ref().filter(|s| !s.name.is_empty()) {
        Some(s) => Some(secret_data(&ctx.client, ns, &s.name).await.map_err(auth_failed)?),
        None => None,
    };
    let tls = match spec.cert_secret_ref.as_ref().filter(|s| !s.name.is_empty()) {
        Some(s) => Some(secret_data(&ctx.client, ns, &s.name).await.map_err(auth_failed)?),
        None => None,
    };
    let http = access(&spec.url, auth.as_ref(), tls.as_ref(), spec.insecure == Some(true), spec.timeout(), false)
        .map_err(auth_failed)?;
    let url = format!("{}/index.yaml", spec.url.trim_end_matches('/'));
    let body = http.get(&url).await.map_err(|m| (c::FETCH_FAILED, m))?;
    let hex = format!("{:x}", sha2::Sha256::digest(&body));
    let revision = format!("sha256:{hex}");
    if let Some(prev) = ctx.helm.repositories.get(ns, name).filter(|s| s.revision == revision && s.dir.is_file()) {
        return Ok((prev, false));
    }
    // Parsed once per revision (off the runtime: large indexes take a while).
    let parsed = tokio::task::spawn_blocking(move || glidepath_helm::repo::parse_index(&body).map(|i| (i, body)))
        .await
        .map_err(|e| (c::STORAGE_OPERATION_FAILED, format!("index task failed: {e}")))?
        .map_err(|e| (INDEXATION_FAILED, format!("failed to load index from '{url}': {}", crate::error_chain(&e))))?;
    let (index, body) = parsed;
    let rel = format!("helmrepository/{ns}/{name}/index-{hex}.yaml");
    let file = ctx.helm.repositories.root().join(&rel);
    let write = || -> std::io::Result<()> {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&file, &body)
    };
    write().map_err(|e| (c::STORAGE_OPERATION_FAILED, format!("store index: {e}")))?;
    ctx.helm.indexes.insert(ns, name, HelmIndex { revision: revision.clone(), index: Arc::new(index) });
    let stored = Stored {
        revision: revision.clone(),
        digest: revision,
        size: body.len() as u64,
        path: rel,
        dir: file,
        ignore: None,
    };
    Ok((ctx.helm.repositories.put(ns, name, stored), true))
}

async fn write_status(
    ctx: &Context,
    repo: &HelmRepository,
    status: HelmRepositoryStatus,
    conds: Vec<Condition>,
) -> Result<(), SyncError> {
    let old = repo.status.clone().unwrap_or_default();
    let old_conds = old.conditions.clone().unwrap_or_default();
    crate::sync::status_write::write(ctx, repo, (&old, &old_conds), &status, conds).await
}
