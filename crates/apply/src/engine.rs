//! The apply engine: staged server-side apply with dry-run drift detection, immutable-field
//! recreation and owner-gated prune in reverse order (waits are in `wait`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PropagationPolicy};
use serde_json::Value;

use crate::diff::{content_hash, drifted, fingerprint, is_immutable};
use crate::error::ApplyError;
use crate::live::LiveVersions;
use crate::object::{Entry, ObjMeta, Owner, Policy, force_enabled, prune_disabled, version_of};
use crate::order::{self, Stage};
use crate::resolve::{Resolved, Resolver};

/// Flux's field manager. Glidepath's sync engine applies under the same name, so a cluster moved
/// from kustomize-controller keeps field ownership (fields dropped from Git are removed, nothing
/// is left owned by a manager that no longer runs) and `flux diff`-style tooling sees one owner.
pub const FIELD_MANAGER: &str = "kustomize-controller";

/// What happened to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Created,
    Configured,
    Unchanged,
    Skipped,
    Deleted,
}

impl Action {
    /// Flux's change-log verb.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Skipped => "skipped",
            Action::Deleted => "deleted",
        }
    }
}

/// One object's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub entry: Entry,
    pub action: Action,
}

/// Outcomes of an apply or prune, in apply order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub changes: Vec<Change>,
}

impl ChangeSet {
    /// Whether anything was written (created, configured or deleted).
    pub fn changed(&self) -> bool {
        self.changes.iter().any(|c| matches!(c.action, Action::Created | Action::Configured | Action::Deleted))
    }

    /// Inventory entries: every applied or skipped object (a skipped `IfNotPresent` object stays owned).
    pub fn entries(&self) -> Vec<Entry> {
        self.changes.iter().filter(|c| c.action != Action::Deleted).map(|c| c.entry.clone()).collect()
    }

    /// Flux's change log: one `Kind/ns/name action` line per written object.
    pub fn summary(&self) -> String {
        let lines: Vec<String> = self
            .changes
            .iter()
            .filter(|c| matches!(c.action, Action::Created | Action::Configured | Action::Deleted))
            .map(|c| format!("{} {}", c.entry.meta, c.action.as_str()))
            .collect();
        lines.join("\n")
    }

    pub fn extend(&mut self, other: ChangeSet) {
        self.changes.extend(other.changes);
    }
}

/// Per-apply options.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Recreate objects whose immutable fields changed (`spec.force`).
    pub force: bool,
    /// Bound on waiting for CRDs/classes between stages and for deletions before recreating.
    pub wait_timeout: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { force: false, wait_timeout: Duration::from_secs(60) }
    }
}

/// Result of a prune: what was deleted, and what could not be (to keep in the inventory).
#[derive(Debug, Default)]
pub struct PruneOutcome {
    pub deleted: ChangeSet,
    pub failed: Vec<(Entry, ApplyError)>,
}

/// The engine; cheap to clone, one per controller.
#[derive(Clone)]
pub struct Applier {
    pub(crate) client: Client,
    manager: String,
    pub(crate) resolver: Arc<Resolver>,
    /// What our last visit of each object found (see [`Seen`]).
    known: Arc<std::sync::Mutex<std::collections::HashMap<ObjMeta, Seen>>>,
    /// Live resourceVersions from metadata-only watches.
    live: Arc<LiveVersions>,
    /// What [`Applier::apply_owned`] last applied per object: the desired object's hash and the
    /// resourceVersion the apply returned.
    pub(crate) applied: Arc<std::sync::Mutex<std::collections::HashMap<ObjMeta, (u64, String)>>>,
    /// Parallel GET + dry-run requests per apply (Flux's `--concurrent-ssa`).
    pub concurrency: usize,
    /// How often waits re-read objects.
    pub poll_interval: Duration,
}

impl std::fmt::Debug for Applier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applier").field("manager", &self.manager).field("concurrency", &self.concurrency).finish()
    }
}

/// An object as our last visit left it: matching the manifest hashed as `desired`.
#[derive(Clone, Debug)]
struct Seen {
    /// Its resourceVersion then. The live object still at this version has not changed since.
    rv: String,
    /// Its drift [`fingerprint`] then. A dry-run answering with the same resourceVersion and
    /// fingerprint proves it unchanged and in sync without a GET.
    fingerprint: u64,
    /// [`content_hash`] of the manifest it matched.
    desired: u64,
}

struct Prepared {
    desired: u64,
    meta: ObjMeta,
    version: String,
    api: Api<DynamicObject>,
    obj: Value,
    action: Action,
}

impl Applier {
    pub fn new(client: Client) -> Self {
        Applier {
            client,
            manager: FIELD_MANAGER.to_owned(),
            resolver: Arc::new(Resolver::default()),
            known: Arc::default(),
            live: Arc::default(),
            applied: Arc::default(),
            concurrency: 4,
            poll_interval: Duration::from_secs(2),
        }
    }

    /// Use another field manager than [`FIELD_MANAGER`].
    pub fn with_manager(mut self, manager: &str) -> Self {
        self.manager = manager.to_owned();
        self
    }

    /// The field manager of every write.
    pub fn manager(&self) -> &str {
        &self.manager
    }

    pub(crate) async fn api_for(
        &self,
        api_version: &str,
        meta: &ObjMeta,
    ) -> Result<(Api<DynamicObject>, Resolved), ApplyError> {
        let resolved = self.resolver.resolve(&self.client, api_version, &meta.kind).await?.ok_or_else(|| {
            ApplyError::UnknownKind {
                object: meta.to_string(),
                api_version: api_version.to_owned(),
                kind: meta.kind.clone(),
            }
        })?;
        let api = if resolved.namespaced {
            Api::namespaced_with(self.client.clone(), &meta.namespace, &resolved.resource)
        } else {
            Api::all_with(self.client.clone(), &resolved.resource)
        };
        Ok((api, resolved))
    }

    /// Check identities, kinds and scopes of every object before anything is written, so a bad
    /// object fails the whole set; cluster-scoped objects lose a stray namespace.
    async fn preflight(&self, objects: Vec<Value>) -> Result<Vec<(ObjMeta, Value)>, ApplyError> {
        let defined: HashSet<(String, String)> = objects
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition"))
            .filter_map(|o| {
                let group = o.pointer("/spec/group")?.as_str()?;
                let kind = o.pointer("/spec/names/kind")?.as_str()?;
                Some((group.to_owned(), kind.to_owned()))
            })
            .collect();
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(objects.len());
        for mut obj in objects {
            let mut meta = ObjMeta::of(&obj)?;
            let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_owned();
            match self.resolver.resolve(&self.client, &api_version, &meta.kind).await? {
                Some(r) if r.namespaced && meta.namespace.is_empty() => {
                    return Err(ApplyError::InvalidObject {
                        object: meta.to_string(),
                        reason: "namespace not specified".into(),
                    });
                }
                Some(r) if !r.namespaced && !meta.namespace.is_empty() => {
                    meta.namespace.clear();
                    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                        m.remove("namespace");
                    }
                }
                Some(_) => {}
                None if defined.contains(&(meta.group.clone(), meta.kind.clone())) => {}
                None => {
                    return Err(ApplyError::UnknownKind { object: meta.to_string(), api_version, kind: meta.kind });
                }
            }
            if !seen.insert(meta.clone()) {
                return Err(ApplyError::InvalidObject { object: meta.to_string(), reason: "duplicate object".into() });
            }
            out.push((meta, obj));
        }
        Ok(out)
    }

    /// Flux's `ApplyAllStaged`: definitions (then wait for them), classes (then wait), the rest.
    pub async fn apply_all_staged(&self, objects: Vec<Value>, opts: &ApplyOptions) -> Result<ChangeSet, ApplyError> {
        let checked = self.preflight(objects).await?;
        let mut changes = ChangeSet::default();
        for (stage, objs) in order::staged(checked) {
            let set = self.apply_all(objs, opts).await?;
            if stage != Stage::Rest {
                let targets: Vec<Entry> = set.changes.iter().map(|c| c.entry.clone()).collect();
                self.wait(&targets, opts.wait_timeout, true, &[]).await?;
            }
            changes.extend(set);
        }
        Ok(changes)
    }

    /// Flux's `ApplyAll` on objects in apply order: GET + dry-run for all (in parallel), then the
    /// real applies, in order, for the objects that are new or drifted. Nothing is written when any
    /// dry-run fails.
    pub async fn apply_all(
        &self,
        objects: Vec<(ObjMeta, Value)>,
        opts: &ApplyOptions,
    ) -> Result<ChangeSet, ApplyError> {
        let prepared: Vec<Result<Prepared, ApplyError>> = futures::stream::iter(objects)
            .map(|(meta, obj)| self.prepare(meta, obj, opts))
            .buffered(self.concurrency.max(1))
            .collect()
            .await;
        let prepared: Vec<Prepared> = prepared.into_iter().collect::<Result<_, _>>()?;
        let mut set = ChangeSet::default();
        for p in prepared {
            if matches!(p.action, Action::Created | Action::Configured) {
                let params = PatchParams::apply(&self.manager).force();
                let applied = p
                    .api
                    .patch(&p.meta.name, &params, &Patch::Apply(&p.obj))
                    .await
                    .map_err(|source| ApplyError::ApplyObject { object: p.meta.to_string(), source })?;
                self.remember(&p.meta, &serde_json::to_value(&applied).unwrap_or(Value::Null), p.desired);
                tracing::debug!(object = %p.meta, action = p.action.as_str(), "applied");
            }
            set.changes.push(Change { entry: Entry { meta: p.meta, version: p.version }, action: p.action });
        }
        Ok(set)
    }

    async fn prepare(&self, meta: ObjMeta, obj: Value, opts: &ApplyOptions) -> Result<Prepared, ApplyError> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_owned();
        let version = version_of(&api_version).to_owned();
        let (api, resolved) = self.api_for(&api_version, &meta).await?;
        let policy = Policy::of(&obj);
        let desired = content_hash(&obj);
        let prepared = |meta, api, obj, action| Prepared { desired, meta, version: version.clone(), api, obj, action };
        let dry_params = PatchParams::apply(&self.manager).force().dry_run();
        if policy == Policy::Override || policy == Policy::Merge {
            let known = self.known.lock().ok().and_then(|k| k.get(&meta).cloned());
            if let Some(seen) = &known
                && seen.desired == desired
                && self.live.version(&self.client, &resolved.resource, &meta.namespace, &meta.name).as_deref()
                    == Some(seen.rv.as_str())
            {
                // Same manifest, and the live object has not changed since it matched it.
                return Ok(prepared(meta, api, obj, Action::Unchanged));
            }
            if let Some(seen) = known
                && let Ok(dry) = api.patch(&meta.name, &dry_params, &Patch::Apply(&obj)).await
            {
                let dry = serde_json::to_value(&dry).unwrap_or(Value::Null);
                if resource_version(&dry) == Some(seen.rv.as_str()) {
                    if fingerprint(&dry) != seen.fingerprint {
                        return Ok(prepared(meta, api, obj, Action::Configured));
                    }
                    self.note(&meta, Seen { desired, ..seen });
                    return Ok(prepared(meta, api, obj, Action::Unchanged));
                }
            }
        }
        let live = self.get(&api, &meta).await?;
        if policy == Policy::Ignore || live.as_ref().is_some_and(|l| Policy::of(l) == Policy::Ignore) {
            return Ok(prepared(meta, api, obj, Action::Skipped));
        }
        if policy == Policy::IfNotPresent && live.is_some() {
            return Ok(prepared(meta, api, obj, Action::Skipped));
        }
        let mut live = live;
        let dry = match api.patch(&meta.name, &dry_params, &Patch::Apply(&obj)).await {
            Ok(d) => d,
            Err(kube::Error::Api(status))
                if is_immutable(&status.message)
                    && live.as_ref().is_some_and(|l| opts.force || force_enabled(&obj) || force_enabled(l)) =>
            {
                tracing::info!(object = %meta, "immutable field changed, recreating");
                self.forget(&meta);
                self.delete_and_wait(&api, &meta, opts.wait_timeout).await?;
                live = None;
                api.patch(&meta.name, &dry_params, &Patch::Apply(&obj)).await.map_err(|e| dry_run_error(&meta, e))?
            }
            Err(e) => return Err(dry_run_error(&meta, e)),
        };
        let action = match &live {
            None => Action::Created,
            Some(l) => {
                let dry = serde_json::to_value(&dry).unwrap_or(Value::Null);
                if drifted(&dry, l) {
                    Action::Configured
                } else {
                    self.remember(&meta, l, desired);
                    Action::Unchanged
                }
            }
        };
        Ok(prepared(meta, api, obj, action))
    }

    /// Record that `live` matches the manifest hashed as `desired`.
    fn remember(&self, meta: &ObjMeta, live: &Value, desired: u64) {
        if let Some(rv) = resource_version(live) {
            self.note(meta, Seen { rv: rv.to_owned(), fingerprint: fingerprint(live), desired });
        }
    }

    fn note(&self, meta: &ObjMeta, seen: Seen) {
        if let Ok(mut known) = self.known.lock() {
            known.insert(meta.clone(), seen);
        }
    }

    fn forget(&self, meta: &ObjMeta) {
        if let Ok(mut known) = self.known.lock() {
            known.remove(meta);
        }
    }

    /// The live object `obj` names (`None` when absent, or its kind is not served).
    pub async fn live(&self, obj: &Value) -> Result<Option<Value>, ApplyError> {
        let meta = ObjMeta::of(obj)?;
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let Some(resolved) = self.resolver.resolve(&self.client, api_version, &meta.kind).await? else {
            return Ok(None);
        };
        let api: Api<DynamicObject> = if resolved.namespaced {
            Api::namespaced_with(self.client.clone(), &meta.namespace, &resolved.resource)
        } else {
            Api::all_with(self.client.clone(), &resolved.resource)
        };
        self.get(&api, &meta).await
    }

    pub(crate) async fn get(&self, api: &Api<DynamicObject>, meta: &ObjMeta) -> Result<Option<Value>, ApplyError> {
        let live = api
            .get_opt(&meta.name)
            .await
            .map_err(|source| ApplyError::GetObject { object: meta.to_string(), source })?;
        Ok(live.and_then(|l| serde_json::to_value(l).ok()))
    }

    async fn delete_and_wait(
        &self,
        api: &Api<DynamicObject>,
        meta: &ObjMeta,
        timeout: Duration,
    ) -> Result<(), ApplyError> {
        let params =
            DeleteParams { propagation_policy: Some(PropagationPolicy::Background), ..DeleteParams::default() };
        if let Err(source) = api.delete(&meta.name, &params).await
            && !matches!(&source, kube::Error::Api(s) if s.code == 404)
        {
            return Err(ApplyError::DeleteObject { object: meta.to_string(), source });
        }
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(self.poll_interval.min(Duration::from_millis(200))).await;
            if self.get(api, meta).await?.is_none() {
                return Ok(());
            }
        }
        Err(ApplyError::RecreateTimeout { object: meta.to_string(), timeout })
    }

    /// Garbage-collect stale inventory entries in reverse apply order. Only objects carrying
    /// `owner`'s labels are deleted; `prune: disabled`, `reconcile: disabled` and `ssa: Ignore`
    /// objects are kept. Objects already gone count as deleted.
    pub async fn prune(&self, stale: &[Entry], owner: &Owner) -> PruneOutcome {
        self.prune_if(stale, &|live: &Value| owner.owns(live)).await
    }

    /// [`Applier::prune`] with another ownership rule: only live objects `owns` accepts are
    /// deleted (a Helm release deletes what its manifest made, by Helm's ownership metadata).
    pub async fn prune_if(&self, stale: &[Entry], owns: &(dyn Fn(&Value) -> bool + Sync)) -> PruneOutcome {
        let mut entries = stale.to_vec();
        entries.sort_by(|a, b| order::compare(&b.meta, &a.meta));
        let mut out = PruneOutcome::default();
        for entry in entries {
            match self.prune_one(&entry, owns).await {
                Ok(true) => out.deleted.changes.push(Change { entry, action: Action::Deleted }),
                Ok(false) => {}
                Err(e) => out.failed.push((entry, e)),
            }
        }
        out
    }

    async fn prune_one(&self, entry: &Entry, owns: &(dyn Fn(&Value) -> bool + Sync)) -> Result<bool, ApplyError> {
        let api_version = entry.api_version();
        let Some(resolved) = self.resolver.resolve(&self.client, &api_version, &entry.meta.kind).await? else {
            return Ok(false); // The kind is gone (CRD deleted): so are its objects.
        };
        let api: Api<DynamicObject> = if resolved.namespaced {
            Api::namespaced_with(self.client.clone(), &entry.meta.namespace, &resolved.resource)
        } else {
            Api::all_with(self.client.clone(), &resolved.resource)
        };
        let Some(live) = self.get(&api, &entry.meta).await? else { return Ok(false) };
        if !owns(&live) || prune_disabled(&live) {
            tracing::info!(object = %entry.meta, "not pruned: not owned or prune disabled");
            return Ok(false);
        }
        let params =
            DeleteParams { propagation_policy: Some(PropagationPolicy::Background), ..DeleteParams::default() };
        self.forget(&entry.meta);
        match api.delete(&entry.meta.name, &params).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
            Err(source) => Err(ApplyError::DeleteObject { object: entry.meta.to_string(), source }),
        }
    }
}

fn resource_version(v: &Value) -> Option<&str> {
    v.pointer("/metadata/resourceVersion").and_then(Value::as_str).filter(|rv| !rv.is_empty())
}

fn dry_run_error(meta: &ObjMeta, source: kube::Error) -> ApplyError {
    let message = match &source {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    };
    ApplyError::DryRun { object: meta.to_string(), message, source }
}
