//! The CustomResourceDefinitions generated from the Rust types: the single source of `crds/`.
//!
//! Use [`all`] rather than `Kind::crd()`: it also corrects what schemars derives on its own.
//! schemars turns every `#[serde(default)]` into a schema `default` (`type: ""`, `status: ""`),
//! which an API server would then write into objects. The wire types use `serde(default)` only
//! to stay lenient when reading, so those defaults are dropped, and the defaults the upstream
//! CRDs really declare are set from [`DECLARED_DEFAULTS`].

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSON, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use kube::CustomResourceExt;
use serde_json::{Value, json};

use crate::flagger::{AlertProvider, Canary, MetricTemplate};
use crate::flux::notification::{Alert, Provider, Receiver};
use crate::flux::{
    GitRepository, HelmChart, HelmRelease, HelmRepository, ImagePolicy, ImageRepository, ImageUpdateAutomation,
    Kustomization, OCIRepository,
};

/// Schema defaults, as the upstream CRDs declare them: (CRD plural, field path, value).
/// A path names properties separated by `.`; `[]` steps into array items.
pub fn declared_defaults() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("canaries", "spec.analysis.sessionAffinity.maxAge", json!(86400)),
        ("canaries", "spec.service.gatewayRefs[].group", json!("gateway.networking.k8s.io")),
        ("canaries", "spec.service.gatewayRefs[].kind", json!("Gateway")),
        ("canaries", "spec.service.mirror[].backendRef.group", json!("")),
        ("canaries", "spec.service.mirror[].backendRef.kind", json!("Service")),
        ("gitrepositories", "spec.timeout", json!("60s")),
        ("gitrepositories", "spec.verify.mode", json!("HEAD")),
        ("gitrepositories", "status", json!({"observedGeneration": -1})),
        ("helmcharts", "spec.reconcileStrategy", json!("ChartVersion")),
        ("helmcharts", "spec.verify.provider", json!("cosign")),
        ("helmcharts", "spec.version", json!("*")),
        ("helmcharts", "status", json!({"observedGeneration": -1})),
        ("helmreleases", "spec.chart.spec.reconcileStrategy", json!("ChartVersion")),
        ("helmreleases", "spec.chart.spec.verify.provider", json!("cosign")),
        ("helmreleases", "spec.chart.spec.version", json!("*")),
        ("helmreleases", "spec.uninstall.deletionPropagation", json!("background")),
        ("helmreleases", "status", json!({"observedGeneration": -1})),
        ("helmrepositories", "spec.provider", json!("generic")),
        ("helmrepositories", "status", json!({"observedGeneration": -1})),
        ("imagepolicies", "spec.digestReflectionPolicy", json!("Never")),
        ("imagepolicies", "spec.policy.alphabetical.order", json!("asc")),
        ("imagepolicies", "spec.policy.numerical.order", json!("asc")),
        ("imagepolicies", "status", json!({"observedGeneration": -1})),
        ("imagerepositories", "spec.exclusionList", json!(["^.*\\.sig$"])),
        ("imagerepositories", "spec.provider", json!("generic")),
        ("imagerepositories", "status", json!({"observedGeneration": -1})),
        ("imageupdateautomations", "spec.sourceRef.kind", json!("GitRepository")),
        ("imageupdateautomations", "spec.update", json!({"strategy": "Setters"})),
        ("imageupdateautomations", "spec.update.strategy", json!("Setters")),
        ("imageupdateautomations", "status", json!({"observedGeneration": -1})),
        ("kustomizations", "spec.force", json!(false)),
        ("kustomizations", "spec.postBuild.substituteFrom[].optional", json!(false)),
        ("kustomizations", "status", json!({"observedGeneration": -1})),
        ("ocirepositories", "spec.provider", json!("generic")),
        ("ocirepositories", "spec.timeout", json!("60s")),
        ("ocirepositories", "spec.verify.provider", json!("cosign")),
        ("ocirepositories", "status", json!({"observedGeneration": -1})),
    ]
}

/// Every CRD Glidepath serves, in a stable order.
pub fn all() -> Vec<CustomResourceDefinition> {
    finish(vec![
        Canary::crd(),
        MetricTemplate::crd(),
        AlertProvider::crd(),
        GitRepository::crd(),
        OCIRepository::crd(),
        Kustomization::crd(),
        HelmRepository::crd(),
        HelmChart::crd(),
        HelmRelease::crd(),
        ImageRepository::crd(),
        ImagePolicy::crd(),
        ImageUpdateAutomation::crd(),
        Provider::crd(),
        Alert::crd(),
        Receiver::crd(),
    ])
}

/// CRDs whose types exist and are checked against upstream, but whose controllers have not
/// landed: not installed, so no object of theirs is accepted and then ignored. None today;
/// kept so the next kind's types can land before its controller.
pub fn unserved() -> Vec<CustomResourceDefinition> {
    finish(Vec::new())
}

fn finish(mut crds: Vec<CustomResourceDefinition>) -> Vec<CustomResourceDefinition> {
    let defaults = declared_defaults();
    for crd in &mut crds {
        let plural = crd.spec.names.plural.clone();
        for version in &mut crd.spec.versions {
            let Some(schema) = version.schema.as_mut().and_then(|v| v.open_api_v3_schema.as_mut()) else {
                continue;
            };
            strip_defaults(schema);
            object_root(schema, &crd.spec.names.kind, &plural);
            for (_, path, value) in defaults.iter().filter(|(p, _, _)| *p == plural) {
                if let Some(node) = lookup_mut(schema, path) {
                    node.default = Some(JSON(value.clone()));
                }
            }
        }
    }
    crds
}

const API_VERSION_DOC: &str = "APIVersion defines the versioned schema of this representation of an object.\n\
Servers should convert recognized schemas to the latest internal value, and\n\
may reject unrecognized values.\n\
More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";

const KIND_DOC: &str = "Kind is a string value representing the REST resource this object represents.\n\
Servers may infer this from the endpoint the client submits requests to.\n\
Cannot be updated.\n\
In CamelCase.\n\
More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// The object's root as controller-gen writes it (`kubectl explain <kind>.apiVersion` reads
/// it): `apiVersion`, `kind` and `metadata` declared, and the kind's own description in place of
/// kube-derive's "Auto-generated derived type" line.
fn object_root(schema: &mut JSONSchemaProps, kind: &str, plural: &str) {
    let flagger = matches!(plural, "canaries" | "metrictemplates" | "alertproviders");
    schema.description = Some(if flagger {
        format!("{kind} is the Schema for the {kind} API.")
    } else {
        format!("{kind} is the Schema for the {plural} API.")
    });
    let string = |doc: &str| JSONSchemaProps {
        description: Some(doc.to_owned()),
        type_: Some("string".into()),
        ..JSONSchemaProps::default()
    };
    let props = schema.properties.get_or_insert_with(Default::default);
    props.insert("apiVersion".into(), string(API_VERSION_DOC));
    props.insert("kind".into(), string(KIND_DOC));
    props.insert("metadata".into(), JSONSchemaProps { type_: Some("object".into()), ..JSONSchemaProps::default() });
}

fn strip_defaults(schema: &mut JSONSchemaProps) {
    schema.default = None;
    for child in schema.properties.iter_mut().flat_map(|p| p.values_mut()) {
        strip_defaults(child);
    }
    if let Some(JSONSchemaPropsOrArray::Schema(items)) = schema.items.as_mut() {
        strip_defaults(items);
    }
    if let Some(JSONSchemaPropsOrBool::Schema(extra)) = schema.additional_properties.as_mut() {
        strip_defaults(extra);
    }
}

/// The schema node at `path` (see [`declared_defaults`]).
pub fn lookup_mut<'a>(mut schema: &'a mut JSONSchemaProps, path: &str) -> Option<&'a mut JSONSchemaProps> {
    for part in path.split('.') {
        let (name, into_items) = match part.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (part, false),
        };
        schema = schema.properties.as_mut()?.get_mut(name)?;
        if into_items {
            match schema.items.as_mut()? {
                JSONSchemaPropsOrArray::Schema(s) => {
                    schema = s;
                }
                JSONSchemaPropsOrArray::Schemas(_) => {
                    return None;
                }
            }
        }
    }
    Some(schema)
}

/// The file a CRD is committed under in `crds/`: `<group>_<plural>.yaml`, as controller-gen
/// names them.
pub fn file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_root_declares_api_version_kind_and_metadata() {
        for crd in all() {
            let schema = crd.spec.versions[0].schema.as_ref().unwrap().open_api_v3_schema.as_ref().unwrap();
            let props = schema.properties.as_ref().unwrap();
            for field in ["apiVersion", "kind", "metadata"] {
                assert!(props.contains_key(field), "{}: no {field}", crd.spec.names.plural);
            }
            assert!(schema.description.as_deref().unwrap().starts_with(&crd.spec.names.kind));
        }
    }

    #[test]
    fn every_declared_default_lands_on_a_field() {
        let crds: Vec<_> = all().into_iter().chain(unserved()).collect();
        for (plural, path, value) in declared_defaults() {
            let mut crd = crds.iter().find(|c| c.spec.names.plural == plural).cloned().expect(plural);
            let schema = crd.spec.versions[0].schema.as_mut().unwrap().open_api_v3_schema.as_mut().unwrap();
            let node = lookup_mut(schema, path).unwrap_or_else(|| panic!("{plural}: no field {path}"));
            assert_eq!(node.default.as_ref().map(|d| &d.0), Some(&value), "{plural} {path}");
        }
    }

    #[test]
    fn no_other_defaults_are_generated() {
        fn count(s: &JSONSchemaProps) -> usize {
            usize::from(s.default.is_some())
                + s.properties.iter().flat_map(|p| p.values()).map(count).sum::<usize>()
                + match &s.items {
                    Some(JSONSchemaPropsOrArray::Schema(i)) => count(i),
                    _ => 0,
                }
        }
        let total: usize = all()
            .iter()
            .chain(&unserved())
            .map(|c| count(c.spec.versions[0].schema.as_ref().unwrap().open_api_v3_schema.as_ref().unwrap()))
            .sum();
        assert_eq!(total, declared_defaults().len());
    }
}
