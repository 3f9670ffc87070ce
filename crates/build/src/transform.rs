//! Builtin transformers: namespace, name prefix/suffix, labels, annotations, images, replicas.

use serde_json::{Map, Value};

use crate::fieldspec::{
    FieldSpec, add_map_entries, annotation_specs, common_label_specs, merge_defaults, template_label_specs, visit,
};
use crate::kustomization::{ImageSpec, LabelSpec, ReplicaSpec};
use crate::resource::{Resource, is_namespaced};

/// Sets the namespace of every namespaced resource (and the Namespace-dependent fields).
pub(crate) fn namespace(resources: &mut [Resource], ns: &str) {
    for r in resources.iter_mut() {
        // kustomize stores every object's previous id before the namespace filter.
        r.build_annotations = true;
        let kind = r.kind().to_string();
        if is_namespaced(r) {
            r.set_namespace(ns);
        }
        match kind.as_str() {
            "RoleBinding" | "ClusterRoleBinding" => {
                if let Some(Value::Array(subjects)) = r.obj.get_mut("subjects") {
                    for s in subjects {
                        if s.get("name").and_then(Value::as_str) == Some("default")
                            && let Value::Object(m) = s
                        {
                            m.insert("namespace".into(), Value::String(ns.into()));
                        }
                    }
                }
            }
            "Namespace" if crate::resource::str_at(&r.obj, &["apiVersion"]) == "v1" => {
                // kustomize's namespace field specs rename v1 Namespace objects too.
                r.set_name(ns);
            }
            "APIService" if r.group_version().0 == "apiregistration.k8s.io" => {
                let path: Vec<String> = ["spec", "service", "namespace"].map(String::from).into();
                visit(&mut r.obj, &path, true, &mut |v| *v = Value::String(ns.into()));
            }
            "CustomResourceDefinition" => {
                let path: Vec<String> =
                    ["spec", "conversion", "webhook", "clientConfig", "service", "namespace"].map(String::from).into();
                visit(&mut r.obj, &path, false, &mut |v| *v = Value::String(ns.into()));
            }
            _ => {}
        }
    }
}

fn skips_prefix(r: &Resource) -> bool {
    matches!(r.kind(), "CustomResourceDefinition" | "Namespace")
        || (r.kind() == "APIService" && r.group_version().0 == "apiregistration.k8s.io")
}

/// Applies `namePrefix` / `nameSuffix`.
pub(crate) fn prefix_suffix(resources: &mut [Resource], prefix: &str, suffix: &str) {
    for r in resources.iter_mut().filter(|r| !skips_prefix(r)) {
        let new = format!("{prefix}{}{suffix}", r.name());
        r.set_name(&new);
        r.build_annotations = true;
        if !prefix.is_empty() {
            r.prefixes.push(prefix.to_string());
        }
        if !suffix.is_empty() {
            r.suffixes.push(suffix.to_string());
        }
    }
}

/// `namePrefix` / `nameSuffix` with the `namePrefix` / `nameSuffix` field specs of
/// `configurations`: a user spec for `metadata/name` replaces the builtin one for every kind (so
/// only the kinds it names are renamed); other paths get only their own affix.
pub(crate) fn prefix_suffix_with(
    resources: &mut [Resource],
    (prefix, suffix): (&str, &str),
    prefix_specs: &[FieldSpec],
    suffix_specs: &[FieldSpec],
) {
    let names = |user: &[FieldSpec]| -> Vec<FieldSpec> {
        merge_defaults(vec![FieldSpec::new("", "metadata/name", false)], user)
            .into_iter()
            .filter(|fs| fs.path == "metadata/name")
            .collect()
    };
    let (prefix_names, suffix_names) = (names(prefix_specs), names(suffix_specs));
    for r in resources.iter_mut().filter(|r| !skips_prefix(r)) {
        let p = if prefix_names.iter().any(|fs| fs.matches(r)) { prefix } else { "" };
        let s = if suffix_names.iter().any(|fs| fs.matches(r)) { suffix } else { "" };
        if !p.is_empty() || !s.is_empty() {
            prefix_suffix(std::slice::from_mut(r), p, s);
        }
    }
    let custom = |specs: &[FieldSpec]| -> Vec<FieldSpec> {
        specs.iter().filter(|fs| fs.path != "metadata/name").cloned().collect()
    };
    let affix = |r: &mut Resource, specs: &[FieldSpec], p: &str, s: &str| {
        set_custom(std::slice::from_mut(r), specs, |old| match old {
            Value::String(v) => Value::String(format!("{p}{v}{s}")),
            other => other.clone(),
        });
    };
    let (custom_prefix, custom_suffix) = (custom(prefix_specs), custom(suffix_specs));
    for r in resources.iter_mut().filter(|r| !skips_prefix(r)) {
        if !prefix.is_empty() {
            affix(r, &custom_prefix, prefix, "");
        }
        if !suffix.is_empty() {
            affix(r, &custom_suffix, "", suffix);
        }
    }
}

/// Kustomization label or annotation pairs as JSON strings.
fn to_pairs(pairs: &std::collections::BTreeMap<String, String>) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()
}

/// Label values are always strings.
pub(crate) fn stringify(pairs: &std::collections::BTreeMap<String, Value>) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (k.clone(), Value::String(s))
        })
        .collect()
}

/// `commonLabels` (with selectors) and `labels` entries.
pub(crate) fn labels(
    resources: &mut [Resource],
    common: &std::collections::BTreeMap<String, String>,
    entries: &[LabelSpec],
    extra_specs: &[FieldSpec],
    labels_specs: &[FieldSpec],
) {
    if !common.is_empty() {
        let specs = merge_defaults(common_label_specs(), extra_specs);
        let pairs = to_pairs(common);
        for r in resources.iter_mut() {
            add_map_entries(r, &specs, &pairs);
        }
    }
    for entry in entries {
        let mut specs = if entry.include_selectors {
            merge_defaults(common_label_specs(), extra_specs)
        } else {
            let mut s = vec![FieldSpec::new("", "metadata/labels", true)];
            if entry.include_templates {
                s.extend(template_label_specs());
            }
            s
        };
        specs.extend(entry.fields.iter().filter_map(FieldSpec::from_value));
        specs.extend(labels_specs.iter().cloned());
        let pairs = to_pairs(&entry.pairs);
        for r in resources.iter_mut() {
            add_map_entries(r, &specs, &pairs);
        }
    }
}

/// `commonAnnotations`.
pub(crate) fn annotations(
    resources: &mut [Resource],
    common: &std::collections::BTreeMap<String, String>,
    extra_specs: &[FieldSpec],
) {
    if common.is_empty() {
        return;
    }
    let specs = merge_defaults(annotation_specs(), extra_specs);
    let pairs = to_pairs(common);
    for r in resources.iter_mut() {
        add_map_entries(r, &specs, &pairs);
    }
}

/// Splits `image` into (name, tag-with-colon, digest-with-at).
fn split_image(image: &str) -> (&str, &str, &str) {
    let (rest, digest) = match image.find('@') {
        Some(i) => (&image[..i], &image[i..]),
        None => (image, ""),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], &rest[slash + i..], digest),
        None => (rest, "", digest),
    }
}

fn update_image(image: &str, spec: &ImageSpec) -> Option<String> {
    let (name, tag, digest) = split_image(image);
    if name != spec.name {
        return None;
    }
    let name = spec.new_name.as_deref().unwrap_or(name);
    let new_tag = spec.new_tag.clone();
    let (mut tag, mut digest) = (tag.to_string(), digest.to_string());
    if let Some(t) = new_tag {
        tag = format!(":{t}");
        digest.clear();
    }
    if let Some(d) = spec.digest.as_deref().filter(|d| !d.is_empty()) {
        digest = format!("@{d}");
        tag.clear();
    }
    Some(format!("{name}{tag}{digest}"))
}

fn walk_images(v: &mut Value, specs: &[ImageSpec], in_containers: bool) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if in_containers && k == "image" {
                    if let Value::String(s) = child {
                        for spec in specs {
                            if let Some(new) = update_image(s, spec) {
                                *s = new;
                                break;
                            }
                        }
                    }
                    continue;
                }
                let containers = k == "containers" || k == "initContainers";
                walk_images(child, specs, containers);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk_images(item, specs, in_containers);
            }
        }
        _ => {}
    }
}

/// `images`: rewrites `image` fields of every `containers`/`initContainers` list, plus custom specs.
pub(crate) fn images(resources: &mut [Resource], specs: &[ImageSpec], extra_specs: &[FieldSpec]) {
    if specs.is_empty() {
        return;
    }
    for r in resources.iter_mut() {
        walk_images(&mut r.obj, specs, false);
        let matching: Vec<&FieldSpec> = extra_specs.iter().filter(|s| s.matches(r)).collect();
        for fs in matching {
            visit(&mut r.obj, &fs.segments(), false, &mut |v| {
                if let Value::String(s) = v {
                    for spec in specs {
                        if let Some(new) = update_image(s, spec) {
                            *s = new;
                            break;
                        }
                    }
                }
            });
        }
    }
}

/// `replicas`: sets `spec/replicas` on workloads whose current or original name matches, plus
/// any custom `replicas` field specs.
pub(crate) fn replicas(resources: &mut [Resource], specs: &[ReplicaSpec], extra: &[FieldSpec]) {
    const KINDS: &[&str] = &["Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"];
    for spec in specs {
        for r in resources.iter_mut() {
            let named = r.name() == spec.name || r.history.iter().any(|(_, n)| *n == spec.name);
            if !named {
                continue;
            }
            if KINDS.contains(&r.kind()) {
                crate::resource::set_at(&mut r.obj, &["spec", "replicas"], Value::from(spec.count));
            }
            let matching: Vec<FieldSpec> = extra.iter().filter(|s| s.matches(r)).cloned().collect();
            set_custom(std::slice::from_mut(r), &matching, |_| Value::from(spec.count));
        }
    }
}

/// Sets every field selected by `specs` to `f(old value)` (creating it where the spec says so).
pub(crate) fn set_custom(resources: &mut [Resource], specs: &[FieldSpec], f: impl Fn(&Value) -> Value) {
    for r in resources.iter_mut() {
        let matching: Vec<&FieldSpec> = specs.iter().filter(|s| s.matches(r)).collect();
        for spec in matching {
            visit(&mut r.obj, &spec.segments(), spec.create, &mut |v| *v = f(v));
        }
    }
}
