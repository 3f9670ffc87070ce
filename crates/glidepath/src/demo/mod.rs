//! `glidepath demo`: a whole canary release a person can watch, on one machine, with real
//! parts where they exist. It starts the embedded sandbox (with its workload and traffic
//! simulators), a real Prometheus scraping the sandbox's traffic metrics, the load tester and
//! the canary controller; applies `examples/demo/`; then publishes a good version (promoted)
//! and a bad one (rolled back) while a live view shows phase, weights, the controller's
//! metric checks and events. At the end it writes `plot.svg` and `summary.json`.
//!
//! `--scenario gitops` tells the same two releases the way Flux and Flagger users run them: a
//! real `docker-registry`, a Git repository and the sync engine in-process (see [`gitops`]).

mod flux;
mod gitops;
mod gitrepo;
mod hops;
mod manifests;
mod observe;
pub mod plot;
pub mod prometheus;
pub mod registry;
mod scenario;
pub mod view;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, PostParams};

use crate::cli::{DemoArgs, DemoScenario};
use crate::controller::{Controller, Settings};
use crate::loadtester::{Config as LoadTesterConfig, LoadTester, router};

/// The Gateway API HTTPRoute CRD (v1.6.1, standard channel, Apache-2.0; see crds/LICENSE),
/// so the sandbox validates routes as a cluster with Gateway API would.
const HTTPROUTE_CRD: &str = include_str!("crds/gateway.networking.k8s.io_httproutes.yaml");

/// Requests per second the traffic simulator sends through the demo's HTTPRoute.
const DEMO_RPS: f64 = 40.0;

/// Everything the demo started; stopped by [`Env::shutdown`].
#[allow(missing_debug_implementations)] // holds handles with no useful Debug
pub struct Env {
    pub sandbox: glidepath_sandbox::SandboxHandle,
    pub client: Client,
    pub prometheus: prometheus::Prometheus,
    pub controller: Controller,
    pub loadtester_url: String,
    pub kubeconfig: PathBuf,
    pub speed: u32,
    /// The demo's directory (plot, summary, and the gitops scenario's registry and Git).
    pub out: PathBuf,
    /// The sync engine (Flux's controllers), in the gitops scenario.
    pub sync: Option<crate::sync::SyncHandle>,
}

impl Env {
    async fn start(prometheus_bin: &Path, out: &Path, speed: u32, gitops: bool) -> anyhow::Result<Env> {
        let images = if gitops { gitops::image_behaviours() } else { Default::default() };
        let config = glidepath_sandbox::Config {
            traffic: Some(glidepath_sandbox::TrafficConfig { rps: DEMO_RPS, images, ..Default::default() }),
            ..glidepath_sandbox::Config::default()
        };
        let sandbox = glidepath_sandbox::Sandbox::start(config).await.context("start the sandbox API server")?;
        let kubeconfig = out.join("kubeconfig");
        sandbox.write_kubeconfig(&kubeconfig).context("write the kubeconfig")?;
        let client = Client::try_from(kube::Config::new(sandbox.url().parse()?))?;
        let sandbox_addr = sandbox.addr().to_string();
        let prometheus = prometheus::Prometheus::start(prometheus_bin, &out.join("prometheus"), &sandbox_addr)
            .await
            .context("start Prometheus")?;
        install_crds(&client).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("bind the load tester")?;
        let loadtester_url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, router(LoadTester::new(LoadTesterConfig::default()))).await });
        let settings = Settings {
            mesh_provider: "gatewayapi:v1".into(),
            metrics_server: prometheus.url.clone(),
            speed,
            webhook_backoff: Duration::from_millis(200),
            ..Settings::default()
        };
        let controller = Controller::start(client.clone(), settings).await.context("start the canary controller")?;
        let sync = if gitops { Some(start_sync(&client, out)?) } else { None };
        let out = out.to_owned();
        Ok(Env { sandbox, client, prometheus, controller, loadtester_url, kubeconfig, speed, out, sync })
    }

    async fn shutdown(self) {
        drop(self.sync);
        self.controller.shutdown().await;
        let _ = self.sandbox.shutdown().await;
        drop(self.prometheus);
    }
}

/// Flux's source, kustomize, image-reflector and image-automation controllers, polling often
/// enough that the loop turns in seconds.
fn start_sync(client: &Client, out: &Path) -> anyhow::Result<crate::sync::SyncHandle> {
    let settings = crate::sync::Settings {
        git: true,
        kustomize: true,
        image_reflector: true,
        image_automation: true,
        storage_path: Some(out.join("artifacts")),
        health_poll: Duration::from_millis(500),
        requeue_dependency: Duration::from_secs(1),
        ..crate::sync::Settings::default()
    };
    crate::sync::start(client.clone(), settings).context("start the sync engine")
}

async fn install_crds(client: &Client) -> anyhow::Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let httproute: CustomResourceDefinition =
        serde_norway::from_str(HTTPROUTE_CRD).context("parse the bundled HTTPRoute CRD")?;
    for crd in glidepath_api::crdgen::all().into_iter().chain([httproute]) {
        let name = crd.metadata.name.clone().unwrap_or_default();
        api.create(&PostParams::default(), &crd).await.with_context(|| format!("create CRD {name}"))?;
    }
    Ok(())
}

/// What a scenario reports, written as `summary.json` and printed.
enum Outcome {
    Release(scenario::Report),
    Gitops(gitops::Report),
}

/// Start the registry the gitops scenario pushes to, or say how to install it.
async fn start_registry(args: &DemoArgs, out: &Path) -> anyhow::Result<Option<registry::Registry>> {
    let Some(bin) = registry::find(args.registry.as_deref()) else {
        eprintln!("{}", registry::INSTALL_HINT);
        return Ok(None);
    };
    let reg = registry::Registry::start(&bin, &out.join("registry")).await.context("start docker-registry")?;
    Ok(Some(reg))
}

/// Run the demo; the exit code says whether both releases ended as expected.
pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let Some(prometheus_bin) = prometheus::find(args.prometheus.as_deref()) else {
        eprintln!("{}", prometheus::INSTALL_HINT);
        return Ok(ExitCode::from(2));
    };
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("glidepath-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("create {}", out.display()))?;
    let gitops = args.scenario == DemoScenario::Gitops;
    let registry = if gitops {
        match start_registry(&args, &out).await? {
            Some(r) => Some(r),
            None => return Ok(ExitCode::from(2)),
        }
    } else {
        None
    };
    let tty = !args.no_tty && std::io::IsTerminal::is_terminal(&std::io::stdout());
    println!("glidepath demo: starting the sandbox, Prometheus, the load tester and the controller ...");
    let env = Env::start(&prometheus_bin, &out, args.speed, gitops).await?;
    println!("  sandbox API server  {}   (kubeconfig: {})", env.sandbox.url(), env.kubeconfig.display());
    println!("  Prometheus          {}", env.prometheus.url);
    let report = match &registry {
        Some(reg) => {
            println!("  OCI registry        http://{}   (docker-registry)", reg.addr);
            println!("  Git repository      {}", out.join("git").join("podinfo.git").display());
            gitops::run(&env, reg, tty).await.map(Outcome::Gitops)
        }
        None => match manifests::apply_demo(&env.client, &env.loadtester_url).await {
            Ok(()) => scenario::run(&env, tty).await.map(Outcome::Release),
            Err(e) => Err(e),
        },
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            env.shutdown().await;
            return Err(e);
        }
    };
    let ok = finish(&out, &report)?;
    if args.keep {
        keep(&env, gitops).await?;
    }
    env.shutdown().await;
    drop(registry);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Write the plot and the summary, print the summary; whether the demo ended as expected.
fn finish(out: &Path, report: &Outcome) -> anyhow::Result<bool> {
    let (samples, marks, json, text, ok) = match report {
        Outcome::Release(r) => (&r.samples, &r.marks, serde_json::to_vec_pretty(r)?, r.text(), r.as_expected()),
        Outcome::Gitops(r) => (&r.samples, &r.marks, serde_json::to_vec_pretty(r)?, r.text(), r.as_expected()),
    };
    let plot_path = out.join("plot.svg");
    std::fs::write(&plot_path, plot::svg(samples, marks, 1.0))
        .with_context(|| format!("write {}", plot_path.display()))?;
    let summary_path = out.join("summary.json");
    std::fs::write(&summary_path, json).with_context(|| format!("write {}", summary_path.display()))?;
    println!();
    print!("{text}");
    println!("plot:    {}", plot_path.display());
    println!("summary: {}", summary_path.display());
    Ok(ok)
}

/// `--keep`: say how to look around, then wait for Ctrl-C.
async fn keep(env: &Env, gitops: bool) -> anyhow::Result<()> {
    println!();
    println!("Everything keeps running; press Ctrl-C to stop. Try:");
    println!("  export KUBECONFIG={}", env.kubeconfig.display());
    println!("  kubectl get canaries,deployments,httproutes -n demo");
    if gitops {
        println!(
            "  kubectl get gitrepositories,kustomizations,imagerepositories,imagepolicies,imageupdateautomations -n demo"
        );
        println!("  git --git-dir {} log main", env.out.join("git").join("podinfo.git").display());
    }
    println!("  glidepath get canaries -n demo -w");
    println!("  Prometheus: {}/graph?g0.expr=sandbox_traffic_requests_total", env.prometheus.url);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
