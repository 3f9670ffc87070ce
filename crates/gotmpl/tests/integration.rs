//! Every integration test of this crate, as modules of one test binary: one link instead of
//! one per file (see `crates/glidepath/tests/integration.rs`). Run one file's tests with
//! `cargo test -p glidepath-gotmpl --test integration <file>::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

mod exec_cases;
mod exec_more;
mod fmt_cases;
mod fmt_float_cases;
mod no_panic;
mod opaque;
mod parse_cases;
