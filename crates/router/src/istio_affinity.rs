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

use crate::cookies::{
    CANARY_FIELD, PRIMARY_FIELD, assigned, build_cookie, cookie_regex, stale_cookie, wants_primary_cookie,
};
use crate::istio::{Destinations, err, narrow};
use crate::{RouteContext, RouterError, Weights};

pub const STICKY_ROUTE: &str = "sticky-route";
pub const STICKY_PRIMARY_ROUTE: &str = "sticky-primary-route";

/// A match on the `cookie` request header carrying `name=value`.
fn cookie_condition(cookie: &str, field: &'static str) -> Result<Value, RouterError> {
    let regex = cookie_regex(cookie).map_err(|m| err(field, m))?;
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
    if weights.canary > 0 {
        let cookie = assigned(ctx, false).map_err(|(f, m)| err(f, m))?;
        set_cookie_on(&mut weighted, &ctx.canary_service(), build_cookie(sa, cookie));
        let to_canary = dest.weighted(Weights { primary: 0, canary: 100, mirrored: false });
        let cond = cookie_condition(cookie, CANARY_FIELD)?;
        let mut routes = vec![sticky(&weighted, STICKY_ROUTE, base, &cond, Some(to_canary))];
        if wants_primary_cookie(sa) {
            let pcookie = assigned(ctx, true).map_err(|(f, m)| err(f, m))?;
            set_cookie_on(&mut weighted, &ctx.primary(), build_cookie(sa, pcookie));
            let cond = cookie_condition(pcookie, PRIMARY_FIELD)?;
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
    let Some(stale) = stale_cookie(ctx) else { return Ok(vec![weighted]) };
    let mut expire = sticky(&weighted, STICKY_ROUTE, base, &cookie_condition(stale, CANARY_FIELD)?, None);
    expire["headers"]["response"]["add"]["Set-Cookie"] = json!(format!("{stale}; Max-Age=-1"));
    Ok(vec![expire, weighted])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_cookie_state_is_an_error_naming_the_field() {
        let e = cookie_condition("novalue", "status.sessionAffinityCookie").unwrap_err();
        assert!(e.to_string().contains("status.sessionAffinityCookie"), "{e}");
        let ok = cookie_condition("a.b=x+y", "f").unwrap();
        assert_eq!(ok["headers"]["cookie"]["regex"], ".*a\\.b.*x\\+y.*");
    }
}
