//! The rendered stream as Helm builds it (`pkg/release/v1/util`): each template's output
//! split into documents (`SplitManifests`), hooks told from manifests by their
//! `helm.sh/hook` annotation, both stably sorted by kind in Helm's install order, and the
//! `helm template` text (`---\n# Source: <path>\n<doc>\n`).

use serde_json::Value as Json;

use crate::HelmError;

/// Helm's `InstallOrder`.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// One document of a template's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The template's path (`chart/templates/x.yaml`).
    pub path: String,
    pub content: String,
    pub kind: String,
    pub name: String,
}

/// A hook document: a manifest with its events, weight and delete policies.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub manifest: Manifest,
    pub events: Vec<String>,
    pub weight: i64,
    pub delete_policies: Vec<String>,
}

impl Hook {
    pub fn is_test(&self) -> bool {
        self.events.iter().any(|e| e == "test" || e == "test-success")
    }
}

/// Go's `\s`: `[\t\n\f\r ]`.
fn go_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && go_ws(b[i]) {
        i += 1;
    }
    i
}

/// `regexp.MustCompile("(?:^|\\s*\n)---\\s*").Split(text, -1)`, by hand (the regex engine
/// was a fifth of a render): a separator is `---` at the start, or a run of white space ending
/// in a newline followed by `---`; it takes the white space after the dashes too.
fn split_on_separators(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let (mut pieces, mut last, mut i) = (Vec::new(), 0, 0);
    if b.starts_with(b"---") {
        pieces.push("");
        i = skip_ws(b, 3);
        last = i;
    }
    while i < b.len() {
        if !go_ws(b[i]) {
            i += 1;
            continue;
        }
        let (start, end) = (i, skip_ws(b, i));
        if b[end - 1] == b'\n' && b[end..].starts_with(b"---") {
            pieces.push(&text[last..start]);
            last = skip_ws(b, end + 3);
            i = last;
        } else {
            i = end;
        }
    }
    pieces.push(&text[last..]);
    pieces
}

/// Helm 4.2's `SplitManifests`: documents in order, leading white space trimmed (trailing
/// white space is kept, so a template's final newline shows in the stream).
pub fn split_manifests(text: &str) -> Vec<String> {
    let trimmed = text.trim_start_matches(go_space);
    split_on_separators(trimmed)
        .into_iter()
        .filter(|d| !d.trim_matches(go_space).is_empty())
        .map(|d| d.trim_start_matches(go_space).to_string())
        .collect()
}

fn go_space(c: char) -> bool {
    // strings.TrimSpace: Unicode white space.
    c.is_whitespace()
}

/// The YAML documents of a values file (Kubernetes' YAML reader: a line that is `---`
/// followed only by white space ends a document).
pub fn yaml_documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("---")
            && rest.trim().is_empty()
        {
            docs.push(&text[start..pos]);
            start = pos + line.len();
        }
        pos += line.len();
    }
    docs.push(&text[start..]);
    docs
}

/// `%v` of a JSON value as Go prints the decoded `interface{}`.
pub fn go_print_json(v: &Json) -> String {
    glidepath_gotmpl::Value::from_json(v, glidepath_gotmpl::Numbers::PreserveInts).to_string()
}

fn kind_rank(kind: &str) -> Option<usize> {
    INSTALL_ORDER.iter().position(|k| *k == kind)
}

/// Helm's `lessByKind`: known kinds in install order, unknown ones after them by name.
fn less_by_kind(a: &str, b: &str) -> bool {
    match (kind_rank(a), kind_rank(b)) {
        (None, None) => a < b,
        (None, Some(_)) => false,
        (Some(_), None) => true,
        (Some(x), Some(y)) => x < y,
    }
}

fn sort_stable<T>(items: &mut [T], kind: impl Fn(&T) -> &str) {
    items.sort_by(|x, y| {
        if less_by_kind(kind(x), kind(y)) {
            std::cmp::Ordering::Less
        } else if less_by_kind(kind(y), kind(x)) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
}

/// Helm's `SortManifests` over rendered templates (path → output): partials, NOTES and
/// empty outputs skipped; each document's head read as Helm reads it.
/// Heads read so far, by document text: a chart renders the same documents at every
/// reconcile, and reading a head is a full YAML parse. At most [`HEAD_CACHE_MAX`] are kept.
#[derive(Clone, Default)]
pub struct HeadCache(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Result<Head, String>>>>);

impl std::fmt::Debug for HeadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeadCache")
    }
}

const HEAD_CACHE_MAX: usize = 8192;

impl HeadCache {
    fn head(&self, doc: &str, path: &str) -> Result<Head, HelmError> {
        let lock = || self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let cached = lock().get(doc).cloned();
        let found = match cached {
            Some(h) => h,
            None => {
                let h = crate::yaml::from_yaml(doc).map_err(|e| e.to_string()).and_then(|j| head_of(&j));
                let mut c = lock();
                if c.len() < HEAD_CACHE_MAX {
                    c.insert(doc.to_string(), h.clone());
                }
                h
            }
        };
        found.map_err(|message| HelmError::Manifest { file: path.to_string(), message })
    }
}

pub fn sort_manifests(
    rendered: &[(String, String)],
    heads: &HeadCache,
) -> Result<(Vec<Hook>, Vec<Manifest>), HelmError> {
    let mut files: Vec<&(String, String)> = rendered.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut hooks, mut generic) = (Vec::new(), Vec::new());
    for (path, content) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        for doc in split_manifests(content) {
            let head = heads.head(&doc, path)?;
            let m = Manifest { path: path.clone(), content: doc, kind: head.kind, name: head.name };
            let Some(hook_types) = head.annotations.get("helm.sh/hook") else {
                generic.push(m);
                continue;
            };
            let events: Vec<String> = hook_types.split(',').map(|e| e.trim().to_ascii_lowercase()).collect();
            if events.iter().any(|e| !HOOK_EVENTS.contains(&e.as_str())) {
                continue; // Helm skips unknown hooks (and logs them).
            }
            let weight = head.annotations.get("helm.sh/hook-weight").and_then(|w| w.parse().ok()).unwrap_or(0);
            let delete_policies = head
                .annotations
                .get("helm.sh/hook-delete-policy")
                .map(|d| d.split(',').map(|p| p.trim().to_ascii_lowercase()).collect())
                .unwrap_or_default();
            hooks.push(Hook { manifest: m, events, weight, delete_policies });
        }
    }
    sort_stable(&mut hooks, |h| &h.manifest.kind);
    sort_stable(&mut generic, |m| &m.kind);
    Ok((hooks, generic))
}

#[derive(Debug, Clone)]
pub(crate) struct Head {
    kind: String,
    name: String,
    annotations: std::collections::BTreeMap<String, String>,
}

/// Decodes a document's head like Helm's `SimpleHead` (a JSON struct: wrong types fail).
fn head_of(doc: &Json) -> Result<Head, String> {
    let fail = |what: &str| format!("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {what}");
    let obj = match doc {
        Json::Object(o) => o,
        Json::Null => return Ok(Head { kind: String::new(), name: String::new(), annotations: Default::default() }),
        other => {
            return Err(fail(&format!("{} into Go value of type util.SimpleHead", crate::chart::json_kind(other))));
        }
    };
    let string = |v: Option<&Json>, field: &str| -> Result<String, String> {
        match v {
            None | Some(Json::Null) => Ok(String::new()),
            Some(Json::String(s)) => Ok(s.clone()),
            Some(other) => Err(fail(&format!(
                "{} into Go struct field SimpleHead.{field} of type string",
                crate::chart::json_kind(other)
            ))),
        }
    };
    let kind = string(obj.get("kind"), "kind")?;
    let meta = obj.get("metadata").and_then(Json::as_object);
    let name = string(meta.and_then(|m| m.get("name")), "metadata.name")?;
    let mut annotations = std::collections::BTreeMap::new();
    if let Some(Json::Object(a)) = meta.and_then(|m| m.get("annotations")) {
        for (k, v) in a {
            annotations.insert(k.clone(), string(Some(v), "metadata.annotations")?);
        }
    }
    Ok(Head { kind, name, annotations })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_helm() {
        assert_eq!(split_manifests("a: 1\n---\nb: 2\n"), vec!["a: 1", "b: 2\n"]);
        assert_eq!(split_manifests("---\na: 1\n\n---\n\n# c\nb: 2\n\n"), vec!["a: 1", "# c\nb: 2\n\n"]);
        assert_eq!(split_manifests("a: 1\n---b: 2"), vec!["a: 1", "b: 2"]);
        assert_eq!(split_manifests("a: 1 \t\n \n---\t\n\nb"), vec!["a: 1", "b"]);
        assert_eq!(split_manifests("a: '---'\nb: x---y\n  ---"), vec!["a: '---'\nb: x---y\n  ---"]);
        assert_eq!(split_on_separators("---"), vec!["", ""]);
        assert_eq!(split_on_separators("a\n---\n"), vec!["a", ""]);
        assert_eq!(split_on_separators("a ---"), vec!["a ---"]);
        assert!(split_manifests("  \n").is_empty());
        assert_eq!(yaml_documents("a: 1\n---\nb: 2\n"), vec!["a: 1\n", "b: 2\n"]);
    }

    #[test]
    fn orders_kinds() {
        assert!(less_by_kind("Namespace", "Deployment"));
        assert!(less_by_kind("Deployment", "Zebra"));
        assert!(less_by_kind("Alpha", "Zebra"));
        assert!(!less_by_kind("Zebra", "Deployment"));
    }
}
