//! The artifact a Kustomization builds from. A GitRepository or OCIRepository this process
//! reconciles is read from the in-process store; any other source (another controller's
//! GitRepository or OCIRepository, a Bucket, an ExternalArtifact) is fetched from its `status.artifact.url` and
//! checked against its digest ([`super::remote`]).

use std::sync::Arc;

use glidepath_api::flux::Kustomization;
use glidepath_api::flux::meta::Artifact;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};

use super::Context;
use super::artifacts::Stored;
use super::conditions::{self as c};
use super::kustomize::Failure;
use crate::error_chain as chain;

/// Flux's source group; every kind a Kustomization may name is served at `v1`.
const SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";

/// Where the source's artifact is.
#[derive(Debug)]
pub(super) enum Source {
    Ready(Arc<Stored>),
    /// Our GitRepository controller has an artifact for it in status but has not stored it yet
    /// (just restarted): it triggers this Kustomization once it has, so wait without news.
    Pending,
    /// No artifact yet.
    Missing,
}

/// `(kind, namespace, name)` of the Kustomization's source, with the namespace defaulted.
pub(super) fn source_key(ks: &Kustomization) -> (String, String, String) {
    let src = &ks.spec.source_ref;
    let ns = src.namespace.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| ks.namespace().unwrap_or_default());
    (src.kind.clone(), ns, src.name.clone())
}

/// Whether this process's GitRepository or OCIRepository controller makes the source's artifacts.
pub(super) fn in_process(ctx: &Context, kind: &str) -> bool {
    ctx.settings.git && (kind == "GitRepository" || kind == "OCIRepository")
}

/// The in-process store of `kind`'s artifacts (see [`in_process`]).
fn store<'a>(ctx: &'a Context, kind: &str) -> &'a super::artifacts::ArtifactStore {
    if kind == "OCIRepository" { &ctx.oci.store } else { &ctx.store }
}

/// The revision the source's current artifact has here, if any (for `dependsOn`).
pub(super) fn current_revision(ctx: &Context, kind: &str, ns: &str, name: &str) -> Option<String> {
    let stored =
        if in_process(ctx, kind) { store(ctx, kind).get(ns, name) } else { ctx.remote.current(kind, ns, name) };
    stored.map(|s| s.revision.clone())
}

pub(super) async fn artifact(ctx: &Context, ks: &Kustomization) -> Result<Source, Failure> {
    let (kind, ns, name) = source_key(ks);
    if in_process(ctx, &kind)
        && let Some(s) = store(ctx, &kind).get(&ns, &name)
    {
        return Ok(Source::Ready(s));
    }
    let Some(artifact) = source_artifact(ctx, &kind, &ns, &name).await? else { return Ok(Source::Missing) };
    if in_process(ctx, &kind) {
        return Ok(Source::Pending);
    }
    let stored = ctx
        .remote
        .get(&kind, &ns, &name, &artifact)
        .await
        .map_err(|e| Failure { reason: c::ARTIFACT_FAILED, message: format!("{kind}/{ns}/{name}: {}", chain(&e)) })?;
    Ok(Source::Ready(stored))
}

/// The source object's `status.artifact`; `None` when the source or its artifact is missing.
async fn source_artifact(ctx: &Context, kind: &str, ns: &str, name: &str) -> Result<Option<Artifact>, Failure> {
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(SOURCE_GROUP, "v1", kind));
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), ns, &resource);
    let obj = match api.get_opt(name).await {
        Ok(o) => o,
        // The kind is not served (no CRD): as good as absent.
        Err(kube::Error::Api(s)) if s.code == 404 => None,
        Err(e) => {
            return Err(Failure { reason: c::ARTIFACT_FAILED, message: format!("read {kind}/{ns}/{name}: {e}") });
        }
    };
    let artifact = obj.and_then(|o| o.data.pointer("/status/artifact").cloned());
    Ok(artifact
        .and_then(|a| serde_json::from_value::<Artifact>(a).ok())
        .filter(|a| !a.url.is_empty() && !a.digest.is_empty()))
}
