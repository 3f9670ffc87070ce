//! Session-affinity cookies shared by the Istio and Gateway API routers: the `Set-Cookie`
//! value, the request match on a cookie, and which cookie state the Canary's status holds.

use glidepath_api::flagger::SessionAffinity;

use crate::RouteContext;
use crate::matching::regex_escape;

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

/// A regex matching a `Cookie` request header that carries `cookie` (`name=value`).
pub fn cookie_regex(cookie: &str) -> Result<String, String> {
    let (name, value) = cookie
        .split_once('=')
        .filter(|(n, v)| !n.is_empty() && !v.is_empty())
        .ok_or_else(|| format!("{cookie:?} is not of the form <name>=<value>"))?;
    Ok(format!(".*{}.*{}.*", regex_escape(name), regex_escape(value)))
}

pub const CANARY_FIELD: &str = "status.sessionAffinityCookie";
pub const PRIMARY_FIELD: &str = "status.primarySessionAffinityCookie";

/// The cookie the controller assigned for the current run (the primary's when `primary`), or
/// the status field that lacks it and why.
pub fn assigned<'a>(ctx: &RouteContext<'a>, primary: bool) -> Result<&'a str, (&'static str, String)> {
    let status = ctx.canary.status.as_ref();
    let (field, value, name) = if primary {
        (PRIMARY_FIELD, status.and_then(|s| s.primary_session_affinity_cookie.as_deref()), "primaryCookieName")
    } else {
        (CANARY_FIELD, status.and_then(|s| s.session_affinity_cookie.as_deref()), "cookieName")
    };
    value.ok_or_else(|| {
        (field, format!("not assigned yet: the controller assigns <{name}>=<random> before shifting traffic"))
    })
}

/// Whether the Canary asks for a primary cookie too.
pub fn wants_primary_cookie(sa: &SessionAffinity) -> bool {
    sa.primary_cookie_name.as_deref().is_some_and(|n| !n.is_empty())
}

/// The canary cookie of the run that ended (current, else previous), to expire at weight 0.
pub fn stale_cookie<'a>(ctx: &RouteContext<'a>) -> Option<&'a str> {
    let s = ctx.canary.status.as_ref()?;
    s.session_affinity_cookie.as_deref().or(s.previous_session_affinity_cookie.as_deref())
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
}
