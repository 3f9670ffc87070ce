//! `glidepath-sandbox`: Glidepath's embedded Kubernetes API server.
//!
//! This crate owns an in-memory HTTP server that speaks the Kubernetes REST API faithfully
//! enough for `kubectl` and kube-rs to treat it as a cluster: discovery, the object store (one
//! global resourceVersion, uid, generation, optimistic concurrency), GET/LIST/WATCH/CREATE/
//! UPDATE/PATCH/DELETE with selectors, pagination, bookmarks and 410 Gone, finalizers and
//! ownerReference garbage collection, `status` and `scale` subresources, CustomResourceDefinitions
//! with structural-schema pruning, defaulting and validation, and `metav1.Status` errors.
//!
//! It must not depend on Glidepath's controller crates (canary, router, apply, ...): it is the
//! cluster they are tested against, and only uses Kubernetes types, axum and `glidepath-api`'s
//! field-error vocabulary.
//!
//! Module map: `server` (start/stop, kubeconfig), `handlers` (URL parsing and verbs), `store`
//! (objects, resourceVersion, history, create/update), `list`, `gc` (deletion, finalizers,
//! owner GC, namespaces), `watch`, `patch`, `scale`, `schema` (CRD structural schemas), `crd`,
//! `builtin` (defaults/validation of workloads, pods, services; Secrets' `stringData` folded
//! into `data`), `convert` (events.k8s.io over
//! core Events), `discovery`, `openapi`, `table` (`kubectl get` columns), `selector`, `meta`,
//! `rules` (CEL `x-kubernetes-validations`), `shape` (body vs URL checks), `protobuf`, `http`, `error`, `simulator` (workload status), `runs`
//! (Jobs and bare Pods run to completion, for Helm hooks and tests) and `rollout` (its ReplicaSets per pod-template-hash), `faults` (API fault injection, off by
//! default), `gate` (holds API writes so crash tests can kill a client between two of them),
//! `persist` (`state_dir`: snapshot + append log), `traffic` (synthetic HTTP traffic
//! routed by HTTPRoutes and Services, exported on `GET /metrics`; per-workload
//! `FAULT_RATE`/`LATENCY_MS` env vars or the `sandbox.glidepath.io/fault-rate`/`latency-ms` pod
//! template annotations — see the module).
//!
//! Performance: every stored object carries a JSON cell filled once, outside the store lock, by
//! the first reader (watch fan-out, LIST, or the write's own response); LIST concatenates these
//! cells and watches batch queued events into one chunk. Figures: `examples/sandbox_bench.rs` and the
//! crate README.
//!
//! Known gaps: strategic merge patch of custom resources answers 415 (as kube-apiserver does);
//! protobuf request bodies are decoded only for Namespace, ConfigMap, Secret and ServiceAccount
//! (`protobuf.rs`; kubectl's other typed `create <kind>` generators get 415 — use `kubectl
//! create -f`/`apply`); `format` is not enforced, CEL rules run without a cost budget;
//! LIST does not serve consistent snapshots across `continue` pages; the simulator scales old
//! ReplicaSets down at once and makes no Pods for workloads (bare Pods and Jobs do run).
//!
//! ```no_run
//! # async fn demo() -> Result<(), glidepath_sandbox::SandboxError> {
//! let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await?;
//! println!("{}", sandbox.kubeconfig_yaml());
//! sandbox.shutdown().await
//! # }
//! ```

mod builtin;
mod convert;
mod crd;
mod discovery;
mod error;
mod event;
pub mod faults;
pub mod gate;
mod gc;
mod handlers;
mod http;
mod list;
mod meta;
mod openapi;
mod patch;
mod persist;
mod protobuf;
pub mod requests;
mod resource;
mod rollout;
mod rules;
mod runs;
mod scale;
mod schema;
mod selector;
mod server;
mod shape;
pub mod simulator;
mod store;
mod table;
pub mod traffic;
mod watch;

pub use error::SandboxError;
pub use faults::FaultConfig;
pub use server::{Config, Sandbox, SandboxHandle};
pub use simulator::SimulatorConfig;
pub use table::human_duration;
pub use traffic::TrafficConfig;
