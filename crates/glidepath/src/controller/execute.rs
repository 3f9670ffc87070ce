//! Execute a decision's actions. Every object write goes through the apply layer
//! (`glidepath_apply::owned`): a server-side apply by `glidepath`, made only when the cached
//! object lacks a desired field or keeps one we stopped wanting; scaling is a merge patch, as
//! Flagger does, so the workload's own managers keep their fields.

use anyhow::Context as _;
use glidepath_api::flagger::canary::AutoscalerRef;
use glidepath_api::flagger::{Canary, CanaryPhase, Provider, Severity, WebhookType};
use glidepath_canary::workload::configs::ConfigRefs;
use glidepath_canary::workload::primary::{self, PrimarySettings};
use glidepath_canary::workload::scaler;
use glidepath_canary::{Action, Routes};
use glidepath_router::{RouteContext, Router, kubernetes};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};
use tracing::info;

use super::checks;
use super::observe::{Workload, to_weights};
use super::reconcile::Context;

/// Everything an action needs about the canary being reconciled.
pub struct Step<'a> {
    pub ctx: &'a Context,
    pub canary: &'a Canary,
    pub target: &'a Workload,
    pub primary: Option<&'a Workload>,
    pub route_ctx: RouteContext<'a>,
    pub router: &'a dyn Router,
    pub provider: Provider,
    pub tracked: &'a ConfigRefs,
    pub routes: Option<Routes>,
    /// Knative: the primary revision and split as last written in this tick, so a promotion
    /// and a route change in one decision build on each other (both live in one object).
    pub knative: std::sync::Mutex<KnativeWrites>,
}

/// What a Knative target's Service carries after this tick's writes so far.
#[derive(Clone, Debug, Default)]
pub struct KnativeWrites {
    pub primary: Option<String>,
    pub routes: Option<Routes>,
}

fn owner(canary: &Canary) -> Option<OwnerReference> {
    let mut o = canary.controller_owner_ref(&())?;
    o.block_owner_deletion = Some(true);
    Some(o)
}

impl Step<'_> {
    fn ns(&self) -> &str {
        self.canary.metadata.namespace.as_deref().unwrap_or_default()
    }

    pub async fn run(&self, action: &Action) -> anyhow::Result<()> {
        if let Workload::Knative(k) = self.target
            && self.run_knative(action, &k.latest).await?
        {
            return Ok(());
        }
        if let Workload::Service(target) = self.target {
            match action {
                // The canary copy follows the target at every tick (Flagger's Initialize).
                Action::EnsureServices => {
                    return self.apply(self.service_copy(target, &self.route_ctx.canary_service())?).await;
                }
                // The target is the apex, and a Service has nothing to scale.
                Action::RouteApexToPrimary | Action::ScaleTargetToZero | Action::ScaleTargetFromZero => return Ok(()),
                _ => {}
            }
        }
        match action {
            Action::EnsureServices => {
                let apex_to_canary =
                    self.provider == Provider::Kubernetes && self.routes.is_some_and(|r| r.canary >= 100);
                for svc in kubernetes::services(&self.route_ctx, apex_to_canary)? {
                    self.apply(svc).await?;
                }
            }
            Action::RouteApexToPrimary => {
                for svc in kubernetes::services(&self.route_ctx, false)? {
                    self.apply(svc).await?;
                }
            }
            Action::EnsurePrimary => {
                if self.primary.is_none() {
                    self.write_primary().await?;
                }
            }
            Action::Promote => self.write_primary().await?,
            Action::ReconcilePrimaryScaler => self.primary_scaler().await?,
            Action::ScaleTargetToZero => self.scale_target(false).await?,
            Action::ScaleTargetFromZero => self.scale_target(true).await?,
            Action::ReconcileRoutes => {
                if self.provider != Provider::Kubernetes {
                    let w = self.routes.unwrap_or(Routes::ALL_PRIMARY);
                    for obj in self.router.desired(&self.route_ctx, to_weights(w))? {
                        self.apply(obj).await?;
                    }
                }
            }
            Action::SetRoutes(r) => {
                for obj in self.router.desired(&self.route_ctx, to_weights(*r))? {
                    self.apply(obj).await?;
                }
            }
            Action::AcknowledgeManual => self.acknowledge_manual().await?,
            Action::CallHooks { kind, phase } => self.post_hooks(*kind, *phase).await,
            Action::Event { warning, message } => self.ctx.event(self.canary, *warning, message).await,
            Action::Alert { severity, message } => self.alert(*severity, message),
            Action::RecordResult { strategy, success, skipped } => {
                let labels = super::metrics::ResultLabels {
                    name: self.canary.spec.target_ref.name.clone(),
                    namespace: self.ns().to_owned(),
                    deployment_strategy: strategy.as_str().to_owned(),
                    analysis_status: if *skipped { "skipped" } else { "completed" }.to_owned(),
                };
                let family = if *success { &self.ctx.metrics.successes } else { &self.ctx.metrics.failures };
                family.get_or_create(&labels).inc();
            }
        }
        Ok(())
    }

    /// The actions that differ for a Knative target, whose primary is a revision: returns
    /// false for the others. Nothing to scale (Knative scales revisions) and no Services
    /// (Knative makes its own).
    async fn run_knative(&self, action: &Action, latest: &str) -> anyhow::Result<bool> {
        let (primary, routes) = match action {
            // Initialization takes the revision in place as the primary (Flagger's Initialize).
            Action::EnsurePrimary => (Some(latest.to_owned()), Some(Routes::ALL_PRIMARY)),
            Action::Promote => (Some(latest.to_owned()), None),
            Action::ReconcileRoutes => (None, None),
            Action::SetRoutes(r) => (None, Some(*r)),
            Action::EnsureServices
            | Action::RouteApexToPrimary
            | Action::ReconcilePrimaryScaler
            | Action::ScaleTargetToZero
            | Action::ScaleTargetFromZero => return Ok(true),
            _ => return Ok(false),
        };
        let (primary, routes) = {
            let mut w = self.knative.lock().map_err(|_| anyhow::anyhow!("knative state lock poisoned"))?;
            if primary.is_some() {
                w.primary = primary;
            }
            if routes.is_some() {
                w.routes = routes;
            }
            (w.primary.clone(), w.routes.or(self.routes).unwrap_or(Routes::ALL_PRIMARY))
        };
        let primary = primary.as_deref().or(self.route_ctx.primary_revision);
        let ctx = self.route_ctx.clone().with_primary_revision(primary);
        for obj in self.router.desired(&ctx, to_weights(routes))? {
            self.apply(obj).await?;
        }
        Ok(true)
    }

    /// Remove the promote/abort annotations. A merge patch, because they were set by a person
    /// (another field manager) and only their removal is ours to do.
    async fn acknowledge_manual(&self) -> anyhow::Result<()> {
        use glidepath_api::flagger::defaults::{ABORT_ANNOTATION, PROMOTE_ANNOTATION};
        let api: Api<Canary> = Api::namespaced(self.ctx.client.clone(), self.ns());
        let patch = json!({"metadata": {"annotations": {PROMOTE_ANNOTATION: null, ABORT_ANNOTATION: null}}});
        api.patch(&self.canary.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .context("remove the promote/abort request annotation")?;
        Ok(())
    }

    fn alert(&self, severity: Severity, message: &str) {
        info!(canary = %self.canary.name_any(), namespace = self.ns(), ?severity, message, "alert");
        super::analysis::alert(&self.ctx.caches, &self.ctx.settings, self.canary, severity, message);
    }

    async fn post_hooks(&self, kind: WebhookType, phase: CanaryPhase) {
        if let glidepath_canary::Verdict::Fail { reason, .. } =
            checks::run_hooks(&self.ctx.webhooks, self.canary, kind, phase).await
        {
            self.ctx.event(self.canary, true, &format!("{} hook failed: {reason}", kind.as_str())).await;
        }
    }

    /// One object through the apply layer: server-side apply under `glidepath`, skipped when
    /// the cached object has every desired field and no field we stopped wanting. An object
    /// that exists without our ownerReference was made by someone else: we never add one.
    pub async fn apply(&self, mut obj: Value) -> anyhow::Result<()> {
        let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_owned();
        let kind = obj["kind"].as_str().unwrap_or_default().to_owned();
        let name = obj["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        // The object's own namespace: none for cluster-scoped kinds (Kuma's TrafficRoute).
        let ns = obj["metadata"]["namespace"].as_str().unwrap_or_default().to_owned();
        let live = self.ctx.caches.get_json(&api_version, &kind, &ns, &name).await.ok().flatten();
        glidepath_apply::owned::disown_foreign(&mut obj, live.as_ref(), self.canary.uid().as_deref());
        self.ctx.applier.apply_owned(&obj, live.as_ref()).await.with_context(|| format!("apply {kind} {ns}/{name}"))?;
        Ok(())
    }

    /// Create or update the primary workload and its `-primary` ConfigMaps/Secrets.
    async fn write_primary(&self) -> anyhow::Result<()> {
        self.write_primary_configs().await?;
        let prefixes = &self.ctx.settings.include_label_prefixes;
        let labels: Vec<&str> = self.ctx.settings.selector_labels.iter().map(String::as_str).collect();
        let settings = PrimarySettings {
            selector_labels: &labels,
            include_label_prefixes: prefixes,
            tracked: self.tracked,
            has_autoscaler: self.canary.spec.autoscaler_ref.is_some(),
            owner: owner(self.canary),
        };
        let mut obj = match self.target {
            Workload::Deployment(d) => {
                let mut p = serde_json::to_value(primary::primary_deployment(d, &settings)?)?;
                p["apiVersion"] = json!("apps/v1");
                p["kind"] = json!("Deployment");
                // An autoscaler owns the primary's replicas once it exists; before, start
                // from the target's.
                if settings.has_autoscaler && self.primary.is_none() {
                    p["spec"]["replicas"] = json!(d.spec.replicas.unwrap_or(1).max(1));
                }
                p
            }
            Workload::DaemonSet(d) => {
                let mut p = serde_json::to_value(primary::primary_daemon_set(d, &settings)?)?;
                p["apiVersion"] = json!("apps/v1");
                p["kind"] = json!("DaemonSet");
                p
            }
            Workload::Service(t) => self.service_copy(t, &self.route_ctx.primary())?,
            // Its primary is a revision (`run_knative`).
            Workload::Knative(_) => return Ok(()),
        };
        if let Some(m) = obj.as_object_mut() {
            m.remove("status");
        }
        self.apply(obj).await
    }

    /// A copy of a Service target, named `name` (its `-primary` or `-canary`).
    fn service_copy(&self, target: &k8s_openapi::api::core::v1::Service, name: &str) -> anyhow::Result<Value> {
        let settings = PrimarySettings {
            selector_labels: &[],
            include_label_prefixes: &self.ctx.settings.include_label_prefixes,
            tracked: self.tracked,
            has_autoscaler: false,
            owner: owner(self.canary),
        };
        let mut obj = serde_json::to_value(glidepath_canary::workload::service::service_copy(target, name, &settings))?;
        obj["apiVersion"] = json!("v1");
        obj["kind"] = json!("Service");
        Ok(obj)
    }

    async fn write_primary_configs(&self) -> anyhow::Result<()> {
        let caches = &self.ctx.caches;
        let owner = owner(self.canary).map(|o| json!([o]));
        for name in &self.tracked.config_maps {
            let Some(cm) = caches.config_maps.get(&ObjectRef::new(name).within(self.ns())) else { continue };
            let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("{name}-primary"), "namespace": self.ns(), "ownerReferences": owner},
                "data": cm.data.clone().unwrap_or_default()});
            if let Some(b) = &cm.binary_data {
                obj["binaryData"] = serde_json::to_value(b)?;
            }
            self.apply(obj).await?;
        }
        for name in &self.tracked.secrets {
            let Some(s) = caches.secrets.get(&ObjectRef::new(name).within(self.ns())) else { continue };
            let obj = json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": format!("{name}-primary"), "namespace": self.ns(), "ownerReferences": owner},
                "type": s.type_.clone().unwrap_or_else(|| "Opaque".into()),
                "data": serde_json::to_value(s.data.clone().unwrap_or_default())?});
            self.apply(obj).await?;
        }
        Ok(())
    }

    /// `<autoscaler>-primary`, scaling the primary: an HPA, or a KEDA ScaledObject.
    async fn primary_scaler(&self) -> anyhow::Result<()> {
        let Some(r) = &self.canary.spec.autoscaler_ref else { return Ok(()) };
        match r.kind.as_str() {
            "ScaledObject" => self.primary_scaled_object(r).await,
            _ => self.primary_hpa(r).await,
        }
    }

    async fn primary_hpa(&self, r: &AutoscalerRef) -> anyhow::Result<()> {
        let Some(hpa) = self.ctx.caches.hpas.get(&ObjectRef::new(&r.name).within(self.ns())) else {
            anyhow::bail!("HorizontalPodAutoscaler {}/{} not found (spec.autoscalerRef)", self.ns(), r.name);
        };
        let mut spec = serde_json::to_value(&hpa.spec)?;
        spec["scaleTargetRef"]["name"] = json!(self.canary.spec.primary_workload_name());
        if let Some(replicas) = &r.primary_scaler_replicas {
            if let Some(min) = replicas.min_replicas {
                spec["minReplicas"] = json!(min);
            }
            if let Some(max) = replicas.max_replicas {
                spec["maxReplicas"] = json!(max);
            }
        }
        let obj = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": format!("{}-primary", r.name), "namespace": self.ns(), "ownerReferences": owner(self.canary).map(|o| vec![o])},
            "spec": spec});
        self.apply(obj).await
    }

    async fn primary_scaled_object(&self, r: &AutoscalerRef) -> anyhow::Result<()> {
        let live = self.ctx.caches.get_json(&r.api_version, "ScaledObject", self.ns(), &r.name).await?;
        let Some(target) = live else {
            anyhow::bail!("ScaledObject {}/{} not found (spec.autoscalerRef)", self.ns(), r.name);
        };
        let spec = scaler::primary_scaled_object_spec(&target["spec"], r, &self.canary.spec.target_ref.name);
        let obj = json!({"apiVersion": r.api_version, "kind": "ScaledObject",
            "metadata": {"name": format!("{}-primary", r.name), "namespace": self.ns(), "ownerReferences": owner(self.canary).map(|o| vec![o])},
            "spec": spec});
        self.apply(obj).await
    }

    /// KEDA: hold the target's ScaledObject while its workload is at zero (Flagger's
    /// Pause/ResumeTargetScaler), so KEDA does not scale it back up. A merge patch: the
    /// ScaledObject is the user's, only the annotation is ours.
    async fn pause_target_scaler(&self, paused: bool) -> anyhow::Result<()> {
        let Some(r) = self.canary.spec.autoscaler_ref.as_ref().filter(|r| r.kind == "ScaledObject") else {
            return Ok(());
        };
        let Some(live) = self.ctx.caches.get_json(&r.api_version, "ScaledObject", self.ns(), &r.name).await? else {
            return Ok(());
        };
        if live["metadata"]["annotations"].get(scaler::PAUSED_REPLICAS).is_some() == paused {
            return Ok(());
        }
        let (group, version) = r.api_version.split_once('/').unwrap_or(("", &r.api_version));
        let resource =
            kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(group, version, "ScaledObject"));
        let api: Api<kube::api::DynamicObject> = Api::namespaced_with(self.ctx.client.clone(), self.ns(), &resource);
        api.patch(&r.name, &PatchParams::default(), &Patch::Merge(scaler::pause_patch(paused))).await.with_context(
            || format!("{} ScaledObject {}/{}", if paused { "pause" } else { "resume" }, self.ns(), r.name),
        )?;
        Ok(())
    }

    /// Scale the target down to zero, or back up for a run.
    async fn scale_target(&self, up: bool) -> anyhow::Result<()> {
        self.pause_target_scaler(!up).await?;
        let name = self.canary.spec.target_ref.name.as_str();
        let pp = PatchParams::default();
        match self.target {
            Workload::Deployment(d) => {
                let current = d.spec.replicas.unwrap_or(1);
                let want = if up { self.scale_up_replicas(current) } else { 0 };
                if current == want {
                    return Ok(());
                }
                let api: Api<k8s_openapi::api::apps::v1::Deployment> =
                    Api::namespaced(self.ctx.client.clone(), self.ns());
                api.patch(name, &pp, &Patch::Merge(json!({"spec": {"replicas": want}})))
                    .await
                    .with_context(|| format!("scale Deployment {}/{name} to {want}", self.ns()))?;
            }
            Workload::DaemonSet(ds) => {
                let key = primary::DAEMONSET_SCALE_TO_ZERO;
                let has = ds
                    .spec
                    .template
                    .spec
                    .as_ref()
                    .and_then(|s| s.node_selector.as_ref())
                    .is_some_and(|n| n.contains_key(key));
                if has != up {
                    return Ok(());
                }
                let value = if up { Value::Null } else { json!("true") };
                let api: Api<k8s_openapi::api::apps::v1::DaemonSet> =
                    Api::namespaced(self.ctx.client.clone(), self.ns());
                api.patch(
                    name,
                    &pp,
                    &Patch::Merge(json!({"spec": {"template": {"spec": {"nodeSelector": {key: value}}}}})),
                )
                .await
                .with_context(|| format!("scale DaemonSet {}/{name}", self.ns()))?;
            }
            Workload::Knative(_) | Workload::Service(_) => {}
        }
        Ok(())
    }

    /// Replicas for a run: the target's own if > 0, else the primary's (no autoscaler), else
    /// the autoscaler's minimum if > 1, else 1.
    fn scale_up_replicas(&self, current: i32) -> i32 {
        if current > 0 {
            return current;
        }
        if self.canary.spec.autoscaler_ref.is_none()
            && let Some(Workload::Deployment(p)) = self.primary
            && let Some(r) = p.spec.replicas.filter(|r| *r > 0)
        {
            return r;
        }
        let hpa_min = self.canary.spec.autoscaler_ref.as_ref().and_then(|r| {
            self.ctx.caches.hpas.get(&ObjectRef::new(&r.name).within(self.ns())).and_then(|h| h.spec.min_replicas)
        });
        hpa_min.filter(|m| *m > 1).unwrap_or(1)
    }
}
