//! New Relic: `GET /v1/accounts/<id>/query?nrql=… SINCE <interval> seconds ago` with `X-Query-Key`.

use std::time::Duration;

use glidepath_analysis::AnalysisError;
use glidepath_analysis::provider::{ProviderOptions, new_provider};

use crate::mock::{Mock, assert_http_errors, assert_no_secret};
use crate::{build, interval, secret, spec};

const KEY: &str = "NRIQ-s3cret";

fn keys() -> std::collections::BTreeMap<String, String> {
    secret(&[("newrelic_account_id", "1234567"), ("newrelic_query_key", KEY)])
}

const PATH: &str = "/v1/accounts/1234567/query";

#[tokio::test]
async fn newrelic_query_appends_since_and_reads_result() {
    let mock = Mock::start().await;
    mock.json(PATH, r#"{"results":[{"result":2.25}],"metadata":{"eventTypes":["Metric"]}}"#);
    let p = build(&spec("newrelic", &mock.address), &keys(), &interval(60));
    let q = "SELECT filter(sum(nginx_ingress_controller_requests), WHERE status >= '500')\n  / sum(nginx_ingress_controller_requests) * 100 FROM Metric WHERE metricName = 'nginx_ingress_controller_requests'";
    assert_eq!(p.query(q).await.unwrap(), 2.25);
    let r = mock.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", PATH));
    let nrql = r.param("nrql").unwrap();
    assert!(
        nrql.starts_with("SELECT filter(sum(nginx_ingress_controller_requests), WHERE status >= '500') / sum("),
        "{nrql}"
    );
    assert!(nrql.ends_with(" SINCE 60 seconds ago"), "{nrql}");
    assert_eq!(r.header("x-query-key"), Some(KEY));
    // A single aggregate is named after its function.
    mock.json(PATH, r#"{"results":[{"count":42}]}"#);
    assert_eq!(p.query("SELECT count(*) FROM Transaction").await.unwrap(), 42.0);
}

#[tokio::test]
async fn newrelic_no_values_and_multiple_results() {
    let mock = Mock::start().await;
    let p = build(&spec("newrelic", &mock.address), &keys(), &ProviderOptions::default());
    for body in [r#"{"results":[]}"#, r#"{"results":[{"result":null}]}"#, r#"{"results":[{}]}"#] {
        mock.json(PATH, body);
        assert!(matches!(p.query("q").await, Err(AnalysisError::QueryNoValues { .. })), "{body}");
    }
    for body in [r#"{"results":[{"result":1},{"result":2}]}"#, r#"{"results":[{"min":1,"max":2}]}"#] {
        mock.json(PATH, body);
        assert!(matches!(p.query("q").await, Err(AnalysisError::QueryMultipleValues { .. })), "{body}");
    }
    mock.json(PATH, r#"{"results":[{"result":"x"}]}"#);
    assert!(matches!(p.query("q").await, Err(AnalysisError::QueryParseResponse { .. })));
}

#[tokio::test]
async fn newrelic_http_errors_hide_the_key() {
    let mock = Mock::start().await;
    let p = build(&spec("newrelic", &mock.address), &keys(), &ProviderOptions::default());
    assert_http_errors(&mock, PATH, &[KEY], || p.query("q")).await;
}

#[tokio::test]
async fn newrelic_is_online_runs_a_trivial_query() {
    let mock = Mock::start().await;
    let p = build(&spec("newrelic", &mock.address), &keys(), &interval(30));
    mock.json(PATH, r#"{"results":[{"events":[]}]}"#);
    assert!(p.is_online().await.unwrap());
    assert_eq!(mock.last().param("nrql"), Some("SELECT * FROM Metric SINCE 30 seconds ago"));
    mock.answer(PATH, 403, "application/json", r#"{"error":"invalid key"}"#);
    assert!(p.is_online().await.is_err());
    let err = p.samples("q", Duration::from_secs(60), Duration::from_secs(5)).await.unwrap_err();
    assert!(matches!(err, AnalysisError::SamplesUnsupported { .. }));
}

#[test]
fn newrelic_requires_account_and_key() {
    for missing in ["newrelic_account_id", "newrelic_query_key"] {
        let mut s = keys();
        s.remove(missing);
        let err =
            new_provider(&spec("newrelic", "http://127.0.0.1:1"), Some(&s), &ProviderOptions::default()).unwrap_err();
        assert!(matches!(err, AnalysisError::CreateProviderMissingSecretKey { key, .. } if key == missing), "{err}");
        assert_no_secret(&err, &[KEY]);
    }
}
