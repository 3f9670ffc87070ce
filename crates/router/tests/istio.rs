//! Istio: VirtualService + DestinationRules per step, compared with reviewed fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, ctx, golden, release, router, split};
use glidepath_api::flagger::Canary;
use glidepath_router::Weights;
use serde_json::{Value, json};

fn istio_canary() -> Canary {
    canary(
        "istio",
        json!({
            "port": 9898, "timeout": "30s",
            "hosts": ["app.example.com"],
            "gateways": ["public-gateway.istio-system.svc.cluster.local"],
            "match": [{"uri": {"prefix": "/api"}}],
            "rewrite": {"uri": "/", "type": "ReplacePrefixMatch"},
            "retries": {"attempts": 3, "perTryTimeout": "1s", "retryOn": "gateway-error,connect-failure"},
            "headers": {"request": {"add": {"x-envoy-upstream-rq-timeout-ms": "15000"}}, "response": {"remove": ["x-internal"]}},
            "corsPolicy": {"allowOrigins": [{"exact": "https://example.com"}], "allowMethods": ["GET", "POST"], "maxAge": "24h"},
            "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}, "loadBalancer": {"simple": "LEAST_REQUEST"}},
            "apex": {"annotations": {"team": "checkout"}}
        }),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10, "maxWeight": 50}),
    )
}

fn vs(objs: &[Value]) -> &Value {
    objs.iter().find(|o| o["kind"] == "VirtualService").unwrap()
}

#[test]
fn istio_release_steps_and_rollback() {
    let c = istio_canary();
    let r = router(&c);
    let seen = release(r.as_ref(), &ctx(&c), &[10, 20, 30]);
    golden("istio-init", &seen[0]);
    golden("istio-step-30", &seen[3]);
    assert_eq!(seen[0].len(), 3, "two DestinationRules and a VirtualService");
    // Rollback from any step writes the initial objects again.
    assert_eq!(r.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap(), seen[0]);
    let hosts = &vs(&seen[0])["spec"]["hosts"];
    assert_eq!(hosts, &json!(["app.example.com", "podinfo"]), "apex host appended");
}

#[test]
fn istio_ab_testing_merges_conditions_with_the_service_match() {
    let c = canary(
        "istio",
        json!({"port": 9898, "match": [{"uri": {"prefix": "/api"}, "headers": {"x-tenant": {"exact": "a"}}}]}),
        json!({"interval": "1m", "threshold": 5, "iterations": 10, "match": [
            {"headers": {"x-canary": {"exact": "insider"}}},
            {"headers": {"user-agent": {"suffix": "Firefox/120.0"}}, "sourceLabels": {"app": "frontend"}},
            {"queryParams": {"beta": {"exact": "1"}}}
        ]}),
    );
    let r = router(&c);
    let objs = r.desired(&ctx(&c), Weights::ALL_CANARY).unwrap();
    golden("istio-ab", &objs);
    assert_eq!(r.observed(&ctx(&c), &objs), Some(Weights::ALL_CANARY));
    let http = vs(&objs)["spec"]["http"].as_array().unwrap();
    assert_eq!(http.len(), 2);
    assert_eq!(http[0]["match"][0]["headers"]["x-tenant"], json!({"exact": "a"}), "service header kept");
    assert_eq!(http[0]["match"][1]["headers"]["user-agent"], json!({"regex": ".*Firefox/120\\.0$"}));
    assert_eq!(http[1]["route"], json!([{"destination": {"host": "podinfo-primary"}, "weight": 100}]));
    let back = r.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap();
    assert_eq!(r.observed(&ctx(&c), &back), Some(Weights::ALL_PRIMARY));
}

#[test]
fn istio_mirroring_with_mirror_weight() {
    let c = canary(
        "istio",
        json!({"port": 9898}),
        json!({"interval": "1m", "threshold": 5, "iterations": 10, "mirror": true, "mirrorWeight": 50}),
    );
    let r = router(&c);
    let mirrored = Weights { mirrored: true, ..Weights::ALL_PRIMARY };
    let objs = r.desired(&ctx(&c), mirrored).unwrap();
    golden("istio-mirror", &objs);
    assert_eq!(r.observed(&ctx(&c), &objs), Some(mirrored));
    let http0 = &vs(&objs)["spec"]["http"][0];
    assert_eq!(http0["mirror"], json!({"host": "podinfo-canary"}));
    assert_eq!(http0["mirrorPercentage"], json!({"value": 50.0}));
}

#[test]
fn istio_tcp_routes() {
    let c = canary(
        "istio",
        json!({"port": 6379, "appProtocol": "TCP", "match": [{"port": 6379}]}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 25}),
    );
    let r = router(&c);
    let seen = release(r.as_ref(), &ctx(&c), &[25, 50]);
    golden("istio-tcp-step-25", &seen[1]);
    assert!(vs(&seen[1])["spec"].get("http").is_none());
    let err = r.desired(&ctx(&c), Weights { mirrored: true, ..Weights::ALL_PRIMARY }).unwrap_err();
    assert!(err.to_string().contains("spec.analysis.mirror"), "{err}");
}

#[test]
fn istio_delegation_and_port_selection() {
    let c = canary(
        "istio",
        json!({"port": 9898, "delegation": true, "portDiscovery": true}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10}),
    );
    let objs = router(&c).desired(&ctx(&c), split(10)).unwrap();
    golden("istio-delegate-step-10", &objs);
    let spec = &vs(&objs)["spec"];
    assert!(spec.get("hosts").is_none() && spec.get("gateways").is_none(), "{spec}");
    assert_eq!(spec["http"][0]["route"][1]["destination"]["port"], json!({"number": 9898}));

    let bad = canary(
        "istio",
        json!({"port": 9898, "delegation": true, "hosts": ["x"]}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10}),
    );
    let err = router(&bad).desired(&ctx(&bad), Weights::ALL_PRIMARY).unwrap_err();
    assert!(err.to_string().contains("spec.service.delegation"), "{err}");
}

fn affinity_canary(status: Value) -> Canary {
    let mut c = canary(
        "istio",
        json!({"port": 9898, "match": [{"uri": {"prefix": "/"}}]}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 20,
               "sessionAffinity": {"cookieName": "flagger-cookie", "primaryCookieName": "primary-cookie", "maxAge": 3600}}),
    );
    c.status = serde_json::from_value(status).unwrap();
    c
}

#[test]
fn istio_session_affinity_routes() {
    let c = affinity_canary(json!({
        "sessionAffinityCookie": "flagger-cookie=abcdef",
        "primarySessionAffinityCookie": "primary-cookie=ghijkl"
    }));
    let r = router(&c);
    let objs = r.desired(&ctx(&c), split(20)).unwrap();
    golden("istio-affinity-step-20", &objs);
    assert_eq!(r.observed(&ctx(&c), &objs), Some(split(20)), "weights come from the weighted route");
    let http = vs(&objs)["spec"]["http"].as_array().unwrap();
    let names: Vec<&Value> = http.iter().map(|h| &h["name"]).collect();
    assert_eq!(names, [&json!("sticky-route"), &json!("sticky-primary-route"), &Value::Null]);
    assert_eq!(http[0]["match"][0]["headers"]["cookie"], json!({"regex": ".*flagger-cookie.*abcdef.*"}));
    assert_eq!(http[2]["route"][1]["headers"]["response"]["add"]["Set-Cookie"], "flagger-cookie=abcdef; Max-Age=3600");

    // After promotion the canary cookie is expired for whoever still carries it.
    let after = r.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap();
    golden("istio-affinity-after", &after);
    assert_eq!(r.observed(&ctx(&c), &after), Some(Weights::ALL_PRIMARY));
    let expire = &vs(&after)["spec"]["http"][0];
    assert_eq!(expire["headers"]["response"]["add"]["Set-Cookie"], "flagger-cookie=abcdef; Max-Age=-1");

    // Without a cookie in the status the router cannot build the sticky route.
    let unassigned = affinity_canary(json!({}));
    let err = r.desired(&ctx(&unassigned), split(20)).unwrap_err();
    assert!(err.to_string().contains("status.sessionAffinityCookie"), "{err}");
    assert_eq!(r.desired(&ctx(&unassigned), Weights::ALL_PRIMARY).unwrap().len(), 3, "no cookie, no sticky route");
}
