//! Routing resolution: which entry points exist (HTTPRoutes, annotated Services), which rule of
//! an HTTPRoute a request takes (Gateway API match precedence), and which ready workloads stand
//! behind a Service (selector against pod template labels, as Endpoints would).

use std::sync::Arc;

use regex::Regex;
use serde_json::Value;

use super::TRAFFIC_ANNOTATION;
use super::workload::{ImageBehaviours, Workload};

/// The objects traffic is routed by, as stored (any served version).
#[derive(Debug, Clone, Default)]
pub struct Objects {
    /// Gateway API HTTPRoutes (v1 and v1beta1 share one storage).
    pub routes: Vec<Arc<Value>>,
    pub services: Vec<Arc<Value>>,
    /// Deployments and DaemonSets.
    pub workloads: Vec<Arc<Value>>,
    /// Behaviour by image, for what pod templates do not set ([`super::TrafficConfig::images`]).
    pub images: Arc<ImageBehaviours>,
}

impl Objects {
    /// Sorts plain objects by `kind` (for tests and callers holding JSON).
    pub fn from_values(values: impl IntoIterator<Item = Value>) -> Self {
        let mut out = Self::default();
        for v in values {
            match v["kind"].as_str() {
                Some("HTTPRoute") => out.routes.push(Arc::new(v)),
                Some("Service") => out.services.push(Arc::new(v)),
                Some("Deployment" | "DaemonSet") => out.workloads.push(Arc::new(v)),
                _ => {}
            }
        }
        out
    }
}

/// One synthetic HTTP request as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
}

impl Request {
    pub fn plain() -> Self {
        Self { method: "GET".into(), path: "/".into(), ..Self::default() }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A reference to a backend Service.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendRef {
    pub namespace: String,
    pub name: String,
    pub weight: u64,
    /// False when the ref names something other than a core Service (answered 500).
    pub valid: bool,
}

/// A `RequestMirror` filter: `backend` gets a copy of `fraction` of the rule's requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Mirror {
    pub backend: BackendRef,
    pub fraction: f64,
}

#[derive(Debug, Clone)]
enum ValueMatch {
    Exact(String),
    /// `None`: an invalid pattern, which matches nothing.
    Regex(Option<Regex>),
}

/// Envoy matches regular expressions against the whole value.
fn full_regex(pattern: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{pattern})$")).ok()
}

impl ValueMatch {
    fn parse(m: &Value) -> Self {
        let value = m["value"].as_str().unwrap_or_default();
        if m["type"].as_str() == Some("RegularExpression") {
            Self::Regex(full_regex(value))
        } else {
            Self::Exact(value.to_owned())
        }
    }

    fn matches(&self, got: Option<&str>) -> bool {
        match (self, got) {
            (Self::Exact(want), Some(got)) => want == got,
            (Self::Regex(re), Some(got)) => re.as_ref().is_some_and(|re| re.is_match(got)),
            (_, None) => false,
        }
    }
}

#[derive(Debug, Clone)]
enum PathMatch {
    Prefix(String),
    Exact(String),
    Regex(Option<Regex>),
}

/// One `HTTPRouteMatch`; all its conditions must hold.
#[derive(Debug, Clone)]
struct Match {
    path: PathMatch,
    headers: Vec<(String, ValueMatch)>,
    query: Vec<(String, ValueMatch)>,
    method: Option<String>,
}

impl Match {
    fn parse(m: &Value) -> Self {
        let value = m["path"]["value"].as_str().unwrap_or("/").to_owned();
        let path = match m["path"]["type"].as_str() {
            Some("Exact") => PathMatch::Exact(value),
            Some("RegularExpression") => PathMatch::Regex(full_regex(&value)),
            _ => PathMatch::Prefix(value),
        };
        let pairs = |list: &Value| -> Vec<(String, ValueMatch)> {
            list.as_array()
                .into_iter()
                .flatten()
                .map(|h| (h["name"].as_str().unwrap_or_default().to_owned(), ValueMatch::parse(h)))
                .collect()
        };
        Self {
            path,
            headers: pairs(&m["headers"]),
            query: pairs(&m["queryParams"]),
            method: m["method"].as_str().map(str::to_owned),
        }
    }

    fn matches(&self, req: &Request) -> bool {
        let path_ok = match &self.path {
            PathMatch::Exact(p) => req.path == *p,
            PathMatch::Prefix(p) => prefix_matches(p, &req.path),
            PathMatch::Regex(re) => re.as_ref().is_some_and(|re| re.is_match(&req.path)),
        };
        path_ok
            && self.method.as_ref().is_none_or(|m| *m == req.method)
            && self.headers.iter().all(|(n, m)| m.matches(req.header(n)))
            && self.query.iter().all(|(n, m)| m.matches(req.query_param(n)))
    }

    /// Gateway API precedence (greater wins).
    fn precedence(&self) -> Precedence {
        let (exact, len) = match &self.path {
            PathMatch::Exact(p) => (true, p.len()),
            PathMatch::Prefix(p) => (false, p.len()),
            PathMatch::Regex(_) => (false, 0),
        };
        (exact, len, self.method.is_some(), self.headers.len(), self.query.len())
    }
}

/// Exact path, longest prefix, method, most headers, most query params.
type Precedence = (bool, usize, bool, usize, usize);

/// PathPrefix matches whole path elements: `/foo` matches `/foo` and `/foo/bar`, not `/foobar`.
fn prefix_matches(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || prefix.is_empty(),
        None => false,
    }
}

/// One HTTPRoute rule.
#[derive(Debug, Clone)]
pub struct Rule {
    matches: Vec<Match>,
    pub backends: Vec<BackendRef>,
    pub mirrors: Vec<Mirror>,
}

/// Where synthetic requests enter.
#[derive(Debug, Clone)]
pub enum EntryPoint {
    Route { namespace: String, name: String, rules: Vec<Rule>, first_match: Option<Value> },
    Service { namespace: String, name: String },
}

impl EntryPoint {
    pub fn namespace(&self) -> &str {
        match self {
            Self::Route { namespace, .. } | Self::Service { namespace, .. } => namespace,
        }
    }

    /// The rule `req` takes: the best match by precedence, earlier rules winning ties.
    pub fn rule_for(&self, req: &Request) -> Option<&Rule> {
        let Self::Route { rules, .. } = self else { return None };
        let mut best: Option<(Precedence, &Rule)> = None;
        for rule in rules {
            let key = rule.matches.iter().filter(|m| m.matches(req)).map(Match::precedence).max();
            if let Some(key) = key
                && best.as_ref().is_none_or(|(k, _)| key > *k)
            {
                best = Some((key, rule));
            }
        }
        best.map(|(_, r)| r)
    }
}

fn backend_ref(b: &Value, default_ns: &str) -> BackendRef {
    let group = b["group"].as_str().unwrap_or_default();
    let kind = b["kind"].as_str().unwrap_or("Service");
    BackendRef {
        namespace: b["namespace"].as_str().unwrap_or(default_ns).to_owned(),
        name: b["name"].as_str().unwrap_or_default().to_owned(),
        // Gateway API defaults an omitted weight to 1.
        weight: b["weight"].as_u64().unwrap_or(1),
        valid: group.is_empty() && kind == "Service",
    }
}

fn mirrors(filters: &Value, ns: &str) -> Vec<Mirror> {
    filters
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["type"] == "RequestMirror")
        .map(|f| {
            let m = &f["requestMirror"];
            let fraction = if let Some(p) = m["percent"].as_f64() {
                p / 100.0
            } else if let Some(n) = m["fraction"]["numerator"].as_f64() {
                n / m["fraction"]["denominator"].as_f64().unwrap_or(100.0).max(1.0)
            } else {
                1.0
            };
            Mirror { backend: backend_ref(&m["backendRef"], ns), fraction: fraction.clamp(0.0, 1.0) }
        })
        .collect()
}

fn parse_route(route: &Value) -> EntryPoint {
    let namespace = route["metadata"]["namespace"].as_str().unwrap_or("default").to_owned();
    let name = route["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    let raw_rules = route["spec"]["rules"].as_array().cloned().unwrap_or_default();
    let default_match = serde_json::json!({"path": {"type": "PathPrefix", "value": "/"}});
    let first_match = raw_rules.first().and_then(|r| r["matches"].get(0)).cloned();
    let rules = raw_rules
        .iter()
        .map(|r| {
            let raw: Vec<Value> = match r["matches"].as_array() {
                Some(m) if !m.is_empty() => m.clone(),
                _ => vec![default_match.clone()],
            };
            let backends: Vec<Value> = r["backendRefs"].as_array().cloned().unwrap_or_default();
            let mut mirror = mirrors(&r["filters"], &namespace);
            for b in &backends {
                mirror.extend(mirrors(&b["filters"], &namespace));
            }
            Rule {
                matches: raw.iter().map(Match::parse).collect(),
                backends: backends.iter().map(|b| backend_ref(b, &namespace)).collect(),
                mirrors: mirror,
            }
        })
        .collect();
    EntryPoint::Route { namespace, name, rules, first_match }
}

/// Every HTTPRoute and every Service annotated `sandbox.glidepath.io/traffic: "true"`.
pub fn entry_points(objects: &Objects) -> Vec<EntryPoint> {
    let mut out: Vec<EntryPoint> = objects.routes.iter().map(|r| parse_route(r)).collect();
    out.extend(objects.services.iter().filter(|s| s["metadata"]["annotations"][TRAFFIC_ANNOTATION] == "true").map(
        |s| EntryPoint::Service {
            namespace: s["metadata"]["namespace"].as_str().unwrap_or("default").to_owned(),
            name: s["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
        },
    ));
    out
}

/// Why a request reached no pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// The Service does not exist or the ref is not a Service: the gateway answers 500.
    NoService,
    /// No ready workload behind the Service: 503.
    NoEndpoints,
}

/// Ready workloads behind Service `ns/name`: same namespace, pod template labels matching the
/// (non-empty) selector, at least one ready pod.
pub fn endpoints<'a>(
    objects: &Objects,
    workloads: &'a [Workload],
    ns: &str,
    name: &str,
) -> Result<Vec<&'a Workload>, Unreachable> {
    let svc = objects
        .services
        .iter()
        .find(|s| s["metadata"]["namespace"] == ns && s["metadata"]["name"] == name)
        .ok_or(Unreachable::NoService)?;
    let Some(selector) = svc["spec"]["selector"].as_object().filter(|m| !m.is_empty()) else {
        return Err(Unreachable::NoEndpoints);
    };
    let found: Vec<&Workload> = workloads
        .iter()
        .filter(|w| w.namespace == ns && !w.pods.is_empty())
        .filter(|w| selector.iter().all(|(k, v)| w.labels.get(k) == v.as_str().map(str::to_owned).as_ref()))
        .collect();
    if found.is_empty() { Err(Unreachable::NoEndpoints) } else { Ok(found) }
}
