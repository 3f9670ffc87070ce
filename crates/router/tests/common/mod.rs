//! Shared helpers for the router tests: a Canary builder, its routing context and the golden
//! fixture comparison (`UPDATE_GOLDEN=1` rewrites fixtures; review the diff before committing).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::PathBuf;

use glidepath_api::flagger::Canary;
use glidepath_router::RouteContext;
use serde_json::{Value, json};

pub fn canary(provider: &str, service: Value, analysis: Value) -> Canary {
    serde_json::from_value(json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test", "uid": "11111111-2222-3333-4444-555555555555"},
        "spec": {
            "provider": provider,
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": service,
            "analysis": analysis
        }
    }))
    .unwrap()
}

pub fn ctx(c: &Canary) -> RouteContext<'_> {
    RouteContext {
        canary: c,
        selector_label: "app",
        selector_value: "podinfo",
        discovered_ports: &[],
        strategy: c.spec.strategy(c.spec.effective_provider("istio")),
        ingress: None,
        primary_revision: None,
    }
}

pub fn golden(name: &str, actual: &[Value]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(format!("{name}.json"));
    let actual = json!(actual);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
        return;
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .unwrap();
    assert_eq!(actual, expected, "{name} differs from {}", path.display());
}

/// The router the Canary's provider selects.
pub fn router(c: &Canary) -> Box<dyn glidepath_router::Router> {
    glidepath_router::for_provider(c.spec.effective_provider("istio").unwrap())
}

/// `canary`% to the canary, the rest to the primary.
pub fn split(canary: i32) -> glidepath_router::Weights {
    glidepath_router::Weights { primary: 100 - canary, canary, mirrored: false }
}

/// A user's Ingress for `podinfo`, as the nginx router finds it through `spec.ingressRef`.
pub fn source_ingress() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {
            "name": "podinfo", "namespace": "test", "uid": "abc", "resourceVersion": "7",
            "labels": {"app": "podinfo", "kustomize.toolkit.fluxcd.io/name": "apps"},
            "annotations": {
                "nginx.ingress.kubernetes.io/proxy-body-size": "1m",
                "nginx.ingress.kubernetes.io/canary-weight": "35",
                "kubectl.kubernetes.io/last-applied-configuration": "{}"
            }
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [{"host": "app.example.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "podinfo", "port": {"number": 80}}}},
                {"path": "/static", "pathType": "Prefix", "backend": {"service": {"name": "cdn", "port": {"number": 80}}}}
            ]}}]
        },
        "status": {"loadBalancer": {}}
    })
}

/// A release seen by a router: init, every step, promotion at 100% and the return to the
/// primary afterwards must all read back as written, and the end state must equal the start.
pub fn release(router: &dyn glidepath_router::Router, ctx: &RouteContext<'_>, steps: &[i32]) -> Vec<Vec<Value>> {
    let mut seen = Vec::new();
    let mut all = vec![0];
    all.extend_from_slice(steps);
    all.extend([100, 0]);
    for w in all {
        let objs = router.desired(ctx, split(w)).unwrap();
        assert_eq!(router.observed(ctx, &objs), Some(split(w)), "{} reads back {w}", router.name());
        seen.push(objs);
    }
    assert_eq!(seen.first(), seen.last(), "{}: back to 100/0 restores the initial objects", router.name());
    seen
}

/// A user's ApisixRoute for `podinfo`, as the apisix router finds it through `spec.routeRef`.
pub fn source_apisix_route() -> Value {
    json!({
        "apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute",
        "metadata": {
            "name": "podinfo", "namespace": "test", "uid": "def", "resourceVersion": "3",
            "labels": {"app": "podinfo", "kustomize.toolkit.fluxcd.io/name": "apps"},
            "annotations": {"team": "web", "kubectl.kubernetes.io/last-applied-configuration": "{}"}
        },
        "spec": {
            "ingressClassName": "apisix",
            "http": [
                {"name": "static", "match": {"hosts": ["app.example.com"], "paths": ["/static/*"]},
                 "backends": [{"serviceName": "cdn", "servicePort": 80}]},
                {"name": "method", "match": {"hosts": ["app.example.com"], "paths": ["/*"], "methods": ["GET"]},
                 "timeout": {"read": "15s"},
                 "backends": [{"serviceName": "podinfo", "servicePort": 80, "resolveGranularity": "service"}],
                 "plugins": [{"name": "proxy-rewrite", "enable": true, "config": {"regex_uri": ["^/(.*)", "/$1"]}}]}
            ]
        },
        "status": {"conditions": []}
    })
}

/// A Gloo Upstream holding connection settings, as `spec.upstreamRef` names it.
pub fn config_upstream() -> Value {
    json!({
        "apiVersion": "gloo.solo.io/v1", "kind": "Upstream",
        "metadata": {"name": "podinfo-config", "namespace": "gloo-system"},
        "spec": {
            "connectionConfig": {"maxRequestsPerConnection": 100, "connectTimeout": "2s"},
            "circuitBreakers": {"maxConnections": 1024},
            "useHttp2": true,
            "kube": {"serviceName": "ignored", "serviceNamespace": "x", "servicePort": 1}
        }
    })
}

/// The object the Canary's provider reads through `referenced_objects`, for
/// [`RouteContext::with_ingress`].
pub fn referenced_for(c: &Canary) -> Value {
    match c.spec.provider.as_deref() {
        Some("apisix") => source_apisix_route(),
        Some("gloo") => config_upstream(),
        _ => source_ingress(),
    }
}
