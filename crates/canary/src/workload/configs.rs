//! ConfigMap and Secret tracking (reference §2.7): which ones a pod template uses, their
//! checksums (computed exactly as Flagger does, so a migrated release sees no spurious change),
//! and renaming the references to the `-primary` copies.

use std::collections::{BTreeMap, BTreeSet};

use glidepath_api::k8s_openapi::ByteString;
use glidepath_api::k8s_openapi::api::core::v1::{ConfigMap, Container, PodSpec, Secret};

/// Secret types Flagger tracks; others (service-account tokens, docker configs) are shared.
pub const TRACKED_SECRET_TYPES: &[&str] =
    &["Opaque", "kubernetes.io/basic-auth", "kubernetes.io/ssh-auth", "kubernetes.io/tls"];
/// Annotation that opts a ConfigMap or Secret out of tracking (any value starting `disabled`).
pub const TRACKING_ANNOTATION: &str = "flagger.app/config-tracking";

/// Names of the ConfigMaps and Secrets a pod spec refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigRefs {
    pub config_maps: BTreeSet<String>,
    pub secrets: BTreeSet<String>,
}

impl ConfigRefs {
    /// Every reference in volumes, projected volumes, env and envFrom of containers and init
    /// containers.
    pub fn of(spec: &PodSpec) -> Self {
        let mut refs = ConfigRefs::default();
        for v in spec.volumes.iter().flatten() {
            if let Some(name) = v.config_map.as_ref().map(|c| c.name.clone()) {
                refs.config_maps.insert(name);
            }
            if let Some(name) = v.secret.as_ref().and_then(|s| s.secret_name.clone()) {
                refs.secrets.insert(name);
            }
            for source in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
                if let Some(c) = &source.config_map {
                    refs.config_maps.insert(c.name.clone());
                }
                if let Some(s) = &source.secret {
                    refs.secrets.insert(s.name.clone());
                }
            }
        }
        for c in containers(spec) {
            for e in c.env.iter().flatten() {
                if let Some(from) = &e.value_from {
                    if let Some(r) = &from.config_map_key_ref {
                        refs.config_maps.insert(r.name.clone());
                    }
                    if let Some(r) = &from.secret_key_ref {
                        refs.secrets.insert(r.name.clone());
                    }
                }
            }
            for e in c.env_from.iter().flatten() {
                if let Some(r) = &e.config_map_ref {
                    refs.config_maps.insert(r.name.clone());
                }
                if let Some(r) = &e.secret_ref {
                    refs.secrets.insert(r.name.clone());
                }
            }
        }
        refs.config_maps.retain(|n| !n.is_empty());
        refs.secrets.retain(|n| !n.is_empty());
        refs
    }

    /// The `status.trackedConfigs` keys: `configmap/<name>`, `secret/<name>`.
    pub fn keys(&self) -> impl Iterator<Item = String> + '_ {
        self.config_maps
            .iter()
            .map(|n| format!("configmap/{n}"))
            .chain(self.secrets.iter().map(|n| format!("secret/{n}")))
    }
}

fn containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    spec.containers.iter().chain(spec.init_containers.iter().flatten())
}

fn containers_mut(spec: &mut PodSpec) -> impl Iterator<Item = &mut Container> {
    spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten())
}

/// Whether a ConfigMap is tracked (not opted out).
pub fn config_map_tracked(cm: &ConfigMap) -> bool {
    !opted_out(cm.metadata.annotations.as_ref())
}

/// Whether a Secret is tracked: a tracked type, not opted out.
pub fn secret_tracked(s: &Secret) -> bool {
    let t = s.type_.as_deref().unwrap_or("Opaque");
    TRACKED_SECRET_TYPES.contains(&t) && !opted_out(s.metadata.annotations.as_ref())
}

fn opted_out(annotations: Option<&BTreeMap<String, String>>) -> bool {
    annotations.and_then(|a| a.get(TRACKING_ANNOTATION)).is_some_and(|v| v.starts_with("disabled"))
}

/// Flagger's checksum of a ConfigMap: sha256 of Go's `json.Marshal(data)`, first 16 hex chars.
pub fn config_map_checksum(cm: &ConfigMap) -> String {
    let empty = BTreeMap::new();
    checksum(cm.data.as_ref().unwrap_or(&empty).iter().map(|(k, v)| (k.as_str(), v.clone())))
}

/// Flagger's checksum of a Secret (`[]byte` values marshal as base64).
pub fn secret_checksum(s: &Secret) -> String {
    let empty = BTreeMap::new();
    let data: &BTreeMap<String, ByteString> = s.data.as_ref().unwrap_or(&empty);
    checksum(data.iter().map(|(k, v)| {
        let b64 = serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        (k.as_str(), b64)
    }))
}

fn checksum<'a>(entries: impl Iterator<Item = (&'a str, String)>) -> String {
    let body: Vec<String> = entries.map(|(k, v)| format!("{}:{}", go_json_string(k), go_json_string(&v))).collect();
    let json = format!("{{{}}}", body.join(","));
    crate::workload::hash::sha256_hex(json.as_bytes())[..16].to_owned()
}

/// A JSON string as Go's `encoding/json` writes it (HTML-safe escapes, `\u00XX` controls).
fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", u32::from(ch))),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Point every reference to a tracked ConfigMap/Secret at its `-primary` copy.
pub fn rename_to_primary(spec: &mut PodSpec, tracked: &ConfigRefs) {
    let cm = |n: &mut String| {
        if tracked.config_maps.contains(n.as_str()) {
            n.push_str("-primary");
        }
    };
    let sec = |n: &mut String| {
        if tracked.secrets.contains(n.as_str()) {
            n.push_str("-primary");
        }
    };
    for v in spec.volumes.iter_mut().flatten() {
        if let Some(c) = v.config_map.as_mut() {
            cm(&mut c.name);
        }
        if let Some(name) = v.secret.as_mut().and_then(|s| s.secret_name.as_mut()) {
            sec(name);
        }
        for source in v.projected.iter_mut().flat_map(|p| p.sources.iter_mut().flatten()) {
            if let Some(c) = source.config_map.as_mut() {
                cm(&mut c.name);
            }
            if let Some(s) = source.secret.as_mut() {
                sec(&mut s.name);
            }
        }
    }
    for c in containers_mut(spec) {
        for e in c.env.iter_mut().flatten() {
            if let Some(from) = e.value_from.as_mut() {
                if let Some(r) = from.config_map_key_ref.as_mut() {
                    cm(&mut r.name);
                }
                if let Some(r) = from.secret_key_ref.as_mut() {
                    sec(&mut r.name);
                }
            }
        }
        for e in c.env_from.iter_mut().flatten() {
            if let Some(r) = e.config_map_ref.as_mut() {
                cm(&mut r.name);
            }
            if let Some(r) = e.secret_ref.as_mut() {
                sec(&mut r.name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> PodSpec {
        serde_json::from_value(json!({
            "containers": [{"name": "app", "image": "x",
                "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "env-cm", "key": "a"}}},
                        {"name": "B", "valueFrom": {"secretKeyRef": {"name": "env-secret", "key": "b"}}}],
                "envFrom": [{"configMapRef": {"name": "bulk-cm"}}, {"secretRef": {"name": "bulk-secret"}}]}],
            "initContainers": [{"name": "init", "image": "x", "envFrom": [{"configMapRef": {"name": "init-cm"}}]}],
            "volumes": [
                {"name": "v1", "configMap": {"name": "vol-cm"}},
                {"name": "v2", "secret": {"secretName": "vol-secret"}},
                {"name": "v3", "projected": {"sources": [{"configMap": {"name": "proj-cm"}}, {"secret": {"name": "proj-secret"}}]}}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn finds_every_reference() {
        let refs = ConfigRefs::of(&spec());
        assert_eq!(
            refs.config_maps.iter().map(String::as_str).collect::<Vec<_>>(),
            ["bulk-cm", "env-cm", "init-cm", "proj-cm", "vol-cm"]
        );
        assert_eq!(
            refs.secrets.iter().map(String::as_str).collect::<Vec<_>>(),
            ["bulk-secret", "env-secret", "proj-secret", "vol-secret"]
        );
    }

    #[test]
    fn renames_only_tracked_references() {
        let mut s = spec();
        let mut tracked = ConfigRefs::of(&s);
        tracked.secrets.remove("vol-secret");
        rename_to_primary(&mut s, &tracked);
        let after = ConfigRefs::of(&s);
        assert!(after.config_maps.iter().all(|n| n.ends_with("-primary")), "{after:?}");
        assert!(after.secrets.contains("vol-secret") && after.secrets.contains("env-secret-primary"));
    }

    #[test]
    fn checksums_match_go_json_marshal() {
        // sha256 of `{"a":"1","b":"x\u003cy"}` — Go escapes < in json.Marshal.
        let cm: ConfigMap = serde_json::from_value(json!({"metadata": {}, "data": {"b": "x<y", "a": "1"}})).unwrap();
        let expected = crate::workload::hash::sha256_hex(br#"{"a":"1","b":"x\u003cy"}"#)[..16].to_owned();
        assert_eq!(config_map_checksum(&cm), expected);
        let s: Secret = serde_json::from_value(json!({"metadata": {}, "data": {"k": "aGVsbG8="}})).unwrap();
        let expected = crate::workload::hash::sha256_hex(br#"{"k":"aGVsbG8="}"#)[..16].to_owned();
        assert_eq!(secret_checksum(&s), expected);
        assert_ne!(config_map_checksum(&cm), config_map_checksum(&ConfigMap::default()));
    }

    #[test]
    fn tracking_opt_out_and_secret_types() {
        let s: Secret =
            serde_json::from_value(json!({"metadata": {}, "type": "kubernetes.io/dockerconfigjson"})).unwrap();
        assert!(!secret_tracked(&s));
        let s: Secret =
            serde_json::from_value(json!({"metadata": {"annotations": {TRACKING_ANNOTATION: "disabled"}}})).unwrap();
        assert!(!secret_tracked(&s));
        assert!(secret_tracked(&Secret::default()));
    }
}
