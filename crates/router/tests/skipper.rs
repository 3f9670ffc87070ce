//! Skipper: the canary Ingress per step, its annotations, and what it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, ctx, golden, release, router, source_ingress, split};
use glidepath_api::flagger::{Canary, Provider};
use glidepath_router::{Weights, capabilities, referenced_objects};
use serde_json::{Value, json};

fn skipper_canary(analysis: Value) -> Canary {
    let mut c = canary("skipper", json!({"port": 80}), analysis);
    c.spec.ingress_ref =
        serde_json::from_value(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo"}))
            .unwrap();
    c
}

/// The user's Ingress with a predicate of its own and a stale weights annotation.
fn skipper_source() -> Value {
    let mut ing = source_ingress();
    let a = &mut ing["metadata"]["annotations"];
    a["zalando.org/skipper-predicate"] = json!("Header(\"X-Env\", \"prod\")");
    a["zalando.org/backend-weights"] = json!("{\"podinfo\": 100}");
    ing
}

#[test]
fn skipper_release_clones_the_ingress_with_backend_weights() {
    let c = skipper_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let source = skipper_source();
    let cx = ctx(&c).with_ingress(Some(&source));
    let r = router(&c);
    let seen = release(r.as_ref(), &cx, &[10, 40]);
    golden("skipper-init", &seen[0]);
    golden("skipper-step-40", &seen[2]);
    golden("skipper-canary-100", &seen[3]); // promotion; after it, 100/0 equals init (release)

    let ing = &seen[2][0];
    assert_eq!(ing["metadata"]["name"], "podinfo-canary");
    let paths = ing["spec"]["rules"][0]["http"]["paths"].as_array().unwrap();
    let backends: Vec<&str> = paths.iter().map(|p| p["backend"]["service"]["name"].as_str().unwrap()).collect();
    assert_eq!(backends, ["podinfo-primary", "cdn", "podinfo-canary"], "canary path appended to the rule");
    let a = &ing["metadata"]["annotations"];
    assert_eq!(a["zalando.org/backend-weights"], "{\"podinfo-canary\":40,\"podinfo-primary\":60}");
    assert_eq!(a["zalando.org/skipper-predicate"], "Weight(100) && Header(\"X-Env\", \"prod\")");
    assert_eq!(a["kustomize.toolkit.fluxcd.io/reconcile"], "disabled");
    assert!(a.get("kubectl.kubernetes.io/last-applied-configuration").is_none());

    let init = &seen[0][0]["metadata"]["annotations"];
    assert_eq!(init["zalando.org/skipper-predicate"], "False() && Header(\"X-Env\", \"prod\")", "off at weight 0");
    assert_eq!(init["zalando.org/backend-weights"], "{\"podinfo-canary\":0,\"podinfo-primary\":100}");
    let promoted = &seen[3][0]["metadata"]["annotations"];
    assert_eq!(promoted["zalando.org/backend-weights"], "{\"podinfo-canary\":100,\"podinfo-primary\":0}");
    assert!(promoted["zalando.org/skipper-predicate"].as_str().unwrap().starts_with("Weight(100)"));
}

#[test]
fn skipper_reads_weights_written_by_others() {
    let c = skipper_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let source = skipper_source();
    let cx = ctx(&c).with_ingress(Some(&source));
    let r = router(&c);
    let mut objs = r.desired(&cx, split(20)).unwrap();
    objs[0]["metadata"]["annotations"]["zalando.org/backend-weights"] =
        json!("{\"podinfo-primary\": 75, \"podinfo-canary\": 25}");
    assert_eq!(r.observed(&cx, &objs), Some(split(25)));
    objs[0]["metadata"]["annotations"]["zalando.org/backend-weights"] = json!("{\"podinfo-primary\": 100}");
    assert_eq!(r.observed(&cx, &objs), None, "a weight missing is not a split");
    assert_eq!(r.observed(&cx, &[]), None);
}

#[test]
fn skipper_refuses_what_it_cannot_do() {
    let c = skipper_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let r = router(&c);
    let e = r.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap_err().to_string();
    assert!(e.contains("spec.ingressRef") && e.contains("test/podinfo not found"), "{e}");

    let mut other = skipper_source();
    other["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = json!("unrelated");
    let e = r.desired(&ctx(&c).with_ingress(Some(&other)), Weights::ALL_PRIMARY).unwrap_err().to_string();
    assert!(e.contains("spec.ingressRef") && e.contains("backend Service podinfo"), "{e}");

    let mut no_ref = c.clone();
    no_ref.spec.ingress_ref = None;
    let e = r.desired(&ctx(&no_ref), Weights::ALL_PRIMARY).unwrap_err().to_string();
    assert!(e.contains("spec.ingressRef"), "{e}");

    let source = skipper_source();
    let ab = skipper_canary(json!({"interval": "1m", "threshold": 5, "iterations": 5,
                                   "match": [{"headers": {"x-canary": {"exact": "1"}}}]}));
    let e = r.desired(&ctx(&ab).with_ingress(Some(&source)), Weights::ALL_CANARY).unwrap_err().to_string();
    assert!(e.contains("spec.analysis.match"), "{e}");
    let mirrored = Weights { mirrored: true, ..Weights::ALL_PRIMARY };
    let e = r.desired(&ctx(&c).with_ingress(Some(&source)), mirrored).unwrap_err().to_string();
    assert!(e.contains("spec.analysis.mirror"), "{e}");

    let caps = capabilities(Provider::Skipper);
    assert!(!caps.ab_testing && !caps.mirroring && !caps.session_affinity);
}

#[test]
fn skipper_names_the_ingress_it_clones() {
    let c = skipper_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let keys = referenced_objects(Provider::Skipper, &c);
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0].kind.as_str(), keys[0].name.as_str()), ("Ingress", "podinfo"));
}
