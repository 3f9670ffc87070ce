//! Our generated CRDs accept everything the upstream Flagger and Flux CRDs accept, with the
//! same names, scope, subresources and printer columns.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{Finding, compare, crd_schema, load_docs, shared_dir};
use serde_json::{Value, json};

fn upstream_crds() -> Vec<Value> {
    let dir = shared_dir().join("conformance");
    let mut crds = load_docs(&dir.join("flagger/crd.yaml"));
    crds.extend(load_docs(&dir.join("flux/gitrepositories.yaml")));
    crds.extend(load_docs(&dir.join("flux/kustomizations.yaml")));
    for f in [
        "helmrepositories",
        "helmcharts",
        "helmreleases",
        "ocirepositories",
        "imagerepositories",
        "imagepolicies",
        "imageupdateautomations",
    ] {
        crds.extend(load_docs(&dir.join(format!("flux/{f}.yaml"))));
    }
    for f in ["providers", "alerts", "receivers"] {
        crds.extend(load_docs(&dir.join(format!("flux/{f}.yaml"))));
    }
    crds
}

fn ours() -> Vec<Value> {
    let crds = glidepath_api::crdgen::all().into_iter().chain(glidepath_api::crdgen::unserved());
    crds.map(|c| serde_json::to_value(&c).unwrap()).collect()
}

/// The upstream version that corresponds to ours (Flux files carry older versions too).
fn version<'a>(crd: &'a Value, name: &str) -> &'a Value {
    crd["spec"]["versions"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap()
}

fn findings(upstream: &Value, ours: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    compare(upstream, ours, "", &mut out);
    out
}

#[test]
fn every_upstream_crd_has_a_counterpart_with_the_same_shape() {
    let ours = ours();
    let upstream = upstream_crds();
    assert_eq!(upstream.len(), 15, "three Flagger and twelve Flux CRDs upstream");
    let mut problems = Vec::new();
    for up in &upstream {
        let name = up["metadata"]["name"].as_str().unwrap();
        let mine = ours.iter().find(|c| c["metadata"]["name"] == name).unwrap_or_else(|| panic!("no CRD {name}"));
        let my_version = &mine["spec"]["versions"][0];
        let ver = my_version["name"].as_str().unwrap();
        let up_version = version(up, ver);
        assert_eq!(up["spec"]["group"], mine["spec"]["group"], "{name} group");
        assert_eq!(up["spec"]["scope"], mine["spec"]["scope"], "{name} scope");
        for key in ["kind", "plural", "singular", "listKind", "shortNames"] {
            let (u, m) = (&up["spec"]["names"][key], &mine["spec"]["names"][key]);
            // listKind is implied (<Kind>List) when absent.
            if !(key == "listKind" && m.is_null()) {
                assert_eq!(u, m, "{name} names.{key}");
            }
        }
        assert_eq!(up["spec"]["names"]["categories"], mine["spec"]["names"]["categories"], "{name} categories");
        assert!(my_version["served"].as_bool().unwrap() && my_version["storage"].as_bool().unwrap());
        assert_eq!(
            up_version["subresources"].get("status").is_some(),
            my_version["subresources"].get("status").is_some(),
            "{name} status subresource"
        );
        let cols = |v: &Value| -> Vec<(Value, Value, Value, Value)> {
            v["additionalPrinterColumns"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| (c["name"].clone(), c["jsonPath"].clone(), c["type"].clone(), c["priority"].clone()))
                .collect()
        };
        let strip_zero = |mut v: Vec<(Value, Value, Value, Value)>| {
            v.iter_mut().for_each(|c| {
                if c.3 == json!(0) {
                    c.3 = Value::Null
                }
            });
            v
        };
        assert_eq!(strip_zero(cols(up_version)), strip_zero(cols(my_version)), "{name} printer columns");
        for f in findings(&up_version["schema"]["openAPIV3Schema"], &my_version["schema"]["openAPIV3Schema"]) {
            problems.push(format!("{name}: {}: {}", f.path, f.problem));
        }
    }
    assert!(problems.is_empty(), "schema incompatibilities:\n{}", problems.join("\n"));
}

/// The walker itself must catch a missing field, a retyped field, a narrowed enum, an added
/// pattern and an added required field: break our Canary schema on purpose and look.
#[test]
fn a_deliberately_broken_schema_is_caught() {
    let upstream = upstream_crds().into_iter().find(|c| c["metadata"]["name"] == "canaries.flagger.app").unwrap();
    let up = &version(&upstream, "v1beta1")["schema"]["openAPIV3Schema"];
    let mut mine = ours().into_iter().find(|c| c["metadata"]["name"] == "canaries.flagger.app").unwrap();
    assert!(findings(up, crd_schema(&mine)).is_empty(), "baseline must be clean");

    let schema = mine["spec"]["versions"][0]["schema"]["openAPIV3Schema"].as_object_mut().unwrap();
    let spec = &mut schema["properties"]["spec"]["properties"];
    spec["analysis"]["properties"].as_object_mut().unwrap().remove("interval");
    spec["service"]["properties"]["port"]["type"] = json!("string");
    spec["targetRef"]["properties"]["kind"]["enum"] = json!(["Deployment"]);
    spec["metricsServer"]["pattern"] = json!("^https://");
    spec["service"]["required"] = json!(["port", "name"]);
    let broken = mine["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();

    let mut got: Vec<String> = findings(up, &broken).into_iter().map(|f| f.path).collect();
    got.sort();
    assert_eq!(
        got,
        ["spec.analysis.interval", "spec.metricsServer", "spec.service", "spec.service.port", "spec.targetRef.kind"]
    );
}

#[test]
fn exceptions_are_few_and_explained() {
    assert!(common::EXCEPTIONS.len() <= 8, "keep deliberate exceptions rare");
    assert!(common::EXCEPTIONS.iter().all(|(_, _, why)| why.len() > 5));
}
