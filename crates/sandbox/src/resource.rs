//! The resource registry: which kinds are served at which URLs, with the discovery facts
//! (verbs, scope, short names, subresources) and the per-kind behaviour the store needs.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::schema::Schema;

/// Where the `/scale` subresource reads and writes replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    /// Dotted path, e.g. `.spec.replicas`.
    pub spec_replicas: String,
    pub status_replicas: String,
    /// Either a path to a string selector (CRDs) or `None`; built-in workloads render
    /// `.spec.selector` as a label selector string.
    pub label_selector: Option<String>,
}

/// One column of the `kubectl get` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// OpenAPI type: `string`, `integer`, `number`, `boolean`, `date`.
    pub kind: String,
    pub format: String,
    pub description: String,
    pub priority: i64,
    /// A simple JSONPath (`.status.phase`), or one of the computed values in `table.rs`.
    pub json_path: String,
}

/// Everything the server knows about one served group/version/resource.
#[derive(Debug, Clone)]
pub struct ResourceInfo {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<String>,
    pub status: bool,
    pub scale: Option<ScalePaths>,
    /// `metadata.generation` is maintained (custom resources and kinds with a spec).
    pub generation: bool,
    /// Printer columns after `Name`; `None` means the default `Age` column.
    pub columns: Option<Vec<Column>>,
    /// Custom resources: the structural schema of this version, if any.
    pub schema: Option<Arc<Schema>>,
    /// True for kinds served from a CustomResourceDefinition.
    pub custom: bool,
    /// Storage shared with another resource (`events.k8s.io` Events live in core `events`).
    pub storage: Option<(String, String, String)>,
    pub conversion: crate::convert::Conversion,
}

impl ResourceInfo {
    /// Storage identity, independent of the version: `deployments.apps`, `pods`.
    pub fn id(&self) -> String {
        if let Some((group, _, plural)) = &self.storage {
            return if group.is_empty() { plural.clone() } else { format!("{plural}.{group}") };
        }
        if self.group.is_empty() { self.plural.clone() } else { format!("{}.{}", self.plural, self.group) }
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }
}

pub(crate) const ALL_VERBS: &[&str] =
    &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

struct Builtin {
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    status: bool,
    scale: bool,
    all: bool,
}

const fn b(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
) -> Builtin {
    Builtin { group, version, plural, kind, namespaced, short, status: false, scale: false, all: false }
}

const fn with_status(mut x: Builtin) -> Builtin {
    x.status = true;
    x
}

const fn workload(mut x: Builtin) -> Builtin {
    x.status = true;
    x.scale = true;
    x.all = true;
    x
}

const fn in_all(mut x: Builtin) -> Builtin {
    x.all = true;
    x
}

const BUILTINS: &[Builtin] = &[
    with_status(b("", "v1", "namespaces", "Namespace", false, &["ns"])),
    in_all(with_status(b("", "v1", "services", "Service", true, &["svc"]))),
    b("", "v1", "configmaps", "ConfigMap", true, &["cm"]),
    b("", "v1", "secrets", "Secret", true, &[]),
    b("", "v1", "serviceaccounts", "ServiceAccount", true, &["sa"]),
    b("", "v1", "events", "Event", true, &["ev"]),
    in_all(with_status(b("", "v1", "pods", "Pod", true, &["po"]))),
    b("", "v1", "endpoints", "Endpoints", true, &["ep"]),
    b("", "v1", "limitranges", "LimitRange", true, &["limits"]),
    with_status(b("", "v1", "resourcequotas", "ResourceQuota", true, &["quota"])),
    with_status(b("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, &["pvc"])),
    with_status(b("", "v1", "persistentvolumes", "PersistentVolume", false, &["pv"])),
    with_status(b("", "v1", "nodes", "Node", false, &["no"])),
    b("events.k8s.io", "v1", "events", "Event", true, &["ev"]),
    workload(b("apps", "v1", "deployments", "Deployment", true, &["deploy"])),
    workload(b("apps", "v1", "replicasets", "ReplicaSet", true, &["rs"])),
    in_all(with_status(b("apps", "v1", "daemonsets", "DaemonSet", true, &["ds"]))),
    workload(b("apps", "v1", "statefulsets", "StatefulSet", true, &["sts"])),
    in_all(with_status(b("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, &["hpa"]))),
    with_status(b("networking.k8s.io", "v1", "ingresses", "Ingress", true, &["ing"])),
    b("coordination.k8s.io", "v1", "leases", "Lease", true, &[]),
    b("apps", "v1", "controllerrevisions", "ControllerRevision", true, &[]),
    in_all(with_status(b("batch", "v1", "jobs", "Job", true, &[]))),
    in_all(with_status(b("batch", "v1", "cronjobs", "CronJob", true, &["cj"]))),
    with_status(b("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, &["pdb"])),
    b("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, &[]),
    b("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, &["netpol"]),
    b("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, &[]),
    b("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, &["sc"]),
    b("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, &["pc"]),
    with_status(b(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
    )),
    b("rbac.authorization.k8s.io", "v1", "roles", "Role", true, &[]),
    b("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, &[]),
    b("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, &[]),
    b("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, &[]),
];

fn builtin_info(x: &Builtin) -> ResourceInfo {
    let scale = x.scale.then(|| ScalePaths {
        spec_replicas: ".spec.replicas".to_owned(),
        status_replicas: ".status.replicas".to_owned(),
        label_selector: None,
    });
    ResourceInfo {
        group: x.group.to_owned(),
        version: x.version.to_owned(),
        plural: x.plural.to_owned(),
        singular: x.kind.to_lowercase(),
        kind: x.kind.to_owned(),
        namespaced: x.namespaced,
        short_names: x.short.iter().map(|s| (*s).to_owned()).collect(),
        categories: if x.all { vec!["all".to_owned()] } else { Vec::new() },
        verbs: ALL_VERBS
            .iter()
            .filter(|v| !(x.plural == "namespaces" && **v == "deletecollection"))
            .map(|s| (*s).to_owned())
            .collect(),
        status: x.status,
        scale,
        generation: x.status && x.plural != "namespaces" && x.plural != "nodes" && x.plural != "pods",
        columns: crate::table::builtin_columns(x.group, x.plural),
        schema: None,
        custom: false,
        storage: (x.group == "events.k8s.io").then(|| (String::new(), "v1".to_owned(), "events".to_owned())),
        conversion: if x.group == "events.k8s.io" {
            crate::convert::Conversion::EventsV1
        } else {
            crate::convert::Conversion::None
        },
    }
}

/// Served resources keyed by group, version and plural.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// group -> version -> plural -> info. `BTreeMap` keeps discovery output stable.
    groups: BTreeMap<String, BTreeMap<String, BTreeMap<String, Arc<ResourceInfo>>>>,
    /// Group order for `/apis`: built-ins first, then CRD groups by name.
    order: Vec<String>,
}

impl Registry {
    pub fn with_builtins() -> Self {
        let mut r = Self::default();
        for x in BUILTINS {
            r.insert(builtin_info(x));
        }
        r
    }

    pub fn insert(&mut self, info: ResourceInfo) {
        if !self.order.contains(&info.group) {
            self.order.push(info.group.clone());
        }
        self.groups
            .entry(info.group.clone())
            .or_default()
            .entry(info.version.clone())
            .or_default()
            .insert(info.plural.clone(), Arc::new(info));
    }

    /// Removes every version of `plural.group`.
    pub fn remove(&mut self, group: &str, plural: &str) {
        if let Some(versions) = self.groups.get_mut(group) {
            for resources in versions.values_mut() {
                resources.remove(plural);
            }
            versions.retain(|_, r| !r.is_empty());
            if versions.is_empty() {
                self.groups.remove(group);
                self.order.retain(|g| g != group);
            }
        }
    }

    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceInfo>> {
        self.groups.get(group)?.get(version)?.get(plural).cloned()
    }

    /// A served version of the resource stored as `id`, preferring the storage owner itself
    /// (used for garbage collection and namespace cleanup).
    pub fn any_version(&self, id: &str) -> Option<Arc<ResourceInfo>> {
        self.all().filter(|r| r.id() == id).min_by_key(|r| r.storage.is_some())
    }

    /// The resource whose storage `info` uses (itself for most kinds).
    pub fn storage_of(&self, info: &Arc<ResourceInfo>) -> Arc<ResourceInfo> {
        match &info.storage {
            Some((g, v, p)) => self.get(g, v, p).unwrap_or_else(|| info.clone()),
            None => info.clone(),
        }
    }

    pub fn resources(&self, group: &str, version: &str) -> Option<Vec<Arc<ResourceInfo>>> {
        Some(self.groups.get(group)?.get(version)?.values().cloned().collect())
    }

    /// Groups (without the core group) in discovery order with their versions, preferred first.
    pub fn api_groups(&self) -> Vec<(String, Vec<String>)> {
        self.order
            .iter()
            .filter(|g| !g.is_empty())
            .filter_map(|g| {
                let versions = self.groups.get(g)?;
                let mut list: Vec<String> = versions.keys().cloned().collect();
                list.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
                Some((g.clone(), list))
            })
            .collect()
    }

    pub fn all(&self) -> impl Iterator<Item = Arc<ResourceInfo>> + '_ {
        self.groups.values().flat_map(|v| v.values()).flat_map(|r| r.values()).cloned()
    }
}

/// Kubernetes version priority: GA > beta > alpha, higher numbers first.
fn version_priority(v: &str) -> (u8, u32, u32) {
    let Some(rest) = v.strip_prefix('v') else { return (0, 0, 0) };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major: u32 = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (level, minor) = if tail.is_empty() {
        (3, 0)
    } else if let Some(n) = tail.strip_prefix("beta") {
        (2, n.parse().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (1, n.parse().unwrap_or(0))
    } else {
        (0, 0)
    };
    (level, major, minor)
}

/// Reads a dotted path (`.spec.replicas`) from an object.
pub fn lookup<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    path.trim_start_matches('.').split('.').filter(|s| !s.is_empty()).try_fold(obj, |v, key| v.get(key))
}

/// Writes a dotted path, creating objects on the way.
pub fn set_path(obj: &mut Value, path: &str, value: Value) {
    let keys: Vec<&str> = path.trim_start_matches('.').split('.').filter(|s| !s.is_empty()).collect();
    let mut cur = obj;
    for (i, key) in keys.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(serde_json::Map::new());
        }
        let Some(map) = cur.as_object_mut() else { return };
        if i + 1 == keys.len() {
            map.insert((*key).to_owned(), value);
            return;
        }
        cur = map.entry((*key).to_owned()).or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
}
