//! `plan`: one tick of `advanceCanary` (reference §2.3), as a pure function.

use glidepath_api::flagger::defaults::{Severity, Strategy, WebhookType};
use glidepath_api::flagger::{Canary, CanaryPhase};
use glidepath_api::k8s_openapi::jiff::Timestamp;

use crate::model::{Action, Check, Manual, Observed, Plan, Readiness, Routes, Verdict, Verdicts};
use crate::tick::{Flow, Need, Tick};

/// Decide the next step of a release.
///
/// When the decision depends on checks that have not run yet (webhooks of a type, metrics),
/// returns [`Plan::Need`]: the executor runs them, adds the verdicts and calls again with the
/// same `now`. Checks are requested in Flagger's order and only when Flagger would run them,
/// so no hook is called speculatively.
pub fn plan(canary: &Canary, observed: &Observed, verdicts: &Verdicts, now: Timestamp) -> Plan {
    let mut tick = Tick::new(canary, observed, verdicts, now);
    match advance(&mut tick) {
        Ok(()) => Plan::Decided(tick.decide()),
        Err(Need(checks)) => Plan::Need(checks),
    }
}

fn advance(t: &mut Tick<'_>) -> Flow {
    if t.canary.spec.suspended() {
        t.event(format!("skipping canary run as object is suspended {}", t.id()));
        return Ok(());
    }
    if matches!(t.phase(), CanaryPhase::Unset | CanaryPhase::Initializing) {
        return initialize(t);
    }
    if let Some(request) = t.obs.manual {
        manual(t, request);
        return Ok(());
    }
    // Every tick keeps the Services and routing objects in line with the spec (a changed port,
    // gateway, header; a Service target's canary copy), at the weights in effect, as Flagger's
    // per-tick router reconcile does. Writes happen only where something differs.
    t.act(Action::EnsureServices);
    t.act(Action::ReconcileRoutes);
    if !should_advance(t) {
        return Ok(());
    }
    let skip = t.canary.spec.skip_analysis();
    if !skip {
        match t.obs.primary.clone() {
            None | Some(Readiness::Ready) => {}
            Some(Readiness::Waiting(msg)) => {
                t.event(format!("Halt {} advancement {msg}", t.id()));
                return Ok(());
            }
            Some(Readiness::Failed(msg)) => {
                if matches!(t.phase(), CanaryPhase::Promoting | CanaryPhase::Finalising) {
                    failed_promotion(t, &msg);
                } else {
                    rollback(t, &format!("Rolling back {} progress deadline exceeded {msg}", t.id()), true);
                }
                return Ok(());
            }
        }
    }
    let routes = t.obs.routes.unwrap_or(Routes::ALL_PRIMARY);
    if !confirm_rollout(t)? {
        return Ok(());
    }
    if restart_on_new_revision(t) {
        return Ok(());
    }
    if !canary_ready(t)? {
        return Ok(());
    }
    if skip && matches!(t.phase(), CanaryPhase::Progressing | CanaryPhase::WaitingPromotion) {
        promote_skipping_analysis(t);
        return Ok(());
    }
    if matches!(t.phase(), CanaryPhase::Progressing | CanaryPhase::Waiting | CanaryPhase::WaitingPromotion)
        && t.rollback_requested()?
    {
        t.alert(Severity::Warn, "Rolling back manual webhook invoked");
        rollback(t, &format!("Rolling back {} manual webhook invoked", t.id()), false);
        return Ok(());
    }
    if unrecorded_step(t, routes) {
        return Ok(());
    }
    match t.phase() {
        CanaryPhase::Promoting => return crate::progress::promotion_traffic(t, routes),
        CanaryPhase::Finalising => {
            crate::progress::finalise(t);
            return Ok(());
        }
        _ => {}
    }
    let threshold = t.analysis.threshold();
    if matches!(t.phase(), CanaryPhase::Progressing | CanaryPhase::WaitingPromotion) && t.failed_checks() >= threshold {
        t.alert(Severity::Error, format!("Failed checks threshold reached {threshold}"));
        rollback(t, &format!("Rolling back {} failed checks threshold reached {threshold}", t.id()), true);
        return Ok(());
    }
    crate::progress::analyse_and_step(t, routes)
}

/// `glidepath promote|abort`: acknowledged first, then acted on when a release is running;
/// otherwise an event says why nothing happened (a stale request must never act on a later
/// release).
fn manual(t: &mut Tick<'_>, request: Manual) {
    t.act(Action::AcknowledgeManual);
    let phase = t.phase();
    let running = matches!(phase, CanaryPhase::Progressing | CanaryPhase::Waiting | CanaryPhase::WaitingPromotion);
    match request {
        Manual::Abort if running => {
            t.alert(Severity::Warn, "Rolling back: aborted by user");
            rollback(t, &format!("Rolling back {} aborted by user", t.id()), true);
        }
        Manual::Abort => t.event(format!("Abort of {} ignored: no analysis is running (phase {phase:?})", t.id())),
        Manual::Promote if matches!(phase, CanaryPhase::Progressing | CanaryPhase::WaitingPromotion) => {
            match t.obs.target.clone() {
                Readiness::Ready => {
                    t.event(format!("Promotion of {} requested by user: skipping the remaining analysis", t.id()));
                    crate::progress::start_promotion(t);
                }
                Readiness::Waiting(msg) | Readiness::Failed(msg) => {
                    t.warning(format!("Promotion of {} refused: canary not ready: {msg}", t.id()));
                }
            }
        }
        Manual::Promote => {
            t.event(format!("Promotion of {} ignored: no analysis is running (phase {phase:?})", t.id()))
        }
    }
}

/// ""/Initializing: create the primary, wait for it, route the apex to it, scale the target
/// down and create the routing objects.
fn initialize(t: &mut Tick<'_>) -> Flow {
    t.act(Action::EnsureServices);
    t.act(Action::EnsurePrimary);
    if t.phase() == CanaryPhase::Unset {
        t.set_phase(CanaryPhase::Initializing);
    }
    if !t.canary.spec.skip_analysis() {
        match t.obs.primary.clone() {
            Some(Readiness::Ready) => {}
            Some(Readiness::Failed(msg)) => {
                rollback(t, &format!("Rolling back {} progress deadline exceeded {msg}", t.id()), true);
                return Ok(());
            }
            Some(Readiness::Waiting(msg)) => {
                t.warning(format!("{}-primary not ready: {msg}", t.canary.spec.target_ref.name));
                return Ok(());
            }
            None => {
                t.event(format!("Creating {}-primary", t.target_id()));
                return Ok(());
            }
        }
    }
    t.act(Action::ReconcilePrimaryScaler);
    t.act(Action::RouteApexToPrimary);
    t.act(Action::ScaleTargetToZero);
    t.act(Action::ReconcileRoutes);
    t.sync_status(CanaryPhase::Initialized, 0, 0, 0);
    t.event(format!("Initialization done! {}", t.id()));
    let kind = t.kind().to_owned();
    t.alert(Severity::Info, format!("New {kind} detected, initialization completed."));
    Ok(())
}

/// Step 12: active phases always advance; settled ones only when the target or its configs
/// changed (a revert to the promoted template starts nothing, but is recorded).
fn should_advance(t: &mut Tick<'_>) -> bool {
    if matches!(
        t.phase(),
        CanaryPhase::Progressing
            | CanaryPhase::Waiting
            | CanaryPhase::WaitingPromotion
            | CanaryPhase::Promoting
            | CanaryPhase::Finalising
    ) {
        return true;
    }
    let hash = t.obs.target_hash.as_str();
    let applied = t.status.last_applied_spec.as_deref();
    let promoted = t.status.last_promoted_spec.as_deref();
    let configs_changed = t.status.tracked_configs.as_ref().is_some_and(|c| *c != t.obs.configs);
    let changed = (applied != Some(hash) && promoted != Some(hash)) || configs_changed;
    if !changed && applied != Some(hash) {
        // Manual revert to the promoted template: nothing to release, remember the hash.
        t.status.last_applied_spec = Some(hash.to_owned());
        t.change.last_applied_spec = Some(hash.to_owned());
    }
    changed
}

/// Step 15: settled phases need the confirm-rollout gates before a run starts.
/// Returns false when this tick ends here.
fn confirm_rollout(t: &mut Tick<'_>) -> Flow<bool> {
    if matches!(
        t.phase(),
        CanaryPhase::Progressing | CanaryPhase::WaitingPromotion | CanaryPhase::Promoting | CanaryPhase::Finalising
    ) {
        return Ok(true);
    }
    match t.verdict(Check::Hooks(WebhookType::ConfirmRollout))? {
        Verdict::Fail { reason, mute_alert } => {
            if t.phase() != CanaryPhase::Waiting {
                t.set_phase(CanaryPhase::Waiting);
                if !mute_alert {
                    t.alert(Severity::Warn, "Canary is waiting for approval.");
                }
            }
            t.event(format!("Halt {} advancement waiting for approval {reason}", t.id()));
        }
        Verdict::Pass => {
            t.alert(Severity::Info, "New revision detected, progressing canary analysis.");
            t.act(Action::ScaleTargetFromZero);
            t.event(format!("New revision detected! Scaling up {}", t.target_id()));
            t.sync_status(CanaryPhase::Progressing, 0, 0, 0);
        }
    }
    Ok(false)
}

/// Step 16: a new template or config during the analysis restarts it.
fn restart_on_new_revision(t: &mut Tick<'_>) -> bool {
    if !matches!(t.phase(), CanaryPhase::Progressing | CanaryPhase::WaitingPromotion) {
        return false;
    }
    let applied = t.status.last_applied_spec.as_deref();
    let configs_changed = t.status.tracked_configs.as_ref().is_some_and(|c| *c != t.obs.configs);
    if applied == Some(t.obs.target_hash.as_str()) && !configs_changed {
        return false;
    }
    t.act(Action::SetRoutes(Routes::ALL_PRIMARY));
    t.sync_status(CanaryPhase::Progressing, 0, 0, 0);
    t.event(format!("New revision detected! Restarting analysis for {}", t.target_id()));
    true
}

/// Routes that moved past the recorded weight: a step whose routes were written but whose
/// status was not (the controller died between the two writes). The step is recorded and gets
/// its full interval before the next one, so no weight goes without its analysis.
fn unrecorded_step(t: &mut Tick<'_>, routes: Routes) -> bool {
    let stepping = matches!(t.phase(), CanaryPhase::Progressing | CanaryPhase::Promoting);
    let recorded = t.status.canary_weight.unwrap_or(0);
    if !stepping || t.strategy != Strategy::Canary || routes.mirrored || routes.canary == recorded {
        return false;
    }
    t.set_weight(routes.canary);
    true
}

/// Step 17: the canary must be ready. A canary still waiting after `progressDeadlineSeconds`
/// without progress fails too (crash loops never report a deadline of their own).
fn canary_ready(t: &mut Tick<'_>) -> Flow<bool> {
    let readiness = match t.obs.target.clone() {
        Readiness::Waiting(msg)
            if t.phase() == CanaryPhase::Progressing
                && t.since_last_transition().is_some_and(|d| d > t.canary.spec.progress_deadline()) =>
        {
            Readiness::Failed(format!("{msg} (not ready within progressDeadlineSeconds)"))
        }
        r => r,
    };
    match readiness {
        Readiness::Ready => Ok(true),
        Readiness::Waiting(msg) => {
            t.event(format!("Halt {} advancement {msg}", t.id()));
            Ok(false)
        }
        Readiness::Failed(msg) => {
            t.alert(Severity::Error, format!("Progress deadline exceeded {msg}"));
            rollback(t, &format!("Rolling back {} progress deadline exceeded {msg}", t.id()), true);
            Ok(false)
        }
    }
}

/// skipAnalysis: promote at once, no Promoting/Finalising.
fn promote_skipping_analysis(t: &mut Tick<'_>) {
    t.act(Action::SetRoutes(Routes::ALL_PRIMARY));
    t.event(format!("Copying {} template spec to {}-primary", t.target_id(), t.canary.spec.target_ref.name));
    t.act(Action::Promote);
    t.act(Action::ReconcilePrimaryScaler);
    t.act(Action::ScaleTargetToZero);
    t.set_phase(CanaryPhase::Succeeded);
    t.act(Action::RecordResult { strategy: t.strategy, success: true, skipped: true });
    t.act(Action::CallHooks { kind: WebhookType::PostRollout, phase: CanaryPhase::Succeeded });
    t.alert(Severity::Info, "Canary analysis was skipped, promotion finished.");
}

/// `rollback()`: all traffic back to the primary, target scaled to zero, Failed.
pub(crate) fn rollback(t: &mut Tick<'_>, message: &str, warning: bool) {
    if warning {
        t.warning(message.to_owned());
    } else {
        t.event(message.to_owned());
    }
    t.act(Action::SetRoutes(Routes::ALL_PRIMARY));
    t.warning(format!("Canary failed! Scaling down {}", t.target_id()));
    t.act(Action::ScaleTargetToZero);
    let failed = t.failed_checks();
    t.sync_status(CanaryPhase::Failed, 0, 0, failed);
    t.act(Action::RecordResult { strategy: t.strategy, success: false, skipped: false });
    t.act(Action::CallHooks { kind: WebhookType::PostRollout, phase: CanaryPhase::Failed });
}

/// `handleFailedPromotion`: the primary broke mid-promotion; keep serving from the canary.
fn failed_promotion(t: &mut Tick<'_>, msg: &str) {
    t.act(Action::SetRoutes(Routes::ALL_CANARY));
    t.warning(format!("Promotion failed, primary not ready {msg}"));
    let failed = t.failed_checks();
    t.sync_status(CanaryPhase::Failed, 100, 0, failed);
    t.act(Action::RecordResult { strategy: t.strategy, success: false, skipped: false });
    t.act(Action::CallHooks { kind: WebhookType::PostRollout, phase: CanaryPhase::Failed });
    t.alert(Severity::Error, "Promotion failed, primary not ready");
}
