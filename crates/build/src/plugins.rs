//! `configurations` (custom field specs) and the `generators` / `transformers` fields.
//!
//! Only kustomize's builtin plugin configs (`apiVersion: builtin`) are honoured; exec plugins and
//! KRM functions are rejected, as Flux builds with plugins disabled.

use std::path::Path;

use serde_json::Value;

use crate::BuildError;
use crate::build::{Acc, Config, read_file, within_root};
use crate::fieldspec::FieldSpec;
use crate::kustomization::Kustomization;
use crate::namereference::NameRef;
use crate::yaml::parse_yaml_stream;

fn specs(v: Option<&Value>) -> Vec<FieldSpec> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(FieldSpec::from_value).collect()).unwrap_or_default()
}

/// Name references declared by `crds` files (OpenAPI definitions with `x-kubernetes-object-ref-kind`).
pub(crate) fn load_crds(dir: &Path, kpath: &Path, k: &Kustomization, config: &mut Config) -> Result<(), BuildError> {
    for entry in &k.crds {
        let file = within_root(dir, kpath, entry)?;
        let text = String::from_utf8_lossy(&read_file(&file)?).into_owned();
        let defs: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) => parse_yaml_stream(&text, &file)?.into_iter().next().unwrap_or_default(),
        };
        let Value::Object(defs) = &defs else { continue };
        for (type_name, def) in defs {
            let schema = def.get("Schema").unwrap_or(def);
            let props = schema.get("properties");
            if props.and_then(|p| p.get("kind")).is_none() || props.and_then(|p| p.get("apiVersion")).is_none() {
                continue;
            }
            let kind = type_name.rsplit('.').next().unwrap_or_default().to_string();
            let mut found = Vec::new();
            crd_walk(defs, schema, &mut Vec::new(), &mut found, 0);
            for (target, path) in found {
                config.name_refs.push(NameRef { target, referrer: kind.clone(), path: format!("{path}/name") });
            }
        }
    }
    Ok(())
}

fn crd_walk(
    defs: &serde_json::Map<String, Value>,
    schema: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(String, String)>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    let Some(Value::Object(props)) = schema.get("properties") else { return };
    for (name, prop) in props {
        path.push(name.clone());
        if let Some(kind) = prop.get("x-kubernetes-object-ref-kind").and_then(Value::as_str) {
            out.push((kind.to_string(), path.join("/")));
        } else if let Some(r) = prop.get("$ref").and_then(Value::as_str)
            && let Some(def) = defs.get(r)
        {
            crd_walk(defs, def.get("Schema").unwrap_or(def), path, out, depth + 1);
        } else {
            crd_walk(defs, prop, path, out, depth + 1);
        }
        path.pop();
    }
}

/// Merges `configurations` files into `config`.
pub(crate) fn load_configurations(
    dir: &Path,
    kpath: &Path,
    k: &Kustomization,
    config: &mut Config,
) -> Result<(), BuildError> {
    for entry in &k.configurations {
        let file = within_root(dir, kpath, entry)?;
        let text = String::from_utf8_lossy(&read_file(&file)?).into_owned();
        for doc in parse_yaml_stream(&text, &file)? {
            check_conflicts(&doc, &file)?;
            config.label_specs.extend(specs(doc.get("commonLabels")));
            config.labels_specs.extend(specs(doc.get("labels")));
            config.annotation_specs.extend(specs(doc.get("commonAnnotations")));
            config.image_specs.extend(specs(doc.get("images")));
            config.var_specs.extend(specs(doc.get("varReference")));
            config.prefix_specs.extend(specs(doc.get("namePrefix")));
            config.suffix_specs.extend(specs(doc.get("nameSuffix")));
            // metadata/namespace, Namespace names and binding subjects are handled natively.
            config.namespace_specs.extend(
                specs(doc.get("namespace"))
                    .into_iter()
                    .filter(|fs| !fs.path.starts_with("metadata/") && !fs.path.starts_with("subjects")),
            );
            config.replica_specs.extend(specs(doc.get("replicas")));
            for nr in doc.get("nameReference").and_then(Value::as_array).into_iter().flatten() {
                let target = nr.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
                for fs in specs(nr.get("fieldSpecs")) {
                    config.name_refs.push(NameRef { target: target.clone(), referrer: fs.kind.clone(), path: fs.path });
                }
            }
        }
    }
    Ok(())
}

/// kustomize refuses a `configurations` spec that stands for a builtin one with another `create`.
fn check_conflicts(doc: &Value, file: &Path) -> Result<(), BuildError> {
    use crate::fieldspec::{annotation_specs, common_label_specs, conflicting};
    let name = || vec![FieldSpec::new("", "metadata/name", false)];
    let categories: [(&str, Vec<FieldSpec>); 4] = [
        ("commonLabels", common_label_specs()),
        ("commonAnnotations", annotation_specs()),
        ("namePrefix", name()),
        ("nameSuffix", name()),
    ];
    for (field, defaults) in categories {
        if let Some(fs) = conflicting(&defaults, &specs(doc.get(field))) {
            return Err(BuildError::InvalidKustomization {
                path: file.to_path_buf(),
                reason: format!(
                    "{field}: conflicting fieldspecs: {} {:?} has create: {}, the builtin spec for that path the opposite",
                    if fs.kind.is_empty() { "any kind" } else { &fs.kind },
                    fs.path,
                    fs.create
                ),
            });
        }
    }
    Ok(())
}

type Configs = Vec<(Value, std::path::PathBuf, std::path::PathBuf)>;

/// Loads plugin configs: (config, directory relative paths resolve against, file it came from).
fn load_configs(dir: &Path, kpath: &Path, field: &str, entries: &[String]) -> Result<Configs, BuildError> {
    let mut out = Vec::new();
    for entry in entries {
        let docs = if entry.contains('\n') {
            parse_yaml_stream(entry, kpath)?.into_iter().map(|d| (d, kpath.to_path_buf())).collect::<Vec<_>>()
        } else {
            let path = dir.join(entry);
            if path.is_dir() {
                // A kustomization whose output objects are the plugin configs.
                let sub_dir =
                    path.canonicalize().map_err(|source| BuildError::ReadFile { path: path.clone(), source })?;
                let (sub, sub_path) = crate::kustomization::load(&sub_dir)?;
                let mut sub_acc = Acc::default();
                crate::build::accumulate(&sub_dir, &sub, &sub_path, &mut sub_acc)?;
                for r in sub_acc.resources {
                    check_builtin(&r.obj, &sub_path, field)?;
                    let from = match &r.origin {
                        Some(crate::resource::Origin::File(f)) => f.clone(),
                        _ => sub_path.clone(),
                    };
                    out.push((r.obj, sub_dir.clone(), from));
                }
                continue;
            }
            let file = within_root(dir, kpath, entry)?;
            let text = String::from_utf8_lossy(&read_file(&file)?).into_owned();
            parse_yaml_stream(&text, &file)?.into_iter().map(|d| (d, file.clone())).collect()
        };
        for (doc, file) in docs {
            check_builtin(&doc, &file, field)?;
            out.push((doc, dir.to_path_buf(), file));
        }
    }
    Ok(out)
}

fn check_builtin(doc: &Value, file: &Path, field: &str) -> Result<(), BuildError> {
    let api = doc.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let is_fn = doc.pointer("/metadata/annotations/config.kubernetes.io~1function").is_some();
    if api != "builtin" || is_fn {
        return Err(BuildError::UnsupportedField {
            path: file.to_path_buf(),
            field: field.into(),
            reason: "exec plugins and KRM functions are disabled; only builtin plugin configs are supported".into(),
        });
    }
    Ok(())
}

/// kustomize's builtin `IAMPolicyGenerator` (GKE workload identity ServiceAccount).
fn iam_policy(doc: &Value, file: &Path) -> Result<crate::resource::Resource, BuildError> {
    let s = |p: &str| doc.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    if s("/cloud") != "gke" {
        return Err(BuildError::UnsupportedField {
            path: file.to_path_buf(),
            field: "generators".into(),
            reason: format!("IAMPolicyGenerator: cloud {:?} is not supported (only gke)", s("/cloud")),
        });
    }
    let mut meta = serde_json::Map::new();
    meta.insert("name".into(), Value::String(s("/kubernetesService/name")));
    let ns = s("/kubernetesService/namespace");
    if !ns.is_empty() {
        meta.insert("namespace".into(), Value::String(ns));
    }
    let account = format!("{}@{}.iam.gserviceaccount.com", s("/serviceAccount/name"), s("/serviceAccount/projectId"));
    let mut ann = serde_json::Map::new();
    ann.insert("iam.gke.io/gcp-service-account".into(), Value::String(account));
    meta.insert("annotations".into(), Value::Object(ann));
    let mut obj = serde_json::Map::new();
    obj.insert("apiVersion".into(), Value::String("v1".into()));
    obj.insert("kind".into(), Value::String("ServiceAccount".into()));
    obj.insert("metadata".into(), Value::Object(meta));
    Ok(crate::resource::Resource::new(Value::Object(obj)))
}

/// Runs builtin generator configs.
pub(crate) fn run_generators(dir: &Path, kpath: &Path, entries: &[String], acc: &mut Acc) -> Result<(), BuildError> {
    for (doc, _, origin_file) in load_configs(dir, kpath, "generators", entries)? {
        // Generator file arguments resolve against the kustomization using the generator.
        let file = kpath.to_path_buf();
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
        let secret = match kind {
            "IAMPolicyGenerator" => {
                let r = iam_policy(&doc, &file)?;
                crate::build::add_generated(kpath, acc, r)?;
                continue;
            }
            "ConfigMapGenerator" => false,
            "SecretGenerator" => true,
            other => {
                return Err(BuildError::UnsupportedField {
                    path: file,
                    field: "generators".into(),
                    reason: format!("builtin generator {other} is not supported"),
                });
            }
        };
        let mut spec: crate::kustomization::GeneratorSpec = serde_json::from_value(doc.clone())
            .map_err(|e| BuildError::InvalidKustomization { path: file.clone(), reason: e.to_string() })?;
        let config_name = crate::resource::name(&doc).to_string();
        if spec.name.is_empty() {
            spec.name = config_name.clone();
        }
        if spec.namespace.is_none() {
            spec.namespace = doc.pointer("/metadata/namespace").and_then(Value::as_str).map(String::from);
        }
        let mut r = crate::generators::generate(dir, kpath, &spec, None, secret)?;
        r.origin = Some(crate::resource::Origin::Generator {
            configured_in: origin_file.clone(),
            kind: kind.to_string(),
            name: Some(config_name).filter(|n| !n.is_empty()),
        });
        crate::build::add_generated(kpath, acc, r)?;
    }
    Ok(())
}

/// Runs builtin transformer configs.
pub(crate) fn run_transformers(dir: &Path, kpath: &Path, entries: &[String], acc: &mut Acc) -> Result<(), BuildError> {
    for (doc, base, origin_file) in load_configs(dir, kpath, "transformers", entries)? {
        let file = kpath.to_path_buf();
        let dir = base.as_path();
        let configured_by = serde_json::json!({
            "apiVersion": doc.get("apiVersion").cloned().unwrap_or_default(),
            "kind": doc.get("kind").cloned().unwrap_or_default(),
            "name": doc.pointer("/metadata/name").cloned().unwrap_or_default(),
            "namespace": doc.pointer("/metadata/namespace").cloned().unwrap_or_default(),
        });
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
        let res = &mut acc.resources;
        let fs = specs(doc.get("fieldSpecs"));
        let pairs = |key: &str| -> std::collections::BTreeMap<String, Value> {
            doc.get(key).and_then(Value::as_object).map(|m| m.clone().into_iter().collect()).unwrap_or_default()
        };
        match kind {
            "PrefixSuffixTransformer" | "PrefixTransformer" | "SuffixTransformer" => {
                let p = doc.get("prefix").and_then(Value::as_str).unwrap_or_default();
                let s = doc.get("suffix").and_then(Value::as_str).unwrap_or_default();
                if fs.is_empty() {
                    crate::transform::prefix_suffix(res, p, s);
                } else {
                    let mut selected: Vec<crate::resource::Resource> = Vec::new();
                    let mut idx = Vec::new();
                    for (i, r) in res.iter().enumerate() {
                        if fs.iter().any(|f| f.path == "metadata/name" && f.matches(r)) {
                            idx.push(i);
                            selected.push(r.clone());
                        }
                    }
                    crate::transform::prefix_suffix(&mut selected, p, s);
                    for (i, r) in idx.into_iter().zip(selected) {
                        res[i] = r;
                    }
                }
            }
            "LabelTransformer" => {
                let labels = crate::transform::stringify(&pairs("labels"));
                for r in res.iter_mut() {
                    crate::fieldspec::add_map_entries(r, &fs, &labels);
                }
            }
            "AnnotationsTransformer" => {
                let ann = crate::transform::stringify(&pairs("annotations"));
                for r in res.iter_mut() {
                    crate::fieldspec::add_map_entries(r, &fs, &ann);
                }
            }
            "NamespaceTransformer" => {
                let ns = crate::resource::namespace(&doc).to_string();
                crate::transform::namespace(res, &ns);
            }
            "ImageTagTransformer" => {
                let spec: crate::kustomization::ImageSpec =
                    serde_json::from_value(doc.get("imageTag").cloned().unwrap_or_default())
                        .map_err(|e| BuildError::InvalidKustomization { path: file.clone(), reason: e.to_string() })?;
                crate::transform::images(res, &[spec], &fs);
            }
            "ReplicaCountTransformer" => {
                let spec: crate::kustomization::ReplicaSpec =
                    serde_json::from_value(doc.get("replica").cloned().unwrap_or_default())
                        .map_err(|e| BuildError::InvalidKustomization { path: file.clone(), reason: e.to_string() })?;
                crate::transform::replicas(res, &[spec], &fs);
            }
            "PatchTransformer" | "PatchJson6902Transformer" => {
                let mut spec: crate::kustomization::PatchSpec = serde_json::from_value(doc.clone())
                    .map_err(|e| BuildError::InvalidKustomization { path: file.clone(), reason: e.to_string() })?;
                if let Some(op) = doc.get("jsonOp").and_then(Value::as_str) {
                    spec.patch = Some(op.to_string());
                }
                crate::patches::apply_patches(dir, kpath, res, &[spec], kind == "PatchJson6902Transformer")?;
            }
            "PatchStrategicMergeTransformer" => {
                let paths: Vec<String> = doc
                    .get("paths")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                    .unwrap_or_default();
                crate::patches::apply_legacy_smp(dir, kpath, res, &paths)?;
                if let Some(p) = doc.get("patches").and_then(Value::as_str) {
                    crate::patches::apply_legacy_smp(dir, kpath, res, &[p.to_string()])?;
                }
            }
            "ReplacementTransformer" => {
                let reps: Vec<Value> = doc.get("replacements").and_then(Value::as_array).cloned().unwrap_or_default();
                crate::replacements::apply(dir, kpath, res, &reps)?;
            }
            other => {
                return Err(BuildError::UnsupportedField {
                    path: file,
                    field: "transformers".into(),
                    reason: format!("builtin transformer {other} is not supported"),
                });
            }
        }
        crate::metadata::note_transformer(&mut acc.resources, &origin_file, configured_by);
    }
    Ok(())
}
