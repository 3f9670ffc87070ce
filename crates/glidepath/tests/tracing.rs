//! `glidepath controller --log-format json` carries the spans: each reconcile's line names the
//! object's kind, namespace, name, revision and outcome, and the outbound calls under it (Git
//! fetches, API requests) carry their own span. The binary runs as a user runs it, against
//! the embedded API server, syncing a real Git repository.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::sync_env;

use std::time::Duration;

use serde_json::{Value, json};
use sync_env::{NS, Repo, config_map, git_repository, kustomization, wait_applied};
use tokio::io::AsyncBufReadExt as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_reconcile_and_outbound_call_spans() {
    tokio::time::timeout(Duration::from_secs(90), json_logs()).await.expect("test finishes in 90 s");
}

/// The span named `name` of a JSON log line: its own (`span`) or one of its parents (`spans`).
fn span<'a>(line: &'a Value, name: &str) -> Option<&'a Value> {
    let own = std::iter::once(&line["span"]);
    own.chain(line["spans"].as_array().into_iter().flatten()).find(|s| s["name"] == name)
}

async fn json_logs() {
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = kube::Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    let crds: kube::Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        kube::Api::all(client.clone());
    for crd in glidepath_api::crdgen::all() {
        crds.create(&Default::default(), &crd).await.unwrap();
    }
    for ns in [NS, "app"] {
        sync_env::apply(&client, &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}), "t")
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sandbox.write_kubeconfig(&kubeconfig).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_glidepath"))
        .args(["controller", "--controllers", "git,kustomize", "--log-format", "json"])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--kubeconfig"])
        .arg(&kubeconfig)
        .env("RUST_LOG", "info,glidepath=debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();

    let repo = Repo::new();
    repo.write("apps/cm.yaml", &config_map("traced", "1"));
    let sha = repo.commit("one");
    git_repository(&client, "repo", &repo.url(), json!({})).await;
    kustomization(&client, "apps", "./apps", json!({})).await;
    wait_applied(&client, "apps", &sha).await;

    let revision = format!("main@sha1:{sha}");
    let (mut ks_done, mut fetch, mut api) = (None, None, None);
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while ks_done.is_none() || fetch.is_none() || api.is_none() {
        let next = tokio::time::timeout_at(deadline, lines.next_line()).await;
        let Ok(line) = next else {
            let tail = seen[seen.len().saturating_sub(20)..].join("\n");
            panic!(
                "found: ks {} fetch {} api {}; last lines:\n{tail}",
                ks_done.is_some(),
                fetch.is_some(),
                api.is_some()
            );
        };
        let line = line.unwrap().expect("the controller logs until killed");
        seen.push(line.clone());
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let Some(reconcile) = span(&v, "reconcile") else { continue };
        let finished = v["fields"]["message"] == "reconciliation finished";
        if finished && reconcile["kind"] == "Kustomization" && reconcile["revision"] == revision.as_str() {
            ks_done = Some(v.clone());
        }
        if span(&v, "git_fetch").is_some() && reconcile["kind"] == "GitRepository" {
            fetch = Some(v.clone());
        }
        if span(&v, "kube_api").is_some() {
            api = Some(v.clone());
        }
    }
    let done = ks_done.unwrap();
    let s = span(&done, "reconcile").unwrap();
    assert_eq!((s["namespace"].as_str(), s["object"].as_str()), (Some(NS), Some("apps")), "{done}");
    assert_eq!(s["outcome"], "requeue_after", "Flux requeues after its interval: {done}");
    assert!(done["fields"]["duration_ms"].as_f64().is_some(), "{done}");
    let fetch = fetch.unwrap();
    let f = span(&fetch, "git_fetch").unwrap();
    assert_eq!(f["url"].as_str().unwrap(), repo.url(), "{fetch}");
    assert_eq!(span(&fetch, "reconcile").unwrap()["object"], "repo", "{fetch}");
    let api = api.unwrap();
    assert!(span(&api, "kube_api").unwrap()["path"].as_str().unwrap().starts_with("/api"), "{api}");
    child.kill().await.unwrap();
    sandbox.shutdown().await.unwrap();
}
