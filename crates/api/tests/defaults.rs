//! Effective values: every default and derived setting of §1 of the Flagger reference and of
//! the Flux kinds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::Duration;

use glidepath_api::flagger::analysis::CanaryAlert;
use glidepath_api::flagger::{
    Canary, CanaryAnalysis, CanaryPhase, ConditionStatus, Provider, Severity, Strategy, WebhookType,
};
use glidepath_api::flux::validate::GitReference;
use glidepath_api::flux::{GitRepository, Kustomization};
use serde_json::{Value, json};

fn analysis(v: Value) -> CanaryAnalysis {
    serde_json::from_value(v).unwrap()
}

fn canary(spec: Value) -> Canary {
    serde_json::from_value(
        json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "metadata": {"name": "c"}, "spec": spec}),
    )
    .unwrap()
}

#[test]
fn analysis_interval_defaults_and_floor() {
    let cases = [
        (json!({}), 60),
        (json!({"interval": "1m"}), 60),
        (json!({"interval": "30s"}), 30),
        (json!({"interval": "5s"}), 10),
        (json!({"interval": "0s"}), 10),
        (json!({"interval": "5mx"}), 60),
        (json!({"interval": "2m30s"}), 150),
    ];
    for (a, secs) in cases {
        assert_eq!(analysis(a.clone()).interval(), Duration::from_secs(secs), "{a}");
    }
}

#[test]
fn threshold_at_least_one() {
    for (t, want) in [(json!(null), 1), (json!(0), 1), (json!(-3), 1), (json!(1), 1), (json!(7), 7)] {
        assert_eq!(analysis(json!({"threshold": t})).threshold(), want, "{t}");
    }
}

#[test]
fn strategy_selection() {
    let cases = [
        (json!({"stepWeight": 10}), None, Strategy::Canary),
        (json!({"stepWeights": [5, 10]}), None, Strategy::Canary),
        (json!({"iterations": 10}), None, Strategy::BlueGreen),
        (json!({"iterations": 0, "stepWeight": 5}), None, Strategy::Canary),
        (json!({"iterations": 10, "match": [{"headers": {"x": {"exact": "1"}}}]}), None, Strategy::AbTesting),
        (json!({"match": [{"headers": {"x": {"exact": "1"}}}], "stepWeight": 10}), None, Strategy::Canary),
        (json!({"stepWeight": 10}), Some(Provider::Kubernetes), Strategy::BlueGreen),
        (
            json!({"iterations": 5, "match": [{"headers": {"x": {"exact": "1"}}}]}),
            Some(Provider::Kubernetes),
            Strategy::BlueGreen,
        ),
    ];
    for (a, provider, want) in cases {
        let c = canary(json!({"analysis": a.clone()}));
        assert_eq!(c.spec.strategy(provider), want, "{a} {provider:?}");
    }
}

#[test]
fn max_weight_rules() {
    let cases = [
        (json!({"stepWeight": 10}), 100),
        (json!({"stepWeight": 10, "maxWeight": 50}), 50),
        (json!({"stepWeights": [1, 10, 60]}), 60),
        (json!({"stepWeights": [1, 10, 60], "maxWeight": 30}), 60),
        (json!({"stepWeights": [50, 150]}), 100),
        // stepWeight wins over stepWeights, so maxWeight applies.
        (json!({"stepWeight": 20, "stepWeights": [5, 10], "maxWeight": 40}), 40),
        (json!({"maxWeight": 0, "stepWeight": 10}), 100),
    ];
    for (a, want) in cases {
        assert_eq!(analysis(a.clone()).max_weight(), want, "{a}");
    }
}

#[test]
fn readiness_and_deadline_defaults() {
    let c = canary(json!({"targetRef": {"name": "podinfo"}, "analysis": {}}));
    assert_eq!(c.spec.progress_deadline(), Duration::from_secs(600));
    let a = c.spec.analysis.as_ref().unwrap();
    assert_eq!((a.primary_ready_threshold(), a.canary_ready_threshold()), (100, 100));
    let c = canary(json!({"progressDeadlineSeconds": 60, "analysis": {"primaryReadyThreshold": 50}}));
    assert_eq!(c.spec.progress_deadline(), Duration::from_secs(60));
    assert_eq!(c.spec.analysis.unwrap().primary_ready_threshold(), 50);
}

#[test]
fn names_and_skip_analysis() {
    let c = canary(json!({"targetRef": {"name": "podinfo"}, "service": {"port": 80}}));
    assert_eq!(c.spec.service_name(), "podinfo");
    assert_eq!(c.spec.primary_service_name(), "podinfo-primary");
    assert_eq!(c.spec.canary_service_name(), "podinfo-canary");
    assert_eq!(c.spec.primary_workload_name(), "podinfo-primary");
    assert!(c.spec.skip_analysis(), "no analysis means skip");
    let c = canary(json!({"targetRef": {"name": "podinfo"}, "service": {"name": "web", "port": 80}, "analysis": {}}));
    assert_eq!(c.spec.service_name(), "web");
    assert_eq!(c.spec.primary_workload_name(), "podinfo-primary");
    assert!(!c.spec.skip_analysis());
}

#[test]
fn providers_parse_and_gatewayapi_means_v1() {
    assert_eq!(Provider::parse("gatewayapi"), Some(Provider::GatewayApiV1));
    assert_eq!(Provider::parse("gatewayapi:v1"), Some(Provider::GatewayApiV1));
    assert_eq!(Provider::parse("gatewayapi:v1beta1"), Some(Provider::GatewayApiV1beta1));
    assert_eq!(Provider::parse("haproxy"), None, "unknown providers are not silently Istio");
    for name in Provider::names() {
        assert!(Provider::parse(name).is_some(), "{name}");
    }
    let c = canary(json!({}));
    assert_eq!(c.spec.effective_provider("linkerd"), Some(Provider::Linkerd));
    let c = canary(json!({"provider": "nginx"}));
    assert_eq!(c.spec.effective_provider("linkerd"), Some(Provider::Nginx));
}

#[test]
fn webhooks_and_metrics_defaults() {
    let a = analysis(json!({
        "webhooks": [{"name": "a", "url": "http://x/"}, {"name": "b", "url": "http://x/", "type": "confirm-promotion", "timeout": "30s", "retries": 3}],
        "metrics": [{"name": "m"}, {"name": "n", "interval": "5m"}]
    }));
    let w = a.webhooks();
    assert_eq!((w[0].kind(), w[0].timeout(), w[0].retries()), (Some(WebhookType::Rollout), Duration::from_secs(10), 0));
    assert_eq!(
        (w[1].kind(), w[1].timeout(), w[1].retries()),
        (Some(WebhookType::ConfirmPromotion), Duration::from_secs(30), 3)
    );
    assert_eq!(a.metrics()[0].interval(), "1m");
    assert_eq!(a.metrics()[1].interval(), "5m");
}

#[test]
fn alert_severity_filter() {
    let alert = |s: Option<&str>| CanaryAlert { severity: s.map(str::to_owned), ..Default::default() };
    let table = [
        (Some("info"), [true, true, true]),
        (Some("warn"), [false, true, true]),
        (Some("error"), [false, false, true]),
        (None, [false, false, false]),
        (Some(""), [false, false, false]),
    ];
    for (sev, want) in table {
        let got = [Severity::Info, Severity::Warn, Severity::Error].map(|s| alert(sev).accepts(s));
        assert_eq!(got, want, "{sev:?}");
    }
}

#[test]
fn promoted_condition_per_phase() {
    assert_eq!(
        CanaryPhase::Initialized.promoted_condition("Deployment"),
        (ConditionStatus::True, "Deployment initialization completed.".to_owned())
    );
    assert_eq!(CanaryPhase::Failed.promoted_condition("DaemonSet").0, ConditionStatus::False);
    assert_eq!(CanaryPhase::Progressing.status_gauge(), 0);
    assert_eq!(CanaryPhase::Failed.status_gauge(), 2);
    assert_eq!(CanaryPhase::Succeeded.status_gauge(), 1);
    for p in CanaryPhase::ALL {
        let json = serde_json::to_value(p).unwrap();
        assert_eq!(json, json!(p.as_str()));
    }
}

#[test]
fn git_reference_precedence() {
    let git = |r: Value| -> GitRepository {
        serde_json::from_value(json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "g"}, "spec": {"url": "https://x/r.git", "interval": "1m", "ref": r}}))
        .unwrap()
    };
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let cases = [
        (json!(null), GitReference::Branch("master".into())),
        (json!({}), GitReference::Branch("master".into())),
        (json!({"branch": "main"}), GitReference::Branch("main".into())),
        (json!({"branch": "main", "tag": "v1"}), GitReference::Tag("v1".into())),
        (json!({"tag": "v1", "semver": ">=1.0"}), GitReference::Semver(">=1.0".into())),
        (json!({"semver": ">=1.0", "name": "refs/pull/1/head"}), GitReference::Name("refs/pull/1/head".into())),
        (
            json!({"name": "refs/heads/x", "commit": sha, "branch": "main"}),
            GitReference::Commit { sha: sha.into(), branch: Some("main".into()) },
        ),
    ];
    for (r, want) in cases {
        assert_eq!(git(r.clone()).spec.reference(), want, "{r}");
    }
    assert_eq!(git(json!(null)).spec.timeout(), Duration::from_secs(60));
}

#[test]
fn kustomization_defaults() {
    let k: Kustomization = serde_json::from_value(json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "k"}, "spec": {"interval": "10m", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "g"}}}))
    .unwrap();
    assert_eq!(k.spec.interval(), Some(Duration::from_secs(600)));
    assert_eq!(k.spec.retry_interval(), Some(Duration::from_secs(600)));
    assert_eq!(k.spec.timeout(), Some(Duration::from_secs(600)));
    assert_eq!(k.spec.path(), "./");
    assert_eq!(k.spec.deletion_policy(), "MirrorPrune");
    assert!(k.spec.prune() && !k.spec.force() && !k.spec.wait());
}
