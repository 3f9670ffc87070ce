//! Workloads as traffic sees them: ready pods with stable names, and the behaviour their pod
//! template asks for (fault rate, latency).

use std::collections::BTreeMap;

use serde_json::Value;

/// Behaviour by image: a full image reference (`registry/podinfo:6.9.2`) or a bare tag
/// (`6.9.2`); a full reference wins over its tag.
pub type ImageBehaviours = BTreeMap<String, Behaviour>;

use super::{DEFAULT_LATENCY_MS, FAULT_RATE_ANNOTATION, FAULT_RATE_ENV, LATENCY_ANNOTATION, LATENCY_ENV, MAX_PODS};

/// How a workload's pods answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Behaviour {
    /// Share of requests answered 500, in 0..=1.
    pub fault_rate: f64,
    /// Mean latency in milliseconds.
    pub latency_ms: f64,
}

impl Behaviour {
    /// From a pod template: annotations win over the first container's env vars; unparsable or
    /// missing values keep the defaults (no faults, [`DEFAULT_LATENCY_MS`]).
    pub fn of(template: &Value) -> Self {
        Self::of_with(template, &ImageBehaviours::new())
    }

    /// [`Behaviour::of`], where a value the template does not set comes from the first
    /// container's image in `images` (see [`ImageBehaviours`]) before the defaults.
    pub fn of_with(template: &Value, images: &ImageBehaviours) -> Self {
        let by_image = template["spec"]["containers"][0]["image"].as_str().and_then(|i| image_behaviour(i, images));
        let annotations = &template["metadata"]["annotations"];
        let env = |name: &str| -> Option<String> {
            template["spec"]["containers"][0]["env"]
                .as_array()?
                .iter()
                .find(|e| e["name"] == name)
                .and_then(|e| e["value"].as_str())
                .map(str::to_owned)
        };
        let number = |annotation: &str, var: &str| -> Option<f64> {
            let from_annotation = annotations[annotation].as_str().and_then(|v| v.trim().parse::<f64>().ok());
            from_annotation.or_else(|| env(var).and_then(|v| v.trim().parse::<f64>().ok())).filter(|v| v.is_finite())
        };
        Self {
            fault_rate: number(FAULT_RATE_ANNOTATION, FAULT_RATE_ENV)
                .or(by_image.map(|b| b.fault_rate))
                .map_or(0.0, |v| v.clamp(0.0, 1.0)),
            latency_ms: number(LATENCY_ANNOTATION, LATENCY_ENV)
                .or(by_image.map(|b| b.latency_ms))
                .map_or(DEFAULT_LATENCY_MS, |v| v.max(0.0)),
        }
    }
}

/// The entry of `images` for `image`: the full reference, else its tag (the part after the
/// last `:` of the last path segment, without a `@digest`).
fn image_behaviour(image: &str, images: &ImageBehaviours) -> Option<Behaviour> {
    if let Some(b) = images.get(image) {
        return Some(*b);
    }
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    let (_, tag) = last.rsplit_once(':')?;
    images.get(tag).copied()
}

/// A Deployment or DaemonSet with its ready pods.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub namespace: String,
    pub name: String,
    /// Pod template labels (matched by Service selectors).
    pub labels: BTreeMap<String, String>,
    /// One name per ready pod (at most [`MAX_PODS`]): `<workload>-<template hash>-<suffix>`.
    pub pods: Vec<String>,
    pub behaviour: Behaviour,
}

impl Workload {
    pub fn of(obj: &Value) -> Self {
        Self::of_with(obj, &ImageBehaviours::new())
    }

    /// [`Workload::of`] with behaviour by image (see [`Behaviour::of_with`]).
    pub fn of_with(obj: &Value, images: &ImageBehaviours) -> Self {
        let namespace = obj["metadata"]["namespace"].as_str().unwrap_or("default").to_owned();
        let name = obj["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        let template = &obj["spec"]["template"];
        let labels = template["metadata"]["labels"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
        let status = &obj["status"];
        let ready = status["readyReplicas"].as_u64().or_else(|| status["numberReady"].as_u64()).unwrap_or(0);
        let hash = template_hash(template);
        let pods = (0..ready.min(MAX_PODS)).map(|i| format!("{name}-{hash}-{}", pod_suffix(&hash, i))).collect();
        Self { namespace, name, labels, pods, behaviour: Behaviour::of_with(template, images) }
    }
}

/// kube-controller-manager's alphabet for generated names (no vowels, no confusable digits).
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn encode(mut n: u64, len: usize) -> String {
    let base = ALPHABET.len() as u64;
    (0..len)
        .map(|_| {
            let c = ALPHABET[usize::try_from(n % base).unwrap_or(0)];
            n /= base;
            char::from(c)
        })
        .collect()
}

/// FNV-1a, 64 bits: stable across runs and platforms, unlike `DefaultHasher`.
fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Hashes a JSON value with object keys in sorted order, so key order never changes names.
fn hash_value(v: &Value, h: u64) -> u64 {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            keys.into_iter().fold(fnv(b"{", h), |h, k| hash_value(&map[k], fnv(k.as_bytes(), h)))
        }
        Value::Array(items) => items.iter().fold(fnv(b"[", h), |h, i| hash_value(i, h)),
        other => fnv(other.to_string().as_bytes(), h),
    }
}

/// A 10-character pod-template-hash: changes with the template, like a new ReplicaSet's.
pub fn template_hash(template: &Value) -> String {
    encode(hash_value(template, FNV_OFFSET), 10)
}

fn pod_suffix(hash: &str, index: u64) -> String {
    encode(fnv(&index.to_le_bytes(), fnv(hash.as_bytes(), FNV_OFFSET)), 5)
}
