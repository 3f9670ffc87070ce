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

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Version => {
            println!("{}", glidepath::cli::version_text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Crds(args) => crds::run(&args),
        other => {
            let (name, issue) = other.pending();
            eprintln!("glidepath {name}: not built yet (tracked in issue {issue}); nothing was done");
            Ok(ExitCode::from(2))
        }
    }
}
