#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The HTTP metric providers against loopback servers that check the documented request shape
//! (path, parameters, headers, body) and answer as each vendor's API does.

mod cloudwatch;
mod datadog;
mod dynatrace;
mod graphite;
mod influxdb;
mod mock;
mod newrelic;
mod splunk;
mod stackdriver;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use glidepath_analysis::AnalysisError;
use glidepath_analysis::provider::{MetricProvider, ProviderOptions, SUPPORTED_TYPES, new_provider};
use glidepath_api::flagger::MetricProvider as ProviderSpec;

/// A decoded Secret from pairs.
pub fn secret(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// `spec.provider` of `kind` at `address`.
pub fn spec(kind: &str, address: &str) -> ProviderSpec {
    ProviderSpec { r#type: kind.into(), address: Some(address.into()), ..Default::default() }
}

/// Options with a metric interval of `secs`.
pub fn interval(secs: u64) -> ProviderOptions {
    ProviderOptions { interval: Some(Duration::from_secs(secs)), ..Default::default() }
}

/// Build `kind` through the public factory.
pub fn build(
    spec: &ProviderSpec,
    secret: &BTreeMap<String, String>,
    options: &ProviderOptions,
) -> Box<dyn MetricProvider> {
    new_provider(spec, Some(secret), options).unwrap_or_else(|e| panic!("{}: {e}", spec.r#type))
}

/// A Secret with every key any provider reads; Stackdriver's token endpoint is at `address`.
fn every_key(address: &str) -> BTreeMap<String, String> {
    let service_account_key = stackdriver::service_account_key(&format!("{address}/token"));
    secret(&[
        ("datadog_api_key", "k"),
        ("datadog_application_key", "a"),
        ("newrelic_account_id", "1"),
        ("newrelic_query_key", "q"),
        ("username", "u"),
        ("password", "p"),
        ("token", "t"),
        ("org", "o"),
        ("dynatrace_token", "d"),
        ("sf_token_key", "s"),
        ("aws_access_key_id", "AKID"),
        ("aws_secret_access_key", "SECRET"),
        ("region", "us-east-1"),
        ("project", "test-project"),
        ("serviceAccountKey", &service_account_key),
    ])
}

#[test]
fn every_supported_type_builds_and_the_others_are_refused() {
    for kind in SUPPORTED_TYPES {
        let p = build(&spec(kind, "http://127.0.0.1:1"), &every_key("http://127.0.0.1:1"), &ProviderOptions::default());
        assert_eq!(p.name(), *kind);
    }
    for kind in ["keptn", "externalmetrics", "prometheus2"] {
        assert!(!SUPPORTED_TYPES.contains(&kind));
        let keys = every_key("http://127.0.0.1:1");
        let err = new_provider(&spec(kind, "http://127.0.0.1:1"), Some(&keys), &ProviderOptions::default());
        assert!(matches!(err, Err(AnalysisError::CreateProviderUnknownType { .. })), "{kind}");
    }
}

#[tokio::test]
async fn every_supported_type_is_bounded_by_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accept and never answer.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let options = ProviderOptions { timeout: Some(Duration::from_millis(300)), ..Default::default() };
    for kind in SUPPORTED_TYPES {
        // Stackdriver's token endpoint is the silent server too.
        let address = format!("http://{addr}");
        let p = build(&spec(kind, &address), &every_key(&address), &options);
        let start = Instant::now();
        let query = if *kind == "cloudwatch" { "[]" } else { "q" };
        let err = p.query(query).await.unwrap_err();
        assert!(matches!(err, AnalysisError::Query { .. }), "{kind}: {err:?}");
        assert!(start.elapsed() < Duration::from_secs(3), "{kind}");
        assert!(p.is_online().await.is_err(), "{kind}");
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_query_error_without_the_address() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("http://user:pw-s3cret@127.0.0.1:{port}");
    // Prometheus' errors come from prometheus-http-query; its URL handling is tested elsewhere.
    for kind in SUPPORTED_TYPES.iter().filter(|k| **k != "prometheus") {
        let p = build(&spec(kind, &address), &every_key(&address), &ProviderOptions::default());
        let query = if *kind == "cloudwatch" { "[]" } else { "q" };
        let err = p.query(query).await.unwrap_err();
        assert!(matches!(err, AnalysisError::Query { .. }), "{kind}: {err:?}");
        mock::assert_no_secret(&err, &["pw-s3cret"]);
    }
}
