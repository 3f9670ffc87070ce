//! Where a Kustomization's artifact comes from: after a restart the rebuilt artifact brings every
//! Kustomization back within seconds (not an interval, and never through Ready=False), and a
//! Kustomization controller running alone (`--controllers kustomize`) builds from artifacts other
//! controllers made — a GitRepository or an OCIRepository whose `status.artifact.url` it fetches
//! and whose digest it checks. The embedded API server, real Git over `file://`, a real HTTP
//! artifact server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::sync_env;

use std::time::Duration;

use glidepath::sync::Settings;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use serde_json::{Value, json};
use sha2::Digest as _;
use sync_env::*;

fn settings() -> Settings {
    Settings {
        health_poll: Duration::from_millis(200),
        requeue_dependency: Duration::from_millis(300),
        ..Settings::default()
    }
}

#[tokio::test]
async fn after_a_restart_kustomizations_are_current_again_within_seconds() {
    let Env { sandbox, client, sync, repo } = env().await;
    repo.write("apps/a.yaml", &config_map("a", "1"));
    let sha = repo.commit("one");
    git_repository(&client, "repo", &repo.url(), json!({})).await;
    // Retries and drift checks only every 10 minutes: anything sooner is the artifact's doing.
    kustomization(&client, "apps", "./apps", json!({"interval": "10m", "retryInterval": "10m"})).await;
    wait_applied(&client, "apps", &sha).await;

    drop(sync);
    // Drift made while the controller is down: its correction is the marker that the new
    // process reconciled the Kustomization.
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(client.clone(), "app");
    cms.delete("a", &Default::default()).await.unwrap();
    let _sync = glidepath::sync::start(client.clone(), settings()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut readiness = std::collections::BTreeSet::new();
    while cm(&client, "a").await.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "not reconciled after the restart; seen Ready {readiness:?}");
        if let Some((status, reason, _)) = ready(&ks(&client, "apps").await) {
            readiness.insert(format!("{status}/{reason}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let k = wait_applied(&client, "apps", &sha).await;
    assert!(readiness.iter().all(|r| r.starts_with("True")), "Ready flipped during the restart: {readiness:?}");
    assert_eq!(ready(&k).unwrap().0, "True");
    sandbox.shutdown().await.unwrap();
}

/// A tarball of `files` as Flux stores artifacts, and its `sha256:` digest.
fn tarball(files: &[(&str, &str)]) -> (Vec<u8>, String) {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, path, content.as_bytes()).unwrap();
    }
    let bytes = builder.into_inner().unwrap().finish().unwrap();
    let digest = format!("sha256:{}", hex(&sha2::Sha256::digest(&bytes)));
    (bytes, digest)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Serve `body` at every path on loopback; returns the base URL.
async fn artifact_server(body: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { body }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// Another source controller's object: `kind` with `status.artifact` as that controller writes it.
async fn foreign_source(client: &kube::Client, kind: &str, name: &str, spec: Value, url: &str, digest: &str) {
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("source.toolkit.fluxcd.io", "v1", kind));
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), NS, &ar);
    let obj = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": kind,
        "metadata": {"name": name, "namespace": NS}, "spec": spec});
    api.patch(name, &PatchParams::apply("source-controller").force(), &Patch::Apply(&obj)).await.unwrap();
    let status = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": kind, "status": {"artifact": {
        "path": format!("{}/{NS}/{name}/x.tar.gz", kind.to_lowercase()), "url": url, "digest": digest,
        "revision": "main@sha1:0123456789abcdef0123456789abcdef01234567",
        "lastUpdateTime": "2026-12-06T00:00:00Z", "size": 100}}});
    api.patch_status(name, &PatchParams::apply("source-controller").force(), &Patch::Apply(&status)).await.unwrap();
}

#[tokio::test]
async fn a_kustomize_only_controller_builds_from_artifacts_other_controllers_made() {
    // The OCIRepository CRD is ours (installed by the env); without `git` nothing reconciles it here.
    let e = env_with(|s| s.git = false).await;

    let (bytes, digest) =
        tarball(&[("apps/a.yaml", &config_map("a", "from-git")), ("oci/b.yaml", &config_map("b", "from-oci"))]);
    let base = artifact_server(bytes).await;
    let git_spec = json!({"url": "https://example.invalid/repo", "interval": "1m", "ref": {"branch": "main"}});
    foreign_source(&e.client, "GitRepository", "repo", git_spec.clone(), &format!("{base}/repo.tar.gz"), &digest).await;
    let oci_spec = json!({"url": "oci://registry.invalid/manifests", "interval": "1m", "ref": {"tag": "latest"}});
    foreign_source(&e.client, "OCIRepository", "oci", oci_spec, &format!("{base}/oci.tar.gz"), &digest).await;
    let wrong = format!("sha256:{}", "0".repeat(64));
    foreign_source(&e.client, "GitRepository", "tampered", git_spec, &format!("{base}/t.tar.gz"), &wrong).await;

    kustomization(&e.client, "from-git", "./apps", json!({})).await;
    kustomization(&e.client, "from-oci", "./oci", json!({"sourceRef": {"kind": "OCIRepository", "name": "oci"}})).await;
    kustomization(&e.client, "tampered", "./apps", json!({"sourceRef": {"kind": "GitRepository", "name": "tampered"}}))
        .await;
    let revision = "0123456789abcdef0123456789abcdef01234567";
    wait_applied(&e.client, "from-git", revision).await;
    wait_applied(&e.client, "from-oci", revision).await;
    assert_eq!(cm(&e.client, "a").await.unwrap()["data"]["key"], "from-git");
    assert_eq!(cm(&e.client, "b").await.unwrap()["data"]["key"], "from-oci");
    let k = wait_failed(&e.client, "Kustomization", "tampered", "ArtifactFailed").await;
    let (_, _, msg) = ready(&k).unwrap();
    assert!(msg.contains("GitRepository/flux-system/tampered") && msg.contains("doesn't match"), "{msg}");
}
