//! Every Flagger default and derived setting, in one place. The wire types keep exactly what the
//! user wrote; code reads effective values through these accessors.

use std::time::Duration;

use super::alert_provider::AlertProviderSpec;
use super::analysis::{CanaryAlert, CanaryAnalysis, CanaryMetric, CanaryWebhook, SessionAffinity};
use super::canary::{CanarySpec, PROVIDERS};
use crate::duration;

pub const DEFAULT_ANALYSIS_INTERVAL: Duration = Duration::from_secs(60);
pub const MIN_ANALYSIS_INTERVAL: Duration = Duration::from_secs(10);
pub const DEFAULT_PROGRESS_DEADLINE: Duration = Duration::from_secs(600);
pub const DEFAULT_METRIC_INTERVAL: &str = "1m";
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_READY_THRESHOLD: i32 = 100;
pub const DEFAULT_SESSION_MAX_AGE: i32 = 86_400;
pub const DEFAULT_PORT_NAME: &str = "http";
pub const DEFAULT_ALERT_CHANNEL: &str = "general";
pub const DEFAULT_ALERT_USERNAME: &str = "flagger";
/// Iterations forced on a `kubernetes`-provider canary that set none (it can only do blue-green).
pub const KUBERNETES_PROVIDER_ITERATIONS: i32 = 10;
pub const TOTAL_WEIGHT: i32 = 100;
pub const PRIMARY_SUFFIX: &str = "-primary";
pub const CANARY_SUFFIX: &str = "-canary";
/// Glidepath's extension: `glidepath promote` sets this annotation (an RFC 3339 time) on a
/// Canary to end its analysis with a promotion; the controller removes it when handled.
pub const PROMOTE_ANNOTATION: &str = "glidepath.io/promote";
/// Glidepath's extension: `glidepath abort` sets this annotation to roll a release back now.
pub const ABORT_ANNOTATION: &str = "glidepath.io/abort";

/// A routing provider, parsed from `spec.provider` or `--mesh-provider`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Apisix,
    AppMesh,
    AppMeshV1beta2,
    Contour,
    GatewayApiV1,
    GatewayApiV1beta1,
    Gloo,
    Istio,
    Knative,
    Kubernetes,
    Kuma,
    Linkerd,
    Nginx,
    Osm,
    Skipper,
    SmiV1alpha1,
    SmiV1alpha2,
    SmiV1alpha3,
    Traefik,
}

impl Provider {
    /// Parse a provider name; plain `gatewayapi` means `gatewayapi:v1`.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "apisix" => Self::Apisix,
            "appmesh" => Self::AppMesh,
            "appmesh:v1beta2" => Self::AppMeshV1beta2,
            "contour" => Self::Contour,
            "gatewayapi" | "gatewayapi:v1" => Self::GatewayApiV1,
            "gatewayapi:v1beta1" => Self::GatewayApiV1beta1,
            "gloo" => Self::Gloo,
            "istio" => Self::Istio,
            "knative" => Self::Knative,
            "kubernetes" => Self::Kubernetes,
            "kuma" => Self::Kuma,
            "linkerd" => Self::Linkerd,
            "nginx" => Self::Nginx,
            "osm" => Self::Osm,
            "skipper" => Self::Skipper,
            "smi:v1alpha1" => Self::SmiV1alpha1,
            "smi:v1alpha2" => Self::SmiV1alpha2,
            "smi:v1alpha3" => Self::SmiV1alpha3,
            "traefik" => Self::Traefik,
            _ => return None,
        })
    }

    /// The canonical name (`gatewayapi:v1` for plain `gatewayapi`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apisix => "apisix",
            Self::AppMesh => "appmesh",
            Self::AppMeshV1beta2 => "appmesh:v1beta2",
            Self::Contour => "contour",
            Self::GatewayApiV1 => "gatewayapi:v1",
            Self::GatewayApiV1beta1 => "gatewayapi:v1beta1",
            Self::Gloo => "gloo",
            Self::Istio => "istio",
            Self::Knative => "knative",
            Self::Kubernetes => "kubernetes",
            Self::Kuma => "kuma",
            Self::Linkerd => "linkerd",
            Self::Nginx => "nginx",
            Self::Osm => "osm",
            Self::Skipper => "skipper",
            Self::SmiV1alpha1 => "smi:v1alpha1",
            Self::SmiV1alpha2 => "smi:v1alpha2",
            Self::SmiV1alpha3 => "smi:v1alpha3",
            Self::Traefik => "traefik",
        }
    }

    pub fn is_gateway_api(self) -> bool {
        matches!(self, Self::GatewayApiV1 | Self::GatewayApiV1beta1)
    }

    pub fn is_smi(self) -> bool {
        matches!(self, Self::SmiV1alpha1 | Self::SmiV1alpha2 | Self::SmiV1alpha3)
    }

    /// All accepted names, for error messages.
    pub fn names() -> &'static [&'static str] {
        PROVIDERS
    }
}

/// How traffic moves to the new version (`Canary.DeploymentStrategy()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Weighted steps.
    Canary,
    /// All-or-nothing switch after `iterations` checks.
    BlueGreen,
    /// Header/cookie-matched traffic to the canary for `iterations` checks.
    AbTesting,
}

impl Strategy {
    /// The label value of `flagger_canary_successes_total{deployment_strategy}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Canary => "canary",
            Self::BlueGreen => "blue-green",
            Self::AbTesting => "ab-testing",
        }
    }
}

impl CanarySpec {
    /// The routing provider: `spec.provider`, else the controller's global default.
    /// `None` when the name is not a known provider (validation reports it).
    pub fn effective_provider(&self, global: &str) -> Option<Provider> {
        Provider::parse(self.provider.as_deref().unwrap_or(global))
    }

    /// Apex Service name: `service.name`, else `targetRef.name`.
    pub fn service_name(&self) -> &str {
        self.service.as_ref().and_then(|s| s.name.as_deref()).filter(|n| !n.is_empty()).unwrap_or(&self.target_ref.name)
    }

    /// `<service>-primary`.
    pub fn primary_service_name(&self) -> String {
        format!("{}{PRIMARY_SUFFIX}", self.service_name())
    }

    /// `<service>-canary`.
    pub fn canary_service_name(&self) -> String {
        format!("{}{CANARY_SUFFIX}", self.service_name())
    }

    /// `<target>-primary`, the cloned workload.
    pub fn primary_workload_name(&self) -> String {
        format!("{}{PRIMARY_SUFFIX}", self.target_ref.name)
    }

    pub fn progress_deadline(&self) -> Duration {
        match self.progress_deadline_seconds {
            Some(s) if s >= 0 => Duration::from_secs(s.unsigned_abs().into()),
            _ => DEFAULT_PROGRESS_DEADLINE,
        }
    }

    /// Analysis is skipped when asked, or when there is no analysis at all.
    pub fn skip_analysis(&self) -> bool {
        self.skip_analysis.unwrap_or(false) || self.analysis.is_none()
    }

    pub fn suspended(&self) -> bool {
        self.suspend.unwrap_or(false)
    }

    pub fn revert_on_deletion(&self) -> bool {
        self.revert_on_deletion.unwrap_or(false)
    }

    /// The strategy for the given effective provider. The `kubernetes` provider has no traffic
    /// splitting, so it always runs blue-green.
    pub fn strategy(&self, provider: Option<Provider>) -> Strategy {
        if provider == Some(Provider::Kubernetes) {
            return Strategy::BlueGreen;
        }
        self.analysis.as_ref().map_or(Strategy::Canary, CanaryAnalysis::strategy)
    }
}

impl CanaryAnalysis {
    /// Strategy from the analysis alone: iterations + match → A/B, iterations → blue-green.
    pub fn strategy(&self) -> Strategy {
        let has_match = self.r#match.as_ref().is_some_and(|m| !m.is_empty());
        match (self.iterations(), has_match) {
            (i, true) if i > 0 => Strategy::AbTesting,
            (i, false) if i > 0 => Strategy::BlueGreen,
            _ => Strategy::Canary,
        }
    }

    /// Tick period: default 60s, unparseable → 60s, below 10s raised to 10s.
    pub fn interval(&self) -> Duration {
        let parsed =
            self.interval.as_deref().and_then(|s| duration::parse(s).ok()).unwrap_or(DEFAULT_ANALYSIS_INTERVAL);
        parsed.max(MIN_ANALYSIS_INTERVAL)
    }

    /// Failed checks tolerated; ≤ 0 means 1.
    pub fn threshold(&self) -> i32 {
        match self.threshold {
            Some(t) if t > 0 => t,
            _ => 1,
        }
    }

    pub fn iterations(&self) -> i32 {
        self.iterations.unwrap_or(0)
    }

    pub fn step_weight(&self) -> i32 {
        self.step_weight.unwrap_or(0)
    }

    /// Explicit steps, only when `stepWeight` is not in use.
    pub fn step_weights(&self) -> &[i32] {
        if self.step_weight() > 0 {
            return &[];
        }
        self.step_weights.as_deref().unwrap_or(&[])
    }

    /// Weight at which promotion starts: last of `stepWeights` (capped at 100), else
    /// `maxWeight`, else 100.
    pub fn max_weight(&self) -> i32 {
        if let Some(last) = self.step_weights().last() {
            return (*last).min(TOTAL_WEIGHT);
        }
        match self.max_weight {
            Some(w) if w > 0 => w,
            _ => TOTAL_WEIGHT,
        }
    }

    pub fn step_weight_promotion(&self) -> i32 {
        self.step_weight_promotion.unwrap_or(0).max(0)
    }

    pub fn mirror(&self) -> bool {
        self.mirror.unwrap_or(false)
    }

    pub fn primary_ready_threshold(&self) -> i32 {
        self.primary_ready_threshold.unwrap_or(DEFAULT_READY_THRESHOLD)
    }

    pub fn canary_ready_threshold(&self) -> i32 {
        self.canary_ready_threshold.unwrap_or(DEFAULT_READY_THRESHOLD)
    }

    pub fn metrics(&self) -> &[CanaryMetric] {
        self.metrics.as_deref().unwrap_or(&[])
    }

    pub fn webhooks(&self) -> &[CanaryWebhook] {
        self.webhooks.as_deref().unwrap_or(&[])
    }

    pub fn alerts(&self) -> &[CanaryAlert] {
        self.alerts.as_deref().unwrap_or(&[])
    }
}

impl CanaryMetric {
    /// The `{{ interval }}` window (default `1m`).
    pub fn interval(&self) -> &str {
        self.interval.as_deref().filter(|s| !s.is_empty()).unwrap_or(DEFAULT_METRIC_INTERVAL)
    }
}

/// When a webhook is called (`analysis.webhooks[].type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WebhookType {
    ConfirmRollout,
    PreRollout,
    Rollout,
    ConfirmTrafficIncrease,
    ConfirmPromotion,
    PostRollout,
    Rollback,
    Event,
}

impl WebhookType {
    /// Parse a `type` value; empty means `rollout`.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "" | "rollout" => Self::Rollout,
            "confirm-rollout" => Self::ConfirmRollout,
            "pre-rollout" => Self::PreRollout,
            "confirm-traffic-increase" => Self::ConfirmTrafficIncrease,
            "confirm-promotion" => Self::ConfirmPromotion,
            "post-rollout" => Self::PostRollout,
            "rollback" => Self::Rollback,
            "event" => Self::Event,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmRollout => "confirm-rollout",
            Self::PreRollout => "pre-rollout",
            Self::Rollout => "rollout",
            Self::ConfirmTrafficIncrease => "confirm-traffic-increase",
            Self::ConfirmPromotion => "confirm-promotion",
            Self::PostRollout => "post-rollout",
            Self::Rollback => "rollback",
            Self::Event => "event",
        }
    }
}

impl CanaryWebhook {
    /// The hook's type; `None` for a value outside the enum (validation reports it).
    pub fn kind(&self) -> Option<WebhookType> {
        WebhookType::parse(self.r#type.as_deref().unwrap_or(""))
    }

    /// Request timeout (default 10s; unparseable → 10s).
    pub fn timeout(&self) -> Duration {
        self.timeout
            .as_deref()
            .and_then(|s| duration::parse(s).ok())
            .filter(|d| !d.is_zero())
            .unwrap_or(DEFAULT_WEBHOOK_TIMEOUT)
    }

    pub fn retries(&self) -> u32 {
        self.retries.and_then(|r| u32::try_from(r).ok()).unwrap_or(0)
    }
}

/// Alert severity, ordered: an alert that accepts `Info` receives everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warn,
    Error,
}

impl Severity {
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "info" => Self::Info,
            "warn" => Self::Warn,
            "error" => Self::Error,
            _ => return None,
        })
    }
}

impl CanaryAlert {
    /// Whether a notification of `severity` goes to this alert. An empty severity matches
    /// nothing (upstream code; its docs claim "info").
    pub fn accepts(&self, severity: Severity) -> bool {
        self.severity.as_deref().and_then(Severity::parse).is_some_and(|min| severity >= min)
    }
}

impl SessionAffinity {
    pub fn max_age(&self) -> i32 {
        self.max_age.unwrap_or(DEFAULT_SESSION_MAX_AGE)
    }
}

impl AlertProviderSpec {
    pub fn channel(&self) -> &str {
        self.channel.as_deref().filter(|s| !s.is_empty()).unwrap_or(DEFAULT_ALERT_CHANNEL)
    }

    pub fn username(&self) -> &str {
        self.username.as_deref().filter(|s| !s.is_empty()).unwrap_or(DEFAULT_ALERT_USERNAME)
    }
}
