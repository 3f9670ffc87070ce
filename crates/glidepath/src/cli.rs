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
#[allow(clippy::large_enum_variant)] // Parsed once per process; boxing buys nothing.
pub enum Command {
    /// Print the version and the APIs this build serves.
    Version,
    /// Print the CustomResourceDefinitions (or write / check them in a directory).
    Crds(CrdsArgs),
    /// Run the controllers against a cluster.
    Controller(ControllerArgs),
    /// Run the embedded Kubernetes API server.
    Sandbox(SandboxArgs),
    /// Watch a full canary release on the embedded sandbox.
    Demo(Pending),
    /// Build a kustomization directory to stdout, like `kubectl kustomize`.
    Build(BuildArgs),
    /// Run the flagger-loadtester-compatible webhook and gate service.
    Loadtester(LoadtesterArgs),
    /// List canaries.
    Get(Pending),
    /// Promote a canary now.
    Promote(Pending),
    /// Abort a canary release (roll back).
    Abort(Pending),
    /// Pause a canary release.
    Pause(Pending),
    /// Resume a paused canary release.
    Resume(Pending),
}

/// Arguments of a command that is not built yet: accepted, so the command can say so instead of
/// failing on an unknown flag.
#[derive(Debug, Args)]
pub struct Pending {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ControllerArgs {
    /// Kubeconfig file (else KUBECONFIG, ~/.kube/config, or the in-cluster service account).
    #[arg(long, env = "GLIDEPATH_KUBECONFIG")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Controllers to run, comma-separated: canary, git, kustomize.
    #[arg(long, env = "GLIDEPATH_CONTROLLERS", value_delimiter = ',', default_value = "canary,git,kustomize")]
    pub controllers: Vec<String>,
    /// GitRepositories and Kustomizations reconciled in parallel (Flux's `--concurrent`).
    #[arg(long, env = "GLIDEPATH_SYNC_WORKERS", default_value_t = 8)]
    pub sync_workers: u16,
    /// Directory of Git artifacts (GitRepository controller); a temporary directory when unset.
    #[arg(long, env = "GLIDEPATH_STORAGE_PATH")]
    pub storage_path: Option<std::path::PathBuf>,
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
    /// Canaries reconciled at once.
    #[arg(long, env = "GLIDEPATH_WORKERS", default_value_t = 8)]
    pub workers: usize,
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
    /// Keep state across restarts in this directory (not built yet).
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

impl Command {
    /// The name of a command that is not built yet, and the issue that builds it; `None` for
    /// built commands.
    pub fn pending(&self) -> Option<(&'static str, u32)> {
        Some(match self {
            Self::Demo(_) => ("demo", 9),
            Self::Get(_) => ("get", 9),
            Self::Promote(_) => ("promote", 9),
            Self::Abort(_) => ("abort", 9),
            Self::Pause(_) => ("pause", 9),
            Self::Resume(_) => ("resume", 9),
            _ => return None,
        })
    }
}

/// `glidepath version` output.
pub fn version_text() -> String {
    format!(
        "glidepath {}\nAPIs: flagger.app/v1beta1 (Canary, MetricTemplate, AlertProvider), \
         source.toolkit.fluxcd.io/v1 (GitRepository), kustomize.toolkit.fluxcd.io/v1 (Kustomization)",
        env!("CARGO_PKG_VERSION")
    )
}
