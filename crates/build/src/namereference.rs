//! Name-reference rewriting: after prefixes, suffixes and hashes change names, every field that
//! refers to a renamed object (kustomize's `nameReference` config) is updated.

use std::collections::HashMap;

use serde_json::Value;

use crate::fieldspec::visit;
use crate::resource::{Resource, is_namespaced};

/// One referral: objects of `target` kind are referred to from `path` in `referrer` kinds.
#[derive(Debug, Clone)]
pub(crate) struct NameRef {
    pub target: String,
    pub referrer: String,
    pub path: String,
}

const POD_KINDS: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("Deployment", "spec/template/spec"),
    ("ReplicaSet", "spec/template/spec"),
    ("DaemonSet", "spec/template/spec"),
    ("StatefulSet", "spec/template/spec"),
    ("Job", "spec/template/spec"),
    ("CronJob", "spec/jobTemplate/spec/template/spec"),
    ("ReplicationController", "spec/template/spec"),
];

const CONFIGMAP_IN_POD: &[&str] = &[
    "volumes/configMap/name",
    "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name",
    "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name",
    "volumes/projected/sources/configMap/name",
];

const SECRET_IN_POD: &[&str] = &[
    "volumes/secret/secretName",
    "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name",
    "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name",
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
];

const OTHER: &[(&str, &str, &str)] = &[
    ("Deployment", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"),
    ("ReplicationController", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"),
    ("ReplicaSet", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"),
    ("StatefulSet", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"),
    ("ConfigMap", "Node", "spec/configSource/configMap"),
    ("ConfigMap", "Role", "rules/resourceNames"),
    ("ConfigMap", "ClusterRole", "rules/resourceNames"),
    ("ConfigMap", "Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap"),
    ("Secret", "Ingress", "spec/tls/secretName"),
    ("Secret", "Ingress", "metadata/annotations/ingress.kubernetes.io\\/auth-secret"),
    ("Secret", "Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret"),
    ("Secret", "Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"),
    ("Secret", "ServiceAccount", "imagePullSecrets/name"),
    ("Secret", "StorageClass", "parameters/secretName"),
    ("Secret", "StorageClass", "parameters/adminSecretName"),
    ("Secret", "StorageClass", "parameters/userSecretName"),
    ("Secret", "StorageClass", "parameters/secretRef"),
    ("Secret", "Role", "rules/resourceNames"),
    ("Secret", "ClusterRole", "rules/resourceNames"),
    ("Secret", "PersistentVolume", "spec/azureFile/secretName"),
    ("Service", "StatefulSet", "spec/serviceName"),
    ("Service", "Ingress", "spec/rules/http/paths/backend/serviceName"),
    ("Service", "Ingress", "spec/backend/serviceName"),
    ("Service", "Ingress", "spec/rules/http/paths/backend/service/name"),
    ("Service", "Ingress", "spec/defaultBackend/service/name"),
    ("Service", "APIService", "spec/service/name"),
    ("Service", "ValidatingWebhookConfiguration", "webhooks/clientConfig/service"),
    ("Service", "MutatingWebhookConfiguration", "webhooks/clientConfig/service"),
    ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "spec/policyName"),
    ("Role", "RoleBinding", "roleRef/name"),
    ("ClusterRole", "RoleBinding", "roleRef/name"),
    ("ClusterRole", "ClusterRoleBinding", "roleRef/name"),
    ("ServiceAccount", "RoleBinding", "subjects"),
    ("ServiceAccount", "ClusterRoleBinding", "subjects"),
    ("PersistentVolume", "PersistentVolumeClaim", "spec/volumeName"),
    ("PersistentVolume", "ClusterRole", "rules/resourceNames"),
    ("StorageClass", "PersistentVolume", "spec/storageClassName"),
    ("StorageClass", "PersistentVolumeClaim", "spec/storageClassName"),
    ("StorageClass", "StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName"),
    ("IngressClass", "Ingress", "spec/ingressClassName"),
];

/// kustomize's builtin name-reference table.
pub(crate) fn builtin() -> Vec<NameRef> {
    let mut v = Vec::new();
    let mut push = |target: &str, referrer: &str, path: String| {
        v.push(NameRef { target: target.into(), referrer: referrer.into(), path });
    };
    for (kind, prefix) in POD_KINDS {
        if *kind != "ReplicationController" {
            for p in CONFIGMAP_IN_POD {
                push("ConfigMap", kind, format!("{prefix}/{p}"));
            }
            for p in SECRET_IN_POD {
                push("Secret", kind, format!("{prefix}/{p}"));
            }
        }
        push("ServiceAccount", kind, format!("{prefix}/serviceAccountName"));
        push("PersistentVolumeClaim", kind, format!("{prefix}/volumes/persistentVolumeClaim/claimName"));
        push("PriorityClass", kind, format!("{prefix}/priorityClassName"));
    }
    for (target, referrer, path) in OTHER {
        push(target, referrer, (*path).to_string());
    }
    v
}

/// Resource indices by current kind and by every name the resource has had, in resource order.
/// Name-reference rewriting changes neither kinds nor names, so one index serves a whole `fix`.
struct ByKindAndName(HashMap<String, HashMap<String, Vec<usize>>>);

impl ByKindAndName {
    fn new(resources: &[Resource]) -> Self {
        let mut map: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
        for (i, r) in resources.iter().enumerate() {
            let by_name = map.entry(r.kind().to_string()).or_default();
            for (_, name) in &r.history {
                let list = by_name.entry(name.clone()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        ByKindAndName(map)
    }

    fn get(&self, kind: &str, name: &str) -> &[usize] {
        self.0.get(kind).and_then(|m| m.get(name)).map_or(&[], Vec::as_slice)
    }
}

/// The resources and their index.
struct All<'a> {
    resources: &'a [Resource],
    index: &'a ByKindAndName,
}

/// Is candidate `c` in namespace `ns` now or before (or cluster-scoped)? "" and "default" are
/// the same namespace.
fn same_ns(c: &Resource, ns: &str) -> bool {
    let effective = |n: &str| if n.is_empty() { "default".to_string() } else { n.to_string() };
    !is_namespaced(c) || c.history.iter().any(|(n, _)| effective(n) == effective(ns))
}

/// The namespace rule for a `{name, namespace}` reference (subjects, webhook services): an
/// explicit namespace must be one the candidate has or had, compared with the candidate's
/// effective namespace (so `namespace: ""` matches nothing); without one, ServiceAccounts pass
/// from any namespace (a binding may name another namespace's account), as does everything for a
/// cluster-scoped referrer.
fn object_ref_matches(c: &Resource, referrer: &Resource, ns: Option<&str>, cluster_referrer: bool) -> bool {
    let effective = |n: &str| if n.is_empty() { "default".to_string() } else { n.to_string() };
    match ns {
        Some(want) => !is_namespaced(c) || c.history.iter().any(|(n, _)| effective(n) == want),
        None => cluster_referrer || c.kind() == "ServiceAccount" || same_ns(c, referrer.namespace()),
    }
}

/// kustomize's `getNamespacesForRoleBinding`, run for every namespaced referrer: a ServiceAccount
/// subject whose `namespace` is present but not a string (`namespace:` left empty) is an error.
fn check_subject_namespaces(r: &Resource) -> Result<(), String> {
    if !is_namespaced(r) {
        return Ok(());
    }
    let subjects = r.obj.get("subjects").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let blank = subjects.iter().any(|s| {
        s.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
            && s.get("namespace").is_some_and(|ns| !ns.is_string())
    });
    if !blank {
        return Ok(());
    }
    let file = match &r.origin {
        Some(crate::resource::Origin::File(f)) => format!(" (from {})", f.display()),
        _ => String::new(),
    };
    Err(format!("Invalid Input: namespace is blank for a ServiceAccount subject of {}{file}", r.id()))
}

/// Picks the referenced candidate for `old` among `resources` of the rule's target kind.
fn find_candidate(
    all: &All<'_>,
    referrer: &Resource,
    rule: &NameRef,
    old: &str,
    ns: Option<&str>,
    object_ref: bool,
) -> Result<Option<usize>, String> {
    let resources = all.resources;
    let mut found: Vec<usize> = all.index.get(&rule.target, old).to_vec();
    if found.is_empty() {
        return Ok(None);
    }
    let cluster_referrer = !is_namespaced(referrer);
    if object_ref {
        found.retain(|&i| object_ref_matches(&resources[i], referrer, ns, cluster_referrer));
        if found.is_empty() {
            return Ok(None);
        }
    } else if !cluster_referrer {
        let same: Vec<usize> =
            found.iter().copied().filter(|&i| same_ns(&resources[i], referrer.namespace())).collect();
        if same.is_empty() {
            return Ok(None);
        }
        found = same;
    }
    if found.len() > 1 {
        for allow_empty in [true, false] {
            if found.len() > 1 {
                let sieved: Vec<usize> =
                    found.iter().copied().filter(|&i| affixes_match(&resources[i], referrer, allow_empty)).collect();
                if !sieved.is_empty() {
                    found = sieved;
                }
            }
        }
    }
    if found.len() > 1 {
        let first = &resources[found[0]];
        let same = |i: usize| {
            resources[i].name() == first.name() && (!object_ref || resources[i].namespace() == first.namespace())
        };
        if found.iter().all(|&i| same(i)) {
            return Ok(Some(found[0]));
        }
        // Prefer the candidates that were actually renamed or moved.
        let changed: Vec<usize> = found
            .iter()
            .copied()
            .filter(|&i| resources[i].name() != old || ns.is_some_and(|n| resources[i].namespace() != n))
            .collect();
        if changed.len() == 1 {
            return Ok(changed.first().copied());
        }
    }
    if found.len() > 1 {
        let ids: Vec<String> = found.iter().map(|&i| resources[i].id()).collect();
        return Err(format!(
            "{} refers to {old:?} in {}: found multiple possible referrals: {}",
            referrer.id(),
            rule.path,
            ids.join(", ")
        ));
    }
    Ok(found.first().copied())
}

/// kustomize's `SameEndingSubSlice`: the shorter slice is the tail of the longer; an empty slice
/// only matches an empty one.
fn same_ending(a: &[String], b: &[String]) -> bool {
    if a.is_empty() || b.is_empty() {
        return a.is_empty() && b.is_empty();
    }
    let n = a.len().min(b.len());
    a[a.len() - n..] == b[b.len() - n..]
}

/// kustomize's `PrefixesSuffixesEquals`.
fn affixes_match(c: &Resource, r: &Resource, allow_empty: bool) -> bool {
    let prefix_ok =
        (allow_empty && (c.prefixes.is_empty() || r.prefixes.is_empty())) || same_ending(&c.prefixes, &r.prefixes);
    let suffix_ok =
        (allow_empty && (c.suffixes.is_empty() || r.suffixes.is_empty())) || same_ending(&c.suffixes, &r.suffixes);
    prefix_ok && suffix_ok
}

/// Rewrites every reference in `resources` to the referred object's current name.
pub(crate) fn fix(resources: &mut [Resource], rules: &[NameRef]) -> Result<(), String> {
    for r in resources.iter() {
        if rules.iter().any(|rule| rule.referrer == r.kind()) {
            check_subject_namespaces(r)?;
        }
    }
    let index = ByKindAndName::new(resources);
    for idx in 0..resources.len() {
        let snapshot = resources[idx].clone();
        let mut obj = snapshot.obj.clone();
        for rule in rules.iter().filter(|r| r.referrer == snapshot.kind()) {
            let role_kind = obj.pointer("/roleRef/kind").and_then(Value::as_str).unwrap_or_default();
            if rule.path == "roleRef/name" && role_kind != rule.target {
                continue;
            }
            let path = crate::fieldspec::split_path(&rule.path);
            let all = All { resources, index: &index };
            let mut failure = None;
            visit(&mut obj, &path, false, &mut |v| {
                if let Err(e) = rewrite(&all, &snapshot, rule, v) {
                    failure.get_or_insert(e);
                }
            });
            if let Some(e) = failure {
                return Err(e);
            }
        }
        resources[idx].obj = obj;
    }
    Ok(())
}

fn rewrite(all: &All<'_>, referrer: &Resource, rule: &NameRef, v: &mut Value) -> Result<(), String> {
    match v {
        Value::String(old) => {
            if let Some(i) = find_candidate(all, referrer, rule, old, None, false)? {
                *old = all.resources[i].name().to_string();
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite(all, referrer, rule, item)?;
            }
        }
        Value::Object(m) => {
            // subjects / webhook service: {kind?, name, namespace?}
            if m.get("kind").and_then(Value::as_str).is_some_and(|k| k != rule.target) {
                return Ok(());
            }
            let Some(old) = m.get("name").and_then(Value::as_str).map(str::to_string) else { return Ok(()) };
            let ns = m.get("namespace").and_then(Value::as_str).map(str::to_string);
            if let Some(i) = find_candidate(all, referrer, rule, &old, ns.as_deref(), true)? {
                let target = &all.resources[i];
                m.insert("name".into(), Value::String(target.name().into()));
                if !target.namespace().is_empty() && is_namespaced(target) {
                    m.insert("namespace".into(), Value::String(target.namespace().into()));
                }
            }
        }
        _ => {}
    }
    Ok(())
}
