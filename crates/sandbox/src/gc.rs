//! Deletion: finalizers and `deletionTimestamp`, ownerReference garbage collection (background,
//! foreground, orphan), namespace teardown and CRD removal.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::meta;
use crate::resource::ResourceInfo;
use crate::selector::Selectors;
use crate::store::{EventType, Store};

const FOREGROUND: &str = "foregroundDeletion";

/// Namespaces kube-apiserver refuses to delete.
const PROTECTED_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

/// `propagationPolicy` of a delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    #[default]
    Background,
    Foreground,
    Orphan,
}

impl Propagation {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "Background" => Ok(Self::Background),
            "Foreground" => Ok(Self::Foreground),
            "Orphan" => Ok(Self::Orphan),
            other => Err(ApiError::bad_request(format!(
                "propagationPolicy: Unsupported value: {other:?}: supported values: \"Foreground\", \"Background\", \"Orphan\""
            ))),
        }
    }
}

/// Options of a DELETE (query parameters and the `DeleteOptions` body).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    pub propagation: Option<Propagation>,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
    pub dry_run: bool,
}

impl Store {
    pub fn delete(
        &mut self,
        info: &ResourceInfo,
        ns: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Value, ApiError> {
        let obj = self.get(info, ns, name)?;
        if info.group.is_empty() && info.plural == "namespaces" && PROTECTED_NAMESPACES.contains(&name) {
            return Err(ApiError::forbidden(format!(
                "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
            )));
        }
        if let Some(uid) = &opts.precondition_uid
            && uid != meta::uid(&obj)
        {
            let why =
                format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {}", meta::uid(&obj));
            return Err(ApiError::conflict(&info.group, &info.plural, name, &why));
        }
        if let Some(rv) = &opts.precondition_rv
            && rv != meta::resource_version(&obj)
        {
            let why = format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                meta::resource_version(&obj)
            );
            return Err(ApiError::conflict(&info.group, &info.plural, name, &why));
        }
        if opts.dry_run {
            return Ok(Value::clone(&obj));
        }
        Ok(Value::clone(&self.delete_object(info, obj, opts.propagation.unwrap_or_default())))
    }

    /// Deletes one object with a propagation policy; returns its last state.
    pub(crate) fn delete_object(&mut self, info: &ResourceInfo, obj: Arc<Value>, policy: Propagation) -> Arc<Value> {
        let uid = meta::uid(&obj).to_owned();
        if info.plural == "namespaces" && info.group.is_empty() {
            return self.delete_namespace(info, obj);
        }
        if policy == Propagation::Orphan {
            for (dep_info, dep) in self.dependents(&uid) {
                let mut changed = Value::clone(&dep);
                if meta::remove_owner(&mut changed, &uid) {
                    self.commit(&dep_info, EventType::Modified, changed, Some(dep));
                }
            }
        }
        let dependents = self.dependents(&uid);
        if policy == Propagation::Foreground && !dependents.is_empty() {
            let mut marked = Value::clone(&obj);
            mark_deleting(&mut marked);
            let mut finalizers = meta::finalizers(&marked);
            if !finalizers.iter().any(|f| f == FOREGROUND) {
                finalizers.push(FOREGROUND.to_owned());
            }
            meta::set_finalizers(&mut marked, &finalizers);
            let marked = self.commit(info, EventType::Modified, marked, Some(obj));
            for (dep_info, dep) in dependents {
                if let Some(current) = self.lookup(&dep_info.id(), meta::namespace(&dep), meta::name(&dep)) {
                    self.delete_object(&dep_info, current, Propagation::Foreground);
                }
            }
            return self.try_finish_foreground(&marked).unwrap_or(marked);
        }
        if !meta::finalizers(&obj).is_empty() {
            if meta::is_deleting(&obj) {
                return obj;
            }
            let mut marked = Value::clone(&obj);
            mark_deleting(&mut marked);
            return self.commit(info, EventType::Modified, marked, Some(obj));
        }
        let removed = self.commit(info, EventType::Deleted, Value::clone(&obj), Some(obj));
        self.after_remove(info, &removed);
        removed
    }

    /// Objects whose ownerReferences name `uid`.
    fn dependents(&self, uid: &str) -> Vec<(Arc<ResourceInfo>, Arc<Value>)> {
        let Some(set) = self.owners.get(uid) else { return Vec::new() };
        set.iter()
            .filter_map(|(id, ns, name)| Some((self.registry.any_version(id)?, self.lookup(id, ns, name)?)))
            .collect()
    }

    /// Consequences of an object leaving the store.
    pub(crate) fn after_remove(&mut self, info: &ResourceInfo, removed: &Value) {
        let uid = meta::uid(removed).to_owned();
        // Background garbage collection of dependents whose owners are all gone.
        for (dep_info, dep) in self.dependents(&uid) {
            let Some(current) = self.lookup(&dep_info.id(), meta::namespace(&dep), meta::name(&dep)) else { continue };
            let owners_alive = meta::owner_uids(&current).iter().any(|o| o != &uid && self.by_uid.contains_key(o));
            if owners_alive {
                let mut changed = Value::clone(&current);
                meta::remove_owner(&mut changed, &uid);
                self.commit(&dep_info, EventType::Modified, changed, Some(current));
            } else {
                self.delete_object(&dep_info, current, Propagation::Background);
            }
        }
        // An owner waiting in foreground deletion may now be free to go.
        for owner_uid in meta::owner_uids(removed) {
            let Some((id, ns, name)) = self.by_uid.get(&owner_uid).cloned() else { continue };
            if let Some(owner) = self.lookup(&id, &ns, &name) {
                self.try_finish_foreground(&owner);
            }
        }
        let ns = meta::namespace(removed).to_owned();
        if !ns.is_empty() {
            self.try_finish_namespace(&ns);
        }
        if info.group == "apiextensions.k8s.io" && info.plural == "customresourcedefinitions" {
            self.remove_crd(removed);
        }
    }

    /// Completes a foreground deletion once no dependents remain.
    pub(crate) fn try_finish_foreground(&mut self, owner: &Value) -> Option<Arc<Value>> {
        let finalizers = meta::finalizers(owner);
        if !meta::is_deleting(owner) || !finalizers.iter().any(|f| f == FOREGROUND) {
            return None;
        }
        if !self.dependents(meta::uid(owner)).is_empty() {
            return None;
        }
        let (id, ns, name) = self.by_uid.get(meta::uid(owner)).cloned()?;
        let info = self.registry.any_version(&id)?;
        let current = self.lookup(&id, &ns, &name)?;
        let mut next = Value::clone(&current);
        let rest: Vec<String> = finalizers.into_iter().filter(|f| f != FOREGROUND).collect();
        meta::set_finalizers(&mut next, &rest);
        if rest.is_empty() {
            let removed = self.commit(&info, EventType::Deleted, next, Some(current));
            self.after_remove(&info, &removed);
            Some(removed)
        } else {
            Some(self.commit(&info, EventType::Modified, next, Some(current)))
        }
    }

    fn delete_namespace(&mut self, info: &ResourceInfo, obj: Arc<Value>) -> Arc<Value> {
        let ns = meta::name(&obj).to_owned();
        let marked = if meta::is_deleting(&obj) {
            obj
        } else {
            let mut marked = Value::clone(&obj);
            mark_deleting(&mut marked);
            crate::resource::set_path(&mut marked, ".status.phase", json!("Terminating"));
            self.commit(info, EventType::Modified, marked, Some(obj))
        };
        let ids: Vec<String> = self.objects.keys().cloned().collect();
        for id in ids {
            let Some(res) = self.registry.any_version(&id) else { continue };
            if !res.namespaced {
                continue;
            }
            let objects: Vec<Arc<Value>> = self.iter_resource(&id, Some(&ns)).cloned().collect();
            for o in objects {
                if let Some(current) = self.lookup(&id, &ns, meta::name(&o)) {
                    self.delete_object(&res, current, Propagation::Background);
                }
            }
        }
        self.try_finish_namespace(&ns).unwrap_or(marked)
    }

    /// Removes a terminating namespace once it is empty.
    fn try_finish_namespace(&mut self, ns: &str) -> Option<Arc<Value>> {
        let obj = self.lookup("namespaces", "", ns)?;
        if !meta::is_deleting(&obj) {
            return None;
        }
        if self.ns_counts.get(ns).copied().unwrap_or(0) > 0 {
            return None;
        }
        let info = self.registry.get("", "v1", "namespaces")?;
        let removed = self.commit(&info, EventType::Deleted, Value::clone(&obj), Some(obj));
        Some(removed)
    }

    /// Stops serving a deleted CRD's kind and deletes its objects.
    fn remove_crd(&mut self, crd: &Value) {
        let group = crd.pointer("/spec/group").and_then(Value::as_str).unwrap_or_default().to_owned();
        let plural = crd.pointer("/spec/names/plural").and_then(Value::as_str).unwrap_or_default().to_owned();
        let id = if group.is_empty() { plural.clone() } else { format!("{plural}.{group}") };
        if let Some(info) = self.registry.any_version(&id) {
            let objects: Vec<Arc<Value>> = self.iter_resource(&id, None).cloned().collect();
            for o in objects {
                let removed = self.commit(&info, EventType::Deleted, Value::clone(&o), Some(o));
                self.after_remove(&info, &removed);
            }
        }
        self.objects.remove(&id);
        self.registry.remove(&group, &plural);
    }

    /// DELETE on a collection: deletes every matching object; returns their last states.
    pub fn delete_collection(
        &mut self,
        info: &ResourceInfo,
        ns: Option<&str>,
        sel: &Selectors,
        opts: &DeleteOptions,
    ) -> Result<Vec<Arc<Value>>, ApiError> {
        let id = info.id();
        let targets: Vec<Arc<Value>> = self.iter_resource(&id, ns).filter(|o| sel.matches(o)).cloned().collect();
        if opts.dry_run {
            return Ok(targets);
        }
        let mut out = Vec::new();
        for t in targets {
            if let Some(current) = self.lookup(&id, meta::namespace(&t), meta::name(&t)) {
                out.push(self.delete_object(info, current, opts.propagation.unwrap_or_default()));
            }
        }
        Ok(out)
    }
}

fn mark_deleting(obj: &mut Value) {
    let m = meta::metadata_mut(obj);
    if m.get("deletionTimestamp").is_none_or(Value::is_null) {
        m.insert("deletionTimestamp".to_owned(), json!(meta::now_rfc3339()));
        m.insert("deletionGracePeriodSeconds".to_owned(), json!(0));
    }
}
