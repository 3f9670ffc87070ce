//! Request generation: a pure function from the routing objects, a request count and a seeded
//! PRNG to the samples (who answered, with which status and latency).

use serde_json::Value;

use super::routing::{BackendRef, EntryPoint, Objects, Request, Unreachable, endpoints, entry_points};
use super::workload::Workload;

/// SplitMix64: tiny, fast, deterministic per seed; statistical quality is ample for traffic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        // 53 random mantissa bits.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// One answered (or failed) request.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub namespace: String,
    /// Empty when no pod answered.
    pub workload: String,
    /// Empty when no pod answered.
    pub pod: String,
    pub status: u16,
    pub latency_secs: f64,
    /// A mirrored copy (its response is discarded by the gateway, but the pod served it).
    pub mirrored: bool,
}

/// `per_entry` requests through every entry point of `objects`; `header_fraction` of the
/// requests to an HTTPRoute carry the headers, query params and path of its first rule's first
/// match.
pub fn generate(objects: &Objects, per_entry: u64, header_fraction: f64, rng: &mut Rng) -> Vec<Sample> {
    let workloads: Vec<Workload> = objects.workloads.iter().map(|w| Workload::of_with(w, &objects.images)).collect();
    let mut out = Vec::new();
    for entry in entry_points(objects) {
        for _ in 0..per_entry {
            match &entry {
                EntryPoint::Service { namespace, name } => {
                    out.push(serve(objects, &workloads, namespace, name, false, rng));
                }
                EntryPoint::Route { first_match, .. } => {
                    let req = match first_match {
                        Some(m) if rng.unit() < header_fraction => request_for(m),
                        _ => Request::plain(),
                    };
                    route_one(objects, &workloads, &entry, &req, rng, &mut out);
                }
            }
        }
    }
    out
}

fn route_one(
    objects: &Objects,
    workloads: &[Workload],
    entry: &EntryPoint,
    req: &Request,
    rng: &mut Rng,
    out: &mut Vec<Sample>,
) {
    let ns = entry.namespace();
    let Some(rule) = entry.rule_for(req) else {
        out.push(failed(ns, 404));
        return;
    };
    match pick(&rule.backends, rng) {
        Some(b) if b.valid => out.push(serve(objects, workloads, &b.namespace, &b.name, false, rng)),
        // No backend with weight, or an invalid ref: Gateway API answers 500.
        _ => out.push(failed(ns, 500)),
    }
    for m in &rule.mirrors {
        if m.backend.valid && rng.unit() < m.fraction {
            out.push(serve(objects, workloads, &m.backend.namespace, &m.backend.name, true, rng));
        }
    }
}

/// A backend by weight; `None` when every weight is zero.
fn pick<'a>(backends: &'a [BackendRef], rng: &mut Rng) -> Option<&'a BackendRef> {
    let total: u64 = backends.iter().map(|b| b.weight).sum();
    if total == 0 {
        return None;
    }
    let mut x = rng.below(total);
    for b in backends {
        if x < b.weight {
            return Some(b);
        }
        x -= b.weight;
    }
    None
}

fn failed(ns: &str, status: u16) -> Sample {
    Sample {
        namespace: ns.to_owned(),
        workload: String::new(),
        pod: String::new(),
        status,
        latency_secs: 0.0,
        mirrored: false,
    }
}

/// A request to Service `ns/name`: a uniformly chosen ready pod answers per its behaviour.
fn serve(objects: &Objects, workloads: &[Workload], ns: &str, name: &str, mirrored: bool, rng: &mut Rng) -> Sample {
    let targets = match endpoints(objects, workloads, ns, name) {
        Ok(t) => t,
        Err(Unreachable::NoService) => return Sample { mirrored, ..failed(ns, 500) },
        Err(Unreachable::NoEndpoints) => return Sample { mirrored, ..failed(ns, 503) },
    };
    let pods: u64 = targets.iter().map(|w| w.pods.len() as u64).sum();
    let mut i = usize::try_from(rng.below(pods)).unwrap_or(0);
    let (w, pod) = targets
        .iter()
        .find_map(|w| {
            if i < w.pods.len() {
                Some((*w, &w.pods[i]))
            } else {
                i -= w.pods.len();
                None
            }
        })
        .unwrap_or((targets[0], &targets[0].pods[0]));
    let status = if rng.unit() < w.behaviour.fault_rate { 500 } else { 200 };
    // Uniform jitter of ±50% around the mean.
    let latency_secs = w.behaviour.latency_ms * (0.5 + rng.unit()) / 1000.0;
    Sample { namespace: ns.to_owned(), workload: w.name.clone(), pod: pod.clone(), status, latency_secs, mirrored }
}

/// A request that satisfies an `HTTPRouteMatch` (best effort for regular expressions).
pub fn request_for(m: &Value) -> Request {
    let pairs = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|h| {
                let value = h["value"].as_str().unwrap_or_default();
                let value = if h["type"] == "RegularExpression" { sample_for(value) } else { value.to_owned() };
                (h["name"].as_str().unwrap_or_default().to_owned(), value)
            })
            .collect()
    };
    let path = match m["path"]["value"].as_str() {
        Some(v) if m["path"]["type"] == "RegularExpression" => sample_for(v),
        Some(v) => v.to_owned(),
        None => "/".to_owned(),
    };
    Request {
        method: m["method"].as_str().unwrap_or("GET").to_owned(),
        path,
        headers: pairs(&m["headers"]),
        query: pairs(&m["queryParams"]),
    }
}

/// A string the (fully anchored) pattern matches: the pattern itself, without anchors, or the
/// contents of one of its groups (Flagger's cookie match `^(.*?;)?(canary=always)(;.*)?$`
/// yields `canary=always`); the pattern text when nothing fits.
fn sample_for(pattern: &str) -> String {
    let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$")) else { return pattern.to_owned() };
    let stripped = pattern.trim_start_matches('^').trim_end_matches('$');
    let mut candidates = vec![pattern.to_owned(), stripped.to_owned()];
    // Innermost groups: the text between a `(` and the next `)`.
    let mut start = 0usize;
    for (i, c) in pattern.char_indices() {
        match c {
            '(' => start = i + 1,
            ')' if start <= i => candidates.push(pattern[start..i].to_owned()),
            _ => {}
        }
    }
    candidates.into_iter().find(|c| re.is_match(c)).unwrap_or_else(|| stripped.to_owned())
}
