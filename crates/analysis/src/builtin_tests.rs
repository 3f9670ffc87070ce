use glidepath_api::flagger::Provider;

use super::*;

fn model() -> TemplateModel {
    TemplateModel {
        name: "podinfo".into(),
        namespace: "default".into(),
        target: "podinfo".into(),
        service: "podinfo".into(),
        ingress: "podinfo".into(),
        route: "podinfo".into(),
        interval: "1m".into(),
        variables: Default::default(),
    }
}

fn check(provider: &str, success: &str, duration: &str) {
    let observer = Observer::for_provider(Provider::parse(provider).unwrap());
    let m = model();
    assert_eq!(observer.render(BuiltinMetric::RequestSuccessRate, &m).unwrap(), success, "{provider} success rate");
    assert_eq!(observer.render(BuiltinMetric::RequestDuration, &m).unwrap(), duration, "{provider} duration");
}

#[test]
fn istio_matches_flagger_test() {
    // Flagger's istio_test.go expectations, without the leading space.
    check(
        "istio",
        r#"sum( rate( istio_requests_total{ reporter="destination", destination_workload_namespace="default", destination_workload=~"podinfo", response_code!~"5.*" }[1m] ) ) / sum( rate( istio_requests_total{ reporter="destination", destination_workload_namespace="default", destination_workload=~"podinfo" }[1m] ) ) * 100"#,
        r#"histogram_quantile( 0.99, sum( rate( istio_request_duration_milliseconds_bucket{ reporter="destination", destination_workload_namespace="default", destination_workload=~"podinfo" }[1m] ) ) by (le) )"#,
    );
}

#[test]
fn linkerd() {
    check(
        "linkerd",
        r#"sum( rate( response_total{ namespace="default", deployment=~"podinfo", classification!="failure", direction="inbound" }[1m] ) ) / sum( rate( response_total{ namespace="default", deployment=~"podinfo", direction="inbound" }[1m] ) ) * 100"#,
        r#"histogram_quantile( 0.99, sum( rate( response_latency_ms_bucket{ namespace="default", deployment=~"podinfo", direction="inbound" }[1m] ) ) by (le) )"#,
    );
}

#[test]
fn appmesh_both_versions() {
    for p in ["appmesh", "appmesh:v1beta2"] {
        check(
            p,
            r#"sum( rate( envoy_cluster_upstream_rq{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[1m] ) ) * 100"#,
            r#"histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[1m] ) ) by (le) )"#,
        );
    }
}

#[test]
fn contour() {
    check(
        "contour",
        r#"sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default_podinfo-canary_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default_podinfo-canary_[0-9a-zA-Z-]+" }[1m] ) ) * 100"#,
        r#"histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"default_podinfo-canary_[0-9a-zA-Z-]+" }[1m] ) ) by (le) )"#,
    );
}

#[test]
fn gloo() {
    check(
        "gloo",
        r#"sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+" }[1m] ) ) * 100"#,
        r#"histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"default-podinfo-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+" }[1m] ) ) by (le) )"#,
    );
}

#[test]
fn nginx_average_duration() {
    check(
        "nginx",
        r#"sum( rate( nginx_ingress_controller_requests{ namespace="default", ingress="podinfo", canary!="", status!~"5.*" }[1m] ) ) / sum( rate( nginx_ingress_controller_requests{ namespace="default", ingress="podinfo", canary!="" }[1m] ) ) * 100"#,
        r#"sum( rate( nginx_ingress_controller_response_duration_seconds_sum{ namespace="default", ingress="podinfo", canary!="" }[1m] ) ) / sum( rate( nginx_ingress_controller_response_duration_seconds_count{ namespace="default", ingress="podinfo", canary!="" }[1m] ) ) * 1000"#,
    );
    assert_eq!(Observer::Nginx.to_millis(), 1.0);
}

#[test]
fn kubernetes_and_gatewayapi_use_http_observer_in_seconds() {
    for p in ["kubernetes", "gatewayapi", "gatewayapi:v1", "gatewayapi:v1beta1"] {
        check(
            p,
            r#"sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", status!~"5.*" }[1m] ) ) / sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[1m] ) ) * 100"#,
            r#"histogram_quantile( 0.99, sum( rate( http_request_duration_seconds_bucket{ kubernetes_namespace="default", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[1m] ) ) by (le) )"#,
        );
    }
    assert_eq!(Observer::Http.to_millis(), 1000.0);
}

#[test]
fn skipper_encodes_non_word_characters() {
    let mut m = model();
    m.namespace = "my-ns".into();
    m.ingress = "podinfo.ing".into();
    let q = Observer::Skipper.render(BuiltinMetric::RequestSuccessRate, &m).unwrap();
    assert_eq!(
        q,
        r#"sum( rate( skipper_response_duration_seconds_bucket{ route=~"kube(ew)?_my_ns__podinfo_ing_canary__.*__podinfo_canary(_[0-9]+)?", code!~"5..", le="+Inf" }[1m] ) ) / sum( rate( skipper_response_duration_seconds_bucket{ route=~"kube(ew)?_my_ns__podinfo_ing_canary__.*__podinfo_canary(_[0-9]+)?", le="+Inf" }[1m] ) ) * 100"#
    );
    check(
        "skipper",
        r#"sum( rate( skipper_response_duration_seconds_bucket{ route=~"kube(ew)?_default__podinfo_canary__.*__podinfo_canary(_[0-9]+)?", code!~"5..", le="+Inf" }[1m] ) ) / sum( rate( skipper_response_duration_seconds_bucket{ route=~"kube(ew)?_default__podinfo_canary__.*__podinfo_canary(_[0-9]+)?", le="+Inf" }[1m] ) ) * 100"#,
        r#"sum( rate( skipper_serve_route_duration_seconds_sum{ route=~"kube(ew)?_default__podinfo_canary__.*__podinfo_canary(_[0-9]+)?" }[1m] ) ) / sum( rate( skipper_serve_route_duration_seconds_count{ route=~"kube(ew)?_default__podinfo_canary__.*__podinfo_canary(_[0-9]+)?" }[1m] ) ) * 1000"#,
    );
}

#[test]
fn traefik_seconds() {
    check(
        "traefik",
        r#"sum( rate( traefik_service_request_duration_seconds_bucket{ service=~"default-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd", code!~"5..", le="+Inf" }[1m] ) ) / sum( rate( traefik_service_request_duration_seconds_bucket{ service=~"default-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd", le="+Inf" }[1m] ) ) * 100"#,
        r#"histogram_quantile( 0.99, sum( rate( traefik_service_request_duration_seconds_bucket{ service=~"default-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd" }[1m] ) ) by (le) )"#,
    );
    assert_eq!(Observer::Traefik.to_millis(), 1000.0);
}

#[test]
fn osm() {
    check(
        "osm",
        r#"sum( rate( osm_request_total{ destination_namespace="default", destination_kind="Deployment", destination_name="podinfo", response_code!~"5.*" }[1m] ) ) / sum( rate( osm_request_total{ destination_namespace="default", destination_kind="Deployment", destination_name="podinfo" }[1m] ) ) * 100"#,
        r#"histogram_quantile( 0.99, sum( rate( osm_request_duration_ms_bucket{ destination_namespace="default", destination_kind="Deployment", destination_name="podinfo" }[1m] ) ) by (le) )"#,
    );
}

#[test]
fn kuma() {
    check(
        "kuma",
        r#"sum( rate( envoy_cluster_upstream_rq{ service=~"podinfo-canary_default_svc_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ service=~"podinfo-canary_default_svc_[0-9a-zA-Z-]+" }[1m] ) ) * 100"#,
        r#"histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ service=~"podinfo-canary_default_svc_[0-9a-zA-Z-]+" }[1m] ) ) by (le) )"#,
    );
}

#[test]
fn apisix() {
    check(
        "apisix",
        r#"sum( rate( apisix_http_status{ route=~"default_podinfo-podinfo-canary_.+", code!~"5.." }[1m] ) ) / sum( rate( apisix_http_status{ route=~"default_podinfo-podinfo-canary_.+" }[1m] ) ) * 100"#,
        r#"histogram_quantile( 0.99, sum( rate( apisix_http_latency_bucket{ type=~"request", route=~"default_podinfo-podinfo-canary_.+" }[1m] ) ) by (le) )"#,
    );
}

#[test]
fn knative() {
    check(
        "knative",
        r#"sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default/podinfo", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"default/podinfo" }[1m] ) ) * 100"#,
        r#"histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"default/podinfo" }[1m] ) ) by (le) )"#,
    );
}

#[test]
fn smi_falls_back_to_istio_and_names_parse() {
    assert_eq!(Observer::for_provider(Provider::SmiV1alpha3), Observer::Istio);
    assert_eq!(BuiltinMetric::parse("request-duration"), Some(BuiltinMetric::RequestDuration));
    assert_eq!(BuiltinMetric::parse("latency"), None);
}
