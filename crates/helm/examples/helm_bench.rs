//! Render time and peak memory of the native engine against Helm 4.2.3 itself (libhelm via
//! `scripts/helm-oracle.py --bench`) in the same run, on podinfo, the `prometheus` chart with
//! its dependencies, and the corpus's largest chart × values set.
//!
//! Columns: "ours" vs "helm" is `glidepath template` vs `helm template` end to end ("cold x"
//! their ratio); "warm" vs "engine" is a render of an already loaded chart: ours with its
//! templates parsed once (what the HelmRelease controller does at every reconcile), Helm's
//! engine on its loaded chart ("warm x" their ratio; Helm's engine parses every template each
//! time and its figure leaves out hooks sorting, so this favours Helm).
//!
//! "ours" is `glidepath template` end to end (load the chart from disk, merge values, render,
//! sort, print), as Helm's figure is (`helm template`: a client-only install that loads the
//! chart each time). "warm" renders an already loaded chart whose templates were parsed once,
//! which is what the HelmRelease controller does on every reconcile.
//!
//! `cargo run --profile dist -p glidepath-helm --example helm_bench [ITERATIONS]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use glidepath_helm::command::{TemplateCommand, run_template_with};

// The system allocator, not the binary's mimalloc: glibc's RSS follows the live heap more
// closely, so "RSS+" is a fair bound on the engine's peak memory (mimalloc keeps freed pages
// and shows ~10 MiB more; render times differ by a few per cent).

/// A field of /proc/self/status in KiB (VmRSS, VmHWM).
fn status_kib(field: &str) -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok()).unwrap_or(f64::NAN)
}

/// The chart and options `run_template_with` would build, for renders without reloading.
fn warm_inputs(
    cmd: &TemplateCommand,
    sprig: &glidepath_sprig::Options,
) -> (glidepath_helm::Chart, glidepath_helm::TemplateOptions) {
    let chart = glidepath_helm::load_chart(std::path::Path::new(&cmd.args[1])).unwrap();
    let opts = glidepath_helm::TemplateOptions {
        release: glidepath_helm::Release { name: cmd.args[0].clone(), ..Default::default() },
        values: glidepath_helm::command::merge_user_values(cmd).unwrap(),
        sprig: sprig.clone(),
        ..Default::default()
    };
    (chart, opts)
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let charts = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/helm/charts"));
    let oracle = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/helm-oracle.py"));
    let cases: [(&str, Vec<String>); 3] = [
        ("podinfo", vec!["rel".into(), charts.join("podinfo").display().to_string()]),
        ("prometheus (5 dependencies)", vec!["rel".into(), charts.join("prometheus").display().to_string()]),
        (
            "largest: prometheus × 06-server-sts-values",
            vec![
                "rel".into(),
                charts.join("prometheus").display().to_string(),
                "-f".into(),
                charts.join("prometheus/ci/06-server-sts-values.yaml").display().to_string(),
            ],
        ),
    ];
    println!("{n} renders each (load + values + render + sort + stream), release build vs Helm 4.2.3 (libhelm)");
    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>10} {:>8} {:>8} {:>11} {:>11} {:>8}",
        "chart", "ours ms", "helm ms", "warm ms", "engine ms", "cold x", "warm x", "ours RSS+", "helm RSS+", "output"
    );
    for (label, argv) in cases {
        let cmd = TemplateCommand::from_args(&argv).unwrap();
        let sprig = glidepath_sprig::Options::fixed(1_700_000_000, 1);
        let out = run_template_with(&cmd, &sprig).unwrap();
        // Warm: the chart loaded and its templates parsed once, as the controller keeps them.
        let (chart, opts) = warm_inputs(&cmd, &sprig);
        let start = Instant::now();
        for _ in 0..n {
            let r = glidepath_helm::render_release(&chart, &opts).unwrap();
            assert!(!glidepath_helm::template_stream(&r, &opts).unwrap().is_empty());
        }
        let warm = start.elapsed().as_secs_f64() / n as f64;
        // Peak RSS growth over the renders (the kernel resets VmHWM on "5" > clear_refs).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let base = status_kib("VmRSS:");
        // GLIDEPATH_BENCH_WARM_ONLY=1 skips the cold loop (for profiling the warm path).
        let cold_n = if std::env::var_os("GLIDEPATH_BENCH_WARM_ONLY").is_some() { 1 } else { n };
        let start = Instant::now();
        for _ in 0..cold_n {
            let o = run_template_with(&cmd, &sprig).unwrap();
            assert_eq!(o.len(), out.len());
        }
        let ours = start.elapsed().as_secs_f64() / cold_n as f64;
        let peak = (status_kib("VmHWM:") - base).max(0.0);
        // GLIDEPATH_BENCH_NO_ORACLE=1 profiles the native engine alone.
        let skip = std::env::var_os("GLIDEPATH_BENCH_NO_ORACLE").is_some();
        let helm = Command::new(if skip { "true" } else { "python3" })
            .arg(&oracle)
            .arg("--bench")
            .arg(n.to_string())
            .args(&argv)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&helm.stdout).unwrap_or_default();
        let helm_s = report["seconds_per_render"].as_f64().unwrap_or(f64::NAN);
        let helm_rss = report["rss_growth_kib"].as_f64().unwrap_or(f64::NAN);
        let engine = report["engine_seconds"].as_f64().unwrap_or(f64::NAN);
        println!(
            "{:<44} {:>8.2} {:>8.2} {:>8.2} {:>10.2} {:>7.1}x {:>7.1}x {:>7.1} MiB {:>7.1} MiB {:>4} KiB",
            label,
            ours * 1e3,
            helm_s * 1e3,
            warm * 1e3,
            engine * 1e3,
            helm_s / ours,
            engine / warm,
            peak / 1024.0,
            helm_rss / 1024.0,
            out.len() / 1024
        );
    }
}
