//! HTTPS registries: a private CA (`ClientOptions::ca_pem`) and client certificates
//! (`ClientOptions::identity`), against the real registry's `http.tls` (certificates made by
//! the `openssl` CLI per test).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use glidepath_oci::{Cause, Client, ClientIdentity, ClientOptions, Credentials};

use crate::support::{Image, Registry};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `ca.pem`, and `<name>.pem`/`<name>.key` signed by it for `usage` (serverAuth/clientAuth).
fn certificates(dir: &Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=glidepath test CA"]);
    ca.extend(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
    openssl(dir, &ca);
    for (name, usage) in [("server", "serverAuth"), ("client", "clientAuth")] {
        let ext = format!("{name}.ext");
        std::fs::write(dir.join(&ext), format!("subjectAltName=IP:127.0.0.1\nextendedKeyUsage={usage}\n")).unwrap();
        let (key, csr, pem) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.pem"));
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=127.0.0.1"]);
        openssl(dir, &req);
        openssl(
            dir,
            &[
                "x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-out", &pem, "-days", "2",
                "-extfile", &ext,
            ],
        );
    }
}

fn tls_registry(client_certs: bool) -> Registry {
    Registry::start_with(move |dir| {
        certificates(dir);
        let mut tls = format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            dir.join("server.pem").display(),
            dir.join("server.key").display()
        );
        if client_certs {
            tls.push_str(&format!("    clientcas:\n      - {}\n", dir.join("ca.pem").display()));
        }
        tls
    })
}

fn https_client(registry: &Registry, ca: bool, identity: bool) -> Client {
    let read = |f: &str| std::fs::read(registry.dir.path().join(f)).unwrap();
    let options = ClientOptions {
        insecure: false,
        ca_pem: ca.then(|| read("ca.pem")),
        identity: identity.then(|| ClientIdentity { cert_pem: read("client.pem"), key_pem: read("client.key") }),
        timeout: Duration::from_secs(10),
        proxy: None,
    };
    Client::new(options, Credentials::Anonymous).unwrap()
}

#[tokio::test]
async fn a_private_ca_is_trusted_when_given() {
    let registry = tls_registry(false);
    let repo = registry.repo("secure/app");
    let client = https_client(&registry, true, false);
    let digest = Image::new("tls").push(&client, &repo, "v1").await;
    assert_eq!(client.head_manifest(&repo, "v1").await.unwrap().digest, digest);

    let err = https_client(&registry, false, false).list_tags(&repo, None).await.unwrap_err();
    assert!(matches!(err.cause(), Some(Cause::Connect | Cause::Transport)), "{err:?}");
}

#[tokio::test]
async fn client_certificates_are_presented() {
    let registry = tls_registry(true);
    let repo = registry.repo("mtls/app");
    let client = https_client(&registry, true, true);
    Image::new("mtls").push(&client, &repo, "v1").await;
    assert_eq!(client.list_tags(&repo, None).await.unwrap(), ["v1"]);

    let err = https_client(&registry, true, false).list_tags(&repo, None).await.unwrap_err();
    assert!(matches!(err.cause(), Some(Cause::Connect | Cause::Transport)), "{err:?}");
    assert!(!format!("{:?}", ClientIdentity { cert_pem: vec![], key_pem: b"KEY".to_vec() }).contains("KEY"));
}
