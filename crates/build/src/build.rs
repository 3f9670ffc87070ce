//! Accumulating a kustomization target: resources, generators, components, transformers.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::BuildError;
use crate::fieldspec::FieldSpec;
use crate::generators::{content_hash, generate, merge_into};
use crate::kustomization::{self, Kustomization, is_remote};
use crate::namereference::{self, NameRef};
use crate::resource::{Behavior, Resource};
use crate::{order, patches, plugins, replacements, transform};

/// Transformer configuration merged up from every kustomization (builtin plus `configurations`).
#[derive(Debug, Default)]
pub(crate) struct Config {
    pub name_refs: Vec<NameRef>,
    pub label_specs: Vec<FieldSpec>,
    /// `labels:` field specs of `configurations` files, used by every `labels` entry.
    pub labels_specs: Vec<FieldSpec>,
    pub annotation_specs: Vec<FieldSpec>,
    pub image_specs: Vec<FieldSpec>,
    pub var_specs: Vec<FieldSpec>,
    pub prefix_specs: Vec<FieldSpec>,
    pub suffix_specs: Vec<FieldSpec>,
    pub namespace_specs: Vec<FieldSpec>,
    pub replica_specs: Vec<FieldSpec>,
}

/// Resources plus what must be resolved once at the top.
#[derive(Debug, Default)]
pub(crate) struct Acc {
    pub resources: Vec<Resource>,
    /// Declared vars with the uid of the resource each is bound to.
    pub vars: Vec<(Value, u64)>,
    pub config: Config,
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, BuildError> {
    std::fs::read(path).map_err(|source| BuildError::ReadFile { path: path.to_path_buf(), source })
}

thread_local! {
    /// Set for the duration of a build with `load_restrictions_none`.
    static UNRESTRICTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Restores the load restriction when a build ends (even by error).
struct RestrictionGuard(bool);

impl Drop for RestrictionGuard {
    fn drop(&mut self) {
        UNRESTRICTED.with(|u| u.set(self.0));
    }
}

/// Resolves `rel` against `dir` and enforces kustomize's default load restriction (root only),
/// unless the build runs with `load_restrictions_none`.
pub(crate) fn within_root(dir: &Path, kpath: &Path, rel: &str) -> Result<PathBuf, BuildError> {
    if is_remote(rel) {
        return Err(BuildError::UnsupportedField {
            path: kpath.to_path_buf(),
            field: rel.into(),
            reason: "remote files are not supported".into(),
        });
    }
    let joined = dir.join(rel);
    let canon = joined.canonicalize().map_err(|source| BuildError::ReadFile { path: joined.clone(), source })?;
    let root = dir.canonicalize().map_err(|source| BuildError::ReadFile { path: dir.to_path_buf(), source })?;
    if !canon.starts_with(&root) && !UNRESTRICTED.with(std::cell::Cell::get) {
        return Err(BuildError::InvalidKustomization {
            path: kpath.to_path_buf(),
            reason: format!("security; file {} is not in or below {}", joined.display(), root.display()),
        });
    }
    Ok(canon)
}

/// Builds the kustomization in `dir`; with `generated`, that document stands in for the
/// kustomization file (which need not exist), as if it were `dir/kustomization.yaml`.
pub(crate) fn build(
    dir: &Path,
    generated: Option<&Value>,
    options: crate::BuildOptions,
) -> Result<Vec<Value>, BuildError> {
    let _schema = crate::openapi::SchemaGuard::start();
    let _guard = RestrictionGuard(UNRESTRICTED.with(|u| u.replace(options.load_restrictions_none)));
    let dir = dir.canonicalize().map_err(|source| BuildError::ReadFile { path: dir.to_path_buf(), source })?;
    let (k, kpath) = match generated {
        Some(doc) => kustomization::from_value(doc.clone(), dir.join("kustomization.yaml"))?,
        None => kustomization::load(&dir)?,
    };
    let _tracking = crate::metadata::TrackGuard::start(k.build_metadata.iter().any(|m| m == "transformerAnnotations"));
    let mut acc = Acc::default();
    acc.config.name_refs = namereference::builtin();
    if generated.is_some() {
        // A generated kustomization is not a directory of its own: its resources may be `dir`
        // itself (the wrapped kustomization), which is no cycle.
        accumulate_inner(&dir, &k, &kpath, &mut acc)?;
    } else {
        accumulate(&dir, &k, &kpath, &mut acc)?;
    }
    for r in acc.resources.iter_mut().filter(|r| r.needs_hash) {
        let hashed = format!("{}-{}", r.name(), content_hash(&r.obj));
        r.set_name(&hashed);
    }
    namereference::fix(&mut acc.resources, &acc.config.name_refs).map_err(|reason| BuildError::Transform {
        path: kpath.clone(),
        action: "fix name references".into(),
        reason,
    })?;
    replacements::resolve_vars(&kpath, &mut acc.resources, &acc.vars, &acc.config.var_specs)?;
    acc.resources.retain(|r| {
        r.obj.pointer("/metadata/annotations/config.kubernetes.io~1local-config").and_then(Value::as_str)
            != Some("true")
    });
    order::validate(&kpath, k.sort_options.as_ref())?;
    order::sort(&mut acc.resources, k.sort_options.as_ref());
    crate::metadata::finish(&dir, &mut acc.resources, &k.build_metadata);
    Ok(acc.resources.into_iter().map(|r| r.obj).collect())
}

/// The id used to detect conflicts (`default` and no namespace are the same).
fn conflict_id(r: &Resource) -> String {
    r.id().replace("|default|", "|~X|")
}

/// The conflict ids of `resources`.
fn id_set(resources: &[Resource]) -> HashSet<String> {
    resources.iter().map(conflict_id).collect()
}

/// Appends `new` to `acc`, failing on an id conflict; `seen` holds the conflict ids of `acc`.
fn append_indexed(
    kpath: &Path,
    acc: &mut Vec<Resource>,
    seen: &mut HashSet<String>,
    new: Vec<Resource>,
) -> Result<(), BuildError> {
    for r in new {
        if !seen.insert(conflict_id(&r)) {
            return Err(BuildError::ConflictingId { path: kpath.to_path_buf(), id: r.id() });
        }
        acc.push(r);
    }
    Ok(())
}

/// Appends `new` to `acc`, failing on an id conflict.
fn append(kpath: &Path, acc: &mut Vec<Resource>, new: Vec<Resource>) -> Result<(), BuildError> {
    let mut seen = id_set(acc);
    append_indexed(kpath, acc, &mut seen, new)
}

/// Reads the objects of one resource file (expanding `List` kinds).
fn load_resource_file(path: &Path) -> Result<Vec<Resource>, BuildError> {
    let text = String::from_utf8_lossy(&read_file(path)?).into_owned();
    let mut out = Vec::new();
    for doc in crate::yaml::parse_objects(&text, path)? {
        let items = match doc.get("kind").and_then(Value::as_str) {
            Some(k) if k.ends_with("List") && doc.get("items").is_some() => {
                doc.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
            }
            _ => vec![doc],
        };
        for item in items {
            let invalid =
                |reason: &str| BuildError::InvalidResource { path: path.to_path_buf(), reason: reason.into() };
            if !item.is_object() {
                return Err(invalid("a resource must be a YAML mapping"));
            }
            let kind = item.get("kind").and_then(Value::as_str).unwrap_or_default();
            if kind.is_empty() {
                return Err(invalid("missing kind"));
            }
            // Like kustomize, objects of kind Kustomization (Flux's, or even kustomize's own) are
            // ordinary resources; a kustomization file without metadata.name fails below.
            if crate::resource::name(&item).is_empty() {
                return Err(invalid(&format!("{kind} is missing metadata.name")));
            }
            let mut r = Resource::new(item);
            r.origin = Some(crate::resource::Origin::File(path.to_path_buf()));
            r.needs_hash =
                r.obj.pointer("/metadata/annotations/kustomize.config.k8s.io~1needs-hash").and_then(Value::as_str)
                    == Some("true");
            out.push(r);
        }
    }
    Ok(out)
}

fn accumulate_entry(
    dir: &Path,
    kpath: &Path,
    entry: &str,
    acc: &mut Acc,
    seen: &mut HashSet<String>,
) -> Result<(), BuildError> {
    if is_remote(entry) {
        return Err(BuildError::UnsupportedField {
            path: kpath.to_path_buf(),
            field: format!("resources: {entry}"),
            reason: "remote bases are not supported".into(),
        });
    }
    let path = dir.join(entry);
    if path.is_dir() {
        let sub_dir = path.canonicalize().map_err(|source| BuildError::ReadFile { path: path.clone(), source })?;
        let (sub, sub_path) = kustomization::load(&sub_dir)?;
        if sub.kind.as_deref() == Some("Component") {
            return Err(BuildError::InvalidKustomization {
                path: sub_path,
                reason: "a Component cannot be listed under resources; use components".into(),
            });
        }
        let mut sub_acc = Acc::default();
        accumulate(&sub_dir, &sub, &sub_path, &mut sub_acc)?;
        append_indexed(kpath, &mut acc.resources, seen, sub_acc.resources)?;
        acc.vars.extend(sub_acc.vars);
        merge_config(&mut acc.config, sub_acc.config);
        return Ok(());
    }
    let file = within_root(dir, kpath, entry)?;
    let loaded = load_resource_file(&file)?;
    append_indexed(kpath, &mut acc.resources, seen, loaded)
}

fn merge_config(into: &mut Config, from: Config) {
    for nr in from.name_refs {
        if !into.name_refs.iter().any(|x| x.target == nr.target && x.referrer == nr.referrer && x.path == nr.path) {
            into.name_refs.push(nr);
        }
    }
    for (dst, src) in [
        (&mut into.label_specs, from.label_specs),
        (&mut into.labels_specs, from.labels_specs),
        (&mut into.annotation_specs, from.annotation_specs),
        (&mut into.image_specs, from.image_specs),
        (&mut into.var_specs, from.var_specs),
        (&mut into.prefix_specs, from.prefix_specs),
        (&mut into.suffix_specs, from.suffix_specs),
        (&mut into.namespace_specs, from.namespace_specs),
        (&mut into.replica_specs, from.replica_specs),
    ] {
        for fs in src {
            if !dst.contains(&fs) {
                dst.push(fs);
            }
        }
    }
}

fn generators(dir: &Path, k: &Kustomization, kpath: &Path, acc: &mut Acc) -> Result<(), BuildError> {
    let specs = k.config_map_generator.iter().map(|s| (s, false)).chain(k.secret_generator.iter().map(|s| (s, true)));
    for (spec, secret) in specs {
        let mut r = generate(dir, kpath, spec, k.generator_options.as_ref(), secret)?;
        r.origin = Some(crate::resource::Origin::Generator {
            configured_in: kpath.to_path_buf(),
            kind: if secret { "SecretGenerator" } else { "ConfigMapGenerator" }.into(),
            name: None,
        });
        add_generated(kpath, acc, r)?;
    }
    Ok(())
}

/// Adds a generated resource, honouring its `behavior` against existing resources.
pub(crate) fn add_generated(kpath: &Path, acc: &mut Acc, r: Resource) -> Result<(), BuildError> {
    let behavior = r.behavior.unwrap_or(Behavior::Create);
    let kind = r.kind().to_string();
    let name = r.name().to_string();
    let ns = r.namespace().to_string();
    let existing = acc.resources.iter_mut().position(|e| {
        e.kind() == kind
            && e.history.iter().any(|(_, n)| *n == name)
            && (e.namespace() == ns || e.history.iter().any(|(n, _)| *n == ns))
    });
    match (behavior, existing) {
        // kustomize's message says what to do: a generator may only merge into or replace an
        // object that exists.
        (Behavior::Create, _) => append(kpath, &mut acc.resources, vec![r]).map_err(|e| match e {
            BuildError::ConflictingId { path, id } => {
                BuildError::ConflictingId { path, id: format!("{id} (exists; behavior must be merge or replace)") }
            }
            other => other,
        }),
        (_, Some(i)) => {
            if let Some(e) = acc.resources.get_mut(i) {
                merge_into(e, &r, behavior);
            }
            Ok(())
        }
        (_, None) => Err(BuildError::Transform {
            path: kpath.to_path_buf(),
            action: format!("{behavior:?} generator {name:?}"),
            reason: "no existing resource with this name to merge or replace".into(),
        }),
    }
}

/// Accumulates one kustomization (or component) into `acc`.
pub(crate) fn accumulate(dir: &Path, k: &Kustomization, kpath: &Path, acc: &mut Acc) -> Result<(), BuildError> {
    let cycle = IN_PROGRESS.with(|s| {
        let mut stack = s.borrow_mut();
        let cyclic = stack.iter().any(|d| d == dir);
        if !cyclic {
            stack.push(dir.to_path_buf());
        }
        cyclic
    });
    if cycle {
        return Err(BuildError::InvalidKustomization {
            path: kpath.to_path_buf(),
            reason: "cycle detected: this kustomization includes itself".into(),
        });
    }
    let result = accumulate_inner(dir, k, kpath, acc);
    IN_PROGRESS.with(|s| s.borrow_mut().pop());
    result
}

thread_local! {
    /// Kustomization directories being accumulated, to detect cycles.
    static IN_PROGRESS: std::cell::RefCell<Vec<PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn accumulate_inner(dir: &Path, k: &Kustomization, kpath: &Path, acc: &mut Acc) -> Result<(), BuildError> {
    crate::openapi::load(dir, kpath, k)?;
    let mut seen = id_set(&acc.resources);
    for entry in k.resources.iter().chain(k.bases.iter()) {
        accumulate_entry(dir, kpath, entry, acc, &mut seen)?;
    }
    plugins::load_configurations(dir, kpath, k, &mut acc.config)?;
    plugins::load_crds(dir, kpath, k, &mut acc.config)?;
    generators(dir, k, kpath, acc)?;
    plugins::run_generators(dir, kpath, &k.generators, acc)?;
    for entry in &k.components {
        let path = dir.join(entry);
        if !path.is_dir() {
            return Err(BuildError::InvalidKustomization {
                path: kpath.to_path_buf(),
                reason: format!("component {entry:?} must be a directory holding a kind: Component kustomization"),
            });
        }
        let cdir = path.canonicalize().map_err(|source| BuildError::ReadFile { path: path.clone(), source })?;
        let (comp, cpath) = kustomization::load(&cdir)?;
        if comp.kind.as_deref() != Some("Component") {
            return Err(BuildError::InvalidKustomization {
                path: cpath,
                reason: "expected kind: Component for an entry of components".into(),
            });
        }
        accumulate(&cdir, &comp, &cpath, acc)?;
    }
    run_field_transformers(dir, k, kpath, acc)?;
    plugins::run_transformers(dir, kpath, &k.transformers, acc)?;
    for var in &k.vars {
        let uid = replacements::bind_var(kpath, &acc.resources, var)?;
        acc.vars.push((var.clone(), uid));
    }
    Ok(())
}

/// The builtin transformers configured by kustomization fields, in kustomize's order.
fn run_field_transformers(dir: &Path, k: &Kustomization, kpath: &Path, acc: &mut Acc) -> Result<(), BuildError> {
    let res = &mut acc.resources;
    let note = |res: &mut [Resource], kind: &str, count: usize| {
        for _ in 0..count {
            crate::metadata::note_transformer(res, kpath, serde_json::json!({"apiVersion": "builtin", "kind": kind}));
        }
    };
    patches::apply_legacy_smp(dir, kpath, res, &k.patches_strategic_merge)?;
    note(res, "PatchStrategicMergeTransformer", usize::from(!k.patches_strategic_merge.is_empty()));
    patches::apply_patches(dir, kpath, res, &k.patches, false)?;
    note(res, "PatchTransformer", k.patches.len());
    if let Some(ns) = k.namespace.as_deref().filter(|n| !n.is_empty()) {
        transform::namespace(res, ns);
        transform::set_custom(res, &acc.config.namespace_specs, |_| Value::String(ns.to_string()));
        note(res, "NamespaceTransformer", 1);
    }
    let (prefix, suffix) = (k.name_prefix.as_deref().unwrap_or(""), k.name_suffix.as_deref().unwrap_or(""));
    if !prefix.is_empty() || !suffix.is_empty() {
        let config = &acc.config;
        transform::prefix_suffix_with(res, (prefix, suffix), &config.prefix_specs, &config.suffix_specs);
        note(res, "PrefixTransformer", usize::from(!prefix.is_empty()));
        note(res, "SuffixTransformer", usize::from(!suffix.is_empty()));
    }
    transform::labels(res, &k.common_labels, &k.labels, &acc.config.label_specs, &acc.config.labels_specs);
    note(res, "LabelTransformer", usize::from(!k.common_labels.is_empty()) + k.labels.len());
    transform::annotations(res, &k.common_annotations, &acc.config.annotation_specs);
    note(res, "AnnotationsTransformer", usize::from(!k.common_annotations.is_empty()));
    patches::apply_patches(dir, kpath, res, &k.patches_json6902, true)?;
    note(res, "PatchJson6902Transformer", k.patches_json6902.len());
    transform::replicas(res, &k.replicas, &acc.config.replica_specs);
    note(res, "ReplicaCountTransformer", k.replicas.len());
    transform::images(res, &k.images, &acc.config.image_specs);
    note(res, "ImageTagTransformer", k.images.len());
    replacements::apply(dir, kpath, res, &k.replacements)?;
    note(res, "ReplacementTransformer", usize::from(!k.replacements.is_empty()));
    Ok(())
}
