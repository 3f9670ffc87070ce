//! Scale benchmark (prints figures; asserts nothing): N canaries released at once against the
//! sandbox, the controller in its own process.
//!
//!     cargo build --profile dist -p glidepath && cargo run --profile dist -p glidepath --example scale [-- N]
//!
//! Creates N Deployments and N blue/green Canaries (kubernetes provider, interval 10s,
//! 2 iterations), waits for all to initialise, publishes a new revision of every Deployment,
//! and waits for every release to succeed. Prints the wall time against the minimum the
//! intervals allow, the step lag (`glidepath_canary_step_lag_seconds`: delay between a canary
//! being due and its step starting) and the controller's peak RSS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::time::{Duration, Instant};

use glidepath_api::flagger::Canary;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

async fn for_all(
    n: usize,
    concurrency: usize,
    f: impl Fn(usize) -> futures::future::BoxFuture<'static, ()> + Send + Sync + 'static,
) {
    let f = std::sync::Arc::new(f);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (f, next) = (f.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return;
                }
                f(i).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// The allocator the `glidepath` binary uses (the sandbox runs in this process).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn phases(api: &Api<Canary>) -> std::collections::BTreeMap<String, usize> {
    let mut m = std::collections::BTreeMap::new();
    for c in api.list(&ListParams::default()).await.unwrap().items {
        *m.entry(c.status.map(|s| s.phase.as_str().to_owned()).unwrap_or_default()).or_default() += 1;
    }
    m
}

/// p-quantile from a Prometheus text histogram.
fn quantile(metrics: &str, name: &str, q: f64) -> Option<f64> {
    let mut buckets: Vec<(f64, f64)> = metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}_bucket")))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let count: f64 = l.rsplit(' ').next()?.parse().ok()?;
            Some((if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? }, count))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last()?.1;
    buckets.iter().find(|(_, c)| *c >= q * total).map(|(le, _)| *le)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    for crd in glidepath_api::crdgen::all() {
        Api::<CustomResourceDefinition>::all(client.clone()).create(&PostParams::default(), &crd).await.unwrap();
    }
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "bench"}})).unwrap())
        .await
        .unwrap();
    let deploy = |i: usize, image: &str| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": format!("app-{i}"), "namespace": "bench"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": format!("app-{i}")}},
                "template": {"metadata": {"labels": {"app": format!("app-{i}")}}, "spec": {"containers": [{"name": "c", "image": image}]}}}})
    };
    let started = Instant::now();
    let c = client.clone();
    for_all(n, 16, move |i| {
        let c = c.clone();
        let d = deploy(i, "app:1");
        Box::pin(async move {
            let api: Api<Deployment> = Api::namespaced(c.clone(), "bench");
            api.patch(&format!("app-{i}"), &PatchParams::apply("bench"), &Patch::Apply(&d)).await.unwrap();
            let canary = json!({"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "metadata": {"name": format!("app-{i}"), "namespace": "bench"},
                "spec": {"provider": "kubernetes", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": format!("app-{i}")},
                    "service": {"port": 80}, "analysis": {"interval": "10s", "threshold": 1, "iterations": 2}}});
            Api::<Canary>::namespaced(c, "bench").patch(&format!("app-{i}"), &PatchParams::apply("bench"), &Patch::Apply(&canary)).await.unwrap();
        })
    })
    .await;
    println!("created {n} Deployments + Canaries in {:.1} s", started.elapsed().as_secs_f64());

    let dir = std::env::temp_dir().join(format!("glidepath-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    sandbox.write_kubeconfig(&dir.join("kubeconfig")).unwrap();
    let bin = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("glidepath");
    assert!(bin.exists(), "build the binary first: cargo build --profile dist -p glidepath");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut controller = std::process::Command::new(bin)
        .args([
            "controller",
            "--kubeconfig",
            dir.join("kubeconfig").to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "32",
        ])
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = controller.id();
    let canaries: Api<Canary> = Api::namespaced(client.clone(), "bench");
    let mut peak = 0;
    let t0 = Instant::now();
    loop {
        peak = peak.max(rss_kib(pid));
        if phases(&canaries).await.get("Initialized") == Some(&n) {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(600), "not all initialised: {:?}", phases(&canaries).await);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let init = t0.elapsed();
    println!(
        "all {n} initialised {:.1} s after the controller started (minimum: 1 interval = 10 s: create the primary, then initialise)",
        init.as_secs_f64()
    );
    let idle_rss = rss_kib(pid);

    let c = client.clone();
    for_all(n, 16, move |i| {
        let c = c.clone();
        Box::pin(async move {
            let api: Api<Deployment> = Api::namespaced(c, "bench");
            let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "app:2"}]}}}});
            api.patch(&format!("app-{i}"), &PatchParams::default(), &Patch::Strategic(&patch)).await.unwrap();
        })
    })
    .await;
    let t1 = Instant::now();
    let before = sandbox.request_counts();
    loop {
        peak = peak.max(rss_kib(pid));
        let p = phases(&canaries).await;
        if p.get("Succeeded") == Some(&n) {
            break;
        }
        assert!(t1.elapsed() < Duration::from_secs(900), "not all succeeded: {p:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let release = t1.elapsed();
    let metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap();
    println!(
        "all {n} releases succeeded {:.1} s after the new revisions (minimum: up to 1 tick to notice + 6 ticks = 60-70 s)",
        release.as_secs_f64()
    );
    println!(
        "step lag                      p50 <= {:.3} s   p99 <= {:.3} s   (histogram bucket bounds)",
        quantile(&metrics, "glidepath_canary_step_lag_seconds", 0.5).unwrap_or(f64::NAN),
        quantile(&metrics, "glidepath_canary_step_lag_seconds", 0.99).unwrap_or(f64::NAN)
    );
    println!("controller RSS                idle after init {} MiB, peak {} MiB", idle_rss / 1024, peak / 1024);
    // API requests of the release (counted from after the new revisions were published), per
    // canary tick: 6 each (Progressing, 2 iterations, switch, Promoting, Finalising/Succeeded).
    let mut calls: std::collections::BTreeMap<(String, String), u64> = sandbox.request_counts();
    for (k, v) in before {
        if let Some(n) = calls.get_mut(&k) {
            *n -= v;
        }
    }
    // The benchmark's own polling.
    calls.remove(&("list".to_owned(), "canaries".to_owned()));
    let steps = (n * 6) as f64;
    let total: u64 = calls.values().sum();
    println!(
        "API calls per canary step     {:.2} (all verbs; {total} calls over {n} releases x 6 ticks)",
        total as f64 / steps
    );
    for ((verb, resource), count) in calls.iter().filter(|(_, c)| **c > 0) {
        println!("    {verb:<8} {resource:<32} {:.2} per step", *count as f64 / steps);
    }
    controller.kill().unwrap();
    let _ = controller.wait();
    let _ = std::fs::remove_dir_all(&dir);
    sandbox.shutdown().await.unwrap();
}
