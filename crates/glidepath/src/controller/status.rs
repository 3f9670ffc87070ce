//! The Canary status after a decision: counters, hashes, `lastTransitionTime`, and the
//! `Promoted` condition with Flagger's reasons and messages.

use glidepath_api::flagger::status::PROMOTED_CONDITION;
use glidepath_api::flagger::{CanaryCondition, CanaryStatus, ConditionStatus};
use glidepath_canary::StatusChange;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// Condition type Glidepath adds for a spec it cannot run.
pub const VALIDATED_CONDITION: &str = "Validated";

/// Apply `change` to `current`; `None` when nothing changes.
pub fn next(current: &CanaryStatus, change: &StatusChange, kind: &str, now: Timestamp) -> Option<CanaryStatus> {
    if change.is_empty() {
        return None;
    }
    let mut s = current.clone();
    if let Some(p) = change.phase {
        s.phase = p;
    }
    if let Some(w) = change.canary_weight {
        s.canary_weight = Some(w);
    }
    if let Some(i) = change.iterations {
        s.iterations = Some(i);
    }
    if let Some(f) = change.failed_checks {
        s.failed_checks = Some(f);
    }
    if let Some(h) = &change.last_applied_spec {
        s.last_applied_spec = Some(h.clone());
    }
    if let Some(h) = &change.last_promoted_spec {
        s.last_promoted_spec = Some(h.clone());
    }
    if let Some(t) = &change.tracked_configs {
        s.tracked_configs = Some(t.clone());
    }
    // Counters default to 0 on the wire, as Flagger writes them.
    s.canary_weight.get_or_insert(0);
    s.failed_checks.get_or_insert(0);
    s.iterations.get_or_insert(0);
    if s == *current {
        return None;
    }
    s.last_transition_time = Some(Time(now));
    let (status, message) = s.phase.promoted_condition(kind);
    let reason = s.phase.as_str().to_owned();
    set_condition(&mut s, PROMOTED_CONDITION, status, reason, message, now);
    set_condition(
        &mut s,
        VALIDATED_CONDITION,
        ConditionStatus::True,
        "Valid".into(),
        "Canary spec is valid.".into(),
        now,
    );
    Some(s)
}

/// Set a condition, keeping its transition time when its status did not change.
pub fn set_condition(
    s: &mut CanaryStatus,
    type_: &str,
    status: ConditionStatus,
    reason: String,
    message: String,
    now: Timestamp,
) {
    let conditions = s.conditions.get_or_insert_with(Vec::new);
    let previous = conditions.iter().find(|c| c.r#type == type_).cloned();
    conditions.retain(|c| c.r#type != type_);
    let transition = match &previous {
        Some(p) if p.status == status.as_str() => p.last_transition_time.clone(),
        _ => Some(Time(now)),
    };
    conditions.push(CanaryCondition {
        r#type: type_.to_owned(),
        status: status.as_str().to_owned(),
        last_update_time: Some(Time(now)),
        last_transition_time: transition,
        reason,
        message: Some(message),
    });
    conditions.sort_by(|a, b| a.r#type.cmp(&b.r#type));
}

#[cfg(test)]
mod tests {
    use super::*;
    use glidepath_api::flagger::CanaryPhase;

    #[test]
    fn promoted_condition_follows_the_phase() {
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let change = StatusChange { phase: Some(CanaryPhase::Initialized), ..Default::default() };
        let s = next(&CanaryStatus::default(), &change, "Deployment", now).unwrap();
        let c = s.promoted().unwrap();
        assert_eq!((c.status.as_str(), c.reason.as_str()), ("True", "Initialized"));
        assert_eq!(c.message.as_deref(), Some("Deployment initialization completed."));
        assert_eq!(s.canary_weight, Some(0));
        // No change, no write.
        assert_eq!(next(&s, &change, "Deployment", now), None);
        // Same condition status keeps its transition time.
        let later: Timestamp = "2026-11-22T10:05:00Z".parse().unwrap();
        let s2 =
            next(&s, &StatusChange { canary_weight: Some(10), ..Default::default() }, "Deployment", later).unwrap();
        assert_eq!(s2.promoted().unwrap().last_transition_time, c.last_transition_time);
        assert_eq!(s2.last_transition_time, Some(Time(later)));
    }
}
