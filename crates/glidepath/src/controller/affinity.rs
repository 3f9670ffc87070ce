//! Session-affinity cookies (`analysis.sessionAffinity`): the routers read them from the
//! Canary status and never make them (they stay pure), so the controller assigns
//! `<cookieName>=<random>` (and the primary's) while a run is active, and retires the canary
//! cookie to `previousSessionAffinityCookie` when the run ends (the routers then expire it),
//! as Flagger does: each run gets a new cookie.

use glidepath_api::flagger::{Canary, CanaryPhase, CanaryStatus, Provider};

/// The status with cookies assigned or retired, or `None` when nothing changes (or the
/// provider has no session affinity). `salt` makes the value unique; pass something random.
pub fn assign(canary: &Canary, provider: Provider, salt: u64) -> Option<CanaryStatus> {
    if !glidepath_router::capabilities(provider).session_affinity {
        return None;
    }
    let sa = canary.spec.analysis.as_ref()?.session_affinity.as_ref()?;
    let mut status = canary.status.clone().unwrap_or_default();
    let mut changed = false;
    let active = matches!(
        status.phase,
        CanaryPhase::Progressing
            | CanaryPhase::Waiting
            | CanaryPhase::WaitingPromotion
            | CanaryPhase::Promoting
            | CanaryPhase::Finalising
    );
    let settled = matches!(status.phase, CanaryPhase::Initialized | CanaryPhase::Succeeded | CanaryPhase::Failed);
    if settled && let Some(cookie) = status.session_affinity_cookie.take() {
        status.previous_session_affinity_cookie = Some(cookie);
        changed = true;
    }
    if active && status.session_affinity_cookie.is_none() && !sa.cookie_name.is_empty() {
        status.session_affinity_cookie = Some(format!("{}={}", sa.cookie_name, token(salt, 0)));
        changed = true;
    }
    if let Some(name) = sa.primary_cookie_name.as_deref().filter(|n| !n.is_empty())
        && status.primary_session_affinity_cookie.is_none()
    {
        status.primary_session_affinity_cookie = Some(format!("{name}={}", token(salt, 1)));
        changed = true;
    }
    changed.then_some(status)
}

/// 16 lowercase hex digits, different for each `n`.
fn token(salt: u64, n: u64) -> String {
    let mut x = salt ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // splitmix64: spreads a counter-like salt over all bits.
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    format!("{:016x}", x ^ (x >> 31))
}

/// A value that differs between calls and processes, for [`assign`].
pub fn salt() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canary(sa: serde_json::Value) -> Canary {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "analysis": {"interval": "1m", "sessionAffinity": sa}},
            "status": {"phase": "Progressing"}
        }))
        .unwrap()
    }

    #[test]
    fn a_run_gets_a_new_cookie_and_retires_it_at_the_end() {
        let mut c = canary(serde_json::json!({"cookieName": "canary"}));
        let s = assign(&c, Provider::Istio, 7).unwrap();
        let first = s.session_affinity_cookie.clone().unwrap();
        c.status = Some(CanaryStatus { phase: CanaryPhase::Succeeded, ..s });
        let ended = assign(&c, Provider::Istio, 8).unwrap();
        assert_eq!(ended.session_affinity_cookie, None);
        assert_eq!(ended.previous_session_affinity_cookie.as_deref(), Some(first.as_str()));
        c.status = Some(CanaryStatus { phase: CanaryPhase::Progressing, ..ended });
        let next = assign(&c, Provider::Istio, 9).unwrap();
        assert_ne!(next.session_affinity_cookie.as_deref(), Some(first.as_str()), "a new run, a new cookie");
        assert_eq!(next.previous_session_affinity_cookie.as_deref(), Some(first.as_str()));
    }

    #[test]
    fn missing_cookies_are_assigned_once() {
        let c = canary(serde_json::json!({"cookieName": "canary", "primaryCookieName": "primary"}));
        let s = assign(&c, Provider::Istio, 42).unwrap();
        let cookie = s.session_affinity_cookie.clone().unwrap();
        assert!(cookie.starts_with("canary=") && cookie.len() == "canary=".len() + 16, "{cookie}");
        assert!(s.primary_session_affinity_cookie.as_deref().unwrap().starts_with("primary="));
        assert_ne!(cookie["canary=".len()..], s.primary_session_affinity_cookie.clone().unwrap()["primary=".len()..]);
        let mut again = c.clone();
        again.status = Some(s);
        assert_eq!(assign(&again, Provider::Istio, 43), None, "kept for the whole run");
    }

    #[test]
    fn nothing_without_session_affinity_or_support() {
        let c = canary(serde_json::json!({"cookieName": "canary"}));
        assert_eq!(assign(&c, Provider::Kubernetes, 1), None);
        assert!(assign(&c, Provider::GatewayApiV1, 1).is_some());
        let mut plain = c.clone();
        plain.spec.analysis.as_mut().unwrap().session_affinity = None;
        assert_eq!(assign(&plain, Provider::Istio, 1), None);
    }
}
