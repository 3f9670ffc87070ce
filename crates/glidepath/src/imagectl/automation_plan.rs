//! image-automation-controller's decisions, pure: which refs to check out and push, which
//! policies count, when a run can be skipped, how a refused push is retried, and the status
//! a run leaves (`internal/controller/imageupdateautomation_controller.go`, `push_retry.go`).

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_api::flux::ImagePolicy;
use glidepath_api::flux::git_repository::GitRepositoryRef;
use glidepath_api::flux::image::ImageRef;
use glidepath_api::flux::image_automation::ImageUpdateAutomationSpec;
use kube::ResourceExt;

/// Flux's `readyMessage`.
pub const UP_TO_DATE: &str = "repository up-to-date";
pub const INVALID_SOURCE_CONFIG: &str = "InvalidSourceConfig";
pub const INVALID_UPDATE_STRATEGY: &str = "InvalidUpdateStrategy";
pub const GIT_OPERATION_FAILED: &str = "GitOperationFailed";
pub const UPDATE_FAILED: &str = "UpdateFailed";

/// Flux's push retry (`push_retry.go`): attempts including the first, base delay (doubled
/// per retry), jitter fraction and the budget after the first failure.
pub const PUSH_ATTEMPTS: u32 = 5;
pub const PUSH_RETRY_BASE: Duration = Duration::from_secs(2);
pub const PUSH_RETRY_JITTER: f64 = 0.5;
pub const PUSH_RETRY_BUDGET: Duration = Duration::from_secs(120);

/// Where a run starts from and where it pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refs {
    /// The ref to check out (`spec.git.checkout.ref`, else the GitRepository's).
    pub checkout: GitRepositoryRef,
    /// The branch commits go to; the local branch has the same name.
    pub push_branch: String,
    /// The push branch differs from the checkout branch.
    pub switch_branch: bool,
    pub refspec: Option<String>,
    pub options: BTreeMap<String, String>,
}

/// A spec that cannot run: `(reason, message)`, stalled.
pub type Refusal = (&'static str, String);

/// The refs of a run, or Flux's refusal (`NewSourceManager`, `buildGitConfig`).
pub fn refs(spec: &ImageUpdateAutomationSpec, repo_ref: Option<&GitRepositoryRef>) -> Result<Refs, Refusal> {
    let kind = spec.source_ref.kind.as_str();
    if kind != "GitRepository" {
        return Err((
            INVALID_SOURCE_CONFIG,
            format!("source kind '{kind}' not supported: invalid source configuration"),
        ));
    }
    let Some(git) = &spec.git else {
        let m = "source kind 'GitRepository' necessitates field .spec.git: invalid source configuration";
        return Err((INVALID_SOURCE_CONFIG, m.into()));
    };
    let checkout = git.checkout.as_ref().map(|c| c.reference.clone()).or_else(|| repo_ref.cloned()).unwrap_or_default();
    let checkout_branch = checkout.branch.clone().filter(|b| !b.is_empty());
    let push = git.push.as_ref();
    let push_branch = push.and_then(|p| p.branch.clone()).filter(|b| !b.is_empty());
    let refspec = push.and_then(|p| p.refspec.clone()).filter(|r| !r.is_empty());
    let (push_branch, switch_branch) = match (push_branch, &checkout_branch) {
        (Some(p), c) => {
            let switch = c.as_deref() != Some(p.as_str());
            (p, switch)
        }
        (None, Some(c)) => (c.clone(), false),
        (None, None) if refspec.is_some() => (String::new(), false),
        (None, None) => {
            let m = "push spec not provided, and cannot be inferred from .spec.git.checkout.ref or GitRepository .spec.ref: invalid source configuration";
            return Err((INVALID_SOURCE_CONFIG, m.into()));
        }
    };
    if spec.update.as_ref().is_none_or(|u| u.strategy != "Setters") {
        let m = "no known update strategy is given for object".to_owned();
        return Err((INVALID_UPDATE_STRATEGY, m));
    }
    let options = push.and_then(|p| p.options.clone()).unwrap_or_default();
    Ok(Refs { checkout, push_branch, switch_branch, refspec, options })
}

/// The policies that have a latest image, by name (`status.observedPolicies`).
pub fn observed_policies(policies: &[ImagePolicy]) -> BTreeMap<String, ImageRef> {
    let ready = policies.iter().filter_map(|p| Some((p.name_any(), p.status.as_ref()?.latest_ref.clone()?)));
    ready.filter(|(_, r)| !r.name.is_empty() && !r.tag.is_empty()).collect()
}

/// The setters' view of the same policies: `"<ns>:<name>"` → image.
pub fn setter_values(
    namespace: &str,
    observed: &BTreeMap<String, ImageRef>,
) -> BTreeMap<String, glidepath_image::ImageRef> {
    let one = |(name, r): (&String, &ImageRef)| {
        let image = glidepath_image::ImageRef {
            name: r.name.clone(),
            tag: r.tag.clone(),
            digest: r.digest.clone().unwrap_or_default(),
        };
        (format!("{namespace}:{name}"), image)
    };
    observed.iter().map(one).collect()
}

/// Whether a full run is needed though the checkout's remote head may not have moved: the
/// policies changed, or the push target differs from the checkout (its head is not observed).
pub fn sync_needed(
    previous: Option<&BTreeMap<String, ImageRef>>,
    current: &BTreeMap<String, ImageRef>,
    refs: &Refs,
) -> bool {
    refs.switch_branch || refs.refspec.is_some() || previous.is_none_or(|p| p != current)
}

/// The delay before push attempt `attempt + 1` (1-based `attempt` failed), or `None` to give
/// up: after [`PUSH_ATTEMPTS`], or when the retry would start later than min(interval/2,
/// budget) after the first failure. `jitter` in [0, 1) scales Flux's up-to-50% jitter.
pub fn push_retry_delay(
    attempt: u32,
    since_first_failure: Duration,
    interval: Duration,
    jitter: f64,
) -> Option<Duration> {
    if attempt >= PUSH_ATTEMPTS {
        return None;
    }
    let base = PUSH_RETRY_BASE.saturating_mul(1 << (attempt - 1).min(16));
    let delay = base.mul_f64(1.0 + PUSH_RETRY_JITTER * jitter.clamp(0.0, 1.0));
    let budget = (interval / 2).min(PUSH_RETRY_BUDGET);
    (since_first_failure + delay <= budget).then_some(delay)
}

/// The event text of a push (Flux's `notify`): hash, ref and the commit message.
pub fn push_event(commit: &str, branch: &str, message: &str) -> String {
    format!("pushed commit '{commit}' to 'refs/heads/{branch}'\n{message}")
}

/// `PushResult.Summary`: what the log and the Ready history say about a push.
pub fn push_summary(commit: &str, branch: &str, refspec: Option<&str>) -> String {
    let short = commit.get(..7).unwrap_or(commit);
    let mut s = format!("pushed commit '{short}' to branch '{branch}'");
    if let Some(r) = refspec {
        s.push_str(&format!(" and refspecs '{r}'"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use glidepath_api::flux::image_automation::{
        AutomationSourceReference, GitCheckoutSpec, GitSpec, PushSpec, UpdateStrategy,
    };

    fn spec(checkout: Option<&str>, push: Option<&str>) -> ImageUpdateAutomationSpec {
        let branch = |b: &str| GitRepositoryRef { branch: Some(b.into()), ..Default::default() };
        ImageUpdateAutomationSpec {
            source_ref: AutomationSourceReference {
                kind: "GitRepository".into(),
                name: "r".into(),
                ..Default::default()
            },
            git: Some(GitSpec {
                checkout: checkout.map(|c| GitCheckoutSpec { reference: branch(c) }),
                push: push.map(|p| PushSpec { branch: Some(p.into()), ..Default::default() }),
                ..Default::default()
            }),
            update: Some(UpdateStrategy { path: None, strategy: "Setters".into() }),
            interval: "1m".into(),
            ..Default::default()
        }
    }

    #[test]
    fn push_branch_defaults_to_the_checkout_branch() {
        let r = refs(&spec(Some("main"), None), None).unwrap();
        assert_eq!((r.push_branch.as_str(), r.switch_branch), ("main", false));
        let r = refs(&spec(Some("main"), Some("auto")), None).unwrap();
        assert_eq!((r.push_branch.as_str(), r.switch_branch), ("auto", true));
        let repo = GitRepositoryRef { branch: Some("dev".into()), ..Default::default() };
        let r = refs(&spec(None, None), Some(&repo)).unwrap();
        assert_eq!((r.checkout.branch.as_deref(), r.push_branch.as_str()), (Some("dev"), "dev"));
    }

    #[test]
    fn refusals_name_what_is_missing() {
        let tag = GitRepositoryRef { tag: Some("v1".into()), ..Default::default() };
        let (reason, m) = refs(&spec(None, None), Some(&tag)).unwrap_err();
        assert_eq!(reason, INVALID_SOURCE_CONFIG);
        assert!(m.contains("cannot be inferred"), "{m}");
        let mut s = spec(Some("main"), None);
        s.source_ref.kind = "Bucket".into();
        assert!(refs(&s, None).unwrap_err().1.contains("source kind 'Bucket' not supported"));
        let mut s = spec(Some("main"), None);
        s.git = None;
        assert!(refs(&s, None).unwrap_err().1.contains("necessitates field .spec.git"));
        let mut s = spec(Some("main"), None);
        s.update = None;
        assert_eq!(refs(&s, None).unwrap_err().0, INVALID_UPDATE_STRATEGY);
    }

    #[test]
    fn a_changed_policy_or_a_second_branch_needs_a_full_run() {
        let r = refs(&spec(Some("main"), None), None).unwrap();
        let a: BTreeMap<_, _> =
            [("p".to_string(), ImageRef { name: "n".into(), tag: "1".into(), digest: None })].into();
        assert!(sync_needed(None, &a, &r));
        assert!(!sync_needed(Some(&a), &a, &r));
        let mut b = a.clone();
        b.get_mut("p").unwrap().tag = "2".into();
        assert!(sync_needed(Some(&a), &b, &r));
        let switch = refs(&spec(Some("main"), Some("auto")), None).unwrap();
        assert!(sync_needed(Some(&a), &a, &switch));
    }

    #[test]
    fn push_retries_double_and_stop_at_the_budget() {
        let hour = Duration::from_secs(3600);
        assert_eq!(push_retry_delay(1, Duration::ZERO, hour, 0.0), Some(Duration::from_secs(2)));
        assert_eq!(push_retry_delay(2, Duration::from_secs(2), hour, 0.0), Some(Duration::from_secs(4)));
        assert_eq!(push_retry_delay(3, Duration::ZERO, hour, 1.0), Some(Duration::from_secs(12)));
        assert_eq!(push_retry_delay(PUSH_ATTEMPTS, Duration::ZERO, hour, 0.0), None);
        // A 10 s interval leaves a 5 s budget: one 2 s retry, then the 4 s one would overrun.
        let short = Duration::from_secs(10);
        assert!(push_retry_delay(1, Duration::ZERO, short, 0.0).is_some());
        assert_eq!(push_retry_delay(2, Duration::from_secs(2), short, 0.0), None);
    }

    #[test]
    fn setter_keys_are_namespace_and_name() {
        let a: BTreeMap<_, _> = [(
            "p".to_string(),
            ImageRef { name: "reg/app".into(), tag: "1.0.0".into(), digest: Some("sha256:x".into()) },
        )]
        .into();
        let v = setter_values("apps", &a);
        assert_eq!(v["apps:p"].digest, "sha256:x");
        assert_eq!(
            push_summary("0123456789", "main", Some("refs/heads/main:refs/heads/x")),
            "pushed commit '0123456' to branch 'main' and refspecs 'refs/heads/main:refs/heads/x'"
        );
    }
}
