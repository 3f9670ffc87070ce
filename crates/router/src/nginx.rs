//! `nginx`: a canary Ingress `<ingressRef>-canary` cloned from the Ingress that
//! `spec.ingressRef` names, with its backend `<svc>` switched to `<svc>-canary` and the NGINX
//! canary annotations (`canary`, `canary-weight`; A/B: `canary-by-header`,
//! `canary-by-header-value`, `canary-by-header-pattern`, `canary-by-cookie`) under the
//! configured prefix (reference §6). The user's Ingress is never touched.

use std::collections::BTreeMap;

use glidepath_api::flagger::istio::AbMatch;
use glidepath_api::flagger::service::CustomMetadata;
use serde_json::{Value, json};

use crate::matching::ExactOrRegex;
use crate::meta::{copied, metadata};
use crate::{RouteContext, Router, RouterError, Weights, refuse_mirroring};

pub const DEFAULT_ANNOTATIONS_PREFIX: &str = "nginx.ingress.kubernetes.io";
const NAME: &str = "nginx";
const API_VERSION: &str = "networking.k8s.io/v1";

fn err(field: &'static str, message: impl Into<String>) -> RouterError {
    RouterError::BuildRoutes { provider: NAME, field, message: message.into() }
}

/// The NGINX ingress router.
#[derive(Clone, Debug)]
pub struct NginxRouter {
    prefix: String,
}

impl NginxRouter {
    /// `prefix` is the annotation prefix (`nginx.ingress.kubernetes.io` by default).
    pub fn new(prefix: &str) -> Self {
        let prefix = prefix.trim_end_matches('/');
        NginxRouter {
            prefix: if prefix.is_empty() { DEFAULT_ANNOTATIONS_PREFIX.to_owned() } else { prefix.to_owned() },
        }
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}/{suffix}", self.prefix)
    }

    fn ingress_name<'a>(&self, ctx: &RouteContext<'a>) -> Result<&'a str, RouterError> {
        ctx.canary
            .spec
            .ingress_ref
            .as_ref()
            .map(|r| r.name.as_str())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| err("spec.ingressRef", "the nginx provider clones an Ingress: set spec.ingressRef.name"))
    }

    /// The canary annotations for `weights`.
    fn canary_annotations(&self, ab: &AbRoute, weights: Weights) -> BTreeMap<String, String> {
        let mut a = BTreeMap::from([(self.key("canary"), "true".to_owned())]);
        if ab.is_empty() || weights.canary <= 0 {
            a.insert(self.key("canary-weight"), weights.canary.max(0).to_string());
            return a;
        }
        // A/B: the matched requests go to the canary, nothing by weight.
        a.insert(self.key("canary-weight"), "0".into());
        if let Some(c) = &ab.cookie {
            a.insert(self.key("canary-by-cookie"), c.clone());
        }
        if let Some((name, m)) = &ab.header {
            a.insert(self.key("canary-by-header"), name.clone());
            match m {
                ExactOrRegex::Exact(v) => a.insert(self.key("canary-by-header-value"), v.clone()),
                ExactOrRegex::Regex(v) => a.insert(self.key("canary-by-header-pattern"), v.clone()),
            };
        }
        a
    }
}

/// What NGINX can match on: one header (exact or pattern) and one cookie (its name; NGINX
/// sends requests whose cookie value is `always` to the canary).
#[derive(Debug, Default)]
struct AbRoute {
    header: Option<(String, ExactOrRegex)>,
    cookie: Option<String>,
}

impl AbRoute {
    fn is_empty(&self) -> bool {
        self.header.is_none() && self.cookie.is_none()
    }

    fn parse(matches: &[AbMatch]) -> Result<AbRoute, RouterError> {
        const FIELD: &str = "spec.analysis.match";
        let mut out = AbRoute::default();
        for m in matches {
            if m.query_params.as_ref().is_some_and(|q| !q.is_empty()) {
                return Err(err(FIELD, "nginx cannot match query parameters; use one header and/or one cookie"));
            }
            if m.source_labels.as_ref().is_some_and(|l| !l.is_empty()) {
                return Err(err(FIELD, "nginx cannot match source labels; use one header and/or one cookie"));
            }
            for (name, hm) in m.headers.iter().flatten() {
                if name.eq_ignore_ascii_case("cookie") {
                    let cookie = hm.exact.clone().ok_or_else(|| {
                        err(FIELD, "the cookie condition takes `exact: <cookie name>` (nginx routes cookie=always)")
                    })?;
                    if out.cookie.replace(cookie).is_some() {
                        return Err(err(FIELD, "nginx routes by one cookie only"));
                    }
                } else {
                    let m = ExactOrRegex::of(hm)
                        .ok_or_else(|| err(FIELD, format!("header {name}: one of exact, prefix, suffix, regex")))?;
                    if out.header.replace((name.clone(), m)).is_some() {
                        return Err(err(FIELD, "nginx routes by one header only"));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Point every backend on Service `from` at Service `to`; whether one was found.
fn retarget(spec: &mut Value, from: &str, to: &str) -> bool {
    let mut found = false;
    let mut swap = |backend: &mut Value| {
        if backend["service"]["name"] == from {
            backend["service"]["name"] = json!(to);
            found = true;
        }
    };
    if spec.get("defaultBackend").is_some() {
        swap(&mut spec["defaultBackend"]);
    }
    for rule in spec["rules"].as_array_mut().into_iter().flatten() {
        for path in rule["http"]["paths"].as_array_mut().into_iter().flatten() {
            swap(&mut path["backend"]);
        }
    }
    found
}

impl Router for NginxRouter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn desired(&self, ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        refuse_mirroring(NAME, weights)?;
        let ab = AbRoute::parse(ctx.ab_matches())?;
        let source_name = self.ingress_name(ctx)?;
        let source = ctx
            .ingress
            .filter(|i| i["metadata"]["name"] == source_name && i.get("kind").is_none_or(|k| k == "Ingress"))
            .ok_or_else(|| err("spec.ingressRef", format!("Ingress {}/{source_name} not found", ctx.namespace())))?;
        let mut spec = source["spec"].clone();
        if !retarget(&mut spec, ctx.apex(), &ctx.canary_service()) {
            return Err(err(
                "spec.ingressRef",
                format!("Ingress {source_name} has no backend for Service {} to send to the canary", ctx.apex()),
            ));
        }
        let canary_prefix = self.key("canary");
        let mut annotations = copied(&source["metadata"]["annotations"], &canary_prefix);
        annotations.extend(self.canary_annotations(&ab, weights));
        let custom = CustomMetadata { labels: None, annotations: Some(annotations) };
        let labels = copied(&source["metadata"]["labels"], &canary_prefix);
        Ok(vec![json!({
            "apiVersion": API_VERSION,
            "kind": "Ingress",
            "metadata": metadata(ctx, &format!("{source_name}-canary"), Some(&custom), labels),
            "spec": spec,
        })])
    }

    fn observed(&self, ctx: &RouteContext<'_>, objects: &[Value]) -> Option<Weights> {
        let name = format!("{}-canary", self.ingress_name(ctx).ok()?);
        let ing = objects.iter().find(|o| o["kind"] == "Ingress" && o["metadata"]["name"] == name.as_str())?;
        let a = &ing["metadata"]["annotations"];
        if a[self.key("canary")] != "true" {
            return None;
        }
        let by_match = a.get(self.key("canary-by-header")).is_some() || a.get(self.key("canary-by-cookie")).is_some();
        if !ctx.ab_matches().is_empty() && by_match {
            return Some(Weights::ALL_CANARY);
        }
        let canary = a.get(self.key("canary-weight")).map_or(Some(0), crate::weight_value)?;
        Some(Weights { primary: 100 - canary, canary, mirrored: false })
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        vec![(API_VERSION, "Ingress")]
    }
}
