//! ImagePolicy reconciler (image-reflector-controller's): the latest tag of the referenced
//! ImageRepository's stored tags by the policy, optionally its digest, as `status.latestRef`
//! (the previous pick kept as `observedPreviousRef`), with Flux's conditions and messages.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use glidepath_api::flux::helm_repository::AccessFrom;
use glidepath_api::flux::image::{ImagePolicyChoice, ImageRef};
use glidepath_api::flux::{ImagePolicy, ImagePolicyStatus, ImageRepository};
use glidepath_image::{ImageError, Order, Policy, TagFilter};
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};

use super::fold::{self, Verdict};
use super::plan;
use super::registry::{self, IMAGE_URL_INVALID};
use super::{FINALIZER, IMAGE_REFLECTOR, REQUESTED_AT};
use crate::sync::conditions as c;
use crate::sync::{Context, SyncError, finalizers};

const INVALID_POLICY: &str = "InvalidPolicy";
const ACCESS_DENIED: &str = "AccessDenied";
/// metav1.StatusFailure, Flux's reason for other failures.
const FAILURE: &str = "Failure";
const RETRY: Duration = Duration::from_secs(30);

pub fn error_policy(_o: Arc<ImagePolicy>, _e: &SyncError, _c: Arc<Context>) -> Action {
    Action::requeue(Duration::from_secs(10))
}

/// Why no pick was made: `(reason, message, stalled, retry)`.
type Failed = (&'static str, String, bool, bool);

/// One reconcile of an ImagePolicy.
pub async fn reconcile(pol: Arc<ImagePolicy>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    if pol.meta().deletion_timestamp.is_some() {
        finalizers::release(&ctx, &*pol, FINALIZER).await?;
        return Ok(Action::await_change());
    }
    finalizers::ensure(&ctx, &*pol, FINALIZER).await?;
    if pol.spec.suspended() {
        return Ok(Action::await_change());
    }
    let mut status = pol.status.clone().unwrap_or_default();
    let outcome = pick(&pol, &ctx, &mut status).await;
    finish(&ctx, &pol, status, outcome).await
}

async fn pick(pol: &ImagePolicy, ctx: &Context, status: &mut ImagePolicyStatus) -> Result<String, Failed> {
    let repo = repository(pol, ctx).await?;
    if let Err(m) = registry::repository(&repo) {
        return Err((IMAGE_URL_INVALID, m, true, false));
    }
    let policy = policy(&pol.spec.policy).map_err(|m| (INVALID_POLICY, format!("invalid policy: {m}"), true, false))?;
    let canonical = repo.status.as_ref().and_then(|s| s.canonical_image_name.clone()).unwrap_or_default();
    let tags = ctx.images.tags.get(&canonical);
    if tags.is_empty() {
        return Err((c::DEPENDENCY_NOT_READY, "no tags in database".into(), false, false));
    }
    let filter = pol.spec.filter_tags.as_ref().map(|f| TagFilter {
        pattern: f.pattern.clone().unwrap_or_default(),
        extract: f.extract.clone().unwrap_or_default(),
    });
    let all: Vec<&str> = tags.iter().collect();
    let latest = glidepath_image::latest(&all, &policy, filter.as_ref()).map_err(|e| match e {
        ImageError::InvalidPolicy { .. } if filter.is_some() => {
            (INVALID_POLICY, format!("failed to filter tags: {e}"), true, false)
        }
        ImageError::InvalidPolicy { .. } => (INVALID_POLICY, format!("invalid policy: {e}"), true, false),
        other => (FAILURE, other.to_string(), false, true),
    })?;
    let name = repo.spec.image.clone();
    let reflection = pol.spec.digest_reflection();
    let digest = if plan::needs_digest(reflection, status, &name, &latest) {
        Some(digest(ctx, &repo, &name, &latest).await?)
    } else {
        plan::kept_digest(reflection, status)
    };
    plan::next_refs(status, ImageRef { name, tag: latest, digest });
    Ok(plan::policy_ready_message(status))
}

/// The referenced ImageRepository, if this policy may read it (Flux's ACL rules).
async fn repository(pol: &ImagePolicy, ctx: &Context) -> Result<ImageRepository, Failed> {
    let own = pol.namespace().unwrap_or_default();
    let ns = pol.spec.repository_namespace(&own).to_owned();
    let name = &pol.spec.image_repository_ref.name;
    let fail = |reason, m: String| (reason, format!("failed to get the referred ImageRepository: {m}"), false, true);
    if ns != own && ctx.settings.no_cross_namespace_refs {
        let m = format!("cannot access 'ImageRepository/{ns}/{name}', cross-namespace references have been blocked");
        return Err(fail(ACCESS_DENIED, m));
    }
    let api: Api<ImageRepository> = Api::namespaced(ctx.client.clone(), &ns);
    let repo = match api.get_opt(name).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            let m = format!(
                "referenced ImageRepository does not exist: imagerepositories.image.toolkit.fluxcd.io \"{name}\" not found"
            );
            return Err(fail(c::DEPENDENCY_NOT_READY, m));
        }
        Err(e) => return Err(fail(FAILURE, e.to_string())),
    };
    if ns != own {
        let labels = namespace_labels(ctx, &own).await.map_err(|m| fail(FAILURE, m))?;
        if let Err(m) = access_allowed(repo.spec.access_from.as_ref(), &labels, &ns, name, &own) {
            return Err(fail(ACCESS_DENIED, format!("access denied: {m}")));
        }
    }
    Ok(repo)
}

async fn namespace_labels(ctx: &Context, ns: &str) -> Result<BTreeMap<String, String>, String> {
    let api: Api<Namespace> = Api::all(ctx.client.clone());
    api.get(ns).await.map(|n| n.labels().clone()).map_err(|e| e.to_string())
}

/// fluxcd/pkg `acl.HasAccessToRef`, for a reference into another namespace.
fn access_allowed(
    acl: Option<&AccessFrom>,
    labels: &BTreeMap<String, String>,
    ns: &str,
    name: &str,
    from: &str,
) -> Result<(), String> {
    let Some(acl) = acl else {
        return Err(format!("'{ns}/{name}' can't be accessed due to missing ACL labels on 'accessFrom'"));
    };
    let matches = |sel: &BTreeMap<String, String>| sel.iter().all(|(k, v)| labels.get(k) == Some(v));
    if acl.namespace_selectors.iter().any(|s| matches(&s.match_labels.clone().unwrap_or_default())) {
        return Ok(());
    }
    Err(format!("'{ns}/{name}' can't be accessed due to ACL labels mismatch on namespace '{from}'"))
}

/// `spec.policy` as the pure crate's policy: exactly one choice (Flux's `PolicerFromSpec`).
fn policy(choice: &ImagePolicyChoice) -> Result<Policy, String> {
    let order = |o: &Option<String>| Order::parse(o.as_deref().unwrap_or("asc")).map_err(|e| e.to_string());
    match (&choice.semver, &choice.alphabetical, &choice.numerical) {
        (Some(s), None, None) => Ok(Policy::Semver { range: s.range.clone() }),
        (None, Some(a), None) => Ok(Policy::Alphabetical { order: order(&a.order)? }),
        (None, None, Some(n)) => Ok(Policy::Numerical { order: order(&n.order)? }),
        _ => Err("given ImagePolicyChoice object is invalid".into()),
    }
}

async fn digest(ctx: &Context, repo: &ImageRepository, name: &str, tag: &str) -> Result<String, Failed> {
    let ns = repo.namespace().unwrap_or_default();
    let fail = |m: String| (FAILURE, format!("failed fetching digest of {name}:{tag}: {m}"), false, true);
    let access = registry::access(ctx, repo, &ns).await.map_err(fail)?;
    let head = tokio::time::timeout(repo.spec.timeout(), access.client.head_manifest(&access.repository, tag)).await;
    match head {
        Ok(Ok(d)) => Ok(d.digest),
        Ok(Err(e)) => Err(fail(crate::error_chain(&e))),
        Err(_) => Err(fail(format!("timed out after {:?}", repo.spec.timeout()))),
    }
}

async fn finish(
    ctx: &Context,
    pol: &ImagePolicy,
    mut status: ImagePolicyStatus,
    outcome: Result<String, Failed>,
) -> Result<Action, SyncError> {
    let old = pol.status.clone().unwrap_or_default();
    let old_conds = old.conditions.clone().unwrap_or_default();
    let mut conds = status.conditions.take().unwrap_or_default();
    let (verdict, action) = match outcome {
        Ok(msg) => (Verdict::Ready(msg), pol.spec.interval().map_or_else(Action::await_change, Action::requeue)),
        Err((reason, message, stalled, retry)) => {
            let action = if retry { Action::requeue(RETRY) } else { Action::await_change() };
            (Verdict::Failed { reason, message, stalled }, action)
        }
    };
    fold::report(ctx, pol, &mut conds, &old_conds, &verdict, IMAGE_REFLECTOR).await;
    status.observed_generation = pol.meta().generation;
    if let Some(at) = pol.annotations().get(REQUESTED_AT) {
        status.last_handled_reconcile_at = Some(at.clone());
    }
    crate::sync::status_write::write(ctx, pol, (&old, &old_conds), &status, conds).await?;
    Ok(action)
}

#[cfg(test)]
mod tests {
    use glidepath_api::flux::helm_repository::NamespaceSelector;
    use glidepath_api::flux::image::{OrderPolicy, SemVerPolicy};

    use super::*;

    #[test]
    fn exactly_one_policy_choice_is_accepted() {
        let semver = Some(SemVerPolicy { range: ">=1.0.0".into() });
        let alpha = Some(OrderPolicy { order: Some("desc".into()) });
        let one = ImagePolicyChoice { semver: semver.clone(), ..Default::default() };
        assert_eq!(policy(&one), Ok(Policy::Semver { range: ">=1.0.0".into() }));
        let other = ImagePolicyChoice { alphabetical: alpha.clone(), ..Default::default() };
        assert_eq!(policy(&other), Ok(Policy::Alphabetical { order: Order::Desc }));
        let two = ImagePolicyChoice { semver, alphabetical: alpha, ..Default::default() };
        assert!(policy(&two).is_err());
        assert!(policy(&ImagePolicyChoice::default()).is_err());
    }

    #[test]
    fn another_namespace_needs_a_matching_access_from_selector() {
        let labels: BTreeMap<String, String> = [("team".to_string(), "apps".to_string())].into();
        let denied = access_allowed(None, &labels, "flux-system", "podinfo", "apps").unwrap_err();
        assert_eq!(denied, "'flux-system/podinfo' can't be accessed due to missing ACL labels on 'accessFrom'");
        let sel = |k: &str, v: &str| NamespaceSelector { match_labels: Some([(k.to_string(), v.to_string())].into()) };
        let acl = AccessFrom { namespace_selectors: vec![sel("team", "web")] };
        let mismatch = access_allowed(Some(&acl), &labels, "flux-system", "podinfo", "apps").unwrap_err();
        assert!(mismatch.ends_with("ACL labels mismatch on namespace 'apps'"), "{mismatch}");
        let acl = AccessFrom { namespace_selectors: vec![sel("team", "web"), sel("team", "apps")] };
        assert!(access_allowed(Some(&acl), &labels, "flux-system", "podinfo", "apps").is_ok());
        let any = AccessFrom { namespace_selectors: vec![NamespaceSelector { match_labels: None }] };
        assert!(access_allowed(Some(&any), &labels, "flux-system", "podinfo", "apps").is_ok());
    }
}
