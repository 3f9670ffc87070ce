//! Every integration test of the `glidepath` crate, as modules of one test binary.
//!
//! Each file under `tests/` used to be its own binary, and each linked the whole controller
//! (about 175 MB with line tables): 34 links and ~6 GB of disk for a fresh `scripts/test`. One
//! binary links once. The files stay as they were; the helpers they share are declared here.
//! Run one file's tests with `cargo test -p glidepath --test integration <file>::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod chart_render;
#[path = "../../source/tests/support/mod.rs"]
mod git_http;
mod helm_env;
#[allow(dead_code)] // the OCI crate's own tests use the rest
#[path = "../../oci/tests/support/mod.rs"]
mod oci_registry;
mod support;
mod sync_env;

mod alerts;
mod analysis_e2e;
mod autoscalers;
mod chart;
mod chart_monitoring;
mod cli;
mod controller;
mod dashboards;
mod demo;
mod deps;
mod examples;
mod external_metrics;
mod flux_cli;
mod flux_cli_more;
mod helm_oci;
mod helm_release;
mod image_automation;
mod image_reflector;
mod keptn;
mod knative;
mod leader;
mod loadtester;
mod notifications;
mod oci_source;
mod ops;
mod ownership;
mod probes;
mod restart;
mod revisions;
mod routers;
mod routes_after_release;
mod service_target;
mod sync;
mod sync_artifacts;
mod sync_cel;
mod sync_spec;
mod sync_wait;
mod tracing;
