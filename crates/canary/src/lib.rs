//! The canary release state machine, as pure functions: phases, weights, verdict folding,
//! promotion and rollback decisions. `plan(canary, observed, verdicts, now)` returns the next
//! status and the actions to get there; the controller observes, calls it, executes the actions
//! and writes the status.
//!
//! This crate depends on `glidepath-api` only: no Kubernetes client, no async runtime, no clock
//! (time comes in as `now`), no I/O.

mod model;
mod plan;
mod progress;
mod tick;
pub mod weights;
pub mod workload;

pub use model::{Action, Check, Decision, Manual, Observed, Plan, Readiness, Routes, StatusChange, Verdict, Verdicts};
pub use plan::plan;
