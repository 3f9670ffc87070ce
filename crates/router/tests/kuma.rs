//! Kuma: the cluster-scoped TrafficRoute per step, its mesh, and what it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, ctx, golden, release, router, split};
use glidepath_api::flagger::Provider;
use glidepath_router::{Weights, capabilities};
use serde_json::json;

#[test]
fn kuma_release_splits_between_the_service_tags() {
    let mut c = canary("kuma", json!({"port": 9898}), json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    c.metadata.annotations = Some([("kuma.io/mesh".to_owned(), "mesh-a".to_owned())].into());
    let r = router(&c);
    let seen = release(r.as_ref(), &ctx(&c), &[10, 30]);
    golden("kuma-init", &seen[0]);
    golden("kuma-step-30", &seen[2]);
    golden("kuma-canary-100", &seen[3]); // promotion; after it, 100/0 equals init (release)
    let tr = &seen[2][0];
    assert_eq!(tr["mesh"], "mesh-a");
    assert!(tr["metadata"].get("namespace").is_none(), "cluster-scoped");
    assert!(tr["metadata"].get("ownerReferences").is_none(), "a namespaced Canary cannot own it");
    assert_eq!(tr["metadata"]["annotations"]["9898.service.kuma.io"], "http");
    assert_eq!(tr["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/reconcile"], "disabled");
    assert_eq!(tr["spec"]["destinations"][0]["match"]["kuma.io/service"], "podinfo_test_svc_9898");
    assert_eq!(
        tr["spec"]["conf"]["split"],
        json!([
            {"weight": 70, "destination": {"kuma.io/service": "podinfo-primary_test_svc_9898"}},
            {"weight": 30, "destination": {"kuma.io/service": "podinfo-canary_test_svc_9898"}}
        ])
    );
}

#[test]
fn kuma_defaults_and_apex_metadata() {
    let c = canary(
        "kuma",
        json!({"port": 80, "apex": {"annotations": {"team": "a"}, "labels": {"x": "y"}}}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10}),
    );
    let r = router(&c);
    let objs = r.desired(&ctx(&c), split(50)).unwrap();
    assert_eq!(objs[0]["mesh"], "default");
    let a = objs[0]["metadata"]["annotations"].as_object().unwrap();
    assert_eq!(a["team"], "a");
    assert!(!a.contains_key("80.service.kuma.io"), "only without apex annotations, as upstream");
    assert!(objs[0]["metadata"].get("labels").is_none(), "upstream sets no labels");
    // A split another writer left with the tags' ports changed still reads by service name.
    let mut moved = objs[0].clone();
    moved["spec"]["conf"]["split"][0]["destination"]["kuma.io/service"] = json!("podinfo-primary_test_svc_8080");
    assert_eq!(r.observed(&ctx(&c), &[moved]), Some(split(50)));
    assert_eq!(r.observed(&ctx(&c), &[]), None);
}

#[test]
fn kuma_refuses_what_it_cannot_do() {
    let ab = canary(
        "kuma",
        json!({"port": 80}),
        json!({"interval": "1m", "threshold": 5, "iterations": 5, "match": [{"headers": {"x": {"exact": "1"}}}]}),
    );
    let e = router(&ab).desired(&ctx(&ab), Weights::ALL_CANARY).unwrap_err().to_string();
    assert!(e.contains("spec.analysis.match"), "{e}");
    let c = canary("kuma", json!({"port": 80}), json!({"interval": "1m", "threshold": 5, "iterations": 5}));
    let e = router(&c).desired(&ctx(&c), Weights { mirrored: true, ..Weights::ALL_PRIMARY }).unwrap_err();
    assert!(e.to_string().contains("spec.analysis.mirror"), "{e}");
    let mut no_service = c.clone();
    no_service.spec.service = None;
    let e = router(&no_service).desired(&ctx(&no_service), Weights::ALL_PRIMARY).unwrap_err().to_string();
    assert!(e.contains("spec.service"), "{e}");
    let caps = capabilities(Provider::Kuma);
    assert!(!caps.ab_testing && !caps.mirroring && !caps.session_affinity);
}
