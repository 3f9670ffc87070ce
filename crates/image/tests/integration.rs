//! The crate's integration tests, one binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod message;
mod policy;
mod reference;
mod setters;
mod tags;
