//! NGINX, Contour and Traefik: desired objects per step, A/B, and what each refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, ctx, golden, release, router, source_ingress, split};
use glidepath_api::flagger::Canary;
use glidepath_router::{RouterConfig, Weights, for_provider_with};
use serde_json::{Value, json};

fn nginx_canary(analysis: Value) -> Canary {
    let mut c = canary("nginx", json!({"port": 80}), analysis);
    c.spec.ingress_ref =
        serde_json::from_value(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "podinfo"}))
            .unwrap();
    c
}

#[test]
fn nginx_release_clones_the_ingress() {
    let c = nginx_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let source = source_ingress();
    let cx = ctx(&c).with_ingress(Some(&source));
    let r = router(&c);
    let seen = release(r.as_ref(), &cx, &[10, 35]);
    golden("nginx-init", &seen[0]);
    golden("nginx-step-35", &seen[2]);
    let ing = &seen[2][0];
    assert_eq!(ing["metadata"]["name"], "podinfo-canary");
    assert_eq!(ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"], "podinfo-canary");
    assert_eq!(ing["spec"]["rules"][0]["http"]["paths"][1]["backend"]["service"]["name"], "cdn", "other backends kept");
    assert!(ing.get("status").is_none());
    let labels = ing["metadata"]["labels"].as_object().unwrap();
    assert!(!labels.contains_key("kustomize.toolkit.fluxcd.io/name"), "the clone is not Flux's: {labels:?}");
}

#[test]
fn nginx_ab_testing_by_header_and_cookie() {
    let c = nginx_canary(json!({"interval": "1m", "threshold": 5, "iterations": 10, "match": [
        {"headers": {"x-canary": {"regex": "^(insider|beta)$"}}},
        {"headers": {"cookie": {"exact": "canary"}}}
    ]}));
    let source = source_ingress();
    let cx = ctx(&c).with_ingress(Some(&source));
    let r = router(&c);
    let objs = r.desired(&cx, Weights::ALL_CANARY).unwrap();
    golden("nginx-ab", &objs);
    assert_eq!(r.observed(&cx, &objs), Some(Weights::ALL_CANARY));
    let a = &objs[0]["metadata"]["annotations"];
    assert_eq!(a["nginx.ingress.kubernetes.io/canary-by-header-pattern"], "^(insider|beta)$");
    assert_eq!(a["nginx.ingress.kubernetes.io/canary-by-cookie"], "canary");
    let back = r.desired(&cx, Weights::ALL_PRIMARY).unwrap();
    assert_eq!(r.observed(&cx, &back), Some(Weights::ALL_PRIMARY));
    assert!(back[0]["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/canary-by-header").is_none());
}

#[test]
fn nginx_annotation_prefix_is_configurable() {
    let c = nginx_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let source = source_ingress();
    let cx = ctx(&c).with_ingress(Some(&source));
    let config =
        RouterConfig { ingress_annotations_prefix: "custom.ingress.kubernetes.io".into(), ..RouterConfig::default() };
    let r = for_provider_with(c.spec.effective_provider("istio").unwrap(), &config);
    let objs = r.desired(&cx, split(20)).unwrap();
    let a = objs[0]["metadata"]["annotations"].as_object().unwrap();
    assert_eq!(a["custom.ingress.kubernetes.io/canary-weight"], "20");
    assert_eq!(a["nginx.ingress.kubernetes.io/canary-weight"], "35", "another prefix is just a user annotation");
    assert_eq!(r.observed(&cx, &objs), Some(split(20)));
}

#[test]
fn nginx_errors_name_the_field() {
    let c = nginx_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let r = router(&c);
    let missing = r.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap_err().to_string();
    assert!(missing.contains("spec.ingressRef") && missing.contains("test/podinfo not found"), "{missing}");

    let mut other = source_ingress();
    other["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = json!("unrelated");
    let e = r.desired(&ctx(&c).with_ingress(Some(&other)), Weights::ALL_PRIMARY).unwrap_err().to_string();
    assert!(e.contains("no backend for Service podinfo"), "{e}");

    let two_headers = nginx_canary(json!({"interval": "1m", "threshold": 5, "iterations": 3, "match": [
        {"headers": {"x-a": {"exact": "1"}, "x-b": {"exact": "2"}}}
    ]}));
    let source = source_ingress();
    let e = r.desired(&ctx(&two_headers).with_ingress(Some(&source)), Weights::ALL_CANARY).unwrap_err().to_string();
    assert!(e.contains("spec.analysis.match") && e.contains("one header"), "{e}");

    let mut no_ref = c.clone();
    no_ref.spec.ingress_ref = None;
    let e = r.desired(&ctx(&no_ref), Weights::ALL_PRIMARY).unwrap_err().to_string();
    assert!(e.contains("spec.ingressRef"), "{e}");
}

fn contour_canary(analysis: Value) -> Canary {
    canary(
        "contour",
        json!({"port": 9898, "timeout": "15s", "match": [{"uri": {"prefix": "/podinfo"}}],
               "retries": {"attempts": 3, "perTryTimeout": "5s", "retryOn": "5xx, gateway-error"}}),
        analysis,
    )
}

#[test]
fn contour_release() {
    let c = contour_canary(json!({"interval": "1m", "threshold": 5, "stepWeights": [5, 25, 50]}));
    let r = router(&c);
    let seen = release(r.as_ref(), &ctx(&c), &[5, 25, 50]);
    golden("contour-step-25", &seen[2]);
    let config = RouterConfig { ingress_class: Some("contour-public".into()), ..RouterConfig::default() };
    let with_class = for_provider_with(c.spec.effective_provider("istio").unwrap(), &config);
    let objs = with_class.desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap();
    assert_eq!(objs[0]["spec"]["ingressClassName"], "contour-public");
}

#[test]
fn contour_ab_testing_one_route_per_condition() {
    let c = contour_canary(json!({"interval": "1m", "threshold": 5, "iterations": 10, "match": [
        {"headers": {"x-canary": {"exact": "insider"}}},
        {"headers": {"user-agent": {"prefix": "Mozilla"}}, "queryParams": {"beta": {"exact": "1"}}}
    ]}));
    let r = router(&c);
    let objs = r.desired(&ctx(&c), Weights::ALL_CANARY).unwrap();
    golden("contour-ab", &objs);
    assert_eq!(r.observed(&ctx(&c), &objs), Some(Weights::ALL_CANARY));
    let routes = objs[0]["spec"]["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 3, "two matched routes and the default");
    assert_eq!(routes[1]["conditions"][1]["header"], json!({"name": "user-agent", "regex": "^Mozilla.*"}));
    assert_eq!(routes[2]["services"][0]["weight"], 100);
}

#[test]
fn traefik_release() {
    let c = canary(
        "traefik",
        json!({"port": 80, "apex": {"labels": {"team": "a"}}}),
        json!({"interval": "1m", "threshold": 5, "stepWeight": 20}),
    );
    let r = router(&c);
    let seen = release(r.as_ref(), &ctx(&c), &[20, 40]);
    golden("traefik-step-20", &seen[1]);
}

#[test]
fn routers_without_matching_or_mirroring_refuse_them() {
    let ab = json!({"interval": "1m", "threshold": 5, "iterations": 10, "match": [{"headers": {"x": {"exact": "1"}}}]});
    for provider in ["traefik", "linkerd", "smi:v1alpha2"] {
        let c = canary(provider, json!({"port": 80}), ab.clone());
        let e = router(&c).desired(&ctx(&c), Weights::ALL_CANARY).unwrap_err().to_string();
        assert!(e.contains("spec.analysis.match") && e.contains("cannot route by header"), "{provider}: {e}");
    }
    let bg = json!({"interval": "1m", "threshold": 5, "iterations": 10, "mirror": true});
    for provider in ["traefik", "linkerd", "contour", "smi:v1alpha3"] {
        let c = canary(provider, json!({"port": 80}), bg.clone());
        let e = router(&c).desired(&ctx(&c), Weights { mirrored: true, ..Weights::ALL_PRIMARY }).unwrap_err();
        assert!(e.to_string().contains("spec.analysis.mirror"), "{provider}: {e}");
    }
}

#[test]
fn the_referenced_ingress_is_named_for_the_caller() {
    let c = nginx_canary(json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let keys = glidepath_router::referenced_objects(c.spec.effective_provider("istio").unwrap(), &c);
    let want = glidepath_router::ObjectKey {
        api_version: "networking.k8s.io/v1".into(),
        kind: "Ingress".into(),
        namespace: "test".into(),
        name: "podinfo".into(),
    };
    assert_eq!(keys, vec![want]);
    let istio = canary("istio", json!({"port": 80}), json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    assert!(glidepath_router::referenced_objects(glidepath_api::flagger::Provider::Istio, &istio).is_empty());
}
