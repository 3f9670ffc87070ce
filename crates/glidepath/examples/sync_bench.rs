//! Sync benchmark (prints figures; asserts nothing): N Kustomizations × 4 objects (Deployment,
//! ServiceAccount, Service, Ingress) from one Git repository, against the sandbox, with the
//! controller (`--controllers git,kustomize`) in its own process — Flux's flux-benchmark load.
//!
//!     cargo build --profile dist -p glidepath --example sync_bench && \
//!         target/dist/examples/sync_bench [N] [WORKERS]
//!
//! Phases: cold sync (all Ready at the first revision), a forced full resync of every
//! Kustomization (`reconcile.fluxcd.io/requestedAt`: build + dry-run of every object, drift
//! correction), and a monorepo commit that changes one app. For each: wall time, object writes
//! (resourceVersion changes in the app namespace), all API writes (global resourceVersion delta)
//! and the controller's peak RSS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use glidepath_api::flux::Kustomization;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

/// The allocator the `glidepath` binary uses (the sandbox runs in this process).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn app_files(i: usize, image: &str) -> Vec<(String, String)> {
    let n = format!("app-{i}");
    vec![
        (
            "deploy.yaml".into(),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\n  namespace: bench\nspec:\n  replicas: 0\n  selector:\n    matchLabels:\n      app: {n}\n  template:\n    metadata:\n      labels:\n        app: {n}\n    spec:\n      serviceAccountName: {n}\n      containers:\n      - name: app\n        image: {image}\n        ports:\n        - containerPort: 9898\n"
            ),
        ),
        (
            "sa.yaml".into(),
            format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {n}\n  namespace: bench\n"),
        ),
        (
            "svc.yaml".into(),
            format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {n}\n  namespace: bench\nspec:\n  selector:\n    app: {n}\n  ports:\n  - port: 80\n    targetPort: 9898\n"
            ),
        ),
        (
            "ingress.yaml".into(),
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {n}\n  namespace: bench\nspec:\n  rules:\n  - host: {n}.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: {n}\n            port:\n              number: 80\n"
            ),
        ),
    ]
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// Every app object (minus status and resourceVersion), by kind/name.
async fn object_versions(client: &Client) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (g, v, k) in [
        ("apps", "v1", "Deployment"),
        ("", "v1", "ServiceAccount"),
        ("", "v1", "Service"),
        ("networking.k8s.io", "v1", "Ingress"),
    ] {
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), "bench", &ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, k)));
        for o in api.list(&ListParams::default()).await.unwrap().items {
            // Everything but status and resourceVersion: the workload simulator's status updates
            // are not writes of the controller; a controller write changes content or managedFields.
            let mut v = serde_json::to_value(&o).unwrap();
            v.as_object_mut().unwrap().remove("status");
            v["metadata"].as_object_mut().unwrap().remove("resourceVersion");
            out.insert(format!("{k}/{}", o.metadata.name.unwrap_or_default()), v.to_string());
        }
    }
    out
}

fn writes(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> usize {
    after.iter().filter(|(k, v)| before.get(*k) != Some(*v)).count()
}

/// The sandbox's global resourceVersion (one counter for every write).
async fn global_rv(client: &Client) -> u64 {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "bench");
    api.list_metadata(&ListParams::default().limit(1))
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap()
        .parse()
        .unwrap()
}

/// Wait until `done` holds for every Kustomization; returns the elapsed time and the peak RSS.
async fn wait_all(
    client: &Client,
    pid: u32,
    n: usize,
    what: &str,
    done: impl Fn(&Kustomization) -> bool,
) -> (Duration, u64) {
    let api: Api<Kustomization> = Api::namespaced(client.clone(), "flux-system");
    let t0 = Instant::now();
    let mut peak = 0;
    loop {
        peak = peak.max(rss_kib(pid, "VmRSS:"));
        let list = api.list(&ListParams::default()).await.unwrap().items;
        let ok = list.iter().filter(|k| done(k)).count();
        if ok == n {
            return (t0.elapsed(), peak.max(rss_kib(pid, "VmRSS:")));
        }
        assert!(t0.elapsed() < Duration::from_secs(600), "{what}: only {ok}/{n} after 10 minutes");
        // Listing N Kustomizations costs the shared CPU too: poll gently.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn applied(k: &Kustomization, rev: &str) -> bool {
    let s = k.status.as_ref();
    s.and_then(|s| s.last_applied_revision.as_deref()) == Some(rev)
        && s.and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let workers: u16 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(16);
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    for crd in glidepath_api::crdgen::all() {
        Api::<CustomResourceDefinition>::all(client.clone()).create(&PostParams::default(), &crd).await.unwrap();
    }
    for ns in ["flux-system", "bench"] {
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap())
            .await
            .unwrap();
    }

    // One repository, one directory per app.
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["config", "user.name", "bench"]);
    git(&repo, &["config", "user.email", "bench@example.invalid"]);
    for i in 0..n {
        let dir = repo.join(format!("apps/app-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        for (f, content) in app_files(i, "ghcr.io/stefanprodan/podinfo:6.0.0") {
            std::fs::write(dir.join(f), content).unwrap();
        }
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "apps"]);
    let rev1 = format!("main@sha1:{}", git(&repo, &["rev-parse", "HEAD"]));

    let dir = tmp.path().join("run");
    std::fs::create_dir_all(&dir).unwrap();
    sandbox.write_kubeconfig(&dir.join("kubeconfig")).unwrap();
    let bin = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("glidepath");
    assert!(bin.exists(), "build the binary first: cargo build --profile dist -p glidepath");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut controller = Command::new(bin)
        .args([
            "controller",
            "--controllers",
            "git,kustomize",
            "--kubeconfig",
            dir.join("kubeconfig").to_str().unwrap(),
        ])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--sync-workers", &workers.to_string()])
        .args(["--storage-path", dir.join("storage").to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = controller.id();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(pid, "VmRSS:");

    // Phase 1: cold sync.
    let rv0 = global_rv(&client).await;
    let t0 = Instant::now();
    let repos: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "flux-system",
        &ApiResource::from_gvk(&GroupVersionKind::gvk("source.toolkit.fluxcd.io", "v1", "GitRepository")),
    );
    let gitrepo = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "apps", "namespace": "flux-system"},
        "spec": {"url": format!("file://{}", repo.display()), "interval": "2s", "ref": {"branch": "main"}}});
    repos.patch("apps", &PatchParams::apply("bench"), &Patch::Apply(&gitrepo)).await.unwrap();
    let ks_api: Api<Kustomization> = Api::namespaced(client.clone(), "flux-system");
    for i in 0..n {
        let ks = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": format!("app-{i}"), "namespace": "flux-system"},
            "spec": {"interval": "60m", "path": format!("./apps/app-{i}"), "prune": true,
                "sourceRef": {"kind": "GitRepository", "name": "apps"}}});
        ks_api.patch(&format!("app-{i}"), &PatchParams::apply("bench"), &Patch::Apply(&ks)).await.unwrap();
    }
    let created = t0.elapsed();
    let (_, peak_cold) = wait_all(&client, pid, n, "cold sync", |k| applied(k, &rev1)).await;
    let cold = t0.elapsed();
    let objects = object_versions(&client).await;
    let rv1 = global_rv(&client).await;
    println!("== {n} Kustomizations x 4 objects, {workers} workers (controller pid {pid})");
    println!(
        "cold sync            {:>7.2} s  ({} objects, {} API writes; creating the {n} Kustomizations took {:.2} s)",
        cold.as_secs_f64(),
        objects.len(),
        rv1 - rv0,
        created.as_secs_f64()
    );
    println!("controller RSS       idle {} MiB, peak during cold sync {} MiB", idle / 1024, peak_cold / 1024);

    // Phase 2: forced full resync of everything (build + dry-run every object, drift correction).
    // First let the workload simulator finish rolling out the Deployments (its ReplicaSet and
    // status writes would otherwise be counted as the resync's API writes).
    let mut rv_before_request = global_rv(&client).await;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rv = global_rv(&client).await;
        if rv == rv_before_request {
            break;
        }
        rv_before_request = rv;
    }
    let token = "bench-resync-1";
    let t1 = Instant::now();
    // As `flux reconcile` would, for every Kustomization at once (16 requests in flight).
    futures::stream::iter(0..n)
        .map(|i| {
            let ks_api = ks_api.clone();
            async move {
                let patch = json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": token}}});
                ks_api.patch(&format!("app-{i}"), &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let requested = t1.elapsed();
    let (_, peak_resync) = wait_all(&client, pid, n, "resync", |k| {
        k.status.as_ref().and_then(|s| s.last_handled_reconcile_at.as_deref()) == Some(token)
    })
    .await;
    let resync = t1.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = object_versions(&client).await;
    let rv2 = global_rv(&client).await;
    println!(
        "no-op full resync    {:>7.2} s  (requesting it took {:.2} s; object writes {}, API writes (all clients) {}: status acks of the request; {} objects checked)",
        resync.as_secs_f64(),
        requested.as_secs_f64(),
        writes(&objects, &after),
        rv2 - rv_before_request - n as u64,
        after.len()
    );

    // Phase 3: a monorepo commit that changes one app.
    let files = app_files(0, "ghcr.io/stefanprodan/podinfo:6.0.1");
    std::fs::write(repo.join("apps/app-0/deploy.yaml"), &files[0].1).unwrap();
    git(&repo, &["commit", "-q", "-am", "bump app-0"]);
    let rev2 = format!("main@sha1:{}", git(&repo, &["rev-parse", "HEAD"]));
    let before = object_versions(&client).await;
    let rv3 = global_rv(&client).await;
    let t2 = Instant::now();
    loop {
        let r = repos.get("apps").await.unwrap();
        if serde_json::to_value(&r).unwrap()["status"]["artifact"]["revision"] == rev2.as_str() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let artifact = t2.elapsed();
    let (_, peak_commit) = wait_all(&client, pid, n, "monorepo commit", |k| applied(k, &rev2)).await;
    let commit = t2.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = object_versions(&client).await;
    let rv4 = global_rv(&client).await;
    println!(
        "one-app commit       {:>7.2} s  until all {n} report the new revision ({:.2} s until the new artifact, incl. the 2 s poll; object writes {}, API writes {}: status revision records + events)",
        commit.as_secs_f64(),
        artifact.as_secs_f64(),
        writes(&before, &after),
        rv4 - rv3
    );
    println!(
        "controller RSS       peak {} MiB (VmHWM {} MiB)",
        peak_cold.max(peak_resync).max(peak_commit) / 1024,
        rss_kib(pid, "VmHWM:") / 1024
    );
    println!(
        "anchor (Flux kustomize-controller, 1000 x 4): cold 4 min 16 s, 175 MiB; target < 30 s, < 100 MB, no-op resync zero writes < 2 s"
    );
    let _ = controller.kill();
    let _ = controller.wait();
    sandbox.shutdown().await.unwrap();
}
