//! Dynatrace: `GET /api/v2/metrics/query?metricSelector=…&resolution=Inf&from=…&to=…` (ms) with
//! `Authorization: Api-Token …`.

use std::time::Duration;

use glidepath_analysis::AnalysisError;
use glidepath_analysis::provider::{ProviderOptions, new_provider};

use crate::mock::{Mock, assert_http_errors};
use crate::{build, interval, secret, spec};

const TOKEN: &str = "dt0c01.s3cret";
const PATH: &str = "/api/v2/metrics/query";

fn creds() -> std::collections::BTreeMap<String, String> {
    secret(&[("dynatrace_token", TOKEN)])
}

fn answer(data: &str) -> String {
    format!(
        r#"{{"totalCount":1,"nextPageKey":null,"resolution":"Inf","result":[{{"metricId":"builtin:service.response.time:avg","dataPointCountRatio":0.1,"dimensionCountRatio":0.1,"data":[{data}]}}]}}"#
    )
}

#[tokio::test]
async fn dynatrace_queries_the_window_in_milliseconds_with_the_api_token() {
    let mock = Mock::start().await;
    // An address path prefix (Dynatrace Managed: `/e/<environment>`) is kept.
    let data = r#"{"dimensions":[],"dimensionMap":{},"timestamps":[1700000000000],"values":[123.4]}"#;
    mock.json("/e/abc/api/v2/metrics/query", &answer(data));
    let p = build(&spec("dynatrace", &format!("{}/e/abc/", mock.address)), &creds(), &interval(60));
    let q = "builtin:service.response.time:filter(eq(\"dt.entity.service\",\"SERVICE-1\"))\n  :avg";
    assert_eq!(p.query(q).await.unwrap(), 123.4);
    let r = mock.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/e/abc/api/v2/metrics/query"));
    assert_eq!(
        r.param("metricSelector"),
        Some("builtin:service.response.time:filter(eq(\"dt.entity.service\",\"SERVICE-1\")) :avg")
    );
    assert_eq!(r.param("resolution"), Some("Inf"));
    assert_eq!(r.number("to") - r.number("from"), 600_000, "10 x 1m in ms");
    assert_eq!(r.header("authorization"), Some("Api-Token dt0c01.s3cret"));
}

#[tokio::test]
async fn dynatrace_no_values_and_multiple_series() {
    let mock = Mock::start().await;
    let p = build(&spec("dynatrace", &mock.address), &creds(), &ProviderOptions::default());
    for body in [r#"{"result":[]}"#.to_owned(), answer(""), answer(r#"{"timestamps":[1],"values":[null]}"#)] {
        mock.json(PATH, &body);
        assert!(matches!(p.query("m").await, Err(AnalysisError::QueryNoValues { .. })), "{body}");
    }
    mock.json(PATH, &answer(r#"{"values":[1.0]},{"values":[2.0]}"#));
    assert!(matches!(p.query("m").await, Err(AnalysisError::QueryMultipleValues { .. })));
}

#[tokio::test]
async fn dynatrace_http_errors_hide_the_token() {
    let mock = Mock::start().await;
    let p = build(&spec("dynatrace", &mock.address), &creds(), &ProviderOptions::default());
    assert_http_errors(&mock, PATH, &[TOKEN], || p.query("m")).await;
}

#[tokio::test]
async fn dynatrace_is_online_lists_one_metric_and_samples_use_a_resolution() {
    let mock = Mock::start().await;
    let p = build(&spec("dynatrace", &mock.address), &creds(), &ProviderOptions::default());
    mock.json("/api/v2/metrics", r#"{"totalCount":1,"metrics":[{"metricId":"m"}]}"#);
    assert!(p.is_online().await.unwrap());
    let r = mock.last();
    assert_eq!((r.path.as_str(), r.param("pageSize")), ("/api/v2/metrics", Some("1")));
    assert_eq!(r.header("authorization"), Some("Api-Token dt0c01.s3cret"));
    mock.answer("/api/v2/metrics", 401, "application/json", r#"{"error":{"code":401}}"#);
    assert!(p.is_online().await.is_err());

    mock.json(PATH, &answer(r#"{"timestamps":[1,2,3],"values":[1.0,null,3.0]}"#));
    let samples = p.samples("m", Duration::from_secs(600), Duration::from_secs(120)).await.unwrap();
    assert_eq!(samples, vec![1.0, 3.0]);
    assert_eq!(mock.last().param("resolution"), Some("2m"));
}

#[test]
fn dynatrace_requires_address_and_token() {
    let err = new_provider(&spec("dynatrace", "http://127.0.0.1:1"), Some(&secret(&[])), &ProviderOptions::default());
    assert!(matches!(err, Err(AnalysisError::CreateProviderMissingSecretKey { key: "dynatrace_token", .. })));
    let no_address = glidepath_api::flagger::MetricProvider { r#type: "dynatrace".into(), ..Default::default() };
    let err = new_provider(&no_address, Some(&creds()), &ProviderOptions::default());
    assert!(matches!(err, Err(AnalysisError::CreateProviderMissingAddress { .. })));
}
