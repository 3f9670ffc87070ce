//! Fetch a reference with gix (blocking) and check it out, with Flux's no-op short-circuit.
//!
//! Two phases: (1) handshake + ls-refs only, to resolve the reference and compare it with the last
//! observed revision (no objects are fetched when unchanged); (2) a fetch of exactly that ref
//! (depth 1 unless a commit is requested) into a throw-away bare repository, then a checkout of the
//! commit's tree. Every call runs on a worker thread bounded by the request's timeout.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use gix::ObjectId;

use crate::auth::{self, Credentials};
use crate::checkout::{self, CheckoutStats};
use crate::error::{SourceError, redact_url};
use crate::refs::{self, GitRef};
use crate::revision::Revision;
use crate::transport;

/// Flux's default `spec.timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What to fetch, from where, and what was seen last time.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    /// `http://`, `https://`, `ssh://` or `file://` URL.
    pub url: String,
    pub reference: GitRef,
    pub credentials: Credentials,
    /// Bound on the whole operation (connect, list, fetch, checkout).
    pub timeout: Duration,
    /// The artifact's revision from the last successful reconcile (`status.artifact.revision`).
    pub last_observed_revision: Option<String>,
    /// Fetch with depth 1 (ignored for `GitRef::Commit`, which needs history). Default `true`.
    pub shallow: bool,
    /// The OpenSSH client used for `ssh://` URLs (default `ssh`, looked up on `PATH`).
    pub ssh_binary: PathBuf,
}

impl FetchRequest {
    pub fn new(url: impl Into<String>, reference: GitRef) -> Self {
        FetchRequest {
            url: url.into(),
            reference,
            credentials: Credentials::default(),
            timeout: DEFAULT_TIMEOUT,
            last_observed_revision: None,
            shallow: true,
            ssh_binary: PathBuf::from("ssh"),
        }
    }
}

/// Result of [`fetch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchOutcome {
    /// The remote still points at `last_observed_revision`; nothing was fetched or written.
    Unchanged { revision: Revision },
    /// The tree of `revision` was written to the checkout directory.
    Fetched { revision: Revision, stats: CheckoutStats },
}

impl FetchOutcome {
    pub fn revision(&self) -> &Revision {
        match self {
            FetchOutcome::Unchanged { revision } | FetchOutcome::Fetched { revision, .. } => revision,
        }
    }
}

/// Resolve the reference on the remote (handshake + ls-refs only) and return its revision.
pub fn remote_revision(req: &FetchRequest) -> Result<Revision, SourceError> {
    let req_owned = req.clone();
    with_deadline(req, move |interrupt| run(&req_owned, None, &interrupt)).map(|o| o.revision().clone())
}

/// Fetch the reference and write its tree into `checkout_dir` (created; must be empty), unless the
/// remote revision equals `last_observed_revision`.
pub fn fetch(req: &FetchRequest, checkout_dir: &Path) -> Result<FetchOutcome, SourceError> {
    let span = tracing::info_span!("git_fetch", url = %redact_url(&req.url), outcome = tracing::field::Empty);
    let _in = span.enter();
    let req_owned = req.clone();
    let dir = checkout_dir.to_owned();
    let out = with_deadline(req, move |interrupt| run(&req_owned, Some(dir), &interrupt));
    let outcome = match &out {
        Ok(FetchOutcome::Unchanged { .. }) => "unchanged",
        Ok(_) => "fetched",
        Err(_) => "error",
    };
    span.record("outcome", outcome);
    out
}

/// Run `work` on a worker thread; give up (and ask it to stop) after `req.timeout`.
fn with_deadline<T: Send + 'static>(
    req: &FetchRequest,
    work: impl FnOnce(Arc<AtomicBool>) -> Result<T, SourceError> + Send + 'static,
) -> Result<T, SourceError> {
    let url = redact_url(&req.url);
    let interrupt = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::sync_channel(1);
    let flag = Arc::clone(&interrupt);
    // The caller's span goes with the work, so its log lines carry the fetch's fields.
    let span = tracing::Span::current();
    std::thread::Builder::new()
        .name("glidepath-git".into())
        .spawn(move || {
            let _in = span.enter();
            let _ = tx.send(work(flag));
        })
        .map_err(|_| SourceError::WorkerLost { url: url.clone() })?;
    match rx.recv_timeout(req.timeout) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            interrupt.store(true, Ordering::SeqCst);
            tracing::warn!(url = %url, timeout = ?req.timeout, "git operation timed out");
            Err(SourceError::Timeout { url, timeout: req.timeout })
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(SourceError::WorkerLost { url }),
    }
}

fn run(req: &FetchRequest, dest: Option<PathBuf>, interrupt: &AtomicBool) -> Result<FetchOutcome, SourceError> {
    let url = redact_url(&req.url);
    transport::validate_url(&req.url)?;
    let last = req.last_observed_revision.as_deref();

    // A full commit id needs no remote lookup to know the revision.
    if let Some(sha) = req.reference.full_commit() {
        let revision = Revision::new(req.reference.revision_reference(None), sha);
        if dest.is_none() || last.is_some_and(|l| revision.same_as(l)) {
            tracing::debug!(url = %url, %revision, "commit reference unchanged");
            return Ok(FetchOutcome::Unchanged { revision });
        }
    }

    let work = tempfile::Builder::new()
        .prefix("glidepath-git-")
        .tempdir()
        .map_err(|source| SourceError::Checkout { path: std::env::temp_dir(), source })?;
    let ssh_program = if transport::is_ssh(&req.url) {
        let dir = work.path().join("ssh");
        std::fs::create_dir(&dir).map_err(|source| SourceError::Checkout { path: dir.clone(), source })?;
        Some(auth::write_ssh_files(&dir, &req.credentials, req.timeout.as_secs().max(1), &req.ssh_binary)?)
    } else {
        None
    };
    let repo = transport::init_repo(&work.path().join("repo"), &url, ssh_program.as_deref())?;
    let setup = transport::Setup::new(req)?;

    // Phase 1: ls-refs.
    let listed = if matches!(req.reference, GitRef::Commit { branch: None, .. }) {
        None
    } else {
        let refs = transport::list(&repo, &setup, &req.reference.listing_refspecs())?;
        refs::select(&url, &req.reference, &refs)?
    };
    let is_commit = matches!(req.reference, GitRef::Commit { .. });
    if let Some(target) = listed.as_ref().filter(|_| !is_commit) {
        let revision = Revision::new(req.reference.revision_reference(Some(&target.name)), target.commit.clone());
        if dest.is_none() || last.is_some_and(|l| revision.same_as(l)) {
            tracing::debug!(url = %url, %revision, "remote revision unchanged, not fetching");
            return Ok(FetchOutcome::Unchanged { revision });
        }
    }
    let Some(dest) = dest else {
        // Only a commit given by a short id gets here (full ids and listed refs returned above).
        let sha = if let GitRef::Commit { sha, .. } = &req.reference { sha.as_str() } else { "" };
        return Err(match parse_id(&url, sha) {
            Err(e) => e,
            Ok(_) => SourceError::ReferenceNotFound { url, reference: format!("{:?}", req.reference) },
        });
    };
    if interrupt.load(Ordering::SeqCst) {
        return Err(SourceError::Timeout { url, timeout: req.timeout });
    }

    // Phase 2: fetch exactly what is needed.
    let (refspecs, shallow) = match &listed {
        // A commit needs the branch's history, not just its tip.
        Some(target) => (vec![format!("+{0}:{0}", target.name)], req.shallow && !is_commit),
        None => (req.reference.listing_refspecs(), false),
    };
    let fetched = transport::fetch(&repo, &setup, &refspecs, shallow, interrupt)?;
    let (reference_name, commit) = match (&listed, &req.reference) {
        (Some(target), GitRef::Commit { sha, .. }) => (Some(target.name.clone()), parse_id(&url, sha)?),
        (Some(target), _) => {
            let now = fetched.iter().find(|r| r.name == target.name).unwrap_or(target);
            (Some(target.name.clone()), parse_id(&url, &now.commit)?)
        }
        (None, GitRef::Commit { sha, .. }) => (None, parse_id(&url, sha)?),
        (None, _) => return Err(SourceError::ReferenceNotFound { url, reference: format!("{:?}", req.reference) }),
    };
    if let GitRef::Commit { sha, .. } = &req.reference
        && !repo.has_object(commit)
    {
        return Err(SourceError::CommitNotFound { url, commit: sha.clone(), fetched: refspecs.join(" ") });
    }
    if interrupt.load(Ordering::SeqCst) {
        return Err(SourceError::Timeout { url, timeout: req.timeout });
    }
    let stats = checkout::write_tree(&repo, &url, commit, &dest, interrupt)?;
    let revision = Revision::new(req.reference.revision_reference(reference_name.as_deref()), commit.to_string());
    tracing::info!(url = %url, %revision, files = stats.files, "fetched and checked out");
    Ok(FetchOutcome::Fetched { revision, stats })
}

fn parse_id(url: &str, hex: &str) -> Result<ObjectId, SourceError> {
    if hex.len() != 40 {
        return Err(SourceError::CommitNotFound {
            url: url.to_owned(),
            commit: hex.to_owned(),
            fetched: "(a full 40-character commit id is required)".into(),
        });
    }
    ObjectId::from_hex(hex.as_bytes()).map_err(|_| SourceError::CommitNotFound {
        url: url.to_owned(),
        commit: hex.to_owned(),
        fetched: "(not a hexadecimal commit id)".into(),
    })
}
