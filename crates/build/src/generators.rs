//! configMapGenerator / secretGenerator and kustomize's content-hash name suffix.

use std::path::Path;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::BuildError;
use crate::build::{read_file, within_root};
use crate::kustomization::{GeneratorOptions, GeneratorSpec};
use crate::resource::{Behavior, Resource};

/// Builds one generated ConfigMap (`secret == false`) or Secret from `spec`.
pub(crate) fn generate(
    dir: &Path,
    kpath: &Path,
    spec: &GeneratorSpec,
    global: Option<&GeneratorOptions>,
    secret: bool,
) -> Result<Resource, BuildError> {
    if spec.name.is_empty() {
        return Err(BuildError::InvalidKustomization {
            path: kpath.to_path_buf(),
            reason: "a configMapGenerator or secretGenerator entry must have a name".into(),
        });
    }
    let fail = |reason: String| BuildError::Transform {
        path: kpath.to_path_buf(),
        action: format!("generate {} {:?}", if secret { "Secret" } else { "ConfigMap" }, spec.name),
        reason,
    };
    let mut data: Vec<(String, Vec<u8>)> = Vec::new();
    let mut envs = spec.envs.clone();
    envs.extend(spec.env.clone());
    for env in &envs {
        let path = within_root(dir, kpath, env)?;
        let text = String::from_utf8_lossy(&read_file(&path)?).into_owned();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start_matches('\u{feff}');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            match line.split_once('=') {
                Some((k, v)) => data.push((k.trim().to_string(), v.as_bytes().to_vec())),
                None if line.trim().chars().all(|c| c.is_alphanumeric() || c == '_') => {
                    if let Ok(v) = std::env::var(line.trim()) {
                        data.push((line.trim().to_string(), v.into_bytes()));
                    }
                }
                None => return Err(fail(format!("{}:{}: invalid env line {line:?}", path.display(), n + 1))),
            }
        }
    }
    for lit in &spec.literals {
        let Some((k, v)) = lit.split_once('=') else {
            return Err(fail(format!("invalid literal {lit:?}, want key=value")));
        };
        data.push((k.to_string(), unquote(v).as_bytes().to_vec()));
    }
    for file in &spec.files {
        let (key, rel) = match file.split_once('=') {
            Some((k, p)) => (k.to_string(), p.to_string()),
            None => {
                let key = Path::new(file).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                (key, file.clone())
            }
        };
        let path = within_root(dir, kpath, &rel)?;
        if path.is_dir() {
            return Err(fail(format!("{} is a directory", path.display())));
        }
        data.push((key, read_file(&path)?));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (k, _) in &data {
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)) {
            return Err(fail(format!(
                "{k:?} is not a valid key name: a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
            )));
        }
        if !seen.insert(k.clone()) {
            return Err(fail(format!("duplicate key {k:?}")));
        }
    }
    let mut obj = if secret {
        let mut m = Map::new();
        for (k, v) in &data {
            m.insert(k.clone(), Value::String(base64(v)));
        }
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": spec.name},
               "type": spec.type_.clone().unwrap_or_else(|| "Opaque".into()), "data": m})
    } else {
        let mut text = Map::new();
        let mut binary = Map::new();
        for (k, v) in &data {
            match String::from_utf8(v.clone()) {
                Ok(s) => text.insert(k.clone(), Value::String(s)),
                Err(_) => binary.insert(k.clone(), Value::String(base64(v))),
            };
        }
        let mut o = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": spec.name}});
        if !text.is_empty() {
            o["data"] = Value::Object(text);
        }
        if !binary.is_empty() {
            o["binaryData"] = Value::Object(binary);
        }
        o
    };
    if let Some(ns) = &spec.namespace {
        obj["metadata"]["namespace"] = Value::String(ns.clone());
    }
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut disable_hash = false;
    let mut immutable = false;
    for opts in [global, spec.options.as_ref()].into_iter().flatten() {
        labels.extend(opts.labels.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))));
        annotations.extend(opts.annotations.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))));
        if let Some(d) = opts.disable_name_suffix_hash {
            disable_hash = d;
        }
        if let Some(i) = opts.immutable {
            immutable = i;
        }
    }
    if !labels.is_empty() {
        obj["metadata"]["labels"] = Value::Object(labels);
    }
    if !annotations.is_empty() {
        obj["metadata"]["annotations"] = Value::Object(annotations);
    }
    if immutable {
        obj["immutable"] = Value::Bool(true);
    }
    let mut r = Resource::new(obj);
    r.needs_hash = !disable_hash;
    r.build_annotations = true;
    r.behavior = Some(match spec.behavior.as_deref() {
        None | Some("") | Some("create") => Behavior::Create,
        Some("merge") => Behavior::Merge,
        Some("replace") => Behavior::Replace,
        Some(other) => return Err(fail(format!("unknown behavior {other:?}"))),
    });
    Ok(r)
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// Standard base64 with padding; longer than 70 characters, it is split into 70-character lines,
/// each ending in a newline (as kustomize's generators emit it).
pub(crate) fn base64(data: &[u8]) -> String {
    const LINE: usize = 70;
    let flat = base64_flat(data);
    if flat.len() <= LINE {
        return flat;
    }
    let mut out = String::with_capacity(flat.len() + flat.len() / LINE + 1);
    let mut rest = flat.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(LINE));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out
}

fn base64_flat(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// kustomize's content hash of a ConfigMap or Secret (`api/hasher`): sha256 over a Go-style JSON
/// encoding of kind, an (always empty) name, data (and type / binaryData / stringData), first 10 hex chars re-mapped.
pub(crate) fn content_hash(obj: &Value) -> String {
    let field = |k: &str| obj.get(k).cloned().unwrap_or(Value::String(String::new()));
    // kustomize looks the name up as a single key "metadata/name", which never exists: the name
    // is always hashed as "".
    let name = Value::String(String::new());
    let mut m = Map::new();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    m.insert("kind".into(), Value::String(kind.into()));
    m.insert("name".into(), name);
    m.insert("data".into(), field("data"));
    if kind == "Secret" {
        m.insert("type".into(), field("type"));
        if let Some(sd @ Value::Object(_)) = obj.get("stringData") {
            m.insert("stringData".into(), sd.clone());
        }
    } else if let Some(bd @ Value::Object(_)) = obj.get("binaryData") {
        m.insert("binaryData".into(), bd.clone());
    }
    let json = go_json(&Value::Object(m));
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// serde_json's compact encoding with Go's `encoding/json` HTML escaping.
fn go_json(v: &Value) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Merges a `behavior: merge|replace` generated resource into the existing one: labels and
/// annotations are merged (new wins); data is merged (`merge`) or replaced (`replace`).
pub(crate) fn merge_into(existing: &mut Resource, new: &Resource, behavior: Behavior) {
    let old = existing.obj.clone();
    let mut obj = new.obj.clone();
    for key in ["name", "namespace"] {
        match old.pointer(&format!("/metadata/{key}")) {
            Some(v) => obj["metadata"][key] = v.clone(),
            None => {
                if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
                    meta.remove(key);
                }
            }
        }
    }
    let mut keys = vec!["metadata/labels", "metadata/annotations"];
    if behavior != Behavior::Replace {
        keys.extend(["data", "binaryData", "stringData"]);
    }
    for key in keys {
        let pointer = format!("/{key}");
        let Some(Value::Object(old_map)) = old.pointer(&pointer) else { continue };
        let mut merged = old_map.clone();
        if let Some(Value::Object(new_map)) = obj.pointer(&pointer) {
            merged.extend(new_map.clone());
        }
        let parts: Vec<&str> = key.split('/').collect();
        crate::resource::set_at(&mut obj, &parts, Value::Object(merged));
    }
    existing.obj = obj;
    // kubectl adds the hash only when both want it: merging onto an object that was not
    // generated (or generated without a hash) keeps its name, as does disabling it here.
    existing.needs_hash = existing.needs_hash && new.needs_hash;
    if behavior == Behavior::Replace {
        existing.origin = new.origin.clone();
    }
}
