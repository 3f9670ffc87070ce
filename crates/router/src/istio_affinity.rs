//! Istio session affinity (`analysis.sessionAffinity`). While the canary gets traffic, its
//! weighted destination sets a cookie and a `sticky-route` in front sends requests carrying
//! that cookie to the canary only; with `primaryCookieName` the primary destination sets its
//! own cookie and a `sticky-primary-route` keeps those users on the primary. Once the canary
//! is back at 0 the sticky route expires the stale canary cookie (`Max-Age=-1`).
//!
//! Cookie values are state, not configuration: the controller assigns them in the Canary's
//! status (`sessionAffinityCookie`, `primarySessionAffinityCookie` as `<name>=<random>`) before
//! it shifts weight, and keeps the last canary cookie (or `previousSessionAffinityCookie`)
//! until the next run, so this stays a pure function of the Canary.

use glidepath_api::flagger::SessionAffinity;
use serde_json::{Value, json};

use crate::istio::{Destinations, err, narrow};
use crate::matching::regex_escape;
use crate::{RouteContext, RouterError, Weights};

pub const STICKY_ROUTE: &str = "sticky-route";
pub const STICKY_PRIMARY_ROUTE: &str = "sticky-primary-route";

/// `Set-Cookie` value for `cookie` (`name=value`) with the configured attributes.
pub fn build_cookie(sa: &SessionAffinity, cookie: &str) -> String {
    let mut out = format!("{cookie}; Max-Age={}", sa.max_age());
    if let Some(d) = &sa.domain {
        out.push_str(&format!("; Domain={d}"));
    }
    if sa.http_only == Some(true) {
        out.push_str("; HttpOnly");
    }
    if sa.partitioned == Some(true) {
        out.push_str("; Partitioned");
    }
    if let Some(p) = &sa.path {
        out.push_str(&format!("; Path={p}"));
    }
    if let Some(s) = &sa.same_site {
        out.push_str(&format!("; SameSite={s}"));
    }
    if sa.secure == Some(true) {
        out.push_str("; Secure");
    }
    out
}

/// A match on the `cookie` request header carrying `name=value`.
fn cookie_condition(cookie: &str, field: &'static str) -> Result<Value, RouterError> {
    let (name, value) = cookie
        .split_once('=')
        .filter(|(n, v)| !n.is_empty() && !v.is_empty())
        .ok_or_else(|| err(field, format!("{cookie:?} is not of the form <name>=<value>")))?;
    let regex = format!(".*{}.*{}.*", regex_escape(name), regex_escape(value));
    Ok(json!({"headers": {"cookie": {"regex": regex}}}))
}

fn set_cookie_on(route: &mut Value, host: &str, set_cookie: String) {
    for d in route["route"].as_array_mut().into_iter().flatten() {
        if d["destination"]["host"] == host {
            d["headers"]["response"]["add"]["Set-Cookie"] = json!(set_cookie);
        }
    }
}

/// A copy of the weighted route's settings that matches `cookie` and routes to `destinations`.
fn sticky(weighted: &Value, name: &str, base: &[Value], cookie: &Value, destinations: Option<Vec<Value>>) -> Value {
    let mut r = weighted.clone();
    if let Some(obj) = r.as_object_mut() {
        obj.remove("mirror");
        obj.remove("mirrorPercentage");
    }
    r["name"] = json!(name);
    r["match"] = json!(narrow(base, cookie));
    if let Some(d) = destinations {
        r["route"] = json!(d);
    }
    r
}

pub(crate) fn with_session_affinity(
    ctx: &RouteContext<'_>,
    dest: &Destinations,
    sa: &SessionAffinity,
    base: &[Value],
    mut weighted: Value,
    weights: Weights,
) -> Result<Vec<Value>, RouterError> {
    let status = ctx.canary.status.as_ref();
    if weights.canary > 0 {
        const FIELD: &str = "status.sessionAffinityCookie";
        let cookie = status.and_then(|s| s.session_affinity_cookie.as_deref()).ok_or_else(|| {
            err(FIELD, "not assigned yet: the controller assigns <cookieName>=<random> before shifting traffic")
        })?;
        set_cookie_on(&mut weighted, &ctx.canary_service(), build_cookie(sa, cookie));
        let to_canary = dest.weighted(Weights { primary: 0, canary: 100, mirrored: false });
        let mut routes =
            vec![sticky(&weighted, STICKY_ROUTE, base, &cookie_condition(cookie, FIELD)?, Some(to_canary))];
        if sa.primary_cookie_name.as_deref().is_some_and(|n| !n.is_empty()) {
            const PFIELD: &str = "status.primarySessionAffinityCookie";
            let pcookie = status.and_then(|s| s.primary_session_affinity_cookie.as_deref()).ok_or_else(|| {
                err(
                    PFIELD,
                    "not assigned yet: the controller assigns <primaryCookieName>=<random> before shifting traffic",
                )
            })?;
            set_cookie_on(&mut weighted, &ctx.primary(), build_cookie(sa, pcookie));
            let cond = cookie_condition(pcookie, PFIELD)?;
            routes.push(sticky(
                &weighted,
                STICKY_PRIMARY_ROUTE,
                base,
                &cond,
                Some(dest.weighted(Weights::ALL_PRIMARY)),
            ));
        }
        routes.push(weighted);
        return Ok(routes);
    }
    // Back at 0: expire the last run's canary cookie, routing its holders like everyone else.
    let stale =
        status.and_then(|s| s.session_affinity_cookie.as_deref().or(s.previous_session_affinity_cookie.as_deref()));
    let Some(stale) = stale else { return Ok(vec![weighted]) };
    let mut expire =
        sticky(&weighted, STICKY_ROUTE, base, &cookie_condition(stale, "status.sessionAffinityCookie")?, None);
    expire["headers"]["response"]["add"]["Set-Cookie"] = json!(format!("{stale}; Max-Age=-1"));
    Ok(vec![expire, weighted])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes_follow_the_spec() {
        let sa = SessionAffinity {
            cookie_name: "canary".into(),
            max_age: Some(60),
            domain: Some("example.com".into()),
            http_only: Some(true),
            path: Some("/".into()),
            same_site: Some("Strict".into()),
            secure: Some(true),
            ..SessionAffinity::default()
        };
        assert_eq!(
            build_cookie(&sa, "canary=abc"),
            "canary=abc; Max-Age=60; Domain=example.com; HttpOnly; Path=/; SameSite=Strict; Secure"
        );
        let plain = SessionAffinity { cookie_name: "c".into(), ..SessionAffinity::default() };
        assert_eq!(build_cookie(&plain, "c=x"), "c=x; Max-Age=86400");
    }

    #[test]
    fn malformed_cookie_state_is_an_error_naming_the_field() {
        let e = cookie_condition("novalue", "status.sessionAffinityCookie").unwrap_err();
        assert!(e.to_string().contains("status.sessionAffinityCookie"), "{e}");
        let ok = cookie_condition("a.b=x+y", "f").unwrap();
        assert_eq!(ok["headers"]["cookie"]["regex"], ".*a\\.b.*x\\+y.*");
    }
}
