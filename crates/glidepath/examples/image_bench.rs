//! Image automation benchmark (prints figures; asserts only that the work happened), in one
//! process against the sandbox and a real `docker-registry` on loopback:
//!
//!     cargo run --profile dist -p glidepath --example image_bench [REPOSITORIES] [TAGS] [FILES]
//!
//! 1. Scan: REPOSITORIES (default 1,000) repositories of TAGS (default 100) tags each, served
//!    by the registry (its tag links are written straight into its filesystem storage, so
//!    setting up 100,000 tags takes seconds), scanned by as many ImageRepositories: the time
//!    until all report their tag count, and the process's RSS before and after. Baseline in
//!    the same run: the same tag lists fetched with the bare OCI client, 4 at a time.
//! 2. Automation: one ImageUpdateAutomation over a repository of FILES (default 1,000) marked
//!    Deployments: the time from its creation to the pushed commit. Baseline in the same run:
//!    the Git work alone (clone, a one-file commit, push) with the same working-copy code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark code

#[allow(dead_code)]
#[path = "../../oci/tests/support/mod.rs"]
mod oci_registry;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use glidepath_oci::{Client, ClientOptions, Credentials, Repository};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NS: &str = "flux-system";
const IMAGE_V1: (&str, &str) = ("image.toolkit.fluxcd.io", "v1");

fn rss_mib() -> f64 {
    let kib: u64 = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    kib as f64 / 1024.0
}

fn api(client: &kube::Client, group: &str, version: &str, kind: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), NS, &ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind)))
}

async fn apply(client: &kube::Client, obj: Value) {
    let (g, v) = obj["apiVersion"].as_str().unwrap().rsplit_once('/').unwrap_or(("", "v1"));
    let kind = obj["kind"].as_str().unwrap();
    let a = if kind == "Namespace" {
        Api::all_with(client.clone(), &ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, kind)))
    } else {
        api(client, g, v, kind)
    };
    a.patch(obj["metadata"]["name"].as_str().unwrap(), &PatchParams::apply("bench").force(), &Patch::Apply(&obj))
        .await
        .unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git").args(args).current_dir(dir).status().unwrap();
    assert!(ok.success(), "git {args:?}");
}

/// Tag links written where distribution's filesystem driver keeps them.
fn populate(storage: &Path, repos: usize, tags: usize) {
    for r in 0..repos {
        let base = storage.join(format!("docker/registry/v2/repositories/bench/app-{r}/_manifests/tags"));
        for t in 0..tags {
            let dir = base.join(format!("1.0.{t}/current"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("link"), format!("sha256:{:064x}", r * tags + t)).unwrap();
        }
    }
}

async fn baseline_scan(addr: &str, repos: usize) -> Duration {
    let client = Client::new(ClientOptions { insecure: true, ..Default::default() }, Credentials::Anonymous).unwrap();
    let started = Instant::now();
    let names: Vec<Repository> =
        (0..repos).map(|r| Repository::parse(&format!("{addr}/bench/app-{r}")).unwrap()).collect();
    for chunk in names.chunks(4) {
        let lists = futures::future::join_all(chunk.iter().map(|n| client.list_tags(n, None))).await;
        assert!(lists.iter().all(|l| l.as_ref().is_ok_and(|t| !t.is_empty())));
    }
    started.elapsed()
}

async fn wait_all_scanned(client: &kube::Client, repos: usize, tags: usize) {
    let a = api(client, IMAGE_V1.0, IMAGE_V1.1, "ImageRepository");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let list = a.list(&ListParams::default()).await.unwrap();
        let done = list.items.iter().filter(|o| o.data["status"]["lastScanResult"]["tagCount"] == tags).count();
        if done == repos {
            return;
        }
        assert!(Instant::now() < deadline, "{done}/{repos} scanned");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-N\n  namespace: apps\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: REG/bench/app-0:1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}\n";

/// A bare repository with `files` marked Deployments on `main`; returns its URL.
fn marked_repository(root: &Path, files: usize, registry: &str) -> String {
    let bare = root.join("apps.git");
    let seed = root.join("seed");
    std::fs::create_dir_all(seed.join("apps")).unwrap();
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    git(&seed, &["init", "-q", "-b", "main"]);
    for i in 0..files {
        let text = DEPLOY.replace("app-N", &format!("app-{i}")).replace("REG", registry);
        std::fs::write(seed.join(format!("apps/app-{i}.yaml")), text).unwrap();
    }
    git(&seed, &["add", "-A"]);
    git(&seed, &["-c", "user.name=b", "-c", "user.email=b@example.invalid", "commit", "-q", "-m", "seed"]);
    git(&seed, &["push", "-q", bare.to_str().unwrap(), "main"]);
    format!("file://{}", bare.display())
}

/// The Git work of a run without the edits: clone, change one file, commit, push.
fn baseline_git(url: &str, root: &Path) -> Duration {
    use glidepath_source::{Signature, Workdir};
    let started = Instant::now();
    let w = Workdir::init(&root.join("baseline"), url, &Default::default(), Duration::from_secs(60)).unwrap();
    let head = w.fetch("refs/heads/main", false).unwrap();
    w.checkout("main", &head).unwrap();
    std::fs::write(w.path().join("apps/app-0.yaml"), "changed: true\n").unwrap();
    let who = Signature { name: "b".into(), email: "b@example.invalid".into(), when: 0 };
    w.commit_all(&who, "baseline").unwrap().unwrap();
    w.push("main:refs/heads/baseline", &BTreeMap::new()).unwrap();
    started.elapsed()
}

async fn scan_phase(client: &kube::Client, addr: &str, repos: usize, tags: usize) -> (Duration, Duration, f64) {
    let baseline = baseline_scan(addr, repos).await;
    let before = rss_mib();
    let started = Instant::now();
    for r in 0..repos {
        let spec = json!({"image": format!("{addr}/bench/app-{r}"), "interval": "1h", "insecure": true});
        apply(
            client,
            json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository",
                             "metadata": {"name": format!("app-{r}"), "namespace": NS}, "spec": spec}),
        )
        .await;
    }
    wait_all_scanned(client, repos, tags).await;
    (baseline, started.elapsed(), rss_mib() - before)
}

async fn automation_phase(client: &kube::Client, url: &str) -> Duration {
    apply(client, json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "apps", "namespace": NS}, "spec": {"url": url, "interval": "1h", "ref": {"branch": "main"}}}))
    .await;
    apply(
        client,
        json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy",
        "metadata": {"name": "app", "namespace": NS},
        "spec": {"imageRepositoryRef": {"name": "app-0"}, "policy": {"semver": {"range": ">=1.0.0"}}}}),
    )
    .await;
    let policies = api(client, IMAGE_V1.0, IMAGE_V1.1, "ImagePolicy");
    while policies.get("app").await.unwrap().data["status"]["latestRef"]["tag"] != "1.0.99" {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let started = Instant::now();
    apply(client, json!({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
        "metadata": {"name": "apps", "namespace": NS},
        "spec": {"interval": "1h", "sourceRef": {"kind": "GitRepository", "name": "apps"},
                 "git": {"checkout": {"ref": {"branch": "main"}}, "commit": {"author": {"email": "bot@example.invalid"}},
                         "push": {"branch": "main"}},
                 "update": {"path": "./apps", "strategy": "Setters"}}}))
    .await;
    let autos = api(client, IMAGE_V1.0, IMAGE_V1.1, "ImageUpdateAutomation");
    let deadline = Instant::now() + Duration::from_secs(300);
    while autos.get("apps").await.unwrap().data["status"]["lastPushCommit"].is_null() {
        assert!(Instant::now() < deadline, "no push");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (repos, tags, files) =
        (*args.first().unwrap_or(&1000), *args.get(1).unwrap_or(&100), *args.get(2).unwrap_or(&1000));
    let registry = oci_registry::Registry::start();
    populate(&registry.dir.path().join("data"), repos, tags);
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = kube::Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in glidepath_api::crdgen::all() {
        crds.create(&PostParams::default(), &crd).await.unwrap();
    }
    apply(&client, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})).await;
    let settings = glidepath::sync::Settings {
        git: true,
        kustomize: false,
        image_reflector: true,
        image_automation: true,
        ..Default::default()
    };
    let _sync = glidepath::sync::start(client.clone(), settings).unwrap();

    println!("image_bench: {repos} repositories x {tags} tags; {files} marked files");
    let (baseline, scanned, rss) = scan_phase(&client, &registry.addr, repos, tags).await;
    println!("scan      baseline (bare OCI client, 4 at a time): {:>8.2} s", baseline.as_secs_f64());
    println!(
        "scan      {repos} ImageRepositories to Ready:        {:>8.2} s  ({:.2}x baseline)",
        scanned.as_secs_f64(),
        scanned.as_secs_f64() / baseline.as_secs_f64()
    );
    println!("scan      RSS growth (controller + sandbox objects): {rss:>8.1} MiB");

    let tmp = tempfile::tempdir().unwrap();
    let url = marked_repository(tmp.path(), files, &registry.addr);
    let git_only = baseline_git(&url, tmp.path());
    let run = automation_phase(&client, &url).await;
    println!("automate  baseline (clone, 1-file commit, push):     {:>8.3} s", git_only.as_secs_f64());
    println!(
        "automate  {files} marked files to pushed commit:     {:>8.3} s  ({:.2}x baseline)",
        run.as_secs_f64(),
        run.as_secs_f64() / git_only.as_secs_f64()
    );
    drop(sandbox);
}
