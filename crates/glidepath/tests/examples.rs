//! Every example under `examples/` is applied, as its README says, to a fresh in-process
//! sandbox with `kubectl apply --server-side` (kubectl is required, as for every test:
//! `scripts/install-test-deps.sh` installs it). Each Canary must
//! be stored, validate, find its MetricTemplates and AlertProviders, and — run by the real
//! controller — initialise and start a release the way its strategy says (weights, header
//! matches, mirroring, blue/green).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};
use std::time::Duration;

use glidepath::controller::{Controller, Settings};
use glidepath_api::flagger::{AlertProvider, Canary, MetricTemplate};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

fn examples() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
}

/// What a release of the example's Canary must show once started.
#[derive(Clone, Copy, Debug)]
enum Release {
    /// HTTPRoute weights move to the first step.
    CanaryWeight(i64),
    /// An HTTPRoute rule matching this header sends it to the canary.
    HeaderMatch(&'static str),
    /// The primary's rule mirrors to the canary.
    Mirror,
    /// The Canary progresses (blue/green on Services).
    Progressing,
}

/// How an example is applied.
enum Apply {
    /// `kubectl apply --server-side -f DIR`.
    Dir(Option<Release>),
    /// `kubectl apply --server-side -k DIR/<each>` in order, after creating these namespaces
    /// (Flux's bootstrap makes flux-system).
    Kustomize(&'static [&'static str], &'static [&'static str]),
    /// Exercised by another test (named here).
    Elsewhere(&'static str),
}

/// Every folder of examples/ must be listed here.
fn table() -> Vec<(&'static str, Apply)> {
    vec![
        ("gatewayapi-canary", Apply::Dir(Some(Release::CanaryWeight(10)))),
        ("gatewayapi-abtest", Apply::Dir(Some(Release::HeaderMatch("x-canary")))),
        ("gatewayapi-mirroring", Apply::Dir(Some(Release::Mirror))),
        ("kubernetes-bluegreen", Apply::Dir(Some(Release::Progressing))),
        ("flux-sync", Apply::Dir(None)),
        // Its webhooks carry ${LOADTESTER_URL}, which `glidepath demo` substitutes.
        ("demo", Apply::Elsewhere("tests/demo.rs runs `glidepath demo` on it end to end")),
        (
            "gitops",
            Apply::Kustomize(
                &["flux-system"],
                &["infrastructure", "apps/staging", "apps/production", "clusters/staging", "clusters/production"],
            ),
        ),
    ]
}

struct Env {
    sandbox: glidepath_sandbox::SandboxHandle,
    client: Client,
    dir: PathBuf,
}

async fn env(label: &str) -> Env {
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in glidepath_api::crdgen::all() {
        crds.create(&PostParams::default(), &crd).await.unwrap();
    }
    let gateway_api =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/crds/gateway-api"));
    for entry in std::fs::read_dir(gateway_api).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let crd: CustomResourceDefinition =
                serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            crds.create(&PostParams::default(), &crd).await.unwrap();
        }
    }
    let dir = std::env::temp_dir().join(format!("glidepath-examples-{}-{label}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    sandbox.write_kubeconfig(&dir.join("kubeconfig")).unwrap();
    Env { sandbox, client, dir }
}

/// Run kubectl against the sandbox: success and its output, or failure and its output.
fn try_kubectl(env_dir: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("kubectl")
        .args(args)
        .arg(format!("--cache-dir={}", env_dir.join("cache").display()))
        .env("KUBECONFIG", env_dir.join("kubeconfig"))
        .env("HOME", env_dir)
        .output()
        .expect("kubectl is required (scripts/install-test-deps.sh installs it)");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Run kubectl against the sandbox; panics with its output on failure.
fn kubectl(env_dir: &Path, args: &[&str]) -> String {
    let (ok, text) = try_kubectl(env_dir, args);
    assert!(ok, "kubectl {args:?} failed:\n{text}");
    text
}

/// `kubectl apply --server-side -f PATH [-n NS]`.
async fn apply_path(env: &Env, path: &Path, namespace: Option<&str>) {
    let mut args = vec!["apply", "--server-side", "-f", path.to_str().unwrap()];
    args.extend(namespace.map(|ns| ["-n", ns]).into_iter().flatten());
    let dir = env.dir.clone();
    let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
    tokio::task::spawn_blocking(move || kubectl(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap();
}

/// `kubectl apply --server-side -k DIR`.
async fn apply_kustomization(env: &Env, dir: &Path) {
    let (d, k) = (env.dir.clone(), dir.to_owned());
    tokio::task::spawn_blocking(move || {
        let args = ["apply", "--server-side", "-k", k.to_str().unwrap()];
        let (ok, text) = try_kubectl(&d, &args);
        assert!(ok, "kubectl {args:?} failed:\n{text}");
    })
    .await
    .unwrap();
}

/// The Canaries now stored in the sandbox: they validate and their references resolve (after
/// applying the referenced ready templates from metric-templates/, as the READMEs say).
async fn check_canaries(env: &Env) -> Vec<Canary> {
    let canaries: Vec<Canary> = Api::all(env.client.clone()).list(&Default::default()).await.unwrap().items;
    for c in &canaries {
        let ns = c.metadata.namespace.clone().unwrap();
        let v = c.spec.validate("kubernetes");
        assert!(v.is_valid(), "{ns}/{}: {}", c.metadata.name.as_deref().unwrap(), v.errors);
        let analysis = c.spec.analysis.as_ref().unwrap();
        for m in analysis.metrics.iter().flatten() {
            let Some(r) = &m.template_ref else { continue };
            let tns = r.namespace.clone().unwrap_or_else(|| ns.clone());
            let file = examples().join(format!("../metric-templates/{}.yaml", r.name));
            assert!(file.is_file(), "metric {} references {}: no such file in metric-templates/", m.name, r.name);
            apply_path(env, &file, Some(&tns)).await;
            let t: MetricTemplate = Api::namespaced(env.client.clone(), &tns).get(&r.name).await.unwrap();
            assert!(t.spec.validate().is_valid());
        }
        for a in analysis.alerts.iter().flatten() {
            let pns = a.provider_ref.namespace.clone().unwrap_or_else(|| ns.clone());
            Api::<AlertProvider>::namespaced(env.client.clone(), &pns)
                .get(&a.provider_ref.name)
                .await
                .unwrap_or_else(|e| panic!("alert {} references AlertProvider {}: {e}", a.name, a.provider_ref.name));
        }
    }
    canaries
}

async fn phase(client: &Client) -> String {
    let c: Canary = Api::namespaced(client.clone(), "test").get("podinfo").await.unwrap();
    c.status.map(|s| s.phase.as_str().to_owned()).unwrap_or_default()
}

/// Poll `check` until it holds; on timeout fail with what was seen last.
async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let last = match check().await {
            Ok(()) => return,
            Err(e) => e,
        };
        assert!(tokio::time::Instant::now() < deadline, "{what}: not reached; last seen: {last}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn route(client: &Client) -> Result<Value, String> {
    let routes: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "test",
        &kube::api::ApiResource::from_gvk(&GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute")),
    );
    routes.get("podinfo").await.map(|r| r.data).map_err(|e| e.to_string())
}

fn release_seen(want: Release, route: &Value) -> bool {
    let rules = route["spec"]["rules"].as_array().cloned().unwrap_or_default();
    let backend = |r: &Value, name: &str| {
        r["backendRefs"].as_array().into_iter().flatten().find(|b| b["name"] == name).map(|b| b["weight"].as_i64())
    };
    match want {
        Release::CanaryWeight(w) => rules.iter().any(|r| backend(r, "podinfo-canary") == Some(Some(w))),
        Release::HeaderMatch(h) => rules.iter().any(|r| {
            backend(r, "podinfo-canary") == Some(Some(100))
                && r["matches"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m["headers"].as_array().into_iter().flatten().any(|x| x["name"] == h))
        }),
        Release::Mirror => {
            rules.iter().any(|r| {
                r["filters"].as_array().into_iter().flatten().any(|f| {
                    f["type"] == "RequestMirror" && f["requestMirror"]["backendRef"]["name"] == "podinfo-canary"
                })
            })
        }
        Release::Progressing => false,
    }
}

/// Run the controller: the Canary initialises, then a new image starts a release that must
/// show `want`.
async fn run_release(env: &Env, want: Release) {
    let settings = Settings {
        mesh_provider: "kubernetes".into(),
        speed: 20,
        webhook_backoff: Duration::from_millis(10),
        ..Settings::default()
    };
    let controller = Controller::start(env.client.clone(), settings).await.unwrap();
    let client = env.client.clone();
    eventually("phase Initialized", Duration::from_secs(30), || {
        let client = client.clone();
        async move {
            match phase(&client).await {
                p if p == "Initialized" => Ok(()),
                p => Err(p),
            }
        }
    })
    .await;
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(env.client.clone(), "test");
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "podinfo", "image": "ghcr.io/stefanprodan/podinfo:6.7.1"}]}}}});
    deployments.patch("podinfo", &PatchParams::default(), &Patch::Strategic(patch)).await.unwrap();
    eventually(&format!("release shows {want:?}"), Duration::from_secs(30), || {
        let client = client.clone();
        async move {
            if let Release::Progressing = want {
                let p = phase(&client).await;
                return if p == "Progressing" { Ok(()) } else { Err(p) };
            }
            let r = route(&client).await?;
            if release_seen(want, &r) { Ok(()) } else { Err(format!("phase {}, route {r}", phase(&client).await)) }
        }
    })
    .await;
    controller.shutdown().await;
}

async fn run_example(name: &str) {
    let (_, how) = table().into_iter().find(|(n, _)| *n == name).unwrap();
    let env = env(name).await;
    let dir = examples().join(name);
    match how {
        Apply::Dir(release) => {
            apply_path(&env, &dir, None).await;
            let canaries = check_canaries(&env).await;
            if let Some(want) = release {
                assert_eq!(canaries.len(), 1, "{name}: one Canary");
                run_release(&env, want).await;
            }
        }
        Apply::Elsewhere(test) => panic!("{name} is tested by {test}"),
        Apply::Kustomize(namespaces, overlays) => {
            let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(env.client.clone());
            for n in namespaces {
                let obj = serde_json::from_value(json!({"metadata": {"name": n}})).unwrap();
                ns.create(&PostParams::default(), &obj).await.unwrap();
            }
            for overlay in overlays {
                apply_kustomization(&env, &dir.join(overlay)).await;
            }
        }
    }
    // Flux objects: stored, typed and valid.
    let repos: Vec<glidepath_api::flux::GitRepository> =
        Api::all(env.client.clone()).list(&Default::default()).await.unwrap().items;
    for r in &repos {
        assert!(r.spec.validate().is_valid(), "{name}: GitRepository {:?}", r.metadata.name);
    }
    let ks: Vec<glidepath_api::flux::Kustomization> =
        Api::all(env.client.clone()).list(&Default::default()).await.unwrap().items;
    for k in &ks {
        assert!(k.spec.validate().is_valid(), "{name}: Kustomization {:?}", k.metadata.name);
    }
    if name == "gitops" {
        assert_eq!(repos.len(), 1, "one GitRepository shared by both clusters' manifests");
        let apps = ks.iter().find(|k| k.metadata.name.as_deref() == Some("apps")).unwrap();
        assert_eq!(apps.spec.path.as_deref(), Some("./apps/production"), "the last applied cluster wins");
        let deployments: Vec<k8s_openapi::api::apps::v1::Deployment> =
            Api::all(env.client.clone()).list(&Default::default()).await.unwrap().items;
        assert!(deployments.len() >= 2, "staging and production podinfo: {}", deployments.len());
    }
    if name == "flux-sync" {
        assert_eq!((repos.len(), ks.len()), (1, 1));
    }
    env.sandbox.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&env.dir);
}

async fn bounded(name: &str) {
    tokio::time::timeout(Duration::from_secs(90), run_example(name))
        .await
        .unwrap_or_else(|_| panic!("{name}: over 90s"));
}

#[test]
fn every_example_folder_is_tested() {
    let mut dirs: Vec<String> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = table().into_iter().map(|(n, _)| n.to_owned()).collect();
    listed.sort();
    assert_eq!(dirs, listed, "add new examples to the table in tests/examples.rs");
    for d in &dirs {
        assert!(examples().join(d).join("README.md").is_file(), "examples/{d}/README.md missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gatewayapi_canary_example_shifts_weights() {
    bounded("gatewayapi-canary").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gatewayapi_abtest_example_routes_by_header() {
    bounded("gatewayapi-abtest").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gatewayapi_mirroring_example_mirrors_to_the_canary() {
    bounded("gatewayapi-mirroring").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_bluegreen_example_progresses() {
    bounded("kubernetes-bluegreen").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flux_sync_example_applies() {
    bounded("flux-sync").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitops_example_applies_every_overlay_and_cluster() {
    bounded("gitops").await;
}
