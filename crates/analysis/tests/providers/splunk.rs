//! Splunk Observability: SignalFlow `POST /v2/signalflow/execute?start=…&stop=…&immediate=true`
//! (program as text/plain, `X-SF-Token`), answered as Server-Sent Events.

use std::time::{Duration, Instant};

use glidepath_analysis::AnalysisError;
use glidepath_analysis::provider::{ProviderOptions, new_provider};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::mock::{Mock, assert_http_errors};
use crate::{build, interval, secret, spec};

const TOKEN: &str = "sf-s3cret-token";
const PATH: &str = "/v2/signalflow/execute";

fn creds() -> std::collections::BTreeMap<String, String> {
    secret(&[("sf_token_key", TOKEN)])
}

/// The messages of a finished computation: one `data` event per (tsId, value) batch.
fn events(batches: &[&[(&str, Option<f64>)]]) -> String {
    let mut out = String::from(
        "event: control-message\ndata: {\"event\":\"STREAM_START\",\"timestampMs\":1}\n\n\
         event: control-message\ndata: {\"event\":\"JOB_START\",\"handle\":\"H\",\"timestampMs\":1}\n\n\
         event: metadata\ndata: {\"tsId\":\"AAA\",\"properties\":{\"sf_metric\":\"m\"}}\n\n",
    );
    for (i, batch) in batches.iter().enumerate() {
        let data: Vec<String> = batch
            .iter()
            .map(|(id, v)| format!("{{\"tsId\":\"{id}\",\"value\":{}}}", v.map_or("null".into(), |v| v.to_string())))
            .collect();
        out += &format!("event: data\ndata: {{\"data\":[{}],\"logicalTimestampMs\":{i}}}\n\n", data.join(","));
    }
    out + "event: control-message\ndata: {\"event\":\"END_OF_CHANNEL\",\"timestampMs\":9}\n\n"
}

#[tokio::test]
async fn splunk_executes_signalflow_and_reads_the_last_value() {
    let mock = Mock::start().await;
    mock.answer(
        PATH,
        200,
        "text/event-stream",
        &events(&[&[("AAA", Some(1.0))], &[("AAA", None)], &[("AAA", Some(4.5))]]),
    );
    let p = build(&spec("splunk", &mock.address), &creds(), &interval(60));
    let program = "data('requests', filter=filter('service', 'podinfo')).sum().publish()";
    assert_eq!(p.query(program).await.unwrap(), 4.5);
    let r = mock.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", PATH));
    assert_eq!(r.body, program);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("x-sf-token"), Some(TOKEN));
    assert_eq!(r.param("immediate"), Some("true"));
    assert_eq!(r.number("stop") - r.number("start"), 600_000, "10 x 1m in ms");
}

#[tokio::test]
async fn splunk_no_values_multiple_series_and_stream_errors() {
    let mock = Mock::start().await;
    let p = build(&spec("splunk", &mock.address), &creds(), &ProviderOptions::default());
    for body in [events(&[]), events(&[&[("AAA", None)]])] {
        mock.answer(PATH, 200, "text/event-stream", &body);
        assert!(matches!(p.query("q").await, Err(AnalysisError::QueryNoValues { .. })));
    }
    mock.answer(PATH, 200, "text/event-stream", &events(&[&[("AAA", Some(1.0)), ("BBB", Some(2.0))]]));
    assert!(matches!(p.query("q").await, Err(AnalysisError::QueryMultipleValues { .. })));
    let error = "event: error\ndata: {\"errors\":[{\"code\":\"ANALYTICS_PROGRAM_NAME_ERROR\"}]}\n\n";
    mock.answer(PATH, 200, "text/event-stream", error);
    let err = p.query("q").await.unwrap_err();
    assert!(err.to_string().contains("ANALYTICS_PROGRAM_NAME_ERROR"), "{err}");
}

#[tokio::test]
async fn splunk_http_errors_hide_the_token() {
    let mock = Mock::start().await;
    let p = build(&spec("splunk", &mock.address), &creds(), &ProviderOptions::default());
    assert_http_errors(&mock, PATH, &[TOKEN], || p.query("q")).await;
}

#[tokio::test]
async fn splunk_is_online_asks_the_metric_api() {
    let mock = Mock::start().await;
    let p = build(&spec("splunk", &mock.address), &creds(), &ProviderOptions::default());
    mock.json("/v2/metric", r#"{"count":1,"results":[]}"#);
    assert!(p.is_online().await.unwrap());
    let r = mock.last();
    assert_eq!((r.method.as_str(), r.path.as_str(), r.param("limit")), ("GET", "/v2/metric", Some("1")));
    assert_eq!(r.header("x-sf-token"), Some(TOKEN));
    mock.answer("/v2/metric", 401, "application/json", "{}");
    assert!(p.is_online().await.is_err());
    let err = p.samples("q", Duration::from_secs(60), Duration::from_secs(5)).await.unwrap_err();
    assert!(matches!(err, AnalysisError::SamplesUnsupported { .. }));
}

/// The stream stays open after END_OF_CHANNEL; the provider must stop reading there.
#[tokio::test]
async fn splunk_stops_at_end_of_channel_on_an_open_stream() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let _ = socket.read(&mut buf).await;
        let body = events(&[&[("AAA", Some(8.0))]]);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        let chunk = format!("{:x}\r\n{body}\r\n", body.len());
        socket.write_all(format!("{head}{chunk}").as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let options = ProviderOptions { timeout: Some(Duration::from_secs(4)), ..Default::default() };
    let p = build(&spec("splunk", &format!("http://{addr}")), &creds(), &options);
    let start = Instant::now();
    assert_eq!(p.query("q").await.unwrap(), 8.0);
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
}

#[test]
fn splunk_requires_address_and_token() {
    let err =
        new_provider(&spec("splunk", "https://api.us1.signalfx.com"), Some(&secret(&[])), &ProviderOptions::default());
    assert!(matches!(err, Err(AnalysisError::CreateProviderMissingSecretKey { key: "sf_token_key", .. })));
    let no_address = glidepath_api::flagger::MetricProvider { r#type: "splunk".into(), ..Default::default() };
    let err = new_provider(&no_address, Some(&creds()), &ProviderOptions::default());
    assert!(matches!(err, Err(AnalysisError::CreateProviderMissingAddress { .. })));
}
