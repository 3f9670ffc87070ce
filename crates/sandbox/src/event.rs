//! What the store hands out: committed change events and stored objects, each with a JSON
//! cell serialized at most once and shared by every watcher, LIST and write response.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use serde_json::Value;

/// Watch event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One committed change.
#[derive(Debug, Clone)]
pub struct Event {
    pub rv: u64,
    /// Resource id (`deployments.apps`).
    pub res: String,
    pub kind: EventType,
    pub object: Arc<Value>,
    /// The previous state, for MODIFIED (selector transitions) and DELETED.
    pub old: Option<Arc<Value>>,
    /// `object` serialized at most once, shared by every watcher, LIST and write response that
    /// sends it unchanged.
    pub json: JsonCell,
}

/// An object's JSON, produced lazily outside the store lock by whoever needs it first.
pub type JsonCell = Arc<OnceLock<Bytes>>;

/// The serialized form of `obj`, filling `cell` the first time.
pub fn json_of<'a>(cell: &'a JsonCell, obj: &Value) -> &'a Bytes {
    cell.get_or_init(|| Bytes::from(serde_json::to_vec(obj).unwrap_or_default()))
}

/// A stored object with its shared JSON cell.
#[derive(Debug, Clone)]
pub struct Stored {
    pub value: Arc<Value>,
    pub json: JsonCell,
}
