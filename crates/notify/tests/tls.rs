//! TLS from the Provider's PEMs: a loopback server with its own CA that requires a client
//! certificate. With the CA and the client pair the event is delivered; without either the
//! request fails, and the error does not show the address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{config, event};
use glidepath_notify::{NotifyError, ProviderConfig, Severity, notifier};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)).unwrap()
}

/// Serve HTTPS on 127.0.0.1, requiring a client certificate signed by the test CA; record each
/// request's body.
async fn start() -> (String, Arc<Mutex<Vec<String>>>) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(&pem("ca.crt")).unwrap()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
    let certs = vec![CertificateDer::from_pem_slice(&pem("server.crt")).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(&pem("server.key")).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read until the end of the headers plus Content-Length bytes.
                loop {
                    let Ok(n) = tls.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                            })
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        if body.len() >= len {
                            seen.lock().unwrap().push(body.to_string());
                            break;
                        }
                    }
                }
                let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                tls.write_all(reply).await.ok();
                tls.shutdown().await.ok();
            });
        }
    });
    (base, bodies)
}

fn tls_config(base: &str) -> ProviderConfig {
    let mut cfg = config("generic", &format!("{base}/hook"));
    cfg.timeout = Duration::from_secs(5);
    cfg.ca_pem = Some(pem("ca.crt"));
    cfg.client_cert_pem = Some(pem("client.crt"));
    cfg.client_key_pem = Some(pem("client.key"));
    cfg
}

#[tokio::test]
async fn mutual_tls_with_the_providers_ca_and_client_certificate() {
    let (base, bodies) = start().await;
    notifier(&tls_config(&base)).unwrap().post(&event(Severity::Info)).await.unwrap();
    let bodies = bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].contains("\"reportingController\":\"kustomize-controller\""), "{bodies:?}");
}

#[tokio::test]
async fn without_the_client_certificate_or_the_ca_the_request_fails() {
    let (base, bodies) = start().await;
    let mut no_client = tls_config(&base);
    no_client.client_cert_pem = None;
    no_client.client_key_pem = None;
    let mut no_ca = tls_config(&base);
    no_ca.ca_pem = None;
    for cfg in [no_client, no_ca] {
        let err = notifier(&cfg).unwrap().post(&event(Severity::Info)).await.unwrap_err();
        assert!(matches!(err, NotifyError::SendRequest { .. }), "{err:?}");
        assert!(!err.to_string().contains("127.0.0.1"), "{err}");
    }
    assert!(bodies.lock().unwrap().is_empty());
}
