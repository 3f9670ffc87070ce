//! What the commit-status providers share (`util.go`): the repository address, the commit an
//! event is about, the status context, and the "same status already set" check.

use reqwest::Url;
use serde_json::Value;

use crate::event::{META_COMMIT, META_REVISION};
use crate::{Event, NotifyError, ProviderConfig, default_commit_status_id};

/// A repository address split into the server (`scheme://host[:port]`) and the repository
/// path without `.git` (`owner/repo`, `group/sub/project`, `org/proj/_git/repo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GitAddress {
    pub(crate) base: Url,
    pub(crate) id: String,
}

fn invalid(kind: &str, reason: &str) -> NotifyError {
    NotifyError::CreateInvalidConfig { kind: kind.to_string(), reason: reason.to_string() }
}

/// Parse an http(s), `ssh://` or scp-like (`git@host:owner/repo.git`) address; SSH becomes
/// https, as Flux does.
pub(crate) fn parse_git_address(kind: &str, address: &str) -> Result<GitAddress, NotifyError> {
    let address = address.trim();
    let no_path = || invalid(kind, "address has no repository path");
    let (scheme, authority, path) = match address.split_once("://") {
        Some((scheme @ ("http" | "https" | "ssh"), rest)) => {
            let (authority, path) = rest.split_once('/').ok_or_else(no_path)?;
            (if scheme == "ssh" { "https" } else { scheme }, authority, path)
        }
        Some(_) => return Err(invalid(kind, "address must be an http(s) or ssh Git URL")),
        // scp-like: [user@]host:path
        None => {
            let (authority, path) = address.split_once(':').ok_or_else(no_path)?;
            ("https", authority, path)
        }
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let base =
        Url::parse(&format!("{scheme}://{host}")).map_err(|_| invalid(kind, "address is not a valid Git URL"))?;
    let id = path.trim_start_matches('/').trim_end_matches('/').trim_end_matches(".git").to_string();
    if id.is_empty() {
        return Err(no_path());
    }
    Ok(GitAddress { base, id })
}

/// Split `id` into exactly `n` path segments.
pub(crate) fn segments(kind: &str, id: &str, n: usize) -> Result<Vec<String>, NotifyError> {
    let parts: Vec<String> = id.split('/').map(str::to_string).collect();
    if parts.len() != n || parts.iter().any(String::is_empty) {
        return Err(invalid(kind, &format!("the repository path must have {n} segments")));
    }
    Ok(parts)
}

/// `base` with `segments` appended, each percent-encoded (so `group/project` as one segment
/// becomes `group%2Fproject`).
pub(crate) fn api_url(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut segs) = url.path_segments_mut() {
        segs.pop_if_empty().extend(segments);
    }
    url
}

/// The token, required by most git providers.
pub(crate) fn require_token(cfg: &ProviderConfig) -> Result<(), NotifyError> {
    if cfg.token.is_empty() {
        return Err(invalid(&cfg.provider_type, "the token is empty"));
    }
    Ok(())
}

/// The commit an event is about: its `commit` metadata, else the hash in its `revision`
/// (`main@sha1:<hex>`, `sha1:<hex>`, legacy `main/<hex>`, or a bare hash).
pub(crate) fn commit_of(kind: &str, event: &Event) -> Result<String, NotifyError> {
    let fail = |reason: String| NotifyError::ReadEvent { kind: kind.to_string(), reason };
    if let Some(commit) = event.metadata_value(META_COMMIT).filter(|c| !c.is_empty()) {
        return Ok(commit.to_string());
    }
    let revision = event.metadata_value(META_REVISION).ok_or_else(|| fail("missing revision metadata".into()))?;
    parse_revision(revision).ok_or_else(|| fail(format!("failed to extract commit hash from {revision:?} revision")))
}

/// The SHA-1 or SHA-256 commit hash in a Flux revision string.
pub(crate) fn parse_revision(revision: &str) -> Option<String> {
    let hash = revision.rsplit_once('@').map_or(revision, |(_, h)| h);
    let hash = hash.strip_prefix("sha1:").or_else(|| hash.strip_prefix("sha256:")).unwrap_or(hash);
    let hash = hash.rsplit_once('/').map_or(hash, |(_, h)| h);
    let valid = matches!(hash.len(), 40 | 64) && hash.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| hash.to_lowercase())
}

/// The commit-status context: the caller's evaluated `commitStatusExpr`, else the default id.
pub(crate) fn status_id(commit_status: Option<&str>, provider_uid: &str, event: &Event) -> String {
    match commit_status {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => default_commit_status_id(provider_uid, event),
    }
}

/// Whether the newest status in `statuses` with context `context` (under `context_key`)
/// already has `state` and `description` (`duplicateGithubStatus` and friends).
pub(crate) fn is_duplicate(statuses: &[Value], context_key: &str, state_key: &str, want: [&str; 3]) -> bool {
    let [context, state, description] = want;
    let field = |s: &Value, k: &str| s.pointer(k).and_then(Value::as_str).map(str::to_string);
    for s in statuses {
        let (Some(c), Some(st), Some(d)) = (field(s, context_key), field(s, state_key), field(s, "/description"))
        else {
            continue;
        };
        if c == context {
            return st == state && d == description;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_git_addresses() {
        let a = parse_git_address("github", "https://github.com/fluxcd/flux2.git").unwrap();
        assert_eq!((a.base.as_str(), a.id.as_str()), ("https://github.com/", "fluxcd/flux2"));
        let a = parse_git_address("gitlab", "git@gitlab.com:group/sub/project.git").unwrap();
        assert_eq!((a.base.as_str(), a.id.as_str()), ("https://gitlab.com/", "group/sub/project"));
        let a = parse_git_address("gitea", "ssh://git@gitea.local:2222/owner/repo").unwrap();
        assert_eq!((a.base.as_str(), a.id.as_str()), ("https://gitea.local:2222/", "owner/repo"));
        let a = parse_git_address("github", "http://127.0.0.1:8080/o/r").unwrap();
        assert_eq!((a.base.as_str(), a.id.as_str()), ("http://127.0.0.1:8080/", "o/r"));
        assert!(parse_git_address("github", "ftp://x/o/r").is_err());
        assert!(parse_git_address("github", "https://github.com").is_err());
    }

    #[test]
    fn extracts_commit_hashes() {
        let sha = "a3f8c9f0e1d2c3b4a5968778695a4b3c2d1e0f9a";
        assert_eq!(parse_revision(&format!("main@sha1:{sha}")).as_deref(), Some(sha));
        assert_eq!(parse_revision(&format!("sha1:{sha}")).as_deref(), Some(sha));
        assert_eq!(parse_revision(&format!("main/{sha}")).as_deref(), Some(sha));
        assert_eq!(parse_revision(&format!("refs/tags/v1@sha1:{sha}")).as_deref(), Some(sha));
        assert_eq!(parse_revision(sha).as_deref(), Some(sha));
        assert_eq!(parse_revision("main@sha1:xyz"), None);
        assert_eq!(parse_revision("v1.0.0@sha256:abcd"), None);
    }

    #[test]
    fn finds_duplicates_by_the_newest_matching_context() {
        let statuses: Vec<Value> = serde_json::from_str(
            r#"[{"context":"other","state":"failure","description":"x"},
                {"context":"ks/apps/0c9c","state":"success","description":"reconciliation succeeded"},
                {"context":"ks/apps/0c9c","state":"failure","description":"health check failed"}]"#,
        )
        .unwrap();
        assert!(is_duplicate(&statuses, "/context", "/state", ["ks/apps/0c9c", "success", "reconciliation succeeded"]));
        assert!(!is_duplicate(&statuses, "/context", "/state", ["ks/apps/0c9c", "failure", "health check failed"]));
        assert!(!is_duplicate(&statuses, "/context", "/state", ["new", "success", "x"]));
    }
}
