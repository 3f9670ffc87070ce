//! Desired objects per provider and step, compared with reviewed fixtures in
//! `tests/fixtures/`. `UPDATE_GOLDEN=1 cargo test -p glidepath-router` rewrites them; review
//! the diff before committing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, ctx, golden};
use glidepath_api::flagger::Canary;
use glidepath_api::flagger::defaults::Strategy;
use glidepath_router::{Weights, for_provider, kubernetes};
use serde_json::{Value, json};

fn gateway_canary() -> Canary {
    canary(
        "gatewayapi:v1",
        json!({
            "port": 9898, "timeout": "30s",
            "hosts": ["podinfo.example.com"],
            "gatewayRefs": [{"name": "public", "namespace": "gateway"}],
            "headers": {"request": {"set": {"x-b": "2", "x-a": "1"}, "remove": ["x-z", "x-y"]}},
            "apex": {"labels": {"team": "a"}}
        }),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10}),
    )
}

#[test]
fn kubernetes_services() {
    let c = canary(
        "kubernetes",
        json!({"port": 80, "targetPort": "http", "portName": "web", "canary": {"annotations": {"a": "b"}}}),
        json!({"iterations": 5}),
    );
    golden("kubernetes-services", &kubernetes::services(&ctx(&c), false).unwrap());
    let router = for_provider(c.spec.effective_provider("istio").unwrap());
    let switched = router.desired(&ctx(&c), Weights::ALL_CANARY).unwrap();
    assert_eq!(switched[0]["spec"]["selector"], json!({"app": "podinfo"}), "blue/green: apex selects the canary pods");
    assert_eq!(router.observed(&ctx(&c), &switched), Some(Weights::ALL_CANARY));
    let back = router.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap();
    assert_eq!(router.observed(&ctx(&c), &back), Some(Weights::ALL_PRIMARY));
}

#[test]
fn gatewayapi_steps() {
    let c = gateway_canary();
    let router = for_provider(c.spec.effective_provider("istio").unwrap());
    let init = router.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap();
    golden("gatewayapi-init", &init);
    for w in [10, 50, 100] {
        let weights = Weights { primary: 100 - w, canary: w, mirrored: false };
        let objs = router.desired(&ctx(&c), weights).unwrap();
        assert_eq!(router.observed(&ctx(&c), &objs), Some(weights), "read back {w}");
        if w == 10 {
            golden("gatewayapi-step-10", &objs);
        }
    }
    assert_eq!(router.observed(&ctx(&c), &[]), None, "no route yet");
}

#[test]
fn gatewayapi_ab_testing() {
    let c = canary(
        "gatewayapi",
        json!({"port": 9898, "gatewayRefs": [{"name": "public"}], "match": [{"uri": {"prefix": "/api"}}]}),
        json!({"interval": "1m", "threshold": 5, "iterations": 10, "match": [
            {"headers": {"x-canary": {"exact": "insider"}}},
            {"headers": {"user-agent": {"suffix": "Firefox/120.0"}}, "queryParams": {"beta": {"exact": "1"}}}
        ]}),
    );
    assert_eq!(ctx(&c).strategy, Strategy::AbTesting);
    let router = for_provider(c.spec.effective_provider("istio").unwrap());
    golden("gatewayapi-ab", &router.desired(&ctx(&c), Weights::ALL_CANARY).unwrap());
}

#[test]
fn gatewayapi_blue_green_mirroring() {
    let c = canary(
        "gatewayapi:v1beta1",
        json!({"port": 9898, "gatewayRefs": [{"name": "public"}]}),
        json!({"interval": "1m", "threshold": 5, "iterations": 10, "mirror": true}),
    );
    let router = for_provider(c.spec.effective_provider("istio").unwrap());
    let mirrored = Weights { mirrored: true, ..Weights::ALL_PRIMARY };
    let objs = router.desired(&ctx(&c), mirrored).unwrap();
    golden("gatewayapi-mirror", &objs);
    assert_eq!(router.observed(&ctx(&c), &objs), Some(mirrored));
}

#[test]
fn gitops_engines_are_told_to_keep_off() {
    let c = gateway_canary();
    let router = for_provider(c.spec.effective_provider("istio").unwrap());
    let mut objs = router.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap();
    objs.extend(kubernetes::services(&ctx(&c), false).unwrap());
    for o in objs {
        assert_eq!(o["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/reconcile"], "disabled", "{o}");
        assert_eq!(o["metadata"]["ownerReferences"][0]["kind"], "Canary");
    }
}

#[test]
fn missing_gateway_refs_are_a_clear_error() {
    let c = canary("gatewayapi", json!({"port": 80}), json!({"stepWeight": 10}));
    let err =
        for_provider(c.spec.effective_provider("istio").unwrap()).desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap_err();
    assert!(err.to_string().contains("spec.service.gatewayRefs"), "{err}");
}

#[test]
fn gatewayapi_mesh_route_with_a_service_parent() {
    // Linkerd's documented setup: an HTTPRoute whose parent is the apex Service (GAMMA).
    let c = canary(
        "gatewayapi:v1beta1",
        json!({"port": 9898, "gatewayRefs": [{"group": "core", "kind": "Service", "name": "podinfo", "port": 9898}]}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10}),
    );
    let router = for_provider(c.spec.effective_provider("istio").unwrap());
    let objs = router.desired(&ctx(&c), Weights { primary: 90, canary: 10, mirrored: false }).unwrap();
    golden("gatewayapi-linkerd-step-10", &objs);
    assert_eq!(objs[0]["spec"]["parentRefs"][0]["kind"], "Service");
}

#[test]
fn gatewayapi_session_affinity() {
    let mut c = canary(
        "gatewayapi:v1",
        json!({"port": 9898, "gatewayRefs": [{"name": "public"}],
               "headers": {"response": {"add": {"x-served-by": "glidepath"}}}}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 20,
               "sessionAffinity": {"cookieName": "flagger-cookie", "primaryCookieName": "primary-cookie", "httpOnly": true}}),
    );
    c.status = serde_json::from_value(json!({
        "sessionAffinityCookie": "flagger-cookie=abcdef",
        "primarySessionAffinityCookie": "primary-cookie=ghijkl"
    }))
    .unwrap();
    let router = for_provider(c.spec.effective_provider("istio").unwrap());
    let step = Weights { primary: 80, canary: 20, mirrored: false };
    let objs = router.desired(&ctx(&c), step).unwrap();
    golden("gatewayapi-affinity-step-20", &objs);
    assert_eq!(router.observed(&ctx(&c), &objs), Some(step));
    let rules = objs[0]["spec"]["rules"].as_array().unwrap();
    assert_eq!(rules[0]["name"], "sticky-route");
    assert_eq!(rules[0]["matches"][0]["headers"][0]["value"], ".*flagger-cookie.*abcdef.*");
    assert_eq!(rules[0]["backendRefs"][1]["weight"], 100);
    assert_eq!(rules[1]["name"], "sticky-primary-route");
    let canary_backend = &rules[2]["backendRefs"][1];
    assert_eq!(
        canary_backend["filters"][0]["responseHeaderModifier"]["add"][0]["value"],
        "flagger-cookie=abcdef; Max-Age=86400; HttpOnly"
    );

    let after = router.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap();
    golden("gatewayapi-affinity-after", &after);
    assert_eq!(router.observed(&ctx(&c), &after), Some(Weights::ALL_PRIMARY));
    let expire = &after[0]["spec"]["rules"][0];
    let modifiers: Vec<&Value> =
        expire["filters"].as_array().unwrap().iter().filter(|f| f["type"] == "ResponseHeaderModifier").collect();
    assert_eq!(modifiers.len(), 1, "one response modifier per rule: {expire}");
    assert_eq!(
        modifiers[0]["responseHeaderModifier"]["add"],
        json!([{"name": "x-served-by", "value": "glidepath"}, {"name": "Set-Cookie", "value": "flagger-cookie=abcdef; Max-Age=-1"}])
    );
}
