//! Real manifests (Flagger's upstream examples, our examples and metric templates) deserialise,
//! validate and survive a round trip unchanged; broken ones fail naming the field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::path::PathBuf;

use common::{load_docs, repo_dir, same_json, shared_dir, yaml_files};
use glidepath_api::flagger::{AlertProvider, Canary, MetricTemplate};
use glidepath_api::flux::{GitRepository, Kustomization};
use glidepath_api::{FieldErrorType, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Deserialise, serialise, deserialise: nothing lost, nothing added.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(doc: &Value, origin: &str) -> T {
    let typed: T = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{origin}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert!(same_json(doc, &back), "{origin}: round trip changed the object:\n{doc:#}\n---\n{back:#}");
    let again: T = serde_json::from_value(back).unwrap();
    assert_eq!(typed, again, "{origin}: second deserialisation differs");
    typed
}

fn assert_valid(v: &Validation, origin: &str) {
    assert!(v.is_valid(), "{origin}: {}", v.errors);
}

/// The `{{ ... }}` names a template uses must be ones Flagger defines.
fn assert_known_template_vars(query: &str, origin: &str) {
    let known = ["name", "namespace", "target", "service", "ingress", "route", "interval"];
    for part in query.split("{{").skip(1) {
        let var = part.split("}}").next().unwrap().trim();
        assert!(known.contains(&var) || var.starts_with("variables."), "{origin}: unknown template variable {var:?}");
    }
}

/// Check every document of every file; returns how many of each kind were seen.
fn check_files(files: &[PathBuf]) -> std::collections::BTreeMap<String, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for file in files {
        for (i, doc) in load_docs(file).iter().enumerate() {
            let origin = format!("{}#{i}", file.display());
            let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
            let group = doc["apiVersion"].as_str().unwrap_or_default().split('/').next().unwrap_or_default();
            // kustomize's own `kustomization.yaml` files share the kind name; only ours count.
            let ours = ["flagger.app", "source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io"].contains(&group);
            match if ours { kind.as_str() } else { "" } {
                "Canary" => {
                    let c: Canary = round_trip(doc, &origin);
                    assert_valid(&c.spec.validate("istio"), &origin);
                }
                "MetricTemplate" => {
                    let t: MetricTemplate = round_trip(doc, &origin);
                    assert_valid(&t.spec.validate(), &origin);
                    assert_known_template_vars(&t.spec.query, &origin);
                }
                "AlertProvider" => {
                    let a: AlertProvider = round_trip(doc, &origin);
                    assert_valid(&a.spec.validate(), &origin);
                }
                "GitRepository" => {
                    let g: GitRepository = round_trip(doc, &origin);
                    assert_valid(&g.spec.validate(), &origin);
                }
                "Kustomization" => {
                    let k: Kustomization = round_trip(doc, &origin);
                    assert_valid(&k.spec.validate(), &origin);
                }
                _ => {}
            }
            *seen.entry(kind).or_insert(0) += 1;
        }
    }
    seen
}

#[test]
fn upstream_flagger_examples_deserialise_validate_and_round_trip() {
    let files = yaml_files(&shared_dir().join("conformance/flagger/examples"));
    let seen = check_files(&files);
    assert!(seen.get("Canary").copied().unwrap_or(0) >= 5, "expected the upstream Canary examples: {seen:?}");
}

#[test]
fn our_examples_and_metric_templates_deserialise_validate_and_round_trip() {
    let mut files = yaml_files(&repo_dir().join("examples"));
    files.extend(yaml_files(&repo_dir().join("metric-templates")));
    let seen = check_files(&files);
    for kind in ["Canary", "MetricTemplate", "AlertProvider", "GitRepository", "Kustomization"] {
        assert!(seen.contains_key(kind), "no {kind} among examples and metric templates: {seen:?}");
    }
}

/// Every file in `metric-templates/` is exactly one MetricTemplate named after the file, so
/// users can `kubectl apply -f` one and reference it by that name.
#[test]
fn each_metric_template_file_is_one_template_named_after_it() {
    let files = yaml_files(&repo_dir().join("metric-templates"));
    assert!(files.len() >= 12, "{files:?}");
    for file in &files {
        let docs = load_docs(file);
        assert_eq!(docs.len(), 1, "{}: one document", file.display());
        assert_eq!(docs[0]["kind"], "MetricTemplate", "{}", file.display());
        let stem = file.file_stem().unwrap().to_str().unwrap();
        assert_eq!(docs[0]["metadata"]["name"], stem, "{}: metadata.name", file.display());
    }
    let seen = check_files(&files);
    assert_eq!(seen.get("MetricTemplate"), Some(&files.len()), "{seen:?}");
}

fn podinfo() -> Value {
    json!({
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "service": {"port": 9898},
            "analysis": {"interval": "1m", "threshold": 5, "stepWeight": 10, "maxWeight": 50}
        }
    })
}

/// A change applied to the reference Canary.
type Mutation = Box<dyn FnOnce(&mut Value)>;

/// Errors of a Canary variant, as (field, type) pairs.
fn canary_errors(mutate: impl FnOnce(&mut Value)) -> Vec<(String, FieldErrorType)> {
    let mut doc = podinfo();
    mutate(&mut doc);
    let c: Canary = serde_json::from_value(doc).unwrap();
    c.spec.validate("istio").errors.iter().map(|e| (e.field.clone(), e.kind)).collect()
}

#[test]
fn broken_canaries_fail_naming_the_field() {
    assert!(canary_errors(|_| {}).is_empty());
    let cases: Vec<(&str, Mutation, &str)> = vec![
        (
            "missing targetRef",
            Box::new(|d| drop(d["spec"].as_object_mut().unwrap().remove("targetRef"))),
            "spec.targetRef.name",
        ),
        ("iterations and stepWeight", Box::new(|d| d["spec"]["analysis"]["iterations"] = json!(5)), "spec.analysis"),
        ("interval 5x", Box::new(|d| d["spec"]["analysis"]["interval"] = json!("5x")), "spec.analysis.interval"),
        (
            "no step setting",
            Box::new(|d| drop(d["spec"]["analysis"].as_object_mut().unwrap().remove("stepWeight"))),
            "spec.analysis",
        ),
        ("unknown provider", Box::new(|d| d["spec"]["provider"] = json!("haproxy")), "spec.provider"),
        (
            "unknown target kind",
            Box::new(|d| d["spec"]["targetRef"]["kind"] = json!("StatefulSet")),
            "spec.targetRef.kind",
        ),
        ("port out of range", Box::new(|d| d["spec"]["service"]["port"] = json!(70000)), "spec.service.port"),
        (
            "gatewayapi without gatewayRefs",
            Box::new(|d| d["spec"]["provider"] = json!("gatewayapi")),
            "spec.service.gatewayRefs",
        ),
        (
            "decreasing stepWeights",
            Box::new(|d| {
                let a = d["spec"]["analysis"].as_object_mut().unwrap();
                a.remove("stepWeight");
                a.insert("stepWeights".into(), json!([20, 10]));
            }),
            "spec.analysis.stepWeights[1]",
        ),
        (
            "webhook bad type",
            Box::new(|d| {
                d["spec"]["analysis"]["webhooks"] = json!([{"name": "w", "url": "http://x/", "type": "pre-promotion"}])
            }),
            "spec.analysis.webhooks[0].type",
        ),
        (
            "webhook relative url",
            Box::new(|d| d["spec"]["analysis"]["webhooks"] = json!([{"name": "w", "url": "/hook"}])),
            "spec.analysis.webhooks[0].url",
        ),
        (
            "metric without template",
            Box::new(|d| d["spec"]["analysis"]["metrics"] = json!([{"name": "errors", "thresholdRange": {"max": 1}}])),
            "spec.analysis.metrics[0].templateRef",
        ),
        (
            "metric bad interval",
            Box::new(|d| d["spec"]["analysis"]["metrics"] = json!([{"name": "request-duration", "interval": "1h"}])),
            "spec.analysis.metrics[0].interval",
        ),
        (
            "inverted threshold range",
            Box::new(|d| {
                d["spec"]["analysis"]["metrics"] =
                    json!([{"name": "request-success-rate", "thresholdRange": {"min": 99, "max": 90}}])
            }),
            "spec.analysis.metrics[0].thresholdRange",
        ),
        (
            "same session cookies",
            Box::new(|d| {
                d["spec"]["analysis"]["sessionAffinity"] = json!({"cookieName": "c", "primaryCookieName": "c"})
            }),
            "spec.analysis.sessionAffinity.primaryCookieName",
        ),
        (
            "A/B on SMI",
            Box::new(|d| {
                d["spec"]["provider"] = json!("smi:v1alpha3");
                let a = d["spec"]["analysis"].as_object_mut().unwrap();
                a.remove("stepWeight");
                a.insert("iterations".into(), json!(10));
                a.insert("match".into(), json!([{"headers": {"x-canary": {"exact": "insider"}}}]));
            }),
            "spec.analysis.match",
        ),
        (
            "delegation with hosts",
            Box::new(|d| {
                d["spec"]["service"]["delegation"] = json!(true);
                d["spec"]["service"]["hosts"] = json!(["a.example.com"]);
            }),
            "spec.service.delegation",
        ),
        ("nginx without ingressRef", Box::new(|d| d["spec"]["provider"] = json!("nginx")), "spec.ingressRef"),
        (
            "two string matchers",
            Box::new(|d| d["spec"]["service"]["match"] = json!([{"uri": {"exact": "/", "prefix": "/"}}])),
            "spec.service.match[0].uri",
        ),
    ];
    for (name, mutate, field) in cases {
        let errors = canary_errors(mutate);
        assert!(errors.iter().any(|(f, _)| f == field), "{name}: expected an error on {field}, got {errors:?}");
    }
}

/// Flagger's Knative tutorial Canary: no `spec.service` (Knative routes by revision).
#[test]
fn knative_canaries_need_no_service_and_refuse_one() {
    let knative = |d: &mut Value| {
        d["spec"]["provider"] = json!("knative");
        d["spec"]["targetRef"] = json!({"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "podinfo"});
    };
    let errors = canary_errors(|d| {
        knative(d);
        d["spec"].as_object_mut().unwrap().remove("service");
    });
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(canary_errors(knative), [("spec.service".to_owned(), FieldErrorType::Forbidden)]);
    let errors = canary_errors(|d| {
        knative(d);
        d["spec"]["provider"] = json!("istio");
    });
    assert!(errors.iter().any(|(f, _)| f == "spec.provider"), "a Knative target needs provider knative: {errors:?}");
    let errors = canary_errors(|d| d["spec"]["provider"] = json!("knative"));
    assert!(errors.iter().any(|(f, _)| f == "spec.provider"), "provider knative needs a Knative target: {errors:?}");
}

/// A `v1` Service target (external or multi-cluster backends behind a mesh or ingress).
#[test]
fn service_targets_need_a_router_between_services() {
    let service = |d: &mut Value| {
        d["spec"]["provider"] = json!("gatewayapi:v1");
        d["spec"]["targetRef"] = json!({"apiVersion": "v1", "kind": "Service", "name": "podinfo"});
        d["spec"]["service"]["gatewayRefs"] = json!([{"name": "gw"}]);
    };
    assert!(canary_errors(service).is_empty());
    let errors = canary_errors(|d| {
        service(d);
        d["spec"]["provider"] = json!("kubernetes");
        d["spec"]["autoscalerRef"] =
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "name": "x"});
        d["spec"]["targetRef"]["apiVersion"] = json!("v2");
    });
    for field in ["spec.provider", "spec.autoscalerRef", "spec.targetRef.apiVersion"] {
        assert!(errors.iter().any(|(f, _)| f == field), "{field}: {errors:?}");
    }
}

#[test]
fn warnings_do_not_block() {
    let mut doc = podinfo();
    doc["spec"]["provider"] = json!("kubernetes");
    doc["spec"]["analysis"]["alerts"] = json!([{"name": "a", "providerRef": {"name": "slack"}}]);
    let c: Canary = serde_json::from_value(doc).unwrap();
    let v = c.spec.validate("istio");
    assert!(v.is_valid(), "{}", v.errors);
    let fields: Vec<&str> = v.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["spec.analysis.iterations", "spec.analysis.alerts[0].severity"]);
}

#[test]
fn broken_flux_objects_fail_naming_the_field() {
    let git: GitRepository = serde_json::from_value(json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "x", "namespace": "flux-system"},
        "spec": {"url": "git@github.com:org/repo.git", "interval": "1x", "ref": {"commit": "not-hex"}}
    }))
    .unwrap();
    let fields: Vec<String> = git.spec.validate().errors.iter().map(|e| e.field.clone()).collect();
    assert_eq!(fields, ["spec.url", "spec.interval", "spec.ref.commit"]);

    let ks: Kustomization = serde_json::from_value(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "x", "namespace": "flux-system"},
        "spec": {"interval": "5m", "sourceRef": {"kind": "HelmRepository", "name": "r"}, "path": "../../etc"}
    }))
    .unwrap();
    let fields: Vec<String> = ks.spec.validate().errors.iter().map(|e| e.field.clone()).collect();
    assert_eq!(fields, ["spec.sourceRef.kind", "spec.prune", "spec.path"]);
}

/// Fields the schema accepts that Glidepath does not implement yet are refused up front, each
/// named, instead of being accepted and ignored.
#[test]
fn unimplemented_kustomization_fields_are_refused_naming_each() {
    let ks: Kustomization = serde_json::from_value(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "x", "namespace": "flux-system"},
        "spec": {"interval": "5m", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "r"},
            "kubeConfig": {"secretRef": {"name": "remote"}}, "serviceAccountName": "tenant",
            "decryption": {"provider": "sops", "secretRef": {"name": "keys"}},
            "ignore": [{"paths": ["/spec/replicas"]}]}
    }))
    .unwrap();
    let errors = ks.spec.validate().errors;
    let fields: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
    assert_eq!(fields, ["spec.kubeConfig", "spec.serviceAccountName", "spec.decryption", "spec.ignore"]);
    assert!(errors.to_string().contains("spec.kubeConfig: remote clusters are not supported by Glidepath yet"));
    let empty: Kustomization = serde_json::from_value(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "x", "namespace": "flux-system"},
        "spec": {"interval": "5m", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "r"},
            "serviceAccountName": "", "ignore": []}
    }))
    .unwrap();
    assert!(empty.spec.validate().is_valid());
}

#[test]
fn status_written_by_flagger_reads_back() {
    let doc = json!({
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": podinfo()["spec"].clone(),
        "status": {
            "phase": "Progressing", "canaryWeight": 20, "failedChecks": 1, "iterations": 0,
            "lastAppliedSpec": "5c8f6b9d4", "lastPromotedSpec": "7b6d9c8f5",
            "lastTransitionTime": "2026-11-22T10:00:00Z",
            "trackedConfigs": {"configmap/podinfo-config": "1a2b3c4d5e6f7a8b"},
            "conditions": [{
                "type": "Promoted", "status": "Unknown", "reason": "Progressing",
                "message": "New revision detected, progressing canary analysis.",
                "lastUpdateTime": "2026-11-22T10:00:00Z", "lastTransitionTime": "2026-11-22T10:00:00Z"
            }]
        }
    });
    let c: Canary = round_trip(&doc, "status");
    let status = c.status.unwrap();
    assert_eq!(status.phase, glidepath_api::flagger::CanaryPhase::Progressing);
    assert_eq!(status.promoted().unwrap().reason, "Progressing");
}
