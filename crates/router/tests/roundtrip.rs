//! Every router reads back the split it wrote: `observed(desired(w)) == Some(w)` for any
//! weight, for plain, A/B and mirrored configurations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, ctx, referenced_for};
use glidepath_api::flagger::Canary;
use glidepath_router::Weights;
use proptest::prelude::*;
use serde_json::{Value, json};

const STEPS: &str = r#"{"interval": "1m", "threshold": 5, "stepWeight": 10}"#;

/// (label, canary, can mirror) for every provider configuration with weighted routing.
fn weighted_configs() -> Vec<(&'static str, Canary, bool)> {
    let steps: Value = serde_json::from_str(STEPS).unwrap();
    let ab = json!({"interval": "1m", "threshold": 5, "iterations": 5,
                    "match": [{"headers": {"x-canary": {"exact": "1"}}}]});
    let mut affinity = canary(
        "istio",
        json!({"port": 80}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10, "sessionAffinity": {"cookieName": "c"}}),
    );
    affinity.status = serde_json::from_value(json!({"sessionAffinityCookie": "c=xyz"})).unwrap();
    let mut gateway_affinity = canary(
        "gatewayapi",
        json!({"port": 80, "gatewayRefs": [{"name": "gw"}]}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 10,
               "sessionAffinity": {"cookieName": "c", "primaryCookieName": "p"}}),
    );
    gateway_affinity.status =
        serde_json::from_value(json!({"sessionAffinityCookie": "c=xyz", "primarySessionAffinityCookie": "p=abc"}))
            .unwrap();
    let mut nginx = canary("nginx", json!({"port": 80}), steps.clone());
    nginx.spec.ingress_ref =
        serde_json::from_value(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo"}))
            .unwrap();
    let mut apisix = canary("apisix", json!({"port": 80}), steps.clone());
    apisix.spec.route_ref =
        serde_json::from_value(json!({"apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute", "name": "podinfo"}))
            .unwrap();
    let mut gloo = canary("gloo", json!({"port": 80}), steps.clone());
    gloo.spec.upstream_ref = serde_json::from_value(
        json!({"apiVersion": "gloo.solo.io/v1", "kind": "Upstream", "name": "podinfo-config", "namespace": "gloo-system"}),
    )
    .unwrap();
    let mut skipper = nginx.clone();
    skipper.spec.provider = Some("skipper".into());
    vec![
        ("gatewayapi", canary("gatewayapi", json!({"port": 80, "gatewayRefs": [{"name": "gw"}]}), steps.clone()), true),
        (
            "gatewayapi a/b",
            canary("gatewayapi:v1beta1", json!({"port": 80, "gatewayRefs": [{"name": "gw"}]}), ab.clone()),
            false,
        ),
        ("istio", canary("istio", json!({"port": 80}), steps.clone()), true),
        ("istio a/b", canary("istio", json!({"port": 80}), ab.clone()), false),
        ("istio tcp", canary("istio", json!({"port": 80, "appProtocol": "tcp"}), steps.clone()), false),
        ("istio affinity", affinity, true),
        ("gatewayapi affinity", gateway_affinity, true),
        ("nginx", nginx, false),
        ("contour", canary("contour", json!({"port": 80}), steps.clone()), false),
        ("contour a/b", canary("contour", json!({"port": 80}), ab.clone()), false),
        ("traefik", canary("traefik", json!({"port": 80}), steps.clone()), false),
        ("linkerd", canary("linkerd", json!({"port": 80}), steps.clone()), false),
        ("smi:v1alpha1", canary("smi:v1alpha1", json!({"port": 80}), steps.clone()), false),
        ("smi:v1alpha2", canary("smi:v1alpha2", json!({"port": 80}), steps.clone()), false),
        ("smi:v1alpha3", canary("smi:v1alpha3", json!({"port": 80}), steps.clone()), false),
        ("osm", canary("osm", json!({"port": 80}), steps.clone()), false),
        ("skipper", skipper, false),
        ("kuma", canary("kuma", json!({"port": 80}), steps.clone()), false),
        ("apisix", apisix, false),
        ("gloo", gloo, false),
        ("gloo a/b", canary("gloo", json!({"port": 80}), ab.clone()), false),
        ("appmesh", canary("appmesh:v1beta2", json!({"port": 80, "meshName": "global"}), steps.clone()), false),
        ("appmesh a/b", canary("appmesh:v1beta2", json!({"port": 80, "meshName": "global"}), ab.clone()), false),
        ("appmesh v1beta1 a/b", canary("appmesh", json!({"port": 80, "meshName": "global"}), ab), false),
        ("appmesh v1beta1", canary("appmesh", json!({"port": 80, "meshName": "global"}), steps.clone()), false),
        (
            "appmesh grpc",
            canary("appmesh:v1beta2", json!({"port": 9999, "portName": "grpc", "meshName": "global"}), steps.clone()),
            false,
        ),
    ]
}

fn round_trip(label: &str, c: &Canary, w: Weights) -> Result<(), TestCaseError> {
    let source = referenced_for(c);
    let cx = ctx(c).with_ingress(Some(&source));
    let router = common::router(c);
    let objs = router.desired(&cx, w).map_err(|e| TestCaseError::fail(format!("{label}: {e}")))?;
    prop_assert_eq!(router.observed(&cx, &objs), Some(w), "{}", label);
    Ok(())
}

proptest! {
    #[test]
    fn every_router_reads_back_what_it_wrote(canary_weight in 0..=100i32, mirrored: bool) {
        for (label, c, can_mirror) in weighted_configs() {
            let w = Weights { primary: 100 - canary_weight, canary: canary_weight, mirrored: mirrored && can_mirror };
            round_trip(label, &c, w)?;
        }
    }
}

#[test]
fn all_or_nothing_routers_read_back_both_ends() {
    let ab = json!({"interval": "1m", "threshold": 5, "iterations": 5,
                    "match": [{"headers": {"x-canary": {"exact": "1"}}}]});
    let mut nginx_ab = canary("nginx", json!({"port": 80}), ab);
    nginx_ab.spec.ingress_ref =
        serde_json::from_value(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo"}))
            .unwrap();
    let kubernetes =
        canary("kubernetes", json!({"port": 80}), json!({"interval": "1m", "threshold": 5, "iterations": 5}));
    for (label, c) in [("nginx a/b", nginx_ab), ("kubernetes", kubernetes)] {
        for w in [Weights::ALL_PRIMARY, Weights::ALL_CANARY] {
            round_trip(label, &c, w).unwrap();
        }
    }
}

#[test]
fn nothing_observed_means_no_weights() {
    for (label, c, _) in weighted_configs() {
        let source = referenced_for(&c);
        let cx = ctx(&c).with_ingress(Some(&source));
        assert_eq!(common::router(&c).observed(&cx, &[]), None, "{label}");
    }
}

#[test]
fn capabilities_match_what_the_routers_accept() {
    use glidepath_api::flagger::Provider;
    for provider in [
        Provider::Istio,
        Provider::GatewayApiV1,
        Provider::GatewayApiV1beta1,
        Provider::Nginx,
        Provider::Contour,
        Provider::Traefik,
        Provider::Linkerd,
        Provider::SmiV1alpha1,
        Provider::SmiV1alpha2,
        Provider::SmiV1alpha3,
        Provider::Osm,
        Provider::Skipper,
        Provider::Kuma,
        Provider::Apisix,
        Provider::Gloo,
        Provider::AppMeshV1beta2,
        Provider::AppMesh,
    ] {
        let caps = glidepath_router::capabilities(provider);
        let name = glidepath_router::for_provider(provider).name();
        let mut service = json!({"port": 80, "gatewayRefs": [{"name": "gw"}], "meshName": "global"});
        let mut b_g =
            canary(name, service.clone(), json!({"interval": "1m", "threshold": 5, "iterations": 3, "mirror": true}));
        let mut ab = canary(
            name,
            service.take(),
            json!({"interval": "1m", "threshold": 5, "iterations": 3,
            "match": [{"headers": {"x-canary": {"exact": "1"}}}]}),
        );
        for c in [&mut b_g, &mut ab] {
            c.spec.provider = Some(name.to_owned());
            c.spec.ingress_ref = serde_json::from_value(
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo"}),
            )
            .unwrap();
            c.spec.route_ref = serde_json::from_value(
                json!({"apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute", "name": "podinfo"}),
            )
            .unwrap();
        }
        let source = referenced_for(&b_g);
        let mirrored = Weights { mirrored: true, ..Weights::ALL_PRIMARY };
        let r = common::router(&b_g);
        assert_eq!(
            r.desired(&ctx(&b_g).with_ingress(Some(&source)), mirrored).is_ok(),
            caps.mirroring,
            "{name} mirroring"
        );
        let r = common::router(&ab);
        assert_eq!(
            r.desired(&ctx(&ab).with_ingress(Some(&source)), Weights::ALL_CANARY).is_ok(),
            caps.ab_testing,
            "{name} a/b"
        );
    }
}
