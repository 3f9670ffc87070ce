//! APISIX: the canary ApisixRoute cloned from `spec.routeRef`, per step, and what it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, ctx, golden, release, router, source_apisix_route, split};
use glidepath_api::flagger::{Canary, Provider};
use glidepath_router::{Weights, capabilities, referenced_objects};
use serde_json::{Value, json};

fn apisix_canary(analysis: Value) -> Canary {
    let mut c = canary("apisix", json!({"port": 80}), analysis);
    c.spec.route_ref =
        serde_json::from_value(json!({"apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute", "name": "podinfo"}))
            .unwrap();
    c
}

#[test]
fn apisix_release_clones_the_rule_of_the_apex_service() {
    let c = apisix_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let source = source_apisix_route();
    let cx = ctx(&c).with_ingress(Some(&source));
    let r = router(&c);
    let seen = release(r.as_ref(), &cx, &[10, 20]);
    golden("apisix-init", &seen[0]);
    golden("apisix-step-20", &seen[2]);
    golden("apisix-canary-100", &seen[3]); // promotion; after it, 100/0 equals init (release)
    let route = &seen[2][0];
    assert_eq!(route["metadata"]["name"], "podinfo-podinfo-canary");
    let http = route["spec"]["http"].as_array().unwrap();
    assert_eq!(http.len(), 1, "only the rule with the apex backend");
    assert_eq!(http[0]["name"], "method");
    assert_eq!(http[0]["priority"], 10000);
    assert_eq!(http[0]["plugins"], source["spec"]["http"][1]["plugins"], "the rest of the rule is kept");
    assert_eq!(
        http[0]["backends"],
        json!([
            {"serviceName": "podinfo-primary", "servicePort": 80, "resolveGranularity": "service", "weight": 80},
            {"serviceName": "podinfo-canary", "servicePort": 80, "resolveGranularity": "service", "weight": 20}
        ])
    );
    assert_eq!(route["spec"]["ingressClassName"], "apisix");
    assert!(route.get("status").is_none());
    let labels = route["metadata"]["labels"].as_object().unwrap();
    assert!(!labels.contains_key("kustomize.toolkit.fluxcd.io/name"), "the clone is not Flux's: {labels:?}");
    assert_eq!(route["metadata"]["annotations"]["team"], "web");
}

#[test]
fn apisix_refuses_what_it_cannot_do() {
    let c = apisix_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let r = router(&c);
    let e = r.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap_err().to_string();
    assert!(e.contains("spec.routeRef") && e.contains("test/podinfo not found"), "{e}");

    let mut two = source_apisix_route();
    two["spec"]["http"][1]["backends"].as_array_mut().unwrap().push(json!({"serviceName": "other", "servicePort": 80}));
    let e = r.desired(&ctx(&c).with_ingress(Some(&two)), split(10)).unwrap_err().to_string();
    assert!(e.contains("spec.routeRef") && e.contains("exactly one"), "{e}");

    let mut none = source_apisix_route();
    none["spec"]["http"][1]["backends"][0]["serviceName"] = json!("unrelated");
    let e = r.desired(&ctx(&c).with_ingress(Some(&none)), split(10)).unwrap_err().to_string();
    assert!(e.contains("no http rule with backend podinfo"), "{e}");

    let mut no_ref = c.clone();
    no_ref.spec.route_ref = None;
    let e = r.desired(&ctx(&no_ref), Weights::ALL_PRIMARY).unwrap_err().to_string();
    assert!(e.contains("spec.routeRef"), "{e}");
    assert!(r.observed(&ctx(&no_ref), &[]).is_none());

    let source = source_apisix_route();
    let ab = apisix_canary(json!({"interval": "1m", "threshold": 5, "iterations": 5,
                                  "match": [{"headers": {"x-canary": {"exact": "1"}}}]}));
    let e = r.desired(&ctx(&ab).with_ingress(Some(&source)), Weights::ALL_CANARY).unwrap_err().to_string();
    assert!(e.contains("spec.analysis.match"), "{e}");
    let mirrored = Weights { mirrored: true, ..Weights::ALL_PRIMARY };
    let e = r.desired(&ctx(&c).with_ingress(Some(&source)), mirrored).unwrap_err().to_string();
    assert!(e.contains("spec.analysis.mirror"), "{e}");
    let caps = capabilities(Provider::Apisix);
    assert!(!caps.ab_testing && !caps.mirroring && !caps.session_affinity);
}

#[test]
fn apisix_names_the_route_it_clones() {
    let c = apisix_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let keys = referenced_objects(Provider::Apisix, &c);
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (keys[0].api_version.as_str(), keys[0].kind.as_str(), keys[0].namespace.as_str(), keys[0].name.as_str()),
        ("apisix.apache.org/v2", "ApisixRoute", "test", "podinfo")
    );
}
