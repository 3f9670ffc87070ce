//! Graphite: `GET /render?<query>&format=json` with basic auth; the last non-null datapoint.

use std::time::Duration;

use glidepath_analysis::AnalysisError;
use glidepath_analysis::provider::{ProviderOptions, new_provider};

use crate::mock::{Mock, assert_http_errors};
use crate::{build, secret, spec};

const PASSWORD: &str = "graphite-s3cret";

fn creds() -> std::collections::BTreeMap<String, String> {
    secret(&[("username", "admin"), ("password", PASSWORD)])
}

#[tokio::test]
async fn graphite_renders_json_with_basic_auth_and_reads_the_last_point() {
    let mock = Mock::start().await;
    mock.json(
        "/graphite/render",
        r#"[{"target":"errors","tags":{},"datapoints":[[1.0,1700000000],[2.5,1700000060],[null,1700000120]]}]"#,
    );
    // An address path prefix is kept.
    let p = build(&spec("graphite", &format!("{}/graphite/", mock.address)), &creds(), &ProviderOptions::default());
    let q = "target=summarize(\n  asPercent(errors.{{x}}, requests), '1min', 'avg')&from=-2min";
    assert_eq!(p.query(q).await.unwrap(), 2.5);
    let r = mock.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/graphite/render"));
    assert_eq!(r.param("target"), Some("summarize( asPercent(errors.{{x}}, requests), '1min', 'avg')"));
    assert_eq!(r.param("from"), Some("-2min"));
    assert_eq!(r.param("format"), Some("json"));
    // base64("admin:graphite-s3cret")
    assert_eq!(r.header("authorization"), Some("Basic YWRtaW46Z3JhcGhpdGUtczNjcmV0"));
    // Values may come as strings.
    mock.json("/graphite/render", r#"[{"target":"t","datapoints":[["7.5",1]]}]"#);
    assert_eq!(p.query("target=t").await.unwrap(), 7.5);
}

#[tokio::test]
async fn graphite_no_values_and_multiple_targets() {
    let mock = Mock::start().await;
    let p = build(&spec("graphite", &mock.address), &creds(), &ProviderOptions::default());
    for body in ["[]", r#"[{"target":"t","datapoints":[]}]"#, r#"[{"target":"t","datapoints":[[null,1],[null,2]]}]"#] {
        mock.json("/render", body);
        assert!(matches!(p.query("target=t").await, Err(AnalysisError::QueryNoValues { .. })), "{body}");
    }
    mock.json("/render", r#"[{"target":"a","datapoints":[[1,1]]},{"target":"b","datapoints":[[2,1]]}]"#);
    assert!(matches!(p.query("target=*").await, Err(AnalysisError::QueryMultipleValues { .. })));
    mock.json("/render", r#"[{"target":"a","datapoints":[[true,1]]}]"#);
    assert!(matches!(p.query("target=a").await, Err(AnalysisError::QueryParseResponse { .. })));
}

#[tokio::test]
async fn graphite_http_errors_hide_the_password() {
    let mock = Mock::start().await;
    let p = build(&spec("graphite", &mock.address), &creds(), &ProviderOptions::default());
    assert_http_errors(&mock, "/render", &[PASSWORD, "YWRtaW46Z3JhcGhpdGUtczNjcmV0"], || p.query("target=t")).await;
}

#[tokio::test]
async fn graphite_is_online_accepts_no_values_and_samples_override_the_range() {
    let mock = Mock::start().await;
    // Without a Secret there is no Authorization header.
    let p = new_provider(&spec("graphite", &mock.address), None, &ProviderOptions::default()).unwrap();
    mock.json("/render", "[]");
    assert!(p.is_online().await.unwrap());
    let r = mock.last();
    assert_eq!(r.param("target"), Some("test"));
    assert_eq!(r.header("authorization"), None);
    mock.answer("/render", 500, "text/plain", "boom");
    assert!(p.is_online().await.is_err());

    mock.json("/render", r#"[{"target":"t","datapoints":[[1,1],[null,2],[3,3]]}]"#);
    let samples = p.samples("target=t&from=-1min&until=now", Duration::from_secs(300), Duration::from_secs(10)).await;
    assert_eq!(samples.unwrap(), vec![1.0, 3.0]);
    let r = mock.last();
    assert_eq!(r.param("from"), Some("-300s"));
    assert_eq!(r.param("until"), None);
}

#[test]
fn graphite_secret_needs_username_and_password() {
    let only_user = secret(&[("username", "admin")]);
    let err = new_provider(&spec("graphite", "http://127.0.0.1:1"), Some(&only_user), &ProviderOptions::default());
    assert!(matches!(err, Err(AnalysisError::CreateProviderMissingSecretKey { key: "password", .. })));
    let no_address = glidepath_api::flagger::MetricProvider { r#type: "graphite".into(), ..Default::default() };
    let err = new_provider(&no_address, None, &ProviderOptions::default());
    assert!(matches!(err, Err(AnalysisError::CreateProviderMissingAddress { .. })));
}
