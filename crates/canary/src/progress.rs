//! The analysis part of a tick: pre-rollout / rollout hooks and metrics (steps 21–22), the
//! strategy step (23), and promotion's traffic shift and finalisation.

use glidepath_api::flagger::CanaryPhase;
use glidepath_api::flagger::defaults::{Provider, Severity, Strategy, TOTAL_WEIGHT, WebhookType};

use crate::model::{Action, Check, Routes, Verdict};
use crate::tick::{Flow, Tick};
use crate::weights;

/// Run the checks of this tick and, when they pass, take the strategy's next step.
pub(crate) fn analyse_and_step(t: &mut Tick<'_>, routes: Routes) -> Flow {
    let mirror_pending = t.analysis.mirror() && routes.mirrored;
    if routes.canary == 0 && t.iterations() == 0 && !mirror_pending {
        if t.phase() == CanaryPhase::Progressing {
            t.event(format!("Starting canary analysis for {}", t.target_id()));
        }
        if !passed(t, Check::Hooks(WebhookType::PreRollout))? {
            return Ok(());
        }
    } else if !passed(t, Check::Hooks(WebhookType::Rollout))? || !passed(t, Check::Metrics)? {
        return Ok(());
    }
    match t.strategy {
        Strategy::AbTesting => ab_step(t),
        Strategy::BlueGreen => blue_green_step(t, routes),
        Strategy::Canary => canary_step(t, routes),
    }
}

/// A failed check counts against the threshold and ends the tick.
fn passed(t: &mut Tick<'_>, check: Check) -> Flow<bool> {
    match t.verdict(check)? {
        Verdict::Pass => Ok(true),
        Verdict::Fail { reason, .. } => {
            let n = t.failed_checks() + 1;
            t.set_failed_checks(n);
            // Metric verdicts already read "Halt <id> advancement ..." (Flagger's wording).
            let message =
                if reason.starts_with("Halt ") { reason } else { format!("Halt {} advancement {reason}", t.id()) };
            t.warning(message);
            Ok(false)
        }
    }
}

/// confirm-promotion gates: on failure the release waits in WaitingPromotion.
fn promotion_confirmed(t: &mut Tick<'_>) -> Flow<bool> {
    match t.verdict(Check::Hooks(WebhookType::ConfirmPromotion))? {
        Verdict::Pass => Ok(true),
        Verdict::Fail { reason, mute_alert } => {
            if t.phase() != CanaryPhase::WaitingPromotion {
                t.set_phase(CanaryPhase::WaitingPromotion);
                if !mute_alert {
                    t.alert(Severity::Warn, "Canary promotion is waiting for approval.");
                }
            } else {
                let i = t.analysis.iterations() - 1;
                t.set_iterations(i);
            }
            t.event(format!("Halt {} advancement waiting for promotion approval {reason}", t.id()));
            Ok(false)
        }
    }
}

pub(crate) fn start_promotion(t: &mut Tick<'_>) {
    t.event(format!("Copying {} template spec to {}-primary", t.target_id(), t.canary.spec.target_ref.name));
    t.act(Action::Promote);
    t.set_phase(CanaryPhase::Promoting);
}

/// Weighted canary: mirror first (Istio), then step the weight up to maxWeight, then promote.
fn canary_step(t: &mut Tick<'_>, routes: Routes) -> Flow {
    let mut weight = routes.canary;
    if t.analysis.mirror() && t.obs.provider == Provider::Istio && weight == 0 {
        if !routes.mirrored {
            t.act(Action::SetRoutes(Routes { mirrored: true, ..Routes::ALL_PRIMARY }));
            t.event(format!("Start traffic mirroring {}", t.id()));
            return Ok(());
        }
        t.event(format!("Stop traffic mirroring {}", t.id()));
    }
    let max = t.analysis.max_weight();
    if weight < max {
        let in_gate_free_phase =
            matches!(t.phase(), CanaryPhase::Promoting | CanaryPhase::WaitingPromotion | CanaryPhase::Finalising);
        let gated = weights::next_step(&t.analysis, weight) > 0 && !routes.mirrored && !in_gate_free_phase;
        if gated
            && let Verdict::Fail { reason, mute_alert } =
                t.verdict(Check::Hooks(WebhookType::ConfirmTrafficIncrease))?
        {
            if !mute_alert {
                t.alert(Severity::Warn, "Canary traffic increase is waiting for approval.");
            }
            t.event(format!("Halt {} advancement waiting for traffic increase approval {reason}", t.id()));
            return Ok(());
        }
        weight = weights::advance(&t.analysis, weight);
        t.act(Action::SetRoutes(Routes::split(weight)));
        t.set_weight(weight);
        t.event(format!("Advance {} canary weight {weight}", t.id()));
        return Ok(());
    }
    if promotion_confirmed(t)? {
        start_promotion(t);
    }
    Ok(())
}

/// A/B: matched traffic to the canary for `iterations` checks, then promote.
fn ab_step(t: &mut Tick<'_>) -> Flow {
    let n = t.target_iterations();
    let i = t.iterations();
    if i < n {
        t.act(Action::SetRoutes(Routes::ALL_CANARY));
        t.set_iterations(i + 1);
        t.event(format!("Advance {} canary iteration {}/{n}", t.id(), i + 1));
        return Ok(());
    }
    if promotion_confirmed(t)? {
        start_promotion(t);
    }
    Ok(())
}

/// Blue/green: mirror or hold for `iterations` checks, switch all traffic, then promote.
fn blue_green_step(t: &mut Tick<'_>, routes: Routes) -> Flow {
    let n = t.target_iterations();
    let i = t.iterations();
    if i < n {
        // Only Istio and Gateway API can mirror; elsewhere `mirror` is ignored, as upstream.
        let can_mirror = t.obs.provider == Provider::Istio || t.obs.provider.is_gateway_api();
        if t.analysis.mirror() && can_mirror && !routes.mirrored {
            t.act(Action::SetRoutes(Routes { mirrored: true, ..Routes::ALL_PRIMARY }));
        }
        t.set_iterations(i + 1);
        t.event(format!("Advance {} canary iteration {}/{n}", t.id(), i + 1));
        return Ok(());
    }
    if i == n {
        if !promotion_confirmed(t)? {
            return Ok(());
        }
        // The kubernetes provider switches by the apex Service's selector: a real
        // blue/green, where Flagger keeps all traffic on the primary.
        t.act(Action::SetRoutes(Routes::ALL_CANARY));
        t.event(format!("Routing all traffic to canary {}", t.id()));
        t.set_iterations(i + 1);
        return Ok(());
    }
    start_promotion(t);
    Ok(())
}

/// Promoting: once the primary has rolled out, move traffic back to it (at once, or by
/// `stepWeightPromotion` per tick).
pub(crate) fn promotion_traffic(t: &mut Tick<'_>, routes: Routes) -> Flow {
    t.act(Action::ReconcilePrimaryScaler);
    let step = t.analysis.step_weight_promotion();
    if step == 0 || t.strategy != Strategy::Canary {
        t.act(Action::SetRoutes(Routes::ALL_PRIMARY));
        t.event(format!("Routing all traffic to primary {}", t.id()));
        t.set_phase(CanaryPhase::Finalising);
        return Ok(());
    }
    let primary = (routes.primary + step).min(TOTAL_WEIGHT);
    let canary = TOTAL_WEIGHT - primary;
    t.act(Action::SetRoutes(Routes::split(canary)));
    if primary >= TOTAL_WEIGHT {
        t.event(format!("Routing all traffic to primary {}", t.id()));
        t.set_phase(CanaryPhase::Finalising);
    } else {
        t.set_weight(canary);
        t.event(format!("Advance {} primary weight {primary}", t.id()));
    }
    Ok(())
}

/// Finalising: scale the target down and mark the release Succeeded.
pub(crate) fn finalise(t: &mut Tick<'_>) {
    t.act(Action::ScaleTargetToZero);
    t.set_phase(CanaryPhase::Succeeded);
    t.act(Action::RecordResult { strategy: t.strategy, success: true, skipped: false });
    t.act(Action::CallHooks { kind: WebhookType::PostRollout, phase: CanaryPhase::Succeeded });
    t.event(format!("Promotion completed! Scaling down {}", t.target_id()));
    t.alert(Severity::Info, "Canary analysis completed successfully, promotion finished.");
}
