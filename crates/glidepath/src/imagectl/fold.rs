//! The one status fold of the image controllers: what a run's verdict does to `Ready`,
//! `Stalled` and `Reconciling`, and which Event it is news for.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::ResourceExt;

use crate::sync::Context;
use crate::sync::conditions as c;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ready(String),
    Failed { reason: &'static str, message: String, stalled: bool },
}

/// An Event to publish: `(warning, reason, message)`.
pub type Event = (bool, &'static str, String);

/// Sets the conditions for `verdict`; returns the Event it calls for. A success is news only
/// when it changes `Ready` (recovery or a new message); a failure always is (callers drop
/// repeats of the same message).
pub fn fold(conds: &mut Vec<Condition>, old: &[Condition], verdict: &Verdict, generation: i64) -> Option<Event> {
    match verdict {
        Verdict::Ready(msg) => {
            c::set(conds, c::READY, true, c::SUCCEEDED, msg, Some(generation));
            c::remove(conds, c::RECONCILING);
            c::remove(conds, c::STALLED);
            let before = c::get(old, c::READY);
            let changed = before.is_none_or(|r| r.status != "True" || r.message != *msg);
            changed.then(|| (false, c::SUCCEEDED, msg.clone()))
        }
        Verdict::Failed { reason, message, stalled } => {
            c::set(conds, c::READY, false, reason, message, Some(generation));
            if *stalled {
                c::set(conds, c::STALLED, true, reason, message, Some(generation));
                c::remove(conds, c::RECONCILING);
            } else {
                c::remove(conds, c::STALLED);
                c::set(conds, c::RECONCILING, true, c::PROGRESSING_WITH_RETRY, message, Some(generation));
            }
            Some((true, reason, message.clone()))
        }
    }
}

/// [`fold`], then publishes its Event unless the same message was the last one sent.
pub async fn report<K>(
    ctx: &Context,
    obj: &K,
    conds: &mut Vec<Condition>,
    old: &[Condition],
    verdict: &Verdict,
    controller: &str,
) where
    K: kube::Resource<DynamicType = ()>,
{
    let generation = obj.meta().generation.unwrap_or(0);
    let Some((warning, reason, message)) = fold(conds, old, verdict, generation) else { return };
    let key = format!("{}/{}/{}", K::kind(&()), obj.namespace().unwrap_or_default(), obj.name_any());
    if ctx.events.is_new(&key, &message) {
        ctx.publish(obj, warning, reason, &message, &[], controller).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(stalled: bool) -> Verdict {
        Verdict::Failed { reason: "GitOperationFailed", message: "boom".into(), stalled }
    }

    #[test]
    fn success_is_news_only_when_ready_changes() {
        let mut conds = Vec::new();
        let ok = Verdict::Ready("fine".into());
        assert_eq!(fold(&mut conds, &[], &ok, 1), Some((false, c::SUCCEEDED, "fine".into())));
        let old = conds.clone();
        assert_eq!(fold(&mut conds, &old, &ok, 1), None);
        assert_eq!(fold(&mut conds, &old, &Verdict::Ready("other".into()), 1).map(|e| e.2), Some("other".into()));
    }

    #[test]
    fn a_retried_failure_is_reconciling_and_a_stalled_one_is_not() {
        let mut conds = Vec::new();
        assert!(fold(&mut conds, &[], &failed(false), 3).is_some_and(|e| e.0));
        assert_eq!(c::get(&conds, c::RECONCILING).map(|r| r.reason.as_str()), Some(c::PROGRESSING_WITH_RETRY));
        assert!(c::get(&conds, c::STALLED).is_none());
        fold(&mut conds, &[], &failed(true), 3);
        assert!(c::get(&conds, c::RECONCILING).is_none());
        assert_eq!(c::get(&conds, c::STALLED).map(|r| r.status.as_str()), Some("True"));
        assert_eq!(c::get(&conds, c::READY).map(|r| r.observed_generation), Some(Some(3)));
        fold(&mut conds, &[], &Verdict::Ready("ok".into()), 4);
        assert!(c::get(&conds, c::STALLED).is_none() && c::get(&conds, c::RECONCILING).is_none());
    }
}
