//! HelmRelease reconciler (`helm.toolkit.fluxcd.io/v2`): observe (chart, values, the stored
//! release history), decide with [`super::plan`], run the Helm action ([`super::actions`]),
//! remediate a failure per spec, write status and Events (on change only).

use std::sync::Arc;
use std::time::Duration;

use glidepath_api::flux::HelmRelease;
use glidepath_api::flux::helm_release::HelmReleaseStatus;
use glidepath_helm::storage::ReleaseRecord;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};

use super::actions::{Failed, Release, Target};
use super::objects::Marks;
use super::plan::{self, Current, Desired, Failures, Next, Policy, Remedy};
use super::release_options::{max_history, options, policy, retry_interval, rollback_options, uninstall_options};
use super::release_source::{self as source, ARTIFACT_FAILED, HELM_CONTROLLER, INIT_FAILED, Loaded};
use super::release_status::{self as st, chart_ref, release_ref};
use super::storage::Storage;
use super::values::config_digest;
use super::{FINALIZER, REQUESTED_AT};
use crate::sync::conditions as c;
use crate::sync::{Context, SyncError};

const FORCE_AT: &str = "reconcile.fluxcd.io/forceAt";
const RESET_AT: &str = "reconcile.fluxcd.io/resetAt";

pub fn error_policy(hr: Arc<HelmRelease>, err: &SyncError, _ctx: Arc<Context>) -> Action {
    tracing::warn!(helmrelease = %hr.name_any(), error = %err, "reconcile failed, retrying");
    Action::requeue(Duration::from_secs(5))
}

fn now_nano() -> String {
    Timestamp::now().to_string()
}

fn now_unix() -> i64 {
    Timestamp::now().as_second()
}

/// Everything one reconcile works with.
struct Run<'a> {
    hr: &'a HelmRelease,
    ctx: &'a Context,
    generation: i64,
    status: HelmReleaseStatus,
    conds: Vec<Condition>,
}

impl Run<'_> {
    async fn event(&self, warning: bool, reason: &str, message: &str) {
        let key = format!("HelmRelease/{}/{}", self.hr.namespace().unwrap_or_default(), self.hr.name_any());
        if !warning {
            self.ctx.events.forget(&key);
        }
        if !warning || self.ctx.events.is_new(&key, message) {
            let rev = self.status.last_attempted_revision.clone().unwrap_or_default();
            self.ctx.publish(self.hr, warning, reason, message, &[("revision", &rev)], HELM_CONTROLLER).await;
        }
    }

    async fn fail(mut self, reason: &str, message: &str, stalled: bool) -> Result<Action, SyncError> {
        st::ready(&mut self.conds, false, reason, message, self.generation, stalled);
        self.event(true, reason, message).await;
        let retry = self.hr.spec.interval().unwrap_or(Duration::from_secs(600));
        self.finish().await?;
        Ok(if stalled { Action::await_change() } else { Action::requeue(retry.min(Duration::from_secs(30))) })
    }

    async fn finish(mut self) -> Result<(), SyncError> {
        self.status.observed_generation = Some(self.generation);
        let ann = self.hr.annotations();
        for (key, slot) in [
            (REQUESTED_AT, &mut self.status.last_handled_reconcile_at),
            (FORCE_AT, &mut self.status.last_handled_force_at),
            (RESET_AT, &mut self.status.last_handled_reset_at),
        ] {
            if let Some(v) = ann.get(key) {
                *slot = Some(v.clone());
            }
        }
        st::write(self.ctx, self.hr, self.status, self.conds).await
    }
}

/// One reconcile of a HelmRelease.
pub async fn reconcile(hr: Arc<HelmRelease>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    if hr.meta().deletion_timestamp.is_some() {
        return finalize(&hr, &ctx).await;
    }
    if hr.spec.suspended() {
        return Ok(Action::await_change());
    }
    let mut status = hr.status.clone().unwrap_or_default();
    let conds = status.conditions.take().unwrap_or_default();
    let run = Run { hr: &hr, ctx: &ctx, generation: hr.meta().generation.unwrap_or(0), status, conds };
    let validation = hr.spec.validate();
    if !validation.is_valid() {
        return run.fail("InvalidSpec", &validation.errors.to_string(), true).await;
    }
    if let Err(msg) = super::depends::ready(&ctx, &hr).await {
        let mut run = run;
        st::ready(&mut run.conds, false, c::DEPENDENCY_NOT_READY, &msg, run.generation, false);
        run.finish().await?;
        return Ok(Action::requeue(ctx.settings.requeue_dependency));
    }
    ensure_finalizer(&ctx, &hr).await?;
    if let Err(msg) = source::ensure_chart(&ctx, &hr).await {
        return run.fail(ARTIFACT_FAILED, &msg, false).await;
    }
    let loaded = match source::load(&ctx, &hr).await {
        Ok(l) => l,
        Err(msg) => {
            let mut run = run;
            st::ready(&mut run.conds, false, ARTIFACT_FAILED, &msg, run.generation, false);
            run.finish().await?;
            // A HelmChart's new artifact wakes this HelmRelease; the requeue covers others'.
            return Ok(Action::requeue(Duration::from_secs(30)));
        }
    };
    let values = match source::values(&ctx, &hr).await {
        Ok(v) => v,
        Err(msg) => return run.fail(INIT_FAILED, &msg, false).await,
    };
    release(run, loaded, values).await
}

fn current(rec: &ReleaseRecord) -> Current {
    Current {
        version: rec.version,
        status: rec.info.status.as_str().to_owned(),
        chart_name: rec.chart.metadata.name.clone(),
        chart_version: rec.chart.metadata.version.clone(),
        config_digest: config_digest(&rec.config),
    }
}

/// The release part: history, decision, action, remediation, status.
async fn release(
    mut run: Run<'_>,
    loaded: Loaded,
    values: serde_json::Map<String, serde_json::Value>,
) -> Result<Action, SyncError> {
    let (hr, ctx) = (run.hr, run.ctx);
    let ns = hr.namespace().unwrap_or_default();
    let name = hr.spec.release_name(&hr.name_any());
    let target_ns = hr.spec.target_namespace(&ns).to_owned();
    let storage_ns = hr.spec.storage_namespace(&ns).to_owned();
    let storage = Storage::new(&ctx.client, &storage_ns);
    let desired = Desired {
        chart_name: loaded.chart.metadata.name.clone(),
        chart_version: loaded.chart.metadata.version.clone(),
        config_digest: config_digest(&values),
    };
    // A new target (spec, chart or values) or a reset request zeroes the failure counters.
    let s = &run.status;
    let last =
        (s.last_attempted_generation, s.last_attempted_revision.as_deref(), s.last_attempted_config_digest.as_deref());
    let reset = hr.annotations().get(RESET_AT).is_some_and(|r| s.last_handled_reset_at.as_deref() != Some(r));
    if reset || plan::target_changed(last, (run.generation, &desired.chart_version, &desired.config_digest)) {
        run.status.install_failures = None;
        run.status.upgrade_failures = None;
        run.status.failures = None;
    }
    let force = hr.annotations().get(FORCE_AT).is_some_and(|f| run.status.last_handled_force_at.as_deref() != Some(f));
    // commonMetadata reaches every object: a change is an upgrade, as helm-controller does it.
    let meta_digest = digest_of(&hr.spec.common_metadata);
    let observed_meta = run.status.observed_common_metadata_digest.clone().unwrap_or_else(|| digest_of(&None::<()>));
    let refresh = force || observed_meta != meta_digest;
    run.status.observed_common_metadata_digest = Some(meta_digest);
    run.status.helm_chart = loaded.helm_chart.clone();
    run.status.storage_namespace = Some(storage_ns.clone());
    let capabilities = match ctx.helm.capabilities(&ctx.client).await {
        Ok(c) => c,
        Err(msg) => return run.fail(INIT_FAILED, &msg, false).await,
    };
    let common = hr.spec.common_metadata.clone().unwrap_or_default();
    let marks = Marks {
        release: name.clone(),
        namespace: target_ns.clone(),
        owner_name: hr.name_any(),
        owner_namespace: ns.clone(),
        common_labels: common.labels.unwrap_or_default(),
        common_annotations: common.annotations.unwrap_or_default(),
    };
    let compiled = hr.spec.health_check_exprs.iter().flatten().enumerate().map(|(i, h)| {
        glidepath_apply::HealthExpr::new(
            &h.api_version,
            h.kind.as_deref(),
            &h.current,
            h.in_progress.as_deref(),
            h.failed.as_deref(),
        )
        .map_err(|e| format!("spec.healthCheckExprs[{i}]: {e}"))
    });
    let health: Vec<glidepath_apply::HealthExpr> = match compiled.collect() {
        Ok(h) => h,
        Err(msg) => return run.fail("InvalidSpec", &msg, true).await,
    };
    let rel = Release { ctx, storage, marks, capabilities, health: &health, now: &now_nano, unix: &now_unix };
    let target = Target { chart: Arc::clone(&loaded.chart), digest: loaded.digest.clone(), config: values };
    let policy = policy(hr);
    for _ in 0..4 {
        let history = match rel.storage.history(&name).await {
            Ok(h) => h,
            Err(msg) => return run.fail(st::GET_LAST_RELEASE_FAILED, &msg, false).await,
        };
        let failures = Failures {
            install: run.status.install_failures.unwrap_or(0),
            upgrade: run.status.upgrade_failures.unwrap_or(0),
        };
        let cur = history.last().map(current);
        let next = plan::next(&desired, cur.as_ref(), failures, &policy, refresh);
        tracing::debug!(release = %name, ?next, "planned");
        match next {
            Next::Unlock { .. } => {
                let Some(rec) = history.last() else { break };
                if let Err(msg) = rel.unlock(rec).await {
                    return run.fail(st::GET_LAST_RELEASE_FAILED, &msg, false).await;
                }
                continue;
            }
            Next::InSync => return in_sync(run, &history, max_history(hr)).await,
            Next::Exhausted { action, attempts } => {
                let msg = format!("Failed to {action} after {attempts} attempt(s)");
                run.status.history = Some(st::snapshots(&history, max_history(hr)));
                return run.fail(st::RETRIES_EXCEEDED, &msg, true).await;
            }
            Next::Install | Next::Upgrade => {
                let install = next == Next::Install;
                return act(run, &rel, &target, &history, install, &policy, &desired).await;
            }
        }
    }
    run.fail(c::RECONCILIATION_FAILED, "release stayed locked after unlocking it", false).await
}

fn digest_of<T: serde::Serialize>(v: &Option<T>) -> String {
    use sha2::Digest;
    format!("sha256:{:x}", sha2::Sha256::digest(serde_json::to_vec(v).unwrap_or_default()))
}

/// The deployed release is what the spec asks for.
async fn in_sync(mut run: Run<'_>, history: &[ReleaseRecord], max: usize) -> Result<Action, SyncError> {
    let rec = history.last().cloned().unwrap_or_default();
    let (reason, verb) =
        if rec.version <= 1 { (st::INSTALL_SUCCEEDED, "install") } else { (st::UPGRADE_SUCCEEDED, "upgrade") };
    let msg = format!("Helm {verb} succeeded for release {} with chart {}", release_ref(&rec), chart_ref(&rec));
    if c::get(&run.conds, st::RELEASED).is_none_or(|r| r.status != "True") {
        c::set(&mut run.conds, st::RELEASED, true, reason, &msg, Some(run.generation));
    }
    let released = c::get(&run.conds, st::RELEASED).map(|r| (r.reason.clone(), r.message.clone()));
    let (reason, msg) = released.unwrap_or((reason.to_owned(), msg));
    st::ready(&mut run.conds, true, &reason, &msg, run.generation, false);
    run.status.history = Some(st::snapshots(history, max));
    run.status.last_release_revision = Some(rec.version);
    let interval = run.hr.spec.interval().unwrap_or(Duration::from_secs(600));
    run.finish().await?;
    Ok(Action::requeue(interval))
}

/// Install or upgrade; on failure remediate per spec.
async fn act(
    mut run: Run<'_>,
    rel: &Release<'_>,
    target: &Target,
    history: &[ReleaseRecord],
    install: bool,
    policy: &Policy,
    desired: &Desired,
) -> Result<Action, SyncError> {
    let hr = run.hr;
    let opts = options(hr, install);
    run.status.last_attempted_release_action = Some(if install { "install" } else { "upgrade" }.into());
    run.status.last_attempted_generation = Some(run.generation);
    run.status.last_attempted_revision = Some(desired.chart_version.clone());
    run.status.last_attempted_config_digest = Some(desired.config_digest.clone());
    run.status.last_attempted_revision_digest = Some(target.digest.clone());
    let chart = format!("{}@{}", desired.chart_name, desired.chart_version);
    let release_ns = format!("{}/{}", rel.marks.namespace, rel.marks.release);
    let outcome = match (install, history.last()) {
        (false, Some(cur)) => rel.upgrade(target, history, cur, &opts).await,
        _ => rel.install(target, history, &opts).await,
    };
    let (ok_reason, fail_reason, verb) = if install {
        (st::INSTALL_SUCCEEDED, st::INSTALL_FAILED, "install")
    } else {
        (st::UPGRADE_SUCCEEDED, st::UPGRADE_FAILED, "upgrade")
    };
    let outcome = match outcome {
        Ok(rec) => test(&mut run, rel, rec, install).await,
        Err(Failed { message, .. }) => {
            let msg = format!("Helm {verb} failed for release {release_ns} with chart {chart}: {message}");
            c::set(&mut run.conds, st::RELEASED, false, fail_reason, &msg, Some(run.generation));
            Err((fail_reason, msg))
        }
    };
    let interval = hr.spec.interval().unwrap_or(Duration::from_secs(600));
    match outcome {
        Ok(rec) => {
            let msg = format!("Helm {verb} succeeded for release {} with chart {}", release_ref(&rec), chart_ref(&rec));
            c::set(&mut run.conds, st::RELEASED, true, ok_reason, &msg, Some(run.generation));
            c::remove(&mut run.conds, st::REMEDIATED);
            st::ready(&mut run.conds, true, ok_reason, &msg, run.generation, false);
            run.status.install_failures = None;
            run.status.upgrade_failures = None;
            run.status.failures = None;
            run.status.last_release_revision = Some(rec.version);
            refresh_history(&mut run, rel).await;
            run.event(false, ok_reason, &msg).await;
            run.finish().await?;
            Ok(Action::requeue(interval))
        }
        Err((reason, msg)) => {
            let count = |n: Option<i64>| Some(n.unwrap_or(0) + 1);
            run.status.failures = count(run.status.failures);
            let failures = if install {
                run.status.install_failures = count(run.status.install_failures);
                run.status.install_failures.unwrap_or(1)
            } else {
                run.status.upgrade_failures = count(run.status.upgrade_failures);
                run.status.upgrade_failures.unwrap_or(1)
            };
            run.event(true, reason, &msg).await;
            remediate(&mut run, rel, install, failures, policy).await;
            refresh_history(&mut run, rel).await;
            let remediation = if install { policy.install } else { policy.upgrade };
            let stalled = remediation.exhausted(failures) && !remediation.retry_on_failure;
            st::ready(&mut run.conds, false, reason, &msg, run.generation, stalled);
            run.finish().await?;
            Ok(if stalled { Action::await_change() } else { Action::requeue(retry_interval(hr, install, interval)) })
        }
    }
}

/// `spec.test`: the test hooks after a successful action (filters: the names to run, or to
/// skip). A failure fails the action unless the spec ignores test failures.
async fn test(
    run: &mut Run<'_>,
    rel: &Release<'_>,
    rec: ReleaseRecord,
    install: bool,
) -> Result<ReleaseRecord, (&'static str, String)> {
    let spec = &run.hr.spec;
    if !spec.test_enabled() {
        c::remove(&mut run.conds, st::TEST_SUCCESS);
        return Ok(rec);
    }
    let filters: Vec<(String, bool)> = spec
        .test
        .iter()
        .flat_map(|t| t.filters.iter().flatten())
        .map(|f| (f.name.clone(), f.exclude == Some(true)))
        .collect();
    let select = move |h: &glidepath_helm::storage::HookRecord| plan::test_selected(&filters, &h.name);
    let (r, c) = (release_ref(&rec), chart_ref(&rec));
    match rel.test(&rec, spec.test_timeout(), &select).await {
        Ok(n) => {
            let msg =
                format!("Helm test succeeded for release {r} with chart {c}: {n} test hooks completed successfully");
            c::set(&mut run.conds, st::TEST_SUCCESS, true, st::TEST_SUCCEEDED, &msg, Some(run.generation));
            run.event(false, st::TEST_SUCCEEDED, &msg).await;
            Ok(rec)
        }
        Err(e) => {
            let msg = format!("Helm test failed for release {r} with chart {c}: {e}");
            c::set(&mut run.conds, st::TEST_SUCCESS, false, st::TEST_FAILED, &msg, Some(run.generation));
            let ignore =
                if install { spec.install_ignore_test_failures() } else { spec.upgrade_ignore_test_failures() };
            if ignore { Ok(rec) } else { Err((st::TEST_FAILED, msg)) }
        }
    }
}

/// Remediation after a failed action (rollback or uninstall), recorded as `Remediated`.
async fn remediate(run: &mut Run<'_>, rel: &Release<'_>, install: bool, failures: i64, policy: &Policy) {
    let Ok(history) = rel.storage.history(&rel.marks.release).await else { return };
    let failed_version = history.last().map(|r| r.version);
    let last_deployed = history
        .iter()
        .rev()
        .find(|r| Some(r.version) != failed_version && r.info.status.as_str() != "failed")
        .map(|r| r.version);
    let spec = &run.hr.spec;
    let (reason, msg) = match plan::remedy(install, failures, policy, last_deployed) {
        Remedy::None => return,
        Remedy::RollbackTo(v) => {
            let Some(to) = history.iter().find(|r| r.version == v).cloned() else { return };
            let opts = rollback_options(run.hr);
            match rel.rollback(&history, &to, &opts).await {
                Ok(rec) => (
                    st::ROLLBACK_SUCCEEDED,
                    format!(
                        "Helm rollback to previous release {} with chart {} succeeded",
                        release_ref(&to),
                        chart_ref(&rec)
                    ),
                ),
                Err(f) => (
                    st::ROLLBACK_FAILED,
                    format!("Helm rollback to previous release {} failed: {}", release_ref(&to), f.message),
                ),
            }
        }
        Remedy::Uninstall => {
            let u = spec.uninstall.clone().unwrap_or_default();
            let opts = uninstall_options(run.hr);
            let latest = history.last().map(release_ref).unwrap_or_default();
            match rel.uninstall(&history, u.keep_history == Some(true), &opts).await {
                Ok(()) => (st::UNINSTALL_SUCCEEDED, format!("Helm uninstall succeeded for release {latest}")),
                Err(e) => (st::UNINSTALL_FAILED, format!("Helm uninstall failed for release {latest}: {e}")),
            }
        }
    };
    let ok = reason == st::ROLLBACK_SUCCEEDED || reason == st::UNINSTALL_SUCCEEDED;
    c::set(&mut run.conds, st::REMEDIATED, ok, reason, &msg, Some(run.generation));
    run.event(!ok, reason, &msg).await;
}

async fn refresh_history(run: &mut Run<'_>, rel: &Release<'_>) {
    if let Ok(h) = rel.storage.history(&rel.marks.release).await {
        run.status.history = Some(st::snapshots(&h, max_history(run.hr)));
    }
}

async fn ensure_finalizer(ctx: &Context, hr: &HelmRelease) -> Result<(), SyncError> {
    crate::sync::finalizers::ensure(ctx, hr, FINALIZER).await
}

/// Deletion: uninstall the release (not when suspended, as helm-controller), remove the
/// templated HelmChart, release the finalizer.
async fn finalize(hr: &HelmRelease, ctx: &Context) -> Result<Action, SyncError> {
    if !hr.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(Action::await_change());
    }
    if !hr.spec.suspended() {
        let ns = hr.namespace().unwrap_or_default();
        let name = hr.spec.release_name(&hr.name_any());
        let storage = Storage::new(&ctx.client, hr.spec.storage_namespace(&ns));
        let history = storage.history(&name).await.unwrap_or_default();
        let u = hr.spec.uninstall.clone().unwrap_or_default();
        let marks =
            Marks { release: name.clone(), namespace: hr.spec.target_namespace(&ns).to_owned(), ..Marks::default() };
        let rel = Release {
            ctx,
            storage,
            marks,
            capabilities: Default::default(),
            health: &[],
            now: &now_nano,
            unix: &now_unix,
        };
        let opts = uninstall_options(hr);
        if let Err(e) = rel.uninstall(&history, u.keep_history == Some(true), &opts).await {
            tracing::warn!(helmrelease = %hr.name_any(), error = %e, "uninstall failed; retrying");
            return Ok(Action::requeue(Duration::from_secs(5)));
        }
    }
    source::delete_chart(ctx, hr).await;
    crate::sync::finalizers::release(ctx, hr, FINALIZER).await?;
    Ok(Action::await_change())
}
