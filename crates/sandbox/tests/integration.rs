//! Every integration test of this crate, as modules of one test binary: one link instead of
//! one per file (see `crates/glidepath/tests/integration.rs`). Run one file's tests with
//! `cargo test -p glidepath-sandbox --test integration <file>::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

mod apply;
mod builtins;
mod concurrency;
mod crds;
mod faults;
mod kubectl;
mod kubectl_apply_removal;
mod objects;
mod persist;
mod rules;
mod simulator;
mod traffic;
mod watch;
