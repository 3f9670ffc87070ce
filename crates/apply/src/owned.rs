//! The write path of controllers that own what they apply (the canary controller's primary,
//! Services, routes, autoscalers): server-side apply under one field manager, made only when
//! the live object is out of line with the desired one.
//!
//! "In line" ([`decide`]): the same desired object was applied last and nobody wrote since; or
//! every desired field is live with the desired value **and** every field the manager owns (its
//! `Apply` entry in `managedFields`) is still desired. A field the manager stopped wanting makes
//! the object out of line, so the apply is sent and the API server removes the field — a subset
//! check alone would leave a stale `canary-by-header` annotation or Istio retry policy in place
//! forever.

use glidepath_ssa::{FieldSet, Operation, managed_fields, value_at};
use kube::api::{Patch, PatchParams};
use serde_json::Value;

use crate::engine::Applier;
use crate::error::ApplyError;
use crate::object::ObjMeta;

/// Whether `live` already has every field of `desired` with the same value (numbers compared as
/// numbers: `1` and `1.0` are one value).
pub fn contains(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => d.iter().all(|(k, dv)| l.get(k).is_some_and(|lv| contains(lv, dv))),
        (Value::Array(l), Value::Array(d)) => l.len() == d.len() && l.iter().zip(d).all(|(a, b)| contains(a, b)),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => live == desired,
    }
}

/// The fields `manager` owns in `live` through server-side apply (not through a subresource).
pub fn applied_fields(live: &Value, manager: &str) -> FieldSet {
    managed_fields(live)
        .into_iter()
        .filter(|e| e.manager == manager && e.operation == Operation::Apply && e.subresource.is_none())
        .fold(FieldSet::default(), |acc, e| acc.union(&e.fields))
}

/// Fields `manager` owns in `live` that `desired` no longer sets: what an apply would remove.
pub fn stale_fields(live: &Value, desired: &Value, manager: &str) -> FieldSet {
    let owned = applied_fields(live, manager);
    FieldSet(owned.0.into_iter().filter(|path| value_at(desired, path).is_none()).collect())
}

/// Whether applying `desired` as `manager` would leave `live` as it is.
pub fn in_sync(live: &Value, desired: &Value, manager: &str) -> bool {
    contains(live, desired) && stale_fields(live, desired, manager).is_empty()
}

/// Whether `obj` has an ownerReference to the object with this uid.
pub fn owned_by(obj: &Value, uid: &str) -> bool {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
}

/// Never take ownership of what someone else made: when `live` exists without an
/// ownerReference to `owner_uid`, the desired object's reference to it is dropped, so deleting
/// the owner never garbage-collects the object. An object the owner created keeps it.
pub fn disown_foreign(desired: &mut Value, live: Option<&Value>, owner_uid: Option<&str>) {
    let (Some(live), Some(uid)) = (live, owner_uid) else { return };
    if owned_by(live, uid) {
        return;
    }
    let Some(meta) = desired.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    if let Some(Value::Array(refs)) = meta.get_mut("ownerReferences") {
        refs.retain(|r| r["uid"] != uid);
        if refs.is_empty() {
            meta.remove("ownerReferences");
        }
    }
}

/// What to do with one desired object, given what was last applied (`last`: the desired
/// object's hash and the resourceVersion the apply returned) and the cached live object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The same desired object was applied and nobody wrote since: nothing to do.
    Unchanged,
    /// Someone else wrote since, but every desired field is live and nothing we own is stale.
    InSync,
    Apply,
}

/// The write decision (pure). A desired object that differs from the one this process last
/// applied is always applied: SSA then removes what we stopped wanting, including items of
/// atomic lists and maps, whose staleness `managedFields` alone cannot show. An object we have
/// not applied yet (a restart), or that someone else wrote since, is judged by [`in_sync`].
/// `hash` is the desired object's [`hash_of`].
pub fn decide(
    hash: u64,
    last: Option<&(u64, String)>,
    live: Option<&Value>,
    desired: &Value,
    manager: &str,
) -> Decision {
    let Some(live) = live else { return Decision::Apply };
    let live_rv = live.pointer("/metadata/resourceVersion").and_then(Value::as_str);
    match last {
        Some((last_hash, _)) if *last_hash != hash => Decision::Apply,
        Some((_, rv)) if live_rv == Some(rv.as_str()) => Decision::Unchanged,
        _ if in_sync(live, desired, manager) => Decision::InSync,
        _ => Decision::Apply,
    }
}

/// A desired object's identity for [`decide`].
pub fn hash_of(v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.to_string().hash(&mut h);
    h.finish()
}

impl Applier {
    /// Server-side apply `desired` (forced, under this engine's manager) unless [`decide`] says
    /// the live object — the caller's cached copy, with at least this manager's
    /// `managedFields` — is in line with it. Returns whether it wrote.
    pub async fn apply_owned(&self, desired: &Value, live: Option<&Value>) -> Result<bool, ApplyError> {
        let meta = ObjMeta::of(desired)?;
        let hash = hash_of(desired);
        let last = self.applied.lock().ok().and_then(|m| m.get(&meta).cloned());
        if decide(hash, last.as_ref(), live, desired, self.manager()) != Decision::Apply {
            return Ok(false);
        }
        let api_version = desired.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let (api, _) = self.api_for(api_version, &meta).await?;
        let params = PatchParams::apply(self.manager()).force();
        let written = api
            .patch(&meta.name, &params, &Patch::Apply(desired))
            .await
            .map_err(|source| ApplyError::ApplyObject { object: meta.to_string(), source })?;
        let rv = written.metadata.resource_version.unwrap_or_default();
        if let Ok(mut m) = self.applied.lock() {
            m.insert(meta.clone(), (hash, rv));
        }
        tracing::info!(object = %meta, manager = self.manager(), "applied");
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// An Ingress; `managed` (when not null) as its `managedFields`.
    fn ingress(annotations: Value, managed: Value) -> Value {
        let mut i = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "web-canary", "namespace": "test", "annotations": annotations}});
        if !managed.is_null() {
            i["metadata"]["managedFields"] = managed;
        }
        i
    }

    fn entry(manager: &str, operation: &str, keys: &[&str]) -> Value {
        let annotations: serde_json::Map<String, Value> = keys.iter().map(|k| (format!("f:{k}"), json!({}))).collect();
        json!({"manager": manager, "operation": operation, "apiVersion": "networking.k8s.io/v1",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:annotations": annotations}}})
    }

    #[test]
    fn a_field_the_manager_stopped_wanting_is_out_of_line() {
        let live = ingress(
            json!({"canary": "true", "canary-weight": "0", "canary-by-header": "x-canary"}),
            json!([entry("glidepath", "Apply", &["canary", "canary-weight", "canary-by-header"])]),
        );
        let desired = ingress(json!({"canary": "true", "canary-weight": "0"}), Value::Null);
        assert!(contains(&live, &desired), "the old subset rule would skip this write");
        assert!(!in_sync(&live, &desired, "glidepath"));
        let stale = stale_fields(&live, &desired, "glidepath");
        assert_eq!(stale.to_fields_v1(), json!({"f:metadata": {"f:annotations": {"f:canary-by-header": {}}}}));
    }

    #[test]
    fn fields_of_other_managers_and_of_updates_are_not_ours_to_remove() {
        let live = ingress(
            json!({"canary": "true", "team": "a", "edited": "yes"}),
            json!([
                entry("glidepath", "Apply", &["canary"]),
                entry("kubectl", "Apply", &["team"]),
                entry("glidepath", "Update", &["edited"]),
            ]),
        );
        let desired = ingress(json!({"canary": "true"}), Value::Null);
        assert!(in_sync(&live, &desired, "glidepath"));
    }

    #[test]
    fn a_changed_or_missing_value_is_out_of_line_and_numbers_compare_as_numbers() {
        let live = json!({"spec": {"weight": 10, "items": [{"name": "a", "port": 80.0}]}});
        assert!(contains(&live, &json!({"spec": {"weight": 10.0}})));
        assert!(!contains(&live, &json!({"spec": {"weight": 20}})));
        assert!(!contains(&live, &json!({"spec": {"other": 1}})));
        assert!(contains(&live, &json!({"spec": {"items": [{"name": "a"}]}})));
        assert!(!contains(&live, &json!({"spec": {"items": [{"name": "a"}, {"name": "b"}]}})));
    }

    #[test]
    fn an_object_someone_else_made_never_gets_our_owner_reference() {
        let ours = json!([{"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": "web", "uid": "u1",
            "controller": true}]);
        let desired = json!({"metadata": {"name": "web", "ownerReferences": ours}});
        let user_made = json!({"metadata": {"name": "web"}});
        let mut d = desired.clone();
        disown_foreign(&mut d, Some(&user_made), Some("u1"));
        assert_eq!(d, json!({"metadata": {"name": "web"}}));
        // Created by us (or not there yet): the reference stays.
        let created = json!({"metadata": {"name": "web", "ownerReferences": ours}});
        for live in [Some(&created), None] {
            let mut d = desired.clone();
            disown_foreign(&mut d, live, Some("u1"));
            assert_eq!(d, desired);
        }
    }

    #[test]
    fn a_desired_object_that_changed_is_applied_even_when_only_an_atomic_list_item_lost_a_field() {
        // Istio's `http` list is atomic: managedFields own it whole, so a dropped `retries` inside
        // a route is invisible to the field sets; the change of the desired object is not.
        let managed = json!([{"manager": "glidepath", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:http": {}}}}]);
        let live = json!({"metadata": {"name": "vs", "resourceVersion": "7", "managedFields": managed},
            "spec": {"http": [{"route": [{"weight": 100}], "retries": {"attempts": 3}}]}});
        let before = json!({"metadata": {"name": "vs"}, "spec": {"http": [{"route": [{"weight": 100}], "retries": {"attempts": 3}}]}});
        let after = json!({"metadata": {"name": "vs"}, "spec": {"http": [{"route": [{"weight": 100}]}]}});
        assert!(in_sync(&live, &after, "glidepath"), "the field sets cannot see it");
        let last = (hash_of(&before), "7".to_owned());
        assert_eq!(decide(hash_of(&after), Some(&last), Some(&live), &after, "glidepath"), Decision::Apply);
        assert_eq!(decide(hash_of(&before), Some(&last), Some(&live), &before, "glidepath"), Decision::Unchanged);
        // Someone else wrote since (another resourceVersion): judged by the live object.
        let mut edited = live.clone();
        edited["metadata"]["resourceVersion"] = json!("9");
        assert_eq!(decide(hash_of(&before), Some(&last), Some(&edited), &before, "glidepath"), Decision::InSync);
        edited["spec"]["http"][0]["route"][0]["weight"] = json!(50);
        assert_eq!(decide(hash_of(&before), Some(&last), Some(&edited), &before, "glidepath"), Decision::Apply);
        // Absent, or never applied by this process.
        assert_eq!(decide(hash_of(&before), Some(&last), None, &before, "glidepath"), Decision::Apply);
        assert_eq!(decide(hash_of(&before), None, Some(&live), &before, "glidepath"), Decision::InSync);
    }

    #[test]
    fn keyed_list_items_the_manager_owns_must_still_be_desired() {
        let managed = json!([{"manager": "glidepath", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}},
                "k:{\"port\":9090,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}}}]);
        let live = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "managedFields": managed},
            "spec": {"ports": [{"port": 80, "protocol": "TCP"}, {"port": 9090, "protocol": "TCP"}]}});
        let both = json!({"spec": {"ports": [{"port": 80, "protocol": "TCP"}, {"port": 9090, "protocol": "TCP"}]}});
        let one = json!({"spec": {"ports": [{"port": 80, "protocol": "TCP"}]}});
        assert!(in_sync(&live, &both, "glidepath"));
        assert!(!in_sync(&live, &one, "glidepath"), "the dropped port item is stale");
    }
}
