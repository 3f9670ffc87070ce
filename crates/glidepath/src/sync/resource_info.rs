//! `gotk_resource_info`: the series Flux 2.1+ dashboards read from kube-state-metrics'
//! custom-resource-state config (flux2-monitoring-example), exported by Glidepath itself from
//! its controllers' caches, with the same labels, so the dashboards work without
//! kube-state-metrics. Computed at scrape time from the reflector stores: a deleted object's
//! series goes with it, as in kube-state-metrics.
//!
//! Clusters that already run kube-state-metrics with that config turn this off
//! (`--resource-info-metrics=false`, the chart's `metrics.resourceInfo: kube-state-metrics`):
//! the two would count every object twice.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use glidepath_api::flux::git_repository::GitRepository;
use glidepath_api::flux::kustomization::Kustomization;
use glidepath_api::flux::notification::Receiver;
use kube::ResourceExt;
use kube::runtime::reflector::Store;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::metrics::Observed;

/// One series' labels, in kube-state-metrics' names.
pub type Labels = Vec<(String, String)>;

type Source = Box<dyn Fn(&mut Vec<Labels>) + Send + Sync>;

/// The stores exported now, by the id their [`Exported`] guard removes them with.
static SOURCES: LazyLock<Mutex<Vec<(u64, Source)>>> = LazyLock::new(Mutex::default);
static NEXT: AtomicU64 = AtomicU64::new(0);
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turn the series on or off (`--resource-info-metrics`).
pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// The labels a kind adds to the common ones (the paths of the kube-state-metrics config).
pub trait Info: Observed {
    fn extra(&self) -> Vec<(&'static str, String)>;
}

impl Info for Kustomization {
    fn extra(&self) -> Vec<(&'static str, String)> {
        vec![("revision", self.revision()), ("source_name", self.spec.source_ref.name.clone())]
    }
}

impl Info for GitRepository {
    fn extra(&self) -> Vec<(&'static str, String)> {
        vec![("revision", self.revision()), ("url", self.spec.url.clone())]
    }
}

impl Info for glidepath_api::flux::OCIRepository {
    fn extra(&self) -> Vec<(&'static str, String)> {
        vec![("revision", self.revision()), ("url", self.spec.url.clone())]
    }
}

impl Info for Receiver {
    fn extra(&self) -> Vec<(&'static str, String)> {
        vec![("webhook_path", self.status.as_ref().and_then(|s| s.webhook_path.clone()).unwrap_or_default())]
    }
}

/// The series of one object: kube-state-metrics' `customresource_*` labels, then the config's.
pub fn labels<K: Info>(obj: &K) -> Labels {
    let ready = obj.conditions().iter().find(|c| c.type_ == "Ready").map(|c| c.status.clone()).unwrap_or_default();
    let mut l = vec![
        ("customresource_group", K::group(&()).into_owned()),
        ("customresource_kind", K::kind(&()).into_owned()),
        ("customresource_version", K::version(&()).into_owned()),
        ("name", obj.name_any()),
        ("exported_namespace", obj.namespace().unwrap_or_default()),
        ("ready", ready),
        ("suspended", obj.suspended().to_string()),
    ];
    l.extend(obj.extra());
    l.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Export one series per object in `store` while the returned guard lives (a controller
/// that stops, e.g. on losing its lease, takes its series with it).
#[must_use = "the series are exported while the guard lives"]
pub fn export<K>(store: Store<K>) -> Exported
where
    K: Info + Clone + Send + Sync + 'static,
{
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let source: Source = Box::new(move |out| out.extend(store.state().iter().map(|o| labels(&**o))));
    if let Ok(mut s) = SOURCES.lock() {
        s.push((id, source));
    }
    Exported(id)
}

/// Removes its store from `gotk_resource_info` when dropped.
#[derive(Debug)]
pub struct Exported(u64);

impl Drop for Exported {
    fn drop(&mut self) {
        if let Ok(mut s) = SOURCES.lock() {
            s.retain(|(id, _)| *id != self.0);
        }
    }
}

/// Export `gotk_resource_info` in `registry`.
pub fn register(registry: &mut Registry) {
    registry.register_collector(Box::new(ResourceInfo));
}

#[derive(Debug)]
struct ResourceInfo;

impl Collector for ResourceInfo {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if !ENABLED.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut series = Vec::new();
        if let Ok(sources) = SOURCES.lock() {
            for (_, s) in sources.iter() {
                s(&mut series);
            }
        }
        if series.is_empty() {
            return Ok(());
        }
        let family = Family::<Labels, Gauge>::default();
        for l in series {
            family.get_or_create(&l).set(1);
        }
        let help = "The current state of a GitOps Toolkit resource.";
        family.encode(encoder.encode_descriptor("gotk_resource_info", help, None, family.metric_type())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::Resource;
    use serde_json::{Value, json};

    const KSM_CONFIG: &str = include_str!("../../../../charts/glidepath/files/kube-state-metrics-config.yaml");

    /// The label names kube-state-metrics gives `kind`'s series under the chart's config, with
    /// the `customresource_*` ones it always adds.
    fn ksm_labels(kind: &str) -> Vec<String> {
        let config: Value = serde_norway::from_str(KSM_CONFIG).unwrap();
        let r = config["spec"]["resources"].as_array().unwrap().iter().find(|r| r["groupVersionKind"]["kind"] == kind);
        let r = r.unwrap_or_else(|| panic!("{kind} missing from the kube-state-metrics config"));
        let m = &r["metrics"][0];
        let mut names: Vec<String> = ["customresource_group", "customresource_kind", "customresource_version"]
            .into_iter()
            .map(String::from)
            .chain(m["each"]["info"]["labelsFromPath"].as_object().unwrap().keys().cloned())
            .chain(m["labelsFromPath"].as_object().unwrap().keys().cloned())
            .collect();
        names.sort();
        names
    }

    fn names(l: &Labels) -> Vec<String> {
        let mut n: Vec<String> = l.iter().map(|(k, _)| k.clone()).collect();
        n.sort();
        n
    }

    #[test]
    fn native_series_carry_the_labels_of_the_charts_kube_state_metrics_config() {
        let meta = json!({"name": "x", "namespace": "ns"});
        let ks: Kustomization =
            serde_json::from_value(json!({"metadata": meta, "spec": {"interval": "1m", "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": "r"}}}))
            .unwrap();
        let repo: GitRepository =
            serde_json::from_value(json!({"metadata": meta, "spec": {"interval": "1m", "url": "https://x"}})).unwrap();
        let rcv: Receiver = serde_json::from_value(json!({"metadata": meta, "spec": {"type": "generic",
            "resources": [], "secretRef": {"name": "s"}}}))
        .unwrap();
        assert_eq!(names(&labels(&ks)), ksm_labels("Kustomization"));
        assert_eq!(names(&labels(&repo)), ksm_labels("GitRepository"));
        assert_eq!(names(&labels(&rcv)), ksm_labels("Receiver"));
        let config: Value = serde_norway::from_str(KSM_CONFIG).unwrap();
        for r in config["spec"]["resources"].as_array().unwrap() {
            let gvk = &r["groupVersionKind"];
            let served = match gvk["kind"].as_str().unwrap() {
                "Kustomization" => (Kustomization::group(&()), Kustomization::version(&())),
                "GitRepository" => (GitRepository::group(&()), GitRepository::version(&())),
                "Receiver" => (Receiver::group(&()), Receiver::version(&())),
                other => panic!("{other}: not exported natively"),
            };
            assert_eq!((gvk["group"].as_str().unwrap(), gvk["version"].as_str().unwrap()), (&*served.0, &*served.1));
        }
    }

    fn encoded() -> String {
        let mut reg = Registry::default();
        register(&mut reg);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &reg).unwrap();
        text
    }

    #[test]
    fn a_stores_series_live_as_long_as_its_guard() {
        let (store, mut writer) = kube::runtime::reflector::store::<Receiver>();
        let rcv: Receiver = serde_json::from_value(json!({"metadata": {"name": "guarded-rcv", "namespace": "ns"},
            "spec": {"type": "generic", "resources": [], "secretRef": {"name": "s"}}}))
        .unwrap();
        writer.apply_watcher_event(&kube::runtime::watcher::Event::Apply(rcv));
        let guard = export(store);
        assert!(encoded().contains(r#"name="guarded-rcv""#), "{}", encoded());
        drop(guard);
        assert!(!encoded().contains("guarded-rcv"), "{}", encoded());
    }

    #[test]
    fn a_kustomization_reads_as_kube_state_metrics_labels_it() {
        let ks: Kustomization = serde_json::from_value(json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system"},
            "spec": {"interval": "1m", "path": "./apps", "prune": true,
                     "sourceRef": {"kind": "GitRepository", "name": "repo"}},
            "status": {"lastAppliedRevision": "main@sha1:abc", "conditions": [{
                "type": "Ready", "status": "False", "reason": "BuildFailed", "message": "m",
                "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
        }))
        .unwrap();
        let l = labels(&ks);
        let get = |k: &str| l.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("customresource_kind"), Some("Kustomization"));
        assert_eq!(get("customresource_group"), Some("kustomize.toolkit.fluxcd.io"));
        assert_eq!(get("exported_namespace"), Some("flux-system"));
        assert_eq!(get("ready"), Some("False"));
        assert_eq!(get("suspended"), Some("false"));
        assert_eq!(get("revision"), Some("main@sha1:abc"));
        assert_eq!(get("source_name"), Some("repo"));
    }
}
