//! `Canary` (`flagger.app/v1beta1`): the top-level spec and the object references in it.
//! Field names, types and schema constraints follow Flagger 1.44's CRD; defaults are applied by
//! accessors in `defaults.rs`, never by serde, so a round trip keeps exactly what the user wrote.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::analysis::CanaryAnalysis;
use super::service::CanaryService;
use super::status::CanaryStatus;

/// Every `spec.provider` value Glidepath accepts: Flagger's list plus plain `gatewayapi`, which
/// means `gatewayapi:v1` here (upstream silently falls back to Istio for it).
pub const PROVIDERS: &[&str] = &[
    "apisix",
    "appmesh",
    "appmesh:v1beta2",
    "contour",
    "gatewayapi",
    "gatewayapi:v1",
    "gatewayapi:v1beta1",
    "gloo",
    "istio",
    "knative",
    "kubernetes",
    "kuma",
    "linkerd",
    "nginx",
    "osm",
    "skipper",
    "smi:v1alpha1",
    "smi:v1alpha2",
    "smi:v1alpha3",
    "traefik",
];

/// A progressive delivery release of one workload.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "flagger.app",
    version = "v1beta1",
    kind = "Canary",
    plural = "canaries",
    singular = "canary",
    namespaced,
    derive = "PartialEq",
    status = "CanaryStatus",
    category = "all",
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Weight","type":"string","jsonPath":".status.canaryWeight"}"#,
    printcolumn = r#"{"name":"Suspended","type":"boolean","jsonPath":".spec.suspend","priority":1}"#,
    printcolumn = r#"{"name":"FailedChecks","type":"string","jsonPath":".status.failedChecks","priority":1}"#,
    printcolumn = r#"{"name":"Interval","type":"string","jsonPath":".spec.analysis.interval","priority":1}"#,
    printcolumn = r#"{"name":"Mirror","type":"boolean","jsonPath":".spec.analysis.mirror","priority":1}"#,
    printcolumn = r#"{"name":"StepWeight","type":"string","jsonPath":".spec.analysis.stepWeight","priority":1}"#,
    printcolumn = r#"{"name":"StepWeights","type":"string","jsonPath":".spec.analysis.stepWeights","priority":1}"#,
    printcolumn = r#"{"name":"MaxWeight","type":"string","jsonPath":".spec.analysis.maxWeight","priority":1}"#,
    printcolumn = r#"{"name":"LastTransitionTime","type":"string","jsonPath":".status.lastTransitionTime"}"#
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("required" = ["targetRef", "analysis"]))]
pub struct CanarySpec {
    /// Traffic routing provider; overrides the controller's `--mesh-provider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = PROVIDERS))]
    pub provider: Option<String>,

    /// Prometheus address for the built-in metrics; overrides `--metrics-server`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_server: Option<String>,

    /// The workload to release.
    #[serde(default)]
    pub target_ref: TargetRef,

    /// HPA or KEDA ScaledObject of the target, cloned for the primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaler_ref: Option<AutoscalerRef>,

    /// Ingress cloned by the nginx and skipper routers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_ref: Option<KindRef>,

    /// ApisixRoute used by the apisix router.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_ref: Option<KindRef>,

    /// Gloo Upstream whose configuration is copied into the generated ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_ref: Option<UpstreamRef>,

    /// The Services (apex, primary, canary) and mesh routing settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<CanaryService>,

    /// The analysis: interval, steps, metrics, webhooks, alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<CanaryAnalysis>,

    /// Seconds a canary or primary may take to become ready (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_seconds: Option<i32>,

    /// Promote without running metrics or webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_analysis: Option<bool>,

    /// Restore the target and routing when the Canary is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revert_on_deletion: Option<bool>,

    /// Pause the release without touching traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
}

/// `spec.targetRef`: the workload released by the Canary.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("required" = ["apiVersion", "kind", "name"]))]
pub struct TargetRef {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    #[schemars(extend("enum" = ["DaemonSet", "Deployment", "Service"]))]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

/// The API version of Knative Serving's Service, a target kind of its own.
pub const KNATIVE_API_VERSION: &str = "serving.knative.dev/v1";

impl TargetRef {
    /// A Knative Service (`serving.knative.dev/v1` `Service`), routed by revision.
    pub fn is_knative_service(&self) -> bool {
        self.kind == "Service" && self.api_version == KNATIVE_API_VERSION
    }
}

/// A reference by apiVersion, kind and name (`ingressRef`, `routeRef`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("required" = ["apiVersion", "kind", "name"]))]
pub struct KindRef {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

/// `spec.upstreamRef` (Gloo).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("required" = ["apiVersion", "kind", "name"]))]
pub struct UpstreamRef {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    #[schemars(extend("enum" = ["Upstream"]))]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// `spec.autoscalerRef`: HPA (autoscaling/v2) or KEDA ScaledObject.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("required" = ["apiVersion", "kind", "name"]))]
pub struct AutoscalerRef {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    #[schemars(extend("enum" = ["HorizontalPodAutoscaler", "ScaledObject"]))]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// KEDA: queries for the primary ScaledObject's triggers, by trigger name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_scaler_queries: Option<BTreeMap<String, String>>,
    /// Replica bounds for the primary scaler, overriding the target's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_scaler_replicas: Option<ScalerReplicas>,
}

/// `spec.autoscalerRef.primaryScalerReplicas`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScalerReplicas {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub min_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_replicas: Option<i32>,
}
