//! ImageRepository reconciler (image-reflector-controller's): scan the registry's tags when
//! due ([`plan::should_scan`]), drop the excluded ones, store them in the tag database, and
//! report `lastScanResult`, `canonicalImageName` and `Ready` as Flux does.

use std::sync::Arc;
use std::time::Duration;

use glidepath_api::flux::image::ScanResult;
use glidepath_api::flux::{ImageRepository, ImageRepositoryStatus};
use glidepath_image::{Exclusions, TagSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};

use super::fold::{self, Verdict};
use super::plan::{self, ScanInputs};
use super::registry::{self, AUTHENTICATION_FAILED, IMAGE_URL_INVALID};
use super::{FINALIZER, IMAGE_REFLECTOR, REQUESTED_AT};
use crate::sync::{Context, SyncError, finalizers};

/// Flux's reason for a failed scan.
const READ_OPERATION_FAILED: &str = "ReadOperationFailed";
/// A failed scan is retried this soon (or at the interval, when shorter).
const RETRY: Duration = Duration::from_secs(30);

pub fn error_policy(_o: Arc<ImageRepository>, _e: &SyncError, _c: Arc<Context>) -> Action {
    Action::requeue(Duration::from_secs(10))
}

/// The outcome of one reconcile, before the status is written.
struct Outcome {
    ready: Result<String, (&'static str, String)>,
    stalled: bool,
    requeue: Option<Duration>,
}

/// One reconcile of an ImageRepository.
pub async fn reconcile(repo: Arc<ImageRepository>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    if repo.meta().deletion_timestamp.is_some() {
        finalizers::release(&ctx, &*repo, FINALIZER).await?;
        return Ok(Action::await_change());
    }
    finalizers::ensure(&ctx, &*repo, FINALIZER).await?;
    if repo.spec.suspended() {
        return Ok(Action::await_change());
    }
    let mut status = repo.status.clone().unwrap_or_default();
    let outcome = scan_if_due(&repo, &ctx, &mut status).await;
    finish(&ctx, &repo, status, outcome).await
}

async fn scan_if_due(repo: &ImageRepository, ctx: &Context, status: &mut ImageRepositoryStatus) -> Outcome {
    let stalled = |reason, msg: String| Outcome { ready: Err((reason, msg)), stalled: true, requeue: None };
    if let Some((field, what)) = repo.spec.unsupported() {
        return stalled("InvalidSpec", format!("{field}: {what}: not supported by Glidepath yet"));
    }
    let ns = repo.namespace().unwrap_or_default();
    let canonical = match registry::repository(repo) {
        Ok(r) => r.to_string(),
        Err(m) => return stalled(IMAGE_URL_INVALID, m),
    };
    let exclusion_list = repo.spec.exclusion_list();
    let exclusions = match Exclusions::new(Some(&exclusion_list)) {
        Ok(e) => e,
        Err(e) => return stalled(READ_OPERATION_FAILED, format!("scan failed: {e}")),
    };
    let interval = repo.spec.interval();
    let requested_at = repo.annotations().get(REQUESTED_AT).map(String::as_str);
    let stored = ctx.images.tags.get(&canonical);
    let inputs = ScanInputs {
        status,
        canonical: &canonical,
        exclusions: &exclusion_list,
        requested_at,
        stored_tags: stored.len(),
        interval,
        now: Timestamp::now().as_second(),
    };
    let (due, when) = plan::should_scan(&inputs);
    if let Some(reason) = due {
        tracing::debug!(image = %canonical, reason = reason.text(), "scanning");
        if let Err(m) = scan(ctx, repo, &ns, &canonical, &exclusions, status).await {
            let retry = RETRY.min(interval);
            return Outcome { ready: Err(m), stalled: false, requeue: Some(retry) };
        }
    }
    status.canonical_image_name = Some(canonical);
    status.observed_exclusion_list = Some(exclusion_list);
    let last = status.last_scan_result.clone().unwrap_or_default();
    let message = plan::repository_ready_message(last.tag_count, last.revision.as_deref().unwrap_or_default());
    Outcome { ready: Ok(message), stalled: false, requeue: Some(when) }
}

/// List the tags, keep what no exclusion matches, store them (sorted descending, as Flux
/// stores them, so the checksum is Flux's) and record the scan.
async fn scan(
    ctx: &Context,
    repo: &ImageRepository,
    ns: &str,
    canonical: &str,
    exclusions: &Exclusions,
    status: &mut ImageRepositoryStatus,
) -> Result<(), (&'static str, String)> {
    let access = registry::access(ctx, repo, ns).await.map_err(|m| (AUTHENTICATION_FAILED, m))?;
    let listed = tokio::time::timeout(repo.spec.timeout(), access.client.list_tags(&access.repository, None)).await;
    let scan_failed = |m: String| (READ_OPERATION_FAILED, format!("scan failed: {m}"));
    let mut tags = match listed {
        Ok(Ok(tags)) => tags,
        Ok(Err(e)) => return Err(scan_failed(crate::error_chain(&e))),
        Err(_) => return Err(scan_failed(format!("timed out after {:?}", repo.spec.timeout()))),
    };
    tags.sort_by(|a, b| b.cmp(a));
    let set = TagSet::new(tags, exclusions);
    let revision = set.revision();
    let latest: Vec<String> = set.latest_tags().into_iter().map(str::to_string).collect();
    let count = set.len();
    ctx.images
        .tags
        .set(canonical, set)
        .map_err(|e| scan_failed(format!("failed to set tags for \"{canonical}\": {e}")))?;
    status.last_scan_result = Some(ScanResult {
        revision: Some(revision),
        tag_count: i64::try_from(count).unwrap_or(i64::MAX),
        scan_time: Some(Time(Timestamp::now())),
        latest_tags: (!latest.is_empty()).then_some(latest),
    });
    Ok(())
}

async fn finish(
    ctx: &Context,
    repo: &ImageRepository,
    mut status: ImageRepositoryStatus,
    outcome: Outcome,
) -> Result<Action, SyncError> {
    let old = repo.status.clone().unwrap_or_default();
    let old_conds = old.conditions.clone().unwrap_or_default();
    let mut conds = status.conditions.take().unwrap_or_default();
    let verdict = match outcome.ready {
        Ok(msg) => Verdict::Ready(msg),
        Err((reason, message)) => Verdict::Failed { reason, message, stalled: outcome.stalled },
    };
    fold::report(ctx, repo, &mut conds, &old_conds, &verdict, IMAGE_REFLECTOR).await;
    status.observed_generation = repo.meta().generation;
    if let Some(at) = repo.annotations().get(REQUESTED_AT) {
        status.last_handled_reconcile_at = Some(at.clone());
    }
    crate::sync::status_write::write(ctx, repo, (&old, &old_conds), &status, conds).await?;
    Ok(outcome.requeue.map_or_else(Action::await_change, Action::requeue))
}
