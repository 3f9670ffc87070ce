//! What a Kustomization reconcile must do, decided from what is observed and remembered; no I/O,
//! the clock is passed in.
//!
//! The rule that answers Flux's monorepo complaint: a new source revision whose content under
//! `spec.path` is unchanged does not rebuild or apply anything; it only records the revision.

use std::time::{Duration, Instant};

/// What the controller remembers about a Kustomization between reconciles (in memory: after a
/// restart the first reconcile is a full one, which writes nothing when nothing drifted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    pub generation: i64,
    pub requested_at: Option<String>,
    /// Source revision and digest of the content under `path` at the last full reconcile.
    pub revision: String,
    pub path_digest: String,
    /// When the last full reconcile ran, and whether it succeeded.
    pub ran_at: Instant,
    pub succeeded: bool,
}

/// The observed state that matters for the decision.
#[derive(Clone, Debug)]
pub struct Observed<'a> {
    pub generation: i64,
    pub suspended: bool,
    pub requested_at: Option<&'a str>,
    /// Source revision and path digest, `None` when the source has no artifact yet.
    pub source: Option<(&'a str, &'a str)>,
    pub interval: Duration,
    pub retry_interval: Duration,
}

/// Why a full reconcile runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// First reconcile since the controller started.
    First,
    SpecChanged,
    Requested,
    /// The content under `path` changed.
    NewContent,
    /// Retry after a failure.
    Retry,
    /// Drift detection and correction on the interval.
    Interval,
}

/// The decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// `spec.suspend`: no apply, no drift correction.
    Suspended,
    /// No artifact to build from yet.
    SourceNotReady,
    /// Build, apply, prune, health-check.
    Reconcile(Trigger),
    /// A new revision with identical content under `path`: record it, apply nothing.
    RecordRevision,
    /// Nothing due; look again after this long.
    Wait(Duration),
}

/// Decide what to do now.
pub fn plan_kustomization(obs: &Observed<'_>, memory: Option<&Memory>, now: Instant) -> Plan {
    if obs.suspended {
        return Plan::Suspended;
    }
    let Some((revision, digest)) = obs.source else { return Plan::SourceNotReady };
    let Some(m) = memory else { return Plan::Reconcile(Trigger::First) };
    if m.generation != obs.generation {
        return Plan::Reconcile(Trigger::SpecChanged);
    }
    if obs.requested_at.is_some() && obs.requested_at != m.requested_at.as_deref() {
        return Plan::Reconcile(Trigger::Requested);
    }
    let elapsed = now.saturating_duration_since(m.ran_at);
    if !m.succeeded {
        return if elapsed >= obs.retry_interval {
            Plan::Reconcile(Trigger::Retry)
        } else if m.revision != revision && m.path_digest != digest {
            Plan::Reconcile(Trigger::NewContent)
        } else {
            Plan::Wait(obs.retry_interval - elapsed)
        };
    }
    if m.revision != revision {
        return if m.path_digest == digest { Plan::RecordRevision } else { Plan::Reconcile(Trigger::NewContent) };
    }
    if elapsed >= obs.interval { Plan::Reconcile(Trigger::Interval) } else { Plan::Wait(obs.interval - elapsed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn obs<'a>(source: Option<(&'a str, &'a str)>) -> Observed<'a> {
        Observed {
            generation: 1,
            suspended: false,
            requested_at: None,
            source,
            interval: 10 * MIN,
            retry_interval: MIN,
        }
    }

    fn memory(t0: Instant, succeeded: bool) -> Memory {
        Memory {
            generation: 1,
            requested_at: None,
            revision: "main@sha1:a".into(),
            path_digest: "d1".into(),
            ran_at: t0,
            succeeded,
        }
    }

    #[test]
    fn suspended_and_missing_source_come_first() {
        let t0 = Instant::now();
        let mut o = obs(Some(("main@sha1:a", "d1")));
        o.suspended = true;
        assert_eq!(plan_kustomization(&o, Some(&memory(t0, true)), t0), Plan::Suspended);
        assert_eq!(plan_kustomization(&obs(None), None, t0), Plan::SourceNotReady);
        assert_eq!(plan_kustomization(&obs(Some(("r", "d"))), None, t0), Plan::Reconcile(Trigger::First));
    }

    #[test]
    fn a_new_revision_applies_only_when_the_path_content_changed() {
        let t0 = Instant::now();
        let m = memory(t0, true);
        let now = t0 + Duration::from_secs(5);
        assert_eq!(plan_kustomization(&obs(Some(("main@sha1:b", "d1"))), Some(&m), now), Plan::RecordRevision);
        assert_eq!(
            plan_kustomization(&obs(Some(("main@sha1:b", "d2"))), Some(&m), now),
            Plan::Reconcile(Trigger::NewContent)
        );
        assert_eq!(
            plan_kustomization(&obs(Some(("main@sha1:a", "d1"))), Some(&m), now),
            Plan::Wait(10 * MIN - Duration::from_secs(5))
        );
        assert_eq!(
            plan_kustomization(&obs(Some(("main@sha1:a", "d1"))), Some(&m), t0 + 10 * MIN),
            Plan::Reconcile(Trigger::Interval)
        );
    }

    #[test]
    fn spec_changes_requests_and_retries_reconcile() {
        let t0 = Instant::now();
        let src = Some(("main@sha1:a", "d1"));
        let mut o = obs(src);
        o.generation = 2;
        assert_eq!(plan_kustomization(&o, Some(&memory(t0, true)), t0), Plan::Reconcile(Trigger::SpecChanged));
        let mut o = obs(src);
        o.requested_at = Some("2026-01-01T00:00:00Z");
        assert_eq!(plan_kustomization(&o, Some(&memory(t0, true)), t0), Plan::Reconcile(Trigger::Requested));
        let failed = memory(t0, false);
        assert_eq!(
            plan_kustomization(&obs(src), Some(&failed), t0 + Duration::from_secs(1)),
            Plan::Wait(MIN - Duration::from_secs(1))
        );
        assert_eq!(plan_kustomization(&obs(src), Some(&failed), t0 + MIN), Plan::Reconcile(Trigger::Retry));
        assert_eq!(
            plan_kustomization(&obs(Some(("main@sha1:c", "d3"))), Some(&failed), t0),
            Plan::Reconcile(Trigger::NewContent)
        );
    }
}
