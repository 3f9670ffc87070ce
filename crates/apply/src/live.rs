//! The live `resourceVersion` of every object carrying owner labels, kept by one metadata-only
//! watch per resource type (started on first use).
//!
//! Why: an object whose resourceVersion is still the one seen when it last matched its desired
//! state has not changed since, so a resync of an unchanged manifest needs no dry-run at all —
//! Flux sends one dry-run per object per interval, the largest API-server load of a GitOps
//! controller. Any write to the object (an edit, a status update, a deletion) moves its
//! resourceVersion and brings the dry-run back.
//!
//! The cache only answers "unchanged" when it is sure: versions are dropped when the watch
//! fails or re-lists, and an object the watch has not reported yet is simply unknown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::PartialObjectMeta;
use kube::runtime::watcher::{self, Event};
use kube::runtime::{WatchStreamExt, watcher as watch};

use crate::object::{OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL};

/// `(namespace, name)` → resourceVersion, per resource type.
type Versions = Arc<Mutex<HashMap<(String, String), String>>>;

struct Watched {
    versions: Versions,
    task: tokio::task::AbortHandle,
}

/// The watches of one [`crate::Applier`]; they stop when it is dropped.
#[derive(Default)]
pub(crate) struct LiveVersions {
    watched: Mutex<HashMap<String, Watched>>,
}

impl Drop for LiveVersions {
    fn drop(&mut self) {
        if let Ok(watched) = self.watched.lock() {
            watched.values().for_each(|w| w.task.abort());
        }
    }
}

fn key(r: &ApiResource) -> String {
    format!("{}/{}", r.api_version, r.plural)
}

impl LiveVersions {
    /// The object's resourceVersion as last reported by the watch of its type (started here on
    /// first use, so the first answers for a type are `None`).
    pub(crate) fn version(&self, client: &Client, resource: &ApiResource, ns: &str, name: &str) -> Option<String> {
        let mut watched = self.watched.lock().ok()?;
        let w = watched.entry(key(resource)).or_insert_with(|| start(client.clone(), resource.clone()));
        let versions = w.versions.lock().ok()?;
        versions.get(&(ns.to_owned(), name.to_owned())).cloned()
    }
}

fn start(client: Client, resource: ApiResource) -> Watched {
    let versions: Versions = Arc::default();
    let api: Api<PartialObjectMeta<DynamicObject>> = Api::all_with(client, &resource);
    let config = watcher::Config::default().labels(&format!("{OWNER_NAME_LABEL},{OWNER_NAMESPACE_LABEL}"));
    let sink = Arc::clone(&versions);
    let task = tokio::spawn(async move {
        let mut events = watch(api, config).default_backoff().boxed();
        while let Some(event) = events.next().await {
            let Ok(mut map) = sink.lock() else { return };
            match event {
                Ok(Event::Apply(o) | Event::InitApply(o)) => {
                    let m = o.metadata;
                    if let (Some(name), Some(rv)) = (m.name, m.resource_version) {
                        map.insert((m.namespace.unwrap_or_default(), name), rv);
                    }
                }
                Ok(Event::Delete(o)) => {
                    let m = o.metadata;
                    map.remove(&(m.namespace.unwrap_or_default(), m.name.unwrap_or_default()));
                }
                // A re-list or a failed watch: what was known may be stale until listed again.
                Ok(Event::Init) | Err(_) => map.clear(),
                Ok(Event::InitDone) => {}
            }
        }
    });
    tracing::debug!(resource = %resource.plural, "watching live versions");
    Watched { versions, task: task.abort_handle() }
}
