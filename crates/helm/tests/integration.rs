//! Every integration test of this crate, as modules of one test binary: one link instead of
//! one per file (see `crates/glidepath/tests/integration.rs`). Run one file's tests with
//! `cargo test -p glidepath-helm --test integration <file>::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod bad_input;
mod conformance;
mod render_api;
mod repo;
mod schema;
mod storage;
mod strvals;
mod toml;
mod yaml;
