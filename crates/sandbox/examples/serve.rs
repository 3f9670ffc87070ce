//! Runs a sandbox until Ctrl-C (or for `SANDBOX_SECONDS`), writing its kubeconfig to the path
//! in the first argument: `cargo run -p glidepath-sandbox --example serve -- /tmp/kubeconfig`.

use std::time::Duration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "sandbox.kubeconfig".to_owned());
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await?;
    sandbox.write_kubeconfig(std::path::Path::new(&path))?;
    println!("sandbox at {}; kubeconfig written to {path}", sandbox.url());
    let secs: u64 = std::env::var("SANDBOX_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3600);
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs(secs)) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    sandbox.shutdown().await?;
    Ok(())
}
