//! Repository index benchmark: a bitnami-sized `index.yaml` (every entry with the fields real
//! indexes carry: descriptions, maintainers, keywords, annotations, dependencies) parsed by
//! `repo::parse_index` (compact: names, versions, URLs, digests, dates), against a generic YAML
//! parse that keeps the whole document (serde_norway into a JSON value, what a naive
//! controller holds). Prints time, the parsed size estimate and the process's peak RSS growth.
//!
//! `cargo run --profile dist -p glidepath-helm --example index_bench [-- CHARTS VERSIONS]`
#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark

use std::time::Instant;

fn index(charts: usize, versions: usize) -> String {
    let mut y = String::from("apiVersion: v1\nentries:\n");
    for c in 0..charts {
        y.push_str(&format!("  chart-{c}:\n"));
        for v in 0..versions {
            y.push_str(&format!(
                "  - annotations:\n      category: Infrastructure\n      images: |\n        - name: chart-{c}\n          image: docker.io/bitnami/chart-{c}:1.{v}.0-debian-12-r0\n      licenses: Apache-2.0\n    apiVersion: v2\n    appVersion: 1.{v}.0\n    created: \"2024-05-{:02}T10:{:02}:00.123456789Z\"\n    dependencies:\n    - name: common\n      repository: oci://registry-1.docker.io/bitnamicharts\n      tags:\n      - bitnami-common\n      version: 2.x.x\n    description: Chart {c} is a piece of software packaged by Bitnami, with a long description as real indexes have them.\n    digest: {:064x}\n    home: https://bitnami.com\n    icon: https://bitnami.com/assets/stacks/chart-{c}/img/chart-{c}-stack-220x234.png\n    keywords:\n    - chart-{c}\n    - database\n    - infrastructure\n    maintainers:\n    - name: Broadcom, Inc. All Rights Reserved.\n      url: https://github.com/bitnami/charts\n    name: chart-{c}\n    sources:\n    - https://github.com/bitnami/charts/tree/main/bitnami/chart-{c}\n    urls:\n    - https://charts.bitnami.com/bitnami/chart-{c}-{}.{v}.0.tgz\n    version: {}.{v}.0\n",
                1 + v % 28,
                v % 60,
                c * 100_000 + v,
                v % 3,
                v % 3
            ));
        }
    }
    y.push_str("generated: \"2024-05-01T00:00:00Z\"\n");
    y
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One parse in this process: (milliseconds, peak RSS growth in KiB, a summary).
fn measure(mode: &str, text: &str) -> (f64, u64, String) {
    let before = peak_rss_kib();
    let start = Instant::now();
    let summary = if mode == "ours" {
        let parsed = glidepath_helm::repo::parse_index(text.as_bytes()).expect("parse");
        let kept: usize = parsed.entries.values().map(Vec::len).sum();
        let hit = glidepath_helm::repo::select(&parsed, "chart-7", "*").expect("select");
        format!("{kept} versions kept; chart-7 '*' -> {}", hit.version)
    } else {
        let generic: serde_json::Value = serde_norway::from_str(text).expect("generic parse");
        format!("{} top-level keys", generic.as_object().map_or(0, serde_json::Map::len))
    };
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    (ms, peak_rss_kib().saturating_sub(before), summary)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nums: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let (charts, versions) = (nums.first().copied().unwrap_or(300), nums.get(1).copied().unwrap_or(100));
    let text = index(charts, versions);
    // Each parse in its own process, so one's peak does not hide the other's.
    if let Some(mode) = args.iter().find(|a| *a == "ours" || *a == "generic") {
        let (ms, kib, summary) = measure(mode, &text);
        println!("{ms:.0} {kib} {summary}");
        return;
    }
    let mib = text.len() as f64 / (1024.0 * 1024.0);
    println!("index.yaml: {charts} charts x {versions} versions, {mib:.1} MiB");
    let run = |mode: &str| -> (f64, u64, String) {
        let exe = std::env::current_exe().expect("own path");
        let out = std::process::Command::new(exe)
            .args([charts.to_string(), versions.to_string(), mode.to_owned()])
            .output()
            .expect("run a measurement");
        let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let mut parts = line.splitn(3, ' ');
        let ms = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0.0);
        let kib = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        (ms, kib, parts.next().unwrap_or_default().to_owned())
    };
    let (ours_ms, ours_kib, ours) = run("ours");
    let (base_ms, base_kib, base) = run("generic");
    println!("parse_index (compact):  {ours_ms:>8.0} ms, peak RSS +{ours_kib:>7} KiB  ({ours})");
    println!("generic YAML document:  {base_ms:>8.0} ms, peak RSS +{base_kib:>7} KiB  ({base})");
    println!(
        "ratio (ours / generic): time {:.2}, peak RSS growth {:.2}",
        ours_ms / base_ms.max(1e-9),
        ours_kib as f64 / base_kib.max(1) as f64
    );
}
