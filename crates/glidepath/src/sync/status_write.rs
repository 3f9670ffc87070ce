//! The status write of the Helm and image kinds: a merge patch under the status manager, sent only when
//! the status (conditions compared without their times) changed, with the fields the new status
//! dropped (failure counters) sent as null so the merge removes them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};

use crate::sync::conditions as c;
use crate::sync::{Context, STATUS_MANAGER, SyncError};

/// The status of `obj` as `status` with `conds`, unless it is that already. `old` is the
/// object's current status (serialized) with its conditions.
pub async fn write<K, S>(
    ctx: &Context,
    obj: &K,
    old: (&S, &[Condition]),
    status: &S,
    conds: Vec<Condition>,
) -> Result<(), SyncError>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    S: serde::Serialize,
{
    let without_conditions = |s: &S| {
        let mut v = serde_json::to_value(s).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            m.remove("conditions");
        }
        v
    };
    let (was, now) = (without_conditions(old.0), without_conditions(status));
    if was == now && c::same(old.1, &conds) {
        return Ok(());
    }
    let mut body = now;
    if let (Some(new), Some(was)) = (body.as_object_mut(), was.as_object()) {
        for key in was.keys() {
            new.entry(key.clone()).or_insert(Value::Null);
        }
        new.insert("conditions".into(), serde_json::to_value(&conds).unwrap_or_default());
    }
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default());
    let params = PatchParams { field_manager: Some(STATUS_MANAGER.into()), ..PatchParams::default() };
    let kind = K::kind(&());
    api.patch_status(&obj.name_any(), &params, &Patch::Merge(json!({ "status": body })))
        .await
        .map_err(|source| SyncError::WriteStatus { object: format!("{kind}/{}", obj.name_any()), source })?;
    Ok(())
}
