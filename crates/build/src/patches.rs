//! `patches`, `patchesStrategicMerge` and `patchesJson6902`: target selection and application.

use std::path::Path;

use glidepath_patch::{SmpMode, strategic_merge_with};
use regex::Regex;
use serde_json::{Map, Value};

use crate::BuildError;
use crate::build::{read_file, within_root};
use crate::kustomization::{PatchSpec, Selector};
use crate::resource::{Resource, split_api_version};

fn transform_err(kpath: &Path, action: &str, reason: impl Into<String>) -> BuildError {
    BuildError::Transform { path: kpath.to_path_buf(), action: action.into(), reason: reason.into() }
}

thread_local! {
    /// Compiled target regexes: a selector is matched against every resource.
    static REGEX_CACHE: std::cell::RefCell<std::collections::HashMap<String, Regex>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

fn anchored(pattern: &str, kpath: &Path) -> Result<Regex, BuildError> {
    if let Some(re) = REGEX_CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(re);
    }
    let re = Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| transform_err(kpath, "compile target regex", e.to_string()))?;
    REGEX_CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() > 256 {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
}

/// Does `r` match the target selector?
/// Names and namespaces match the original or current id; with `any_previous` (replacements)
/// every intermediate name too.
pub(crate) fn selects(sel: &Selector, r: &Resource, kpath: &Path) -> Result<bool, BuildError> {
    selects_with(sel, r, kpath, false)
}

pub(crate) fn selects_with(sel: &Selector, r: &Resource, kpath: &Path, any_previous: bool) -> Result<bool, BuildError> {
    let (g, v) = r.group_version();
    let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w.is_empty() || w == have);
    if !eq(&sel.group, &g) || !eq(&sel.version, &v) {
        return Ok(false);
    }
    if sel.kind.as_deref().is_some_and(|k| !k.is_empty() && k != r.kind()) {
        return Ok(false);
    }
    // Like kustomize's resmap.Select: names and namespaces match the original or the current id.
    let original = r.history.first().cloned().unwrap_or_default();
    if let Some(name) = sel.name.as_deref().filter(|n| !n.is_empty()) {
        let re = anchored(name, kpath)?;
        let previous = any_previous && r.history.iter().any(|(_, n)| re.is_match(n));
        if !re.is_match(r.name()) && !re.is_match(&original.1) && !previous {
            return Ok(false);
        }
    }
    if let Some(ns) = sel.namespace.as_deref().filter(|n| !n.is_empty()) {
        let re = anchored(ns, kpath)?;
        let effective = |n: &str| if n.is_empty() { "default".to_string() } else { n.to_string() };
        if !re.is_match(&effective(r.namespace())) && !re.is_match(&effective(&original.0)) {
            return Ok(false);
        }
    }
    if let Some(ls) = sel.label_selector.as_deref().filter(|s| !s.is_empty())
        && !label_selector_matches(ls, &r.labels()).map_err(|e| transform_err(kpath, "parse labelSelector", e))?
    {
        return Ok(false);
    }
    if let Some(ls) = sel.annotation_selector.as_deref().filter(|s| !s.is_empty())
        && !label_selector_matches(ls, &r.annotations())
            .map_err(|e| transform_err(kpath, "parse annotationSelector", e))?
    {
        return Ok(false);
    }
    Ok(true)
}

/// Splits a selector on commas outside parentheses.
fn split_terms(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out.into_iter().filter(|t| !t.is_empty()).collect()
}

/// Evaluates a Kubernetes label selector string against `labels`.
pub(crate) fn label_selector_matches(selector: &str, labels: &Map<String, Value>) -> Result<bool, String> {
    let get = |k: &str| labels.get(k).and_then(Value::as_str);
    for term in split_terms(selector) {
        let ok = if let Some((k, v)) = term.split_once("!=") {
            get(k.trim()) != Some(v.trim())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            get(k.trim()) == Some(v.trim())
        } else if let Some(k) = term.strip_prefix('!') {
            get(k.trim()).is_none()
        } else if let Some((k, rest)) = term.split_once(" notin ").or_else(|| term.split_once(" in ")) {
            let notin = term.contains(" notin ");
            let set = rest.trim().trim_start_matches('(').trim_end_matches(')');
            let values: Vec<&str> = set.split(',').map(str::trim).collect();
            let present = get(k.trim()).is_some_and(|v| values.contains(&v));
            if notin { !present } else { present }
        } else if term.chars().all(|c| c.is_alphanumeric() || "-_./".contains(c)) {
            get(term).is_some()
        } else {
            return Err(format!("unsupported selector term {term:?}"));
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Loads the patch text of a spec (inline or from a file).
fn patch_text(dir: &Path, kpath: &Path, spec: &PatchSpec) -> Result<(String, std::path::PathBuf), BuildError> {
    match (&spec.patch, &spec.path) {
        (Some(p), None) => Ok((p.clone(), kpath.to_path_buf())),
        (None, Some(path)) => {
            let file = within_root(dir, kpath, path)?;
            let bytes = read_file(&file)?;
            Ok((String::from_utf8_lossy(&bytes).into_owned(), file))
        }
        (Some(_), Some(_)) => Err(transform_err(kpath, "load patch", "patch and path cannot both be set")),
        (None, None) => Err(transform_err(kpath, "load patch", "either patch or path must be set")),
    }
}

/// Parses patch text: JSON patch ops (a list) or one or more SMP documents.
fn parse_patch(text: &str, source: &Path) -> Result<Vec<Value>, BuildError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Value>(trimmed)
    {
        return Ok(vec![v]);
    }
    crate::yaml::parse_objects(text, source)
}

/// Applies the `patches` field.
pub(crate) fn apply_patches(
    dir: &Path,
    kpath: &Path,
    resources: &mut Vec<Resource>,
    specs: &[PatchSpec],
    json6902_only: bool,
) -> Result<(), BuildError> {
    for spec in specs {
        let (text, source) = patch_text(dir, kpath, spec)?;
        let docs = parse_patch(&text, &source)?;
        let is_json = json6902_only || matches!(docs.as_slice(), [Value::Array(_)]);
        if is_json {
            let ops = match docs.as_slice() {
                [ops @ Value::Array(_)] => ops.clone(),
                [] => Value::Array(Vec::new()),
                _ => {
                    return Err(transform_err(kpath, "load JSON patch", format!("{} is not a list", source.display())));
                }
            };
            let Some(target) = &spec.target else {
                return Err(transform_err(kpath, "apply JSON patch", "a JSON 6902 patch requires a target"));
            };
            if json6902_only && target.name.as_deref().is_none_or(str::is_empty) {
                // kustomize's PatchJson6902Transformer: "must specify the target name".
                return Err(transform_err(kpath, "apply patchesJson6902", "must specify the target name"));
            }
            for r in resources.iter_mut() {
                if selects(target, r, kpath)? {
                    let id = r.id();
                    crate::json6902::apply_to_resource(r, &ops, !json6902_only).map_err(|source| {
                        BuildError::ApplyPatch { path: kpath.to_path_buf(), target: id, source: Box::new(source) }
                    })?;
                    r.record();
                }
            }
            continue;
        }
        for doc in &docs {
            apply_smp(kpath, &source, resources, doc, spec.target.as_ref(), &spec.options)?;
        }
    }
    Ok(())
}

/// Applies `patchesStrategicMerge` entries (paths or inline YAML).
pub(crate) fn apply_legacy_smp(
    dir: &Path,
    kpath: &Path,
    resources: &mut Vec<Resource>,
    entries: &[String],
) -> Result<(), BuildError> {
    for entry in entries {
        let looks_inline = entry.contains('\n') || entry.contains(": ");
        let (docs, source) = if looks_inline {
            (crate::yaml::parse_objects(entry, kpath)?, kpath.to_path_buf())
        } else {
            let file = within_root(dir, kpath, entry)?;
            let text = String::from_utf8_lossy(&read_file(&file)?).into_owned();
            (crate::yaml::parse_objects(&text, &file)?, file)
        };
        if docs.is_empty() {
            return Err(transform_err(
                kpath,
                "load patchesStrategicMerge",
                format!("patch {entry:?} appears to be empty"),
            ));
        }
        for doc in &docs {
            apply_smp(kpath, &source, resources, doc, None, &Default::default())?;
        }
    }
    Ok(())
}

/// Applies one strategic merge patch document (from `source`) to its target(s).
fn apply_smp(
    kpath: &Path,
    source: &Path,
    resources: &mut Vec<Resource>,
    patch: &Value,
    target: Option<&Selector>,
    options: &std::collections::BTreeMap<String, bool>,
) -> Result<(), BuildError> {
    let mut matched: Vec<usize> = Vec::new();
    match target {
        Some(sel) => {
            for (i, r) in resources.iter().enumerate() {
                if selects(sel, r, kpath)? {
                    matched.push(i);
                }
            }
        }
        None => {
            let kind = patch.get("kind").and_then(Value::as_str).unwrap_or_default();
            let name = patch.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
            let ns = patch.pointer("/metadata/namespace").and_then(Value::as_str);
            let (group, version) =
                split_api_version(patch.get("apiVersion").and_then(Value::as_str).unwrap_or_default());
            for (i, r) in resources.iter().enumerate() {
                // kustomize's ResId.Equals: "" and "default" are the same namespace.
                let effective = |n: &str| if n.is_empty() { "default".to_string() } else { n.to_string() };
                let want_ns = effective(ns.unwrap_or(""));
                let cluster = !crate::resource::is_namespaced(r);
                let id_match =
                    r.ids.iter().any(|(k, n_s, n)| k == kind && n == name && (cluster || effective(n_s) == want_ns));
                let (g, v) = r.group_version();
                if id_match && g == group && v == version {
                    matched.push(i);
                }
            }
            if matched.len() > 1 {
                return Err(transform_err(
                    kpath,
                    "apply strategic merge patch",
                    format!(
                        "multiple resources match patch {} for {kind} {name:?}; failed to find unique target",
                        source.display()
                    ),
                ));
            }
            if matched.is_empty() {
                return Err(transform_err(
                    kpath,
                    "apply strategic merge patch",
                    format!(
                        "no resource matches patch {} for {kind} {name:?} (by a current or previous kind, namespace and name together)",
                        source.display()
                    ),
                ));
            }
            matched.truncate(1);
        }
    }
    let allow_name = options.get("allowNameChange").copied().unwrap_or(false);
    let allow_kind = options.get("allowKindChange").copied().unwrap_or(false);
    let mut deleted = Vec::new();
    for i in matched {
        let r = &mut resources[i];
        let mut p = patch.clone();
        if let Value::Object(pm) = &mut p {
            if (target.is_some() || !allow_name)
                && let Some(Value::Object(meta)) = pm.get_mut("metadata")
            {
                {
                    if !allow_name || !meta.contains_key("name") {
                        meta.insert("name".into(), Value::String(r.name().into()));
                    }
                    if meta.contains_key("namespace") || target.is_some() {
                        meta.remove("namespace");
                    }
                }
            }
            if !allow_kind {
                pm.remove("kind");
                pm.remove("apiVersion");
            }
        }
        if allow_name || allow_kind {
            // kustomize stores the previous id before a patch that may rename the object.
            r.build_annotations = true;
        }
        let id = r.id();
        let merged = crate::openapi::with_schema(|schema| strategic_merge_with(&r.obj, &p, SmpMode::Kustomize, schema))
            .map_err(|source| BuildError::ApplyPatch {
                path: kpath.to_path_buf(),
                target: id,
                source: Box::new(source),
            })?;
        match merged {
            Some(v) => {
                r.obj = v;
                r.record();
            }
            None => deleted.push(i),
        }
    }
    for i in deleted.into_iter().rev() {
        resources.remove(i);
    }
    Ok(())
}
