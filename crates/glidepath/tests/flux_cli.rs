//! The `flux` CLI's habits, run as the binary against the sandbox (through a kubeconfig) while
//! the sync engine runs in-process: `get kustomizations`, `get sources git`, `suspend`,
//! `resume` and `reconcile [--with-source]`, with Flux's wording and table layout.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::sync_env;

use std::process::Output;
use std::time::Duration;

use serde_json::json;
use sync_env::*;

async fn glidepath(kubeconfig: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_glidepath"));
    cmd.args(args).arg("--kubeconfig").arg(kubeconfig);
    tokio::time::timeout(Duration::from_secs(60), cmd.output()).await.unwrap().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flux_get_suspend_resume_and_reconcile_read_as_flux_prints_them() {
    let e = env().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    e.sandbox.write_kubeconfig(&kubeconfig).unwrap();
    e.repo.write("apps/cm.yaml", &config_map("cli", "1"));
    let one = e.repo.commit("one");
    // Hour-long intervals: only the commands make anything happen.
    git_repository(&e.client, "repo", &e.repo.url(), json!({"interval": "1h"})).await;
    kustomization(&e.client, "apps", "./apps", json!({"interval": "1h"})).await;
    wait_applied(&e.client, "apps", &one).await;
    let short = &one[..8];

    let out = glidepath(&kubeconfig, &["get", "ks"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let message = format!("Applied revision: main@sha1:{short}");
    let revision = format!("main@sha1:{short}");
    let want = format!(
        "NAME\tREVISION{}\tSUSPENDED\tREADY\tMESSAGE{}\napps\t{revision}\tFalse    \tTrue \t{message}\t\n",
        " ".repeat(revision.len() - 8),
        " ".repeat(message.len() - 7 + 1),
    );
    assert_eq!(text(&out.stdout), want);
    let out = glidepath(&kubeconfig, &["get", "sources", "git", "-A"]).await;
    let table = text(&out.stdout);
    assert!(table.starts_with("NAMESPACE  \tNAME\tREVISION"), "{table}");
    assert!(
        table.contains(&format!(
            "flux-system\trepo\t{revision}\tFalse    \tTrue \tstored artifact for revision '{revision}'\t"
        )),
        "{table}"
    );
    let out = glidepath(&kubeconfig, &["get", "all"]).await;
    let all = text(&out.stdout);
    let sections: Vec<&str> = all.split("\n\n").collect();
    assert_eq!(sections.len(), 3, "two tables, each followed by a blank line: {all:?}");
    assert!(sections[0].lines().nth(1).unwrap().starts_with(&format!("gitrepository/repo\t{revision}\t")), "{all}");
    assert!(sections[1].lines().nth(1).unwrap().starts_with(&format!("kustomization/apps\t{revision}\t")), "{all}");
    let out = glidepath(&kubeconfig, &["get", "ks", "--status-selector", "READY=true", "--no-header"]).await;
    assert_eq!(text(&out.stdout), want.split_once('\n').unwrap().1, "matches, without the header");
    // No match prints the header alone, as flux does (it filters after listing).
    let out = glidepath(&kubeconfig, &["get", "ks", "--status-selector", "ready=false"]).await;
    assert_eq!(text(&out.stdout), "NAME\tREVISION\tSUSPENDED\tREADY\tMESSAGE\n");
    let out = glidepath(&kubeconfig, &["get", "ks", "--status-selector", "ready"]).await;
    assert_eq!(text(&out.stderr), "✗ expected status selector in type=status format, but found: ready\n");
    let out = glidepath(&kubeconfig, &["get", "ks", "missing"]).await;
    assert_eq!(text(&out.stderr), "✗ no Kustomization objects found in flux-system namespace\n");
    let out = glidepath(&kubeconfig, &["get", "ks", "-n", "app"]).await;
    assert_eq!(text(&out.stderr), "✗ no Kustomization objects found in app namespace\n");

    let out = glidepath(&kubeconfig, &["suspend", "kustomization", "apps"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "► suspending kustomization apps in flux-system namespace\n✔ kustomization suspended\n"
    );
    assert_eq!(ks(&e.client, "apps").await["spec"]["suspend"], true);
    let out = glidepath(&kubeconfig, &["reconcile", "ks", "apps"]).await;
    assert!(!out.status.success());
    assert_eq!(text(&out.stderr), "✗ resource is suspended\n");

    // A new commit: resume fetches nothing by itself (the source waits an hour), so the
    // Kustomization reconciles at the old revision; reconcile --with-source brings the new one.
    e.repo.write("apps/cm.yaml", &config_map("cli", "2"));
    let two = e.repo.commit("two");
    let out = glidepath(&kubeconfig, &["resume", "ks", "apps"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        format!(
            "► resuming kustomization apps in flux-system namespace\n✔ kustomization resumed\n\
             ◎ waiting for Kustomization reconciliation\n✔ Kustomization reconciliation completed\n\
             ✔ applied revision main@sha1:{one}\n"
        )
    );
    let out = glidepath(&kubeconfig, &["reconcile", "kustomization", "apps", "--with-source"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        format!(
            "► annotating GitRepository repo in flux-system namespace\n✔ GitRepository annotated\n\
             ◎ waiting for GitRepository reconciliation\n✔ fetched revision main@sha1:{two}\n\
             ► annotating Kustomization apps in flux-system namespace\n✔ Kustomization annotated\n\
             ◎ waiting for Kustomization reconciliation\n✔ applied revision main@sha1:{two}\n"
        )
    );
    assert_eq!(cm(&e.client, "cli").await.unwrap()["data"]["key"], "2");

    // A Kustomization that applies another: the tree expands it.
    e.repo.write(
        "root/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: nested\n  namespace: flux-system\n\
         spec:\n  interval: 1h\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: repo\n",
    );
    e.repo.write("root/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n");
    let three = e.repo.commit("three");
    kustomization(&e.client, "root", "./root", json!({"interval": "1h"})).await;
    let out = glidepath(&kubeconfig, &["reconcile", "source", "git", "repo"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_applied(&e.client, "root", &three).await;
    wait_applied(&e.client, "nested", &three).await;
    let out = glidepath(&kubeconfig, &["tree", "kustomization", "root"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Kustomization/flux-system/root\n├── Namespace/app\n└── Kustomization/flux-system/nested\n    └── ConfigMap/app/cli\n"
    );

    let out = glidepath(&kubeconfig, &["suspend", "source", "git", "repo"]).await;
    assert_eq!(text(&out.stderr), "► suspending source git repo in flux-system namespace\n✔ source git suspended\n");
    let out = glidepath(&kubeconfig, &["get", "source", "git", "repo"]).await;
    assert!(text(&out.stdout).lines().nth(1).unwrap().starts_with(&format!("repo\tmain@sha1:{}\tTrue ", &three[..8])));
    let out = glidepath(&kubeconfig, &["events", "--for", "Kustomization/apps"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events = text(&out.stdout);
    assert!(events.starts_with("LAST SEEN\tTYPE  \tREASON"), "{events}");
    // Multi-line messages continue on lines of their own, the other cells blank.
    let rows: Vec<&str> = events.lines().skip(1).filter(|l| !l.starts_with(' ')).collect();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.contains("\tKustomization/apps\t")), "{events}");
    assert!(events.contains(&format!("Applied revision: main@sha1:{two}")), "{events}");
    let out = glidepath(&kubeconfig, &["reconcile", "ks", "nope"]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).starts_with("✗ get Kustomization flux-system/nope"), "{}", text(&out.stderr));
    e.sandbox.shutdown().await.unwrap();
}
