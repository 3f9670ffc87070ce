//! Go's `map[string]interface{}`: a reference type. Templates mutate maps in place (Sprig's
//! `set`, `unset`, `merge`), and every holder of the map sees the change — Helm charts rely on
//! it (`$_ := set $labels "k" "v"`, `set .Values.x ...` seen by later templates).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::Value;

/// A shared, mutable map with string keys in sorted order. Cloning shares the map, as copying a
/// Go map value does; [`Dict::deep_copy`] makes an independent one.
#[derive(Clone, Default)]
pub struct Dict(Arc<RwLock<BTreeMap<String, Value>>>);

impl Dict {
    /// A new map holding `entries`.
    pub fn new(entries: BTreeMap<String, Value>) -> Dict {
        Dict(Arc::new(RwLock::new(entries)))
    }

    // A panic while holding the lock cannot leave a map half-written (each write is one
    // BTreeMap call), so a poisoned lock is still safe to use.
    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Value>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Value>> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value at `key` (a cheap clone: containers are shared).
    pub fn get(&self, key: &str) -> Option<Value> {
        self.read().get(key).cloned()
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.read().contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Sets `key`, returning the previous value.
    pub fn insert(&self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.write().insert(key.into(), value)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.write().remove(key)
    }

    /// Replaces all entries.
    pub fn replace(&self, entries: BTreeMap<String, Value>) {
        *self.write() = entries;
    }

    /// The entries as they are now, in key order. Callers iterate the copy, so no lock is held
    /// while they look into nested values (which may be this same map).
    pub fn snapshot(&self) -> BTreeMap<String, Value> {
        self.read().clone()
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// The entries as a list of pairs, in key order.
    pub fn entries(&self) -> Vec<(String, Value)> {
        self.read().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Whether both handles share one map.
    pub fn ptr_eq(&self, other: &Dict) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// An independent copy of this map and every map and list below it (Sprig's `deepCopy`).
    /// A map that contains itself is copied `depth` levels deep, then shared.
    pub fn deep_copy(&self) -> Dict {
        self.deep_copy_bounded(MAX_COPY_DEPTH)
    }

    fn deep_copy_bounded(&self, depth: usize) -> Dict {
        if depth == 0 {
            return self.clone();
        }
        Dict::new(self.snapshot().into_iter().map(|(k, v)| (k, deep_copy_value(&v, depth - 1))).collect())
    }
}

const MAX_COPY_DEPTH: usize = 10_000;

/// [`Dict::deep_copy`] for any value.
pub fn deep_copy_value(v: &Value, depth: usize) -> Value {
    match v {
        Value::Map(m) => Value::Map(m.deep_copy_bounded(depth)),
        Value::List(l) if depth > 0 => Value::list(l.iter().map(|x| deep_copy_value(x, depth - 1)).collect()),
        other => other.clone(),
    }
}

impl PartialEq for Dict {
    fn eq(&self, other: &Self) -> bool {
        self.ptr_eq(other) || self.snapshot() == other.snapshot()
    }
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Entries without recursion into nested maps' locks beyond what Debug of Value does.
        f.debug_map().entries(self.entries()).finish()
    }
}

impl From<BTreeMap<String, Value>> for Dict {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Dict::new(m)
    }
}
