//! Final touches: `buildMetadata` labels/annotations and removal of kustomize-internal annotations.

use serde_json::Value;

use std::path::{Component, Path, PathBuf};

use crate::resource::{Origin, Resource};

thread_local! {
    /// Set while building with `buildMetadata: [transformerAnnotations]`.
    static TRACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Turns transformer tracking on for one build and restores the previous state afterwards.
pub(crate) struct TrackGuard(bool);

impl TrackGuard {
    pub(crate) fn start(on: bool) -> Self {
        TrackGuard(TRACK.with(|t| t.replace(on)))
    }
}

impl Drop for TrackGuard {
    fn drop(&mut self) {
        TRACK.with(|t| t.set(self.0));
    }
}

/// Records that the transformer `configured_by` (configured in `kpath`) ran over `resources`;
/// like kustomize, every resource with an origin gets the entry.
pub(crate) fn note_transformer(resources: &mut [Resource], kpath: &Path, configured_by: Value) {
    if !TRACK.with(std::cell::Cell::get) {
        return;
    }
    for r in resources.iter_mut().filter(|r| r.origin.is_some()) {
        r.transformations.push((kpath.to_path_buf(), configured_by.clone()));
    }
}

fn transformations_text(top: &Path, entries: &[(PathBuf, Value)]) -> String {
    let mut s = String::new();
    for (configured_in, by) in entries {
        s.push_str(&format!("- configuredIn: {}\n  configuredBy:\n", relative(top, configured_in)));
        for key in ["apiVersion", "kind", "name", "namespace"] {
            if let Some(v) = by.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()) {
                s.push_str(&format!("    {key}: {v}\n"));
            }
        }
    }
    s
}

/// The `app.kubernetes.io/managed-by` value `kubectl kustomize` (v1.32, kustomize v5.5.0) writes.
const MANAGED_BY: &str = "kustomize-(devel)";

/// Annotations kustomize uses internally and removes from its output.
const BUILD_ANNOTATIONS: &[&str] = &[
    "config.kubernetes.io/path",
    "config.kubernetes.io/index",
    "config.k8s.io/id",
    "kustomize.config.k8s.io/id",
    "kustomize.config.k8s.io/needs-hash",
    "kustomize.config.k8s.io/behavior",
];

/// `path` relative to `base` (both absolute), with `..` where needed.
fn relative(base: &Path, path: &Path) -> String {
    let b: Vec<Component<'_>> = base.components().collect();
    let p: Vec<Component<'_>> = path.components().collect();
    let common = b.iter().zip(&p).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in p.iter().skip(common) {
        out.push(c);
    }
    out.to_string_lossy().into_owned()
}

fn origin_text(top: &Path, origin: &Origin) -> String {
    match origin {
        Origin::File(f) => format!("path: {}\n", relative(top, f)),
        Origin::Generator { configured_in, kind, name } => {
            let mut s = format!(
                "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}\n",
                relative(top, configured_in)
            );
            if let Some(n) = name {
                s.push_str(&format!("  name: {n}\n"));
            }
            s
        }
    }
}

/// Applies the top-level `buildMetadata` options (`originAnnotations`, `managedByLabel`) and strips
/// internal annotations. `top` is the directory being built.
pub(crate) fn finish(top: &Path, resources: &mut [Resource], build_metadata: &[String]) {
    let origins = build_metadata.iter().any(|m| m == "originAnnotations");
    for r in resources.iter_mut() {
        if build_metadata.iter().any(|m| m == "managedByLabel") {
            // kubectl's embedded kustomize has no release version of its own (its provenance
            // only reads one from a `devel` build of the kustomize binary): it writes `(devel)`.
            crate::resource::set_at(
                &mut r.obj,
                &["metadata", "labels", "app.kubernetes.io/managed-by"],
                Value::String(MANAGED_BY.into()),
            );
        }
        if let Some(Value::Object(ann)) = r.obj.pointer_mut("/metadata/annotations") {
            ann.retain(|k, _| {
                !k.starts_with("internal.config.kubernetes.io/") && !BUILD_ANNOTATIONS.contains(&k.as_str())
            });
            if ann.is_empty()
                && let Some(Value::Object(meta)) = r.obj.get_mut("metadata")
            {
                meta.remove("annotations");
            }
        }
        if TRACK.with(std::cell::Cell::get) && !r.transformations.is_empty() {
            let text = transformations_text(top, &r.transformations);
            crate::resource::set_at(
                &mut r.obj,
                &["metadata", "annotations", "alpha.config.kubernetes.io/transformations"],
                Value::String(text),
            );
        }
        if origins && let Some(origin) = &r.origin {
            let text = origin_text(top, origin);
            crate::resource::set_at(
                &mut r.obj,
                &["metadata", "annotations", "config.kubernetes.io/origin"],
                Value::String(text),
            );
        }
    }
}
