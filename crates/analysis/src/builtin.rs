//! The built-in metrics `request-success-rate` and `request-duration`: Flagger's PromQL per
//! routing provider (`pkg/metrics/observers/*.go`), laid out as Flagger's multi-line templates
//! read after whitespace collapsing (`sum( rate( metric{ a="b", c=~"d" }[1m] ) ) / ... * 100`).

use glidepath_api::flagger::Provider;

use crate::AnalysisError;
use crate::template::{self, TemplateModel};

/// A built-in metric name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuiltinMetric {
    /// `request-success-rate`: percentage of non-5xx responses.
    RequestSuccessRate,
    /// `request-duration`: P99 (or average, for some providers) latency in milliseconds.
    RequestDuration,
}

impl BuiltinMetric {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "request-success-rate" => Some(Self::RequestSuccessRate),
            "request-duration" => Some(Self::RequestDuration),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestSuccessRate => "request-success-rate",
            Self::RequestDuration => "request-duration",
        }
    }
}

/// The family of queries used for a routing provider (Flagger's "observer").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Observer {
    Istio,
    Linkerd,
    AppMesh,
    Contour,
    Gloo,
    Nginx,
    /// `kubernetes` and `gatewayapi*`: the generic HTTP observer (`http_request_duration_seconds`).
    Http,
    Skipper,
    Traefik,
    Osm,
    Kuma,
    Apisix,
    Knative,
}

impl Observer {
    /// The observer for an effective routing provider. SMI providers fall back to Istio, as in
    /// Flagger's factory.
    pub fn for_provider(provider: Provider) -> Self {
        match provider {
            Provider::Apisix => Self::Apisix,
            Provider::AppMesh | Provider::AppMeshV1beta2 => Self::AppMesh,
            Provider::Contour => Self::Contour,
            Provider::GatewayApiV1 | Provider::GatewayApiV1beta1 | Provider::Kubernetes => Self::Http,
            Provider::Gloo => Self::Gloo,
            Provider::Istio | Provider::SmiV1alpha1 | Provider::SmiV1alpha2 | Provider::SmiV1alpha3 => Self::Istio,
            Provider::Knative => Self::Knative,
            Provider::Kuma => Self::Kuma,
            Provider::Linkerd => Self::Linkerd,
            Provider::Nginx => Self::Nginx,
            Provider::Osm => Self::Osm,
            Provider::Skipper => Self::Skipper,
            Provider::Traefik => Self::Traefik,
        }
    }

    /// The unrendered query template of `metric`.
    pub fn query_template(self, metric: BuiltinMetric) -> String {
        let spec = self.spec();
        match metric {
            BuiltinMetric::RequestSuccessRate => success_rate(&spec.numerator, &spec.denominator),
            BuiltinMetric::RequestDuration => match &spec.duration {
                Duration::P99 { selector, .. } => p99(selector),
                Duration::Average { sum, count } => format!(
                    "sum( rate( {sum}[{{{{ interval }}}}] ) ) / sum( rate( {count}[{{{{ interval }}}}] ) ) * 1000"
                ),
            },
        }
    }

    /// Factor turning the query's value into milliseconds (1000 where the P99 is in seconds).
    pub fn to_millis(self) -> f64 {
        match self.spec().duration {
            Duration::P99 { seconds: true, .. } => 1000.0,
            _ => 1.0,
        }
    }

    /// The rendered, whitespace-collapsed query of `metric` for `model`.
    pub fn render(self, metric: BuiltinMetric, model: &TemplateModel) -> Result<String, AnalysisError> {
        let rendered = if self == Self::Skipper {
            template::render(&self.query_template(metric), &skipper_model(model))?
        } else {
            template::render(&self.query_template(metric), model)?
        };
        Ok(template::collapse_whitespace(&rendered))
    }

    fn spec(self) -> Spec {
        const NS: &str = r#"namespace="{{ namespace }}""#;
        const POD: &str = r#"kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)""#;
        const ENVOY_5XX: &str = r#"envoy_response_code!~"5.*""#;
        let envoy = |selector: &str| {
            Spec::p99_ms("envoy_cluster_upstream_rq", &[selector], ENVOY_5XX, "envoy_cluster_upstream_rq_time_bucket")
        };
        match self {
            Self::Istio => Spec::p99_ms(
                "istio_requests_total",
                &[
                    r#"reporter="destination""#,
                    r#"destination_workload_namespace="{{ namespace }}""#,
                    r#"destination_workload=~"{{ target }}""#,
                ],
                r#"response_code!~"5.*""#,
                "istio_request_duration_milliseconds_bucket",
            ),
            Self::Linkerd => {
                let mut spec = Spec::p99_ms(
                    "response_total",
                    &[NS, r#"deployment=~"{{ target }}""#, r#"direction="inbound""#],
                    "",
                    "response_latency_ms_bucket",
                );
                // Flagger puts the classification filter before `direction`.
                spec.numerator = selector(
                    "response_total",
                    &[NS, r#"deployment=~"{{ target }}""#, r#"classification!="failure""#, r#"direction="inbound""#],
                );
                spec
            }
            Self::AppMesh => Spec::p99_ms(
                "envoy_cluster_upstream_rq",
                &[r#"kubernetes_namespace="{{ namespace }}""#, POD],
                ENVOY_5XX,
                "envoy_cluster_upstream_rq_time_bucket",
            ),
            Self::Contour => envoy(r#"envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+""#),
            Self::Gloo => envoy(
                r#"envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+""#,
            ),
            Self::Kuma => envoy(r#"service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+""#),
            Self::Knative => envoy(r#"envoy_cluster_name=~"{{ namespace }}/{{ route }}""#),
            Self::Nginx => {
                let base = [NS, r#"ingress="{{ ingress }}""#, r#"canary!="""#];
                Spec {
                    numerator: selector(
                        "nginx_ingress_controller_requests",
                        &[&base[..], &[r#"status!~"5.*""#]].concat(),
                    ),
                    denominator: selector("nginx_ingress_controller_requests", &base),
                    duration: Duration::Average {
                        sum: selector("nginx_ingress_controller_response_duration_seconds_sum", &base),
                        count: selector("nginx_ingress_controller_response_duration_seconds_count", &base),
                    },
                }
            }
            Self::Http => {
                let base = [r#"kubernetes_namespace="{{ namespace }}""#, POD];
                Spec {
                    numerator: selector(
                        "http_request_duration_seconds_count",
                        &[&base[..], &[r#"status!~"5.*""#]].concat(),
                    ),
                    denominator: selector("http_request_duration_seconds_count", &base),
                    duration: Duration::P99 {
                        selector: selector("http_request_duration_seconds_bucket", &base),
                        seconds: true,
                    },
                }
            }
            Self::Skipper => {
                let route =
                    r#"route=~"kube(ew)?_{{ namespace }}__{{ ingress }}_canary__.*__{{ service }}_canary(_[0-9]+)?""#;
                let bucket = "skipper_response_duration_seconds_bucket";
                Spec {
                    numerator: selector(bucket, &[route, r#"code!~"5..""#, r#"le="+Inf""#]),
                    denominator: selector(bucket, &[route, r#"le="+Inf""#]),
                    duration: Duration::Average {
                        sum: selector("skipper_serve_route_duration_seconds_sum", &[route]),
                        count: selector("skipper_serve_route_duration_seconds_count", &[route]),
                    },
                }
            }
            Self::Traefik => {
                let service = r#"service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd""#;
                let bucket = "traefik_service_request_duration_seconds_bucket";
                Spec {
                    numerator: selector(bucket, &[service, r#"code!~"5..""#, r#"le="+Inf""#]),
                    denominator: selector(bucket, &[service, r#"le="+Inf""#]),
                    duration: Duration::P99 { selector: selector(bucket, &[service]), seconds: true },
                }
            }
            Self::Osm => Spec::p99_ms(
                "osm_request_total",
                &[
                    r#"destination_namespace="{{ namespace }}""#,
                    r#"destination_kind="Deployment""#,
                    r#"destination_name="{{ target }}""#,
                ],
                r#"response_code!~"5.*""#,
                "osm_request_duration_ms_bucket",
            ),
            Self::Apisix => {
                let route = r#"route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+""#;
                Spec {
                    numerator: selector("apisix_http_status", &[route, r#"code!~"5..""#]),
                    denominator: selector("apisix_http_status", &[route]),
                    duration: Duration::P99 {
                        selector: selector("apisix_http_latency_bucket", &[r#"type=~"request""#, route]),
                        seconds: false,
                    },
                }
            }
        }
    }
}

struct Spec {
    numerator: String,
    denominator: String,
    duration: Duration,
}

enum Duration {
    P99 { selector: String, seconds: bool },
    Average { sum: String, count: String },
}

impl Spec {
    /// Success rate filtered by `filter` (appended last) and a P99 in milliseconds.
    fn p99_ms(total: &str, base: &[&str], filter: &str, bucket: &str) -> Self {
        let numerator: Vec<&str> = base.iter().copied().chain((!filter.is_empty()).then_some(filter)).collect();
        Self {
            numerator: selector(total, &numerator),
            denominator: selector(total, base),
            duration: Duration::P99 { selector: selector(bucket, base), seconds: false },
        }
    }
}

fn selector(metric: &str, labels: &[&str]) -> String {
    format!("{metric}{{ {} }}", labels.join(", "))
}

fn success_rate(numerator: &str, denominator: &str) -> String {
    format!("sum( rate( {numerator}[{{{{ interval }}}}] ) ) / sum( rate( {denominator}[{{{{ interval }}}}] ) ) * 100")
}

fn p99(selector: &str) -> String {
    format!("histogram_quantile( 0.99, sum( rate( {selector}[{{{{ interval }}}}] ) ) by (le) )")
}

/// Skipper route names replace every non-word character with `_`.
fn skipper_model(model: &TemplateModel) -> TemplateModel {
    let encode = |s: &str| s.chars().map(|c| if c.is_alphanumeric() || c == '_' { c } else { '_' }).collect();
    TemplateModel {
        name: encode(&model.name),
        namespace: encode(&model.namespace),
        target: encode(&model.target),
        service: encode(&model.service),
        ingress: encode(&model.ingress),
        ..model.clone()
    }
}

#[cfg(test)]
#[path = "builtin_tests.rs"]
mod tests;
