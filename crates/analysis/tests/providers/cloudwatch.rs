//! CloudWatch: `GetMetricData` over AWS JSON 1.0 (`POST /`, `X-Amz-Target`), SigV4-signed.

use std::time::Duration;

use glidepath_analysis::AnalysisError;
use glidepath_analysis::provider::{ProviderOptions, new_provider};
use glidepath_api::flagger::MetricProvider as ProviderSpec;

use crate::mock::{Mock, assert_http_errors, assert_no_secret};
use crate::{build, interval, secret, spec};

const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYs3cret";
const SESSION: &str = "session-s3cret";

fn creds() -> std::collections::BTreeMap<String, String> {
    secret(&[("aws_access_key_id", "AKIDEXAMPLE"), ("aws_secret_access_key", SECRET_KEY)])
}

fn cw_spec(address: &str) -> ProviderSpec {
    ProviderSpec { region: Some("eu-west-1".into()), ..spec("cloudwatch", address) }
}

const QUERY: &str = r#"[
  {"Id": "e1", "Expression": "m1 / m2 * 100", "Label": "ErrorRate"},
  {"id": "m1", "metricStat": {"metric": {"namespace": "App", "metricName": "Errors",
    "dimensions": [{"name": "app", "value": "podinfo.test"}]}, "period": 60, "stat": "Sum"}, "returnData": false}
]"#;

fn results(values: &[&str]) -> String {
    let results: Vec<String> = values
        .iter()
        .map(|v| format!(r#"{{"Id":"e1","Label":"ErrorRate","Timestamps":[1700000060,1700000000],"Values":{v},"StatusCode":"Complete"}}"#))
        .collect();
    format!(r#"{{"MetricDataResults":[{}],"Messages":[]}}"#, results.join(","))
}

#[tokio::test]
async fn cloudwatch_signs_get_metric_data_and_reads_the_newest_value() {
    let mock = Mock::start().await;
    mock.answer("/", 200, "application/x-amz-json-1.0", &results(&["[0.5,0.2]"]));
    let p = build(&cw_spec(&mock.address), &creds(), &interval(60));
    assert_eq!(p.query(QUERY).await.unwrap(), 0.5);
    let r = mock.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
    assert_eq!(r.header("x-amz-target"), Some("GraniteServiceVersion20100801.GetMetricData"));
    let date = r.header("x-amz-date").unwrap().to_owned();
    assert!(date.len() == 16 && date.ends_with('Z') && date.as_bytes()[8] == b'T', "{date}");
    let auth = r.header("authorization").unwrap();
    let prefix = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/eu-west-1/monitoring/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=",
        &date[..8]
    );
    let signature = auth.strip_prefix(&prefix).unwrap_or_else(|| panic!("{auth}"));
    assert!(signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit()), "{signature}");
    assert_eq!(r.header("x-amz-security-token"), None);

    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["EndTime"].as_u64().unwrap() - body["StartTime"].as_u64().unwrap(), 600, "10 x 1m");
    assert_eq!(body["MaxDatapoints"], 20);
    let queries = &body["MetricDataQueries"];
    assert_eq!(queries[0]["Expression"], "m1 / m2 * 100");
    // Go's case-insensitive field names are capitalised for the JSON protocol.
    assert_eq!(queries[1]["MetricStat"]["Metric"]["Dimensions"][0]["Value"], "podinfo.test");
    assert_eq!(queries[1]["ReturnData"], false);
}

#[tokio::test]
async fn cloudwatch_session_token_is_signed_and_sent() {
    let mock = Mock::start().await;
    mock.answer("/", 200, "application/x-amz-json-1.0", &results(&["[1.0]"]));
    let mut s = creds();
    s.insert("aws_session_token".into(), SESSION.into());
    let p = build(&cw_spec(&mock.address), &s, &ProviderOptions::default());
    assert_eq!(p.query(QUERY).await.unwrap(), 1.0);
    let r = mock.last();
    assert_eq!(r.header("x-amz-security-token"), Some(SESSION));
    assert!(
        r.header("authorization")
            .unwrap()
            .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target")
    );
}

#[tokio::test]
async fn cloudwatch_no_values_multiple_results_and_bad_queries() {
    let mock = Mock::start().await;
    let p = build(&cw_spec(&mock.address), &creds(), &ProviderOptions::default());
    for body in [r#"{"MetricDataResults":[],"Messages":[]}"#.to_owned(), results(&["[]"])] {
        mock.answer("/", 200, "application/x-amz-json-1.0", &body);
        assert!(matches!(p.query(QUERY).await, Err(AnalysisError::QueryNoValues { .. })), "{body}");
    }
    mock.answer("/", 200, "application/x-amz-json-1.0", &results(&["[1.0]", "[2.0]"]));
    assert!(matches!(p.query(QUERY).await, Err(AnalysisError::QueryMultipleValues { .. })));
    let before = mock.requests().len();
    let err = p.query("{not a list").await.unwrap_err();
    assert!(matches!(err, AnalysisError::ParseQuery { .. }), "{err:?}");
    assert_eq!(mock.requests().len(), before, "nothing is sent for an invalid query");
}

#[tokio::test]
async fn cloudwatch_http_errors_hide_the_secret_key() {
    let mock = Mock::start().await;
    let mut s = creds();
    s.insert("aws_session_token".into(), SESSION.into());
    let p = build(&cw_spec(&mock.address), &s, &ProviderOptions::default());
    assert_http_errors(&mock, "/", &[SECRET_KEY, SESSION], || p.query(QUERY)).await;
}

#[tokio::test]
async fn cloudwatch_is_online_expects_a_validation_error() {
    let mock = Mock::start().await;
    let p = build(&cw_spec(&mock.address), &creds(), &ProviderOptions::default());
    let invalid = r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"The parameter MetricDataQueries is required."}"#;
    mock.answer("/", 400, "application/x-amz-json-1.0", invalid);
    assert!(p.is_online().await.unwrap());
    let body: serde_json::Value = serde_json::from_str(&mock.last().body).unwrap();
    assert_eq!(body["MetricDataQueries"], serde_json::json!([]));
    mock.answer("/", 403, "application/x-amz-json-1.0", r#"{"__type":"AccessDeniedException","message":"no"}"#);
    let err = p.is_online().await.unwrap_err();
    assert!(matches!(err, AnalysisError::QueryHttpStatus { status: 403, .. }), "{err:?}");

    mock.answer("/", 200, "application/x-amz-json-1.0", &results(&["[3.0,2.0,1.0]"]));
    let samples = p.samples(QUERY, Duration::from_secs(1200), Duration::from_secs(60)).await.unwrap();
    assert_eq!(samples, vec![3.0, 2.0, 1.0]);
    let body: serde_json::Value = serde_json::from_str(&mock.last().body).unwrap();
    assert_eq!(body["EndTime"].as_u64().unwrap() - body["StartTime"].as_u64().unwrap(), 1200);
}

#[test]
fn cloudwatch_needs_a_region_and_credentials() {
    let no_region = spec("cloudwatch", "http://127.0.0.1:1");
    let err = new_provider(&no_region, Some(&creds()), &ProviderOptions::default()).unwrap_err();
    assert!(matches!(err, AnalysisError::CreateProviderMissingRegion { .. }), "{err}");
    // The region in a regional endpoint, or in the Secret, is enough.
    let regional = spec("cloudwatch", "https://monitoring.us-west-2.amazonaws.com");
    assert!(new_provider(&regional, Some(&creds()), &ProviderOptions::default()).is_ok());
    let mut with_region = creds();
    with_region.insert("region".into(), "us-east-1".into());
    assert!(new_provider(&no_region, Some(&with_region), &ProviderOptions::default()).is_ok());
    // Without Secret keys the environment is the fallback; only assert when it has none.
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        let only_id = secret(&[("aws_access_key_id", "AKIDEXAMPLE")]);
        let err =
            new_provider(&cw_spec("http://127.0.0.1:1"), Some(&only_id), &ProviderOptions::default()).unwrap_err();
        assert!(matches!(err, AnalysisError::CreateProviderMissingCredentials { .. }), "{err}");
        assert_no_secret(&err, &["AKIDEXAMPLE"]);
    }
}
