//! Notification benchmark (prints figures; asserts nothing), in one process against the
//! sandbox, with real Git repositories served by `git http-backend` on loopback:
//!
//!     cargo run --profile dist -p glidepath --example notify_bench [PUSHES] [EVENTS]
//!
//! 1. Push → applied: a commit, then a GitHub-style signed push webhook to a Receiver; the time
//!    until the Kustomization reports the new revision Ready. Baseline in the same run: the
//!    same pushes without the webhook, found by polling (GitRepository `interval: 5s`).
//!    p50/p99 of each and the ratio.
//! 2. Dispatch: EVENTS distinct Flux events POSTed to the event server, spread over 100
//!    Alerts (one per source name), delivered by a `generic` Provider to a loopback target:
//!    events/s accepted, time until every delivery arrived, and the process's RSS before and
//!    after.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

#[path = "../../source/tests/support/mod.rs"]
mod git_http;

use git_http::{GitHttpServer, git};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NS: &str = "flux-system";

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn apply(client: &Client, obj: Value) {
    let (g, v) = obj["apiVersion"].as_str().unwrap().rsplit_once('/').unwrap_or(("", "v1"));
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, obj["kind"].as_str().unwrap()));
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), NS, &ar);
    api.patch(obj["metadata"]["name"].as_str().unwrap(), &PatchParams::apply("bench").force(), &Patch::Apply(&obj))
        .await
        .unwrap();
}

async fn applied_revision(client: &Client, name: &str) -> Option<String> {
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"));
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), NS, &ar);
    let k = api.get(name).await.ok()?;
    let ready =
        k.data["status"]["conditions"].as_array()?.iter().any(|c| c["type"] == "Ready" && c["status"] == "True");
    ready.then(|| k.data["status"]["lastAppliedRevision"].as_str().map(str::to_owned)).flatten()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// One app repository (served by `server` from `root`) with a Kustomization; returns the
/// repository directory.
async fn setup_app(
    client: &Client,
    server: &GitHttpServer,
    root: &Path,
    name: &str,
    interval: &str,
) -> std::path::PathBuf {
    let repo = root.join(name);
    std::fs::create_dir_all(repo.join("app")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["config", "user.name", "bench"]);
    git(&repo, &["config", "user.email", "bench@example.invalid"]);
    std::fs::write(repo.join("app/cm.yaml"), cm(name, 0)).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "0"]);
    apply(
        client,
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"url": server.url(name), "interval": interval, "ref": {"branch": "main"}}}),
    )
    .await;
    apply(client, json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"interval": "1h", "path": "./app", "prune": true, "sourceRef": {"kind": "GitRepository", "name": name}}}))
    .await;
    repo
}

fn cm(name: &str, i: usize) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: bench\ndata:\n  n: \"{i}\"\n")
}

/// Commit change `i`, call `webhook` (if any), and time until the Kustomization applied it.
async fn push(client: &Client, repo: &Path, name: &str, i: usize, webhook: Option<&dyn Fn()>) -> Duration {
    std::fs::write(repo.join("app/cm.yaml"), cm(name, i)).unwrap();
    git(repo, &["commit", "-q", "-am", &i.to_string()]);
    let want = format!("main@sha1:{}", git(repo, &["rev-parse", "HEAD"]));
    let t0 = Instant::now();
    if let Some(call) = webhook {
        call();
    }
    while applied_revision(client, name).await.as_deref() != Some(want.as_str()) {
        assert!(t0.elapsed() < Duration::from_secs(120), "{name}: push {i} never applied");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    t0.elapsed()
}

fn summary(what: &str, mut d: Vec<Duration>) -> Duration {
    d.sort();
    let (p50, p99) = (percentile(&d, 0.5), percentile(&d, 0.99));
    println!("{what:<28} n={:<4} p50 {:>8.3}s  p99 {:>8.3}s", d.len(), p50.as_secs_f64(), p99.as_secs_f64());
    p50
}

#[tokio::main]
async fn main() {
    let pushes: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let events: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    for crd in glidepath_api::crdgen::all() {
        Api::<CustomResourceDefinition>::all(client.clone()).create(&PostParams::default(), &crd).await.unwrap();
    }
    for ns in [NS, "bench"] {
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap())
            .await
            .unwrap();
    }
    let loopback = Some("127.0.0.1:0".parse().unwrap());
    let settings = glidepath::sync::Settings {
        notification: true,
        notification_addr: loopback,
        receiver_addr: loopback,
        ..Default::default()
    };
    let sync = glidepath::sync::start(client.clone(), settings).unwrap();
    let listeners = &sync.context.notification_listeners;
    let (events_addr, hooks_addr) = (listeners.events_addr.unwrap(), listeners.hooks_addr.unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let server = GitHttpServer::start(tmp.path(), None);

    // 1. Push → applied, through the Receiver and by polling.
    let hooked = setup_app(&client, &server, tmp.path(), "hooked", "1h").await;
    let polled = setup_app(&client, &server, tmp.path(), "polled", "5s").await;
    apply(
        &client,
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hook", "namespace": NS},
        "stringData": {"token": "bench-token"}}),
    )
    .await;
    apply(
        &client,
        json!({"apiVersion": "notification.toolkit.fluxcd.io/v1", "kind": "Receiver",
        "metadata": {"name": "github", "namespace": NS},
        "spec": {"type": "github", "events": ["push"], "secretRef": {"name": "hook"},
            "resources": [{"kind": "GitRepository", "name": "hooked"}]}}),
    )
    .await;
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("notification.toolkit.fluxcd.io", "v1", "Receiver"));
    let receivers: Api<DynamicObject> = Api::namespaced_with(client.clone(), NS, &ar);
    let path = loop {
        if let Some(p) = receivers.get("github").await.unwrap().data["status"]["webhookPath"].as_str() {
            break p.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for name in ["hooked", "polled"] {
        while applied_revision(&client, name).await.is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let body = br#"{"ref":"refs/heads/main"}"#.to_vec();
    let sig = glidepath_notify::hex(&glidepath_notify::hmac_sha256(b"bench-token", &body));
    let url = format!("http://{hooks_addr}{path}");
    let call = || {
        let (url, body, sig) = (url.clone(), body.clone(), sig.clone());
        tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("X-GitHub-Event", "push")
                .header("X-Hub-Signature-256", format!("sha256={sig}"))
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        });
    };
    let mut with_hook = Vec::new();
    let mut by_polling = Vec::new();
    for i in 1..=pushes {
        with_hook.push(push(&client, &hooked, "hooked", i, Some(&call)).await);
        by_polling.push(push(&client, &polled, "polled", i, None).await);
    }
    println!("push → applied ({pushes} pushes each)");
    let hook_p50 = summary("  Receiver webhook", with_hook);
    let poll_p50 = summary("  polling (interval 5s)", by_polling);
    println!("  ratio (polling p50 / webhook p50): {:.1}x", poll_p50.as_secs_f64() / hook_p50.as_secs_f64().max(1e-6));

    // 2. Dispatch throughput.
    let delivered = Arc::new(AtomicUsize::new(0));
    let d = delivered.clone();
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move || {
            let d = d.clone();
            async move {
                d.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    apply(
        &client,
        json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",
        "metadata": {"name": "sink", "namespace": NS}, "spec": {"type": "generic", "address": target}}),
    )
    .await;
    for a in 0..100 {
        apply(&client, json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
            "metadata": {"name": format!("alert-{a}"), "namespace": NS},
            "spec": {"providerRef": {"name": "sink"}, "eventSources": [{"kind": "Kustomization", "name": format!("app-{a}")}]}}))
        .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await; // the Alerts reach the dispatcher's cache
    let http = reqwest::Client::new();
    let rss_before = rss_kib();
    let t0 = Instant::now();
    let mut accepted = 0;
    for i in 0..events {
        let event = json!({"involvedObject": {"kind": "Kustomization", "namespace": NS, "name": format!("app-{}", i % 100),
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1"}, "severity": "info", "timestamp": "2026-12-06T00:00:00Z",
            "message": format!("event {i}"), "reason": "ReconciliationSucceeded", "reportingController": "kustomize-controller"});
        if http.post(format!("http://{events_addr}/")).json(&event).send().await.unwrap().status() == 202 {
            accepted += 1;
        }
    }
    let posted = t0.elapsed();
    while delivered.load(Ordering::Relaxed) < accepted && t0.elapsed() < Duration::from_secs(300) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = t0.elapsed();
    println!("dispatch: {events} events to 100 Alerts through the event server");
    println!(
        "  accepted {accepted} in {:.2}s ({:.0} events/s), delivered {} in {:.2}s",
        posted.as_secs_f64(),
        accepted as f64 / posted.as_secs_f64(),
        delivered.load(Ordering::Relaxed),
        all.as_secs_f64()
    );
    println!("  process RSS {} MiB before, {} MiB after", rss_before / 1024, rss_kib() / 1024);
    drop(sync);
    sandbox.shutdown().await.unwrap();
}
