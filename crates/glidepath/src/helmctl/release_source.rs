//! What a HelmRelease deploys: its chart (the HelmChart it templates, created and kept by this
//! controller as helm-controller does, or the HelmChart or OCIRepository `chartRef` names)
//! loaded from the artifact, and its values read from the ConfigMaps and Secrets `valuesFrom`
//! names.

use std::collections::BTreeMap;
use std::sync::Arc;

use glidepath_api::flux::HelmRelease;
use glidepath_api::flux::{HelmChart, HelmChartSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde_json::{Map, Value, json};
use sha2::Digest;

use super::values::{Fetched, ValuesRef, compose};
use crate::sync::Context;

pub const HELM_CONTROLLER: &str = "helm-controller";
pub const ARTIFACT_FAILED: &str = "ArtifactFailed";
pub const INIT_FAILED: &str = "InitFailed";

/// The chart to deploy and where it came from.
pub struct Loaded {
    pub chart: Arc<glidepath_helm::Chart>,
    /// `<ns>/<name>` of the HelmChart (none for an OCIRepository, as helm-controller leaves
    /// `status.helmChart` empty then).
    pub helm_chart: Option<String>,
    /// The artifact's digest.
    pub digest: String,
}

/// `(namespace, name)` of the HelmChart a HelmRelease uses.
pub fn chart_key(hr: &HelmRelease) -> Option<(String, String)> {
    let ns = hr.namespace().unwrap_or_default();
    if let Some(t) = &hr.spec.chart {
        let src_ns = t.spec.source_ref.namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| ns.clone());
        return Some((src_ns, format!("{ns}-{}", hr.name_any())));
    }
    let r = hr.spec.chart_ref.as_ref().filter(|r| r.kind == "HelmChart")?;
    Some((r.namespace.clone().filter(|n| !n.is_empty()).unwrap_or(ns), r.name.clone()))
}

/// `(namespace, name)` of the OCIRepository a HelmRelease's `chartRef` names.
pub fn oci_key(hr: &HelmRelease) -> Option<(String, String)> {
    let r = hr.spec.chart_ref.as_ref().filter(|r| r.kind == "OCIRepository")?;
    let ns = r.namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| hr.namespace().unwrap_or_default());
    Some((ns, r.name.clone()))
}

/// Keep the templated HelmChart as the template says (server-side apply as helm-controller).
pub async fn ensure_chart(ctx: &Context, hr: &HelmRelease) -> Result<(), String> {
    let Some(t) = &hr.spec.chart else { return Ok(()) };
    let Some((ns, name)) = chart_key(hr) else { return Ok(()) };
    let spec = HelmChartSpec {
        chart: t.spec.chart.clone(),
        version: Some(t.spec.version.clone().filter(|v| !v.is_empty()).unwrap_or_else(|| "*".into())),
        source_ref: glidepath_api::flux::helm_chart::LocalHelmChartSourceReference {
            api_version: t.spec.source_ref.api_version.clone(),
            kind: t.spec.source_ref.kind.clone(),
            name: t.spec.source_ref.name.clone(),
        },
        interval: t.spec.interval.clone().unwrap_or_else(|| hr.spec.interval.clone()),
        reconcile_strategy: t.spec.reconcile_strategy.clone(),
        values_files: t.spec.values_files.clone(),
        ignore_missing_values_files: t.spec.ignore_missing_values_files,
        suspend: None,
        verify: None,
    };
    let meta = t.metadata.clone().unwrap_or_default();
    let mut metadata = json!({"name": name, "namespace": ns});
    // `chart.metadata` as given; nothing (not null) when unset, so no field is claimed empty.
    if let Some(l) = meta.labels.filter(|l| !l.is_empty()) {
        metadata["labels"] = json!(l);
    }
    if let Some(a) = meta.annotations.filter(|a| !a.is_empty()) {
        metadata["annotations"] = json!(a);
    }
    let obj =
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmChart", "metadata": metadata, "spec": spec});
    let api: Api<HelmChart> = Api::namespaced(ctx.client.clone(), &ns);
    api.patch(&name, &PatchParams::apply(HELM_CONTROLLER).force(), &Patch::Apply(&obj))
        .await
        .map(|_| ())
        .map_err(|e| format!("failed to apply HelmChart '{ns}/{name}': {e}"))
}

/// Remove the templated HelmChart (the HelmRelease is going).
pub async fn delete_chart(ctx: &Context, hr: &HelmRelease) {
    if hr.spec.chart.is_none() {
        return;
    }
    if let Some((ns, name)) = chart_key(hr) {
        let api: Api<HelmChart> = Api::namespaced(ctx.client.clone(), &ns);
        let _ = api.delete(&name, &Default::default()).await;
    }
}

/// The chart, once its HelmChart has an artifact for its current generation.
pub async fn load(ctx: &Context, hr: &HelmRelease) -> Result<Loaded, String> {
    if let Some((ns, name)) = oci_key(hr) {
        return load_oci(ctx, &ns, &name).await;
    }
    let Some((ns, name)) = chart_key(hr) else {
        let kind = hr.spec.chart_ref.as_ref().map(|r| r.kind.clone()).unwrap_or_default();
        return Err(format!(
            "spec.chartRef.kind: {kind:?} is not supported by Glidepath yet (HelmChart, OCIRepository)"
        ));
    };
    let api: Api<HelmChart> = Api::namespaced(ctx.client.clone(), &ns);
    let chart = api
        .get_opt(&name)
        .await
        .map_err(|e| format!("failed to get HelmChart '{ns}/{name}': {e}"))?
        .ok_or_else(|| format!("HelmChart '{ns}/{name}' not found"))?;
    let status = chart.status.clone().unwrap_or_default();
    let ready = status.conditions.iter().flatten().find(|c| c.type_ == "Ready");
    let current = status.observed_generation == chart.meta().generation;
    let Some(artifact) = status.artifact.clone().filter(|_| current) else {
        let why = ready.map(|c| c.message.clone()).unwrap_or_else(|| "no artifact yet".into());
        return Err(format!("HelmChart '{ns}/{name}' is not ready: {why}"));
    };
    let bytes = match ctx.helm.charts.get(&ns, &name).filter(|s| s.digest == artifact.digest) {
        Some(stored) => std::fs::read(&stored.dir).map_err(|e| format!("read chart artifact: {e}"))?,
        None => download(&artifact.url, &artifact.digest).await?,
    };
    let chart = parse(bytes, artifact.path.clone(), format!("HelmChart '{ns}/{name}'")).await?;
    Ok(Loaded { chart, helm_chart: Some(format!("{ns}/{name}")), digest: artifact.digest })
}

/// The chart in an OCIRepository's artifact: the chart archive itself (`layerSelector`
/// `operation: copy` of the Helm chart layer, as Flux documents) or its extracted files.
async fn load_oci(ctx: &Context, ns: &str, name: &str) -> Result<Loaded, String> {
    let api: Api<glidepath_api::flux::OCIRepository> = Api::namespaced(ctx.client.clone(), ns);
    let repo = api
        .get_opt(name)
        .await
        .map_err(|e| format!("failed to get OCIRepository '{ns}/{name}': {e}"))?
        .ok_or_else(|| format!("OCIRepository '{ns}/{name}' not found"))?;
    let status = repo.status.clone().unwrap_or_default();
    let current = status.observed_generation == repo.meta().generation;
    let Some(artifact) = status.artifact.clone().filter(|_| current) else {
        let ready = status.conditions.iter().flatten().find(|c| c.type_ == "Ready");
        let why = ready.map(|c| c.message.clone()).unwrap_or_else(|| "no artifact yet".into());
        return Err(format!("OCIRepository '{ns}/{name}' is not ready: {why}"));
    };
    let bytes = match ctx.oci.store.get(ns, name).filter(|s| s.digest == artifact.digest) {
        Some(stored) => {
            std::fs::read(ctx.oci.store.root().join(&stored.path)).map_err(|e| format!("read chart artifact: {e}"))?
        }
        None => download(&artifact.url, &artifact.digest).await?,
    };
    let chart = parse(bytes, artifact.path.clone(), format!("OCIRepository '{ns}/{name}'")).await?;
    Ok(Loaded { chart, helm_chart: None, digest: artifact.digest })
}

async fn parse(bytes: Vec<u8>, path: String, source: String) -> Result<Arc<glidepath_helm::Chart>, String> {
    let loaded = tokio::task::spawn_blocking(move || {
        glidepath_helm::files_from_tgz(&bytes, &path).and_then(glidepath_helm::Chart::from_files)
    })
    .await
    .map_err(|e| format!("chart task failed: {e}"))?
    .map_err(|e| format!("failed to load chart from {source}: {}", crate::error_chain(&e)))?;
    Ok(Arc::new(loaded))
}

/// Another controller's HelmChart: its artifact over HTTP, checked against its digest.
async fn download(url: &str, digest: &str) -> Result<Vec<u8>, String> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| format!("cannot build HTTP client: {e}"))?;
    let resp = client.get(url).send().await.map_err(|e| format!("failed to download chart artifact {url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("failed to download chart artifact {url}: {}", resp.status()));
    }
    let body = resp.bytes().await.map_err(|e| format!("failed to download chart artifact {url}: {e}"))?;
    let got = format!("sha256:{:x}", sha2::Sha256::digest(&body));
    if got != digest {
        return Err(format!("chart artifact {url}: digest {got} does not match {digest}"));
    }
    Ok(body.to_vec())
}

/// The release's values: `valuesFrom` read, then `values` on top.
pub async fn values(ctx: &Context, hr: &HelmRelease) -> Result<Map<String, Value>, String> {
    let ns = hr.namespace().unwrap_or_default();
    let refs: Vec<ValuesRef> = hr
        .spec
        .values_from
        .iter()
        .flatten()
        .map(|r| ValuesRef {
            kind: r.kind.clone(),
            name: r.name.clone(),
            key: r.values_key.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| "values.yaml".into()),
            target_path: r.target_path.clone(),
            optional: r.optional == Some(true),
        })
        .collect();
    let mut fetched = Fetched::new();
    for r in &refs {
        let key = (r.kind.clone(), r.name.clone());
        if fetched.contains_key(&key) {
            continue;
        }
        let data: Option<BTreeMap<String, Vec<u8>>> = match r.kind.as_str() {
            "ConfigMap" => Api::<ConfigMap>::namespaced(ctx.client.clone(), &ns)
                .get_opt(&r.name)
                .await
                .map_err(|e| format!("could not read ConfigMap '{ns}/{}': {e}", r.name))?
                .map(|cm| cm.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.into_bytes())).collect()),
            "Secret" => Api::<Secret>::namespaced(ctx.client.clone(), &ns)
                .get_opt(&r.name)
                .await
                .map_err(|e| format!("could not read Secret '{ns}/{}': {e}", r.name))?
                .map(|s| s.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect()),
            _ => None,
        };
        fetched.insert(key, data);
    }
    compose(&ns, &refs, &fetched, hr.spec.values.as_ref())
}
