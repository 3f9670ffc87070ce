//! The Git sync engine end to end: real repositories made with `git`, served over `file://` and
//! `git http-backend`, the GitRepository and Kustomization controllers in-process, the embedded
//! API server as the cluster. Observed like a user would: objects, resourceVersions, status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::git_http;
use crate::sync_env;

use std::time::Duration;

use serde_json::{Value, json};
use sync_env::*;

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
"#;

const WIDGET: &str =
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: app\nspec:\n  size: 3\n";

async fn rvs(e: &Env, names: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for n in names {
        out.push(rv(&cm(&e.client, n).await.unwrap()));
    }
    out
}

#[tokio::test]
async fn first_sync_creates_everything_in_order_and_a_resync_writes_nothing() {
    let e = env().await;
    e.repo.write("apps/crd.yaml", CRD).write("apps/widget.yaml", WIDGET).write("apps/cm.yaml", &config_map("a", "1"));
    e.repo.write("apps/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n");
    let sha = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({})).await;
    let k = wait_applied(&e.client, "apps", &sha).await;
    let ids: Vec<&str> =
        k["status"]["inventory"]["entries"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"app_w_example.com_Widget"), "{ids:?}");
    assert!(ids.contains(&"_widgets.example.com_apiextensions.k8s.io_CustomResourceDefinition"), "{ids:?}");
    assert!(ids.contains(&"_team__Namespace") && ids.contains(&"app_a__ConfigMap"), "{ids:?}");
    let widget = get(&e.client, "example.com/v1", "Widget", Some("app"), "w").await.unwrap();
    assert_eq!(widget["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"], "apps");
    let repo = gitrepo(&e.client, "repo").await;
    assert_eq!(repo["status"]["artifact"]["revision"], format!("main@sha1:{sha}"));
    assert!(repo["status"]["artifact"]["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(condition(&repo, "ArtifactInStorage").unwrap()["status"], "True");

    // A requested full reconcile (drift detection) ran, as its handled token shows, and wrote
    // nothing: not the objects, and nothing in the status but the token.
    let before = (rv(&widget), rvs(&e, &["a"]).await);
    let without_token = |k: &Value| {
        let mut s = k["status"].clone();
        s.as_object_mut().unwrap().remove("lastHandledReconcileAt");
        s
    };
    let handled = reconcile_now(&e.client, "apps", "2026-12-06T00:00:00Z").await;
    let widget = get(&e.client, "example.com/v1", "Widget", Some("app"), "w").await.unwrap();
    assert_eq!(before, (rv(&widget), rvs(&e, &["a"]).await));
    assert_eq!(without_token(&k), without_token(&handled));
}

#[tokio::test]
async fn a_commit_editing_one_manifest_updates_exactly_that_object() {
    let e = env().await;
    e.repo.write("apps/a.yaml", &config_map("a", "1")).write("apps/b.yaml", &config_map("b", "1"));
    let one = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({})).await;
    wait_applied(&e.client, "apps", &one).await;
    let before = rvs(&e, &["a", "b"]).await;
    e.repo.write("apps/b.yaml", &config_map("b", "2"));
    let two = e.repo.commit("two");
    wait_applied(&e.client, "apps", &two).await;
    let after = rvs(&e, &["a", "b"]).await;
    assert_eq!(before[0], after[0], "untouched object was written");
    assert_ne!(before[1], after[1]);
    assert_eq!(cm(&e.client, "b").await.unwrap()["data"]["key"], "2");
}

#[tokio::test]
async fn a_removed_manifest_is_pruned_and_prune_false_keeps_it() {
    let e = env().await;
    e.repo.write("pruned/a.yaml", &config_map("a", "1")).write("pruned/gone.yaml", &config_map("gone", "1"));
    e.repo.write("kept/c.yaml", &config_map("c", "1")).write("kept/stays.yaml", &config_map("stays", "1"));
    let one = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "pruned", "./pruned", json!({})).await;
    kustomization(&e.client, "kept", "./kept", json!({"prune": false})).await;
    wait_applied(&e.client, "pruned", &one).await;
    wait_applied(&e.client, "kept", &one).await;
    e.repo.remove("pruned/gone.yaml").remove("kept/stays.yaml");
    let two = e.repo.commit("two");
    let k = wait_applied(&e.client, "pruned", &two).await;
    wait_applied(&e.client, "kept", &two).await;
    assert!(cm(&e.client, "gone").await.is_none());
    assert!(cm(&e.client, "a").await.is_some());
    assert!(cm(&e.client, "stays").await.is_some());
    let ids: Vec<&str> =
        k["status"]["inventory"]["entries"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["app_a__ConfigMap"]);
}

#[tokio::test]
async fn an_edit_of_a_managed_field_is_reverted_and_a_foreign_field_survives() {
    let e = env().await;
    e.repo.write("apps/a.yaml", &config_map("a", "from-git"));
    let one = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({})).await;
    wait_applied(&e.client, "apps", &one).await;
    // `kubectl edit`-like change of a managed field, plus a field owned by another manager.
    let kubeconfig = e.sandbox.url();
    let out = tokio::process::Command::new("kubectl")
        .args(["--server", &kubeconfig, "-n", "app", "patch", "configmap", "a", "--type", "merge"])
        .args(["-p", r#"{"data":{"key":"edited"}}"#])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let foreign = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "app",
        "labels": {"team": "payments"}}, "data": {"extra": "theirs"}});
    apply(&e.client, &foreign, "other-controller").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let live = cm(&e.client, "a").await.unwrap();
        if live["data"]["key"] == "from-git" {
            assert_eq!(live["data"]["extra"], "theirs");
            assert_eq!(live["metadata"]["labels"]["team"], "payments");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "drift not corrected: {live:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn depends_on_orders_two_kustomizations() {
    let e = env().await;
    let slow = deployment("db", "db", "");
    let slow = slow.replace(
        "metadata:\n  name: db\n",
        "metadata:\n  name: db\n  annotations:\n    sandbox.glidepath.io/ready-after: 2s\n",
    );
    e.repo.write("infra/db.yaml", &slow).write("app/a.yaml", &config_map("needs-db", "1"));
    let one = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "app", "./app", json!({"dependsOn": [{"name": "infra"}]})).await;
    kustomization(&e.client, "infra", "./infra", json!({"wait": true, "timeout": "20s"})).await;
    let mut saw_not_ready = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (app, infra) = (ks(&e.client, "app").await, ks(&e.client, "infra").await);
        let infra_ready = ready(&infra).is_some_and(|r| r.0 == "True");
        if ready(&app).is_some_and(|r| r.1 == "DependencyNotReady") {
            saw_not_ready = true;
        }
        if cm(&e.client, "needs-db").await.is_some() {
            let infra = ks(&e.client, "infra").await;
            assert!(infra_ready || ready(&infra).is_some_and(|r| r.0 == "True"), "app applied before infra was ready");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "app never applied: {:#}", app["status"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(saw_not_ready);
    wait_applied(&e.client, "app", &one).await;
    assert_eq!(condition(&ks(&e.client, "infra").await, "Healthy").unwrap()["status"], "True");
}

#[tokio::test]
async fn a_failing_health_check_marks_ready_false_with_the_kstatus_reason() {
    let e = env().await;
    e.repo.write("apps/web.yaml", &deployment("web", "web", "sandbox.glidepath.io/fail: never-ready"));
    e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(
        &e.client,
        "apps",
        "./apps",
        json!({"timeout": "10s", "healthChecks": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "app"}]}),
    )
    .await;
    let k = wait_failed(&e.client, "Kustomization", "apps", "HealthCheckFailed").await;
    let (_, _, msg) = ready(&k).unwrap();
    assert!(msg.contains("Deployment/app/web status: 'Failed'") && msg.contains("Progress deadline exceeded"), "{msg}");
    assert_eq!(condition(&k, "Healthy").unwrap()["status"], "False");
    assert!(get(&e.client, "apps/v1", "Deployment", Some("app"), "web").await.is_some());
}

/// Apply a good revision, then commit a bad change next to a new good object; the bad revision
/// fails with `reason` naming `needle`, applies nothing, and the good revision stays applied.
async fn bad_revision_keeps_last_good(files: &[(&str, &str)], reason: &str, needle: &str) {
    let e = env().await;
    e.repo.write("apps/a.yaml", &config_map("a", "1"));
    let good = e.repo.commit("good");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({})).await;
    wait_applied(&e.client, "apps", &good).await;
    let before = rvs(&e, &["a"]).await;
    e.repo.write("apps/a.yaml", &config_map("a", "2")).write("apps/new.yaml", &config_map("new", "1"));
    for (rel, content) in files {
        e.repo.write(rel, content);
    }
    let bad = e.repo.commit("bad");
    let k = wait_failed(&e.client, "Kustomization", "apps", reason).await;
    let (_, _, msg) = ready(&k).unwrap();
    assert!(msg.contains(needle), "{msg}");
    assert_eq!(k["status"]["lastAppliedRevision"], format!("main@sha1:{good}"));
    assert_eq!(k["status"]["lastAttemptedRevision"], format!("main@sha1:{bad}"));
    assert!(cm(&e.client, "new").await.is_none(), "object of the bad revision was applied");
    assert_eq!(rvs(&e, &["a"]).await, before, "object changed by the bad revision");
    assert_eq!(cm(&e.client, "a").await.unwrap()["data"]["key"], "1");
}

#[tokio::test]
async fn malformed_yaml_fails_naming_the_file() {
    bad_revision_keeps_last_good(&[("apps/broken.yaml", "kind: [unclosed\n")], "BuildFailed", "apps/broken.yaml").await;
}

#[tokio::test]
async fn a_duplicate_object_fails_naming_it() {
    bad_revision_keeps_last_good(&[("apps/dup.yaml", &config_map("new", "other"))], "BuildFailed", "new").await;
}

#[tokio::test]
async fn an_unknown_kind_fails_naming_the_object() {
    let gizmo = "apiVersion: nope.example.com/v1\nkind: Gizmo\nmetadata:\n  name: g\n  namespace: app\n";
    bad_revision_keeps_last_good(&[("apps/gizmo.yaml", gizmo)], "ReconciliationFailed", "Gizmo/app/g").await;
}

/// A source failure: the GitRepository reports it (naming `needle`), the Kustomization keeps the
/// last good revision applied.
async fn source_failure_keeps_last_good(e: &Env, good: &str, reason: &str, needle: &str) {
    let r = wait_failed(&e.client, "GitRepository", "repo", reason).await;
    let (_, _, msg) = ready(&r).unwrap();
    assert!(msg.contains(needle), "{msg}");
    assert_eq!(condition(&r, "FetchFailed").unwrap()["status"], "True");
    assert_eq!(r["status"]["artifact"]["revision"], format!("main@sha1:{good}"));
    let k = ks(&e.client, "apps").await;
    assert_eq!(k["status"]["lastAppliedRevision"], format!("main@sha1:{good}"));
    assert!(cm(&e.client, "new").await.is_none());
    assert_eq!(cm(&e.client, "a").await.unwrap()["data"]["key"], "1");
}

async fn good_then(e: &Env, url: &str, extra: Value) -> String {
    e.repo.write("apps/a.yaml", &config_map("a", "1"));
    let good = e.repo.commit("good");
    git_repository(&e.client, "repo", url, extra).await;
    kustomization(&e.client, "apps", "./apps", json!({})).await;
    wait_applied(&e.client, "apps", &good).await;
    e.repo.write("apps/a.yaml", &config_map("a", "2")).write("apps/new.yaml", &config_map("new", "1"));
    e.repo.commit("next");
    good
}

#[tokio::test]
async fn a_wrong_credential_fails_and_keeps_the_last_good_revision() {
    let e = env().await;
    let server = git_http::GitHttpServer::start(&e.repo.root, Some(git_http::basic("git", "s3cret")));
    // base64 `data`: the sandbox does not fold `stringData` into `data` (kube-apiserver does).
    let secret = |pw_b64: &str| {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": NS},
            "data": {"username": "Z2l0", "password": pw_b64}})
    };
    apply(&e.client, &secret("czNjcmV0"), "test").await;
    let good = good_then(&e, &server.url("repo"), json!({"secretRef": {"name": "creds"}})).await;
    apply(&e.client, &secret("d3Jvbmc="), "test").await;
    source_failure_keeps_last_good(&e, &good, "AuthenticationFailed", &server.url("repo")).await;
    let r = gitrepo(&e.client, "repo").await;
    assert!(!r.to_string().contains("wrong"), "secret leaked into status");
}

#[tokio::test]
async fn an_unreachable_remote_fails_and_keeps_the_last_good_revision() {
    let e = env().await;
    let good = good_then(&e, &e.repo.url(), json!({})).await;
    let dead = "http://127.0.0.1:9/nowhere.git";
    git_repository(&e.client, "repo", dead, json!({"timeout": "5s"})).await;
    source_failure_keeps_last_good(&e, &good, "GitOperationFailed", dead).await;
}

#[tokio::test]
async fn a_missing_branch_fails_naming_the_ref_and_keeps_the_last_good_revision() {
    let e = env().await;
    let good = good_then(&e, &e.repo.url(), json!({})).await;
    git_repository(&e.client, "repo", &e.repo.url(), json!({"ref": {"branch": "no-such-branch"}})).await;
    source_failure_keeps_last_good(&e, &good, "GitOperationFailed", "no-such-branch").await;
}

#[tokio::test]
async fn an_immutable_field_change_with_force_recreates_the_object() {
    let e = env().await;
    e.repo.write("apps/web.yaml", &deployment("web", "v1", ""));
    let one = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({"force": true})).await;
    wait_applied(&e.client, "apps", &one).await;
    let uid = get(&e.client, "apps/v1", "Deployment", Some("app"), "web").await.unwrap()["metadata"]["uid"].clone();
    e.repo.write("apps/web.yaml", &deployment("web", "v2", ""));
    let two = e.repo.commit("two");
    wait_applied(&e.client, "apps", &two).await;
    let live = get(&e.client, "apps/v1", "Deployment", Some("app"), "web").await.unwrap();
    assert_ne!(live["metadata"]["uid"], uid);
    assert_eq!(live["spec"]["selector"]["matchLabels"]["app"], "v2");
}

#[tokio::test]
async fn a_commit_outside_the_path_applies_nothing_and_emits_no_event() {
    let e = env().await;
    e.repo.write("a/cm.yaml", &config_map("a", "1")).write("b/cm.yaml", &config_map("b", "1"));
    let one = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "a", "./a", json!({"interval": "10m"})).await;
    kustomization(&e.client, "b", "./b", json!({"interval": "10m"})).await;
    wait_applied(&e.client, "a", &one).await;
    wait_applied(&e.client, "b", &one).await;
    let events = |client: kube::Client| async move {
        let api: kube::Api<k8s_openapi::api::core::v1::Event> = kube::Api::namespaced(client, NS);
        api.list(&Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|ev| ev.involved_object.name.as_deref() == Some("a"))
            .count()
    };
    let (rv_a, events_a) = (rvs(&e, &["a"]).await, events(e.client.clone()).await);
    e.repo.write("b/cm.yaml", &config_map("b", "2"));
    let two = e.repo.commit("two");
    wait_applied(&e.client, "b", &two).await;
    wait_applied(&e.client, "a", &two).await;
    assert_eq!(cm(&e.client, "b").await.unwrap()["data"]["key"], "2");
    assert_eq!(rvs(&e, &["a"]).await, rv_a);
    assert_eq!(events(e.client.clone()).await, events_a, "an Event for a Kustomization whose content did not change");
}

#[tokio::test]
async fn suspend_stops_applies_and_resume_catches_up() {
    let e = env().await;
    e.repo.write("apps/a.yaml", &config_map("a", "1"));
    let one = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({})).await;
    wait_applied(&e.client, "apps", &one).await;
    kustomization(&e.client, "apps", "./apps", json!({"suspend": true})).await;
    // A Kustomization beside it on the same source: the marker that the new revision was
    // reconciled while the suspended one stood still.
    kustomization(&e.client, "beside", "./beside", json!({})).await;
    e.repo.write("apps/a.yaml", &config_map("a", "2")).write("beside/b.yaml", &config_map("b", "2"));
    let two = e.repo.commit("two");
    wait_applied(&e.client, "beside", &two).await;
    assert_eq!(cm(&e.client, "a").await.unwrap()["data"]["key"], "1", "a suspended Kustomization applied");
    assert_eq!(ks(&e.client, "apps").await["status"]["lastAppliedRevision"], format!("main@sha1:{one}"));
    kustomization(&e.client, "apps", "./apps", json!({"suspend": false})).await;
    wait_applied(&e.client, "apps", &two).await;
    assert_eq!(cm(&e.client, "a").await.unwrap()["data"]["key"], "2");
}

#[tokio::test]
async fn deleting_a_kustomization_prunes_its_objects() {
    let e = env().await;
    e.repo.write("apps/a.yaml", &config_map("a", "1"));
    let one = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    kustomization(&e.client, "apps", "./apps", json!({})).await;
    let k = wait_applied(&e.client, "apps", &one).await;
    assert_eq!(k["metadata"]["finalizers"], json!(["finalizers.fluxcd.io"]));
    let api: kube::Api<glidepath_api::flux::Kustomization> = kube::Api::namespaced(e.client.clone(), NS);
    api.delete("apps", &Default::default()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while api.get_opt("apps").await.unwrap().is_some() || cm(&e.client, "a").await.is_some() {
        assert!(tokio::time::Instant::now() < deadline, "not pruned on deletion");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The entries of a tar.gz, without a leading `./`.
fn tar_entries(bytes: &[u8]) -> Vec<String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string().trim_start_matches("./").to_owned())
        .collect()
}

#[tokio::test]
async fn artifacts_are_served_over_http_at_their_status_url_and_nothing_else_is() {
    use sha2::Digest;
    let e = env_with(|s| s.storage_addr = Some("127.0.0.1:0".parse().unwrap())).await;
    e.repo.write("apps/cm.yaml", &config_map("a", "1")).write("secret/key.yaml", "kind: x\n");
    e.repo.write(".sourceignore", "secret/\n");
    let sha = e.repo.commit("one");
    git_repository(&e.client, "repo", &e.repo.url(), json!({})).await;
    let want = format!("main@sha1:{sha}");
    let repo = wait_for(&e.client, "GitRepository", "repo", "an artifact", |o| {
        o["status"]["artifact"]["revision"] == want.as_str()
    })
    .await;
    let artifact = &repo["status"]["artifact"];
    let url = artifact["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(url.ends_with(&format!("/gitrepository/{NS}/repo/{sha}.tar.gz")), "{url}");

    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let fetch = |u: String| {
        let http = http.clone();
        async move { http.get(u).send().await.unwrap() }
    };
    let resp = fetch(url.clone()).await;
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.unwrap();
    assert_eq!(Some(body.len() as i64), artifact["size"].as_i64());
    assert_eq!(format!("sha256:{:x}", sha2::Sha256::digest(&body)), artifact["digest"].as_str().unwrap());
    let entries = tar_entries(&body);
    assert!(entries.iter().any(|n| n == "apps/cm.yaml"), "{entries:?}");
    assert!(!entries.iter().any(|n| n.starts_with("secret")), "{entries:?}");

    // Only artifacts: not the storage directory's other files, not a path out of it.
    let base = url.split("/gitrepository/").next().unwrap().to_owned();
    for path in [
        format!("/gitrepository/{NS}/repo/"),
        // The unpacked tree Kustomizations build from exists, but is not an artifact.
        format!("/gitrepository/{NS}/repo/{sha}-{}/apps/cm.yaml", &artifact["digest"].as_str().unwrap()[7..19]),
        format!("/gitrepository/{NS}/repo/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd"),
        format!("/gitrepository/{NS}/repo/{}.tar.gz", "0".repeat(40)),
    ] {
        assert_eq!(fetch(format!("{base}{path}")).await.status(), 404, "{path}");
    }

    // A new revision replaces the served artifact.
    e.repo.write("apps/cm.yaml", &config_map("a", "2"));
    let next = e.repo.commit("two");
    let want = format!("main@sha1:{next}");
    let repo = wait_for(&e.client, "GitRepository", "repo", "the new artifact", |o| {
        o["status"]["artifact"]["revision"] == want.as_str()
    })
    .await;
    let new_url = repo["status"]["artifact"]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(new_url).await.status(), 200);
    assert_eq!(fetch(url).await.status(), 404);
}

#[tokio::test]
async fn a_storage_address_in_use_fails_the_start_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let client = kube::Client::try_from(kube::Config::new("http://127.0.0.1:9".parse().unwrap())).unwrap();
    let settings = glidepath::sync::Settings { storage_addr: Some(addr), ..Default::default() };
    let err = glidepath::sync::start(client, settings).unwrap_err().to_string();
    assert!(err.contains(&format!("storage address {addr}: cannot listen")), "{err}");
}

/// Flux's GitOps Toolkit metrics: reconcile durations, the Ready condition per status and
/// suspension, with Flux's names and labels, for the GitRepository and the Kustomization.
#[tokio::test]
async fn reconciles_export_flux_gotk_metrics() {
    let e = env().await;
    e.repo.write("metrics/cm.yaml", &config_map("gotk", "1"));
    let sha = e.repo.commit("one");
    git_repository(&e.client, "gotk-src", &e.repo.url(), json!({})).await;
    kustomization(
        &e.client,
        "gotk-ks",
        "./metrics",
        json!({"sourceRef": {"kind": "GitRepository", "name": "gotk-src"}}),
    )
    .await;
    wait_applied(&e.client, "gotk-ks", &sha).await;
    let series = |kind: &str, name: &str, status: &str| {
        format!(
            r#"gotk_reconcile_condition{{kind="{kind}",name="{name}",namespace="{NS}",type="Ready",status="{status}"}} "#
        )
    };
    // The gauge follows the status on the next pass (the status write wakes it).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = glidepath::controller::Metrics::new().encode();
        let has = |line: String| text.lines().any(|l| l == line);
        let ready = |kind: &str, name: &str| {
            has(series(kind, name, "True") + "1")
                && has(series(kind, name, "False") + "0")
                && has(series(kind, name, "Deleted") + "0")
        };
        if ready("GitRepository", "gotk-src") && ready("Kustomization", "gotk-ks") {
            for kind in [("GitRepository", "gotk-src"), ("Kustomization", "gotk-ks")] {
                let count = format!(
                    r#"gotk_reconcile_duration_seconds_count{{kind="{}",name="{}",namespace="{NS}"}}"#,
                    kind.0, kind.1
                );
                assert!(text.contains(&count), "{count} in:\n{text}");
                let suspend =
                    format!(r#"gotk_suspend_status{{kind="{}",name="{}",namespace="{NS}"}} 0"#, kind.0, kind.1);
                assert!(has(suspend.clone()), "{suspend} in:\n{text}");
            }
            // Flux's buckets: 10 ms to 30 min.
            let buckets = text
                .lines()
                .filter(|l| l.starts_with("gotk_reconcile_duration_seconds_bucket{"))
                .filter(|l| l.contains(r#"kind="GitRepository",name="gotk-src""#))
                .count();
            assert_eq!(buckets, 11, "10 buckets and +Inf:\n{text}");
            assert!(text.contains(r#"gotk_reconcile_duration_seconds_bucket{le="0.01",kind="#), "{text}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no Ready series in:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    e.sandbox.shutdown().await.unwrap();
}
