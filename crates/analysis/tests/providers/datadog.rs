//! Datadog: `GET /api/v1/query` (query, from, to) with `DD-API-KEY` / `DD-APPLICATION-KEY`.

use std::time::Duration;

use glidepath_analysis::AnalysisError;
use glidepath_analysis::provider::{ProviderOptions, new_provider};

use crate::mock::{Mock, assert_http_errors, assert_no_secret};
use crate::{build, interval, secret, spec};

const API_KEY: &str = "dd-api-s3cret";
const APP_KEY: &str = "dd-app-s3cret";

fn keys() -> std::collections::BTreeMap<String, String> {
    // Trailing newlines, as `kubectl create secret --from-file` leaves them, are trimmed.
    secret(&[("datadog_api_key", "dd-api-s3cret\n"), ("datadog_application_key", APP_KEY)])
}

#[tokio::test]
async fn datadog_query_sends_keys_and_window_and_reads_the_oldest_point() {
    let mock = Mock::start().await;
    mock.json(
        "/api/v1/query",
        r#"{"status":"ok","res_type":"time_series","series":[{"metric":"m","pointlist":[[1700000000000,null],[1700000010000,1.5],[1700000020000,2.5]]}]}"#,
    );
    let mut s = spec("datadog", &mock.address);
    s.headers = Some([("X-Tenant".to_owned(), vec!["a".to_owned()])].into());
    let p = build(&s, &keys(), &interval(30));
    let v = p.query("sum:requests.error{service:podinfo}.as_count()\n  / sum:requests{service:podinfo}").await.unwrap();
    assert_eq!(v, 1.5);
    let r = mock.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/api/v1/query"));
    assert_eq!(
        r.param("query"),
        Some("sum:requests.error{service:podinfo}.as_count() / sum:requests{service:podinfo}")
    );
    assert_eq!(r.number("to") - r.number("from"), 300, "10 x the 30s interval");
    let now = glidepath_now();
    assert!(r.number("to").abs_diff(now) <= 5, "to is now");
    assert_eq!(r.header("dd-api-key"), Some(API_KEY));
    assert_eq!(r.header("dd-application-key"), Some(APP_KEY));
    assert_eq!(r.header("x-tenant"), Some("a"));
    assert!(!format!("{p:?}").contains("s3cret"));
}

fn glidepath_now() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().into()
}

#[tokio::test]
async fn datadog_no_values_and_multiple_series() {
    let mock = Mock::start().await;
    let p = build(&spec("datadog", &mock.address), &keys(), &ProviderOptions::default());
    for body in [
        r#"{"status":"ok","series":[]}"#,
        r#"{"series":[{"pointlist":[]}]}"#,
        r#"{"series":[{"pointlist":[[1,null]]}]}"#,
    ] {
        mock.json("/api/v1/query", body);
        assert!(matches!(p.query("q").await, Err(AnalysisError::QueryNoValues { .. })), "{body}");
    }
    mock.json("/api/v1/query", r#"{"series":[{"pointlist":[[1,1.0]]},{"pointlist":[[1,2.0]]}]}"#);
    assert!(matches!(p.query("q").await, Err(AnalysisError::QueryMultipleValues { .. })));
    // A bad query is a 200 with status "error".
    mock.json("/api/v1/query", r#"{"status":"error","error":"Rule 'bad' not parsable","series":[]}"#);
    let err = p.query("bad").await.unwrap_err();
    assert!(
        matches!(err, AnalysisError::QueryParseResponse { .. }) && err.to_string().contains("not parsable"),
        "{err}"
    );
    mock.json("/api/v1/query", "not json");
    assert!(matches!(p.query("q").await, Err(AnalysisError::QueryParseResponse { .. })));
}

#[tokio::test]
async fn datadog_http_errors_hide_the_keys() {
    let mock = Mock::start().await;
    let p = build(&spec("datadog", &mock.address), &keys(), &ProviderOptions::default());
    assert_http_errors(&mock, "/api/v1/query", &[API_KEY, APP_KEY], || p.query("q")).await;
}

#[tokio::test]
async fn datadog_is_online_validates_the_keys() {
    let mock = Mock::start().await;
    let p = build(&spec("datadog", &mock.address), &keys(), &ProviderOptions::default());
    mock.json("/api/v1/validate", r#"{"valid":true}"#);
    assert!(p.is_online().await.unwrap());
    let r = mock.last();
    assert_eq!((r.path.as_str(), r.header("dd-api-key")), ("/api/v1/validate", Some(API_KEY)));
    assert_eq!(r.header("dd-application-key"), Some(APP_KEY));
    mock.answer("/api/v1/validate", 403, "application/json", r#"{"errors":["Forbidden"]}"#);
    let err = p.is_online().await.unwrap_err();
    assert!(matches!(err, AnalysisError::QueryHttpStatus { status: 403, .. }), "{err:?}");
}

#[tokio::test]
async fn datadog_samples_are_the_points_of_the_window() {
    let mock = Mock::start().await;
    let p = build(&spec("datadog", &mock.address), &keys(), &ProviderOptions::default());
    mock.json("/api/v1/query", r#"{"series":[{"pointlist":[[1,1.0],[2,null],[3,3.0]]}]}"#);
    let samples = p.samples("q", Duration::from_secs(120), Duration::from_secs(10)).await.unwrap();
    assert_eq!(samples, vec![1.0, 3.0]);
    let r = mock.last();
    assert_eq!(r.number("to") - r.number("from"), 120);
}

#[test]
fn datadog_requires_both_keys_and_defaults_the_address() {
    let no_app = secret(&[("datadog_api_key", API_KEY)]);
    let err =
        new_provider(&spec("datadog", "http://127.0.0.1:1"), Some(&no_app), &ProviderOptions::default()).unwrap_err();
    assert!(
        matches!(err, AnalysisError::CreateProviderMissingSecretKey { key: "datadog_application_key", .. }),
        "{err}"
    );
    assert_no_secret(&err, &[API_KEY]);
    assert!(new_provider(&spec("datadog", "http://127.0.0.1:1"), None, &ProviderOptions::default()).is_err());
    let mut no_address = spec("datadog", "");
    no_address.address = None;
    assert!(new_provider(&no_address, Some(&keys()), &ProviderOptions::default()).is_ok());
}
