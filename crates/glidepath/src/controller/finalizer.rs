//! `revertOnDeletion` (reference §2.8): while the flag is set the Canary carries the finalizer
//! `finalizer.flagger.app`; when it is deleted the target is scaled back up and must be ready
//! before the finalizer goes, so the workload keeps serving after Glidepath lets go. The
//! generated objects (primary, Services, routes) are owned by the Canary and garbage-collected;
//! an apex Service the user made (never owned by the Canary) selects the target's pods again.
//! A Knative Service target loses our annotation and traffic split, so it routes to its
//! latest revision again.

use std::time::Duration;

use glidepath_api::flagger::{Canary, CanaryPhase};
use glidepath_canary::Readiness;
use glidepath_canary::workload::primary::selector_label;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::observe::{self, Workload};
use super::reconcile::Context;

pub const FINALIZER: &str = "finalizer.flagger.app";

fn has(canary: &Canary) -> bool {
    canary.finalizers().iter().any(|f| f == FINALIZER)
}

/// Keep the finalizer in line with `revertOnDeletion`. Returns false when nothing else should
/// happen this tick.
pub async fn sync(ctx: &Context, canary: &Canary) -> anyhow::Result<bool> {
    let wanted = canary.spec.revert_on_deletion();
    if wanted == has(canary) {
        return Ok(true);
    }
    let mut finalizers: Vec<String> = canary.finalizers().iter().filter(|f| *f != FINALIZER).cloned().collect();
    if wanted {
        finalizers.push(FINALIZER.to_owned());
    }
    // The resourceVersion makes this a compare-and-swap: other finalizers are never lost.
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": canary.resource_version()}});
    let api: Api<Canary> = Api::namespaced(ctx.client.clone(), &canary.namespace().unwrap_or_default());
    api.patch(&canary.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
    Ok(true)
}

/// A deleted Canary with our finalizer: restore the target, then let the deletion finish.
/// Returns when to look again.
pub async fn finalize(ctx: &Context, canary: &Canary) -> anyhow::Result<Duration> {
    let ns = canary.namespace().unwrap_or_default();
    let retry = Duration::from_secs(3) / ctx.settings.speed.max(1);
    if let Some(target) = observe::target(&ctx.caches, canary).await? {
        let primary = observe::primary(&ctx.caches, canary);
        match &target {
            Workload::Deployment(d) => {
                let want = match &primary {
                    Some(Workload::Deployment(p)) => p.spec.replicas.unwrap_or(1).max(1),
                    _ => 1,
                };
                if d.spec.replicas.unwrap_or(1) == 0 {
                    let api: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(ctx.client.clone(), &ns);
                    api.patch(
                        &canary.spec.target_ref.name,
                        &PatchParams::default(),
                        &Patch::Merge(json!({"spec": {"replicas": want}})),
                    )
                    .await?;
                    ctx.event(
                        canary,
                        false,
                        &format!("Scaling up {}.{ns} before deletion", canary.spec.target_ref.name),
                    )
                    .await;
                    return Ok(retry);
                }
            }
            Workload::DaemonSet(ds) => {
                let key = glidepath_canary::workload::primary::DAEMONSET_SCALE_TO_ZERO;
                let zeroed = ds
                    .spec
                    .template
                    .spec
                    .as_ref()
                    .and_then(|s| s.node_selector.as_ref())
                    .is_some_and(|n| n.contains_key(key));
                if zeroed {
                    let api: Api<k8s_openapi::api::apps::v1::DaemonSet> = Api::namespaced(ctx.client.clone(), &ns);
                    let patch = json!({"spec": {"template": {"spec": {"nodeSelector": {key: null}}}}});
                    api.patch(&canary.spec.target_ref.name, &PatchParams::default(), &Patch::Merge(patch)).await?;
                    return Ok(retry);
                }
            }
            Workload::Knative(k) => {
                if release_knative_service(ctx, canary, &k.service).await? {
                    return Ok(retry);
                }
            }
            // The target Service was never changed; its copies are garbage-collected.
            Workload::Service(_) => {}
        }
        let threshold = canary.spec.analysis.as_ref().map_or(100, |a| a.canary_ready_threshold());
        if let Readiness::Waiting(msg) = observe::judge(&target, threshold, canary, Timestamp::now()) {
            ctx.event(
                canary,
                false,
                &format!("Waiting for {}.{ns} before deletion: {msg}", canary.spec.target_ref.name),
            )
            .await;
            return Ok(retry);
        }
    }
    revert_apex_service(ctx, canary).await?;
    if canary.status.as_ref().map(|s| s.phase) != Some(CanaryPhase::Terminating) {
        let mut status = canary.status.clone().unwrap_or_default();
        status.phase = CanaryPhase::Terminating;
        let _ = ctx.write_status(canary, &status).await;
    }
    let finalizers: Vec<String> = canary.finalizers().iter().filter(|f| *f != FINALIZER).cloned().collect();
    let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": canary.resource_version()}});
    let api: Api<Canary> = Api::namespaced(ctx.client.clone(), &ns);
    api.patch(&canary.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await?;
    ctx.event(canary, false, &format!("Terminated canary {}.{ns}", canary.name_any())).await;
    Ok(retry)
}

/// The apex Service, when the user made it: point its selector back at the target's pods, as
/// Flagger's Finalize does, so it keeps serving once the primary is garbage-collected. Applied
/// with only the selector, so the fields we alone set (routing annotations) go too.
async fn revert_apex_service(ctx: &Context, canary: &Canary) -> anyhow::Result<()> {
    let ns = canary.namespace().unwrap_or_default();
    let name = canary.spec.service_name();
    let Ok(Some(live)) = ctx.caches.get_json("v1", "Service", &ns, name).await else { return Ok(()) };
    let ours = canary.uid().is_some_and(|uid| glidepath_apply::owned::owned_by(&live, &uid));
    let Some(target) = observe::target(&ctx.caches, canary).await?.filter(|_| !ours) else { return Ok(()) };
    let Some(selector) = target.selector() else { return Ok(()) };
    let labels: Vec<&str> = ctx.settings.selector_labels.iter().map(String::as_str).collect();
    let Ok((label, value)) = selector_label(selector, &labels, target.kind(), &canary.spec.target_ref.name) else {
        return Ok(());
    };
    let desired = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {label: value}}});
    if ctx.applier.apply_owned(&desired, Some(&live)).await? {
        ctx.event(canary, false, &format!("Service {name}.{ns} selects {} again", canary.spec.target_ref.name)).await;
    }
    Ok(())
}

/// A Knative target: give up the fields we applied (the primary-revision annotation and
/// `spec.traffic`), so Knative routes to the latest revision again, as without a Canary.
/// Returns whether anything was written.
async fn release_knative_service(ctx: &Context, canary: &Canary, live: &serde_json::Value) -> anyhow::Result<bool> {
    let ns = canary.namespace().unwrap_or_default();
    let name = &canary.spec.target_ref.name;
    let desired = json!({"apiVersion": glidepath_router::knative::API_VERSION, "kind": "Service",
        "metadata": {"name": name, "namespace": ns}});
    let wrote = ctx.applier.apply_owned(&desired, Some(live)).await?;
    if wrote {
        ctx.event(canary, false, &format!("Knative Service {name}.{ns} routes to its latest revision again")).await;
    }
    Ok(wrote)
}
