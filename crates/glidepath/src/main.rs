use std::process::ExitCode;

use clap::Parser;
use glidepath::cli::{Cli, Command};
use glidepath::crds;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("glidepath: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Version => {
            println!("{}", glidepath::cli::version_text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Crds(args) => crds::run(&args),
        Command::Loadtester(args) => {
            init_logging();
            let config =
                glidepath::loadtester::Config { timeout: args.timeout, namespace_regexp: args.namespace_regexp };
            tokio::runtime::Runtime::new()?.block_on(glidepath::loadtester::serve(args.listen, config))?;
            Ok(ExitCode::SUCCESS)
        }
        other => {
            let (name, issue) = other.pending();
            eprintln!("glidepath {name}: not built yet (tracked in issue {issue}); nothing was done");
            Ok(ExitCode::from(2))
        }
    }
}
