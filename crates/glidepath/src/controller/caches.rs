//! Reflector caches of everything a reconcile reads, and the change feed that wakes canaries.
//! Routing objects of CRD-backed providers (HTTPRoute, ...) get their cache on first use, after
//! checking that the kind is served.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use glidepath_api::flagger::{AlertProvider, Canary, MetricTemplate};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tracing::warn;

use super::FIELD_MANAGER;

/// A Canary that changed: namespace, name. (Other kinds wake nothing: canaries run on their
/// interval, so only the Canary cache reports changes.)
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Touched {
    pub namespace: String,
    pub name: String,
}

/// Who ships the CRDs of an API group, for "install the ... CRDs" messages.
fn product(group: &str) -> &str {
    match group {
        "gateway.networking.k8s.io" => "Gateway API",
        "networking.istio.io" => "Istio",
        "split.smi-spec.io" => "SMI (Linkerd: the linkerd-smi extension)",
        "projectcontour.io" => "Contour",
        "traefik.io" | "traefik.containo.us" => "Traefik",
        "keda.sh" => "KEDA",
        "serving.knative.dev" => "Knative Serving",
        other => other,
    }
}

/// A routing kind's cache and the resource it serves.
type DynamicCache = (ApiResource, Store<DynamicObject>);

#[derive(Clone)]
pub struct Caches {
    client: Client,
    namespace: Option<String>,
    stop: watch::Receiver<bool>,
    pub canaries: Store<Canary>,
    pub deployments: Store<Deployment>,
    pub daemon_sets: Store<DaemonSet>,
    pub services: Store<Service>,
    pub config_maps: Store<ConfigMap>,
    pub secrets: Store<Secret>,
    pub hpas: Store<HorizontalPodAutoscaler>,
    pub metric_templates: Store<MetricTemplate>,
    pub alert_providers: Store<AlertProvider>,
    dynamic: Arc<Mutex<HashMap<String, DynamicCache>>>,
    pub touched: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Touched>>>,
}

impl Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caches").field("namespace", &self.namespace).finish_non_exhaustive()
    }
}

fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Run a reflector into `writer` until stopped, reporting touched objects to `tx` if given.
fn spawn_watch<K>(
    writer: reflector::store::Writer<K>,
    api: Api<K>,
    config: watcher::Config,
    kind: &'static str,
    tx: Option<mpsc::UnboundedSender<Touched>>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone + Send + Sync,
{
    tokio::spawn(async move {
        // managedFields are often the largest part of an object; only our own apply entry is
        // read (the write decision, `glidepath_apply::owned`), so the rest is dropped before the
        // store and memory stays in proportion to what is used.
        let events = watcher(api, config).modify(|o| {
            let meta = o.meta_mut();
            if let Some(fields) = meta.managed_fields.as_mut() {
                fields
                    .retain(|e| e.manager.as_deref() == Some(FIELD_MANAGER) && e.operation.as_deref() == Some("Apply"));
            }
            if meta.managed_fields.as_ref().is_some_and(Vec::is_empty) {
                meta.managed_fields = None;
            }
        });
        let stream = reflector::reflector(writer, events).default_backoff().touched_objects();
        let mut stream = std::pin::pin!(stream);
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                next = stream.next() => match next {
                    Some(Ok(obj)) => {
                        if let Some(tx) = &tx {
                            let _ = tx.send(Touched {
                                namespace: obj.meta().namespace.clone().unwrap_or_default(),
                                name: obj.meta().name.clone().unwrap_or_default(),
                            });
                        }
                    }
                    Some(Err(e)) => warn!(kind, error = %e, "watch failed; retrying"),
                    None => return,
                }
            }
        }
    })
}

fn spawn_reflector<K>(
    api: Api<K>,
    config: watcher::Config,
    kind: &'static str,
    tx: Option<mpsc::UnboundedSender<Touched>>,
    stop: watch::Receiver<bool>,
) -> (Store<K>, tokio::task::JoinHandle<()>)
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone + Send + Sync,
{
    let (store, writer) = reflector::store();
    (store, spawn_watch(writer, api, config, kind, tx, stop))
}

impl Caches {
    /// Start every static cache; `selector` filters the Canaries (sharding), nothing else.
    pub fn start(
        client: Client,
        namespace: Option<&str>,
        selector: Option<&str>,
        stop: watch::Receiver<bool>,
    ) -> (Caches, Vec<tokio::task::JoinHandle<()>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        macro_rules! cache {
            ($ty:ty, $kind:literal) => {{
                let canary = $kind == "Canary";
                let tx = canary.then(|| tx.clone());
                let config = match selector.filter(|_| canary) {
                    Some(s) => watcher::Config::default().labels(s),
                    None => watcher::Config::default(),
                };
                let (store, task) = spawn_reflector(api::<$ty>(&client, namespace), config, $kind, tx, stop.clone());
                tasks.push(task);
                store
            }};
        }
        let caches = Caches {
            canaries: cache!(Canary, "Canary"),
            deployments: cache!(Deployment, "Deployment"),
            daemon_sets: cache!(DaemonSet, "DaemonSet"),
            services: cache!(Service, "Service"),
            config_maps: cache!(ConfigMap, "ConfigMap"),
            secrets: cache!(Secret, "Secret"),
            hpas: cache!(HorizontalPodAutoscaler, "HorizontalPodAutoscaler"),
            metric_templates: cache!(MetricTemplate, "MetricTemplate"),
            alert_providers: cache!(AlertProvider, "AlertProvider"),
            client,
            namespace: namespace.map(str::to_owned),
            stop,
            dynamic: Arc::default(),
            touched: Arc::new(tokio::sync::Mutex::new(rx)),
        };
        (caches, tasks)
    }

    /// Wait until every static cache has listed once.
    pub async fn ready(&self) -> anyhow::Result<()> {
        self.canaries.wait_until_ready().await?;
        self.deployments.wait_until_ready().await?;
        self.daemon_sets.wait_until_ready().await?;
        self.services.wait_until_ready().await?;
        self.config_maps.wait_until_ready().await?;
        self.secrets.wait_until_ready().await?;
        self.hpas.wait_until_ready().await?;
        self.metric_templates.wait_until_ready().await?;
        self.alert_providers.wait_until_ready().await?;
        Ok(())
    }

    /// The cache of a CRD-backed routing kind, started on first use. Fails with a clear
    /// message when the kind is not served (its CRDs are not installed).
    async fn dynamic(&self, api_version: &str, kind: &str) -> anyhow::Result<DynamicCache> {
        let key = format!("{api_version}/{kind}");
        if let Some(entry) = self.dynamic.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?.get(&key) {
            return Ok(entry.clone());
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (resource, caps) = kube::discovery::pinned_kind(&self.client, &gvk).await.map_err(|_| {
            anyhow::anyhow!("{kind} kind not served ({api_version}): install the {} CRDs", product(group))
        })?;
        // A cluster-scoped kind (Kuma's TrafficRoute) is watched cluster-wide even when the
        // controller watches one namespace.
        let cluster_scoped = caps.scope == kube::discovery::Scope::Cluster;
        let api: Api<DynamicObject> = match &self.namespace {
            Some(ns) if !cluster_scoped => Api::namespaced_with(self.client.clone(), ns, &resource),
            _ => Api::all_with(self.client.clone(), &resource),
        };
        let writer = reflector::store::Writer::new(resource.clone());
        let store = writer.as_reader();
        drop(spawn_watch(writer, api, watcher::Config::default(), "Route", None, self.stop.clone()));
        tokio::time::timeout(Duration::from_secs(30), store.wait_until_ready()).await??;
        let entry = (resource, store);
        self.dynamic.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?.insert(key, entry.clone());
        Ok(entry)
    }

    /// One cached object as JSON, with its apiVersion and kind, by key (no scans). Routing
    /// kinds start their cache on first use; an unserved kind is an error.
    pub async fn get_json(&self, api_version: &str, kind: &str, ns: &str, name: &str) -> anyhow::Result<Option<Value>> {
        fn json<T: serde::Serialize>(o: Option<Arc<T>>) -> anyhow::Result<Option<Value>> {
            Ok(o.map(|o| serde_json::to_value(&*o)).transpose()?)
        }
        let v = match (api_version, kind) {
            ("v1", "Service") => json(self.services.get(&ObjectRef::new(name).within(ns)))?,
            ("v1", "ConfigMap") => json(self.config_maps.get(&ObjectRef::new(name).within(ns)))?,
            ("v1", "Secret") => json(self.secrets.get(&ObjectRef::new(name).within(ns)))?,
            ("apps/v1", "Deployment") => json(self.deployments.get(&ObjectRef::new(name).within(ns)))?,
            ("apps/v1", "DaemonSet") => json(self.daemon_sets.get(&ObjectRef::new(name).within(ns)))?,
            ("autoscaling/v2", "HorizontalPodAutoscaler") => json(self.hpas.get(&ObjectRef::new(name).within(ns)))?,
            _ => {
                let (resource, store) = self.dynamic(api_version, kind).await?;
                let key = ObjectRef::new_with(name, resource);
                // Cluster-scoped objects are keyed without a namespace.
                let key = if ns.is_empty() { key } else { key.within(ns) };
                json(store.get(&key))?
            }
        };
        Ok(v.map(|mut v| {
            v["apiVersion"] = api_version.into();
            v["kind"] = kind.into();
            v
        }))
    }
}
