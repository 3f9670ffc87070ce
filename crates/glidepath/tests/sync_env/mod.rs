//! Test bed of the sync engine: the embedded API server, the sync controllers in-process, and real
//! Git repositories made with the `git` CLI (served over `file://`, or `git http-backend`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use glidepath::sync::{Settings, SyncHandle};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

pub const NS: &str = "flux-system";

pub struct Env {
    pub sandbox: glidepath_sandbox::SandboxHandle,
    pub client: Client,
    pub sync: SyncHandle,
    pub repo: Repo,
}

pub async fn env() -> Env {
    env_with(|_| {}).await
}

/// [`env`] with changed sync settings.
pub async fn env_with(change: impl FnOnce(&mut Settings)) -> Env {
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in glidepath_api::crdgen::all() {
        crds.create(&PostParams::default(), &crd).await.unwrap();
    }
    for ns in [NS, "app"] {
        apply(&client, &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}), "test").await;
    }
    let mut settings = Settings {
        health_poll: Duration::from_millis(200),
        requeue_dependency: Duration::from_millis(300),
        ..Settings::default()
    };
    change(&mut settings);
    let sync = glidepath::sync::start(client.clone(), settings).unwrap();
    Env { sandbox, client, sync, repo: Repo::new() }
}

fn api(client: &Client, api_version: &str, kind: &str, ns: Option<&str>) -> Api<DynamicObject> {
    let (g, v) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, kind));
    match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

pub async fn apply(client: &Client, obj: &Value, manager: &str) {
    let ns = obj["metadata"]["namespace"].as_str();
    let a = api(client, obj["apiVersion"].as_str().unwrap(), obj["kind"].as_str().unwrap(), ns);
    a.patch(obj["metadata"]["name"].as_str().unwrap(), &PatchParams::apply(manager).force(), &Patch::Apply(obj))
        .await
        .unwrap();
}

pub async fn get(client: &Client, api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> Option<Value> {
    api(client, api_version, kind, ns).get_opt(name).await.unwrap().map(|o| serde_json::to_value(o).unwrap())
}

pub async fn cm(client: &Client, name: &str) -> Option<Value> {
    get(client, "v1", "ConfigMap", Some("app"), name).await
}

pub fn rv(obj: &Value) -> String {
    obj["metadata"]["resourceVersion"].as_str().unwrap_or_default().to_owned()
}

pub async fn git_repository(client: &Client, name: &str, url: &str, extra: Value) {
    let mut spec = json!({"url": url, "interval": "1s", "ref": {"branch": "main"}});
    for (k, v) in extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    let obj = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": name, "namespace": NS}, "spec": spec});
    apply(client, &obj, "test").await;
}

pub async fn kustomization(client: &Client, name: &str, path: &str, extra: Value) {
    let mut spec = json!({"interval": "1s", "path": path, "prune": true,
        "sourceRef": {"kind": "GitRepository", "name": "repo"}});
    for (k, v) in extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    let obj = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": name, "namespace": NS}, "spec": spec});
    apply(client, &obj, "test").await;
}

pub async fn ks(client: &Client, name: &str) -> Value {
    get(client, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", Some(NS), name).await.unwrap()
}

pub async fn gitrepo(client: &Client, name: &str) -> Value {
    get(client, "source.toolkit.fluxcd.io/v1", "GitRepository", Some(NS), name).await.unwrap()
}

pub fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == kind)
}

pub fn ready(obj: &Value) -> Option<(String, String, String)> {
    condition(obj, "Ready").map(|c| {
        (
            c["status"].as_str().unwrap_or_default().to_owned(),
            c["reason"].as_str().unwrap_or_default().to_owned(),
            c["message"].as_str().unwrap_or_default().to_owned(),
        )
    })
}

/// Poll a Flux object until `pred` holds (30 s bound).
pub async fn wait_for(client: &Client, kind: &str, name: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let obj = if kind == "GitRepository" { gitrepo(client, name).await } else { ks(client, name).await };
        if pred(&obj) {
            return obj;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("{kind}/{name}: timed out waiting for {what}; status: {:#}", obj["status"]);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Ask for a reconcile (`reconcile.fluxcd.io/requestedAt`, as `flux reconcile` does) and wait
/// until the Kustomization reports it handled it: the marker that a full reconcile ran.
pub async fn reconcile_now(client: &Client, name: &str, token: &str) -> Value {
    let a = api(client, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", Some(NS));
    let patch = json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": token}}});
    a.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    wait_for(client, "Kustomization", name, &format!("reconcile request {token} handled"), |o| {
        o["status"]["lastHandledReconcileAt"] == token
    })
    .await
}

/// [`reconcile_now`] for any Flux kind in `flux-system`.
pub async fn reconcile_now_kind(client: &Client, api_version: &str, kind: &str, name: &str, token: &str) -> Value {
    let a = api(client, api_version, kind, Some(NS));
    let patch = json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": token}}});
    a.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let obj = get(client, api_version, kind, Some(NS), name).await.unwrap_or(Value::Null);
        if obj["status"]["lastHandledReconcileAt"] == token {
            return obj;
        }
        assert!(tokio::time::Instant::now() < deadline, "{kind}/{name}: reconcile request {token} not handled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until the Kustomization applied `revision` (`<branch>@sha1:<sha>`) and is Ready.
pub async fn wait_applied(client: &Client, name: &str, sha: &str) -> Value {
    let want = format!("main@sha1:{sha}");
    wait_for(client, "Kustomization", name, &format!("Ready at {want}"), |o| {
        o["status"]["lastAppliedRevision"] == want.as_str() && ready(o).is_some_and(|r| r.0 == "True")
    })
    .await
}

/// Wait until Ready=False with `reason`.
pub async fn wait_failed(client: &Client, kind: &str, name: &str, reason: &str) -> Value {
    wait_for(client, kind, name, &format!("Ready=False {reason}"), |o| {
        ready(o).is_some_and(|r| r.0 == "False" && r.1 == reason)
    })
    .await
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A real repository on branch `main`.
pub struct Repo {
    _tmp: tempfile::TempDir,
    /// Served by `git http-backend` (GIT_PROJECT_ROOT); the repository is `root/repo`.
    pub root: PathBuf,
    pub dir: PathBuf,
}

impl Repo {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_owned();
        let dir = root.join("repo");
        std::fs::create_dir(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"]);
        git(&dir, &["config", "user.name", "t"]);
        git(&dir, &["config", "user.email", "t@example.invalid"]);
        Repo { _tmp: tmp, root, dir }
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.dir.display())
    }

    pub fn write(&self, rel: &str, content: &str) -> &Self {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    pub fn remove(&self, rel: &str) -> &Self {
        std::fs::remove_file(self.dir.join(rel)).unwrap();
        self
    }

    /// Commit everything; returns the commit id.
    pub fn commit(&self, msg: &str) -> String {
        git(&self.dir, &["add", "-A"]);
        git(&self.dir, &["commit", "-q", "--allow-empty", "-m", msg]);
        git(&self.dir, &["rev-parse", "HEAD"])
    }
}

pub fn config_map(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: app\ndata:\n  key: \"{value}\"\n")
}

pub fn deployment(name: &str, app: &str, extra_template_annotations: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: app\nspec:\n  replicas: 1\n  progressDeadlineSeconds: 2\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n      annotations: {{{extra_template_annotations}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1\n"
    )
}
