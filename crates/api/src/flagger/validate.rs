//! Validation of Flagger objects: everything the upstream CRD schema enforces, plus the checks
//! Flagger only makes at run time (or not at all) and that Glidepath reports up front, each with
//! the JSON path of the offending field.

use std::collections::BTreeMap;

use super::alert_provider::{ALERT_PROVIDER_TYPES, AlertProviderSpec};
use super::analysis::{CanaryAnalysis, SEVERITIES, WEBHOOK_TYPES};
use super::canary::CanarySpec;
use super::defaults::{KUBERNETES_PROVIDER_ITERATIONS, Provider, Strategy, WebhookType};
use super::istio::{HeaderMatch, StringMatch};
use super::metric_template::{METRIC_PROVIDER_TYPES, MetricTemplateSpec};
use crate::duration;
use crate::field::{FieldError, Validation};

/// Built-in metric names that need no template.
pub const BUILTIN_METRICS: &[&str] = &["request-success-rate", "request-duration"];

const TARGET_KINDS: &[&str] = &["Deployment", "DaemonSet", "Service"];

impl CanarySpec {
    /// Validate against the global `--mesh-provider`.
    pub fn validate(&self, global_provider: &str) -> Validation {
        let mut v = Validation::default();
        let provider_name = self.provider.as_deref().unwrap_or(global_provider);
        let provider = Provider::parse(provider_name);
        if provider.is_none() {
            let field = if self.provider.is_some() { "spec.provider" } else { "--mesh-provider" };
            v.error(FieldError::not_supported(field, provider_name, Provider::names()));
        }
        self.validate_refs(provider, &mut v);
        if !self.target_ref.is_knative_service() {
            self.validate_service(provider, &mut v);
        } else if self.service.is_some() {
            // Knative routes by revision, through its own Services: nothing here would be used.
            v.error(FieldError::forbidden(
                "spec.service",
                "not used for Knative Service targets (Knative routes by revision)",
            ));
        }
        match &self.analysis {
            None => v.error(FieldError::required("spec.analysis", "analysis is required")),
            Some(a) => a.validate(provider, &mut v),
        }
        if self.progress_deadline_seconds.is_some_and(|s| s < 0) {
            v.error(FieldError::invalid("spec.progressDeadlineSeconds", "must be zero or positive"));
        }
        v
    }

    fn validate_refs(&self, provider: Option<Provider>, v: &mut Validation) {
        let t = &self.target_ref;
        require(v, "spec.targetRef.apiVersion", &t.api_version);
        require(v, "spec.targetRef.name", &t.name);
        if t.kind.is_empty() {
            v.error(FieldError::required("spec.targetRef.kind", "kind is required"));
        } else if !TARGET_KINDS.contains(&t.kind.as_str()) {
            v.error(FieldError::not_supported("spec.targetRef.kind", &t.kind, TARGET_KINDS));
        }
        let knative_target = t.is_knative_service();
        if knative_target != (provider == Some(Provider::Knative)) && provider.is_some() {
            v.error(FieldError::invalid(
                "spec.provider",
                "a Knative Service target (serving.knative.dev/v1) requires provider knative, and provider knative requires one",
            ));
        }
        if t.kind == "Service" && !knative_target {
            self.validate_service_target(provider, v);
        }
        if let Some(a) = &self.autoscaler_ref {
            require(v, "spec.autoscalerRef.apiVersion", &a.api_version);
            require(v, "spec.autoscalerRef.name", &a.name);
            let kinds = ["HorizontalPodAutoscaler", "ScaledObject"];
            if !kinds.contains(&a.kind.as_str()) {
                v.error(FieldError::not_supported("spec.autoscalerRef.kind", &a.kind, &kinds));
            }
            if knative_target {
                v.error(FieldError::forbidden("spec.autoscalerRef", "not allowed for Knative Service targets"));
            }
            if let Some(r) = &a.primary_scaler_replicas {
                if let (Some(min), Some(max)) = (r.min_replicas, r.max_replicas)
                    && min > max
                {
                    v.error(FieldError::invalid(
                        "spec.autoscalerRef.primaryScalerReplicas",
                        format!("minReplicas {min} is greater than maxReplicas {max}"),
                    ));
                }
                for (name, value) in [("minReplicas", r.min_replicas), ("maxReplicas", r.max_replicas)] {
                    if value.is_some_and(|n| n < 1) {
                        v.error(FieldError::invalid(
                            format!("spec.autoscalerRef.primaryScalerReplicas.{name}"),
                            "must be at least 1",
                        ));
                    }
                }
            }
        }
        match provider {
            Some(Provider::Nginx | Provider::Skipper) if self.ingress_ref.is_none() => v.error(FieldError::required(
                "spec.ingressRef",
                format!("required by provider {}", self.provider_name()),
            )),
            Some(Provider::Apisix) if self.route_ref.is_none() => {
                v.error(FieldError::required("spec.routeRef", "required by provider apisix"));
            }
            _ => {}
        }
        for (field, r) in [("spec.ingressRef", &self.ingress_ref), ("spec.routeRef", &self.route_ref)] {
            if let Some(r) = r {
                require(v, &format!("{field}.apiVersion"), &r.api_version);
                require(v, &format!("{field}.kind"), &r.kind);
                require(v, &format!("{field}.name"), &r.name);
            }
        }
    }

    /// A `v1` Service target: its copies are routed by a mesh or ingress; there is no pod
    /// selector to switch and nothing to scale.
    fn validate_service_target(&self, provider: Option<Provider>, v: &mut Validation) {
        let t = &self.target_ref;
        if t.api_version != "v1" {
            v.error(FieldError::not_supported(
                "spec.targetRef.apiVersion",
                &t.api_version,
                &["v1", super::canary::KNATIVE_API_VERSION],
            ));
        }
        if provider == Some(Provider::Kubernetes) {
            v.error(FieldError::invalid(
                "spec.provider",
                "a Service target needs a router that splits traffic between Services (gatewayapi, istio, ...); provider kubernetes switches pod selectors",
            ));
        }
        if self.autoscaler_ref.is_some() {
            v.error(FieldError::forbidden("spec.autoscalerRef", "a Service target has nothing to scale"));
        }
    }

    fn provider_name(&self) -> &str {
        self.provider.as_deref().unwrap_or("(global)")
    }

    fn validate_service(&self, provider: Option<Provider>, v: &mut Validation) {
        let Some(s) = &self.service else {
            v.error(FieldError::required("spec.service", "service (with port) is required"));
            return;
        };
        if !(1..=65535).contains(&s.port) {
            v.error(FieldError::invalid("spec.service.port", "must be between 1 and 65535"));
        }
        for (field, value) in [("timeout", &s.timeout), ("backendTimeout", &s.backend_timeout)] {
            check_duration(v, &format!("spec.service.{field}"), value.as_deref());
        }
        let has = |l: &Option<Vec<String>>| l.as_ref().is_some_and(|l| !l.is_empty());
        if s.delegation.unwrap_or(false) && (has(&s.hosts) || has(&s.gateways)) {
            v.error(FieldError::forbidden(
                "spec.service.delegation",
                "a delegate VirtualService cannot have hosts or gateways",
            ));
        }
        if provider.is_some_and(Provider::is_gateway_api) && s.gateway_refs.as_ref().is_none_or(Vec::is_empty) {
            v.error(FieldError::required("spec.service.gatewayRefs", "required by the Gateway API provider"));
        }
        for (i, m) in s.r#match.iter().flatten().enumerate() {
            let base = format!("spec.service.match[{i}]");
            for (name, sm) in
                [("uri", &m.uri), ("scheme", &m.scheme), ("method", &m.method), ("authority", &m.authority)]
            {
                if let Some(sm) = sm {
                    check_string_match(v, &format!("{base}.{name}"), sm);
                }
            }
            for (name, map) in
                [("headers", &m.headers), ("queryParams", &m.query_params), ("withoutHeaders", &m.without_headers)]
            {
                check_string_match_map(v, &format!("{base}.{name}"), map.as_ref());
            }
        }
        if let Some(r) = &s.retries {
            check_duration(v, "spec.service.retries.perTryTimeout", r.per_try_timeout.as_deref());
        }
        for (i, m) in s.mirror.iter().flatten().enumerate() {
            require(v, &format!("spec.service.mirror[{i}].backendRef.name"), &m.backend_ref.name);
        }
        for (i, g) in s.gateway_refs.iter().flatten().enumerate() {
            require(v, &format!("spec.service.gatewayRefs[{i}].name"), &g.name);
        }
    }
}

impl CanaryAnalysis {
    fn validate(&self, provider: Option<Provider>, v: &mut Validation) {
        let set = [
            ("iterations", self.iterations.is_some()),
            ("stepWeight", self.step_weight.is_some()),
            ("stepWeights", self.step_weights.is_some()),
        ];
        let chosen: Vec<&str> = set.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
        if chosen.len() != 1 {
            v.error(FieldError::invalid(
                "spec.analysis",
                format!(
                    "exactly one of iterations, stepWeight, stepWeights must be set (found {})",
                    if chosen.is_empty() { "none".to_owned() } else { chosen.join(", ") }
                ),
            ));
        }
        match self.interval.as_deref() {
            None => v.error(FieldError::required("spec.analysis.interval", "interval is required")),
            Some(i) if !matches_interval_pattern(i) => {
                v.error(FieldError::invalid("spec.analysis.interval", format!("{i:?} does not match ^[0-9]+(m|s)")))
            }
            Some(i) => {
                if let Err(e) = duration::parse(i) {
                    // The CRD pattern lets "5mx" through and Flagger then runs every 60s; keep
                    // such a canary running, but say so.
                    v.warn(FieldError::invalid("spec.analysis.interval", format!("{e}; using 60s")));
                }
            }
        }
        if self.threshold.is_none() {
            v.error(FieldError::required("spec.analysis.threshold", "threshold is required"));
        }
        for (field, value) in [
            ("iterations", self.iterations),
            ("stepWeight", self.step_weight),
            ("stepWeightPromotion", self.step_weight_promotion),
        ] {
            if value.is_some_and(|n| n < 0) {
                v.error(FieldError::invalid(format!("spec.analysis.{field}"), "must not be negative"));
            }
        }
        for (field, value) in [
            ("maxWeight", self.max_weight),
            ("stepWeight", self.step_weight),
            ("stepWeightPromotion", self.step_weight_promotion),
            ("mirrorWeight", self.mirror_weight),
            ("primaryReadyThreshold", self.primary_ready_threshold),
            ("canaryReadyThreshold", self.canary_ready_threshold),
        ] {
            if value.is_some_and(|n| n > 100) {
                v.error(FieldError::invalid(format!("spec.analysis.{field}"), "must not exceed 100"));
            }
        }
        if let Some(steps) = &self.step_weights {
            let mut prev = 0;
            for (i, w) in steps.iter().enumerate() {
                if *w <= prev || *w > 100 {
                    v.error(FieldError::invalid(
                        format!("spec.analysis.stepWeights[{i}]"),
                        "steps must increase strictly and lie in 1..=100",
                    ));
                    break;
                }
                prev = *w;
            }
        }
        self.validate_strategy(provider, v);
        self.validate_checks(v);
    }

    fn validate_strategy(&self, provider: Option<Provider>, v: &mut Validation) {
        let strategy = self.strategy();
        match provider {
            Some(Provider::Kubernetes) if strategy == Strategy::Canary => v.warn(FieldError::invalid(
                "spec.analysis.iterations",
                format!(
                    "provider kubernetes supports only blue-green; running {KUBERNETES_PROVIDER_ITERATIONS} iterations"
                ),
            )),
            Some(Provider::Kubernetes) if strategy == Strategy::AbTesting => v.warn(FieldError::invalid(
                "spec.analysis.match",
                "provider kubernetes cannot route by header or cookie; match is ignored (blue-green)",
            )),
            Some(p) if p.is_smi() && strategy == Strategy::AbTesting => v.error(FieldError::forbidden(
                "spec.analysis.match",
                "SMI TrafficSplit cannot route by header or cookie; A/B testing needs another provider",
            )),
            _ => {}
        }
        for (i, m) in self.r#match.iter().flatten().enumerate() {
            let base = format!("spec.analysis.match[{i}]");
            for (name, hm) in m.headers.iter().flatten() {
                check_header_match(v, &format!("{base}.headers.{name}"), hm);
            }
            check_string_match_map(v, &format!("{base}.queryParams"), m.query_params.as_ref());
        }
        if let Some(sa) = &self.session_affinity {
            require(v, "spec.analysis.sessionAffinity.cookieName", &sa.cookie_name);
            if sa.primary_cookie_name.as_deref() == Some(sa.cookie_name.as_str()) {
                v.error(FieldError::invalid(
                    "spec.analysis.sessionAffinity.primaryCookieName",
                    "must differ from cookieName",
                ));
            }
            if sa.same_site.as_deref().is_some_and(|s| !["Strict", "Lax", "None"].contains(&s)) {
                v.error(FieldError::not_supported(
                    "spec.analysis.sessionAffinity.sameSite",
                    sa.same_site.as_deref().unwrap_or_default(),
                    &["Strict", "Lax", "None"],
                ));
            }
        }
    }

    fn validate_checks(&self, v: &mut Validation) {
        for (i, m) in self.metrics().iter().enumerate() {
            let base = format!("spec.analysis.metrics[{i}]");
            require(v, &format!("{base}.name"), &m.name);
            check_interval_pattern(v, &format!("{base}.interval"), m.interval.as_deref());
            let builtin = BUILTIN_METRICS.contains(&m.name.as_str());
            let templated = m.template_ref.as_ref().is_some_and(|t| !t.name.is_empty());
            if !builtin && !templated && m.query.as_deref().is_none_or(str::is_empty) {
                v.error(FieldError::required(
                    format!("{base}.templateRef"),
                    format!(
                        "metric {:?} is not built in ({}) and has neither templateRef nor query",
                        m.name,
                        BUILTIN_METRICS.join(", ")
                    ),
                ));
            }
            if let Some(r) = &m.threshold_range
                && let (Some(min), Some(max)) = (r.min, r.max)
                && min > max
            {
                v.error(FieldError::invalid(
                    format!("{base}.thresholdRange"),
                    format!("min {min} is greater than max {max}"),
                ));
            }
        }
        for (i, w) in self.webhooks().iter().enumerate() {
            let base = format!("spec.analysis.webhooks[{i}]");
            require(v, &format!("{base}.name"), &w.name);
            if w.url.is_empty() {
                v.error(FieldError::required(format!("{base}.url"), "url is required"));
            } else if !is_http_url(&w.url) {
                v.error(FieldError::invalid(format!("{base}.url"), format!("{:?} is not an http(s) URL", w.url)));
            }
            if w.kind().is_none() {
                v.error(FieldError::not_supported(
                    format!("{base}.type"),
                    w.r#type.as_deref().unwrap_or_default(),
                    WEBHOOK_TYPES,
                ));
            }
            check_interval_pattern(v, &format!("{base}.timeout"), w.timeout.as_deref());
            if w.retries.is_some_and(|r| r < 0) {
                v.error(FieldError::invalid(format!("{base}.retries"), "must not be negative"));
            }
        }
        for (i, a) in self.alerts().iter().enumerate() {
            let base = format!("spec.analysis.alerts[{i}]");
            require(v, &format!("{base}.name"), &a.name);
            require(v, &format!("{base}.providerRef.name"), &a.provider_ref.name);
            match a.severity.as_deref().unwrap_or("") {
                "" => v.warn(FieldError::invalid(
                    format!("{base}.severity"),
                    "empty severity matches no notification (as in Flagger); set info, warn or error",
                )),
                s if !SEVERITIES.contains(&s) => {
                    v.error(FieldError::not_supported(format!("{base}.severity"), s, SEVERITIES))
                }
                _ => {}
            }
        }
        let types: Vec<WebhookType> = self.webhooks().iter().filter_map(|w| w.kind()).collect();
        if types.contains(&WebhookType::ConfirmTrafficIncrease) && self.strategy() != Strategy::Canary {
            v.warn(FieldError::invalid(
                "spec.analysis.webhooks",
                "confirm-traffic-increase hooks run only with the canary (weighted) strategy",
            ));
        }
    }
}

impl MetricTemplateSpec {
    pub fn validate(&self) -> Validation {
        let mut v = Validation::default();
        let t = self.provider.r#type.as_str();
        if t.is_empty() {
            v.error(FieldError::required("spec.provider.type", "type is required"));
        } else if !METRIC_PROVIDER_TYPES.contains(&t) {
            v.error(FieldError::not_supported("spec.provider.type", t, METRIC_PROVIDER_TYPES));
        }
        if self.query.trim().is_empty() {
            v.error(FieldError::required("spec.query", "query is required"));
        }
        match self.provider.address.as_deref() {
            Some(a) if !a.is_empty() && !is_http_url(a) => {
                v.error(FieldError::invalid("spec.provider.address", format!("{a:?} is not an http(s) URL")));
            }
            None | Some("") if t == "prometheus" => {
                v.error(FieldError::required("spec.provider.address", "required by provider prometheus"));
            }
            _ => {}
        }
        if let Some(r) = &self.provider.secret_ref {
            require(&mut v, "spec.provider.secretRef.name", &r.name);
        }
        v
    }
}

impl AlertProviderSpec {
    pub fn validate(&self) -> Validation {
        let mut v = Validation::default();
        if !ALERT_PROVIDER_TYPES.contains(&self.r#type.as_str()) {
            v.error(FieldError::not_supported("spec.type", &self.r#type, ALERT_PROVIDER_TYPES));
        }
        match (&self.address, &self.secret_ref) {
            (None, None) => v.error(FieldError::required("spec.address", "address or secretRef is required")),
            (Some(a), _) if !a.is_empty() && !is_http_url(a) => {
                v.error(FieldError::invalid("spec.address", "not an http(s) URL"));
            }
            _ => {}
        }
        if let Some(p) = self.proxy.as_deref().filter(|p| !p.is_empty())
            && !is_http_url(p)
        {
            v.error(FieldError::invalid("spec.proxy", "not an http(s) URL"));
        }
        v
    }
}

fn require(v: &mut Validation, field: &str, value: &str) {
    if value.is_empty() {
        let name = field.rsplit('.').next().unwrap_or(field);
        v.error(FieldError::required(field, format!("{name} is required")));
    }
}

/// Flagger's `^[0-9]+(m|s)` pattern, then a real parse.
fn check_interval_pattern(v: &mut Validation, field: &str, value: Option<&str>) {
    let Some(value) = value else { return };
    if !matches_interval_pattern(value) {
        v.error(FieldError::invalid(field, format!("{value:?} does not match ^[0-9]+(m|s)")));
    } else if let Err(e) = duration::parse(value) {
        v.error(FieldError::invalid(field, e.to_string()));
    }
}

/// Flagger's unanchored `^[0-9]+(m|s)`: digits, then m or s, then anything.
fn matches_interval_pattern(value: &str) -> bool {
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(value.as_bytes().get(digits), Some(b'm' | b's'))
}

fn check_duration(v: &mut Validation, field: &str, value: Option<&str>) {
    if let Some(Err(e)) = value.filter(|s| !s.is_empty()).map(duration::parse) {
        v.error(FieldError::invalid(field, e.to_string()));
    }
}

fn check_string_match(v: &mut Validation, field: &str, m: &StringMatch) {
    let n = [&m.exact, &m.prefix, &m.regex].iter().filter(|x| x.is_some()).count();
    if n > 1 {
        v.error(FieldError::invalid(field, "at most one of exact, prefix, regex may be set"));
    }
}

fn check_string_match_map(v: &mut Validation, field: &str, map: Option<&BTreeMap<String, StringMatch>>) {
    for (k, m) in map.into_iter().flatten() {
        check_string_match(v, &format!("{field}.{k}"), m);
    }
}

fn check_header_match(v: &mut Validation, field: &str, m: &HeaderMatch) {
    let n = [&m.exact, &m.prefix, &m.suffix, &m.regex].iter().filter(|x| x.is_some()).count();
    if n != 1 {
        v.error(FieldError::invalid(field, "exactly one of exact, prefix, suffix, regex must be set"));
    }
}

/// An absolute http(s) URL with a host.
pub(crate) fn is_http_url(s: &str) -> bool {
    let rest = s.strip_prefix("http://").or_else(|| s.strip_prefix("https://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace))
}
