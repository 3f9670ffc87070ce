//! Kustomization reconciler: observe, plan (pure), then build → apply → prune → health; status,
//! Events and the finalizer are in `ks_status`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glidepath_api::flux::Kustomization;
use glidepath_api::flux::kustomization::{KustomizationSpec, KustomizationStatus};
use glidepath_apply::{ApplyOptions, Entry, HealthExpr, ObjMeta, Owner};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::{Client, Resource, ResourceExt};
use serde_json::Value;

use super::artifacts::Stored;
use super::conditions::{self as c};
use super::git::REQUESTED_AT;
use super::ks_status::{ensure_finalizer, finalize, finish, finish_with, health_checking, progressing};
use super::manifests::{self, BuildInput};
use super::plan::{Observed, Plan, plan_kustomization};
use super::source_ref::{self, Source, source_key};
use super::{Context, SyncError};

/// Flux's finalizer: prune (per `deletionPolicy`) before the Kustomization goes.
pub use super::finalizers::FLUX_FINALIZER as FINALIZER;

/// What the controller remembers per Kustomization (by uid).
pub type Memory = super::plan::Memory;

/// A failed step: Flux reason and message.
pub(super) struct Failure {
    pub reason: &'static str,
    pub message: String,
}

fn fail(reason: &'static str, message: impl Into<String>) -> Failure {
    Failure { reason, message: message.into() }
}

pub fn error_policy(ks: Arc<Kustomization>, err: &SyncError, _ctx: Arc<Context>) -> Action {
    tracing::warn!(kustomization = %key(&ks), error = %err, "reconcile failed, retrying");
    Action::requeue(Duration::from_secs(5))
}

pub(super) fn key(ks: &Kustomization) -> String {
    format!("Kustomization/{}/{}", ks.namespace().unwrap_or_default(), ks.name_any())
}

pub(crate) fn owner(ks: &Kustomization) -> Owner {
    Owner { name: ks.name_any(), namespace: ks.namespace().unwrap_or_default() }
}

pub(super) fn inventory(status: &KustomizationStatus) -> Vec<Entry> {
    status.inventory.as_ref().map(|i| i.entries.iter().filter_map(Entry::from_ref).collect()).unwrap_or_default()
}

/// One reconcile of a Kustomization.
pub async fn reconcile(ks: Arc<Kustomization>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    let ns = ks.namespace().unwrap_or_default();
    let uid = ks.uid().unwrap_or_default();
    if ks.meta().deletion_timestamp.is_some() {
        return finalize(&ks, &ctx).await;
    }
    let spec = &ks.spec;
    let generation = ks.meta().generation.unwrap_or(0);
    let validation = spec.validate();
    if !validation.is_valid() {
        let msg = validation.errors.to_string();
        finish(&ctx, &ks, Err(fail("InvalidSpec", msg)), None, None).await?;
        return Ok(Action::await_change());
    }
    let exprs = match Expressions::compile(spec) {
        Ok(e) => e,
        Err(msg) => {
            finish(&ctx, &ks, Err(fail("InvalidSpec", msg)), None, None).await?;
            return Ok(Action::await_change());
        }
    };
    let interval = spec.interval().unwrap_or(Duration::from_secs(600));
    let retry = spec.retry_interval().unwrap_or(interval);
    let requested_at = ks.annotations().get(REQUESTED_AT).cloned();

    // The source.
    let (src_kind, src_ns, src_name) = source_key(&ks);
    if ctx.settings.no_cross_namespace_refs && src_ns != ns {
        let msg = format!("cannot access {src_kind}/{src_ns}/{src_name}, cross-namespace references are disabled");
        finish(&ctx, &ks, Err(fail(c::ARTIFACT_FAILED, msg)), None, None).await?;
        return Ok(Action::await_change());
    }
    let stored = match source_ref::artifact(&ctx, &ks).await {
        Ok(Source::Ready(s)) => {
            tracing::Span::current().record("revision", s.revision.as_str());
            Some(s)
        }
        Ok(Source::Missing) => None,
        Ok(Source::Pending) => return Ok(Action::requeue(retry)),
        Err(f) => {
            finish(&ctx, &ks, Err(f), None, None).await?;
            return Ok(Action::requeue(retry));
        }
    };
    let memory = ctx.ks_memory.lock().ok().and_then(|m| m.get(&uid).cloned());

    // Build only when the revision or spec moved since the last full reconcile: the digest of the
    // built objects decides whether a new revision concerns this Kustomization at all.
    let mut built: Option<Vec<Value>> = None;
    let digest = match (&stored, &memory) {
        (Some(s), Some(m)) if m.revision == s.revision && m.generation == generation => m.path_digest.clone(),
        (Some(s), _) if !spec.suspended() => match build(&ctx, &ks, s).await {
            Ok(objs) => {
                let d = manifests::digest(&objs);
                built = Some(objs);
                d
            }
            Err(f) => {
                remember(&ctx, &uid, generation, &requested_at, &s.revision, "", false);
                finish(&ctx, &ks, Err(f), Some(&s.revision), None).await?;
                return Ok(Action::requeue(retry));
            }
        },
        _ => String::new(),
    };
    let observed = Observed {
        generation,
        suspended: spec.suspended(),
        requested_at: requested_at.as_deref(),
        source: stored.as_ref().map(|s| (s.revision.as_str(), digest.as_str())),
        interval,
        retry_interval: retry,
    };
    let plan = plan_kustomization(&observed, memory.as_ref(), Instant::now());
    tracing::debug!(kustomization = %key(&ks), ?plan, "planned");
    let stored = match (plan, stored) {
        (Plan::Suspended, _) => return Ok(Action::await_change()),
        (Plan::Wait(d), _) => return Ok(Action::requeue(d)),
        (Plan::SourceNotReady, _) | (_, None) => {
            let msg = format!("Source artifact not found for {src_kind}/{src_ns}/{src_name}, retrying in {retry:?}");
            finish(&ctx, &ks, Err(fail(c::ARTIFACT_FAILED, msg)), None, None).await?;
            return Ok(Action::requeue(retry));
        }
        (Plan::RecordRevision, Some(s)) => {
            remember(&ctx, &uid, generation, &requested_at, &s.revision, &digest, true);
            let status = ks.status.clone().unwrap_or_default();
            finish(&ctx, &ks, Ok(None), Some(&s.revision), Some(inventory(&status))).await?;
            return Ok(Action::requeue(interval));
        }
        (Plan::Reconcile(trigger), Some(s)) => {
            tracing::debug!(kustomization = %key(&ks), ?trigger, "reconciling");
            s
        }
    };
    if let Err(msg) = dependencies_ready(&ctx, &ks, &exprs.ready).await {
        finish(&ctx, &ks, Err(fail(c::DEPENDENCY_NOT_READY, msg)), None, None).await?;
        return Ok(Action::requeue(ctx.settings.requeue_dependency));
    }
    ensure_finalizer(&ctx, &ks).await?;
    let objects = match built {
        Some(o) => o,
        None => match build(&ctx, &ks, &stored).await {
            Ok(o) => o,
            Err(f) => {
                remember(&ctx, &uid, generation, &requested_at, &stored.revision, &digest, false);
                finish(&ctx, &ks, Err(f), Some(&stored.revision), None).await?;
                return Ok(Action::requeue(retry));
            }
        },
    };
    let digest = manifests::digest(&objects);
    let status = ks.status.clone().unwrap_or_default();
    let new_revision = status.last_applied_revision.as_deref() != Some(&stored.revision)
        || status.observed_generation != Some(generation);
    let written = if new_revision { Some(progressing(&ctx, &ks, &stored.revision).await?) } else { None };
    let base = written.unwrap_or_else(|| status.clone());
    let timeout = spec.timeout().unwrap_or(interval);
    let (result, wrote) = match apply_and_prune(&ctx, &ks, objects, &inventory(&status), timeout).await {
        Ok(applied) => check_health(&ctx, &ks, base, &stored.revision, applied, timeout, &exprs.health).await,
        Err(e) => (Err(e), false),
    };
    let ok = result.is_ok();
    remember(&ctx, &uid, generation, &requested_at, &stored.revision, &digest, ok);
    let force = new_revision || wrote;
    match result {
        Ok((inv, changes)) => {
            finish_with(&ctx, &ks, Ok(changes), Some(&stored.revision), Some(inv), force).await?;
            Ok(Action::requeue(interval))
        }
        Err((f, inv)) => {
            finish_with(&ctx, &ks, Err(f), Some(&stored.revision), inv, force).await?;
            Ok(Action::requeue(retry))
        }
    }
}

fn remember(ctx: &Context, uid: &str, generation: i64, requested: &Option<String>, rev: &str, digest: &str, ok: bool) {
    if let Ok(mut m) = ctx.ks_memory.lock() {
        m.insert(
            uid.to_owned(),
            Memory {
                generation,
                requested_at: requested.clone(),
                revision: rev.to_owned(),
                path_digest: digest.to_owned(),
                ran_at: Instant::now(),
                succeeded: ok,
            },
        );
    }
}

/// `postBuild` substitution variables as the controller reads them; `glidepath diff` builds
/// with the same ones.
pub(crate) async fn substitution_variables(
    client: &Client,
    ks: &Kustomization,
) -> Result<Option<BTreeMap<String, String>>, String> {
    variables(client, ks).await.map_err(|f| f.message)
}

/// Substitution variables from `postBuild` (`substituteFrom` in order, then inline values).
async fn variables(client: &Client, ks: &Kustomization) -> Result<Option<BTreeMap<String, String>>, Failure> {
    let Some(post) = &ks.spec.post_build else { return Ok(None) };
    let ns = ks.namespace().unwrap_or_default();
    let mut vars = BTreeMap::new();
    for r in post.substitute_from.iter().flatten() {
        let optional = r.optional.unwrap_or(false);
        let data: Option<BTreeMap<String, String>> = match r.kind.as_str() {
            "ConfigMap" => Api::<ConfigMap>::namespaced(client.clone(), &ns)
                .get_opt(&r.name)
                .await
                .map_err(|e| fail(c::BUILD_FAILED, format!("substituteFrom: read ConfigMap/{ns}/{}: {e}", r.name)))?
                .map(|cm| cm.data.unwrap_or_default()),
            "Secret" => Api::<Secret>::namespaced(client.clone(), &ns)
                .get_opt(&r.name)
                .await
                .map_err(|e| fail(c::BUILD_FAILED, format!("substituteFrom: read Secret/{ns}/{}: {e}", r.name)))?
                .map(|s| {
                    s.data
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
                        .collect()
                }),
            other => return Err(fail(c::BUILD_FAILED, format!("substituteFrom: unsupported kind {other:?}"))),
        };
        match data {
            Some(d) => vars.extend(d),
            None if optional => {}
            None => {
                return Err(fail(c::BUILD_FAILED, format!("substituteFrom: {} '{ns}/{}' not found", r.kind, r.name)));
            }
        }
    }
    vars.extend(post.substitute.clone().unwrap_or_default());
    let always = post.substitute_strategy.as_deref() == Some("Always");
    Ok((always || !vars.is_empty()).then_some(vars))
}

async fn build(ctx: &Context, ks: &Kustomization, stored: &Arc<Stored>) -> Result<Vec<Value>, Failure> {
    let vars = variables(&ctx.client, ks).await?;
    let (spec, stored, owner) = (ks.spec.clone(), Arc::clone(stored), owner(ks));
    tokio::task::spawn_blocking(move || {
        let input = BuildInput { root: &stored.dir, spec: &spec, vars: vars.as_ref(), strict: true, owner: &owner };
        manifests::build(&input)
    })
    .await
    .map_err(|e| fail(c::BUILD_FAILED, format!("build task failed: {e}")))?
    .map_err(|f| fail(f.reason(), f.into_message()))
}

/// The spec's CEL expressions, compiled before anything runs: one that does not compile fails
/// the Kustomization as an invalid spec, naming its field.
struct Expressions {
    /// `spec.healthCheckExprs`.
    health: Vec<HealthExpr>,
    /// `spec.dependsOn[].readyExpr`, parallel to `dependsOn`.
    ready: Vec<Option<glidepath_cel::Expr>>,
}

impl Expressions {
    fn compile(spec: &KustomizationSpec) -> Result<Self, String> {
        let health = spec.health_check_exprs.iter().flatten().enumerate().map(|(i, h)| {
            HealthExpr::new(
                &h.api_version,
                h.kind.as_deref(),
                &h.current,
                h.in_progress.as_deref(),
                h.failed.as_deref(),
            )
            .map_err(|e| format!("spec.healthCheckExprs[{i}]: {e}"))
        });
        let ready = spec.depends_on.iter().flatten().enumerate().map(|(i, d)| {
            d.ready_expr
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(glidepath_cel::Expr::compile)
                .transpose()
                .map_err(|e| format!("spec.dependsOn[{i}].readyExpr: {e}"))
        });
        Ok(Expressions { health: health.collect::<Result<_, _>>()?, ready: ready.collect::<Result<_, _>>()? })
    }
}

/// Flux's readiness rule for each `dependsOn` entry.
async fn dependencies_ready(
    ctx: &Context,
    ks: &Kustomization,
    ready_exprs: &[Option<glidepath_cel::Expr>],
) -> Result<(), String> {
    let ns = ks.namespace().unwrap_or_default();
    for (dep, ready_expr) in ks.spec.depends_on.iter().flatten().zip(ready_exprs) {
        let dns = dep.namespace.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| ns.clone());
        let not_ready = |why: &str| format!("dependency 'Kustomization/{dns}/{}' is not ready: {why}", dep.name);
        let api: Api<Kustomization> = Api::namespaced(ctx.client.clone(), &dns);
        let d = match api.get_opt(&dep.name).await {
            Ok(Some(d)) => d,
            Ok(None) => return Err(not_ready("not found")),
            Err(e) => return Err(not_ready(&e.to_string())),
        };
        if let Some(expr) = ready_expr {
            // `readyExpr` replaces the built-in rule: CEL over `dep` and `self`.
            let (me, them) =
                (serde_json::to_value(ks).unwrap_or_default(), serde_json::to_value(&d).unwrap_or_default());
            match glidepath_cel::Env::new().eval_bool(expr, &[("self", &me), ("dep", &them)]) {
                Ok(true) => continue,
                Ok(false) => return Err(not_ready(&format!("readyExpr '{}' is false", expr.text()))),
                Err(e) => return Err(not_ready(&e.to_string())),
            }
        }
        let status = d.status.clone().unwrap_or_default();
        let conds = status.conditions.clone().unwrap_or_default();
        if c::get(&conds, c::READY).is_none_or(|r| r.status != "True") {
            return Err(not_ready("Ready is not True"));
        }
        if status.observed_generation != d.meta().generation {
            return Err(not_ready("generation not observed yet"));
        }
        let (kind, src_ns, src_name) = source_key(&d);
        let source_rev = source_ref::current_revision(ctx, &kind, &src_ns, &src_name);
        if source_rev.is_some() && status.last_applied_revision != source_rev {
            return Err(not_ready("its source revision is not applied yet"));
        }
    }
    Ok(())
}

/// What an apply and prune left: the inventory, the change log and the objects to health-check.
struct Applied {
    inventory: Vec<Entry>,
    summary: Option<String>,
    /// `wait: true`: the applied set (never what was just pruned, as Flux); else `healthChecks`.
    health: Vec<Entry>,
}

/// Apply and prune. On failure, the inventory to keep (old plus what was created, so nothing
/// applied is ever orphaned).
async fn apply_and_prune(
    ctx: &Context,
    ks: &Kustomization,
    objects: Vec<Value>,
    old: &[Entry],
    timeout: Duration,
) -> Result<Applied, (Failure, Option<Vec<Entry>>)> {
    let spec = &ks.spec;
    let opts = ApplyOptions { force: spec.force(), wait_timeout: timeout };
    let mut changes =
        ctx.applier.apply_all_staged(objects, &opts).await.map_err(|e| (fail(e.reason(), e.to_string()), None))?;
    let mut inv = changes.entries();
    let health: Vec<Entry> = if spec.wait() {
        let applied = changes.changes.iter().filter(|c| c.action != glidepath_apply::Action::Skipped);
        applied.map(|c| c.entry.clone()).collect()
    } else {
        health_targets(ks, &inv)
    };
    if spec.prune() {
        let stale = glidepath_apply::object::stale(old, &inv);
        let outcome = ctx.applier.prune(&stale, &owner(ks)).await;
        changes.extend(outcome.deleted);
        if !outcome.failed.is_empty() {
            let msg: Vec<String> = outcome.failed.iter().map(|(_, e)| e.to_string()).collect();
            inv.extend(outcome.failed.into_iter().map(|(e, _)| e));
            return Err((fail(c::PRUNE_FAILED, msg.join("; ")), Some(inv)));
        }
    }
    let summary = changes.summary();
    Ok(Applied { inventory: inv, summary: (!summary.is_empty()).then_some(summary), health })
}

/// Health checks of what was applied. Objects already healthy pass at once; otherwise the
/// inventory and Flux's "Running health checks" progress are written first, so a long wait shows
/// what was applied. Returns whether that status was written (the final status must then be).
async fn check_health(
    ctx: &Context,
    ks: &Kustomization,
    base: KustomizationStatus,
    revision: &str,
    applied: Applied,
    timeout: Duration,
    exprs: &[HealthExpr],
) -> (Result<(Vec<Entry>, Option<String>), (Failure, Option<Vec<Entry>>)>, bool) {
    let Applied { inventory: inv, summary, health } = applied;
    let failed = |e: glidepath_apply::ApplyError| {
        let after = glidepath_api::duration::format(timeout);
        (fail(c::HEALTH_CHECK_FAILED, format!("health check failed after {after}: {e}")), Some(inv.clone()))
    };
    match ctx.applier.wait(&health, Duration::ZERO, true, exprs).await {
        Ok(()) => return (Ok((inv, summary)), false),
        Err(e @ glidepath_apply::ApplyError::WaitTimeout { .. }) => tracing::debug!(error = %e, "waiting for health"),
        Err(e) => return (Err(failed(e)), false),
    }
    if let Err(e) = health_checking(ctx, ks, base, revision, &inv, timeout).await {
        return (Err((fail(c::RECONCILIATION_FAILED, e.to_string()), Some(inv))), false);
    }
    match ctx.applier.wait(&health, timeout, true, exprs).await {
        Ok(()) => (Ok((inv, summary)), true),
        Err(e) => (Err(failed(e)), true),
    }
}

fn health_targets(ks: &Kustomization, inv: &[Entry]) -> Vec<Entry> {
    let ns = ks.namespace().unwrap_or_default();
    ks.spec
        .health_checks
        .iter()
        .flatten()
        .map(|h| {
            let api_version = h.api_version.clone().unwrap_or_default();
            let (group, version) = match api_version.rsplit_once('/') {
                Some((g, v)) => (g.to_owned(), v.to_owned()),
                None => (String::new(), api_version.clone()),
            };
            let hns = h.namespace.clone().unwrap_or_else(|| ns.clone());
            let known = inv.iter().find(|e| e.meta.kind == h.kind && e.meta.name == h.name && e.meta.namespace == hns);
            match known {
                Some(e) if api_version.is_empty() => e.clone(),
                _ => Entry { meta: ObjMeta::new(&group, &h.kind, &hns, &h.name), version },
            }
        })
        .collect()
}
