//! Every integration test of this crate, as modules of one test binary: one link instead of
//! one per file (see `crates/glidepath/tests/integration.rs`). Run one file's tests with
//! `cargo test -p glidepath-build --test integration <file>::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod bad_inputs;
mod conformance;
mod gitops_examples;
mod kubectl_cases;
mod properties;
mod rejections;
mod yaml_roundtrip;
