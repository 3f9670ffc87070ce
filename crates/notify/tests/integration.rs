//! Every integration test of this crate, as modules of one test binary: one link instead of
//! one per file (see `crates/glidepath/tests/integration.rs`). Run one file's tests with
//! `cargo test -p glidepath-notify --test integration <file>::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

mod errors;
mod git;
mod more_providers;
mod tls;
mod webhooks;
