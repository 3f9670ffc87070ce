//! The single table of strategic-merge list strategies for built-in Kubernetes kinds.
//!
//! Rules are keyed by the field path (object field names joined by `.`, list indices omitted).
//! Pod-spec rules are written once relative to the pod spec and mounted under every workload
//! kind's pod template path, so `Deployment` `spec.template.spec.containers` and `Pod`
//! `spec.containers` resolve to the same rule.

/// How a list field is combined with a patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStrategy {
    /// A list of objects merged element-wise by the named key field.
    MergeByKey(&'static str),
    /// A set of scalars: union, original order first.
    MergePrimitives,
    /// The patch list replaces the original (atomic list).
    Replace,
}

use ListStrategy::{MergeByKey, MergePrimitives, Replace};

/// Rules for one container (under `containers`, `initContainers`, `ephemeralContainers`).
const CONTAINER: &[(&str, ListStrategy)] = &[
    ("ports", MergeByKey("containerPort")),
    ("env", MergeByKey("name")),
    ("envFrom", Replace),
    ("volumeMounts", MergeByKey("mountPath")),
    ("volumeDevices", MergeByKey("devicePath")),
    ("resizePolicy", Replace),
    ("args", Replace),
    ("command", Replace),
];

/// Container list fields of a pod spec.
const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// Rules relative to a pod spec.
const POD_SPEC: &[(&str, ListStrategy)] = &[
    ("volumes", MergeByKey("name")),
    ("imagePullSecrets", MergeByKey("name")),
    ("hostAliases", MergeByKey("ip")),
    ("tolerations", Replace),
    ("topologySpreadConstraints", MergeByKey("topologyKey")),
    ("resourceClaims", MergeByKey("name")),
    ("schedulingGates", MergeByKey("name")),
    ("readinessGates", Replace),
    ("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms", Replace),
];

/// Where each workload kind keeps its pod spec.
const POD_SPEC_PATHS: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("PodTemplate", "template.spec"),
    ("Deployment", "spec.template.spec"),
    ("ReplicaSet", "spec.template.spec"),
    ("ReplicationController", "spec.template.spec"),
    ("StatefulSet", "spec.template.spec"),
    ("DaemonSet", "spec.template.spec"),
    ("Job", "spec.template.spec"),
    ("CronJob", "spec.jobTemplate.spec.template.spec"),
];

/// Kind-specific rules outside the pod spec; `*` applies to every kind.
const KIND_RULES: &[(&str, &str, ListStrategy)] = &[
    ("*", "metadata.finalizers", MergePrimitives),
    ("*", "metadata.ownerReferences", MergeByKey("uid")),
    ("*", "status.conditions", MergeByKey("type")),
    ("Service", "spec.ports", MergeByKey("port")),
    ("ServiceAccount", "secrets", MergeByKey("name")),
    ("ValidatingWebhookConfiguration", "webhooks", MergeByKey("name")),
    ("MutatingWebhookConfiguration", "webhooks", MergeByKey("name")),
    ("StatefulSet", "spec.volumeClaimTemplates", Replace),
    ("Endpoints", "subsets", Replace),
    ("Role", "rules", Replace),
    ("ClusterRole", "rules", Replace),
    ("RoleBinding", "subjects", Replace),
    ("ClusterRoleBinding", "subjects", Replace),
];

/// Built-in kinds: they have a schema, so their lists without a rule here are atomic (replaced)
/// and kustomize does not infer a `name` merge key for them.
const BUILTIN_KINDS: &[&str] = &[
    "Pod",
    "PodTemplate",
    "Deployment",
    "ReplicaSet",
    "ReplicationController",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Service",
    "ServiceAccount",
    "ConfigMap",
    "Secret",
    "Namespace",
    "Endpoints",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Ingress",
    "NetworkPolicy",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "StorageClass",
    "CustomResourceDefinition",
    "LimitRange",
    "ResourceQuota",
    "Node",
    "EndpointSlice",
    "Event",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "PriorityClass",
    "RuntimeClass",
    "Lease",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "IngressClass",
    "PodSecurityPolicy",
    "CertificateSigningRequest",
];

/// Where list strategies come from: the built-in table, or a custom schema layered over it.
pub trait Schema {
    /// The strategy of the list at `path` (field names, no indices) in an object of `kind`; `None`
    /// means the list is atomic (replaced).
    fn list_strategy(&self, kind: &str, path: &[&str]) -> Option<ListStrategy>;
}

/// The built-in Kubernetes table of this module.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinSchema;

impl Schema for BuiltinSchema {
    fn list_strategy(&self, kind: &str, path: &[&str]) -> Option<ListStrategy> {
        list_strategy(kind, path)
    }
}

/// Returns true when `kind` is a built-in kind described by this table.
pub fn is_builtin_kind(kind: &str) -> bool {
    BUILTIN_KINDS.contains(&kind)
}

/// Looks up the list strategy of the field at `path` (field names, no indices) in an object of `kind`.
///
/// `None` means the table has no rule: Kubernetes replaces such lists; kustomize additionally
/// merges lists whose elements all carry a `name`.
pub fn list_strategy(kind: &str, path: &[&str]) -> Option<ListStrategy> {
    let joined = path.join(".");
    for (rule_kind, rule_path, strategy) in KIND_RULES {
        if (*rule_kind == "*" || *rule_kind == kind) && *rule_path == joined {
            return Some(*strategy);
        }
    }
    let (_, prefix) = POD_SPEC_PATHS.iter().find(|(k, _)| *k == kind)?;
    let rest = joined.strip_prefix(prefix)?.strip_prefix('.')?;
    pod_spec_strategy(rest)
}

fn pod_spec_strategy(rest: &str) -> Option<ListStrategy> {
    if let Some((_, strategy)) = POD_SPEC.iter().find(|(p, _)| *p == rest) {
        return Some(*strategy);
    }
    for list in CONTAINER_LISTS {
        if rest == *list {
            return Some(MergeByKey("name"));
        }
        if let Some(field) = rest.strip_prefix(list).and_then(|r| r.strip_prefix('.')) {
            return CONTAINER.iter().find(|(p, _)| *p == field).map(|(_, s)| *s);
        }
    }
    None
}

/// Rules of a built-in type, relative to it, keyed by the last segment of its OpenAPI definition
/// name (`PodTemplateSpec`, `PodSpec`, `Container`, ...). Custom schemas that `$ref` built-in
/// definitions they do not include use this.
pub fn type_rules(type_name: &str) -> Vec<(String, ListStrategy)> {
    let short = type_name.rsplit('.').next().unwrap_or(type_name);
    let container = || CONTAINER.iter().map(|(p, s)| ((*p).to_string(), *s)).collect::<Vec<_>>();
    let pod_spec = || {
        let mut v: Vec<(String, ListStrategy)> = POD_SPEC.iter().map(|(p, s)| ((*p).to_string(), *s)).collect();
        for list in CONTAINER_LISTS {
            v.push(((*list).to_string(), MergeByKey("name")));
            v.extend(container().into_iter().map(|(p, s)| (format!("{list}.{p}"), s)));
        }
        v
    };
    match short {
        "Container" | "EphemeralContainer" => container(),
        "PodSpec" => pod_spec(),
        "PodTemplateSpec" => pod_spec().into_iter().map(|(p, s)| (format!("spec.{p}"), s)).collect(),
        "ObjectMeta" => vec![("finalizers".into(), MergePrimitives), ("ownerReferences".into(), MergeByKey("uid"))],
        _ => Vec::new(),
    }
}

/// Fields whose object values carry `$retainKeys` semantics in Kubernetes (informational).
pub const RETAIN_KEYS_FIELDS: &[&str] = &["spec.strategy", "spec.template.spec.volumes"];
