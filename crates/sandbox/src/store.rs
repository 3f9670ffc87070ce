//! The object store: every object of every kind in memory, one global resourceVersion counter,
//! a bounded event history for watches, and the create/update primitives. Deletion and garbage
//! collection live in `gc.rs`. All methods run under the one store mutex and never block.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::error::{ApiError, Cause};
pub use crate::event::{Event, EventType, JsonCell, Stored, json_of};
use crate::meta;
use crate::resource::{Registry, ResourceInfo};
use crate::shape::{align_namespace, check_body, generation_changed};

/// Which part of an object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Main,
    Status,
}

/// How unknown fields of custom resources are reported (`fieldValidation`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FieldValidation {
    /// Drop them silently.
    Ignore,
    /// Drop them and return a `Warning` header per field (kube-apiserver's default).
    #[default]
    Warn,
    /// Refuse the write with 400 BadRequest.
    Strict,
}

/// Options shared by the write verbs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    pub dry_run: bool,
    pub field_validation: FieldValidation,
}

/// A successful create or update.
#[derive(Debug, Clone)]
pub struct Written {
    pub object: Arc<Value>,
    /// The committed object's JSON cell; `None` for dry runs and no-op updates.
    pub json: Option<JsonCell>,
    /// Texts for `Warning: 299 - "..."` response headers.
    pub warnings: Vec<String>,
}

pub(crate) type ObjectKey = (String, String);

/// Events to replay, then a receiver for later ones.
pub type Subscription = (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>);

/// The whole in-memory state.
#[derive(Debug)]
pub struct Store {
    pub(crate) rv: u64,
    pub(crate) objects: HashMap<String, BTreeMap<ObjectKey, Stored>>,
    /// uid -> (resource id, namespace, name).
    pub(crate) by_uid: HashMap<String, (String, String, String)>,
    /// owner uid -> dependents as (resource id, namespace, name), from ownerReferences.
    pub(crate) owners: HashMap<String, BTreeSet<(String, String, String)>>,
    /// Number of objects per namespace (for namespace teardown).
    pub(crate) ns_counts: HashMap<String, usize>,
    history: VecDeque<Arc<Event>>,
    history_limit: usize,
    /// Events with rv <= compacted are no longer in `history`.
    compacted: u64,
    tx: broadcast::Sender<Arc<Event>>,
    pub registry: Registry,
    /// Last allocated service cluster IP (offset in 10.96.0.0/12).
    pub(crate) next_ip: u32,
    /// The write-ahead log of a sandbox with a state directory.
    pub(crate) log: Option<crate::persist::Log>,
}

impl Store {
    pub fn new(history_limit: usize, watch_buffer: usize) -> Self {
        let (tx, _) = broadcast::channel(watch_buffer.max(16));
        let mut s = Self {
            rv: 0,
            objects: HashMap::new(),
            by_uid: HashMap::new(),
            owners: HashMap::new(),
            ns_counts: HashMap::new(),
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            compacted: 0,
            tx,
            registry: Registry::with_builtins(),
            next_ip: 0,
            log: None,
        };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            if let Some(info) = s.registry.get("", "v1", "namespaces") {
                let _created = s.create(&info, "", obj, &WriteOptions::default());
            }
        }
        s
    }

    pub fn current_rv(&self) -> u64 {
        self.rv
    }

    pub fn get(&self, info: &ResourceInfo, ns: &str, name: &str) -> Result<Arc<Value>, ApiError> {
        self.lookup(&info.id(), ns, name).ok_or_else(|| ApiError::not_found(&info.group, &info.plural, name))
    }

    pub(crate) fn lookup(&self, id: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.objects.get(id)?.get(&(ns.to_owned(), name.to_owned())).map(|s| s.value.clone())
    }

    /// Objects of one resource, optionally in one namespace, in (namespace, name) order.
    pub(crate) fn iter_resource<'a>(
        &'a self,
        id: &str,
        ns: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        self.iter_stored(id, ns).map(|s| &s.value)
    }

    /// Like [`Self::iter_resource`], with the objects' JSON cells. One namespace is a range of
    /// the (namespace, name) order, not a scan of every namespace.
    pub(crate) fn iter_stored<'a>(&'a self, id: &str, ns: Option<&'a str>) -> impl Iterator<Item = &'a Stored> + 'a {
        let from = ns.map_or_else(|| (String::new(), String::new()), |ns| (ns.to_owned(), String::new()));
        self.objects
            .get(id)
            .into_iter()
            .flat_map(move |m| m.range(from.clone()..))
            .take_while(move |((n, _), _)| ns.is_none_or(|want| want == n))
            .map(|(_, v)| v)
    }

    /// Subscribes to changes. Returns the events after `from` (or `Err` when compacted) and a
    /// receiver for everything after the current version.
    pub fn subscribe(&self, from: u64) -> Result<Subscription, ApiError> {
        if from < self.compacted {
            return Err(ApiError::expired(format!("too old resource version: {from} ({})", self.compacted + 1)));
        }
        let backlog = self.history.iter().filter(|e| e.rv > from).cloned().collect();
        Ok((backlog, self.tx.subscribe()))
    }

    /// A receiver for future changes only.
    pub fn receiver(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Assigns the next resourceVersion, stores (or removes) the object and records the event.
    pub(crate) fn commit(
        &mut self,
        info: &ResourceInfo,
        kind: EventType,
        obj: Value,
        old: Option<Arc<Value>>,
    ) -> Arc<Value> {
        self.commit_stored(info, kind, obj, old).value
    }

    /// [`Self::commit`], also returning the object's JSON cell.
    pub(crate) fn commit_stored(
        &mut self,
        info: &ResourceInfo,
        kind: EventType,
        mut obj: Value,
        old: Option<Arc<Value>>,
    ) -> Stored {
        self.rv += 1;
        meta::metadata_mut(&mut obj).insert("resourceVersion".to_owned(), json!(self.rv.to_string()));
        let obj = Arc::new(obj);
        let json = JsonCell::default();
        let id = info.id();
        let deleted = kind == EventType::Deleted;
        self.place(&id, deleted, &obj, &json);
        if let Some(log) = &mut self.log {
            log.append(self.rv, &id, deleted, json_of(&json, &obj));
            if log.wants_compaction() {
                crate::persist::compact(self);
            }
        }
        let event = Arc::new(Event { rv: self.rv, res: id, kind, object: obj.clone(), old, json: json.clone() });
        self.history.push_back(event.clone());
        while self.history.len() > self.history_limit {
            if let Some(e) = self.history.pop_front() {
                self.compacted = e.rv;
            }
        }
        // No receivers is fine.
        let _sent = self.tx.send(event);
        Stored { value: obj, json }
    }

    /// Puts `obj` in (or, `deleted`, takes it out of) the object map and the uid, owner and
    /// namespace indexes.
    pub(crate) fn place(&mut self, id: &str, deleted: bool, obj: &Arc<Value>, json: &JsonCell) {
        let key = (meta::namespace(obj).to_owned(), meta::name(obj).to_owned());
        let uid = meta::uid(obj).to_owned();
        let entry = (id.to_owned(), key.0.clone(), key.1.clone());
        let previous = self.objects.get(id).and_then(|m| m.get(&key)).map(|s| s.value.clone());
        if let Some(prev) = &previous {
            for owner in meta::owner_uids(prev) {
                if let Some(set) = self.owners.get_mut(&owner) {
                    set.remove(&entry);
                    if set.is_empty() {
                        self.owners.remove(&owner);
                    }
                }
            }
        }
        if deleted {
            if let Some(m) = self.objects.get_mut(id) {
                m.remove(&key);
            }
            self.by_uid.remove(&uid);
            if previous.is_some()
                && !key.0.is_empty()
                && let Some(n) = self.ns_counts.get_mut(&key.0)
            {
                *n = n.saturating_sub(1);
            }
        } else {
            for owner in meta::owner_uids(obj) {
                self.owners.entry(owner).or_default().insert(entry.clone());
            }
            if previous.is_none() && !key.0.is_empty() {
                *self.ns_counts.entry(key.0.clone()).or_default() += 1;
            }
            self.by_uid.insert(uid, entry);
            let stored = Stored { value: obj.clone(), json: json.clone() };
            self.objects.entry(id.to_owned()).or_default().insert(key, stored);
        }
    }

    /// Continues the resourceVersion counter at `rv` after a restart; earlier versions are gone.
    pub(crate) fn restart_at(&mut self, rv: u64) {
        self.rv = rv;
        self.compact();
    }

    /// Drops every event from the history: watches from any earlier version get 410 Gone.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.rv;
    }

    pub fn create(
        &mut self,
        info: &ResourceInfo,
        ns: &str,
        body: Value,
        opts: &WriteOptions,
    ) -> Result<Written, ApiError> {
        let mut obj = check_body(info, body)?;
        align_namespace(info, ns, &mut obj)?;
        let meta = meta::metadata_mut(&mut obj);
        let name_empty = meta.get("name").and_then(Value::as_str).is_none_or(str::is_empty);
        if name_empty && let Some(prefix) = meta.get("generateName").and_then(Value::as_str) {
            let generated = format!("{prefix}{}", meta::random_suffix());
            meta.insert("name".to_owned(), json!(generated));
        }
        for key in ["uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
            meta.remove(key);
        }
        meta.insert("uid".to_owned(), json!(meta::new_uid()));
        meta.insert("creationTimestamp".to_owned(), json!(meta::now_rfc3339()));
        if info.generation || info.custom {
            meta.insert("generation".to_owned(), json!(1));
        }
        let name = meta::name(&obj).to_owned();
        let label_only = !info.namespaced && info.plural == "namespaces";
        if let Some(cause) = meta::validate_name(&name, label_only) {
            return Err(ApiError::invalid(&info.group, &info.kind, &name, vec![cause]));
        }
        if info.namespaced {
            match self.lookup("namespaces", "", ns) {
                None => return Err(ApiError::not_found("", "namespaces", ns)),
                Some(n) if meta::is_deleting(&n) => {
                    return Err(ApiError::forbidden(format!(
                        "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                        info.plural
                    )));
                }
                Some(_) => {}
            }
        }
        if self.lookup(&info.id(), ns, &name).is_some() {
            return Err(ApiError::already_exists(&info.group, &info.plural, &name));
        }
        if info.status
            && let Some(map) = obj.as_object_mut()
        {
            map.remove("status");
        }
        let warnings = self.prepare(info, &mut obj, None, opts)?;
        if opts.dry_run {
            return Ok(Written { object: Arc::new(obj), json: None, warnings });
        }
        let stored = self.commit_stored(info, EventType::Added, obj, None);
        self.after_write(info, &stored.value);
        Ok(Written { object: stored.value, json: Some(stored.json), warnings })
    }

    /// Kind-specific defaulting and validation shared by create and update; returns warnings.
    fn prepare(
        &mut self,
        info: &ResourceInfo,
        obj: &mut Value,
        old: Option<&Value>,
        opts: &WriteOptions,
    ) -> Result<Vec<String>, ApiError> {
        let mut warnings = Vec::new();
        let label_causes = meta::validate_labels(obj);
        if !label_causes.is_empty() {
            return Err(ApiError::invalid(&info.group, &info.kind, meta::name(obj), label_causes));
        }
        if info.custom
            && let Some(schema) = &info.schema
        {
            let admission = crate::schema::admit(schema, obj, old);
            if !admission.pruned.is_empty() {
                let unknown: Vec<String> = admission.pruned.iter().map(|f| format!("unknown field \"{f}\"")).collect();
                match opts.field_validation {
                    FieldValidation::Strict => {
                        return Err(ApiError::bad_request(format!("strict decoding error: {}", unknown.join(", "))));
                    }
                    FieldValidation::Warn => warnings = unknown,
                    FieldValidation::Ignore => {}
                }
            }
            if !admission.causes.is_empty() {
                return Err(ApiError::invalid(&info.group, &info.kind, meta::name(obj), admission.causes));
            }
        } else if !info.custom {
            let causes = crate::builtin::admit(info, obj, old, &mut self.next_ip);
            if !causes.is_empty() {
                return Err(ApiError::invalid(&info.group, &info.kind, meta::name(obj), causes));
            }
        }
        match (info.group.as_str(), info.plural.as_str()) {
            ("", "namespaces") => {
                let name = meta::name(obj).to_owned();
                let labels = meta::as_map(meta::metadata_mut(obj).entry("labels").or_insert_with(|| json!({})));
                labels.insert("kubernetes.io/metadata.name".to_owned(), json!(name));
                crate::resource::set_path(obj, ".spec.finalizers", json!(["kubernetes"]));
                let phase = if meta::is_deleting(obj) { "Terminating" } else { "Active" };
                crate::resource::set_path(obj, ".status.phase", json!(phase));
            }
            ("apiextensions.k8s.io", "customresourcedefinitions") => {
                let name = meta::name(obj).to_owned();
                let causes: Vec<Cause> = match crate::crd::served(obj) {
                    Ok(_) => Vec::new(),
                    Err(causes) => causes,
                };
                if !causes.is_empty() {
                    return Err(ApiError::invalid(&info.group, &info.kind, &name, causes));
                }
                if let Some(old) = old {
                    let changed_scope = old.pointer("/spec/scope") != obj.pointer("/spec/scope");
                    if changed_scope {
                        let reason = glidepath_api::field::FieldErrorType::Invalid.cause_reason();
                        let cause = Cause::new(reason, "spec.scope", "Invalid value: field is immutable");
                        return Err(ApiError::invalid(&info.group, &info.kind, &name, vec![cause]));
                    }
                }
                crate::crd::set_established(obj);
            }
            _ => {}
        }
        Ok(warnings)
    }

    /// Effects of a committed write on the registry (CRDs become served).
    pub(crate) fn after_write(&mut self, info: &ResourceInfo, obj: &Value) {
        if info.group == "apiextensions.k8s.io"
            && info.plural == "customresourcedefinitions"
            && let Ok(infos) = crate::crd::served(obj)
        {
            if let Some((group, plural)) = infos.first().map(|i| (i.group.clone(), i.plural.clone())) {
                self.registry.remove(&group, &plural);
            }
            for i in infos {
                tracing::debug!(group = %i.group, version = %i.version, plural = %i.plural, "serving custom resource");
                self.registry.insert(i);
            }
        }
    }

    pub fn update(
        &mut self,
        info: &ResourceInfo,
        ns: &str,
        name: &str,
        body: Value,
        part: Part,
        opts: &WriteOptions,
    ) -> Result<Written, ApiError> {
        let mut body = check_body(info, body)?;
        align_namespace(info, ns, &mut body)?;
        let body_name = meta::name(&body).to_owned();
        if body_name.is_empty() {
            meta::metadata_mut(&mut body).insert("name".to_owned(), json!(name));
        } else if body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let old = self.get(info, ns, name)?;
        let want_rv = meta::resource_version(&body);
        if !want_rv.is_empty() && want_rv != meta::resource_version(&old) {
            return Err(ApiError::stale(&info.group, &info.plural, name));
        }
        let want_uid = meta::uid(&body);
        if !want_uid.is_empty() && want_uid != meta::uid(&old) {
            let why = format!(
                "Precondition failed: UID in precondition: {want_uid}, UID in object meta: {}",
                meta::uid(&old)
            );
            return Err(ApiError::conflict(&info.group, &info.plural, name, &why));
        }
        if meta::is_deleting(&old) {
            let before = meta::finalizers(&old);
            if meta::finalizers(&body).iter().any(|f| !before.contains(f)) {
                let cause = Cause::new(
                    glidepath_api::field::FieldErrorType::Forbidden.cause_reason(),
                    "metadata.finalizers",
                    "Forbidden: no new finalizers can be added if the object is being deleted",
                );
                return Err(ApiError::invalid(&info.group, &info.kind, name, vec![cause]));
            }
        }
        let mut new = match part {
            Part::Main => {
                let mut new = body;
                let new_meta = meta::metadata_mut(&mut new);
                let old_meta = meta::metadata(&old).cloned().unwrap_or_default();
                for key in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"]
                {
                    match old_meta.get(key) {
                        Some(v) => new_meta.insert(key.to_owned(), v.clone()),
                        None => new_meta.remove(key),
                    };
                }
                if info.status {
                    let map = meta::as_map(&mut new);
                    match old.get("status") {
                        Some(s) => map.insert("status".to_owned(), s.clone()),
                        None => map.remove("status"),
                    };
                }
                new
            }
            Part::Status => {
                let mut new = Value::clone(&old);
                let map = meta::as_map(&mut new);
                match body.get("status") {
                    Some(s) => map.insert("status".to_owned(), s.clone()),
                    None => map.remove("status"),
                };
                // Ownership of status fields is recorded like any other (`subresource: status`
                // entries); without it an apply could never remove a field it stopped sending.
                if let Some(fields) = meta::metadata(&body).and_then(|m| m.get("managedFields")).cloned() {
                    meta::metadata_mut(&mut new).insert("managedFields".to_owned(), fields);
                }
                new
            }
        };
        let warnings = self.prepare(info, &mut new, Some(&old), opts)?;
        if (info.generation || info.custom) && generation_changed(&new, &old, info.status) {
            let generation =
                meta::metadata(&old).and_then(|m| m.get("generation")).and_then(Value::as_i64).unwrap_or(0);
            meta::metadata_mut(&mut new).insert("generation".to_owned(), json!(generation + 1));
        }
        meta::metadata_mut(&mut new).insert("resourceVersion".to_owned(), json!(meta::resource_version(&old)));
        // A write that changes nothing but managedFields timestamps (e.g. an apply of a Secret's
        // stringData, folded into data after the apply's own no-op check) is no write at all,
        // as kube-apiserver's managed-fields updater keeps the old times then.
        if same_but_times(&new, &old) && !opts.dry_run {
            return Ok(Written { object: old, json: None, warnings });
        }
        if new == *old || opts.dry_run {
            return Ok(Written { object: Arc::new(new), json: None, warnings });
        }
        if meta::is_deleting(&new) && meta::finalizers(&new).is_empty() {
            let stored = self.commit_stored(info, EventType::Deleted, new, Some(old));
            self.after_remove(info, &stored.value);
            return Ok(Written { object: stored.value, json: Some(stored.json), warnings });
        }
        let stored = self.commit_stored(info, EventType::Modified, new, Some(old));
        self.after_write(info, &stored.value);
        if meta::is_deleting(&stored.value) {
            self.try_finish_foreground(&stored.value);
        }
        Ok(Written { object: stored.value, json: Some(stored.json), warnings })
    }
}

/// `a` and `b` are equal once their managedFields entries' `time`s are left out (compared in
/// place: this runs on every write).
fn same_but_times(a: &Value, b: &Value) -> bool {
    // Key order may differ between equal maps: then this says "not the same", and the write
    // goes ahead as any other.
    fn same_except<'a>(a: &'a Value, b: &'a Value, skip: &str) -> Option<(&'a Value, &'a Value)> {
        let (ma, mb) = (a.as_object()?, b.as_object()?);
        let others = |m: &'a serde_json::Map<String, Value>| m.iter().filter(move |(k, _)| k.as_str() != skip);
        if ma.len() != mb.len() || !others(ma).eq(others(mb)) {
            return None;
        }
        Some((ma.get(skip).unwrap_or(&Value::Null), mb.get(skip).unwrap_or(&Value::Null)))
    }
    let Some((ma, mb)) = same_except(a, b, "metadata") else { return false };
    let Some((fa, fb)) = same_except(ma, mb, "managedFields") else { return false };
    match (fa.as_array(), fb.as_array()) {
        (Some(x), Some(y)) => x.len() == y.len() && x.iter().zip(y).all(|(e, f)| same_except(e, f, "time").is_some()),
        _ => fa == fb,
    }
}
