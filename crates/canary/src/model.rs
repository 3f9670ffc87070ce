//! What `plan` reads (the observed world, the verdicts of checks already run, the clock) and
//! what it returns (a request for more verdicts, or a decision: the next status and the
//! actions that get there).

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_api::flagger::CanaryPhase;
use glidepath_api::flagger::defaults::{Provider, Severity, Strategy, WebhookType};

/// Readiness of a workload, as the workload layer judged it (thresholds, progress deadline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Not ready yet; worth waiting for.
    Waiting(String),
    /// Will not become ready (deadline exceeded, or gone): a release must end.
    Failed(String),
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready)
    }
}

/// Traffic split currently in effect, as read back from the routing objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Routes {
    pub primary: i32,
    pub canary: i32,
    pub mirrored: bool,
}

impl Routes {
    pub const ALL_PRIMARY: Routes = Routes { primary: 100, canary: 0, mirrored: false };
    pub const ALL_CANARY: Routes = Routes { primary: 0, canary: 100, mirrored: false };

    pub fn split(canary: i32) -> Routes {
        Routes { primary: 100 - canary, canary, mirrored: false }
    }
}

/// The world as observed from caches at the start of a tick.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// Effective routing provider (spec or global default).
    pub provider: Provider,
    /// Hash of the target's pod template (becomes `status.lastAppliedSpec`).
    pub target_hash: String,
    /// Checksums of the ConfigMaps/Secrets the target uses (`status.trackedConfigs`).
    pub configs: BTreeMap<String, String>,
    pub target: Readiness,
    /// `None` while the primary workload does not exist yet.
    pub primary: Option<Readiness>,
    /// `None` while the routing objects do not exist yet.
    pub routes: Option<Routes>,
    /// A promote or abort a person asked for (`glidepath promote|abort`), not yet handled.
    pub manual: Option<Manual>,
}

/// A person's request to end the running analysis now. Flagger has no such command; its
/// users flip gate webhooks by hand instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manual {
    /// Skip the remaining analysis and promote (through Promoting and Finalising, so the
    /// primary still has to roll out and `stepWeightPromotion` still applies).
    Promote,
    /// Roll back now, as a rollback gate would.
    Abort,
}

impl Manual {
    /// The request a Canary's annotations carry; an abort wins over a promote.
    pub fn requested(canary: &glidepath_api::flagger::Canary) -> Option<Manual> {
        use glidepath_api::flagger::defaults::{ABORT_ANNOTATION, PROMOTE_ANNOTATION};
        let annotations = canary.metadata.annotations.as_ref()?;
        if annotations.contains_key(ABORT_ANNOTATION) {
            Some(Manual::Abort)
        } else if annotations.contains_key(PROMOTE_ANNOTATION) {
            Some(Manual::Promote)
        } else {
            None
        }
    }
}

/// A group of checks the executor runs on request: all webhooks of one type (in spec order,
/// stopping at the first failure), or all metrics (stopping at the first failure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    Hooks(WebhookType),
    Metrics,
}

/// Outcome of a check. For `rollback` hooks, `Pass` means "a hook asked for a rollback".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// `reason` names the hook or metric and why; `mute_alert` when the failing hook asked
    /// not to alert.
    Fail {
        reason: String,
        mute_alert: bool,
    },
}

impl Verdict {
    pub fn fail(reason: impl Into<String>) -> Self {
        Self::Fail { reason: reason.into(), mute_alert: false }
    }
}

/// Verdicts gathered so far in this tick.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdicts(pub BTreeMap<Check, Verdict>);

impl Verdicts {
    pub fn get(&self, check: Check) -> Option<&Verdict> {
        self.0.get(&check)
    }
    pub fn insert(&mut self, check: Check, verdict: Verdict) {
        self.0.insert(check, verdict);
    }
}

/// What the executor must do. Order matters: execute in sequence.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Create or update `<svc>`, `<svc>-primary`, `<svc>-canary`.
    EnsureServices,
    /// Create `<target>-primary` (and `-primary` ConfigMaps/Secrets) if missing.
    EnsurePrimary,
    /// Create or update the primary HPA/ScaledObject from the target's.
    ReconcilePrimaryScaler,
    /// Point the apex Service at the primary pods.
    RouteApexToPrimary,
    ScaleTargetToZero,
    ScaleTargetFromZero,
    /// Create/adopt the mesh or ingress objects, keeping their current weights.
    ReconcileRoutes,
    SetRoutes(Routes),
    /// Copy the target's template (and tracked configs) to the primary.
    Promote,
    /// Fire-and-forget hooks (`post-rollout`), with the phase they report.
    CallHooks {
        kind: WebhookType,
        phase: CanaryPhase,
    },
    Event {
        warning: bool,
        message: String,
    },
    Alert {
        severity: Severity,
        message: String,
    },
    /// Remove the promote/abort request from the Canary: handled (or not applicable, with an
    /// event saying so). Comes first, so a crash loses the request rather than repeating it.
    AcknowledgeManual,
    /// `flagger_canary_successes_total` / `_failures_total`.
    RecordResult {
        strategy: Strategy,
        success: bool,
        skipped: bool,
    },
}

/// The status fields a decision sets. `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusChange {
    pub phase: Option<CanaryPhase>,
    pub canary_weight: Option<i32>,
    pub iterations: Option<i32>,
    pub failed_checks: Option<i32>,
    pub last_applied_spec: Option<String>,
    pub last_promoted_spec: Option<String>,
    pub tracked_configs: Option<BTreeMap<String, String>>,
}

impl StatusChange {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A decision for this tick.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decision {
    pub status: StatusChange,
    pub actions: Vec<Action>,
    /// When to run the next tick.
    pub requeue_after: Duration,
}

/// The result of planning: run more checks first, or act.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    /// Run these checks (in order), add their verdicts, and plan again with the same `now`.
    Need(Vec<Check>),
    Decided(Decision),
}
