//! Gateway API session affinity (`analysis.sessionAffinity`), the HTTPRoute twin of
//! `istio_affinity`: while the canary gets traffic its weighted backendRef adds a `Set-Cookie`
//! response header and a rule named `sticky-route` in front sends requests carrying that cookie
//! to the canary only; with `primaryCookieName` the primary backendRef sets its own cookie and
//! `sticky-primary-route` keeps those users on the primary (both API versions: upstream's
//! v1beta1 router had no primary cookie). Back at weight 0, `sticky-route` expires the stale
//! canary cookie. Cookie values come from the Canary's status (see `cookies`).

use glidepath_api::flagger::SessionAffinity;
use serde_json::{Value, json};

use crate::cookies::{
    CANARY_FIELD, PRIMARY_FIELD, assigned, build_cookie, cookie_regex, stale_cookie, wants_primary_cookie,
};
use crate::{RouteContext, RouterError, Weights};

pub const STICKY_ROUTE: &str = "sticky-route";
pub const STICKY_PRIMARY_ROUTE: &str = "sticky-primary-route";

/// The base matches narrowed to requests whose `Cookie` header carries `cookie`.
fn cookie_matches(base: &[Value], cookie: &str) -> Result<Vec<Value>, String> {
    let header = json!({"type": "RegularExpression", "name": "Cookie", "value": cookie_regex(cookie)?});
    Ok(base
        .iter()
        .map(|m| {
            let mut m = m.clone();
            let mut headers = m["headers"].as_array().cloned().unwrap_or_default();
            headers.push(header.clone());
            m["headers"] = json!(headers);
            m
        })
        .collect())
}

/// Add `Set-Cookie: value` to the response modifier in `filters` (at most one is allowed).
fn add_set_cookie(filters: &mut Value, value: String) {
    let header = json!({"name": "Set-Cookie", "value": value});
    let mut list = filters.as_array().cloned().unwrap_or_default();
    match list.iter_mut().find(|f| f["type"] == "ResponseHeaderModifier") {
        Some(f) => {
            let mut add = f["responseHeaderModifier"]["add"].as_array().cloned().unwrap_or_default();
            add.push(header);
            f["responseHeaderModifier"]["add"] = json!(add);
        }
        None => list.push(json!({"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": [header]}})),
    }
    *filters = json!(list);
}

fn set_cookie_on_backend(rule: &mut Value, service: &str, value: String) {
    for b in rule["backendRefs"].as_array_mut().into_iter().flatten() {
        if b["name"] == service {
            add_set_cookie(&mut b["filters"], value.clone());
        }
    }
}

/// A copy of the weighted rule (filters, timeouts) with its own name, matches and backends;
/// the canary mirror stays on the weighted rule only.
fn sticky(ctx: &RouteContext<'_>, weighted: &Value, name: &str, matches: Vec<Value>, backends: Option<Value>) -> Value {
    let mut r = weighted.clone();
    r["name"] = json!(name);
    r["matches"] = json!(matches);
    if let Some(b) = backends {
        r["backendRefs"] = b;
    }
    let canary = ctx.canary_service();
    if let Some(filters) = r.get_mut("filters").and_then(Value::as_array_mut) {
        filters
            .retain(|f| !(f["type"] == "RequestMirror" && f["requestMirror"]["backendRef"]["name"] == canary.as_str()));
        if filters.is_empty()
            && let Some(obj) = r.as_object_mut()
        {
            obj.remove("filters");
        }
    }
    r
}

pub(crate) fn with_session_affinity(
    provider: &'static str,
    ctx: &RouteContext<'_>,
    sa: &SessionAffinity,
    base: &[Value],
    mut weighted: Value,
    weights: Weights,
    backend: &dyn Fn(String, i32) -> Value,
) -> Result<Vec<Value>, RouterError> {
    let err = |field: &'static str, message: String| RouterError::BuildRoutes { provider, field, message };
    if weights.canary > 0 {
        let cookie = assigned(ctx, false).map_err(|(f, m)| err(f, m))?;
        set_cookie_on_backend(&mut weighted, &ctx.canary_service(), build_cookie(sa, cookie));
        let matches = cookie_matches(base, cookie).map_err(|m| err(CANARY_FIELD, m))?;
        let to_canary = json!([backend(ctx.primary(), 0), backend(ctx.canary_service(), 100)]);
        let mut rules = vec![sticky(ctx, &weighted, STICKY_ROUTE, matches, Some(to_canary))];
        if wants_primary_cookie(sa) {
            let pcookie = assigned(ctx, true).map_err(|(f, m)| err(f, m))?;
            set_cookie_on_backend(&mut weighted, &ctx.primary(), build_cookie(sa, pcookie));
            let matches = cookie_matches(base, pcookie).map_err(|m| err(PRIMARY_FIELD, m))?;
            let to_primary = json!([backend(ctx.primary(), 100), backend(ctx.canary_service(), 0)]);
            rules.push(sticky(ctx, &weighted, STICKY_PRIMARY_ROUTE, matches, Some(to_primary)));
        }
        rules.push(weighted);
        return Ok(rules);
    }
    let Some(stale) = stale_cookie(ctx) else { return Ok(vec![weighted]) };
    let matches = cookie_matches(base, stale).map_err(|m| err(CANARY_FIELD, m))?;
    let mut expire = sticky(ctx, &weighted, STICKY_ROUTE, matches, None);
    add_set_cookie(&mut expire["filters"], format!("{stale}; Max-Age=-1"));
    Ok(vec![expire, weighted])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_response_modifier_per_filter_list() {
        let mut filters = json!([
            {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": [{"name": "x", "value": "1"}]}}
        ]);
        add_set_cookie(&mut filters, "c=v; Max-Age=-1".into());
        assert_eq!(filters.as_array().unwrap().len(), 1);
        assert_eq!(
            filters[0]["responseHeaderModifier"]["add"][1],
            json!({"name": "Set-Cookie", "value": "c=v; Max-Age=-1"})
        );
        let mut empty = Value::Null;
        add_set_cookie(&mut empty, "c=v".into());
        assert_eq!(empty[0]["type"], "ResponseHeaderModifier");
    }
}
