//! More of the `flux` CLI, run as the binary against the sandbox while the sync engine runs
//! in-process: `diff kustomization --path` (created / drifted / deleted, Secret values masked,
//! Flux's exit codes), `trace` (the Kustomization and GitRepository behind an object) and
//! `completion bash|zsh|fish`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::sync_env;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::json;
use sync_env::*;

async fn glidepath(kubeconfig: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_glidepath"));
    cmd.args(args);
    if let Some(k) = kubeconfig {
        cmd.arg("--kubeconfig").arg(k);
    }
    tokio::time::timeout(Duration::from_secs(60), cmd.output()).await.unwrap().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn secret(value_b64: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: app\ntype: Opaque\ndata:\n  password: {value_b64}\n"
    )
}

/// `diff` of the repository's working copy against what the controller applied.
async fn diff(kubeconfig: &Path, dir: &Path) -> (i32, String, String) {
    let path = dir.join("apps");
    let out = glidepath(Some(kubeconfig), &["diff", "kustomization", "apps", "--path", path.to_str().unwrap()]).await;
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// A synced Kustomization `apps` (a Deployment, a ConfigMap, a Secret); the commit applied.
async fn synced() -> (Env, tempfile::TempDir, std::path::PathBuf, String) {
    let e = env().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    e.sandbox.write_kubeconfig(&kubeconfig).unwrap();
    e.repo.write("apps/web.yaml", &deployment("web", "web", ""));
    e.repo.write("apps/old.yaml", &config_map("old", "1"));
    e.repo.write("apps/creds.yaml", &secret("aHVudGVyMg=="));
    let sha = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({"interval": "1h"})).await;
    kustomization(&e.client, "apps", "./apps", json!({"interval": "1h"})).await;
    wait_applied(&e.client, "apps", &sha).await;
    (e, dir, kubeconfig, sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_reports_created_drifted_and_deleted_objects_as_flux_does() {
    let (e, _dir, kubeconfig, _) = synced().await;
    // The working copy as committed: nothing would change.
    let (code, stdout, stderr) = diff(&kubeconfig, &e.repo.dir).await;
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");

    // One field changed locally.
    e.repo.write("apps/web.yaml", &deployment("web", "web", "").replace("replicas: 1", "replicas: 2"));
    let (code, stdout, stderr) = diff(&kubeconfig, &e.repo.dir).await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(stdout, "► Deployment/app/web drifted\n  spec.replicas\n    - 1\n    + 2\n", "{stderr}");

    // A new file, a removed one (the Kustomization prunes), a Secret's new value.
    e.repo.write("apps/fresh.yaml", &config_map("fresh", "1"));
    e.repo.remove("apps/old.yaml");
    e.repo.write("apps/creds.yaml", &secret("czNjcjN0LXZhbHVl"));
    let (code, stdout, stderr) = diff(&kubeconfig, &e.repo.dir).await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    let heads: Vec<&str> = stdout.lines().filter(|l| l.starts_with('►')).collect();
    assert_eq!(heads.len(), 4, "{stdout}");
    for want in [
        "► ConfigMap/app/fresh created",
        "► Secret/app/creds drifted",
        "► Deployment/app/web drifted",
        "► ConfigMap/app/old deleted",
    ] {
        assert!(heads.contains(&want), "{want} missing: {stdout}");
    }
    assert!(stdout.contains("  data.password\n    - ***\n    + ***\n"), "{stdout}");
    for leak in ["czNjcjN0LXZhbHVl", "s3cr3t-value", "aHVudGVyMg==", "hunter2"] {
        assert!(!stdout.contains(leak) && !stderr.contains(leak), "secret value printed: {stdout}{stderr}");
    }
    // Nothing was written by the dry-runs.
    let web = get(&e.client, "apps/v1", "Deployment", Some("app"), "web").await.unwrap();
    assert_eq!(web["spec"]["replicas"], 1);
    assert!(cm(&e.client, "fresh").await.is_none());

    // Errors name what failed, with an exit code of their own.
    let out = glidepath(Some(&kubeconfig), &["diff", "ks", "apps", "--path", "/nonexistent"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), "✗ --path /nonexistent: not a directory\n");
    e.repo.write("apps/bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n");
    let (code, _, stderr) = diff(&kubeconfig, &e.repo.dir).await;
    assert_eq!(code, 2);
    assert!(stderr.starts_with("✗ build ") && stderr.contains("bad.yaml"), "{stderr}");

    e.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_follows_the_owner_labels_to_the_kustomization_and_its_source() {
    let (e, _dir, kubeconfig, sha) = synced().await;
    // trace: the Kustomization and the GitRepository behind the Deployment, every kind spelling.
    let ks = ks(&e.client, "apps").await;
    let ready = |o: &serde_json::Value| condition(o, "Ready").unwrap()["message"].as_str().unwrap().to_owned();
    let repo = gitrepo(&e.client, "repo").await;
    let revision = format!("main@sha1:{sha}");
    for kind in
        [&["deployment", "web"][..], &["deployments", "web"], &["Deployment", "web"], &["apps/v1/Deployment/web"]]
    {
        let mut args = vec!["trace"];
        args.extend_from_slice(kind);
        args.extend_from_slice(&["-n", "app"]);
        let out = glidepath(Some(&kubeconfig), &args).await;
        assert!(out.status.success(), "{kind:?}: {}", text(&out.stderr));
        let got = text(&out.stdout);
        let want_head = format!(
            "\nObject:          Deployment/web\nNamespace:       app\nStatus:          Managed by Flux\n---\n\
             Kustomization:   apps\nNamespace:       flux-system\nPath:            ./apps\nRevision:        {revision}\n\
             Status:          Last reconciled at "
        );
        assert!(got.starts_with(&want_head), "{kind:?}: {got}");
        for want in [
            format!("Message:         {}\n---\nGitRepository:   repo\n", ready(&ks)),
            format!("Namespace:       flux-system\nURL:             {}\nBranch:          main\n", e.repo.url()),
            format!("Revision:        {revision}\nStatus:          Last reconciled at "),
            format!("Message:         {}\n", ready(&repo)),
        ] {
            assert!(got.contains(&want), "{want:?} missing: {got}");
        }
        assert!(got.contains(" +0000 UTC\n"), "{got}");
    }

    // An object Flux does not manage.
    apply(
        &e.client,
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "loose", "namespace": "app"}}),
        "me",
    )
    .await;
    let out = glidepath(Some(&kubeconfig), &["trace", "cm/loose", "-n", "app"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "✗ object not managed by Flux\n");
    let out = glidepath(Some(&kubeconfig), &["trace", "widget", "x"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("doesn't have a resource type \"widget\""), "{}", text(&out.stderr));
    e.sandbox.shutdown().await.unwrap();
}

fn bash_complete(script: &Path, words: &str, cword: usize) -> String {
    let cmd = format!(
        "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; _glidepath; echo \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = std::process::Command::new("bash").arg("-c").arg(&cmd).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn completion_scripts_complete_subcommands_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = glidepath(None, &["completion", "bash"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let script = dir.path().join("glidepath.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let got = bash_complete(&script, "glidepath re", 1);
    let words: Vec<&str> = got.split(' ').collect();
    assert!(words.contains(&"reconcile") && words.contains(&"resume"), "{got}");
    assert!(!words.contains(&"get"), "{got}");
    assert_eq!(bash_complete(&script, "glidepath diff ks apps --pa", 4), "--path");
    assert_eq!(bash_complete(&script, "glidepath trace -n app --kube", 4), "--kubeconfig");
    assert_eq!(bash_complete(&script, "glidepath completion ''", 2), "bash zsh fish");

    let out = glidepath(None, &["completion", "fish"]).await;
    let fish = text(&out.stdout);
    use clap::CommandFactory as _;
    for sub in glidepath::cli::Cli::command().get_subcommands() {
        let line = format!("complete -c glidepath -n '__fish_use_subcommand' -a {} -d ", sub.get_name());
        assert!(fish.contains(&line), "no line for {}: {fish}", sub.get_name());
    }
    assert!(
        fish.contains("complete -c glidepath -n '__fish_seen_subcommand_from get' -l namespace -s n -d "),
        "{fish}"
    );

    let out = glidepath(None, &["completion", "zsh"]).await;
    let zsh = dir.path().join("_glidepath");
    std::fs::write(&zsh, &out.stdout).unwrap();
    assert!(text(&out.stdout).starts_with("#compdef glidepath\n"));
    // zsh is not on every machine; where it is, the script must parse.
    if let Ok(check) = std::process::Command::new("zsh").arg("-n").arg(&zsh).output() {
        assert!(check.status.success(), "{}", text(&check.stderr));
    }
    let out = glidepath(None, &["completion", "tcsh"]).await;
    assert!(!out.status.success());
}

/// The local build is the controller's: targetNamespace, namePrefix, commonMetadata and postBuild
/// variables (inline and from a ConfigMap) give no diff when nothing changed, and a changed
/// variable shows where it lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_builds_with_the_kustomizations_transformations() {
    let e = env().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    e.sandbox.write_kubeconfig(&kubeconfig).unwrap();
    e.repo.write(
        "vars/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: ${color}\n  size: ${size}\n",
    );
    let sha = e.repo.commit("one");
    let vars = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "vars", "namespace": NS}, "data": {"color": "blue"}});
    apply(&e.client, &vars, "test").await;
    git_repository(&e.client, "repo", &e.repo.url(), json!({"interval": "1h"})).await;
    let spec = json!({"interval": "1h", "targetNamespace": "app", "namePrefix": "p-",
        "commonMetadata": {"labels": {"team": "a"}},
        "postBuild": {"substitute": {"size": "L"}, "substituteFrom": [{"kind": "ConfigMap", "name": "vars"}]}});
    kustomization(&e.client, "vars", "./vars", spec).await;
    wait_applied(&e.client, "vars", &sha).await;
    let applied = cm(&e.client, "p-settings").await.unwrap();
    assert_eq!(applied["data"], json!({"color": "blue", "size": "L"}));
    let path = e.repo.dir.join("vars");
    let args = ["diff", "ks", "vars", "--path", path.to_str().unwrap()];
    let out = glidepath(Some(&kubeconfig), &args).await;
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), String::new()), "{}", text(&out.stderr));

    apply(&e.client, &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "vars", "namespace": NS}, "data": {"color": "red"}}), "test").await;
    let out = glidepath(Some(&kubeconfig), &args).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "► ConfigMap/app/p-settings drifted\n  data.color\n    - blue\n    + red\n");
    e.sandbox.shutdown().await.unwrap();
}
