//! CRD validation rules (`x-kubernetes-validations`, CEL) of the upstream CRDs, enforced as
//! kube-apiserver enforces them: Gateway API routes, Flux GitRepositories, a transition rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{TIMEOUT, apply_crds, client, start};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::runtime::wait::{await_condition, conditions};
use serde_json::{Value, json};

const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance");

async fn install(c: &kube::Client, rel: &str) {
    apply_crds(c, &format!("{CONFORMANCE}/{rel}")).await;
}

fn api(c: &kube::Client, group: &str, version: &str, kind: &str, ns: Option<&str>) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    match ns {
        Some(ns) => Api::namespaced_with(c.clone(), ns, &ar),
        None => Api::all_with(c.clone(), &ar),
    }
}

/// `(field, message)` of each cause of a 422.
fn causes(r: Result<DynamicObject, kube::Error>) -> Vec<(String, String)> {
    match r {
        Err(kube::Error::Api(s)) if s.code == 422 => {
            s.details.unwrap().causes.into_iter().map(|c| (c.field, c.message)).collect()
        }
        other => panic!("expected a 422, got {other:?}"),
    }
}

fn route(rules: Value) -> DynamicObject {
    serde_json::from_value(json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "podinfo"}, "spec": {"parentRefs": [{"name": "gw"}], "rules": rules}}))
    .unwrap()
}

#[tokio::test]
async fn gateway_api_route_rules_accept_what_a_router_writes_and_reject_what_kube_apiserver_rejects() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        install(&c, "crds/gateway-api/gateway.networking.k8s.io_httproutes.yaml").await;
        let routes = api(&c, "gateway.networking.k8s.io", "v1", "HTTPRoute", Some("default"));
        let pp = PostParams::default();

        // Weighted backends, a header match and a mirror filter: valid.
        let good = route(json!([{
            "matches": [{"path": {"type": "PathPrefix", "value": "/"}, "headers": [{"name": "x-canary", "value": "insider"}]}],
            "filters": [{"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "podinfo-canary", "port": 9898}}}],
            "backendRefs": [{"name": "podinfo-primary", "port": 9898, "weight": 90},
                            {"name": "podinfo-canary", "port": 9898, "weight": 10}]}]));
        routes.create(&pp, &good).await.unwrap();

        let cases = [
            (json!([{"backendRefs": [{"name": "podinfo-primary"}]}]), "spec.rules[0].backendRefs[0]",
                "Must have port for Service reference"),
            (json!([{"filters": [{"type": "RequestHeaderModifier"}]}]), "spec.rules[0].filters[0]",
                "filter.requestHeaderModifier must be specified"),
            (json!([{"filters": [{"type": "RequestMirror", "requestMirror": {
                "backendRef": {"name": "podinfo-canary", "port": 9898}, "fraction": {"numerator": 5, "denominator": 2}}}]}]),
                "spec.rules[0].filters[0].requestMirror.fraction", "numerator must be less than or equal to denominator"),
        ];
        for (rules, field, message) in cases {
            let mut bad = route(rules);
            bad.metadata.name = Some("bad".into());
            let found = causes(routes.create(&pp, &bad).await);
            assert!(
                found.iter().any(|(f, m)| f == field && m.starts_with("Invalid value: \"object\": ") && m.contains(message)),
                "{field}: {message} not in {found:?}"
            );
        }
        assert!(routes.get_opt("bad").await.unwrap().is_none());
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn flux_git_repository_rule_and_a_transition_rule() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        install(&c, "flux/gitrepositories.yaml").await;
        install(&c, "crds/gateway-api/gateway.networking.k8s.io_gatewayclasses.yaml").await;

        let repos = api(&c, "source.toolkit.fluxcd.io", "v1", "GitRepository", Some("default"));
        let repo = |provider: Option<&str>| -> DynamicObject {
            let mut spec = json!({"url": "https://example.invalid/r", "interval": "1m", "serviceAccountName": "sa"});
            if let Some(p) = provider {
                spec["provider"] = json!(p);
            }
            serde_json::from_value(json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "r"}, "spec": spec}))
            .unwrap()
        };
        let found = causes(repos.create(&PostParams::default(), &repo(Some("generic"))).await);
        assert!(
            found
                .iter()
                .any(|(f, m)| f == "spec" && m.contains("serviceAccountName can only be set when provider is 'azure'")),
            "{found:?}"
        );
        repos.create(&PostParams::default(), &repo(Some("azure"))).await.unwrap();

        // `self == oldSelf` on spec.controllerName: only checked on updates, against the old value.
        let classes = api(&c, "gateway.networking.k8s.io", "v1", "GatewayClass", None);
        let class = |controller: &str, description: &str| {
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "gc"},
                "spec": {"controllerName": controller, "description": description}})
        };
        let pp = PatchParams::apply("test");
        classes.patch("gc", &pp, &Patch::Apply(class("example.com/a", "one"))).await.unwrap();
        classes.patch("gc", &pp, &Patch::Apply(class("example.com/a", "two"))).await.unwrap();
        let found = causes(classes.patch("gc", &pp, &Patch::Apply(class("example.com/b", "two"))).await);
        assert!(found.iter().any(|(f, m)| f == "spec.controllerName" && m.contains("Value is immutable")), "{found:?}");
        let stored = classes.get("gc").await.unwrap();
        assert_eq!(stored.data["spec"]["controllerName"], "example.com/a");
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn glidepath_flux_crds_carry_fluxs_rules() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
        for crd in glidepath_api::crdgen::all() {
            let name = crd.metadata.name.clone().unwrap();
            crds.create(&PostParams::default(), &crd).await.unwrap();
            await_condition(crds.clone(), &name, conditions::is_crd_established()).await.unwrap();
        }
        let ks = api(&c, "kustomize.toolkit.fluxcd.io", "v1", "Kustomization", Some("default"));
        let kustomization = |kube_config: Value| -> DynamicObject {
            serde_json::from_value(json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": "k"}, "spec": {"interval": "1m", "prune": true, "kubeConfig": kube_config,
                    "sourceRef": {"kind": "GitRepository", "name": "r"}}}))
            .unwrap()
        };
        for both_or_none in [json!({"secretRef": {"name": "a"}, "configMapRef": {"name": "b"}}), json!({})] {
            let found = causes(ks.create(&PostParams::default(), &kustomization(both_or_none.clone())).await);
            assert!(
                found.iter().any(|(f, m)| f == "spec.kubeConfig" && m.contains("exactly one of spec.kubeConfig")),
                "{both_or_none}: {found:?}"
            );
        }
        ks.create(&PostParams::default(), &kustomization(json!({"secretRef": {"name": "a"}}))).await.unwrap();

        let repos = api(&c, "source.toolkit.fluxcd.io", "v1", "GitRepository", Some("default"));
        let repo: DynamicObject = serde_json::from_value(json!({"apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository", "metadata": {"name": "r"},
            "spec": {"url": "https://example.invalid/r", "interval": "1m", "serviceAccountName": "sa"}}))
        .unwrap();
        let found = causes(repos.create(&PostParams::default(), &repo).await);
        assert!(
            found.iter().any(|(f, m)| f == "spec" && m.contains("serviceAccountName can only be set")),
            "{found:?}"
        );
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
