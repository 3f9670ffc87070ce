//! Gloo Edge: the RouteTable and Upstreams per step, A/B matchers, and what it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, config_upstream, ctx, golden, release, router, split};
use glidepath_api::flagger::{Canary, Provider};
use glidepath_router::{Weights, capabilities, referenced_objects};
use serde_json::{Value, json};

fn gloo_canary(analysis: Value) -> Canary {
    let mut c = canary("gloo", json!({"port": 9898, "apex": {"labels": {"team": "a"}}}), analysis);
    c.spec.upstream_ref = serde_json::from_value(
        json!({"apiVersion": "gloo.solo.io/v1", "kind": "Upstream", "name": "podinfo-config", "namespace": "gloo-system"}),
    )
    .unwrap();
    c
}

#[test]
fn gloo_release_routes_between_generated_upstreams() {
    let c = gloo_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let config = config_upstream();
    let cx = ctx(&c).with_ingress(Some(&config));
    let r = router(&c);
    let seen = release(r.as_ref(), &cx, &[10, 30]);
    golden("gloo-init", &seen[0]);
    golden("gloo-step-30", &seen[2]);
    golden("gloo-canary-100", &seen[3]); // promotion; after it, 100/0 equals init (release)
    let objs = &seen[2];
    let names: Vec<&str> = objs.iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["test-podinfo-primaryupstream-9898", "test-podinfo-canaryupstream-9898", "podinfo"]);
    let primary = &objs[0]["spec"];
    assert_eq!(
        primary["kube"],
        json!({"serviceName": "podinfo-primary", "serviceNamespace": "test", "servicePort": 9898,
               "selector": {"app": "podinfo-primary"}})
    );
    assert_eq!(primary["useHttp2"], true, "settings copied from spec.upstreamRef");
    assert_eq!(objs[1]["spec"]["kube"]["selector"], json!({"app": "podinfo"}));
    let route = &objs[2]["spec"]["routes"][0];
    assert_eq!(route["inheritablePathMatchers"], true);
    assert!(route.get("matchers").is_none());
    assert_eq!(
        route["routeAction"]["multi"]["destinations"][1],
        json!({"destination": {"upstream": {"name": "test-podinfo-canaryupstream-9898", "namespace": "test"}}, "weight": 30})
    );
    assert_eq!(objs[2]["metadata"]["labels"]["team"], "a");
}

#[test]
fn gloo_ab_testing_one_matcher_per_condition() {
    let mut c = gloo_canary(json!({"interval": "1m", "threshold": 5, "iterations": 10, "match": [
        {"headers": {"x-canary": {"exact": "insider"}}},
        {"headers": {"user-agent": {"prefix": "Mozilla"}}, "queryParams": {"beta": {"regex": "^(1|yes)$"}}}
    ]}));
    c.spec.upstream_ref = None;
    let r = router(&c);
    let objs = r.desired(&ctx(&c), Weights::ALL_CANARY).unwrap();
    golden("gloo-ab", &objs);
    assert_eq!(r.observed(&ctx(&c), &objs), Some(Weights::ALL_CANARY));
    let routes = objs[2]["spec"]["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 2, "matched route and the primary default");
    assert_eq!(
        routes[0]["matchers"],
        json!([
            {"headers": [{"name": "x-canary", "value": "insider"}]},
            {"headers": [{"name": "user-agent", "value": "^Mozilla.*", "regex": true}],
             "queryParameters": [{"name": "beta", "value": "^(1|yes)$", "regex": true}]}
        ])
    );
    assert!(routes[1].get("matchers").is_none());
    assert_eq!(routes[1]["routeAction"]["multi"]["destinations"][0]["weight"], 100);
    assert_eq!(objs[0]["spec"].as_object().unwrap().len(), 1, "only kube without spec.upstreamRef");
    let back = r.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap();
    assert_eq!(r.observed(&ctx(&c), &back), Some(Weights::ALL_PRIMARY));
}

#[test]
fn gloo_refuses_what_it_cannot_do() {
    let c = gloo_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let r = router(&c);
    let e = r.desired(&ctx(&c), split(10)).unwrap_err().to_string();
    assert!(e.contains("spec.upstreamRef") && e.contains("gloo-system/podinfo-config not found"), "{e}");
    let mut elsewhere = config_upstream();
    elsewhere["metadata"]["namespace"] = json!("test");
    let e = r.desired(&ctx(&c).with_ingress(Some(&elsewhere)), split(10)).unwrap_err().to_string();
    assert!(e.contains("spec.upstreamRef"), "same name in another namespace is not it: {e}");

    let labels = gloo_canary(json!({"interval": "1m", "threshold": 5, "iterations": 10,
                                    "match": [{"sourceLabels": {"app": "frontend"}}]}));
    let config = config_upstream();
    let e = r.desired(&ctx(&labels).with_ingress(Some(&config)), Weights::ALL_CANARY).unwrap_err().to_string();
    assert!(e.contains("spec.analysis.match") && e.contains("source labels"), "{e}");
    let mirrored = Weights { mirrored: true, ..Weights::ALL_PRIMARY };
    let e = r.desired(&ctx(&c).with_ingress(Some(&config)), mirrored).unwrap_err().to_string();
    assert!(e.contains("spec.analysis.mirror"), "{e}");
    let caps = capabilities(Provider::Gloo);
    assert!(caps.ab_testing && !caps.mirroring && !caps.session_affinity);
}

#[test]
fn gloo_names_the_config_upstream() {
    let c = gloo_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let keys = referenced_objects(Provider::Gloo, &c);
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0].api_version.as_str(), keys[0].kind.as_str(), keys[0].namespace.as_str(), keys[0].name.as_str()),
        ("gloo.solo.io/v1", "Upstream", "gloo-system", "podinfo-config")
    );
    let mut none = c.clone();
    none.spec.upstream_ref = None;
    assert!(referenced_objects(Provider::Gloo, &none).is_empty());
}
