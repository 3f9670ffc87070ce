//! Every integration test of this crate, as modules of one test binary: one link instead of
//! one per file (see `crates/glidepath/tests/integration.rs`). Run one file's tests with
//! `cargo test -p glidepath-api --test integration <file>::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

mod defaults;
mod helm;
mod manifests;
mod schema_compat;
