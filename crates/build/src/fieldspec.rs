//! Field specs: (group, version, kind, path, create) tuples that say where a transformer writes,
//! the builtin tables kustomize ships, and a walker that treats lists transparently.

use serde_json::{Map, Value};

use crate::resource::Resource;

/// Where a transformer acts. Empty group/version/kind match anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub path: String,
    pub create: bool,
}

impl FieldSpec {
    pub fn new(kind: &str, path: &str, create: bool) -> Self {
        FieldSpec { group: String::new(), version: String::new(), kind: kind.into(), path: path.into(), create }
    }

    /// Parses a `{group, version, kind, path, create}` mapping (as in `configurations` files).
    pub fn from_value(v: &Value) -> Option<Self> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let path = s("path");
        if path.is_empty() {
            return None;
        }
        Some(FieldSpec {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
            path,
            create: v.get("create").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    pub fn matches(&self, r: &Resource) -> bool {
        let (g, v) = r.group_version();
        (self.kind.is_empty() || self.kind == r.kind())
            && (self.group.is_empty() || self.group == g)
            && (self.version.is_empty() || self.version == v)
    }

    pub fn segments(&self) -> Vec<String> {
        split_path(&self.path)
    }
}

/// Splits a kustomize field path on `/`, honouring `\/` escapes; `[]` suffixes (list fields, never
/// created) are kept for [`visit`].
pub(crate) fn split_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                cur.push('/');
                chars.next();
            }
            '/' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

/// Calls `f` on every value at `path` under `obj`, descending through lists transparently.
/// With `create`, missing intermediate maps are created and `f` is called on a `Null` leaf.
pub(crate) fn visit(obj: &mut Value, path: &[String], create: bool, f: &mut dyn FnMut(&mut Value)) {
    if let Value::Array(items) = obj {
        for item in items {
            visit(item, path, create, f);
        }
        return;
    }
    let Some((first, rest)) = path.split_first() else {
        f(obj);
        return;
    };
    let Value::Object(map) = obj else { return };
    let (first, create_here) = match first.strip_suffix("[]") {
        Some(f) => (&f.to_string(), false),
        None => (first, create),
    };
    if !map.contains_key(first) {
        if !create_here {
            return;
        }
        let fresh = if rest.is_empty() { Value::Null } else { Value::Object(Map::new()) };
        map.insert(first.clone(), fresh);
    }
    if let Some(next) = map.get_mut(first) {
        if next.is_null() && !rest.is_empty() {
            if !create {
                return;
            }
            *next = Value::Object(Map::new());
        }
        visit(next, rest, create, f);
    }
    if let Some(Value::Null) = map.get(first)
        && rest.is_empty()
    {
        map.remove(first);
    }
}

fn grouped(group: &str, kind: &str, path: &str, create: bool) -> FieldSpec {
    let mut fs = FieldSpec::new(kind, path, create);
    fs.group = group.into();
    fs
}

/// kustomize's `metadataLabelsFieldSpecs`: object labels plus workload pod-template labels.
pub(crate) fn metadata_label_specs() -> Vec<FieldSpec> {
    let mut v = vec![FieldSpec::new("", "metadata/labels", true)];
    v.extend(template_label_specs());
    v
}

/// The template part of [`metadata_label_specs`] (used by `labels` with `includeTemplates`).
pub(crate) fn template_label_specs() -> Vec<FieldSpec> {
    let mut rc = FieldSpec::new("ReplicationController", "spec/template/metadata/labels", true);
    rc.version = "v1".into();
    vec![
        rc,
        FieldSpec::new("Deployment", "spec/template/metadata/labels", true),
        FieldSpec::new("ReplicaSet", "spec/template/metadata/labels", true),
        FieldSpec::new("DaemonSet", "spec/template/metadata/labels", true),
        grouped("apps", "StatefulSet", "spec/template/metadata/labels", true),
        grouped("apps", "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true),
        grouped("batch", "Job", "spec/template/metadata/labels", true),
        grouped("batch", "CronJob", "spec/jobTemplate/metadata/labels", true),
        grouped("batch", "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true),
    ]
}

/// kustomize's `commonLabels` field specs: selectors plus [`metadata_label_specs`].
pub(crate) fn common_label_specs() -> Vec<FieldSpec> {
    let mut service = FieldSpec::new("Service", "spec/selector", true);
    service.version = "v1".into();
    let mut rc = FieldSpec::new("ReplicationController", "spec/selector", true);
    rc.version = "v1".into();
    let mut v = vec![service, rc, FieldSpec::new("Deployment", "spec/selector/matchLabels", true)];
    let affinity = [
        "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
    ];
    v.extend(affinity.iter().map(|p| grouped("apps", "Deployment", p, false)));
    v.push(FieldSpec::new("ReplicaSet", "spec/selector/matchLabels", true));
    v.push(FieldSpec::new("DaemonSet", "spec/selector/matchLabels", true));
    v.push(grouped("apps", "StatefulSet", "spec/selector/matchLabels", true));
    v.extend(affinity.iter().map(|p| grouped("apps", "StatefulSet", p, false)));
    v.push(grouped("batch", "Job", "spec/selector/matchLabels", false));
    v.push(grouped("batch", "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false));
    v.push(grouped("policy", "PodDisruptionBudget", "spec/selector/matchLabels", false));
    for p in [
        "spec/podSelector/matchLabels",
        "spec/ingress/from/podSelector/matchLabels",
        "spec/egress/to/podSelector/matchLabels",
    ] {
        v.push(grouped("networking.k8s.io", "NetworkPolicy", p, false));
    }
    v.extend(metadata_label_specs());
    v
}

/// kustomize's `commonAnnotations` field specs.
pub(crate) fn annotation_specs() -> Vec<FieldSpec> {
    let mut rc = FieldSpec::new("ReplicationController", "spec/template/metadata/annotations", true);
    rc.version = "v1".into();
    vec![
        FieldSpec::new("", "metadata/annotations", true),
        rc,
        FieldSpec::new("Deployment", "spec/template/metadata/annotations", true),
        FieldSpec::new("ReplicaSet", "spec/template/metadata/annotations", true),
        FieldSpec::new("DaemonSet", "spec/template/metadata/annotations", true),
        FieldSpec::new("StatefulSet", "spec/template/metadata/annotations", true),
        grouped("batch", "Job", "spec/template/metadata/annotations", true),
        grouped("batch", "CronJob", "spec/jobTemplate/metadata/annotations", true),
        grouped("batch", "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true),
    ]
}

/// Adds `pairs` (string values) into the map at every matching field spec of `r`.
pub(crate) fn add_map_entries(r: &mut Resource, specs: &[FieldSpec], pairs: &Map<String, Value>) {
    let matching: Vec<&FieldSpec> = specs.iter().filter(|s| s.matches(r)).collect();
    for spec in matching {
        let path = spec.segments();
        visit(&mut r.obj, &path, spec.create, &mut |v: &mut Value| {
            if v.is_null() {
                *v = Value::Object(Map::new());
            }
            if let Value::Object(m) = v {
                for (k, val) in pairs {
                    m.insert(k.clone(), val.clone());
                }
            }
        });
    }
}

/// Does the user spec `user` stand for the builtin spec `default`? kustomize merges the builtin
/// field specs into the `configurations` ones and drops a builtin spec when a user spec has the
/// same path and a group/version/kind that the builtin one selects (its empty parts match
/// anything): `{kind: App, path: metadata/name}` replaces `{path: metadata/name}`.
fn shadows(user: &FieldSpec, default: &FieldSpec) -> bool {
    let sel = |d: &str, u: &str| d.is_empty() || d == u;
    user.path == default.path
        && sel(&default.group, &user.group)
        && sel(&default.version, &user.version)
        && sel(&default.kind, &user.kind)
}

/// The builtin `defaults` merged into the `user` specs (kustomize's `FsSlice.MergeAll`).
pub(crate) fn merge_defaults(defaults: Vec<FieldSpec>, user: &[FieldSpec]) -> Vec<FieldSpec> {
    let mut out: Vec<FieldSpec> = user.to_vec();
    out.extend(defaults.into_iter().filter(|d| !user.iter().any(|u| shadows(u, d))));
    out
}

/// A user spec that stands for a builtin one with another `create` flag: kustomize refuses to
/// merge the configurations ("conflicting fieldspecs").
pub(crate) fn conflicting<'a>(defaults: &[FieldSpec], user: &'a [FieldSpec]) -> Option<&'a FieldSpec> {
    user.iter().find(|u| defaults.iter().any(|d| shadows(u, d) && d.create != u.create))
}
