//! ImageUpdateAutomation reconciler (image-automation-controller's): check out the
//! GitRepository's branch with the `git` binary ([`glidepath_source::Workdir`]), write the
//! ImagePolicies' latest images into the marked fields ([`super::update`]), commit with the
//! rendered message, and push; a refused push is retried on a fresh checkout as Flux's
//! `GitPushRetryOnFailure` does. When neither the policies nor the checkout branch's head
//! moved since the last run, nothing is cloned.
//!
//! Commits are signed with `git.commit.signingKey` (OpenPGP through `gpg`, SSH through
//! `ssh-keygen`; an SSH key with a password is refused by name).
//!
//! A commit author without a name is committed under the email (the `git` binary refuses an
//! empty name, go-git does not).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glidepath_api::flux::image::ImageRef;
use glidepath_api::flux::validate::GitReference;
use glidepath_api::flux::{GitRepository, ImagePolicy, ImageUpdateAutomation, ImageUpdateAutomationStatus};
use glidepath_image::AutomationObject;
use glidepath_source::{Credentials, FetchRequest, Signature, Signer, Workdir};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::ListParams;
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};

use super::automation_plan::{self as plan, Refs};
use super::fold::{self, Verdict};
use super::{FINALIZER, REQUESTED_AT};
use crate::sync::{Context, SyncError, finalizers};

/// `reportingController` of the automation's events (Flux's name).
pub const IMAGE_AUTOMATION: &str = "image-automation-controller";
const ACCESS_DENIED: &str = "AccessDenied";
const SOURCE_MANAGER_FAILED: &str = "SourceManagerFailed";
const RETRY: Duration = Duration::from_secs(30);

pub fn error_policy(_o: Arc<ImageUpdateAutomation>, _e: &SyncError, _c: Arc<Context>) -> Action {
    Action::requeue(Duration::from_secs(10))
}

/// What a run did.
#[derive(Debug)]
enum Ran {
    /// Neither policies nor the remote moved: no checkout.
    Skipped,
    UpToDate {
        revision: String,
    },
    Pushed {
        revision: String,
        commit: String,
        branch: String,
        message: String,
    },
}

type Failure = (&'static str, String, bool);

/// One reconcile of an ImageUpdateAutomation.
pub async fn reconcile(auto: Arc<ImageUpdateAutomation>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    if auto.meta().deletion_timestamp.is_some() {
        finalizers::release(&ctx, &*auto, FINALIZER).await?;
        return Ok(Action::await_change());
    }
    finalizers::ensure(&ctx, &*auto, FINALIZER).await?;
    if auto.spec.suspended() {
        return Ok(Action::await_change());
    }
    let started = Timestamp::now();
    let mut status = auto.status.clone().unwrap_or_default();
    let ran = run(&auto, &ctx, &mut status, started).await;
    finish(&ctx, &auto, status, ran, started).await
}

async fn run(
    auto: &ImageUpdateAutomation,
    ctx: &Context,
    status: &mut ImageUpdateAutomationStatus,
    now: Timestamp,
) -> Result<Ran, Failure> {
    let own = auto.namespace().unwrap_or_default();
    let src = &auto.spec.source_ref;
    let src_ns = src.namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| own.clone());
    if src_ns != own && ctx.settings.no_cross_namespace_refs {
        let m =
            format!("can't access 'GitRepository/{src_ns}/{}', cross-namespace references have been blocked", src.name);
        return Err((ACCESS_DENIED, m, true));
    }
    let repo = source(ctx, &src_ns, &src.name, &auto.spec.source_ref.kind).await?;
    let refs = plan::refs(&auto.spec, repo.spec.r#ref.as_ref()).map_err(|(r, m)| (r, m, true))?;
    let credentials = crate::sync::git::credentials(ctx, &src_ns, &repo.spec).await.map_err(|(_, m, stalled)| {
        (SOURCE_MANAGER_FAILED, format!("failed configuring source manager: {m}"), stalled)
    })?;
    let signer = signer(ctx, auto, &own).await?;
    let observed = policies(ctx, auto, &own).await?;
    let full = plan::sync_needed(status.observed_policies.as_ref(), &observed, &refs);
    let job = Job {
        url: repo.spec.url.clone(),
        credentials,
        signer,
        timeout: repo.spec.timeout(),
        checkout: refs.checkout.resolve(),
        skip_at: (!full).then(|| status.observed_source_revision.clone()).flatten(),
        update_path: auto.spec.update_path().to_owned(),
        values: plan::setter_values(&own, &observed),
        refs,
        message: message_inputs(auto, &own),
        interval: auto.spec.interval(),
        when: now.as_second(),
    };
    let span = tracing::Span::current();
    let ran = tokio::task::spawn_blocking(move || span.in_scope(|| job.run()))
        .await
        .map_err(|e| (plan::GIT_OPERATION_FAILED, format!("git task failed: {e}"), false))??;
    if !matches!(ran, Ran::Skipped) {
        status.observed_policies = Some(observed);
    }
    Ok(ran)
}

/// The GitRepository, or Flux's reasons for not having one.
async fn source(ctx: &Context, ns: &str, name: &str, kind: &str) -> Result<GitRepository, Failure> {
    if kind != "GitRepository" {
        let m = format!("source kind '{kind}' not supported: invalid source configuration");
        return Err((plan::INVALID_SOURCE_CONFIG, m, true));
    }
    let api: Api<GitRepository> = Api::namespaced(ctx.client.clone(), ns);
    let fail = |m: String| (SOURCE_MANAGER_FAILED, format!("failed configuring source manager: {m}"), false);
    match api.get_opt(name).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(fail(format!("failed to get source: GitRepository '{ns}/{name}' not found"))),
        Err(e) => Err(fail(format!("failed to get source GitRepository '{ns}/{name}': {e}"))),
    }
}

/// The commit signer from `spec.git.commit.signingKey` (Flux's `getSigningEntity` messages).
async fn signer(ctx: &Context, auto: &ImageUpdateAutomation, ns: &str) -> Result<Option<Signer>, Failure> {
    let Some(key) = auto.spec.git.as_ref().and_then(|g| g.commit.signing_key.as_ref()) else { return Ok(None) };
    let name = &key.secret_ref.name;
    let fail = |m: String| (SOURCE_MANAGER_FAILED, format!("failed configuring source manager: {m}"), false);
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let secret = match secrets.get_opt(name).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(fail(format!("could not find signing key secret '{ns}/{name}'"))),
        Err(e) => return Err(fail(format!("could not read signing key secret '{ns}/{name}': {e}"))),
    };
    let data = secret.data.unwrap_or_default();
    let get = |k: &str| data.get(k).filter(|v| !v.0.is_empty()).map(|v| glidepath_source::Secret::new(v.0.clone()));
    if key.r#type.as_deref() == Some("ssh") {
        let identity = get("identity")
            .ok_or_else(|| fail(format!("signing key secret '{ns}/{name}' does not contain an 'identity' key")))?;
        if get("password").is_some() {
            let m = format!(
                "signing key secret '{ns}/{name}': SSH keys with a password are not supported by Glidepath; store the key unencrypted"
            );
            return Err(("InvalidSpec", m, true));
        }
        return Ok(Some(Signer::Ssh { identity }));
    }
    let armored = get("git.asc")
        .ok_or_else(|| fail(format!("signing key secret '{ns}/{name}' does not contain a 'git.asc' key")))?;
    Ok(Some(Signer::OpenPgp { armored, passphrase: get("passphrase") }))
}

/// The namespace's ImagePolicies the selector picks, with a latest image.
async fn policies(
    ctx: &Context,
    auto: &ImageUpdateAutomation,
    ns: &str,
) -> Result<BTreeMap<String, ImageRef>, Failure> {
    let mut params = ListParams::default();
    if let Some(sel) = &auto.spec.policy_selector {
        let selector = kube::core::Selector::try_from(sel.clone())
            .map_err(|e| ("InvalidPolicySelector", format!("failed to parse spec.policySelector: {e}"), true))?;
        params = params.labels_from(&selector);
    }
    let api: Api<ImagePolicy> = Api::namespaced(ctx.client.clone(), ns);
    let list = api.list(&params).await.map_err(|e| ("Failure", format!("failed to list policies: {e}"), false))?;
    Ok(plan::observed_policies(&list.items))
}

fn message_inputs(auto: &ImageUpdateAutomation, ns: &str) -> MessageInputs {
    let commit = auto.spec.git.as_ref().map(|g| g.commit.clone()).unwrap_or_default();
    let name = commit.author.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| commit.author.email.clone());
    MessageInputs {
        template: commit.message_template.unwrap_or_default(),
        values: commit.message_template_values.unwrap_or_default(),
        automation: AutomationObject { namespace: ns.to_owned(), name: auto.name_any() },
        author: (name, commit.author.email),
    }
}

#[derive(Debug)]
struct MessageInputs {
    template: String,
    values: BTreeMap<String, String>,
    automation: AutomationObject,
    author: (String, String),
}

/// Everything the blocking Git work needs.
#[derive(Debug)]
struct Job {
    url: String,
    credentials: Credentials,
    signer: Option<Signer>,
    timeout: Duration,
    refs: Refs,
    checkout: GitReference,
    /// Skip the run when the checkout's remote revision is still this.
    skip_at: Option<String>,
    update_path: String,
    values: BTreeMap<String, glidepath_image::ImageRef>,
    message: MessageInputs,
    interval: Duration,
    when: i64,
}

fn git_failed(e: impl std::error::Error) -> Failure {
    (plan::GIT_OPERATION_FAILED, format!("failed to checkout source: {}", crate::error_chain(&e)), false)
}

impl Job {
    fn run(&self) -> Result<Ran, Failure> {
        let tmp = tempfile::Builder::new().prefix("glidepath-automation-").tempdir().map_err(git_failed)?;
        let mut w =
            Workdir::init(&tmp.path().join("repo"), &self.url, &self.credentials, self.timeout).map_err(git_failed)?;
        if let Some(signer) = &self.signer {
            w.sign_with(signer).map_err(|e| {
                let m = format!(
                    "failed configuring source manager: failed to read signing key: {}",
                    crate::error_chain(&e)
                );
                (SOURCE_MANAGER_FAILED, m, false)
            })?;
        }
        let Some((revision, commit)) = self.checkout(&w)? else { return Ok(Ran::Skipped) };
        let local = self.start_push_branch(&w, &commit)?;
        let first_failure = Instant::now();
        let mut attempt = 1;
        loop {
            let changes = super::update::apply_setters(w.path(), &self.update_path, &self.values).map_err(|e| {
                (plan::UPDATE_FAILED, format!("failed to apply policies: {}", crate::error_chain(&e)), false)
            })?;
            if changes.is_empty() {
                return Ok(Ran::UpToDate { revision });
            }
            let m = &self.message;
            let text = glidepath_image::commit_message(&m.template, &m.automation, &changes, &m.values)
                .map_err(|e| (plan::GIT_OPERATION_FAILED, format!("failed to update source: {e}"), false))?;
            let who = Signature { name: m.author.0.clone(), email: m.author.1.clone(), when: self.when };
            let update_failed = |e: glidepath_source::WorkdirError| {
                (plan::GIT_OPERATION_FAILED, format!("failed to update source: {}", crate::error_chain(&e)), false)
            };
            let Some(pushed) = w.commit_all(&who, &text).map_err(update_failed)? else {
                return Ok(Ran::UpToDate { revision });
            };
            let target = format!("{local}:refs/heads/{}", self.refs.push_branch);
            let result = if self.refs.push_branch.is_empty() { Ok(()) } else { w.push(&target, &self.refs.options) };
            match result {
                Ok(()) => {
                    if let Some(spec) = &self.refs.refspec {
                        w.push(spec, &self.refs.options).map_err(update_failed)?;
                    }
                    let branch = self.refs.push_branch.clone();
                    tracing::info!(commit = %pushed, branch = %branch, "pushed commit to push branch");
                    // With a separate push branch, the checkout branch's revision is what was observed.
                    let revision = if self.refs.switch_branch { revision } else { format!("{branch}@sha1:{pushed}") };
                    return Ok(Ran::Pushed { revision, commit: pushed, branch, message: text });
                }
                Err(e) => {
                    let jitter = f64::from(Timestamp::now().subsec_nanosecond().unsigned_abs() % 1000) / 1000.0;
                    let Some(delay) = plan::push_retry_delay(attempt, first_failure.elapsed(), self.interval, jitter)
                    else {
                        let why = crate::error_chain(&e);
                        let why = if attempt > 1 { format!("giving up after {attempt} attempts: {why}") } else { why };
                        return Err((plan::GIT_OPERATION_FAILED, format!("failed to update source: {why}"), false));
                    };
                    tracing::info!(attempt, delay_ms = delay.as_millis() as u64, error = %crate::error_chain(&e), "push failed, retrying");
                    std::thread::sleep(delay);
                    let head = w.fetch(&format!("refs/heads/{}", self.refs.push_branch), false).map_err(git_failed)?;
                    w.checkout(&local, &head).map_err(git_failed)?;
                    attempt += 1;
                }
            }
        }
    }

    /// Fetches the checkout ref: `(revision, commit)`, or `None` when it is still `skip_at`.
    fn checkout(&self, w: &Workdir) -> Result<Option<(String, String)>, Failure> {
        let (revision, commit) = match &self.checkout {
            GitReference::Branch(b) => {
                let head = w.remote_branch(b).map_err(git_failed)?.ok_or_else(|| {
                    git_failed(std::io::Error::other(format!("couldn't find remote ref \"refs/heads/{b}\"")))
                })?;
                if self.skip_at.as_deref() == Some(format!("{b}@sha1:{head}").as_str()) {
                    return Ok(None);
                }
                let commit = w.fetch(&format!("refs/heads/{b}"), false).map_err(git_failed)?;
                (format!("{b}@sha1:{commit}"), commit)
            }
            GitReference::Tag(t) => {
                w.fetch(&format!("refs/tags/{t}"), false).map_err(git_failed)?;
                let commit = w.rev_parse("FETCH_HEAD^{commit}").map_err(git_failed)?;
                (format!("{t}@sha1:{commit}"), commit)
            }
            GitReference::Semver(range) => {
                let mut req = FetchRequest::new(self.url.clone(), glidepath_source::GitRef::Semver(range.clone()));
                req.credentials = self.credentials.clone();
                req.timeout = self.timeout;
                let rev = glidepath_source::remote_revision(&req).map_err(git_failed)?;
                let tag = rev.reference.clone().unwrap_or_default();
                w.fetch(&format!("refs/tags/{tag}"), false).map_err(git_failed)?;
                let commit = w.rev_parse("FETCH_HEAD^{commit}").map_err(git_failed)?;
                (format!("{tag}@sha1:{commit}"), commit)
            }
            GitReference::Name(n) => {
                w.fetch(n, false).map_err(git_failed)?;
                let commit = w.rev_parse("FETCH_HEAD^{commit}").map_err(git_failed)?;
                (format!("{n}@sha1:{commit}"), commit)
            }
            GitReference::Commit { sha, branch } => {
                let from = branch
                    .as_ref()
                    .map_or("+refs/heads/*:refs/remotes/origin/*".to_owned(), |b| format!("refs/heads/{b}"));
                w.fetch(&from, true).map_err(git_failed)?;
                let commit = w.rev_parse(&format!("{sha}^{{commit}}")).map_err(git_failed)?;
                let revision = branch.as_ref().map_or(format!("sha1:{commit}"), |b| format!("{b}@sha1:{commit}"));
                (revision, commit)
            }
        };
        Ok(Some((revision, commit)))
    }

    /// Checks out the local push branch: the remote push branch when it exists and differs
    /// from the checkout branch (Flux's SwitchBranch), else the checked-out commit.
    fn start_push_branch(&self, w: &Workdir, commit: &str) -> Result<String, Failure> {
        let local =
            if self.refs.push_branch.is_empty() { "automation".to_owned() } else { self.refs.push_branch.clone() };
        let mut start = commit.to_owned();
        if self.refs.switch_branch && w.remote_branch(&local).map_err(git_failed)?.is_some() {
            start = w.fetch(&format!("refs/heads/{local}"), false).map_err(git_failed)?;
        }
        w.checkout(&local, &start).map_err(git_failed)?;
        Ok(local)
    }
}

async fn finish(
    ctx: &Context,
    auto: &ImageUpdateAutomation,
    mut status: ImageUpdateAutomationStatus,
    ran: Result<Ran, Failure>,
    started: Timestamp,
) -> Result<Action, SyncError> {
    let old = auto.status.clone().unwrap_or_default();
    let old_conds = old.conditions.clone().unwrap_or_default();
    let mut conds = status.conditions.take().unwrap_or_default();
    let interval = auto.spec.interval();
    status.last_automation_run_time = Some(Time(started));
    let (verdict, action) = match ran {
        Ok(ran) => {
            match ran {
                Ran::Skipped => {}
                Ran::UpToDate { revision } => status.observed_source_revision = Some(revision),
                Ran::Pushed { revision, commit, branch, message } => {
                    status.observed_source_revision = Some(revision);
                    status.last_push_commit = Some(commit.clone());
                    status.last_push_time = Some(Time(Timestamp::now()));
                    let text = plan::push_event(&commit, &branch, &message);
                    ctx.publish(auto, false, crate::sync::conditions::SUCCEEDED, &text, &[], IMAGE_AUTOMATION).await;
                }
            }
            (Verdict::Ready(plan::UP_TO_DATE.to_owned()), Action::requeue(interval))
        }
        Err((reason, message, stalled)) => {
            let action = if stalled { Action::await_change() } else { Action::requeue(RETRY.min(interval)) };
            (Verdict::Failed { reason, message, stalled }, action)
        }
    };
    fold::report(ctx, auto, &mut conds, &old_conds, &verdict, IMAGE_AUTOMATION).await;
    status.observed_generation = auto.meta().generation;
    if let Some(at) = auto.annotations().get(REQUESTED_AT) {
        status.last_handled_reconcile_at = Some(at.clone());
    }
    crate::sync::status_write::write(ctx, auto, (&old, &old_conds), &status, conds).await?;
    Ok(action)
}
