//! Defaults and validation of the Flux kinds, in one place.

use std::time::Duration;

use super::git_repository::{GitRepositoryRef, GitRepositorySpec};
use super::kustomization::KustomizationSpec;
use crate::duration;
use crate::field::{FieldError, Validation};

pub const DEFAULT_GIT_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_BRANCH: &str = "master";
pub const DEFAULT_DELETION_POLICY: &str = "MirrorPrune";
const SOURCE_KINDS: &[&str] = &["OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"];
const URL_SCHEMES: &[&str] = &["http://", "https://", "ssh://", "file://"];

/// The Git reference to check out, after Flux's precedence commit > name > semver > tag > branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitReference {
    /// A commit, optionally fetched through a branch (shallow clone, then checkout).
    Commit {
        sha: String,
        branch: Option<String>,
    },
    /// Any full ref, e.g. `refs/pull/420/head`.
    Name(String),
    /// Highest tag matching the semver range.
    Semver(String),
    Tag(String),
    Branch(String),
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl GitRepositoryRef {
    pub fn resolve(&self) -> GitReference {
        if let Some(sha) = non_empty(&self.commit) {
            return GitReference::Commit { sha: sha.to_owned(), branch: non_empty(&self.branch).map(str::to_owned) };
        }
        if let Some(n) = non_empty(&self.name) {
            return GitReference::Name(n.to_owned());
        }
        if let Some(s) = non_empty(&self.semver) {
            return GitReference::Semver(s.to_owned());
        }
        if let Some(t) = non_empty(&self.tag) {
            return GitReference::Tag(t.to_owned());
        }
        GitReference::Branch(non_empty(&self.branch).unwrap_or(DEFAULT_BRANCH).to_owned())
    }
}

impl GitRepositorySpec {
    /// The reference to fetch (default: branch `master`).
    pub fn reference(&self) -> GitReference {
        self.r#ref.as_ref().map_or_else(|| GitReference::Branch(DEFAULT_BRANCH.to_owned()), GitRepositoryRef::resolve)
    }

    /// Reconcile period; `None` when unparseable (validation reports it).
    pub fn interval(&self) -> Option<Duration> {
        duration::parse(&self.interval).ok()
    }

    pub fn timeout(&self) -> Duration {
        non_empty(&self.timeout).and_then(|t| duration::parse(t).ok()).unwrap_or(DEFAULT_GIT_TIMEOUT)
    }

    pub fn suspended(&self) -> bool {
        self.suspend.unwrap_or(false)
    }

    pub fn validate(&self) -> Validation {
        let mut v = Validation::default();
        if self.url.is_empty() {
            v.error(FieldError::required("spec.url", "url is required"));
        } else if !URL_SCHEMES.iter().any(|s| self.url.starts_with(s)) {
            v.error(FieldError::invalid(
                "spec.url",
                format!("{:?} must start with http://, https://, ssh:// or file:// (scp-like user@host:path is not accepted)", self.url),
            ));
        }
        check_required_duration(&mut v, "spec.interval", &self.interval);
        check_optional_duration(&mut v, "spec.timeout", self.timeout.as_deref());
        if let Some(GitReference::Commit { sha, .. }) = self.r#ref.as_ref().map(GitRepositoryRef::resolve)
            && !(sha.len() >= 7 && sha.len() <= 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            v.error(FieldError::invalid("spec.ref.commit", format!("{sha:?} is not a hexadecimal commit id")));
        }
        if let Some(verify) = &self.verify {
            let modes = ["head", "HEAD", "Tag", "TagAndHEAD"];
            if let Some(m) = verify.mode.as_deref().filter(|m| !modes.contains(m)) {
                v.error(FieldError::not_supported("spec.verify.mode", m, &modes));
            }
            if verify.secret_ref.name.is_empty() {
                v.error(FieldError::required("spec.verify.secretRef.name", "name is required"));
            }
        }
        for (i, inc) in self.include.iter().flatten().enumerate() {
            if inc.repository.name.is_empty() {
                v.error(FieldError::required(format!("spec.include[{i}].repository.name"), "name is required"));
            }
            for (field, p) in [("fromPath", &inc.from_path), ("toPath", &inc.to_path)] {
                check_relative_path(&mut v, &format!("spec.include[{i}].{field}"), p.as_deref());
            }
        }
        for (i, p) in self.sparse_checkout.iter().flatten().enumerate() {
            check_relative_path(&mut v, &format!("spec.sparseCheckout[{i}]"), Some(p));
        }
        v
    }
}

impl KustomizationSpec {
    pub fn interval(&self) -> Option<Duration> {
        duration::parse(&self.interval).ok()
    }

    /// Retry period after a failure (default: `interval`).
    pub fn retry_interval(&self) -> Option<Duration> {
        non_empty(&self.retry_interval).and_then(|d| duration::parse(d).ok()).or_else(|| self.interval())
    }

    /// Build + apply + health timeout (default: `interval`).
    pub fn timeout(&self) -> Option<Duration> {
        non_empty(&self.timeout).and_then(|d| duration::parse(d).ok()).or_else(|| self.interval())
    }

    /// Path inside the artifact, default its root.
    pub fn path(&self) -> &str {
        non_empty(&self.path).unwrap_or("./")
    }

    pub fn prune(&self) -> bool {
        self.prune.unwrap_or(false)
    }

    pub fn force(&self) -> bool {
        self.force.unwrap_or(false)
    }

    pub fn wait(&self) -> bool {
        self.wait.unwrap_or(false)
    }

    pub fn suspended(&self) -> bool {
        self.suspend.unwrap_or(false)
    }

    pub fn deletion_policy(&self) -> &str {
        non_empty(&self.deletion_policy).unwrap_or(DEFAULT_DELETION_POLICY)
    }

    pub fn validate(&self) -> Validation {
        let mut v = Validation::default();
        let s = &self.source_ref;
        if s.kind.is_empty() {
            v.error(FieldError::required("spec.sourceRef.kind", "kind is required"));
        } else if !SOURCE_KINDS.contains(&s.kind.as_str()) {
            v.error(FieldError::not_supported("spec.sourceRef.kind", &s.kind, SOURCE_KINDS));
        }
        if s.name.is_empty() {
            v.error(FieldError::required("spec.sourceRef.name", "name is required"));
        }
        check_required_duration(&mut v, "spec.interval", &self.interval);
        check_optional_duration(&mut v, "spec.retryInterval", self.retry_interval.as_deref());
        check_optional_duration(&mut v, "spec.timeout", self.timeout.as_deref());
        if self.prune.is_none() {
            v.error(FieldError::required("spec.prune", "prune is required (true or false)"));
        }
        check_relative_path(&mut v, "spec.path", self.path.as_deref());
        let policies = ["MirrorPrune", "Delete", "WaitForTermination", "Orphan"];
        if let Some(p) = self.deletion_policy.as_deref().filter(|p| !policies.contains(p)) {
            v.error(FieldError::not_supported("spec.deletionPolicy", p, &policies));
        }
        for (field, value, max) in [
            ("targetNamespace", &self.target_namespace, 63),
            ("namePrefix", &self.name_prefix, 200),
            ("nameSuffix", &self.name_suffix, 200),
        ] {
            if let Some(value) = value
                && (value.is_empty() || value.len() > max)
            {
                v.error(FieldError::invalid(format!("spec.{field}"), format!("must be 1 to {max} characters")));
            }
        }
        for (i, h) in self.health_checks.iter().flatten().enumerate() {
            for (field, value) in [("kind", &h.kind), ("name", &h.name)] {
                if value.is_empty() {
                    v.error(FieldError::required(
                        format!("spec.healthChecks[{i}].{field}"),
                        format!("{field} is required"),
                    ));
                }
            }
        }
        for (i, d) in self.depends_on.iter().flatten().enumerate() {
            if d.name.is_empty() {
                v.error(FieldError::required(format!("spec.dependsOn[{i}].name"), "name is required"));
            }
        }
        for (i, p) in self.patches.iter().flatten().enumerate() {
            if p.patch.trim().is_empty() {
                v.error(FieldError::required(format!("spec.patches[{i}].patch"), "patch is required"));
            }
        }
        for (i, img) in self.images.iter().flatten().enumerate() {
            if img.name.is_empty() {
                v.error(FieldError::required(format!("spec.images[{i}].name"), "name is required"));
            }
        }
        if let Some(pb) = &self.post_build {
            for (i, r) in pb.substitute_from.iter().flatten().enumerate() {
                if !["Secret", "ConfigMap"].contains(&r.kind.as_str()) {
                    v.error(FieldError::not_supported(
                        format!("spec.postBuild.substituteFrom[{i}].kind"),
                        &r.kind,
                        &["Secret", "ConfigMap"],
                    ));
                }
                if r.name.is_empty() {
                    v.error(FieldError::required(
                        format!("spec.postBuild.substituteFrom[{i}].name"),
                        "name is required",
                    ));
                }
            }
            let strategies = ["WithVariables", "Always"];
            if let Some(s) = pb.substitute_strategy.as_deref().filter(|s| !strategies.contains(s)) {
                v.error(FieldError::not_supported("spec.postBuild.substituteStrategy", s, &strategies));
            }
        }
        if let Some(d) = &self.decryption
            && d.provider != "sops"
        {
            v.error(FieldError::not_supported("spec.decryption.provider", &d.provider, &["sops"]));
        }
        // Accepted by the schema, not built yet: refused before anything is applied, rather than
        // applying to the wrong cluster, with the wrong identity, or applying encrypted Secrets.
        let sa = self.service_account_name.as_deref().is_some_and(|s| !s.is_empty());
        for (field, set, what) in [
            ("spec.kubeConfig", self.kube_config.is_some(), "remote clusters"),
            ("spec.serviceAccountName", sa, "impersonation"),
            ("spec.decryption", self.decryption.is_some(), "SOPS decryption"),
            ("spec.ignore", self.ignore.as_ref().is_some_and(|i| !i.is_empty()), "drift ignore rules"),
        ] {
            if set {
                v.error(FieldError::forbidden(field, format!("{what} are not supported by Glidepath yet")));
            }
        }
        for (i, r) in self.ignore.iter().flatten().enumerate() {
            if r.paths.is_empty() {
                v.error(FieldError::required(
                    format!("spec.ignore[{i}].paths"),
                    "at least one JSON pointer is required",
                ));
            }
            for (j, p) in r.paths.iter().enumerate() {
                if !p.is_empty() && !p.starts_with('/') {
                    v.error(FieldError::invalid(
                        format!("spec.ignore[{i}].paths[{j}]"),
                        format!("{p:?} is not a JSON pointer"),
                    ));
                }
            }
        }
        v
    }
}

pub(super) fn check_required_duration(v: &mut Validation, field: &str, value: &str) {
    if value.is_empty() {
        v.error(FieldError::required(field, "a duration such as 5m is required"));
    } else {
        check_optional_duration(v, field, Some(value));
    }
}

pub(super) fn check_optional_duration(v: &mut Validation, field: &str, value: Option<&str>) {
    match value.map(duration::parse) {
        Some(Err(e)) => v.error(FieldError::invalid(field, e.to_string())),
        Some(Ok(d)) if d.is_zero() => v.error(FieldError::invalid(field, "must be greater than zero")),
        _ => {}
    }
}

/// A path inside an artifact: relative, and never climbing out of it.
fn check_relative_path(v: &mut Validation, field: &str, path: Option<&str>) {
    let Some(path) = path else { return };
    let mut depth: i32 = 0;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            v.error(FieldError::invalid(field, format!("{path:?} points outside the source")));
            return;
        }
    }
}
