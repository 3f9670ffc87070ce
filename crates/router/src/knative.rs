//! `knative`: the target is a Knative Service (`serving.knative.dev/v1`), and Knative routes
//! by revision. There is no primary workload: the revision that serves as primary is named in
//! the Service's `flagger.app/primary-revision` annotation, and the canary is the latest
//! revision. The split is the Service's own `spec.traffic`:
//! `[{latestRevision: true, percent: canary}, {revisionName: <primary>, percent: primary}]`.
//!
//! The Service is the user's: the desired object carries only the two fields this router
//! owns (the annotation and `spec.traffic`), no ownerReference and no GitOps opt-out (which
//! would stop Flux from syncing the user's own object). No request matching or mirroring.

use serde_json::{Value, json};

use crate::{RouteContext, Router, RouterError, Weights, refuse_ab, refuse_mirroring, weight_value};

pub const API_VERSION: &str = "serving.knative.dev/v1";
/// The annotation naming the primary revision (Flagger's).
pub const PRIMARY_REVISION: &str = "flagger.app/primary-revision";
const NAME: &str = "knative";

/// The Knative router.
#[derive(Clone, Copy, Debug, Default)]
pub struct KnativeRouter;

/// The Knative Service's fields this router owns: the primary revision and the split.
pub fn service(namespace: &str, name: &str, primary_revision: &str, weights: Weights) -> Value {
    json!({
        "apiVersion": API_VERSION,
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "annotations": {PRIMARY_REVISION: primary_revision}},
        // `latestRevision: false` is Knative's default for a named revision, written out so
        // the object Knative stores is exactly the one applied.
        "spec": {"traffic": [
            {"latestRevision": true, "percent": weights.canary},
            {"revisionName": primary_revision, "latestRevision": false, "percent": weights.primary},
        ]},
    })
}

/// The primary revision a Knative Service names, if any.
pub fn primary_revision(service: &Value) -> Option<&str> {
    service["metadata"]["annotations"][PRIMARY_REVISION].as_str().filter(|r| !r.is_empty())
}

impl Router for KnativeRouter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        refuse_ab(NAME, ctx)?;
        refuse_mirroring(NAME, weights)?;
        let target = &ctx.canary.spec.target_ref.name;
        let Some(primary) = ctx.primary_revision.filter(|r| !r.is_empty()) else {
            return Err(RouterError::BuildRoutes {
                provider: NAME,
                field: "spec.targetRef",
                message: format!(
                    "Knative Service {}/{target} has no revision yet (status.latestCreatedRevisionName)",
                    ctx.namespace()
                ),
            });
        };
        Ok(vec![service(ctx.namespace(), target, primary, weights)])
    }

    /// The split in `spec.traffic`, which this router owns: Knative reports it in
    /// `status.traffic` only once its controller has caught up, and a lagging status must not
    /// read as a step that never happened.
    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let target = &ctx.canary.spec.target_ref.name;
        let svc = objects
            .iter()
            .find(|o| o["apiVersion"] == API_VERSION && o["kind"] == "Service" && o["metadata"]["name"] == *target)?;
        let primary = primary_revision(svc)?;
        let traffic = svc["spec"]["traffic"].as_array()?;
        let latest = |t: &&Value| t["latestRevision"] == true;
        // Knative reads an omitted percent as 0.
        let percent = |t: &Value| weight_value(&t["percent"]).unwrap_or(0);
        let canary = traffic.iter().find(latest).map(percent)?;
        let primary = traffic.iter().find(|t| !latest(t) && t["revisionName"] == primary).map(percent)?;
        Some(Weights { primary, canary, mirrored: false })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "Service")]
    }
}
