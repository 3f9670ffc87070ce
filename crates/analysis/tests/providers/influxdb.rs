//! InfluxDB 2: `POST /api/v2/query?org=…` (Flux in a JSON body, annotated CSV back) with
//! `Authorization: Token …`.

use std::time::Duration;

use glidepath_analysis::AnalysisError;
use glidepath_analysis::provider::{ProviderOptions, new_provider};

use crate::mock::{Mock, assert_http_errors};
use crate::{build, secret, spec};

const TOKEN: &str = "influx-s3cret-token";
const PATH: &str = "/api/v2/query";

fn creds() -> std::collections::BTreeMap<String, String> {
    secret(&[("token", TOKEN), ("org", "my org")])
}

fn csv(values: &[&str]) -> String {
    let mut out = String::from(
        "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,double,string\r\n#group,false,false,true,true,false,true\r\n#default,_result,,,,,\r\n,result,table,_start,_stop,_value,_field\r\n",
    );
    for (i, v) in values.iter().enumerate() {
        out += &format!(",,{i},2024-01-01T00:00:00Z,2024-01-01T00:10:00Z,{v},rate\r\n");
    }
    out + "\r\n"
}

#[tokio::test]
async fn influxdb_posts_flux_with_token_and_org_and_reads_the_value() {
    let mock = Mock::start().await;
    mock.answer(PATH, 200, "text/csv; charset=utf-8", &csv(&["99.5"]));
    let p = build(&spec("influxdb", &mock.address), &creds(), &ProviderOptions::default());
    let flux = "from(bucket: \"metrics\")\n  |> range(start: -5m)\n  |> filter(fn: (r) => r._measurement == \"rate\")\n  |> mean()";
    assert_eq!(p.query(flux).await.unwrap(), 99.5);
    let r = mock.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", PATH));
    assert_eq!(r.param("org"), Some("my org"));
    assert_eq!(r.header("authorization"), Some("Token influx-s3cret-token"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("accept"), Some("application/csv"));
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["query"], flux);
    assert_eq!(body["type"], "flux");
    assert_eq!(body["dialect"]["annotations"], serde_json::json!(["datatype", "group", "default"]));
}

#[tokio::test]
async fn influxdb_no_values_multiple_records_and_flux_errors() {
    let mock = Mock::start().await;
    let p = build(&spec("influxdb", &mock.address), &creds(), &ProviderOptions::default());
    for body in [String::new(), "\r\n".into(), csv(&[""])] {
        mock.answer(PATH, 200, "text/csv", &body);
        assert!(matches!(p.query("q").await, Err(AnalysisError::QueryNoValues { .. })), "{body:?}");
    }
    mock.answer(PATH, 200, "text/csv", &csv(&["1", "2"]));
    assert!(matches!(p.query("q").await, Err(AnalysisError::QueryMultipleValues { .. })));
    mock.answer(PATH, 200, "text/csv", &csv(&["abc"]));
    assert!(matches!(p.query("q").await, Err(AnalysisError::QueryParseResponse { .. })));
    // Errors met while streaming come back in-band as an `error` table.
    mock.answer(
        PATH,
        200,
        "text/csv",
        "#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,panic: boom,897\r\n",
    );
    let err = p.query("q").await.unwrap_err();
    assert!(err.to_string().contains("panic: boom"), "{err}");
}

#[tokio::test]
async fn influxdb_http_errors_hide_the_token() {
    let mock = Mock::start().await;
    let p = build(&spec("influxdb", &mock.address), &creds(), &ProviderOptions::default());
    assert_http_errors(&mock, PATH, &[TOKEN], || p.query("q")).await;
}

#[tokio::test]
async fn influxdb_is_online_runs_flaggers_query() {
    let mock = Mock::start().await;
    let p = build(&spec("influxdb", &mock.address), &creds(), &ProviderOptions::default());
    mock.answer(PATH, 200, "text/csv", "");
    assert!(p.is_online().await.unwrap());
    let body: serde_json::Value = serde_json::from_str(&mock.last().body).unwrap();
    assert_eq!(body["query"], r#"from(bucket: "default") |> range(start: -2h)"#);
    mock.answer(PATH, 404, "application/json", r#"{"code":"not found","message":"bucket \"default\" not found"}"#);
    let err = p.is_online().await.unwrap_err();
    assert!(matches!(err, AnalysisError::QueryHttpStatus { status: 404, .. }) && err.to_string().contains("not found"));
    let err = p.samples("q", Duration::from_secs(60), Duration::from_secs(5)).await.unwrap_err();
    assert!(matches!(err, AnalysisError::SamplesUnsupported { .. }));
}

#[tokio::test]
async fn influxdb_secret_needs_token_and_org_and_none_means_no_auth() {
    for missing in ["token", "org"] {
        let mut s = creds();
        s.remove(missing);
        let err = new_provider(&spec("influxdb", "http://127.0.0.1:1"), Some(&s), &ProviderOptions::default());
        assert!(matches!(err, Err(AnalysisError::CreateProviderMissingSecretKey { key, .. }) if key == missing));
    }
    let mock = Mock::start().await;
    mock.answer(PATH, 200, "text/csv", &csv(&["3"]));
    let p = new_provider(&spec("influxdb", &mock.address), None, &ProviderOptions::default()).unwrap();
    assert_eq!(p.query("q").await.unwrap(), 3.0);
    let r = mock.last();
    assert_eq!((r.header("authorization"), r.param("org")), (None, None));
}
