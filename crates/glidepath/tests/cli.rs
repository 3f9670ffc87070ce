//! The `glidepath` binary as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::process::Command;

fn glidepath(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_glidepath")).args(args).output().expect("run glidepath")
}

#[test]
fn version_names_the_apis() {
    let out = glidepath(&["version"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("glidepath {}", env!("CARGO_PKG_VERSION"))), "{text}");
    assert!(text.contains("flagger.app/v1beta1") && text.contains("kustomize.toolkit.fluxcd.io/v1"), "{text}");
}

#[test]
fn crds_prints_every_crd_as_a_yaml_stream() {
    let out = glidepath(&["crds"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<String> = serde_norway::Deserializer::from_str(&text)
        .map(|d| {
            use serde::Deserialize;
            let v = serde_json::Value::deserialize(d).unwrap();
            assert_eq!(v["kind"], "CustomResourceDefinition");
            v["metadata"]["name"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "canaries.flagger.app",
            "metrictemplates.flagger.app",
            "alertproviders.flagger.app",
            "gitrepositories.source.toolkit.fluxcd.io",
            "ocirepositories.source.toolkit.fluxcd.io",
            "kustomizations.kustomize.toolkit.fluxcd.io",
            "helmrepositories.source.toolkit.fluxcd.io",
            "helmcharts.source.toolkit.fluxcd.io",
            "helmreleases.helm.toolkit.fluxcd.io",
            "imagerepositories.image.toolkit.fluxcd.io",
            "imagepolicies.image.toolkit.fluxcd.io",
            "imageupdateautomations.image.toolkit.fluxcd.io",
            "providers.notification.toolkit.fluxcd.io",
            "alerts.notification.toolkit.fluxcd.io",
            "receivers.notification.toolkit.fluxcd.io"
        ]
    );
}

#[test]
fn crds_check_reports_drift_and_out_dir_repairs_it() {
    let dir = std::env::temp_dir().join(format!("glidepath-crds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("flagger.app_canaries.yaml"), "stale").unwrap();
    std::fs::write(dir.join("old_kind.yaml"), "stale").unwrap();
    let out = glidepath(&["crds", "--check", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("flagger.app_canaries.yaml: differs"), "{err}");
    assert!(err.contains("flagger.app_metrictemplates.yaml: missing"), "{err}");
    assert!(err.contains("old_kind.yaml: not generated"), "{err}");

    std::fs::remove_file(dir.join("old_kind.yaml")).unwrap();
    assert!(glidepath(&["crds", "--out-dir", dir.to_str().unwrap()]).status.success());
    assert!(glidepath(&["crds", "--check", dir.to_str().unwrap()]).status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn committed_crds_match_the_types() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crds");
    let drift = glidepath::crds::drift(&dir).unwrap();
    assert!(
        drift.is_empty(),
        "crds/ drifted; run `cargo run -p glidepath -- crds --out-dir crds`:\n{}",
        drift.join("\n")
    );
}

#[test]
fn demo_without_prometheus_says_how_to_install_it() {
    let out = glidepath(&["demo", "--prometheus", "/nonexistent/prometheus", "--no-tty"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("apt-get install -y prometheus"), "{err}");
    assert!(out.stdout.is_empty(), "nothing started");
}

#[test]
fn bad_speed_is_a_clear_error() {
    let out = glidepath(&["demo", "--speed", "warp"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("slow, normal, fast or a number"), "{err}");
}

/// `glidepath sandbox` serves a cluster kubectl uses unchanged, and kubectl accepts
/// `glidepath crds` (client-side dry run, then for real) and our example manifests.
#[test]
fn kubectl_accepts_the_crds_against_glidepath_sandbox() {
    let dir = std::env::temp_dir().join(format!("glidepath-cli-sandbox-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let kubeconfig = dir.join("kubeconfig");
    // Killed on drop, so a failed assertion does not leave the server running.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut sandbox = Killed(
        Command::new(env!("CARGO_BIN_EXE_glidepath"))
            .args(["sandbox", "--listen", &format!("127.0.0.1:{port}"), "--kubeconfig", kubeconfig.to_str().unwrap()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !kubeconfig.exists() {
        assert!(std::time::Instant::now() < deadline, "sandbox did not write its kubeconfig");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let kubectl = |args: &[&str], stdin: Option<&[u8]>| -> (bool, String) {
        use std::io::Write;
        let mut child = Command::new("kubectl")
            .args(args)
            .arg(format!("--cache-dir={}", dir.join("cache").display()))
            .env("KUBECONFIG", &kubeconfig)
            .env("HOME", &dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let crds = glidepath(&["crds"]).stdout;
    let (ok, out) = kubectl(&["apply", "--dry-run=client", "-f", "-"], Some(&crds));
    assert!(ok, "{out}");
    assert_eq!(out.matches("created (dry run)").count(), 15, "{out}");
    let (ok, out) = kubectl(&["apply", "--server-side", "-f", "-"], Some(&crds));
    assert!(ok, "{out}");
    let (ok, out) = kubectl(&["create", "namespace", "test"], None);
    assert!(ok, "{out}");
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/gatewayapi-canary/canary.yaml");
    let (ok, out) = kubectl(&["apply", "-f", example.to_str().unwrap()], None);
    assert!(ok, "{out}");
    assert!(out.contains("canary.flagger.app/podinfo created"), "{out}");
    let (ok, out) = kubectl(&["get", "canaries", "-n", "test"], None);
    assert!(ok && out.contains("podinfo"), "{out}");
    sandbox.0.kill().unwrap();
    let _ = sandbox.0.wait();
    std::fs::remove_dir_all(&dir).unwrap();
}
