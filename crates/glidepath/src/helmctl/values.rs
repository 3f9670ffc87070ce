//! A HelmRelease's values, composed as helm-controller does (`chartutil.ChartValuesFromReferences`):
//! `valuesFrom` in order — each reference's key read as YAML and deep-merged, or, with
//! `targetPath`, set at that path with Helm's `--set` parser (quoted values as strings) — then the
//! inline `values` merged on top. Pure: the reconciler reads the ConfigMaps and Secrets first.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One `valuesFrom` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValuesRef {
    pub kind: String,
    pub name: String,
    /// `valuesKey` (default `values.yaml`).
    pub key: String,
    pub target_path: Option<String>,
    pub optional: bool,
}

/// What was read of a referenced ConfigMap or Secret: `None` when it does not exist.
pub type Fetched = BTreeMap<(String, String), Option<BTreeMap<String, Vec<u8>>>>;

/// helm-controller's error text: `could not resolve [optional] <Kind> chart values reference
/// '<ns>/<name>' with key '<key>': <reason>`.
fn reference_error(r: &ValuesRef, namespace: &str, reason: &str) -> String {
    let optional = if r.optional { " optional" } else { "" };
    format!(
        "could not resolve{optional} {} chart values reference '{namespace}/{}' with key '{}': {reason}",
        r.kind, r.name, r.key
    )
}

/// The values of a release: `refs` resolved against `fetched`, then `inline` on top.
pub fn compose(
    namespace: &str,
    refs: &[ValuesRef],
    fetched: &Fetched,
    inline: Option<&Value>,
) -> Result<Map<String, Value>, String> {
    let mut result = Map::new();
    for r in refs {
        if r.kind != "ConfigMap" && r.kind != "Secret" {
            return Err(reference_error(r, namespace, "unsupported values reference kind"));
        }
        let Some(Some(data)) = fetched.get(&(r.kind.clone(), r.name.clone())) else {
            if r.optional {
                continue;
            }
            return Err(reference_error(r, namespace, "resource not found"));
        };
        let Some(bytes) = data.get(&r.key) else {
            if r.optional {
                continue;
            }
            return Err(reference_error(r, namespace, "key not found"));
        };
        let text = String::from_utf8_lossy(bytes);
        match r.target_path.as_deref().filter(|p| !p.is_empty()) {
            Some(path) => set_path(&mut result, path, &text).map_err(|e| reference_error(r, namespace, &e))?,
            None => {
                let parsed = glidepath_helm::yaml::from_yaml_map(&text)
                    .map_err(|e| reference_error(r, namespace, &format!("failed to read values data: {e}")))?;
                result = glidepath_helm::values::merge_maps(result, parsed);
            }
        }
    }
    if let Some(Value::Object(inline)) = inline {
        result = glidepath_helm::values::merge_maps(result, inline.clone());
    }
    Ok(result)
}

/// `targetPath`: a quoted value is set as a string (`--set-string`), anything else with `--set`'s
/// typing.
fn set_path(values: &mut Map<String, Value>, path: &str, value: &str) -> Result<(), String> {
    let quoted = |q: char| value.len() >= 2 && value.starts_with(q) && value.ends_with(q);
    if quoted('\'') || quoted('"') {
        let inner = value.trim_matches(|c| c == '\'' || c == '"');
        glidepath_helm::strvals::parse_string(&format!("{path}={inner}"), values).map_err(|e| e.to_string())
    } else {
        glidepath_helm::strvals::parse(&format!("{path}={value}"), values).map_err(|e| e.to_string())
    }
}

/// The digest helm-controller records as `lastAttemptedConfigDigest`: sha256 over the values as
/// canonical JSON (sorted keys).
pub fn config_digest(values: &Map<String, Value>) -> String {
    use sha2::Digest;
    let text = serde_json::to_string(&Value::Object(values.clone())).unwrap_or_default();
    format!("sha256:{:x}", sha2::Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(kind: &str, name: &str, key: &str, target: Option<&str>, optional: bool) -> ValuesRef {
        ValuesRef {
            kind: kind.into(),
            name: name.into(),
            key: key.into(),
            target_path: target.map(Into::into),
            optional,
        }
    }

    type Entry<'a> = (&'a str, &'a str, Option<&'a [(&'a str, &'a str)]>);

    fn fetched(entries: &[Entry<'_>]) -> Fetched {
        entries
            .iter()
            .map(|(k, n, d)| {
                let data = d.map(|d| d.iter().map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec())).collect());
                (((*k).to_owned(), (*n).to_owned()), data)
            })
            .collect()
    }

    #[test]
    fn references_merge_in_order_then_inline_values_win() {
        let f = fetched(&[
            ("ConfigMap", "base", Some(&[("values.yaml", "a: 1\nnested: {x: 1, z: 1}\n")])),
            ("Secret", "over", Some(&[("values.yaml", "nested: {z: 2}\nb: from-secret\n")])),
        ]);
        let refs =
            [r("ConfigMap", "base", "values.yaml", None, false), r("Secret", "over", "values.yaml", None, false)];
        let out = compose("apps", &refs, &f, Some(&json!({"b": "inline"}))).unwrap();
        assert_eq!(Value::Object(out), json!({"a": 1.0, "nested": {"x": 1.0, "z": 2.0}, "b": "inline"}));
    }

    #[test]
    fn target_path_types_like_set_and_quoted_values_stay_strings() {
        let f = fetched(&[("Secret", "s", Some(&[("replicas", "3"), ("tag", "'007'"), ("host", "a.example")]))]);
        let refs = [
            r("Secret", "s", "replicas", Some("replicaCount"), false),
            r("Secret", "s", "tag", Some("image.tag"), false),
            r("Secret", "s", "host", Some("ingress.hosts[0]"), false),
        ];
        let out = compose("apps", &refs, &f, None).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"replicaCount": 3, "image": {"tag": "007"}, "ingress": {"hosts": ["a.example"]}})
        );
    }

    #[test]
    fn missing_resources_and_keys_fail_unless_optional() {
        let f = fetched(&[("ConfigMap", "cm", Some(&[("other", "x: 1")])), ("Secret", "gone", None)]);
        let err = compose("apps", &[r("Secret", "gone", "values.yaml", None, false)], &f, None).unwrap_err();
        assert_eq!(
            err,
            "could not resolve Secret chart values reference 'apps/gone' with key 'values.yaml': resource not found"
        );
        let err = compose("apps", &[r("ConfigMap", "cm", "values.yaml", None, false)], &f, None).unwrap_err();
        assert!(err.ends_with("with key 'values.yaml': key not found"), "{err}");
        let optional =
            [r("Secret", "gone", "values.yaml", None, true), r("ConfigMap", "cm", "values.yaml", None, true)];
        assert_eq!(compose("apps", &optional, &f, None).unwrap(), Map::new());
        let err = compose("apps", &[r("Bucket", "b", "values.yaml", None, false)], &f, None).unwrap_err();
        assert!(err.ends_with("unsupported values reference kind"), "{err}");
    }

    #[test]
    fn unreadable_yaml_names_the_reference() {
        let f = fetched(&[("ConfigMap", "bad", Some(&[("values.yaml", "a: [1\n")]))]);
        let err = compose("apps", &[r("ConfigMap", "bad", "values.yaml", None, false)], &f, None).unwrap_err();
        assert!(err.starts_with("could not resolve ConfigMap chart values reference 'apps/bad'"), "{err}");
        assert!(err.contains("failed to read values data"), "{err}");
    }

    #[test]
    fn config_digest_ignores_key_order() {
        let a = json!({"a": 1, "b": {"c": 2}});
        let b = json!({"b": {"c": 2}, "a": 1});
        assert_eq!(config_digest(a.as_object().unwrap()), config_digest(b.as_object().unwrap()));
        assert!(config_digest(a.as_object().unwrap()).starts_with("sha256:"));
    }
}
