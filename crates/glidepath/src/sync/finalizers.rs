//! Adding and releasing a controller's finalizer on its own objects (a merge patch of
//! `metadata.finalizers`, other controllers' entries kept).

use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde_json::json;

use super::{Context, STATUS_MANAGER, SyncError};

/// The finalizer every Flux controller puts on its objects.
pub const FLUX_FINALIZER: &str = "finalizers.fluxcd.io";

/// Add `finalizer` unless `obj` has it.
pub async fn ensure<K>(ctx: &Context, obj: &K, finalizer: &str) -> Result<(), SyncError>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    if obj.finalizers().iter().any(|f| f == finalizer) {
        return Ok(());
    }
    let mut finalizers = obj.finalizers().to_vec();
    finalizers.push(finalizer.to_owned());
    set(ctx, obj, finalizers).await
}

/// Remove `finalizer` from `obj` (deletion may then proceed).
pub async fn release<K>(ctx: &Context, obj: &K, finalizer: &str) -> Result<(), SyncError>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    if !obj.finalizers().iter().any(|f| f == finalizer) {
        return Ok(());
    }
    let rest: Vec<String> = obj.finalizers().iter().filter(|f| *f != finalizer).cloned().collect();
    set(ctx, obj, rest).await
}

async fn set<K>(ctx: &Context, obj: &K, finalizers: Vec<String>) -> Result<(), SyncError>
where
    K: Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default());
    let params = PatchParams { field_manager: Some(STATUS_MANAGER.into()), ..PatchParams::default() };
    // No resourceVersion precondition: the snapshot may trail our own status write by one event.
    let patch = json!({"metadata": {"finalizers": finalizers}});
    let object = format!("{}/{}", K::kind(&()), obj.name_any());
    api.patch(&obj.name_any(), &params, &Patch::Merge(patch))
        .await
        .map_err(|source| SyncError::WriteStatus { object, source })?;
    Ok(())
}
