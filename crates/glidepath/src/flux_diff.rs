//! `glidepath diff kustomization NAME --path DIR`, as `flux diff kustomization` does it: build the
//! local directory as the Kustomization controller would (its spec's transformations, its
//! substitution variables, its owner labels), server-side-apply dry-run every object under the
//! controller's field manager, and report what would be created, what drifted (the changed
//! fields, Secret values masked) and, with `spec.prune`, what would be deleted.
//!
//! The controller's own build ([`crate::sync::manifests::build`]) and drift rule
//! ([`glidepath_apply::drifted`]) are reused, so the diff shows what a reconcile would do.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Context as _, bail};
use glidepath_api::flux::Kustomization;
use glidepath_apply::object::{RECONCILE_ANNOTATION, annotation, group_of, version_of};
use glidepath_apply::{FIELD_MANAGER, ObjMeta, drifted};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::discovery::{Scope, pinned_kind};
use kube::{Client, ResourceExt};
use serde_json::Value;

use crate::cli::DiffArgs;
use crate::flux_ops::{Kind, parse_target};
use crate::sync::kustomize::{owner, substitution_variables};
use crate::sync::manifests::{BuildInput, build};

/// What Flux prints in place of a Secret's values.
pub const MASK: &str = "***";

/// Metadata the API server writes on its own: never drift.
const SERVER_FIELDS: [&str; 6] =
    ["managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"];

/// What applying one object would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Unchanged,
    Created,
    /// The changed fields, rendered.
    Drifted(String),
}

/// `diff kustomization NAME --path DIR`: prints the changes; `Ok(true)` when there are any.
pub async fn diff(args: &DiffArgs) -> anyhow::Result<bool> {
    let (kind, name) = parse_target(&args.target)?;
    if kind != Kind::Kustomization {
        bail!("diff: only `diff kustomization NAME --path DIR`");
    }
    if !args.path.is_dir() {
        bail!("--path {}: not a directory", args.path.display());
    }
    let client = crate::controller::client(args.kubeconfig.as_deref()).await?;
    let ns = &args.namespace;
    let ks = Api::<Kustomization>::namespaced(client.clone(), ns)
        .get(&name)
        .await
        .with_context(|| format!("get Kustomization {ns}/{name}"))?;
    let objects = build_local(&client, &ks, &args.path).await?;
    let mut resolver = Resolver::default();
    let mut changed = false;
    let mut errors = Vec::new();
    let mut applied = HashSet::new();
    for obj in objects {
        match diff_object(&client, &mut resolver, obj).await {
            Ok((meta, outcome)) => {
                changed |= outcome != Outcome::Unchanged;
                print_outcome(&meta, &outcome);
                applied.insert(meta.id());
            }
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("; "));
    }
    if ks.spec.prune == Some(true) {
        let old = crate::flux_tree::inventory(&serde_json::to_value(&ks)?);
        for gone in old.iter().filter(|m| !applied.contains(&m.id())) {
            println!("► {gone} deleted");
            changed = true;
        }
    }
    Ok(changed)
}

fn print_outcome(meta: &ObjMeta, outcome: &Outcome) {
    match outcome {
        Outcome::Unchanged => {}
        Outcome::Created => println!("► {meta} created"),
        Outcome::Drifted(fields) => {
            println!("► {meta} drifted");
            print!("{fields}");
        }
    }
}

/// The objects the controller would apply for `ks` if `dir` were its `spec.path`.
async fn build_local(client: &Client, ks: &Kustomization, dir: &std::path::Path) -> anyhow::Result<Vec<Value>> {
    let vars = substitution_variables(client, ks)
        .await
        .map_err(|e| anyhow::anyhow!("Kustomization {}: {e}", ks.name_any()))?;
    // `--path` replaces `spec.path`: the directory itself is what gets built.
    let mut spec = ks.spec.clone();
    spec.path = None;
    let owner = owner(ks);
    let input = BuildInput { root: dir, spec: &spec, vars: vars.as_ref(), strict: true, owner: &owner };
    build(&input).map_err(|f| anyhow::anyhow!("build {}: {}", dir.display(), f.into_message()))
}

/// Discovery, once per kind.
#[derive(Default)]
struct Resolver {
    known: HashMap<(String, String), (ApiResource, bool)>,
}

impl Resolver {
    async fn resolve(&mut self, client: &Client, api_version: &str, kind: &str) -> anyhow::Result<(ApiResource, bool)> {
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(found) = self.known.get(&key) {
            return Ok(found.clone());
        }
        let gvk = GroupVersionKind::gvk(group_of(api_version), version_of(api_version), kind);
        let (resource, caps) = pinned_kind(client, &gvk)
            .await
            .with_context(|| format!("{api_version} {kind}: no such kind on the cluster"))?;
        let found = (resource, caps.scope == Scope::Namespaced);
        self.known.insert(key, found.clone());
        Ok(found)
    }
}

/// Dry-run one object and compare the result with the live object.
async fn diff_object(client: &Client, resolver: &mut Resolver, mut obj: Value) -> anyhow::Result<(ObjMeta, Outcome)> {
    let mut meta = ObjMeta::of(&obj)?;
    let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_owned();
    let (resource, namespaced) = resolver.resolve(client, &api_version, &meta.kind).await?;
    let api: Api<DynamicObject> = if namespaced {
        if meta.namespace.is_empty() {
            bail!("{meta}: namespace not specified");
        }
        Api::namespaced_with(client.clone(), &meta.namespace, &resource)
    } else {
        // As the apply engine does: a cluster-scoped object loses a stray namespace.
        meta.namespace.clear();
        if let Some(m) = obj["metadata"].as_object_mut() {
            m.remove("namespace");
        }
        Api::all_with(client.clone(), &resource)
    };
    let live = api.get_opt(&meta.name).await.with_context(|| format!("get {meta}"))?;
    let live = live.map(serde_json::to_value).transpose()?;
    // Flux's exclusion: objects with reconcile disabled are not diffed.
    let disabled = |o: &Value| annotation(o, RECONCILE_ANNOTATION).is_some_and(|v| v.eq_ignore_ascii_case("disabled"));
    if disabled(&obj) || live.as_ref().is_some_and(disabled) {
        return Ok((meta, Outcome::Unchanged));
    }
    let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
    let dry = api.patch(&meta.name, &params, &Patch::Apply(&obj)).await.with_context(|| format!("dry-run {meta}"))?;
    let dry = serde_json::to_value(dry)?;
    let outcome = match live {
        None => Outcome::Created,
        Some(l) if drifted(&dry, &l) => Outcome::Drifted(field_diff(&l, &dry, meta.kind == "Secret")),
        Some(_) => Outcome::Unchanged,
    };
    Ok((meta, outcome))
}

/// The object without what the server writes on its own (status, resourceVersion, ...).
fn comparable(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("status");
    }
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for f in SERVER_FIELDS {
            m.remove(f);
        }
    }
    v
}

fn flatten(path: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                flatten(&p, x, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), x, out);
            }
        }
        other => {
            out.insert(path.to_owned(), other.clone());
        }
    }
}

/// The changed fields of `live` → `merged`, one block per path with `- old` / `+ new` (dyff's
/// reading order). Secret values are masked: their keys show, never their values.
pub fn field_diff(live: &Value, merged: &Value, secret: bool) -> String {
    let (mut old, mut new) = (BTreeMap::new(), BTreeMap::new());
    flatten("", &comparable(live), &mut old);
    flatten("", &comparable(merged), &mut new);
    let paths: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = String::new();
    for path in paths {
        let (a, b) = (old.get(path), new.get(path));
        if a == b {
            continue;
        }
        let masked = secret && (path.starts_with("data.") || path.starts_with("stringData."));
        let show = |v: &Value| match v {
            _ if masked => MASK.to_owned(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.push_str(&format!("  {path}\n"));
        if let Some(a) = a {
            out.push_str(&format!("    - {}\n", show(a)));
        }
        if let Some(b) = b {
            out.push_str(&format!("    + {}\n", show(b)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_fields_read_as_paths_and_server_fields_are_ignored() {
        let live = json!({"metadata": {"name": "a", "resourceVersion": "7", "uid": "u", "generation": 1},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"image": "a:1"}]}}}, "status": {"x": 1}});
        let merged = json!({"metadata": {"name": "a", "resourceVersion": "8", "generation": 2},
            "spec": {"replicas": 2, "paused": true, "template": {"spec": {"containers": [{"image": "a:2"}]}}}});
        assert_eq!(
            field_diff(&live, &merged, false),
            "  spec.paused\n    + true\n  spec.replicas\n    - 1\n    + 2\n  \
             spec.template.spec.containers[0].image\n    - a:1\n    + a:2\n"
        );
        assert_eq!(field_diff(&live, &live, false), "");
    }

    #[test]
    fn secret_values_are_masked() {
        let live = json!({"data": {"password": "b2xk"}, "type": "Opaque"});
        let merged = json!({"data": {"password": "bmV3", "token": "dA=="}, "type": "Opaque"});
        let out = field_diff(&live, &merged, true);
        assert_eq!(out, "  data.password\n    - ***\n    + ***\n  data.token\n    + ***\n");
        assert!(!out.contains("bmV3") && !out.contains("b2xk"));
    }
}
