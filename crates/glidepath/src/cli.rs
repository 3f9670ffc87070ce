//! Command-line definitions. Every flag also reads `GLIDEPATH_<FLAG>` from the environment.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "glidepath",
    version,
    about = "Progressive delivery and Git sync for Kubernetes, compatible with Flagger and Flux"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the version and the APIs this build serves.
    Version,
    /// Print the CustomResourceDefinitions (or write / check them in a directory).
    Crds(CrdsArgs),
    /// Run the controllers against a cluster.
    Controller(Box<ControllerArgs>),
    /// Run the embedded Kubernetes API server.
    Sandbox(SandboxArgs),
    /// Watch a full canary release on the embedded sandbox.
    Demo(DemoArgs),
    /// Build a kustomization directory to stdout, like `kubectl kustomize`.
    Build(BuildArgs),
    /// Render a Helm chart to stdout, like `helm template` (Helm 4's engine, natively).
    Template(Box<TemplateArgs>),
    /// Run the flagger-loadtester-compatible webhook and gate service.
    Loadtester(LoadtesterArgs),
    /// List canaries: phase, weight, failed checks, last transition.
    Get(GetArgs),
    /// End a canary's analysis now and promote it (sets the glidepath.io/promote annotation).
    Promote(CanaryArgs),
    /// Roll a canary release back now (sets the glidepath.io/abort annotation).
    Abort(CanaryArgs),
    /// Freeze a canary where it is (sets spec.suspend: true, Flagger's suspend).
    Pause(CanaryArgs),
    /// Unfreeze a paused canary (`resume NAME`, sets spec.suspend: false), or resume a Flux
    /// object as `flux resume` does (`resume kustomization NAME`, `resume source git NAME`).
    Resume(ResumeArgs),
    /// Suspend a Flux object as `flux suspend` does: `suspend kustomization NAME`,
    /// `suspend source git NAME`.
    Suspend(FluxArgs),
    /// Reconcile a Flux object now and wait, as `flux reconcile` does: `reconcile kustomization
    /// NAME [--with-source]`, `reconcile source git NAME`.
    Reconcile(ReconcileArgs),
    /// Print a Kustomization's inventory as a tree, nested Kustomizations expanded, as
    /// `flux tree kustomization NAME` does.
    Tree(FluxArgs),
    /// List a namespace's Events as `flux events` does: `events [--for Kind/name] [-A]`.
    Events(EventsArgs),
    /// Show what applying a local directory would change, as `flux diff kustomization NAME
    /// --path DIR` does: exit 0 when nothing would, 1 when something would.
    Diff(DiffArgs),
    /// Show how an object is managed by Flux, as `flux trace` does: `trace deployment NAME`.
    Trace(TraceArgs),
    /// Print a shell completion script, as `flux completion` does: `completion bash|zsh|fish`.
    Completion(CompletionArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// `kustomization NAME` (also ks).
    #[arg(required = true, num_args = 2)]
    pub target: Vec<String>,
    /// The local directory to build in place of the Kustomization's `spec.path`.
    #[arg(long)]
    pub path: PathBuf,
    /// Namespace (Flux's default: flux-system).
    #[arg(short, long, env = "GLIDEPATH_NAMESPACE", default_value = "flux-system")]
    pub namespace: String,
    /// Kubeconfig file (else KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "GLIDEPATH_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// `KIND NAME` or `KIND/NAME`; KIND as kubectl takes it (`deployment`, `deployments`,
    /// `Deployment`, `apps/v1/Deployment`).
    #[arg(required = true, num_args = 1..=2)]
    pub target: Vec<String>,
    /// Namespace (Flux's default: flux-system).
    #[arg(short, long, env = "GLIDEPATH_NAMESPACE", default_value = "flux-system")]
    pub namespace: String,
    /// Kubeconfig file (else KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "GLIDEPATH_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell.
    #[arg(value_parser = ["bash", "zsh", "fish"])]
    pub shell: String,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only the events of this object (`Kustomization/apps`).
    #[arg(long = "for")]
    pub for_object: Option<String>,
    /// Namespace (Flux's default: flux-system).
    #[arg(short, long, env = "GLIDEPATH_NAMESPACE")]
    pub namespace: Option<String>,
    /// Every namespace.
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Kubeconfig file (else KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "GLIDEPATH_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
}

/// A Flux object named as the `flux` CLI names it.
#[derive(Debug, Args)]
pub struct FluxArgs {
    /// `kustomization NAME` (also ks) or `source git NAME`.
    #[arg(required = true, num_args = 2..=3)]
    pub target: Vec<String>,
    /// Namespace (Flux's default: flux-system).
    #[arg(short, long, env = "GLIDEPATH_NAMESPACE", default_value = "flux-system")]
    pub namespace: String,
    /// Kubeconfig file (else KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "GLIDEPATH_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// How long to wait for the reconciliation (Flux's `--timeout`).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// A Canary's name, or `kustomization NAME` (also ks), or `source git NAME`.
    #[arg(required = true, num_args = 1..=3)]
    pub target: Vec<String>,
    /// Namespace (a Canary: the kubeconfig context's, else "default"; a Flux object:
    /// flux-system).
    #[arg(short, long, env = "GLIDEPATH_NAMESPACE")]
    pub namespace: Option<String>,
    /// Kubeconfig file (else KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "GLIDEPATH_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// A Flux object: wait for its reconciliation (Flux's `--wait`, default true).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub wait: bool,
    /// How long to wait for the reconciliation (Flux's `--timeout`).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub object: FluxArgs,
    /// A Kustomization: reconcile its source first.
    #[arg(long)]
    pub with_source: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// What to list: canaries (also canary, cd); Flux's kustomizations (also kustomization,
    /// ks), helmreleases (also helmrelease, hr), `sources git|helm|chart|oci`,
    /// `images repository|policy|update|all` and `all`, printed as `flux get` prints them.
    #[arg(value_parser = ["canaries", "canary", "cd", "kustomizations", "kustomization", "ks", "helmreleases", "helmrelease", "hr", "sources", "source", "images", "image", "all"])]
    pub resource: String,
    /// `git|helm|chart|oci` after `sources`, `repository|policy|update|all` after `images`,
    /// then an optional object name.
    #[arg(num_args = 0..=2)]
    pub rest: Vec<String>,
    /// Namespace (default: the kubeconfig context's, else "default").
    #[arg(short, long, env = "GLIDEPATH_NAMESPACE")]
    pub namespace: Option<String>,
    /// List across all namespaces.
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// After listing, print a row whenever a canary changes.
    #[arg(short, long, conflicts_with_all = ["status_selector", "no_header"])]
    pub watch: bool,
    /// Only Flux objects with this condition status, as `flux get --status-selector`:
    /// `ready=false` (type and status compared case-insensitively).
    #[arg(long)]
    pub status_selector: Option<String>,
    /// Skip the header (flux's `--no-header`).
    #[arg(long)]
    pub no_header: bool,
    /// Kubeconfig file (else KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "GLIDEPATH_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CanaryArgs {
    /// The Canary's name.
    pub name: String,
    /// Namespace (default: the kubeconfig context's, else "default").
    #[arg(short, long, env = "GLIDEPATH_NAMESPACE")]
    pub namespace: Option<String>,
    /// Kubeconfig file (else KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "GLIDEPATH_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How fast releases go: slow, normal, fast, or a number dividing every wait.
    #[arg(long, env = "GLIDEPATH_SPEED", default_value = "normal", value_parser = parse_speed)]
    pub speed: u32,
    /// Leave everything running at the end and print how to reach it.
    #[arg(long, env = "GLIDEPATH_KEEP")]
    pub keep: bool,
    /// Print one line per change instead of redrawing a live view (also when stdout is not a
    /// terminal).
    #[arg(long, env = "GLIDEPATH_NO_TTY")]
    pub no_tty: bool,
    /// Directory for the plot and the summary (default: a new directory under the system's
    /// temporary directory).
    #[arg(long, env = "GLIDEPATH_OUT")]
    pub out: Option<PathBuf>,
    /// The Prometheus server binary (default: `prometheus` on PATH, else /usr/bin/prometheus).
    #[arg(long, env = "GLIDEPATH_PROMETHEUS")]
    pub prometheus: Option<PathBuf>,
    /// Which story: `release` edits the Deployment by hand; `gitops` pushes images to a real
    /// registry and lets the image automation, Git and the Kustomization carry them to the Canary.
    #[arg(long, env = "GLIDEPATH_SCENARIO", value_enum, default_value_t = DemoScenario::Release)]
    pub scenario: DemoScenario,
    /// The docker-registry binary for `--scenario gitops` (default: `docker-registry` on PATH,
    /// else /usr/bin/docker-registry).
    #[arg(long, env = "GLIDEPATH_REGISTRY")]
    pub registry: Option<PathBuf>,
}

/// The stories `glidepath demo` tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoScenario {
    /// A good and a bad version, published by editing the Deployment.
    Release,
    /// The same two versions pushed as images; Flux's image automation commits them to Git.
    Gitops,
}

fn parse_speed(s: &str) -> Result<u32, String> {
    match s {
        "slow" => Ok(1),
        "normal" => Ok(3),
        "fast" => Ok(10),
        n => match n.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(format!("{s:?}: expected slow, normal, fast or a number from 1 to 100")),
        },
    }
}

#[derive(Debug, Args)]
pub struct ControllerArgs {
    /// Kubeconfig file (else KUBECONFIG, ~/.kube/config, or the in-cluster service account).
    #[arg(long, env = "GLIDEPATH_KUBECONFIG")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Controllers to run, comma-separated: canary, git, kustomize, notification, helm,
    /// image-reflector, image-automation.
    #[arg(
        long,
        env = "GLIDEPATH_CONTROLLERS",
        value_delimiter = ',',
        default_value = "canary,git,kustomize,notification,helm,image-reflector,image-automation"
    )]
    pub controllers: Vec<String>,
    /// Serve Flux's event server here (notification-controller's `:9090`), for Flux controllers
    /// that post to it; not served when unset.
    #[arg(long, env = "GLIDEPATH_NOTIFICATION_ADDR")]
    pub notification_addr: Option<std::net::SocketAddr>,
    /// Serve Receiver webhooks here (notification-controller's `:9292`); not served when unset.
    #[arg(long, env = "GLIDEPATH_RECEIVER_ADDR")]
    pub receiver_addr: Option<std::net::SocketAddr>,
    /// POST this process's Flux events to an external notification-controller (Flux's
    /// `--events-addr`, e.g. http://notification-controller.flux-system.svc.cluster.local./)
    /// instead of dispatching them here.
    #[arg(long, env = "GLIDEPATH_EVENTS_ADDR")]
    pub events_addr: Option<String>,
    /// Reconcile only objects matching this label selector (Flux's `--watch-label-selector`,
    /// e.g. `sharding.fluxcd.io/key=shard1` or `!sharding.fluxcd.io/key`), so several
    /// controllers (Glidepath or Flux) can share a cluster's objects.
    #[arg(long, env = "GLIDEPATH_WATCH_LABEL_SELECTOR")]
    pub watch_label_selector: Option<String>,
    /// Drop duplicate events within this interval (Flux's `--rate-limit-interval`).
    #[arg(long, env = "GLIDEPATH_RATE_LIMIT_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    pub rate_limit_interval: std::time::Duration,
    /// Export `gotk_resource_info` (the series Flux's dashboards read from kube-state-metrics'
    /// custom-resource-state config). Turn off where kube-state-metrics already exports it.
    #[arg(long, env = "GLIDEPATH_RESOURCE_INFO_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub resource_info_metrics: bool,
    /// GitRepositories and Kustomizations reconciled in parallel (Flux's `--concurrent`).
    #[arg(long, env = "GLIDEPATH_SYNC_WORKERS", default_value_t = 8)]
    pub sync_workers: u16,
    /// Directory of Git artifacts (GitRepository controller); a temporary directory when unset.
    #[arg(long, env = "GLIDEPATH_STORAGE_PATH")]
    pub storage_path: Option<std::path::PathBuf>,
    /// Serve Git artifacts over HTTP on this address (Flux's `--storage-addr`, e.g. 0.0.0.0:9090);
    /// not served when unset (Kustomizations read them in-process either way).
    #[arg(long, env = "GLIDEPATH_STORAGE_ADDR")]
    pub storage_addr: Option<std::net::SocketAddr>,
    /// Host[:port] in `status.artifact.url` (Flux's `--storage-adv-addr`); default: the storage
    /// address (host name for 0.0.0.0), else glidepath.flux-system.svc.cluster.local.
    #[arg(long, env = "GLIDEPATH_STORAGE_ADV_ADDR")]
    pub storage_adv_addr: Option<String>,
    /// Watch only this namespace.
    #[arg(long, env = "GLIDEPATH_NAMESPACE")]
    pub namespace: Option<String>,
    /// Address of /healthz, /readyz and /metrics.
    #[arg(long, env = "GLIDEPATH_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: std::net::SocketAddr,
    /// Prometheus used by the built-in metrics.
    #[arg(long, env = "GLIDEPATH_METRICS_SERVER", default_value = "http://prometheus:9090")]
    pub metrics_server: String,
    /// Routing provider of Canaries that set none.
    #[arg(long, env = "GLIDEPATH_MESH_PROVIDER", default_value = "istio")]
    pub mesh_provider: String,
    /// Annotation prefix of the nginx canary Ingress.
    #[arg(long, env = "GLIDEPATH_INGRESS_ANNOTATIONS_PREFIX", default_value = "nginx.ingress.kubernetes.io")]
    pub ingress_annotations_prefix: String,
    /// Ingress class set on generated Contour HTTPProxies.
    #[arg(long, env = "GLIDEPATH_INGRESS_CLASS")]
    pub ingress_class: Option<String>,
    /// Pod labels that identify a workload, in order of preference.
    #[arg(
        long,
        env = "GLIDEPATH_SELECTOR_LABELS",
        value_delimiter = ',',
        default_value = "app,name,app.kubernetes.io/name"
    )]
    pub selector_labels: Vec<String>,
    /// Label key prefixes copied to primary workloads (`*` for all).
    #[arg(long, env = "GLIDEPATH_INCLUDE_LABEL_PREFIX", value_delimiter = ',')]
    pub include_label_prefix: Vec<String>,
    /// Cluster name added to alerts.
    #[arg(long, env = "GLIDEPATH_CLUSTER_NAME")]
    pub cluster_name: Option<String>,
    /// Refuse MetricTemplate and AlertProvider references to other namespaces.
    #[arg(long, env = "GLIDEPATH_NO_CROSS_NAMESPACE_REFS")]
    pub no_cross_namespace_refs: bool,
    /// Take part in leader election through a coordination.k8s.io Lease.
    #[arg(long, env = "GLIDEPATH_LEADER_ELECT")]
    pub leader_elect: bool,
    /// Namespace of the leader-election Lease (default: --namespace, else kube-system).
    #[arg(long, env = "GLIDEPATH_LEADER_ELECTION_NAMESPACE")]
    pub leader_election_namespace: Option<String>,
    /// How long a Lease is valid without renewal (Go duration); a follower takes over after it.
    #[arg(long, env = "GLIDEPATH_LEADER_ELECTION_LEASE_DURATION", default_value = "60s", value_parser = parse_duration)]
    pub leader_election_lease_duration: std::time::Duration,
    /// The leader steps down when it could not renew for this long.
    #[arg(long, env = "GLIDEPATH_LEADER_ELECTION_RENEW_DEADLINE", default_value = "15s", value_parser = parse_duration)]
    pub leader_election_renew_deadline: std::time::Duration,
    /// How often candidates try to acquire and the leader renews.
    #[arg(long, env = "GLIDEPATH_LEADER_ELECTION_RETRY_PERIOD", default_value = "5s", value_parser = parse_duration)]
    pub leader_election_retry_period: std::time::Duration,
    /// Canaries reconciled at once.
    #[arg(long, env = "GLIDEPATH_WORKERS", default_value_t = 8)]
    pub workers: usize,
    /// Divide every wait between canary steps by this (demos and tests); 1 in production.
    #[arg(long, env = "GLIDEPATH_SPEED", default_value_t = 1, hide = true)]
    pub speed: u32,
    /// Log format: text or json.
    #[arg(long, env = "GLIDEPATH_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to serve on (loopback only is wise: the sandbox has no authentication).
    #[arg(long, env = "GLIDEPATH_LISTEN", default_value = "127.0.0.1:6443")]
    pub listen: std::net::SocketAddr,
    /// Write a kubeconfig for kubectl and kube-rs here.
    #[arg(long, env = "GLIDEPATH_KUBECONFIG", default_value = "sandbox.kubeconfig")]
    pub kubeconfig: std::path::PathBuf,
    /// Keep state across restarts in this directory (snapshot + append log); memory only without it.
    #[arg(long, env = "GLIDEPATH_STATE_DIR")]
    pub state_dir: Option<std::path::PathBuf>,
    /// Do not simulate Deployment/DaemonSet rollouts.
    #[arg(long, env = "GLIDEPATH_NO_SIMULATOR")]
    pub no_simulator: bool,
    /// Also serve the Glidepath CRDs from the start.
    #[arg(long, env = "GLIDEPATH_WITH_CRDS")]
    pub with_crds: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The directory with a kustomization.yaml (or plain manifests).
    pub dir: std::path::PathBuf,
    /// Allow files outside the directory tree, as Flux does (`kubectl kustomize` does not).
    #[arg(long, env = "GLIDEPATH_LOAD_RESTRICTIONS_NONE")]
    pub load_restrictions_none: bool,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// `[NAME] CHART`: the release name (default `release-name`) and a chart directory or .tgz.
    pub args: Vec<String>,
    /// Values files, merged in order.
    #[arg(short = 'f', long = "values")]
    pub values: Vec<std::path::PathBuf>,
    /// `key=value` pairs (Helm's --set syntax).
    #[arg(long)]
    pub set: Vec<String>,
    /// `key=value` pairs whose values stay strings.
    #[arg(long)]
    pub set_string: Vec<String>,
    /// `key=json` pairs.
    #[arg(long)]
    pub set_json: Vec<String>,
    /// `key=path` pairs: the value is the file's content.
    #[arg(long)]
    pub set_file: Vec<String>,
    /// `key=value` pairs taken literally.
    #[arg(long)]
    pub set_literal: Vec<String>,
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// The Kubernetes version `.Capabilities.KubeVersion` reports.
    #[arg(long)]
    pub kube_version: Option<String>,
    /// API versions added to `.Capabilities.APIVersions` (repeat or comma-separate).
    #[arg(short = 'a', long)]
    pub api_versions: Vec<String>,
    /// Print the charts' crds/ files too.
    #[arg(long)]
    pub include_crds: bool,
    #[arg(long)]
    pub skip_crds: bool,
    /// Leave out test hooks.
    #[arg(long)]
    pub skip_tests: bool,
    /// Leave out hooks.
    #[arg(long)]
    pub no_hooks: bool,
    /// Only these templates (paths or globs relative to the chart).
    #[arg(short = 's', long)]
    pub show_only: Vec<String>,
    /// A Go template for the release name.
    #[arg(long)]
    pub name_template: Option<String>,
    #[arg(long)]
    pub skip_schema_validation: bool,
    #[arg(long)]
    pub render_subchart_notes: bool,
    /// Render as an upgrade (`.Release.IsUpgrade`).
    #[arg(long)]
    pub is_upgrade: bool,
    /// On invalid YAML, print the rendered templates before the error.
    #[arg(long)]
    pub debug: bool,
}

#[derive(Debug, Args)]
pub struct LoadtesterArgs {
    /// Address to serve on.
    #[arg(long, env = "GLIDEPATH_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: std::net::SocketAddr,
    /// Time limit of each command (Go duration).
    #[arg(long, env = "GLIDEPATH_TIMEOUT", default_value = "1h", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Serve only payloads whose namespace matches this regular expression.
    #[arg(long, env = "GLIDEPATH_NAMESPACE_REGEXP")]
    pub namespace_regexp: Option<regex::Regex>,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    glidepath_api::duration::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct CrdsArgs {
    /// Write one file per CRD into this directory instead of printing.
    #[arg(long, env = "GLIDEPATH_OUT_DIR", conflicts_with = "check")]
    pub out_dir: Option<PathBuf>,
    /// Compare the generated CRDs with the files in this directory; fail on any difference.
    #[arg(long, env = "GLIDEPATH_CHECK")]
    pub check: Option<PathBuf>,
}

/// `glidepath version` output.
pub fn version_text() -> String {
    format!(
        "glidepath {}\nAPIs: flagger.app/v1beta1 (Canary, MetricTemplate, AlertProvider), \
         source.toolkit.fluxcd.io/v1 (GitRepository), kustomize.toolkit.fluxcd.io/v1 (Kustomization), \
         notification.toolkit.fluxcd.io/v1beta3 (Provider, Alert), notification.toolkit.fluxcd.io/v1 (Receiver)",
        env!("CARGO_PKG_VERSION")
    )
}
