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
    Controller(Pending),
    /// Run the embedded Kubernetes API server.
    Sandbox(Pending),
    /// Watch a full canary release on the embedded sandbox.
    Demo(Pending),
    /// Build a kustomization directory to stdout, like `kubectl kustomize`.
    Build(Pending),
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
    /// The name of a command that is not built yet, and the issue that builds it.
    pub fn pending(&self) -> (&'static str, u32) {
        match self {
            Self::Controller(_) => ("controller", 4),
            Self::Sandbox(_) => ("sandbox", 3),
            Self::Demo(_) => ("demo", 9),
            Self::Build(_) => ("build", 8),
            Self::Loadtester(_) => ("loadtester", 4),
            Self::Get(_) => ("get", 9),
            Self::Promote(_) => ("promote", 9),
            Self::Abort(_) => ("abort", 9),
            Self::Pause(_) => ("pause", 9),
            Self::Resume(_) => ("resume", 9),
            Self::Version => ("version", 2),
            Self::Crds(_) => ("crds", 2),
        }
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
