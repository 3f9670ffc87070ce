//! The `glidepath` binary's library half: command-line definitions and the commands
//! themselves, kept out of `main.rs` so tests can call them in-process.
//!
//! This crate wires every other Glidepath crate together; nothing depends on it.

pub mod cli;
pub mod completions;
pub mod controller;
pub mod crds;
pub mod demo;
pub mod flux_diff;
pub mod flux_events;
pub mod flux_images;
pub mod flux_ops;
pub mod flux_trace;
pub mod flux_tree;
pub mod helmctl;
pub mod imagectl;
pub mod loadtester;
pub mod notification;
pub mod ocisource;
pub mod ops;
pub mod probes;
pub mod sandbox;
pub mod sync;

/// An error and its sources on one line, `: `-joined (as Go's wrapped errors print).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
