//! From an artifact tree and a Kustomization spec to the objects to apply: Flux's path rules, the
//! generated/wrapped kustomization (targetNamespace, namePrefix/Suffix, patches, images,
//! components), post-build substitution, commonMetadata and owner labels.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use glidepath_api::flux::kustomization::KustomizationSpec;
use glidepath_apply::Owner;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::substitute::substitute;

/// Per-object opt-out of substitution.
pub const SUBSTITUTE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/substitute";
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Everything a build needs besides the tree.
#[derive(Debug)]
pub struct BuildInput<'a> {
    /// The unpacked artifact.
    pub root: &'a Path,
    pub spec: &'a KustomizationSpec,
    /// Substitution variables; `None` when `postBuild` does not ask for substitution.
    pub vars: Option<&'a BTreeMap<String, String>>,
    pub strict: bool,
    pub owner: &'a Owner,
}

/// `spec.path` inside `root`, refusing to leave it (Flux's `SecureJoin`).
pub fn resolve_path(root: &Path, path: &str) -> Result<PathBuf, String> {
    let mut out = root.to_path_buf();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir => {
                if out == root {
                    return Err(format!("path {path:?} leaves the artifact root"));
                }
                out.pop();
            }
            Component::Prefix(_) => return Err(format!("path {path:?} is not a relative path")),
        }
    }
    if !out.is_dir() {
        return Err(format!("kustomization path not found: {path:?} is not a directory in the artifact"));
    }
    Ok(out)
}

fn has_kustomization(dir: &Path) -> bool {
    KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file())
}

/// Resources of a directory without kustomization.yaml: every YAML file below it, recursively;
/// a subdirectory with its own kustomization.yaml is included as a whole (Flux's generator).
fn scan(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if has_kustomization(&p) {
                out.push(p);
            } else {
                scan(&p, out)?;
            }
        } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
    Ok(())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// Why a build failed. Flux reports a `spec.path` the artifact lacks as `ArtifactFailed`, and
/// anything else as `BuildFailed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildFailure {
    /// `spec.path` is not a directory of the artifact.
    Path(String),
    /// The manifests under it do not build.
    Build(String),
}

impl BuildFailure {
    pub fn reason(&self) -> &'static str {
        match self {
            BuildFailure::Path(_) => super::conditions::ARTIFACT_FAILED,
            BuildFailure::Build(_) => super::conditions::BUILD_FAILED,
        }
    }

    pub fn into_message(self) -> String {
        match self {
            BuildFailure::Path(m) | BuildFailure::Build(m) => m,
        }
    }
}

/// Build the objects for a Kustomization. Errors name the file or object at fault, with paths
/// relative to the artifact root.
pub fn build(input: &BuildInput<'_>) -> Result<Vec<Value>, BuildFailure> {
    let dir = resolve_path(input.root, input.spec.path.as_deref().unwrap_or("")).map_err(BuildFailure::Path)?;
    build_dir(input, &dir).map_err(BuildFailure::Build)
}

fn build_dir(input: &BuildInput<'_>, dir: &Path) -> Result<Vec<Value>, String> {
    let spec = input.spec;
    let dir = dir.to_path_buf();
    let overlay = spec.target_namespace.is_some()
        || spec.name_prefix.is_some()
        || spec.name_suffix.is_some()
        || spec.patches.as_ref().is_some_and(|p| !p.is_empty())
        || spec.images.as_ref().is_some_and(|i| !i.is_empty())
        || spec.components.as_ref().is_some_and(|c| !c.is_empty());
    let options = glidepath_build::BuildOptions { load_restrictions_none: true };
    let relative = |msg: String| msg.replace(&format!("{}/", input.root.display()), "");
    let objects = if has_kustomization(&dir) && !overlay {
        glidepath_build::build_dir_with(&dir, options).map_err(|e| relative(error_chain(&e)))?
    } else {
        let mut resources = Vec::new();
        if has_kustomization(&dir) {
            resources.push(dir.clone());
        } else {
            scan(&dir, &mut resources)?;
        }
        let kustomization = wrapper_kustomization(spec, &dir, &resources);
        glidepath_build::build_generated(&dir, &kustomization, options).map_err(|e| relative(error_chain(&e)))?
    };
    objects.into_iter().map(|o| post_build(o, input)).collect()
}

/// The kustomization Flux would generate or patch, as a wrapper around the path: JSON is YAML.
fn wrapper_kustomization(spec: &KustomizationSpec, dir: &Path, resources: &[PathBuf]) -> Value {
    let mut k = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": resources.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    });
    if let Some(ns) = &spec.target_namespace {
        k["namespace"] = json!(ns);
    }
    if let Some(p) = &spec.name_prefix {
        k["namePrefix"] = json!(p);
    }
    if let Some(s) = &spec.name_suffix {
        k["nameSuffix"] = json!(s);
    }
    if let Some(patches) = &spec.patches {
        k["patches"] = serde_json::to_value(patches).unwrap_or_default();
    }
    if let Some(images) = &spec.images {
        k["images"] = serde_json::to_value(images).unwrap_or_default();
    }
    if let Some(components) = &spec.components {
        k["components"] = json!(components.iter().map(|c| dir.join(c).display().to_string()).collect::<Vec<_>>());
    }
    k
}

fn post_build(mut obj: Value, input: &BuildInput<'_>) -> Result<Value, String> {
    let disabled = glidepath_apply::object::annotation(&obj, SUBSTITUTE_ANNOTATION)
        .is_some_and(|v| v.eq_ignore_ascii_case("disabled"));
    if let Some(vars) = input.vars
        && !disabled
    {
        let name = glidepath_apply::ObjMeta::of(&obj).map(|m| m.to_string()).unwrap_or_default();
        let text = glidepath_build::to_yaml_stream(std::slice::from_ref(&obj)).map_err(|e| format!("{name}: {e}"))?;
        let out = substitute(&text, vars, input.strict).map_err(|e| format!("{name}: post-build substitution: {e}"))?;
        let mut parsed = glidepath_build::parse_yaml_stream(&out, Path::new(&name))
            .map_err(|e| format!("{name}: post-build substitution produced invalid YAML: {}", error_chain(&e)))?;
        if parsed.len() != 1 {
            return Err(format!("{name}: post-build substitution produced {} objects", parsed.len()));
        }
        obj = parsed.remove(0);
    }
    if let Some(common) = &input.spec.common_metadata {
        for (field, values) in [("labels", &common.labels), ("annotations", &common.annotations)] {
            if let Some(values) = values {
                let map = glidepath_apply::object::metadata_map(&mut obj, field);
                for (k, v) in values {
                    map.insert(k.clone(), json!(v));
                }
            }
        }
    }
    input.owner.label(&mut obj);
    Ok(obj)
}

/// Digest of the built objects: what decides whether a new revision changes this Kustomization.
pub fn digest(objects: &[Value]) -> String {
    let mut h = Sha256::new();
    for o in objects {
        h.update(o.to_string().as_bytes());
        h.update(b"\n");
    }
    let bytes = h.finalize();
    let mut s = String::from("sha256:");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
#[path = "manifests_tests.rs"]
mod tests;
