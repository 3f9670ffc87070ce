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
use crate::flux::{GitRepository, Kustomization};

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
        ("kustomizations", "spec.force", json!(false)),
        ("kustomizations", "spec.postBuild.substituteFrom[].optional", json!(false)),
        ("kustomizations", "status", json!({"observedGeneration": -1})),
    ]
}

/// Every CRD Glidepath serves, in a stable order.
pub fn all() -> Vec<CustomResourceDefinition> {
    let mut crds =
        vec![Canary::crd(), MetricTemplate::crd(), AlertProvider::crd(), GitRepository::crd(), Kustomization::crd()];
    let defaults = declared_defaults();
    for crd in &mut crds {
        let plural = crd.spec.names.plural.clone();
        for version in &mut crd.spec.versions {
            let Some(schema) = version.schema.as_mut().and_then(|v| v.open_api_v3_schema.as_mut()) else {
                continue;
            };
            strip_defaults(schema);
            for (_, path, value) in defaults.iter().filter(|(p, _, _)| *p == plural) {
                if let Some(node) = lookup_mut(schema, path) {
                    node.default = Some(JSON(value.clone()));
                }
            }
        }
    }
    crds
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
    fn every_declared_default_lands_on_a_field() {
        let crds = all();
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
            .map(|c| count(c.spec.versions[0].schema.as_ref().unwrap().open_api_v3_schema.as_ref().unwrap()))
            .sum();
        assert_eq!(total, declared_defaults().len());
    }
}
