//! `glidepath demo --speed fast --no-tty`, run as a person would run it (the binary, a real
//! Prometheus from the Debian package, the README's command): the good version is promoted,
//! the bad one rolled back, Prometheus sees no traffic reach the bad canary afterwards, and the
//! plot and summary are written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::{Duration, Instant};

#[test]
fn the_demo_promotes_the_good_version_and_rolls_back_the_bad_one() {
    let out = std::env::temp_dir().join(format!("glidepath-demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_glidepath"))
        .args(["demo", "--speed", "fast", "--no-tty", "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: a fast demo takes about a minute; kill it after five.
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "demo failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}", output.status);

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
