//! The state of one tick while it is being planned: inputs, the status being built, the
//! actions collected, and the status-write helpers Flagger uses (`SyncStatus`,
//! `SetStatusPhase`).

use std::time::Duration;

use glidepath_api::flagger::defaults::{Provider, Severity, Strategy, WebhookType};
use glidepath_api::flagger::{Canary, CanaryAnalysis, CanaryPhase, CanaryStatus};
use glidepath_api::k8s_openapi::jiff::Timestamp;

use crate::model::{Action, Check, Decision, Observed, StatusChange, Verdict, Verdicts};

/// Checks still to run before this tick can be decided.
pub(crate) struct Need(pub Vec<Check>);

pub(crate) type Flow<T = ()> = Result<T, Need>;

pub(crate) struct Tick<'a> {
    pub canary: &'a Canary,
    pub analysis: CanaryAnalysis,
    pub status: CanaryStatus,
    pub obs: &'a Observed,
    pub verdicts: &'a Verdicts,
    pub now: Timestamp,
    pub strategy: Strategy,
    pub change: StatusChange,
    pub actions: Vec<Action>,
}

impl<'a> Tick<'a> {
    pub fn new(canary: &'a Canary, obs: &'a Observed, verdicts: &'a Verdicts, now: Timestamp) -> Self {
        let analysis = canary.spec.analysis.clone().unwrap_or_default();
        let strategy = canary.spec.strategy(Some(obs.provider));
        Tick {
            canary,
            analysis,
            status: canary.status.clone().unwrap_or_default(),
            obs,
            verdicts,
            now,
            strategy,
            change: StatusChange::default(),
            actions: Vec::new(),
        }
    }

    pub fn decide(self) -> Decision {
        Decision { status: self.change, actions: self.actions, requeue_after: self.analysis.interval() }
    }

    /// `<name>.<namespace>` as Flagger writes it in messages.
    pub fn id(&self) -> String {
        format!("{}.{}", self.canary.metadata.name.as_deref().unwrap_or(""), self.namespace())
    }

    pub fn target_id(&self) -> String {
        format!("{}.{}", self.canary.spec.target_ref.name, self.namespace())
    }

    fn namespace(&self) -> &str {
        self.canary.metadata.namespace.as_deref().unwrap_or("")
    }

    pub fn kind(&self) -> &str {
        &self.canary.spec.target_ref.kind
    }

    pub fn phase(&self) -> CanaryPhase {
        self.status.phase
    }

    pub fn iterations(&self) -> i32 {
        self.status.iterations.unwrap_or(0)
    }

    pub fn failed_checks(&self) -> i32 {
        self.status.failed_checks.unwrap_or(0)
    }

    pub fn is_kubernetes(&self) -> bool {
        self.obs.provider == Provider::Kubernetes
    }

    /// Iterations the run needs: the kubernetes provider forces 10 when none are set.
    pub fn target_iterations(&self) -> i32 {
        let n = self.analysis.iterations();
        if self.is_kubernetes() && n < 1 { glidepath_api::flagger::defaults::KUBERNETES_PROVIDER_ITERATIONS } else { n }
    }

    pub fn act(&mut self, action: Action) {
        self.actions.push(action);
    }

    pub fn event(&mut self, message: impl Into<String>) {
        self.act(Action::Event { warning: false, message: message.into() });
    }

    pub fn warning(&mut self, message: impl Into<String>) {
        self.act(Action::Event { warning: true, message: message.into() });
    }

    pub fn alert(&mut self, severity: Severity, message: impl Into<String>) {
        self.act(Action::Alert { severity, message: message.into() });
    }

    fn has_hooks(&self, kind: WebhookType) -> bool {
        self.analysis.webhooks().iter().any(|w| w.kind() == Some(kind))
    }

    /// The verdict of a check, or a request to run it. Hook types with no hooks configured and
    /// an analysis with no metrics pass without being asked for.
    pub fn verdict(&self, check: Check) -> Flow<Verdict> {
        let configured = match check {
            Check::Hooks(kind) => self.has_hooks(kind),
            Check::Metrics => !self.analysis.metrics().is_empty(),
        };
        if !configured {
            return Ok(Verdict::Pass);
        }
        self.verdicts.get(check).cloned().ok_or_else(|| Need(vec![check]))
    }

    /// Whether any `rollback` hook asked for a rollback (inverse logic: 2xx means yes).
    pub fn rollback_requested(&self) -> Flow<bool> {
        if !self.has_hooks(WebhookType::Rollback) {
            return Ok(false);
        }
        Ok(self.verdict(Check::Hooks(WebhookType::Rollback))? == Verdict::Pass)
    }

    // --- status writes -------------------------------------------------------------------

    fn set_phase_field(&mut self, phase: CanaryPhase) {
        self.status.phase = phase;
        self.change.phase = Some(phase);
    }

    pub fn set_weight(&mut self, w: i32) {
        self.status.canary_weight = Some(w);
        self.change.canary_weight = Some(w);
    }

    pub fn set_iterations(&mut self, i: i32) {
        self.status.iterations = Some(i);
        self.change.iterations = Some(i);
    }

    pub fn set_failed_checks(&mut self, n: i32) {
        self.status.failed_checks = Some(n);
        self.change.failed_checks = Some(n);
    }

    fn set_last_promoted(&mut self, hash: Option<String>) {
        self.status.last_promoted_spec.clone_from(&hash);
        self.change.last_promoted_spec = hash;
    }

    /// `SyncStatus`: phase and counters, and the target's current hash and config checksums.
    pub fn sync_status(&mut self, phase: CanaryPhase, weight: i32, iterations: i32, failed: i32) {
        self.set_phase_field(phase);
        self.set_weight(weight);
        self.set_iterations(iterations);
        self.set_failed_checks(failed);
        let hash = self.obs.target_hash.clone();
        self.status.last_applied_spec = Some(hash.clone());
        self.change.last_applied_spec = Some(hash.clone());
        self.status.tracked_configs = Some(self.obs.configs.clone());
        self.change.tracked_configs = Some(self.obs.configs.clone());
        if phase == CanaryPhase::Initialized {
            self.set_last_promoted(Some(hash));
        }
    }

    /// `SetStatusPhase`: outside Progressing/Waiting/Promoting the counters reset; Initialized
    /// and Succeeded record the promoted hash.
    pub fn set_phase(&mut self, phase: CanaryPhase) {
        self.set_phase_field(phase);
        if !matches!(phase, CanaryPhase::Progressing | CanaryPhase::Waiting | CanaryPhase::Promoting) {
            self.set_weight(0);
            let iterations = if phase == CanaryPhase::WaitingPromotion { self.analysis.iterations() - 1 } else { 0 };
            self.set_iterations(iterations);
        }
        if matches!(phase, CanaryPhase::Initialized | CanaryPhase::Succeeded) {
            let applied = self.status.last_applied_spec.clone();
            self.set_last_promoted(applied);
        }
    }

    /// How long the status has been unchanged.
    pub fn since_last_transition(&self) -> Option<Duration> {
        let last = self.status.last_transition_time.as_ref()?.0;
        let secs = self.now.as_second().checked_sub(last.as_second())?;
        u64::try_from(secs).ok().map(Duration::from_secs)
    }
}
