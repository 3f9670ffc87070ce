//! HelmRepository, HelmChart and HelmRelease: defaults, Flux's release-name rule, validation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::Duration;

use glidepath_api::field::FieldErrorType;
use glidepath_api::flux::helm_validate::{
    HelmRepositoryType, RemediationStrategy, UNSUPPORTED_HELM_RELEASE_FIELDS, retries_exhausted, shorten_release_name,
};
use glidepath_api::flux::{HelmChartSpec, HelmRelease, HelmReleaseSpec, HelmRepositorySpec};
use serde_json::{Value, json};

fn release(spec: Value) -> HelmReleaseSpec {
    serde_json::from_value(spec).unwrap()
}

fn minimal(extra: Value) -> HelmReleaseSpec {
    let mut spec = json!({
        "interval": "10m",
        "chart": {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}}
    });
    for (k, v) in extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    release(spec)
}

/// (field, kind) of every error.
fn errors(spec: &HelmReleaseSpec) -> Vec<(String, FieldErrorType)> {
    spec.validate().errors.iter().map(|e| (e.field.clone(), e.kind)).collect()
}

#[test]
fn release_name_follows_flux() {
    assert_eq!(minimal(json!({})).release_name("podinfo"), "podinfo");
    assert_eq!(minimal(json!({"targetNamespace": "apps"})).release_name("podinfo"), "apps-podinfo");
    let named = minimal(json!({"targetNamespace": "apps", "releaseName": "web"}));
    assert_eq!(named.release_name("podinfo"), "web");

    // 71 characters: the first 40, '-', and 12 hex digits of the SHA-256 of the whole name.
    let long = minimal(json!({"targetNamespace": "some-very-long-target-namespace-name"}));
    let name = long.release_name("podinfo-with-a-rather-long-release");
    assert_eq!(name, "some-very-long-target-namespace-name-pod-ac4d7ea3620b");
    assert_eq!(name.len(), 53);

    let exactly = "a".repeat(53);
    assert_eq!(shorten_release_name(&exactly), exactly);
    assert_eq!(shorten_release_name(&"a".repeat(54)).len(), 53);

    let hr: HelmRelease = serde_json::from_value(json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "podinfo", "namespace": "flux-system"},
        "spec": {"interval": "5m", "targetNamespace": "apps", "chartRef": {"kind": "OCIRepository", "name": "p"}}
    }))
    .unwrap();
    assert_eq!(hr.release_name(), "apps-podinfo");
}

#[test]
fn release_defaults() {
    let s = minimal(json!({}));
    assert_eq!(s.interval(), Some(Duration::from_secs(600)));
    assert_eq!(s.target_namespace("flux-system"), "flux-system");
    assert_eq!(s.storage_namespace("flux-system"), "flux-system");
    assert_eq!(s.timeout(), Duration::from_secs(300));
    assert_eq!(s.install_timeout(), Duration::from_secs(300));
    assert_eq!(s.uninstall_timeout(), Duration::from_secs(300));
    assert_eq!(s.max_history(), 5);
    assert!(s.persistent_client());
    assert!(!s.test_enabled());
    assert_eq!(s.install_retries(), 0);
    assert_eq!(s.upgrade_retries(), 0);
    assert!(!s.install_remediate_last_failure());
    assert!(!s.upgrade_remediate_last_failure());
    assert_eq!(s.upgrade_remediation_strategy(), RemediationStrategy::Rollback);
    assert_eq!(s.drift_detection_mode(), "disabled");
    assert_eq!(s.deletion_propagation(), "background");

    let s = minimal(json!({
        "targetNamespace": "apps", "storageNamespace": "helm", "timeout": "2m", "maxHistory": 0,
        "install": {"timeout": "10m", "remediation": {"retries": -1}},
        "upgrade": {"remediation": {"retries": 3, "strategy": "uninstall"}},
        "test": {"enable": true, "ignoreFailures": true}
    }));
    assert_eq!(s.target_namespace("flux-system"), "apps");
    assert_eq!(s.storage_namespace("flux-system"), "helm");
    assert_eq!(s.install_timeout(), Duration::from_secs(600));
    assert_eq!(s.upgrade_timeout(), Duration::from_secs(120));
    assert_eq!(s.max_history(), 0);
    assert_eq!(s.install_retries(), -1);
    // Upgrade: remediating the last failure defaults to on once retries are configured.
    assert!(s.upgrade_remediate_last_failure());
    assert!(!s.install_remediate_last_failure());
    assert_eq!(s.upgrade_remediation_strategy(), RemediationStrategy::Uninstall);
    assert!(s.install_ignore_test_failures() && s.upgrade_ignore_test_failures());

    assert!(!retries_exhausted(-1, 100));
    assert!(!retries_exhausted(3, 3));
    assert!(retries_exhausted(3, 4));
    assert!(retries_exhausted(0, 1));
}

#[test]
fn a_minimal_release_is_valid() {
    assert_eq!(errors(&minimal(json!({}))), []);
    let by_ref = release(json!({"interval": "5m", "chartRef": {"kind": "HelmChart", "name": "podinfo"}}));
    assert_eq!(errors(&by_ref), []);
    let drift_off = minimal(json!({"driftDetection": {"mode": "disabled", "ignore": [{"paths": ["/spec/replicas"]}]}}));
    assert_eq!(errors(&drift_off), []);
}

#[test]
fn unimplemented_fields_are_refused_by_name() {
    let s = minimal(json!({
        "serviceAccountName": "deployer",
        "kubeConfig": {"secretRef": {"name": "remote"}},
        "postRenderers": [{"kustomize": {"images": [{"name": "nginx", "newTag": "1"}]}}],
        "driftDetection": {"mode": "warn"},
        "chart": {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"},
                           "verify": {"provider": "cosign"}}},
        "install": {"serverSideApply": false},
        "upgrade": {"serverSideApply": "disabled", "cleanupOnFail": true, "chartNameChangeStrategy": "UninstallInstall",
                    "preserveValues": true},
        "rollback": {"serverSideApply": "disabled", "recreate": true, "cleanupOnFail": true},
        "waitStrategy": {"name": "legacy"},
        "uninstall": {"deletionPropagation": "orphan"},
        "valuesFrom": [{"kind": "Secret", "name": "v", "targetPath": "a", "literal": true}]
    }));
    // chartRef and chart are exclusive: the chartRef rule is checked on its own.
    let by_oci = release(json!({"interval": "5m", "chartRef": {"kind": "OCIRepository", "name": "podinfo"}}));
    assert!(by_oci.validate().errors.is_empty(), "charts from OCIRepositories are built");
    let external = release(json!({"interval": "5m", "chartRef": {"kind": "ExternalArtifact", "name": "podinfo"}}));
    let refused: Vec<String> = external.validate().errors.iter().map(|e| e.field.clone()).collect();
    assert_eq!(refused, ["spec.chartRef.kind"]);
    let v = s.validate();
    let forbidden: Vec<&str> =
        v.errors.iter().filter(|e| e.kind == FieldErrorType::Forbidden).map(|e| e.field.as_str()).collect();
    let expected: Vec<&str> =
        UNSUPPORTED_HELM_RELEASE_FIELDS.iter().map(|(f, _)| *f).filter(|f| *f != "spec.chartRef.kind").collect();
    assert_eq!(forbidden, expected);
    assert!(v.errors.iter().all(|e| e.message.contains("not supported by Glidepath yet")));
    assert_eq!(v.errors.iter().count(), expected.len());
}

#[test]
fn invalid_releases_are_reported() {
    let neither = release(json!({"interval": "5m"}));
    assert_eq!(errors(&neither), [("spec".to_owned(), FieldErrorType::Invalid)]);

    let s = minimal(json!({
        "interval": "soon",
        "chartRef": {"kind": "GitRepository", "name": ""},
        "releaseName": "x".repeat(54),
        "install": {"strategy": {"name": "RemediateOnFailure", "retryInterval": "1m"}},
        "upgrade": {"remediation": {"strategy": "reinstall"}},
        "valuesFrom": [{"kind": "Service", "name": "v"}],
        "driftDetection": {"mode": "sometimes"}
    }));
    let fields: Vec<String> = errors(&s).into_iter().map(|(f, _)| f).collect();
    for f in [
        "spec.interval",
        "spec",
        "spec.chartRef.kind",
        "spec.chartRef.name",
        "spec.releaseName",
        "spec.install.strategy.retryInterval",
        "spec.upgrade.remediation.strategy",
        "spec.valuesFrom[0].kind",
        "spec.driftDetection.mode",
    ] {
        assert!(fields.iter().any(|x| x == f), "no error for {f}: {fields:?}");
    }
}

#[test]
fn repository_defaults_and_validation() {
    let r: HelmRepositorySpec =
        serde_json::from_value(json!({"url": "https://stefanprodan.github.io/podinfo"})).unwrap();
    assert_eq!(r.timeout(), Duration::from_secs(60));
    assert_eq!(r.interval(), None);
    assert_eq!(r.repository_type(), HelmRepositoryType::Default);
    assert!(r.validate().is_valid());

    let oci: HelmRepositorySpec =
        serde_json::from_value(json!({"url": "oci://ghcr.io/stefanprodan/charts", "type": "oci", "interval": "5m"}))
            .unwrap();
    assert_eq!(oci.repository_type(), HelmRepositoryType::Oci);
    assert_eq!(oci.interval(), Some(Duration::from_secs(300)));
    assert!(oci.validate().is_valid());

    let mismatched: HelmRepositorySpec = serde_json::from_value(json!({"url": "oci://ghcr.io/charts"})).unwrap();
    assert!(!mismatched.validate().is_valid());
    let ssh: HelmRepositorySpec = serde_json::from_value(json!({"url": "ssh://git@example.com"})).unwrap();
    assert!(!ssh.validate().is_valid());
}

#[test]
fn chart_defaults_and_validation() {
    let c: HelmChartSpec = serde_json::from_value(json!({
        "chart": "podinfo", "interval": "1m", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}
    }))
    .unwrap();
    assert_eq!(c.version(), "*");
    assert_eq!(c.reconcile_strategy(), "ChartVersion");
    assert_eq!(c.interval(), Some(Duration::from_secs(60)));
    assert!(c.validate().is_valid());

    let bad: HelmChartSpec = serde_json::from_value(json!({
        "chart": "", "interval": "1m", "reconcileStrategy": "Always",
        "sourceRef": {"kind": "OCIRepository", "name": "podinfo"}, "verify": {"provider": "cosign"}
    }))
    .unwrap();
    let fields: Vec<String> = bad.validate().errors.iter().map(|e| e.field.clone()).collect();
    assert_eq!(fields, ["spec.chart", "spec.sourceRef.kind", "spec.reconcileStrategy", "spec.verify"]);
}

#[test]
fn a_full_release_round_trips_unchanged() {
    let doc = json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "podinfo", "namespace": "apps"},
        "spec": {
            "interval": "10m", "timeout": "3m", "maxHistory": 3, "releaseName": "web",
            "chart": {"metadata": {"labels": {"team": "a"}},
                      "spec": {"chart": "podinfo", "version": "6.x", "reconcileStrategy": "Revision",
                               "sourceRef": {"kind": "HelmRepository", "name": "podinfo", "namespace": "flux-system"},
                               "valuesFiles": ["values-prod.yaml"]}},
            "install": {"crds": "CreateReplace", "disableOpenAPIValidation": true, "skipCRDs": false,
                        "remediation": {"retries": 3}, "strategy": {"name": "RetryOnFailure", "retryInterval": "1m"}},
            "upgrade": {"cleanupOnFail": true, "serverSideApply": "auto",
                        "remediation": {"retries": 2, "remediateLastFailure": false, "strategy": "rollback"}},
            "test": {"enable": true, "filters": [{"name": "smoke", "exclude": true}]},
            "uninstall": {"keepHistory": true, "deletionPropagation": "foreground"},
            "valuesFrom": [{"kind": "ConfigMap", "name": "extra", "valuesKey": "v.yaml", "targetPath": "a.b[0]"}],
            "values": {"replicaCount": 2, "nested": {"list": [1, "two", null], "flag": true}},
            "driftDetection": {"mode": "disabled", "ignore": [{"paths": ["/spec/replicas"], "target": {"kind": "Deployment"}}]},
            "dependsOn": [{"name": "cert-manager", "namespace": "infra"}],
            "waitStrategy": {"name": "poller"}
        },
        "status": {"observedGeneration": 2, "lastAttemptedReleaseAction": "upgrade", "history": [{
            "chartName": "podinfo", "chartVersion": "6.5.0", "configDigest": "sha256:x", "digest": "sha256:y",
            "firstDeployed": "2026-01-01T00:00:00Z", "lastDeployed": "2026-01-02T00:00:00Z",
            "name": "web", "namespace": "apps", "status": "deployed", "version": 4,
            "testHooks": {"web-smoke": {"phase": "Succeeded", "lastStarted": "2026-01-02T00:00:00Z"}}
        }]}
    });
    let hr: HelmRelease = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(serde_json::to_value(&hr).unwrap(), doc);
    assert_eq!(hr.release_name(), "web");
    // Valid but for the two options of this document Glidepath does not build yet.
    let refused: Vec<String> = hr.spec.validate().errors.iter().map(|e| e.field.clone()).collect();
    assert_eq!(refused, ["spec.upgrade.cleanupOnFail", "spec.uninstall.deletionPropagation"]);
}
