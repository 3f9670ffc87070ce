//! The `knative` router: the target Knative Service's own `spec.traffic` and the
//! `flagger.app/primary-revision` annotation, applied to the user's object without an
//! ownerReference; the split read back from `spec.traffic`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{golden, split};
use glidepath_api::flagger::Canary;
use glidepath_api::flagger::defaults::Provider;
use glidepath_router::{RouteContext, Weights, for_provider};
use serde_json::{Value, json};

fn knative_canary(analysis: Value) -> Canary {
    serde_json::from_value(json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test", "uid": "11111111-2222-3333-4444-555555555555"},
        "spec": {"provider": "knative",
            "targetRef": {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "podinfo"},
            "analysis": analysis}
    }))
    .unwrap()
}

fn ctx<'a>(c: &'a Canary, primary: Option<&'a str>) -> RouteContext<'a> {
    RouteContext::new(c, "", "", &[], c.spec.strategy(Some(Provider::Knative))).with_primary_revision(primary)
}

#[test]
fn the_split_is_the_services_own_traffic_and_reads_back() {
    let c = knative_canary(json!({"interval": "15s", "threshold": 5, "maxWeight": 50, "stepWeight": 10}));
    let router = for_provider(Provider::Knative);
    let ctx = ctx(&c, Some("podinfo-00001"));
    let init = router.desired(&ctx, Weights::ALL_PRIMARY).unwrap();
    golden("knative-init", &init);
    let svc = &init[0];
    assert!(svc["metadata"].get("ownerReferences").is_none(), "the Service is the user's: {svc}");
    assert_eq!(svc["metadata"]["annotations"].as_object().unwrap().len(), 1, "no GitOps opt-out on a user's object");
    for w in [10, 30, 50, 100] {
        let objs = router.desired(&ctx, split(w)).unwrap();
        assert_eq!(router.observed(&ctx, &objs), Some(split(w)), "read back {w}");
    }
    golden("knative-step-30", &router.desired(&ctx, split(30)).unwrap());
    assert_eq!(router.observed(&ctx, &[]), None, "no Service");
}

#[test]
fn a_service_without_our_annotation_or_split_has_no_routes_yet() {
    let c = knative_canary(json!({"stepWeight": 10}));
    let router = for_provider(Provider::Knative);
    let ctx = ctx(&c, Some("podinfo-00001"));
    let user = json!({"apiVersion": "serving.knative.dev/v1", "kind": "Service",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"traffic": [{"latestRevision": true, "percent": 100}]}});
    assert_eq!(router.observed(&ctx, std::slice::from_ref(&user)), None, "not initialized: no primary revision");
    let mut promoted = router.desired(&ctx, split(40)).unwrap().remove(0);
    // Knative reads an omitted percent as 0; a promotion leaves both entries on one revision.
    promoted["spec"]["traffic"][0].as_object_mut().unwrap().remove("percent");
    promoted["spec"]["traffic"][1]["percent"] = json!(100);
    assert_eq!(router.observed(&ctx, &[promoted]), Some(Weights::ALL_PRIMARY));
    let other = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "podinfo", "namespace": "test",
        "annotations": {"flagger.app/primary-revision": "x"}}, "spec": {"traffic": []}});
    assert_eq!(router.observed(&ctx, &[other]), None, "a core Service of the same name is not the target");
}

#[test]
fn unknown_revision_ab_testing_and_mirroring_are_refused() {
    let c = knative_canary(json!({"stepWeight": 10}));
    let router = for_provider(Provider::Knative);
    let err = router.desired(&ctx(&c, None), Weights::ALL_PRIMARY).unwrap_err();
    assert!(err.to_string().contains("latestCreatedRevisionName"), "{err}");
    let mirrored = Weights { mirrored: true, ..split(10) };
    let err = router.desired(&ctx(&c, Some("r1")), mirrored).unwrap_err();
    assert!(err.to_string().contains("spec.analysis.mirror"), "{err}");
    let ab = knative_canary(json!({"iterations": 3, "match": [{"headers": {"x-canary": {"exact": "insider"}}}]}));
    let err = router.desired(&ctx(&ab, Some("r1")), Weights::ALL_PRIMARY).unwrap_err();
    assert!(err.to_string().contains("spec.analysis.match"), "{err}");
}
