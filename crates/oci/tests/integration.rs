//! The OCI client against the real Docker distribution registry (Debian `docker-registry`,
//! started per test on loopback) and small axum fakes for what it does not do (tag pages, a
//! token server, a slow registry).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod auth;
mod bad_input;
mod options;
mod pagination;
mod reference;
mod registry;
mod support;
mod tls;
