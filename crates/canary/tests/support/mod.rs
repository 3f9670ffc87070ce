//! A tiny world that plays a release tick by tick: it answers checks from a script, applies
//! the plan's actions the way the executor would (routes, primary, scaling) and records rows of
//! (phase, canaryWeight, primaryWeight, iterations, failedChecks).
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use glidepath_api::flagger::defaults::{Provider, WebhookType};
use glidepath_api::flagger::{Canary, CanaryPhase, CanaryStatus};
use glidepath_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use glidepath_api::k8s_openapi::jiff::Timestamp;
use glidepath_canary::{
    Action, Check, Decision, Observed, Plan, Readiness, Routes, StatusChange, Verdict, Verdicts, plan,
};
use serde_json::{Value, json};

pub type Row = (&'static str, i32, i32, i32, i32);

pub struct World {
    pub canary: Canary,
    pub obs: Observed,
    pub now: Timestamp,
    /// Scripted outcomes per check; the last one repeats. Missing = pass.
    pub answers: BTreeMap<Check, VecDeque<Verdict>>,
    /// Every check the plan asked for, per tick.
    pub asked: Vec<Vec<Check>>,
    pub post_rollout: Vec<CanaryPhase>,
    pub primary_hash: Option<String>,
    pub target_replicas: i32,
    pub events: Vec<String>,
    pub alerts: Vec<String>,
    pub results: Vec<(bool, bool)>,
    /// Readiness the primary reports once created.
    pub primary_readiness: Readiness,
}

pub fn canary(provider: &str, analysis: Value) -> Canary {
    serde_json::from_value(json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {
            "provider": provider,
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": analysis
        }
    }))
    .unwrap()
}

impl World {
    pub fn new(canary: Canary) -> Self {
        let provider = canary.spec.effective_provider("istio").unwrap();
        World {
            canary,
            obs: Observed {
                provider,
                target_hash: "v1".into(),
                configs: BTreeMap::new(),
                target: Readiness::Ready,
                primary: None,
                routes: None,
                manual: None,
            },
            now: "2026-11-22T10:00:00Z".parse().unwrap(),
            answers: BTreeMap::new(),
            asked: Vec::new(),
            post_rollout: Vec::new(),
            primary_hash: None,
            target_replicas: 1,
            events: Vec::new(),
            alerts: Vec::new(),
            results: Vec::new(),
            primary_readiness: Readiness::Ready,
        }
    }

    pub fn provider(&self) -> Provider {
        self.obs.provider
    }

    /// Script a check: each tick that asks takes the next answer; the last one repeats.
    pub fn script(&mut self, check: Check, answers: &[bool]) {
        let list =
            answers.iter().map(|ok| if *ok { Verdict::Pass } else { Verdict::fail(format!("{check:?} failed")) });
        self.answers.insert(check, list.collect());
    }

    pub fn hooks(&mut self, kind: WebhookType, answers: &[bool]) {
        self.script(Check::Hooks(kind), answers);
    }

    fn answer(&mut self, check: Check) -> Verdict {
        match self.answers.get_mut(&check) {
            Some(list) if list.len() > 1 => list.pop_front().unwrap(),
            Some(list) => list.front().cloned().unwrap_or(Verdict::Pass),
            None => Verdict::Pass,
        }
    }

    /// One tick: plan (running requested checks), then apply the decision.
    pub fn tick(&mut self) -> Decision {
        let mut verdicts = Verdicts::default();
        let mut asked = Vec::new();
        let decision = loop {
            match plan(&self.canary, &self.obs, &verdicts, self.now) {
                Plan::Need(checks) => {
                    assert!(!checks.is_empty());
                    for c in checks {
                        assert!(verdicts.get(c).is_none(), "asked twice for {c:?}");
                        asked.push(c);
                        let v = self.answer(c);
                        verdicts.insert(c, v);
                    }
                }
                Plan::Decided(d) => break d,
            }
        };
        self.asked.push(asked);
        self.apply(&decision);
        self.now = Timestamp::from_second(self.now.as_second() + decision.requeue_after.as_secs() as i64).unwrap();
        decision
    }

    pub fn advance_clock(&mut self, d: Duration) {
        self.now = Timestamp::from_second(self.now.as_second() + d.as_secs() as i64).unwrap();
    }

    fn apply(&mut self, d: &Decision) {
        apply_status(self.canary.status.get_or_insert_with(CanaryStatus::default), &d.status, self.now);
        for a in &d.actions {
            match a {
                Action::EnsurePrimary if self.obs.primary.is_none() => {
                    self.obs.primary = Some(self.primary_readiness.clone());
                    self.primary_hash = Some(self.obs.target_hash.clone());
                }
                Action::ReconcileRoutes => self.obs.routes = Some(self.obs.routes.unwrap_or(Routes::ALL_PRIMARY)),
                Action::SetRoutes(r) => self.obs.routes = Some(*r),
                Action::Promote => self.primary_hash = Some(self.obs.target_hash.clone()),
                Action::ScaleTargetToZero => self.target_replicas = 0,
                Action::ScaleTargetFromZero => self.target_replicas = 1,
                Action::CallHooks { kind: WebhookType::PostRollout, phase } => self.post_rollout.push(*phase),
                Action::AcknowledgeManual => self.obs.manual = None,
                Action::Event { message, .. } => self.events.push(message.clone()),
                Action::Alert { message, .. } => self.alerts.push(message.clone()),
                Action::RecordResult { success, skipped, .. } => self.results.push((*success, *skipped)),
                _ => {}
            }
        }
    }

    pub fn status(&self) -> CanaryStatus {
        self.canary.status.clone().unwrap_or_default()
    }

    pub fn row(&self) -> Row {
        let s = self.status();
        let phase: &'static str = s.phase.as_str();
        let primary = self.obs.routes.map_or(100, |r| r.primary);
        (phase, s.canary_weight.unwrap_or(0), primary, s.iterations.unwrap_or(0), s.failed_checks.unwrap_or(0))
    }

    /// Tick until `until` (a phase) or `max` ticks; the rows after each tick.
    pub fn play(&mut self, max: usize) -> Vec<Row> {
        (0..max)
            .map(|_| {
                self.tick();
                self.row()
            })
            .collect()
    }

    /// Initialise, then publish a new template (`v2`).
    pub fn initialised_with_new_revision(&mut self) {
        self.tick(); // creates the primary
        self.tick(); // primary ready: initialised
        assert_eq!(self.row().0, "Initialized", "{:?}", self.events);
        self.obs.target_hash = "v2".into();
    }
}

pub fn apply_status(s: &mut CanaryStatus, c: &StatusChange, now: Timestamp) {
    if c.is_empty() {
        return;
    }
    if let Some(p) = c.phase {
        s.phase = p;
    }
    if let Some(w) = c.canary_weight {
        s.canary_weight = Some(w);
    }
    if let Some(i) = c.iterations {
        s.iterations = Some(i);
    }
    if let Some(f) = c.failed_checks {
        s.failed_checks = Some(f);
    }
    if let Some(h) = &c.last_applied_spec {
        s.last_applied_spec = Some(h.clone());
    }
    if let Some(h) = &c.last_promoted_spec {
        s.last_promoted_spec = Some(h.clone());
    }
    if let Some(t) = &c.tracked_configs {
        s.tracked_configs = Some(t.clone());
    }
    s.last_transition_time = Some(Time(now));
}
