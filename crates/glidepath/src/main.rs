use std::process::ExitCode;

use clap::Parser;
use glidepath::cli::{Cli, Command};
use glidepath::crds;
use glidepath::ops::Operation;

/// mimalloc: the sandbox and the controllers allocate many small, short-lived JSON values on
/// several threads, where glibc malloc cost the sandbox benchmark ~12 % of its CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// A Flux-style command: progress on stderr, and Flux's `✗ <error>` line on failure.
fn flux(command: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<ExitCode> {
    flux_exit(async { command.await.map(|()| ExitCode::SUCCESS) }, 1)
}

/// [`flux`] for a command that picks its own exit code; an error exits with `error_code`.
fn flux_exit(
    command: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
    error_code: u8,
) -> anyhow::Result<ExitCode> {
    match tokio::runtime::Runtime::new()?.block_on(command) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("✗ {}", glidepath::error_chain(e.as_ref()));
            Ok(ExitCode::from(error_code))
        }
    }
}

fn operate(op: Operation, args: &glidepath::cli::CanaryArgs) -> anyhow::Result<ExitCode> {
    let message = tokio::runtime::Runtime::new()?.block_on(glidepath::ops::operate(op, args))?;
    println!("{message}");
    Ok(ExitCode::SUCCESS)
}

/// The demo draws on the terminal and shows the controller's events itself: only errors are
/// logged (to stderr) unless RUST_LOG says otherwise.
fn init_logging_quiet() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "error".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Version => {
            println!("{}", glidepath::cli::version_text());
            Ok(ExitCode::SUCCESS)
        }
        Command::Crds(args) => crds::run(&args),
        Command::Controller(args) => {
            init_logging(&args.log_format);
            glidepath::sync::resource_info::enable(args.resource_info_metrics);
            let mut canary = false;
            let mut sync = glidepath::sync::Settings {
                namespace: args.namespace.clone(),
                git: false,
                kustomize: false,
                no_cross_namespace_refs: args.no_cross_namespace_refs,
                storage_path: args.storage_path.clone(),
                storage_addr: args.storage_addr,
                storage_adv_addr: args.storage_adv_addr.clone(),
                concurrency: args.sync_workers,
                notification_addr: args.notification_addr,
                receiver_addr: args.receiver_addr,
                rate_limit_interval: args.rate_limit_interval,
                watch_label_selector: args.watch_label_selector.clone(),
                ..Default::default()
            };
            for c in &args.controllers {
                match c.as_str() {
                    "canary" => canary = true,
                    "git" => sync.git = true,
                    "kustomize" => sync.kustomize = true,
                    "notification" => sync.notification = true,
                    "helm" => sync.helm = true,
                    "image-reflector" => sync.image_reflector = true,
                    "image-automation" => sync.image_automation = true,
                    other => anyhow::bail!(
                        "--controllers: unknown controller {other:?} (canary, git, kustomize, notification, helm, image-reflector, image-automation)"
                    ),
                }
            }
            // Flux-format events of every controller: to an external notification-controller,
            // or through one in-process queue to this process's dispatcher.
            let events = match &args.events_addr {
                Some(url) => glidepath::notification::event::EventSink::remote(url)
                    .map_err(|e| anyhow::anyhow!("--events-addr {url}: {e}"))?,
                None if sync.notification => {
                    let (sink, inbox) = glidepath::notification::event::queue();
                    sync.inbox = inbox;
                    sink
                }
                None => glidepath::notification::event::EventSink::None,
            };
            sync.events = events.clone();
            let lease = args.leader_elect.then(|| {
                let ns = args.leader_election_namespace.clone().or_else(|| args.namespace.clone());
                let identity = format!(
                    "{}_{}",
                    std::env::var("HOSTNAME").unwrap_or_else(|_| "glidepath".into()),
                    std::process::id()
                );
                glidepath::controller::leader::LeaseConfig {
                    lease_duration: args.leader_election_lease_duration,
                    renew_deadline: args.leader_election_renew_deadline,
                    retry: args.leader_election_retry_period,
                    ..glidepath::controller::leader::LeaseConfig::new(ns.as_deref().unwrap_or("kube-system"), &identity)
                }
            });
            let settings = glidepath::controller::Settings {
                namespace: args.namespace,
                mesh_provider: args.mesh_provider,
                metrics_server: args.metrics_server,
                selector_labels: args.selector_labels,
                include_label_prefixes: args.include_label_prefix,
                cluster_name: args.cluster_name,
                no_cross_namespace_refs: args.no_cross_namespace_refs,
                workers: args.workers,
                speed: args.speed.max(1),
                router: glidepath_router::RouterConfig {
                    ingress_annotations_prefix: args.ingress_annotations_prefix,
                    ingress_class: args.ingress_class,
                },
                watch_label_selector: args.watch_label_selector,
                events,
                ..Default::default()
            };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                // Probes and metrics in every mode, bound first: a taken port is a start-up error.
                let listener = glidepath::controller::http::bind(args.listen).await?;
                let metrics = std::sync::Arc::new(glidepath::controller::Metrics::new());
                let readiness = std::sync::Arc::clone(&sync.readiness);
                // Every enabled controller is "starting" until it says otherwise: /readyz never
                // answers 200 before they have been heard from.
                let parts = [
                    ("canary", canary),
                    ("git", sync.git),
                    ("kustomize", sync.kustomize),
                    ("notification", sync.notification),
                    ("helm", sync.helm),
                    ("helm-source", sync.helm),
                ];
                for (part, _) in parts.iter().filter(|(_, on)| *on) {
                    readiness.set(part, glidepath::probes::Phase::Starting);
                }
                let server =
                    tokio::spawn(glidepath::controller::http::serve(listener, metrics.clone(), readiness.clone()));
                let client = glidepath::controller::client(args.kubeconfig.as_deref()).await?;
                let sync_task = (sync.git || sync.kustomize || sync.notification || sync.helm)
                    .then(|| tokio::spawn(glidepath::sync::run(client.clone(), sync, lease.clone())));
                let sync_done = async {
                    match sync_task {
                        Some(t) => t.await.map_err(anyhow::Error::from).and_then(|r| r),
                        None => std::future::pending().await,
                    }
                };
                let result = if canary {
                    tokio::select! {
                        r = glidepath::controller::run(client, settings, metrics, readiness, lease) => r,
                        r = sync_done => r,
                    }
                } else {
                    tokio::select! {
                        _ = glidepath::controller::shutdown_signal() => Ok(()),
                        r = sync_done => r,
                    }
                };
                server.abort();
                result
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sandbox(args) => {
            init_logging("text");
            tokio::runtime::Runtime::new()?.block_on(glidepath::sandbox::run(args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Build(args) => {
            let options = glidepath_build::BuildOptions { load_restrictions_none: args.load_restrictions_none };
            let objects = glidepath_build::build_dir_with(&args.dir, options)?;
            print!("{}", glidepath_build::to_yaml_stream(&objects)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Template(args) => {
            let cmd = glidepath_helm::command::TemplateCommand {
                args: args.args,
                values_files: args.values,
                set: args.set,
                set_string: args.set_string,
                set_json: args.set_json,
                set_file: args.set_file,
                set_literal: args.set_literal,
                namespace: args.namespace,
                kube_version: args.kube_version,
                api_versions: args.api_versions,
                include_crds: args.include_crds,
                skip_crds: args.skip_crds,
                skip_tests: args.skip_tests,
                no_hooks: args.no_hooks,
                show_only: args.show_only,
                name_template: args.name_template,
                skip_schema_validation: args.skip_schema_validation,
                render_subchart_notes: args.render_subchart_notes,
                is_upgrade: args.is_upgrade,
                debug: args.debug,
            };
            match glidepath_helm::command::run_template(&cmd) {
                Ok(out) => {
                    print!("{out}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    if let glidepath_helm::HelmError::WithOutput { output, .. } = &e {
                        print!("{output}");
                    }
                    eprintln!("Error: {}", glidepath::error_chain(&e));
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Loadtester(args) => {
            init_logging("text");
            let config =
                glidepath::loadtester::Config { timeout: args.timeout, namespace_regexp: args.namespace_regexp };
            tokio::runtime::Runtime::new()?.block_on(glidepath::loadtester::serve(args.listen, config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Get(args) if matches!(args.resource.as_str(), "canaries" | "canary" | "cd") => {
            if args.status_selector.is_some() || args.no_header {
                anyhow::bail!("--status-selector and --no-header apply to Flux objects, not canaries");
            }
            tokio::runtime::Runtime::new()?.block_on(glidepath::ops::get(&args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Get(args) => flux(glidepath::flux_ops::get(&args)),
        Command::Suspend(args) => flux(glidepath::flux_ops::suspend(&args)),
        Command::Reconcile(args) => flux(glidepath::flux_ops::reconcile(&args)),
        Command::Tree(args) => flux(glidepath::flux_tree::tree(&args)),
        Command::Events(args) => flux(glidepath::flux_events::events(&args)),
        // Flux's exit codes: 0 when nothing would change, 1 when something would, 2 on error.
        Command::Diff(args) => {
            flux_exit(async { glidepath::flux_diff::diff(&args).await.map(|c| ExitCode::from(u8::from(c))) }, 2)
        }
        Command::Trace(args) => flux(glidepath::flux_trace::trace(&args)),
        Command::Completion(args) => {
            print!("{}", glidepath::completions::script(&args.shell)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Resume(args) if args.target.len() > 1 => flux(glidepath::flux_ops::resume(&args)),
        Command::Resume(args) => {
            let canary = glidepath::cli::CanaryArgs {
                name: args.target[0].clone(),
                namespace: args.namespace,
                kubeconfig: args.kubeconfig,
            };
            operate(Operation::Resume, &canary)
        }
        Command::Promote(args) => operate(Operation::Promote, &args),
        Command::Abort(args) => operate(Operation::Abort, &args),
        Command::Pause(args) => operate(Operation::Pause, &args),
        Command::Demo(args) => {
            init_logging_quiet();
            tokio::runtime::Runtime::new()?.block_on(glidepath::demo::run(args))
        }
    }
}
