//! Sandbox throughput benchmark (prints figures; asserts nothing):
//!
//!     cargo run --profile dist -p glidepath-sandbox --example sandbox_bench [-- DEPLOYMENTS WATCHERS CONCURRENCY]
//!
//! Creates DEPLOYMENTS (default 10,000) Deployments with CONCURRENCY (default 4) clients
//! while WATCHERS (default 100) watches stream every event, then updates each once, then
//! updates each again with 32 clients (the saturation rate; its latency is mostly queueing:
//! 32 in flight / rate), then LISTs them all. The baseline, measured in the same run with the same clients, is
//! `GET /healthz`: the cost of the HTTP round trip alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use glidepath_sandbox::{Config, Sandbox};
use serde_json::json;

/// The allocator the `glidepath` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Clients in the saturation phase.
const SATURATION: usize = 32;

fn arg(i: usize, default: usize) -> usize {
    std::env::args().nth(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Run `n` requests with `concurrency` workers; returns (elapsed, sorted latencies).
async fn load<F, Fut>(n: usize, concurrency: usize, f: F) -> (Duration, Vec<Duration>)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let f = Arc::new(f);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (f, next) = (f.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= n {
                    return lat;
                }
                let t = Instant::now();
                f(i).await;
                lat.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let elapsed = start.elapsed();
    all.sort();
    (elapsed, all)
}

fn report(name: &str, n: usize, (elapsed, lat): &(Duration, Vec<Duration>)) -> f64 {
    let rate = n as f64 / elapsed.as_secs_f64();
    println!(
        "{name:<28} {n:>7} requests in {:>7.2} s = {rate:>8.0}/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
        elapsed.as_secs_f64(),
        percentile(lat, 0.50).as_secs_f64() * 1000.0,
        percentile(lat, 0.99).as_secs_f64() * 1000.0
    );
    rate
}

fn deployment(i: usize, image: &str) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": format!("app-{i}"), "namespace": "default", "labels": {"app": format!("app-{i}")}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": format!("app-{i}")}},
            "template": {"metadata": {"labels": {"app": format!("app-{i}")}},
                "spec": {"containers": [{"name": "c", "image": image}]}}}
    })
}

#[tokio::main]
async fn main() {
    let (n, watchers, concurrency) = (arg(1, 10_000), arg(2, 100), arg(3, 4));
    let sandbox = Sandbox::start(Config { simulator: None, ..Config::default() }).await.unwrap();
    let base = sandbox.url();
    let client = reqwest::Client::builder().pool_max_idle_per_host(SATURATION.max(concurrency)).build().unwrap();
    println!("sandbox benchmark: {n} Deployments, {watchers} watchers, {concurrency} concurrent clients");
    let load_avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine: {} cores, load average {} (benchmark client, watchers and server share them)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_avg.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );

    let (c, b) = (client.clone(), base.clone());
    let baseline = load(n, concurrency, move |_| {
        let (c, b) = (c.clone(), b.clone());
        async move {
            c.get(format!("{b}/healthz")).send().await.unwrap();
        }
    })
    .await;
    let base_rate = report("baseline GET /healthz", n, &baseline);

    let events = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let mut streams = Vec::new();
    for _ in 0..watchers {
        let (c, b, events, bytes) = (client.clone(), base.clone(), events.clone(), bytes.clone());
        streams.push(tokio::spawn(async move {
            let mut r = c.get(format!("{b}/apis/apps/v1/deployments?watch=true")).send().await.unwrap();
            while let Ok(Some(chunk)) = r.chunk().await {
                events.fetch_add(memchr::memchr_iter(b'\n', &chunk).count() as u64, Ordering::Relaxed);
                bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (c, b) = (client.clone(), base.clone());
    let creates = load(n, concurrency, move |i| {
        let (c, b) = (c.clone(), b.clone());
        async move {
            let r = c
                .post(format!("{b}/apis/apps/v1/namespaces/default/deployments"))
                .json(&deployment(i, "web:1"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201);
        }
    })
    .await;
    let create_rate = report("create Deployment", n, &creates);

    let (c, b) = (client.clone(), base.clone());
    let patches = load(n, concurrency, move |i| {
        let (c, b) = (c.clone(), b.clone());
        async move {
            let r = c
                .patch(format!("{b}/apis/apps/v1/namespaces/default/deployments/app-{i}"))
                .header("content-type", "application/merge-patch+json")
                .body(r#"{"spec":{"replicas":2}}"#)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
        }
    })
    .await;
    let patch_rate = report("merge-patch Deployment", n, &patches);

    let (c, b) = (client.clone(), base.clone());
    let saturated = load(n, SATURATION, move |i| {
        let (c, b) = (c.clone(), b.clone());
        async move {
            let r = c
                .patch(format!("{b}/apis/apps/v1/namespaces/default/deployments/app-{i}"))
                .header("content-type", "application/merge-patch+json")
                .body(r#"{"spec":{"replicas":3}}"#)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
        }
    })
    .await;
    report(&format!("merge-patch, {SATURATION} clients"), n, &saturated);

    let mut lists = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let body = client.get(format!("{base}/apis/apps/v1/deployments")).send().await.unwrap().bytes().await.unwrap();
        lists.push(t.elapsed());
        assert!(body.len() > n * 100);
    }
    lists.sort();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delivered = events.load(Ordering::Relaxed);
    println!(
        "LIST {n} Deployments          median {:>7.1} ms (min {:.1}, max {:.1})",
        lists[2].as_secs_f64() * 1000.0,
        lists[0].as_secs_f64() * 1000.0,
        lists[4].as_secs_f64() * 1000.0
    );
    println!(
        "watch events delivered       {delivered} of {} expected ({} watchers x {} writes), {:.0} MB, {:.0} bytes per event",
        watchers * 3 * n,
        watchers,
        3 * n,
        bytes.load(Ordering::Relaxed) as f64 / 1e6,
        bytes.load(Ordering::Relaxed) as f64 / delivered.max(1) as f64
    );
    println!(
        "ratios to baseline           create {:.2}x   patch {:.2}x of the /healthz request rate",
        create_rate / base_rate,
        patch_rate / base_rate
    );
    for s in streams {
        s.abort();
    }
    sandbox.shutdown().await.unwrap();
}
