//! The `glidepath` binary's library half: command-line definitions and the commands
//! themselves, kept out of `main.rs` so tests can call them in-process.
//!
//! This crate wires every other Glidepath crate together; nothing depends on it.

pub mod cli;
pub mod controller;
pub mod crds;
pub mod demo;
pub mod loadtester;
pub mod notification;
pub mod ops;
pub mod probes;
pub mod sandbox;
pub mod sync;
