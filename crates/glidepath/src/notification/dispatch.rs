//! The dispatcher: every event (from this process's controllers or the event server) is
//! deduplicated as Flux's event server does, matched against the Alerts, and delivered to each
//! matching Alert's Provider in its own task, bounded by the Provider's timeout, so one slow
//! receiver never delays another or the controllers. A failed delivery is a Warning Event
//! `NotificationDispatchFailed` on the Alert; credentials never reach it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use glidepath_api::flux::notification::{Alert, Provider};
use kube::api::{Api, ApiResource, GroupVersionKind};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, ResourceExt};

use super::event::FluxEvent;
use super::matching;

/// Flux's default `--rate-limit-interval`.
pub const DEFAULT_RATE_LIMIT: Duration = Duration::from_secs(300);
/// The event group of notification-controller's own metadata keys.
pub const EVENT_GROUP: &str = "notification.toolkit.fluxcd.io";

/// What one delivery needs: the Provider, its Secrets' data, the Alert that matched.
#[derive(Clone, Debug)]
pub struct Target {
    pub alert: Alert,
    pub provider: Provider,
    /// `secretRef` data (`address`, `token`, `username`, `password`, `headers`).
    pub secret: BTreeMap<String, String>,
    /// `certSecretRef` data (`ca.crt`, `tls.crt`, `tls.key`).
    pub certs: BTreeMap<String, String>,
    /// `proxySecretRef` data (`address`, `username`, `password`).
    pub proxy: BTreeMap<String, String>,
}

/// One seam: sending an event to a Provider. Errors must not contain credentials.
pub trait Deliver: Send + Sync {
    fn deliver<'a>(
        &'a self,
        target: &'a Target,
        event: &'a glidepath_notify::Event,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// Why an event was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A duplicate within the rate-limit interval (HTTP 429).
    RateLimited,
}

pub struct Dispatcher {
    client: Client,
    alerts: Store<Alert>,
    providers: Store<Provider>,
    secrets: Store<k8s_openapi::api::core::v1::Secret>,
    deliver: Arc<dyn Deliver>,
    no_cross_namespace_refs: bool,
    interval: Duration,
    seen: Mutex<HashMap<String, Instant>>,
    /// Compiled message filters by Alert uid and resourceVersion.
    filters: Mutex<HashMap<(String, String), Arc<matching::MessageFilters>>>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").field("interval", &self.interval).finish_non_exhaustive()
    }
}

impl Dispatcher {
    pub fn new(
        client: Client,
        alerts: Store<Alert>,
        providers: Store<Provider>,
        secrets: Store<k8s_openapi::api::core::v1::Secret>,
        deliver: Arc<dyn Deliver>,
    ) -> Self {
        Dispatcher {
            client,
            alerts,
            providers,
            secrets,
            deliver,
            no_cross_namespace_refs: false,
            interval: DEFAULT_RATE_LIMIT,
            seen: Mutex::default(),
            filters: Mutex::default(),
        }
    }

    pub fn with_limits(mut self, interval: Duration, no_cross_namespace_refs: bool) -> Self {
        self.interval = interval;
        self.no_cross_namespace_refs = no_cross_namespace_refs;
        self
    }

    /// Admit an event unless the same one was admitted within the interval.
    pub fn admit(&self, event: &FluxEvent, now: Instant) -> Result<(), Refused> {
        let key = glidepath_notify::event_key(event);
        let Ok(mut seen) = self.seen.lock() else { return Ok(()) };
        if seen.len() > 100_000 {
            seen.retain(|_, t| now.duration_since(*t) < self.interval);
        }
        match seen.get(&key) {
            Some(t) if now.duration_since(*t) < self.interval => Err(Refused::RateLimited),
            _ => {
                seen.insert(key, now);
                Ok(())
            }
        }
    }

    /// Match `event` against every Alert and start a delivery per match.
    pub async fn dispatch(self: &Arc<Self>, event: FluxEvent) {
        let mut labels: Option<Option<BTreeMap<String, String>>> = None;
        for alert in self.alerts.state() {
            let alert_ns = alert.namespace().unwrap_or_default();
            if self.no_cross_namespace_refs && alert_ns != event.involved_object.namespace {
                continue;
            }
            if matching::needs_labels(&alert) && labels.is_none() {
                labels = Some(self.labels_of(&event).await);
            }
            if !matching::source_matches(&alert, &event, labels.as_ref().and_then(Option::as_ref)) {
                continue;
            }
            let filters = match self.filters_of(&alert) {
                Ok(f) => f,
                Err(e) => {
                    self.warn(&alert, "InvalidConfig", &e.to_string()).await;
                    continue;
                }
            };
            if !matching::filters_pass(&alert, &filters, &event) {
                continue;
            }
            let Some(target) = self.target(&alert) else { continue };
            let mut event = event.clone();
            let object_group = event.involved_object.group().to_owned();
            let alert_metadata = alert.spec.event_metadata.clone().unwrap_or_default();
            let summary = alert.spec.summary.as_deref();
            event.metadata =
                glidepath_notify::combine_metadata(&event, &alert_metadata, summary, EVENT_GROUP, &object_group)
                    .metadata;
            let this = Arc::clone(self);
            tokio::spawn(async move {
                let timeout = target
                    .provider
                    .spec
                    .timeout
                    .as_deref()
                    .and_then(|t| glidepath_api::duration::parse(t).ok())
                    .unwrap_or(Duration::from_secs(15));
                let result = match tokio::time::timeout(timeout, this.deliver.deliver(&target, &event)).await {
                    Ok(r) => r,
                    Err(_) => Err(format!("timed out after {timeout:?}")),
                };
                if let Err(e) = result {
                    let message = format!(
                        "failed to send notification for {}/{}: {e}",
                        event.involved_object.kind, event.involved_object.name
                    );
                    this.warn(&target.alert, "NotificationDispatchFailed", &message).await;
                }
            });
        }
    }

    /// The Alert's compiled message filters, compiled again only when the Alert changed.
    fn filters_of(&self, alert: &Alert) -> Result<Arc<matching::MessageFilters>, matching::InvalidConfig> {
        let key = (alert.uid().unwrap_or_default(), alert.resource_version().unwrap_or_default());
        if let Some(f) = self.filters.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(f);
        }
        let f = Arc::new(matching::MessageFilters::compile(alert)?);
        if let Ok(mut m) = self.filters.lock() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(key, Arc::clone(&f));
        }
        Ok(f)
    }

    /// The Alert's Provider and its Secrets, unless it is missing or suspended.
    fn target(&self, alert: &Alert) -> Option<Target> {
        let ns = alert.namespace().unwrap_or_default();
        let provider = self.providers.get(&ObjectRef::new(&alert.spec.provider_ref.name).within(&ns))?;
        if provider.spec.suspend == Some(true) {
            return None;
        }
        let data = |r: &Option<glidepath_api::flux::meta::LocalObjectReference>| -> BTreeMap<String, String> {
            let Some(r) = r else { return BTreeMap::new() };
            let Some(s) = self.secrets.get(&ObjectRef::new(&r.name).within(&ns)) else { return BTreeMap::new() };
            let mut out: BTreeMap<String, String> = s.string_data.clone().unwrap_or_default();
            for (k, v) in s.data.iter().flatten() {
                out.insert(k.clone(), String::from_utf8_lossy(&v.0).into_owned());
            }
            out
        };
        Some(Target {
            alert: alert.clone(),
            secret: data(&provider.spec.secret_ref),
            certs: data(&provider.spec.cert_secret_ref),
            proxy: data(&provider.spec.proxy_secret_ref),
            provider: (*provider).clone(),
        })
    }

    /// The involved object's labels (metadata only), for `matchLabels`.
    async fn labels_of(&self, event: &FluxEvent) -> Option<BTreeMap<String, String>> {
        let o = &event.involved_object;
        let (group, version) = o.api_version.rsplit_once('/')?;
        let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, &o.kind));
        let api: Api<kube::core::PartialObjectMeta<kube::api::DynamicObject>> =
            Api::namespaced_with(self.client.clone(), &o.namespace, &resource);
        api.get_metadata_opt(&o.name).await.ok().flatten().map(|m| m.metadata.labels.unwrap_or_default())
    }

    async fn warn(&self, alert: &Alert, reason: &str, message: &str) {
        crate::sync::publish_event(&self.client, alert, true, reason, message).await;
    }
}
