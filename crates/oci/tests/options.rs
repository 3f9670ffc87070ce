//! Client options: a proxy (Flux's `proxySecretRef`), and what option Debug output hides.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use glidepath_oci::{Client, ClientOptions, Credentials, OciError, Repository};

use crate::support::serve;

type Seen = Arc<Mutex<Vec<(String, String)>>>;

#[tokio::test]
async fn requests_go_through_the_proxy_with_its_credentials() {
    let seen: Seen = Arc::default();
    let proxy = axum::Router::new()
        .fallback(|State(seen): State<Seen>, request: Request| async move {
            let auth = request.headers().get("proxy-authorization").map(|v| v.to_str().unwrap().to_string());
            seen.lock().unwrap().push((request.uri().to_string(), auth.unwrap_or_default()));
            axum::Json(serde_json::json!({"name": "x", "tags": ["via-proxy"]}))
        })
        .with_state(seen.clone());
    let addr = serve(proxy).await;
    let options = ClientOptions {
        insecure: true,
        timeout: Duration::from_secs(10),
        proxy: Some(format!("http://puser:proxy-pw@{addr}")),
        ..Default::default()
    };
    assert!(!format!("{options:?}").contains("proxy-pw"), "{options:?}");
    let client = Client::new(options, Credentials::Anonymous).unwrap();
    let repo = Repository { registry: "registry.invalid:5000".into(), name: "x".into() };
    assert_eq!(client.list_tags(&repo, None).await.unwrap(), ["via-proxy"]);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [("http://registry.invalid:5000/v2/x/tags/list".to_string(), "Basic cHVzZXI6cHJveHktcHc=".to_string())]
    );
}

#[test]
fn a_bad_proxy_or_ca_is_a_setup_error_without_the_url() {
    let options = ClientOptions { proxy: Some("::not a url:secret@".into()), ..Default::default() };
    let err = Client::new(options, Credentials::Anonymous).unwrap_err();
    assert!(matches!(err, OciError::ClientSetup { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("secret"), "{err:?}");
    let options = ClientOptions { ca_pem: Some(b"-----BEGIN CERTIFICATE-----\nnope\n".to_vec()), ..Default::default() };
    assert!(matches!(Client::new(options, Credentials::Anonymous), Err(OciError::ClientSetup { .. })));
}
