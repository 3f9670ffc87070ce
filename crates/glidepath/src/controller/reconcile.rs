//! One reconcile of one Canary: validate, observe, plan (running the checks it asks for),
//! execute, write status.

use std::sync::Arc;
use std::time::Duration;

use glidepath_api::flagger::{Canary, CanaryStatus, ConditionStatus};
use glidepath_canary::workload::primary::selector_label;
use glidepath_canary::{Plan, Verdicts, plan};
use glidepath_router::{RouteContext, for_provider_with};
use glidepath_webhooks::WebhookClient;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, ResourceExt};
use serde_json::json;
use tracing::{Instrument as _, debug, info, warn};

use super::analysis::LiveMetrics;
use super::caches::Caches;
use super::checks::{self, MetricAnalysis};
use super::execute::Step;
use super::metrics::{CanaryLabels, Metrics, WorkloadLabels};
use super::observe;
use super::status::{self, VALIDATED_CONDITION};
use super::{FIELD_MANAGER, Settings};

/// Events already published: (canary uid, warning, message) → (event name, count).
type PublishedEvents = std::collections::HashMap<(String, bool, String), (String, i32)>;

/// Shared by every reconcile.
pub struct Context {
    pub client: Client,
    pub settings: Settings,
    pub caches: Caches,
    pub metrics: Arc<Metrics>,
    pub webhooks: WebhookClient,
    pub metric_analysis: Arc<dyn MetricAnalysis>,
    /// The one write path of every object the controller owns (field manager `glidepath`).
    pub applier: glidepath_apply::Applier,
    events: std::sync::Mutex<PublishedEvents>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Retry period when a reconcile could not decide (missing target, API errors).
const RETRY: Duration = Duration::from_secs(10);

impl Context {
    pub fn new(client: Client, settings: Settings, caches: Caches, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        Ok(Context {
            webhooks: WebhookClient::with_backoff(settings.webhook_backoff)?,
            metric_analysis: Arc::new(LiveMetrics {
                caches: caches.clone(),
                settings: settings.clone(),
                metrics: metrics.clone(),
                client: client.clone(),
            }),
            applier: glidepath_apply::Applier::new(client.clone()).with_manager(FIELD_MANAGER),
            client,
            settings,
            caches,
            metrics,
            events: Default::default(),
        })
    }

    /// A Kubernetes Event on the canary (reason `Synced`, component `glidepath`, as Flagger
    /// does with `flagger`) and a log line. A repeated message bumps the count of its Event
    /// instead of creating another.
    pub async fn event(&self, canary: &Canary, warning: bool, message: &str) {
        let (name, ns) = (canary.name_any(), canary.namespace().unwrap_or_default());
        if warning {
            warn!(canary = %name, namespace = %ns, "{message}");
        } else {
            info!(canary = %name, namespace = %ns, "{message}");
        }
        if let Err(e) = self.publish(canary, warning, message).await {
            debug!(error = %e, "publish event");
        }
        // Flagger's reason for every event; Alerts select Canaries like any Flux kind.
        let flux =
            crate::notification::event::about(canary, warning, "Synced", message, &[], "flagger", Timestamp::now());
        self.settings.events.send(flux);
    }

    async fn publish(&self, canary: &Canary, warning: bool, message: &str) -> anyhow::Result<()> {
        let ns = canary.namespace().unwrap_or_default();
        let api: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(self.client.clone(), &ns);
        let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(Timestamp::now());
        let message: String = message.chars().take(1024).collect();
        let key = (canary.uid().unwrap_or_default(), warning, message.clone());
        let known = self.events.lock().map(|m| m.get(&key).cloned()).unwrap_or(None);
        if let Some((event_name, count)) = known {
            let patch = json!({"count": count + 1, "lastTimestamp": now});
            if api.patch(&event_name, &PatchParams::default(), &Patch::Merge(&patch)).await.is_ok() {
                if let Ok(mut m) = self.events.lock() {
                    m.insert(key, (event_name, count + 1));
                }
                return Ok(());
            }
        }
        let event_name = format!("{}.{:x}", canary.name_any(), Timestamp::now().as_nanosecond());
        let event = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": event_name, "namespace": ns},
            "involvedObject": {"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": canary.name_any(),
                "namespace": ns, "uid": canary.uid(), "resourceVersion": canary.resource_version()},
            "reason": "Synced", "message": message, "type": if warning { "Warning" } else { "Normal" },
            "source": {"component": FIELD_MANAGER}, "reportingComponent": FIELD_MANAGER,
            "firstTimestamp": now, "lastTimestamp": now, "count": 1
        });
        api.create(&PostParams::default(), &serde_json::from_value(event)?).await?;
        if let Ok(mut m) = self.events.lock() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(key, (event_name, 1));
        }
        Ok(())
    }

    pub async fn write_status(&self, canary: &Canary, status: &CanaryStatus) -> anyhow::Result<()> {
        let api: Api<Canary> = Api::namespaced(self.client.clone(), &canary.namespace().unwrap_or_default());
        let patch = json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "status": status});
        api.patch_status(&canary.name_any(), &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&patch)).await?;
        Ok(())
    }
}

/// Reconcile one canary; returns when to come back (`None`: it is gone).
pub async fn reconcile(ctx: &Context, namespace: &str, name: &str) -> Option<Duration> {
    let canary = ctx.caches.canaries.get(&ObjectRef::new(name).within(namespace))?;
    let canary: Canary = (*canary).clone();
    let status = canary.status.as_ref();
    let span = tracing::info_span!(
        "reconcile",
        kind = "Canary",
        namespace,
        object = name,
        revision = status.and_then(|s| s.last_applied_spec.as_deref()).unwrap_or_default(),
        phase = status.map(|s| format!("{:?}", s.phase)).unwrap_or_default(),
        outcome = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let result = step(ctx, &canary).instrument(span.clone()).await;
    span.record("outcome", if result.is_ok() { "success" } else { "error" });
    let labels = CanaryLabels { name: canary.spec.target_ref.name.clone(), namespace: namespace.to_owned() };
    ctx.metrics.duration.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    let next = match result {
        Ok(next) => next,
        Err(e) => {
            ctx.metrics.errors.get_or_create(&labels).inc();
            ctx.event(&canary, true, &format!("{e:#}")).await;
            RETRY
        }
    };
    Some(next / ctx.settings.speed.max(1))
}

async fn step(ctx: &Context, canary: &Canary) -> anyhow::Result<Duration> {
    if canary.metadata.deletion_timestamp.is_some() {
        return if canary.finalizers().iter().any(|f| f == super::finalizer::FINALIZER) {
            super::finalizer::finalize(ctx, canary).await
        } else {
            Ok(RETRY)
        };
    }
    super::finalizer::sync(ctx, canary).await?;
    let now = Timestamp::now();
    let interval = canary.spec.analysis.as_ref().map(|a| a.interval()).unwrap_or(Duration::from_secs(60));
    let validation = canary.spec.validate(&ctx.settings.mesh_provider);
    if !validation.is_valid() {
        mark_invalid(ctx, canary, &validation.errors.to_string(), now).await?;
        return Ok(interval);
    }
    let Some(provider) = canary.spec.effective_provider(&ctx.settings.mesh_provider) else {
        return Ok(interval);
    };
    let router = for_provider_with(provider, &ctx.settings.router);
    if let Some(message) = observe::unsupported(provider, canary) {
        mark_invalid(ctx, canary, &message, now).await?;
        return Ok(interval);
    }
    // Cookies first: the routers build sticky routes from the status.
    let with_cookies;
    let canary = match super::affinity::assign(canary, provider, super::affinity::salt()) {
        Some(status) => {
            // Retiring omits the cookie: the status apply removes the field it no longer sends.
            ctx.write_status(canary, &status).await?;
            with_cookies = Canary { status: Some(status), ..canary.clone() };
            &with_cookies
        }
        None => canary,
    };
    let ns = canary.namespace().unwrap_or_default();
    let Some(target) = observe::target(&ctx.caches, canary).await? else {
        anyhow::bail!(
            "{} {}/{} not found (spec.targetRef)",
            canary.spec.target_ref.kind,
            ns,
            canary.spec.target_ref.name
        );
    };
    let labels: Vec<&str> = ctx.settings.selector_labels.iter().map(String::as_str).collect();
    // A Knative Service is routed by revision: no selector, no Services of ours.
    let selected = match target.selector() {
        Some(selector) => selector_label(selector, &labels, target.kind(), &canary.spec.target_ref.name),
        None => Ok((String::new(), String::new())),
    };
    let (label, value) = match selected {
        Ok(lv) => lv,
        Err(e) => {
            mark_invalid(ctx, canary, &e.to_string(), now).await?;
            return Ok(interval);
        }
    };
    let (tracked, configs) = observe::tracked_configs(&ctx.caches, &ns, &target);
    let svc = canary.spec.service.clone().unwrap_or_default();
    let discovered = if svc.port_discovery.unwrap_or(false) {
        let target_port = match &svc.target_port {
            Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(p)) => *p,
            _ => svc.port,
        };
        observe::discover_ports(target.pod_spec(), &[svc.port, target_port])
    } else {
        Vec::new()
    };
    let ingress = observe::referenced_ingress(&ctx.caches, provider, canary).await?;
    let primary_revision = match &target {
        observe::Workload::Knative(k) => Some(k.primary.as_deref().unwrap_or(&k.latest)),
        _ => None,
    };
    let route_ctx = RouteContext::new(canary, &label, &value, &discovered, canary.spec.strategy(Some(provider)))
        .with_ingress(ingress.as_ref())
        .with_primary_revision(primary_revision);
    // Missing CRDs (kind not served) or a spec the router cannot express: a condition and an
    // event, and another try next interval (the CRDs may be installed meanwhile).
    let objects = match observe::route_objects(&ctx.caches, router.as_ref(), &route_ctx).await {
        Ok(o) => o,
        Err(e) => {
            mark_blocked(ctx, canary, "RoutesUnavailable", &format!("{e:#}"), now).await?;
            return Ok(interval);
        }
    };
    let routes = router.observed(&route_ctx, &objects).map(observe::to_routes);
    let analysis = canary.spec.analysis.clone().unwrap_or_default();
    let target_ready = observe::judge(&target, analysis.canary_ready_threshold(), canary, now);
    let primary = observe::primary(&ctx.caches, canary);
    let primary_ready =
        observe::judge_primary(&target, primary.as_ref(), analysis.primary_ready_threshold(), canary, now);
    let manual = glidepath_canary::Manual::requested(canary);
    let observed = observe::observed(provider, &target, target_ready, primary_ready, configs, routes, manual);

    let mut verdicts = Verdicts::default();
    let decision = loop {
        match plan(canary, &observed, &verdicts, now) {
            Plan::Decided(d) => break d,
            Plan::Need(needed) => {
                for check in needed {
                    let v = checks::run(&ctx.webhooks, &ctx.metric_analysis, canary, check).await;
                    verdicts.insert(check, v);
                }
            }
        }
    };
    let exec = Step {
        ctx,
        canary,
        target: &target,
        primary: primary.as_ref(),
        route_ctx,
        router: router.as_ref(),
        provider,
        tracked: &tracked,
        routes,
        knative: Default::default(),
    };
    for action in &decision.actions {
        exec.run(action).await?;
    }
    let current = canary.status.clone().unwrap_or_default();
    if let Some(next) = status::next(&current, &decision.status, target.kind(), now) {
        ctx.write_status(canary, &next).await?;
        record_gauges(ctx, canary, &next);
    }
    Ok(decision.requeue_after)
}

fn record_gauges(ctx: &Context, canary: &Canary, s: &CanaryStatus) {
    let ns = canary.namespace().unwrap_or_default();
    let target = canary.spec.target_ref.name.clone();
    ctx.metrics
        .status
        .get_or_create(&CanaryLabels { name: target.clone(), namespace: ns.clone() })
        .set(s.phase.status_gauge());
    let w = i64::from(s.canary_weight.unwrap_or(0));
    ctx.metrics.weight.get_or_create(&WorkloadLabels { workload: target.clone(), namespace: ns.clone() }).set(w);
    ctx.metrics
        .weight
        .get_or_create(&WorkloadLabels { workload: format!("{target}-primary"), namespace: ns })
        .set(100 - w);
}

/// An invalid spec: condition `Validated=False` with the errors, and one Warning event.
async fn mark_invalid(ctx: &Context, canary: &Canary, message: &str, now: Timestamp) -> anyhow::Result<()> {
    mark_blocked(ctx, canary, "InvalidSpec", message, now).await
}

/// `Validated=False` with `reason` and an event, once per distinct message.
async fn mark_blocked(
    ctx: &Context,
    canary: &Canary,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    let mut s = canary.status.clone().unwrap_or_default();
    let same = s
        .conditions
        .iter()
        .flatten()
        .any(|c| c.r#type == VALIDATED_CONDITION && c.status == "False" && c.message.as_deref() == Some(message));
    if same {
        return Ok(());
    }
    status::set_condition(&mut s, VALIDATED_CONDITION, ConditionStatus::False, reason.into(), message.into(), now);
    ctx.write_status(canary, &s).await?;
    let prefix = if reason == "InvalidSpec" { "Invalid canary spec" } else { "Cannot route traffic" };
    ctx.event(canary, true, &format!("{prefix}: {message}")).await;
    Ok(())
}
