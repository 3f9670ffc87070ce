//! Stackdriver: a service-account JWT (RS256) exchanged at the key's `token_uri`, then MQL at
//! `POST /v3/projects/<project>/timeSeries:query` with the bearer token. The key pair under
//! `stackdriver-test-key.*` is a test-only key generated for these tests.

use std::collections::BTreeMap;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use glidepath_analysis::AnalysisError;
use glidepath_analysis::provider::{ProviderOptions, new_provider};
use serde_json::{Value, json};

use crate::mock::{Mock, Recorded, assert_http_errors, assert_no_secret};
use crate::{build, secret, spec};

/// Test-only RSA key (PKCS#8 PEM) and its public key (PKCS#1 DER).
const KEY_PEM: &str = include_str!("stackdriver-test-key.pem");
const PUBLIC_KEY_DER: &[u8] = include_bytes!("stackdriver-test-key.pub.der");
const EMAIL: &str = "canary@test-project.iam.gserviceaccount.com";
const ACCESS_TOKEN: &str = "ya29.access-s3cret";
const QUERY_PATH: &str = "/v3/projects/test-project/timeSeries:query";
const MQL: &str = "fetch k8s_container | metric 'custom.googleapis.com/error_rate' | within 5m";

/// A service-account key file for the test key, exchanged at `token_uri`.
pub fn service_account_key(token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "kid-1",
        "private_key": KEY_PEM,
        "client_email": EMAIL,
        "token_uri": token_uri,
    })
    .to_string()
}

/// A line of the private key's base64 body, which must never appear anywhere.
fn key_fragment() -> &'static str {
    KEY_PEM.lines().nth(5).unwrap()
}

fn creds(mock: &Mock) -> BTreeMap<String, String> {
    secret(&[
        ("project", "test-project\n"),
        ("serviceAccountKey", &service_account_key(&format!("{}/token", mock.address))),
    ])
}

fn serve_token(mock: &Mock, expires_in: u64) {
    mock.json(
        "/token",
        &json!({"access_token": ACCESS_TOKEN, "expires_in": expires_in, "token_type": "Bearer"}).to_string(),
    );
}

fn series(values: &[&str]) -> String {
    let data: Vec<String> = values
        .iter()
        .map(|v| format!(r#"{{"labelValues":[{{"stringValue":"podinfo"}}],"pointData":[{{"values":[{v}],"timeInterval":{{"endTime":"2026-12-06T21:00:00Z"}}}},{{"values":[{{"doubleValue":9.9}}]}}]}}"#))
        .collect();
    format!(
        r#"{{"timeSeriesDescriptor":{{"pointDescriptors":[{{"key":"value.error_rate","valueType":"DOUBLE"}}]}},"timeSeriesData":[{}]}}"#,
        data.join(",")
    )
}

fn requests_to(mock: &Mock, path: &str) -> Vec<Recorded> {
    mock.requests().into_iter().filter(|r| r.path == path).collect()
}

fn decode_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// What Google's token endpoint checks: the grant type, the JWT header and claims, and the
/// RS256 signature against the service account's public key.
fn verify_token_request(r: &Recorded, token_uri: &str) {
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    let form: BTreeMap<String, String> = url::form_urlencoded::parse(r.body.as_bytes()).into_owned().collect();
    assert_eq!(form["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
    let parts: Vec<&str> = form["assertion"].split('.').collect();
    assert_eq!(parts.len(), 3, "{}", form["assertion"]);
    let header = decode_json(parts[0]);
    assert_eq!(header, json!({"alg": "RS256", "typ": "JWT", "kid": "kid-1"}));
    let claims = decode_json(parts[1]);
    assert_eq!(claims["iss"], EMAIL);
    assert_eq!(claims["scope"], "https://www.googleapis.com/auth/monitoring.read");
    assert_eq!(claims["aud"], token_uri);
    let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
    assert_eq!(exp - iat, 3600);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(iat.abs_diff(now) <= 5, "iat is now");
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let public_key = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, PUBLIC_KEY_DER);
    let signed = format!("{}.{}", parts[0], parts[1]);
    public_key.verify(signed.as_bytes(), &signature).expect("RS256 signature verifies");
    assert!(public_key.verify(format!("{signed}x").as_bytes(), &signature).is_err(), "the check is real");
}

#[tokio::test]
async fn stackdriver_exchanges_a_signed_jwt_and_queries_mql_with_the_token() {
    let mock = Mock::start().await;
    serve_token(&mock, 3599);
    mock.json(QUERY_PATH, &series(&[r#"{"doubleValue":0.25}"#]));
    let mut s = spec("stackdriver", &mock.address);
    s.headers = Some([("X-Tenant".to_owned(), vec!["a".to_owned()])].into());
    let p = build(&s, &creds(&mock), &ProviderOptions::default());
    assert_eq!(p.query(MQL).await.unwrap(), 0.25, "the first point's value");

    let tokens = requests_to(&mock, "/token");
    assert_eq!(tokens.len(), 1);
    verify_token_request(&tokens[0], &format!("{}/token", mock.address));
    assert_eq!(tokens[0].header("x-tenant"), None, "the template's headers are for the API only");
    let r = mock.last();
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", QUERY_PATH));
    assert_eq!(r.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()));
    assert_eq!(serde_json::from_str::<Value>(&r.body).unwrap(), json!({"query": MQL}));
    assert_eq!(r.header("x-tenant"), Some("a"));

    // The token is cached until shortly before it expires.
    assert_eq!(p.query(MQL).await.unwrap(), 0.25);
    assert_eq!(requests_to(&mock, "/token").len(), 1);
    let debug = format!("{p:?}");
    assert!(!debug.contains(ACCESS_TOKEN) && !debug.contains(key_fragment()), "{debug}");
}

#[tokio::test]
async fn stackdriver_replaces_a_token_about_to_expire() {
    let mock = Mock::start().await;
    serve_token(&mock, 60);
    mock.json(QUERY_PATH, &series(&[r#"{"int64Value":"7"}"#]));
    let p = build(&spec("stackdriver", &mock.address), &creds(&mock), &ProviderOptions::default());
    // int64 values arrive as JSON strings.
    assert_eq!(p.query(MQL).await.unwrap(), 7.0);
    assert_eq!(p.query(MQL).await.unwrap(), 7.0);
    assert_eq!(requests_to(&mock, "/token").len(), 2, "a token within a minute of expiry is not reused");
}

#[tokio::test]
async fn stackdriver_no_values_and_multiple_series() {
    let mock = Mock::start().await;
    serve_token(&mock, 3599);
    let p = build(&spec("stackdriver", &mock.address), &creds(&mock), &ProviderOptions::default());
    for body in [
        "{}".to_owned(),
        r#"{"timeSeriesData":[]}"#.to_owned(),
        r#"{"timeSeriesData":[{"pointData":[]}]}"#.to_owned(),
        r#"{"timeSeriesData":[{"pointData":[{"values":[]}]}]}"#.to_owned(),
        series(&[r#"{"stringValue":"x"}"#]),
        series(&[r#"{"doubleValue":"NaN"}"#]),
    ] {
        mock.json(QUERY_PATH, &body);
        assert!(matches!(p.query(MQL).await, Err(AnalysisError::QueryNoValues { .. })), "{body}");
    }
    mock.json(QUERY_PATH, &series(&[r#"{"doubleValue":1.0}"#, r#"{"doubleValue":2.0}"#]));
    let err = p.query(MQL).await.unwrap_err();
    assert!(matches!(err, AnalysisError::QueryMultipleValues { .. }), "{err:?}");
    let paged = series(&[r#"{"doubleValue":1.0}"#]).replacen('{', r#"{"nextPageToken":"p2","#, 1);
    mock.json(QUERY_PATH, &paged);
    assert!(matches!(p.query(MQL).await, Err(AnalysisError::QueryMultipleValues { .. })), "{paged}");
    mock.json(QUERY_PATH, "not json");
    assert!(matches!(p.query(MQL).await, Err(AnalysisError::QueryParseResponse { .. })));
    let samples = p.samples(MQL, std::time::Duration::from_secs(60), std::time::Duration::from_secs(10)).await;
    assert!(matches!(samples, Err(AnalysisError::SamplesUnsupported { .. })));
}

#[tokio::test]
async fn stackdriver_http_errors_hide_the_token_and_the_key() {
    let mock = Mock::start().await;
    serve_token(&mock, 3599);
    let p = build(&spec("stackdriver", &mock.address), &creds(&mock), &ProviderOptions::default());
    assert_http_errors(&mock, QUERY_PATH, &[ACCESS_TOKEN], || p.query(MQL)).await;
    // The 401 dropped the cached token, so the 500's query fetched a new one; the 500 kept it.
    mock.json(QUERY_PATH, &series(&[r#"{"doubleValue":3.0}"#]));
    assert_eq!(p.query(MQL).await.unwrap(), 3.0);
    assert_eq!(requests_to(&mock, "/token").len(), 2);

    // A refused token request is its own error; a server echoing the assertion does not leak it.
    let fresh = build(&spec("stackdriver", &mock.address), &creds(&mock), &ProviderOptions::default());
    for status in [401u16, 500] {
        let body = r#"{"error":"invalid_grant","error_description":"bad request {request_body}"}"#;
        mock.answer("/token", status, "application/json", body);
        let err = fresh.query(MQL).await.unwrap_err();
        assert!(matches!(err, AnalysisError::QueryFetchTokenHttpStatus { status: s, .. } if s == status), "{err:?}");
        assert!(err.to_string().contains("invalid_grant") && err.to_string().contains("***"), "{err}");
        let sent = mock.last().body;
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(sent.as_bytes()).into_owned().collect();
        let signature = form["assertion"].rsplit('.').next().unwrap().to_owned();
        assert_no_secret(&err, &[&form["assertion"], &signature, ACCESS_TOKEN, key_fragment()]);
    }
    mock.json("/token", r#"{"token_type":"Bearer"}"#);
    let err = fresh.query(MQL).await.unwrap_err();
    assert!(matches!(err, AnalysisError::QueryParseResponse { .. }), "{err:?}");
}

#[tokio::test]
async fn stackdriver_is_online_expects_an_invalid_argument() {
    let mock = Mock::start().await;
    serve_token(&mock, 3599);
    let p = build(&spec("stackdriver", &mock.address), &creds(&mock), &ProviderOptions::default());
    let invalid = r#"{"error":{"code":400,"message":"Query is empty.","status":"INVALID_ARGUMENT"}}"#;
    mock.answer(QUERY_PATH, 400, "application/json", invalid);
    assert!(p.is_online().await.unwrap());
    let r = mock.last();
    assert_eq!(serde_json::from_str::<Value>(&r.body).unwrap(), json!({"query": ""}));
    assert_eq!(r.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()));
    let denied = r#"{"error":{"code":403,"message":"Permission denied","status":"PERMISSION_DENIED"}}"#;
    mock.answer(QUERY_PATH, 403, "application/json", denied);
    let err = p.is_online().await.unwrap_err();
    assert!(matches!(err, AnalysisError::QueryHttpStatus { status: 403, .. }), "{err:?}");
}

#[test]
fn stackdriver_needs_a_project_and_a_service_account_key() {
    let key = service_account_key("http://127.0.0.1:1/token");
    let at = spec("stackdriver", "http://127.0.0.1:1");
    let build_err = |s: &BTreeMap<String, String>| new_provider(&at, Some(s), &ProviderOptions::default()).unwrap_err();
    let err = build_err(&secret(&[("serviceAccountKey", &key)]));
    assert!(matches!(err, AnalysisError::CreateProviderMissingSecretKey { key: "project", .. }), "{err}");
    let err = build_err(&secret(&[("project", "p")]));
    assert!(matches!(err, AnalysisError::CreateProviderMissingSecretKey { key: "serviceAccountKey", .. }), "{err}");
    let quoted = serde_json::to_string(KEY_PEM).unwrap();
    let err = build_err(&secret(&[("project", "p"), ("serviceAccountKey", &quoted)]));
    assert!(matches!(err, AnalysisError::CreateProviderParseServiceAccountKey { .. }), "{err}");
    assert_no_secret(&err, &[key_fragment()]);
    let pkcs1 = key.replace("BEGIN PRIVATE KEY", "BEGIN RSA PRIVATE KEY");
    let err = build_err(&secret(&[("project", "p"), ("serviceAccountKey", &pkcs1)]));
    assert!(matches!(err, AnalysisError::CreateProviderParsePrivateKey { .. }), "{err}");
    let not_rsa = key.replace(key_fragment(), &"A".repeat(key_fragment().len()));
    let err = build_err(&secret(&[("project", "p"), ("serviceAccountKey", &not_rsa)]));
    assert!(matches!(err, AnalysisError::CreateProviderParsePrivateKey { .. }), "{err}");
    assert_no_secret(&err, &[key_fragment()]);
    // The address defaults to the Cloud Monitoring API.
    let mut no_address = spec("stackdriver", "");
    no_address.address = None;
    let ok = secret(&[("project", "p"), ("serviceAccountKey", &key)]);
    assert!(new_provider(&no_address, Some(&ok), &ProviderOptions::default()).is_ok());
}
