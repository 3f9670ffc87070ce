//! Glidepath's apply engine: Flux's `fluxcd/pkg/ssa` algorithm on a kube client.
//!
//! This crate owns
//! - staged ordering ([`order`]): CRDs/Namespaces/ClusterRoles (then wait for CRDs `Established`),
//!   `*Class` kinds (then wait), the rest, each stage sorted in Flux's kind order;
//! - server-side dry-run drift detection ([`diff`]): objects whose dry-run result equals the live
//!   object are **not written**; an object whose manifest and live resourceVersion (from a
//!   metadata-only watch per resource type, `live`) are those of its last match is not even
//!   dry-run; immutable-field errors delete and recreate the object when forced (spec or the
//!   `kustomize.toolkit.fluxcd.io/force: enabled` annotation);
//! - identity and inventory in Flux's id format, owner labels, per-object policies
//!   (`kustomize.toolkit.fluxcd.io/ssa`, `prune`, `reconcile`) ([`object`]);
//! - owner-gated prune in reverse order and kstatus health waits ([`Applier`]);
//! - the write path of controllers that own what they apply ([`owned`]): server-side apply
//!   made when the live object lacks a desired field or keeps one this manager stopped wanting
//!   (its `managedFields`), so omitted fields are removed as kube-apiserver removes them;
//! - the kstatus rules as a pure function ([`health::health`]), and Flux's `healthCheckExprs`
//!   (CEL) for custom resources ([`custom_health`]).
//!
//! It talks to the API server with server-side apply (field manager [`FIELD_MANAGER`]); it does
//! not implement SSA itself (it reads `managedFields` with `glidepath-ssa`'s field sets). It depends
//! on `glidepath-api`, `glidepath-cel`, `glidepath-ssa` and kube only: it
//! knows nothing about Git, kustomize builds or the Kustomization controller (the `glidepath`
//! binary wires those).

pub mod custom_health;
mod diff;
mod engine;
mod error;
pub mod health;
mod live;
pub mod object;
pub mod order;
pub mod owned;
mod resolve;
mod wait;

pub use custom_health::HealthExpr;
pub use diff::{drifted, is_immutable};
pub use engine::{Action, Applier, ApplyOptions, Change, ChangeSet, FIELD_MANAGER, PruneOutcome};
pub use error::ApplyError;
pub use health::{Health, Status, health};
pub use object::{Entry, ObjMeta, Owner, Policy};
