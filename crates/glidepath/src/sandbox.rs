//! `glidepath sandbox`: the embedded Kubernetes API server as a process, with a kubeconfig
//! that kubectl and kube-rs use unchanged.

use glidepath_sandbox::{Config, Sandbox, SimulatorConfig};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};

use crate::cli::SandboxArgs;

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let config = Config {
        listen: args.listen,
        simulator: (!args.no_simulator).then(SimulatorConfig::default),
        state_dir: args.state_dir.clone(),
        ..Config::default()
    };
    let sandbox = Sandbox::start(config).await?;
    sandbox.write_kubeconfig(&args.kubeconfig)?;
    if args.with_crds {
        let client = kube::Client::try_from(kube::Config::new(sandbox.url().parse()?))?;
        let api: Api<CustomResourceDefinition> = Api::all(client);
        for crd in glidepath_api::crdgen::all() {
            match api.create(&PostParams::default(), &crd).await {
                // Restored from --state-dir: the CRD is already served.
                Err(kube::Error::Api(status)) if status.code == 409 => {}
                other => {
                    other?;
                }
            }
        }
    }
    eprintln!("sandbox API server at {}", sandbox.url());
    eprintln!(
        "kubeconfig written to {}; try: KUBECONFIG={} kubectl get ns",
        args.kubeconfig.display(),
        args.kubeconfig.display()
    );
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await?;
    Ok(())
}
