//! Unknown repositories, registry error bodies, content that does not match its digest, and a
//! registry that never answers.

use std::time::{Duration, Instant};

use axum::routing::get;
use glidepath_oci::{Cause, Client, ClientOptions, Credentials, OCI_MANIFEST, OciError, Repository, sha256_digest};

use crate::support::{Registry, client, serve};

#[tokio::test]
async fn an_unknown_repository_is_not_found_with_the_registrys_code() {
    let registry = Registry::start();
    let client = client(Credentials::Anonymous);
    let repo = registry.repo("no/such");
    let err = client.list_tags(&repo, None).await.unwrap_err();
    assert!(matches!(err, OciError::ListTags { .. }), "{err:?}");
    assert!(err.is_not_found());
    assert_eq!(err.registry_errors()[0].code, "NAME_UNKNOWN", "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("{}/no/such", registry.addr)) && text.contains("HTTP 404"), "{text}");

    let err = client.get_manifest(&repo, "1.0").await.unwrap_err();
    assert!(matches!(err, OciError::FetchManifest { ref reference, .. } if reference == "1.0"), "{err:?}");
    assert!(err.is_not_found(), "{err:?}");
    let err = client.head_manifest(&repo, "1.0").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    let err = client.get_blob(&repo, &sha256_digest(b"none"), 1024).await.unwrap_err();
    assert!(matches!(err, OciError::FetchBlob { .. }) && err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_registry_error_body_is_reported_with_code_and_message() {
    let registry = Registry::start();
    let client = client(Credentials::Anonymous);
    let repo = registry.repo("app");
    let err = client.put_manifest(&repo, "v1", b"{not a manifest", OCI_MANIFEST).await.unwrap_err();
    assert!(matches!(err, OciError::PushManifest { .. }), "{err:?}");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.registry_errors()[0].code, "MANIFEST_INVALID", "{err:?}");
    assert!(err.to_string().contains("MANIFEST_INVALID: manifest invalid"), "{err}");
}

#[tokio::test]
async fn content_that_does_not_match_its_digest_is_rejected() {
    let digest = sha256_digest(b"expected");
    let router = axum::Router::new()
        .route("/v2/x/blobs/{d}", get(|| async { "tampered" }))
        .route("/v2/x/manifests/{r}", get(|| async { ([("content-type", OCI_MANIFEST)], "{\"tampered\":1}") }));
    let addr = serve(router).await;
    let repo = Repository { registry: addr.to_string(), name: "x".into() };
    let client = client(Credentials::Anonymous);
    let err = client.get_blob(&repo, &digest, 1024).await.unwrap_err();
    assert_eq!(
        err.cause(),
        Some(&Cause::DigestMismatch { expected: digest.clone(), actual: sha256_digest(b"tampered") }),
        "{err:?}"
    );
    let err = client.get_manifest(&repo, &digest).await.unwrap_err();
    assert!(matches!(err, OciError::FetchManifest { .. }), "{err:?}");
    assert!(matches!(err.cause(), Some(Cause::DigestMismatch { .. })), "{err:?}");
    // By tag, without Docker-Content-Digest: the digest is the bytes' own.
    let m = client.get_manifest(&repo, "latest").await.unwrap();
    assert_eq!(m.digest, sha256_digest(b"{\"tampered\":1}"));
    assert_eq!(m.media_type, OCI_MANIFEST);
    // HEAD without Docker-Content-Digest falls back to GET.
    let head = client.head_manifest(&repo, "latest").await.unwrap();
    assert_eq!(head.digest, m.digest);
    assert_eq!((head.media_type.as_str(), head.size), (OCI_MANIFEST, m.bytes.len() as u64));
}

#[tokio::test]
async fn a_registry_that_never_answers_times_out_in_bounded_time() {
    let router = axum::Router::new().route(
        "/v2/x/tags/list",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "{}"
        }),
    );
    let addr = serve(router).await;
    let repo = Repository { registry: addr.to_string(), name: "x".into() };
    let options = ClientOptions { insecure: true, timeout: Duration::from_millis(300), ..Default::default() };
    let client = Client::new(options, Credentials::Anonymous).unwrap();
    let started = Instant::now();
    let err = client.list_tags(&repo, None).await.unwrap_err();
    assert_eq!(err.cause(), Some(&Cause::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(err.to_string().contains("timed out"), "{err}");
}
