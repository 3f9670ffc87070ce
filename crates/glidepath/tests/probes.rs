//! `/healthz`, `/readyz` and `/metrics` in every mode of `glidepath controller`: sync controllers
//! only, the canary controller, and a standby waiting for its lease; a taken `--listen` port is a
//! start-up error. The binary runs as a user runs it, against the embedded API server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};
use std::time::Duration;

use glidepath::controller::leader::{Elector, LeaseConfig};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, PostParams};

const BOUND: Duration = Duration::from_secs(60);

struct Bed {
    sandbox: glidepath_sandbox::SandboxHandle,
    client: Client,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

async fn bed() -> Bed {
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in glidepath_api::crdgen::all() {
        crds.create(&PostParams::default(), &crd).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sandbox.write_kubeconfig(&kubeconfig).unwrap();
    Bed { sandbox, client, _dir: dir, kubeconfig }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn controller(kubeconfig: &Path, port: u16, args: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_glidepath"))
        .args(["controller", "--listen", &format!("127.0.0.1:{port}"), "--kubeconfig"])
        .arg(kubeconfig)
        .args(args)
        .env("HOSTNAME", "probe-test")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// GET `path` until it answers `want` (status code); returns the body.
async fn until(port: u16, path: &str, want: u16, body_has: &str) -> String {
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}{path}");
    let deadline = tokio::time::Instant::now() + BOUND;
    let mut last = String::from("no answer");
    while tokio::time::Instant::now() < deadline {
        if let Ok(r) = http.get(&url).timeout(Duration::from_secs(2)).send().await {
            let code = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            if code == want && body.contains(body_has) {
                return body;
            }
            last = format!("{code}: {body}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("GET {path}: never {want} with {body_has:?}; last {last}");
}

#[tokio::test]
async fn sync_only_mode_serves_health_readiness_and_metrics() {
    let bed = bed().await;
    let port = free_port();
    let _c = controller(&bed.kubeconfig, port, &["--controllers", "git,kustomize"]);
    until(port, "/healthz", 200, "OK").await;
    let ready = until(port, "/readyz", 200, "").await;
    assert!(ready.contains("git: synced") && ready.contains("kustomize: synced"), "{ready}");
    assert!(ready.contains("oci-source: synced"), "the OCIRepository controller reports its own cache: {ready}");
    until(port, "/metrics", 200, "").await;
    bed.sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_standby_waiting_for_the_lease_is_live_and_ready() {
    let bed = bed().await;
    // Another replica holds both leases (the canary controller's and the sync engine's) for a minute.
    for name in ["glidepath-leader-election", "glidepath-leader-election-sync"] {
        let config = LeaseConfig {
            name: name.into(),
            lease_duration: Duration::from_secs(60),
            ..LeaseConfig::new("default", "other")
        };
        assert!(Elector::new(bed.client.clone(), config).try_acquire_or_renew().await.unwrap());
    }
    let port = free_port();
    let _c = controller(
        &bed.kubeconfig,
        port,
        &["--leader-elect", "--leader-election-namespace", "default", "--mesh-provider", "kubernetes"],
    );
    until(port, "/healthz", 200, "OK").await;
    let ready = until(port, "/readyz", 200, "canary: standby").await;
    assert!(ready.contains("kustomize: standby"), "{ready}");
    bed.sandbox.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_taken_listen_port_fails_the_start_naming_the_address() {
    let bed = bed().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let child = controller(&bed.kubeconfig, port, &["--controllers", "git,kustomize"]);
    let out = tokio::time::timeout(BOUND, child.wait_with_output()).await.unwrap().unwrap();
    assert!(!out.status.success(), "started on a taken port");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("--listen 127.0.0.1:{port}: cannot listen")), "{err}");
    drop(taken);
    bed.sandbox.shutdown().await.unwrap();
}
