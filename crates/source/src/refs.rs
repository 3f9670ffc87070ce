//! Which reference to fetch, Flux's precedence, and resolving it against the remote's advertised refs.

use crate::error::SourceError;

/// Flux's default branch when `spec.ref` is empty.
pub const DEFAULT_BRANCH: &str = "master";

/// The reference to check out, already reduced by Flux's precedence commit > name > semver > tag > branch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GitRef {
    Branch(String),
    Tag(String),
    /// Highest tag whose version matches the range.
    Semver(String),
    /// Any full ref, e.g. `refs/pull/1/head`; the revision shows it in absolute form.
    Name(String),
    /// A commit, optionally reached through a branch (only that branch is fetched).
    Commit {
        sha: String,
        branch: Option<String>,
    },
}

impl Default for GitRef {
    fn default() -> Self {
        GitRef::Branch(DEFAULT_BRANCH.to_owned())
    }
}

impl GitRef {
    /// Apply Flux's precedence to the fields of `spec.ref` (empty strings count as unset).
    pub fn from_fields(
        branch: Option<&str>,
        tag: Option<&str>,
        semver: Option<&str>,
        name: Option<&str>,
        commit: Option<&str>,
    ) -> Self {
        let set = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_owned);
        if let Some(sha) = set(commit) {
            return GitRef::Commit { sha, branch: set(branch) };
        }
        if let Some(n) = set(name) {
            return GitRef::Name(n);
        }
        if let Some(s) = set(semver) {
            return GitRef::Semver(s);
        }
        if let Some(t) = set(tag) {
            return GitRef::Tag(t);
        }
        GitRef::Branch(set(branch).unwrap_or_else(|| DEFAULT_BRANCH.to_owned()))
    }

    /// Refspecs whose remote side lists what this reference needs (ls-refs prefixes).
    pub(crate) fn listing_refspecs(&self) -> Vec<String> {
        match self {
            GitRef::Branch(b) | GitRef::Commit { branch: Some(b), .. } => vec![mirror(&format!("refs/heads/{b}"))],
            GitRef::Tag(t) => vec![mirror(&format!("refs/tags/{t}"))],
            GitRef::Semver(_) => vec![mirror("refs/tags/*")],
            GitRef::Name(n) => vec![mirror(n)],
            GitRef::Commit { branch: None, .. } => vec![mirror("refs/heads/*"), mirror("refs/tags/*")],
        }
    }

    /// A full commit id given by the spec, if this is a commit reference.
    pub(crate) fn full_commit(&self) -> Option<String> {
        match self {
            GitRef::Commit { sha, .. } if sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(sha.to_ascii_lowercase())
            }
            _ => None,
        }
    }

    /// The reference part of the revision string, once the concrete ref is known.
    pub(crate) fn revision_reference(&self, full_name: Option<&str>) -> Option<String> {
        match self {
            GitRef::Branch(b) | GitRef::Commit { branch: Some(b), .. } => Some(b.clone()),
            GitRef::Tag(t) => Some(t.clone()),
            GitRef::Semver(_) => full_name.map(|n| n.strip_prefix("refs/tags/").unwrap_or(n).to_owned()),
            GitRef::Name(n) => Some(n.clone()),
            GitRef::Commit { branch: None, .. } => None,
        }
    }
}

/// `+<ref>:<ref>`: fetch into the same name in the throw-away repository.
fn mirror(name: &str) -> String {
    format!("+{name}:{name}")
}

/// A remote reference as advertised: full name and the commit it (after peeling tags) points to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRef {
    pub name: String,
    pub commit: String,
}

/// Pick the ref for `reference` from the advertised refs. `Commit` references need no advertised ref.
pub(crate) fn select(url: &str, reference: &GitRef, refs: &[RemoteRef]) -> Result<Option<RemoteRef>, SourceError> {
    let exact = |full: String| {
        refs.iter()
            .find(|r| r.name == full)
            .cloned()
            .map(Some)
            .ok_or_else(|| SourceError::ReferenceNotFound { url: url.to_owned(), reference: full })
    };
    match reference {
        GitRef::Branch(b) | GitRef::Commit { branch: Some(b), .. } => exact(format!("refs/heads/{b}")),
        GitRef::Tag(t) => exact(format!("refs/tags/{t}")),
        GitRef::Name(n) => exact(n.clone()),
        GitRef::Semver(range) => highest_matching_tag(url, range, refs).map(Some),
        GitRef::Commit { branch: None, .. } => Ok(None),
    }
}

fn highest_matching_tag(url: &str, range: &str, refs: &[RemoteRef]) -> Result<RemoteRef, SourceError> {
    let alternatives = parse_range(range)?;
    refs.iter()
        .filter_map(|r| {
            let tag = r.name.strip_prefix("refs/tags/")?;
            let version = parse_version(tag)?;
            alternatives.iter().any(|req| req.matches(&version)).then_some((version, r))
        })
        .max_by(|(a, ra), (b, rb)| a.cmp(b).then_with(|| ra.name.cmp(&rb.name)))
        .map(|(_, r)| r.clone())
        .ok_or_else(|| SourceError::NoMatchingTag { url: url.to_owned(), range: range.to_owned() })
}

/// A tag as a version: optional `v` prefix, `1.2` read as `1.2.0` (as Masterminds/semver does).
pub(crate) fn parse_version(tag: &str) -> Option<semver::Version> {
    let t = tag.strip_prefix('v').unwrap_or(tag);
    if let Ok(v) = semver::Version::parse(t) {
        return Some(v);
    }
    let (core, rest) = t.find(['-', '+']).map_or((t, ""), |i| t.split_at(i));
    let parts = core.split('.').count();
    if !(1..3).contains(&parts) || core.split('.').any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let padded = format!("{core}{}{rest}", ".0".repeat(3 - parts));
    semver::Version::parse(&padded).ok()
}

/// Masterminds-style constraints (`>= 1.0 < 2.0`, `^1.2`, `~1.2`, `1.x`, `a || b`) as `semver` requirements.
pub(crate) fn parse_range(range: &str) -> Result<Vec<semver::VersionReq>, SourceError> {
    let invalid = |source| SourceError::InvalidSemver { range: range.to_owned(), source };
    range
        .split("||")
        .map(|alt| {
            let mut comparators: Vec<String> = Vec::new();
            let mut pending_op = String::new();
            for token in alt.split([' ', ',', '\t']).filter(|t| !t.is_empty()) {
                if token.bytes().all(|b| b"<>=!~^".contains(&b)) {
                    pending_op.push_str(token);
                    continue;
                }
                let token = token.strip_prefix('v').unwrap_or(token);
                let (op, ver) = token.split_at(token.find(|c: char| c.is_ascii_alphanumeric()).unwrap_or(0));
                let ver = ver.strip_prefix('v').unwrap_or(ver);
                comparators.push(format!("{pending_op}{op}{ver}"));
                pending_op.clear();
            }
            semver::VersionReq::parse(&comparators.join(", ")).map_err(invalid)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, c: char) -> RemoteRef {
        RemoteRef { name: name.to_owned(), commit: c.to_string().repeat(40) }
    }

    #[test]
    fn precedence_matches_flux() {
        let all = GitRef::from_fields(Some("b"), Some("t"), Some("1.x"), Some("refs/x"), Some("abc1234"));
        assert_eq!(all, GitRef::Commit { sha: "abc1234".into(), branch: Some("b".into()) });
        assert_eq!(
            GitRef::from_fields(Some("b"), Some("t"), Some("1.x"), Some("refs/x"), None),
            GitRef::Name("refs/x".into())
        );
        assert_eq!(
            GitRef::from_fields(Some("b"), Some("t"), Some("1.x"), None, Some("")),
            GitRef::Semver("1.x".into())
        );
        assert_eq!(GitRef::from_fields(Some("b"), Some("t"), None, None, None), GitRef::Tag("t".into()));
        assert_eq!(GitRef::from_fields(None, None, None, None, None), GitRef::Branch("master".into()));
    }

    #[test]
    fn semver_picks_highest_matching_tag() {
        let refs = [
            r("refs/tags/v1.0.0", 'a'),
            r("refs/tags/v1.2.0", 'b'),
            r("refs/tags/v2.0.0-rc.1", 'c'),
            r("refs/heads/v9.0.0", 'd'),
        ];
        let pick = |range: &str| highest_matching_tag("u", range, &refs).map(|r| r.name);
        assert_eq!(pick("1.x").ok().as_deref(), Some("refs/tags/v1.2.0"));
        assert_eq!(pick(">= 1.0.0 < 1.2.0").ok().as_deref(), Some("refs/tags/v1.0.0"));
        assert_eq!(pick(">=1.0.0, <1.2.0").ok().as_deref(), Some("refs/tags/v1.0.0"));
        assert_eq!(pick("*").ok().as_deref(), Some("refs/tags/v1.2.0"), "pre-releases need an explicit range");
        assert_eq!(pick(">=2.0.0-rc.0").ok().as_deref(), Some("refs/tags/v2.0.0-rc.1"));
        assert_eq!(pick("~1.0").ok().as_deref(), Some("refs/tags/v1.0.0"));
        assert_eq!(pick("<1 || 1.2.x").ok().as_deref(), Some("refs/tags/v1.2.0"));
        assert!(matches!(pick("3.x"), Err(SourceError::NoMatchingTag { .. })));
        assert!(matches!(pick("not a range"), Err(SourceError::InvalidSemver { .. })));
    }

    #[test]
    fn versions_accept_v_prefix_and_partial() {
        assert_eq!(parse_version("v1.2"), semver::Version::parse("1.2.0").ok());
        assert_eq!(parse_version("2"), semver::Version::parse("2.0.0").ok());
        assert_eq!(parse_version("v1.2-rc.1"), semver::Version::parse("1.2.0-rc.1").ok());
        assert_eq!(parse_version("latest"), None);
    }

    #[test]
    fn missing_refs_are_named() {
        let err = select("u", &GitRef::Branch("nope".into()), &[r("refs/heads/main", 'a')]);
        assert!(matches!(err, Err(SourceError::ReferenceNotFound { reference, .. }) if reference == "refs/heads/nope"));
    }
}
