//! HelmChart reconciler: the chart a HelmRelease installs, as an artifact
//! (`helmchart/<ns>/<name>/<chart>-<version>.tgz`, revision = the chart version).
//!
//! - From a HelmRepository: the version picked from the index by `spec.version` (Masterminds
//!   ranges, newest stable for `*`), downloaded (digest checked against the index).
//! - From a GitRepository: the chart directory at `spec.chart` in the artifact, packaged;
//!   `reconcileStrategy: Revision` appends `+<commit[..12]>` to the version, so every commit is a
//!   new chart version.
//! - `valuesFiles` (in the chart, merged in order, `ignoreMissingValuesFiles`) replace the chart's
//!   `values.yaml` in the stored archive, as source-controller does.

use std::sync::Arc;
use std::time::Duration;

use glidepath_api::flux::{HelmChart, HelmChartStatus, HelmRepository};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::{Resource, ResourceExt};
use sha2::Digest;

use super::http::{access, secret_data};
use super::{REQUESTED_AT, package};
use crate::sync::artifacts::Stored;
use crate::sync::conditions as c;
use crate::sync::{Context, SOURCE_CONTROLLER, SyncError};

const PULL_SUCCEEDED: &str = "ChartPullSucceeded";
const PACKAGE_SUCCEEDED: &str = "ChartPackageSucceeded";
const PULL_FAILED: &str = "ChartPullError";
const PACKAGE_FAILED: &str = "ChartPackageError";
const SOURCE_UNAVAILABLE: &str = "SourceUnavailable";

pub fn error_policy(_o: Arc<HelmChart>, _e: &SyncError, _c: Arc<Context>) -> Action {
    Action::requeue(Duration::from_secs(10))
}

/// A built chart, before it is stored.
struct Built {
    name: String,
    version: String,
    archive: Vec<u8>,
    /// The source's revision it was built from.
    source_revision: String,
    pulled: bool,
}

/// A failed step: reason, message, and whether to wait for a change rather than retry.
type Failure = (&'static str, String);

/// One reconcile of a HelmChart.
pub async fn reconcile(chart: Arc<HelmChart>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    let (ns, name) = (chart.namespace().unwrap_or_default(), chart.name_any());
    if chart.meta().deletion_timestamp.is_some() {
        ctx.helm.charts.remove(&ns, &name);
        return Ok(Action::await_change());
    }
    if chart.spec.suspend == Some(true) {
        return Ok(Action::await_change());
    }
    let generation = chart.meta().generation.unwrap_or(0);
    let interval = chart.spec.interval().unwrap_or(Duration::from_secs(600));
    let requested_at = chart.annotations().get(REQUESTED_AT).cloned();
    let mut status = chart.status.clone().unwrap_or_default();
    let mut conds = status.conditions.take().unwrap_or_default();
    let key = format!("HelmChart/{ns}/{name}");
    let outcome = match build(&chart, &ctx, &ns).await {
        Ok(built) => store(&ctx, &ns, &name, built),
        Err(f) => Err(f),
    };
    match outcome {
        Ok((stored, fresh, built_name, source_revision, pulled)) => {
            let (reason, verb) = if pulled { (PULL_SUCCEEDED, "pulled") } else { (PACKAGE_SUCCEEDED, "packaged") };
            let msg = format!("{verb} '{built_name}' chart with version '{}'", stored.revision);
            c::set(&mut conds, c::READY, true, reason, &msg, Some(generation));
            c::set(&mut conds, c::ARTIFACT_IN_STORAGE, true, c::SUCCEEDED, &msg, Some(generation));
            for gone in [c::FETCH_FAILED, "BuildFailed", c::RECONCILING, c::STALLED] {
                c::remove(&mut conds, gone);
            }
            let same = status.artifact.as_ref().is_some_and(|a| a.digest == stored.digest);
            if !same {
                status.artifact = Some(super::repository::artifact(&ctx, &stored));
            }
            status.url = status.artifact.as_ref().map(|a| a.url.clone());
            status.observed_chart_name = Some(built_name);
            status.observed_source_artifact_revision = Some(source_revision);
            status.observed_values_files = chart.spec.values_files.clone().filter(|v| !v.is_empty());
            ctx.events.forget(&key);
            if fresh && !same {
                ctx.publish(&*chart, false, reason, &msg, &[("revision", &stored.revision)], SOURCE_CONTROLLER).await;
            }
        }
        Err((reason, message)) => {
            let condition = if reason == PULL_FAILED || reason == glidepath_source::error::REASON_AUTHENTICATION_FAILED
            {
                c::FETCH_FAILED
            } else {
                "BuildFailed"
            };
            c::set(&mut conds, condition, true, reason, &message, Some(generation));
            c::set(&mut conds, c::READY, false, reason, &message, Some(generation));
            if ctx.events.is_new(&key, &message) {
                ctx.publish(&*chart, true, reason, &message, &[], SOURCE_CONTROLLER).await;
            }
        }
    }
    status.observed_generation = Some(generation);
    if requested_at.is_some() {
        status.last_handled_reconcile_at = requested_at;
    }
    write_status(&ctx, &chart, status, conds).await?;
    Ok(Action::requeue(interval))
}

async fn build(chart: &HelmChart, ctx: &Context, ns: &str) -> Result<Built, Failure> {
    let spec = &chart.spec;
    if spec.verify.is_some() {
        return Err((
            "InvalidSpec",
            "spec.verify: chart signature verification is not supported by Glidepath yet".into(),
        ));
    }
    let src = &spec.source_ref;
    match src.kind.as_str() {
        "HelmRepository" => pull(chart, ctx, ns).await,
        "GitRepository" => {
            let Some(stored) = ctx.store.get(ns, &src.name) else {
                return Err((SOURCE_UNAVAILABLE, format!("GitRepository '{ns}/{}' has no artifact yet", src.name)));
            };
            let (spec, stored) = (spec.clone(), Arc::clone(&stored));
            tokio::task::spawn_blocking(move || package_from_dir(&spec, &stored))
                .await
                .map_err(|e| (PACKAGE_FAILED, format!("package task failed: {e}")))?
        }
        other => Err((
            "InvalidSpec",
            format!("spec.sourceRef.kind: {other:?} is not supported by Glidepath yet (HelmRepository, GitRepository)"),
        )),
    }
}

/// The chart from a HelmRepository's index.
async fn pull(chart: &HelmChart, ctx: &Context, ns: &str) -> Result<Built, Failure> {
    let spec = &chart.spec;
    let repo_name = &spec.source_ref.name;
    let repos: Api<HelmRepository> = Api::namespaced(ctx.client.clone(), ns);
    let repo = repos
        .get_opt(repo_name)
        .await
        .map_err(|e| (SOURCE_UNAVAILABLE, format!("failed to get HelmRepository '{ns}/{repo_name}': {e}")))?
        .ok_or_else(|| (SOURCE_UNAVAILABLE, format!("HelmRepository '{ns}/{repo_name}' not found")))?;
    let index = ctx
        .helm
        .index(ns, repo_name)
        .ok_or_else(|| (SOURCE_UNAVAILABLE, format!("HelmRepository '{ns}/{repo_name}' has no index yet")))?;
    let constraint = spec.version.as_deref().filter(|v| !v.is_empty()).unwrap_or("*");
    let picked = glidepath_helm::repo::select(&index.index, &spec.chart, constraint)
        .map_err(|e| (PULL_FAILED, format!("invalid chart reference: {}", crate::error_chain(&e))))?
        .clone();
    let url = picked
        .urls
        .first()
        .ok_or_else(|| (PULL_FAILED, format!("chart '{}' version '{}' has no URL", spec.chart, picked.version)))?;
    let url =
        glidepath_helm::repo::resolve_url(&repo.spec.url, url).map_err(|e| (PULL_FAILED, crate::error_chain(&e)))?;
    let auth = match repo.spec.secret_ref.as_ref().filter(|s| !s.name.is_empty()) {
        Some(s) => Some(
            secret_data(&ctx.client, ns, &s.name)
                .await
                .map_err(|m| (glidepath_source::error::REASON_AUTHENTICATION_FAILED, m))?,
        ),
        None => None,
    };
    let tls = match repo.spec.cert_secret_ref.as_ref().filter(|s| !s.name.is_empty()) {
        Some(s) => Some(
            secret_data(&ctx.client, ns, &s.name)
                .await
                .map_err(|m| (glidepath_source::error::REASON_AUTHENTICATION_FAILED, m))?,
        ),
        None => None,
    };
    let pass = repo.spec.pass_credentials == Some(true);
    let http = access(
        &repo.spec.url,
        auth.as_ref(),
        tls.as_ref(),
        repo.spec.insecure == Some(true),
        repo.spec.timeout(),
        pass,
    )
    .map_err(|m| (glidepath_source::error::REASON_AUTHENTICATION_FAILED, m))?;
    let body = http.get(&url).await.map_err(|m| (PULL_FAILED, format!("failed to download chart: {m}")))?;
    if let Some(want) = Some(picked.digest.as_str()).filter(|d| !d.is_empty()) {
        let got = format!("{:x}", sha2::Sha256::digest(&body));
        if !got.eq_ignore_ascii_case(want.trim_start_matches("sha256:")) {
            return Err((PULL_FAILED, format!("chart '{url}': digest sha256:{got} does not match the index's {want}")));
        }
    }
    let (spec, version) = (spec.clone(), picked.version.clone());
    let source_revision = index.revision.clone();
    tokio::task::spawn_blocking(move || {
        let files = glidepath_helm::files_from_tgz(&body, &url)
            .map_err(|e| (PULL_FAILED, format!("invalid chart archive {url}: {}", crate::error_chain(&e))))?;
        let (name, archive) = with_values_files(&spec, files, Some(body))?;
        Ok(Built { name, version, archive, source_revision, pulled: true })
    })
    .await
    .map_err(|e| (PULL_FAILED, format!("chart task failed: {e}")))?
}

/// A chart directory of a Git artifact, packaged.
fn package_from_dir(spec: &glidepath_api::flux::HelmChartSpec, stored: &Stored) -> Result<Built, Failure> {
    let rel = spec.chart.trim_start_matches("./");
    let dir = stored.dir.join(rel);
    if rel.split('/').any(|p| p == "..") || !dir.join("Chart.yaml").is_file() {
        return Err((
            PACKAGE_FAILED,
            format!("chart directory '{}' not found in the artifact (no Chart.yaml)", spec.chart),
        ));
    }
    let files = glidepath_helm::files_from_dir(&dir)
        .map_err(|e| (PACKAGE_FAILED, format!("load chart '{}': {}", spec.chart, crate::error_chain(&e))))?;
    let (name, archive) = with_values_files(spec, files, None)?;
    let chart = load(&archive)?;
    let mut version = chart.metadata.version.clone();
    if spec.reconcile_strategy.as_deref() == Some("Revision") {
        // `main@sha1:<hex>` → `+<hex[..12]>` (Flux's build metadata).
        let commit = stored.revision.rsplit(':').next().unwrap_or_default();
        version = format!("{version}+{}", &commit[..commit.len().min(12)]);
    }
    Ok(Built { name, version, archive, source_revision: stored.revision.clone(), pulled: false })
}

fn load(archive: &[u8]) -> Result<glidepath_helm::Chart, Failure> {
    let files =
        glidepath_helm::files_from_tgz(archive, "chart").map_err(|e| (PACKAGE_FAILED, crate::error_chain(&e)))?;
    glidepath_helm::Chart::from_files(files).map_err(|e| (PACKAGE_FAILED, crate::error_chain(&e)))
}

/// The chart name and its archive, `values.yaml` replaced by the merged `valuesFiles` when set.
fn with_values_files(
    spec: &glidepath_api::flux::HelmChartSpec,
    files: Vec<glidepath_helm::File>,
    original: Option<Vec<u8>>,
) -> Result<(String, Vec<u8>), Failure> {
    let chart =
        glidepath_helm::Chart::from_files(files.clone()).map_err(|e| (PACKAGE_FAILED, crate::error_chain(&e)))?;
    let name = chart.metadata.name.clone();
    let values_files: Vec<&String> = spec.values_files.iter().flatten().collect();
    if values_files.is_empty() {
        let archive = match original {
            Some(a) => a,
            None => package::archive(&name, &files).map_err(|e| (PACKAGE_FAILED, e.to_string()))?,
        };
        return Ok((name, archive));
    }
    let mut merged = serde_json::Map::new();
    for vf in values_files {
        let path = vf.trim_start_matches("./");
        let Some(f) = files.iter().find(|f| f.name == path) else {
            if spec.ignore_missing_values_files == Some(true) {
                continue;
            }
            return Err((PACKAGE_FAILED, format!("values file '{vf}' not found in chart '{name}'")));
        };
        let v = glidepath_helm::yaml::from_yaml_map(&String::from_utf8_lossy(&f.data))
            .map_err(|e| (PACKAGE_FAILED, format!("values file '{vf}': {e}")))?;
        merged = glidepath_helm::values::merge_maps(merged, v);
    }
    let archive =
        package::archive(&name, &package::with_values(&files, &merged)).map_err(|e| (PACKAGE_FAILED, e.to_string()))?;
    Ok((name, archive))
}

type StoreOutcome = (Arc<Stored>, bool, String, String, bool);

fn store(ctx: &Context, ns: &str, name: &str, built: Built) -> Result<StoreOutcome, Failure> {
    let digest = format!("sha256:{:x}", sha2::Sha256::digest(&built.archive));
    let Built { name: chart_name, version, archive, source_revision, pulled } = built;
    if let Some(prev) = ctx.helm.charts.get(ns, name).filter(|s| s.digest == digest && s.dir.is_file()) {
        return Ok((prev, false, chart_name, source_revision, pulled));
    }
    let rel = format!("helmchart/{ns}/{name}/{chart_name}-{version}.tgz");
    let file = ctx.helm.charts.root().join(&rel);
    let write = || -> std::io::Result<()> {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&file, &archive)
    };
    write().map_err(|e| (c::STORAGE_OPERATION_FAILED, format!("store chart: {e}")))?;
    let stored = Stored { revision: version, digest, size: archive.len() as u64, path: rel, dir: file, ignore: None };
    Ok((ctx.helm.charts.put(ns, name, stored), true, chart_name, source_revision, pulled))
}

async fn write_status(
    ctx: &Context,
    chart: &HelmChart,
    status: HelmChartStatus,
    conds: Vec<Condition>,
) -> Result<(), SyncError> {
    let old = chart.status.clone().unwrap_or_default();
    let old_conds = old.conditions.clone().unwrap_or_default();
    crate::sync::status_write::write(ctx, chart, (&old, &old_conds), &status, conds).await
}
