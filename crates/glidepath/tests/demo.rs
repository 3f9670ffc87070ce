//! `glidepath demo --speed fast --no-tty`, run as a person would run it (the binary, a real
//! Prometheus from the Debian package, the README's command): the good version is promoted,
//! the bad one rolled back, Prometheus sees no traffic reach the bad canary afterwards, and the
//! plot and summary are written. `--scenario gitops` tells the same story through a real
//! `docker-registry`, a Git repository and the sync engine: each release goes around the
//! whole loop, hop by hop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, Instant};

/// Run `glidepath demo <args> --speed fast --no-tty --out <out>`, killed after five minutes
/// (a fast demo takes one or two); its stdout, after asserting it succeeded.
fn run_demo(out: &std::path::Path, args: &[&str]) -> String {
    let _ = std::fs::remove_dir_all(out);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_glidepath"))
        .args(["demo", "--speed", "fast", "--no-tty", "--out", out.to_str().unwrap()])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "demo failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}", output.status);
    stdout
}

#[test]
fn the_demo_promotes_the_good_version_and_rolls_back_the_bad_one() {
    let out = std::env::temp_dir().join(format!("glidepath-demo-test-{}", std::process::id()));
    let stdout = run_demo(&out, &[]);

    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let phases: Vec<&str> =
        summary["releases"].as_array().unwrap().iter().map(|r| r["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["Succeeded", "Failed"], "{stdout}");
    let good = &summary["releases"][0];
    assert_eq!(good["max_canary_weight"], 75, "the good version went through every step: {good}");
    let bad = &summary["releases"][1];
    assert!(bad["failed_checks"].as_i64().unwrap() >= 3, "rolled back by failed checks: {bad}");
    assert_eq!(summary["bad_canary_requests_after_rollback"], 0.0, "{stdout}");
    // The error rate the demo measured from Prometheus shows the bad canary failing.
    let worst = summary["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["canary_errors"].as_f64())
        .fold(0.0_f64, f64::max);
    assert!(worst > 10.0, "the bad canary's error rate was seen: {worst}");

    let plot = std::fs::read_to_string(out.join("plot.svg")).unwrap();
    assert!(plot.starts_with("<svg") && plot.contains("<polyline"), "{plot}");
    assert!(stdout.contains("the demo ended as expected"), "{stdout}");
    assert!(stdout.contains(&out.join("plot.svg").display().to_string()), "the plot's path is printed");
    assert!(stdout.contains("event: Advance podinfo.demo canary weight 10"), "{stdout}");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_gitops_demo_carries_each_pushed_image_around_the_loop() {
    if glidepath::demo::prometheus::find(None).is_none() || glidepath::demo::registry::find(None).is_none() {
        eprintln!("skipped: needs prometheus and docker-registry (scripts/install-test-deps.sh installs them)");
        return;
    }
    let out = std::env::temp_dir().join(format!("glidepath-demo-gitops-test-{}", std::process::id()));
    let started = Instant::now();
    let stdout = run_demo(&out, &["--scenario", "gitops"]);
    eprintln!("gitops demo took {:.1}s", started.elapsed().as_secs_f64());

    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "gitops");
    let releases = summary["releases"].as_array().unwrap();
    let phases: Vec<(&str, &str)> =
        releases.iter().map(|r| (r["version"].as_str().unwrap(), r["phase"].as_str().unwrap())).collect();
    assert_eq!(phases, [("6.9.1", "Succeeded"), ("6.9.2", "Failed")], "{stdout}");
    let hop_order = ["pushed", "scanned", "picked", "committed", "fetched", "applied", "progressing", "finished"];
    for r in releases {
        let hops = r["hops"].as_array().unwrap();
        let names: Vec<&str> = hops.iter().map(|h| h["hop"].as_str().unwrap()).collect();
        assert_eq!(names, hop_order, "{r}");
        let times: Vec<f64> = hops.iter().map(|h| h["seconds"].as_f64().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "hops in time order: {times:?}");
        let commit = r["commit"].as_str().unwrap();
        let applied = hops.iter().find(|h| h["hop"] == "applied").unwrap();
        assert!(applied["detail"].as_str().unwrap().ends_with(commit), "the automation's commit was applied: {r}");
    }
    assert_eq!(releases[0]["max_canary_weight"], 75, "every step: {}", releases[0]);
    assert!(releases[1]["failed_checks"].as_i64().unwrap() >= 3, "rolled back by failed checks: {}", releases[1]);
    assert_eq!(summary["bad_canary_requests_after_rollback"], 0.0, "{stdout}");
    let promoted = summary["push_to_promoted_seconds"].as_f64().unwrap();
    assert!(promoted > 0.0, "{summary}");
    // Git holds the seed and one automation commit per release, newest first.
    let log: Vec<&str> = summary["git_log"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log[0].contains("Fluxbot: Release") && log[0].contains("6.9.2"), "{log:?}");
    assert!(log[1].contains("Fluxbot: Release") && log[1].contains("6.9.1"), "{log:?}");

    let plot = std::fs::read_to_string(out.join("plot.svg")).unwrap();
    assert!(plot.contains("6.9.1 committed") && plot.contains("6.9.2 finished"), "hops are marked in the plot");
    assert!(stdout.contains(&format!("push to promoted (good release): {promoted:.1}s")), "{stdout}");
    assert!(stdout.contains("the demo ended as expected"), "{stdout}");
    std::fs::remove_dir_all(&out).unwrap();
}
