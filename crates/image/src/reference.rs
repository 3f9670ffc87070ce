//! Image references as go-containerregistry `pkg/name` parses them (weak validation, the
//! default): `ParseReference(s).Context().Name()` is the canonical name Flux reports as
//! `status.canonicalImageName` (`alpine` → `index.docker.io/library/alpine`), and
//! [`ImageRef`] is ImagePolicy's `status.latestRef{name, tag, digest}`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ImageError;

/// `name.DefaultRegistry`.
pub const DEFAULT_REGISTRY: &str = "index.docker.io";
const REPOSITORY_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-./";
const TAG_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789_-.ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGEST_CHARS: &str = "sh:0123456789abcdef";

/// A parsed reference: registry host, repository path, and a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `Registry.Name()`: `docker.io` and the empty registry become `index.docker.io`.
    pub registry: String,
    /// `RepositoryStr()`: Docker Hub single names get `library/`.
    pub repository: String,
    /// The tag (`latest` when neither a tag nor a digest is given).
    pub tag: Option<String>,
    /// The digest (`sha256:` and 64 hex digits).
    pub digest: Option<String>,
}

impl Reference {
    /// `name.ParseReference(s)`: a tag reference first, else a digest reference.
    pub fn parse(s: &str) -> Result<Reference, ImageError> {
        if let Ok(r) = parse_tag(s) {
            return Ok(r);
        }
        parse_digest(s).map_err(|_| ImageError::ParseReference(format!("could not parse reference: {s}")))
    }

    /// `Context().Name()`: `registry/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

/// `name.ParseReference(image).Context().Name()`.
pub fn canonical_name(image: &str) -> Result<String, ImageError> {
    Reference::parse(image).map(|r| r.name())
}

fn bad(msg: String) -> ImageError {
    ImageError::ParseReference(msg)
}

/// `checkElement`.
fn check(what: &str, s: &str, chars: &str, min: usize, max: usize) -> Result<(), ImageError> {
    if s.len() < min {
        return Err(bad(format!("{what} must be at least {min} characters in length: {s}")));
    }
    if s.len() > max {
        return Err(bad(format!("{what} must be at most {max} characters in length: {s}")));
    }
    if !s.chars().all(|c| chars.contains(c)) {
        return Err(bad(format!("{what} can only contain the characters `{chars}`: {s}")));
    }
    Ok(())
}

/// `checkRegistry` approximated: an RFC 3986 authority of host characters, an optional
/// `:port` and IPv6 brackets, with no userinfo, path or query.
fn check_registry(name: &str) -> Result<(), ImageError> {
    let ok = name.chars().all(|c| c.is_ascii_alphanumeric() || "-._~:[]%".contains(c));
    if ok { Ok(()) } else { Err(bad(format!("registries must be valid RFC 3986 URI authorities: {name}"))) }
}

/// `NewRepository` (then `Name()`'s parts).
fn parse_repository(name: &str) -> Result<(String, String), ImageError> {
    if name.is_empty() {
        return Err(bad("a repository name must be specified".into()));
    }
    let (mut registry, mut repo) = ("", name);
    if let Some((first, rest)) = name.split_once('/')
        && (first.contains('.') || first.contains(':'))
    {
        registry = first;
        repo = rest;
    }
    check("repository", repo, REPOSITORY_CHARS, 2, 255)?;
    check_registry(registry)?;
    let registry = match registry {
        "" | "docker.io" => DEFAULT_REGISTRY,
        r => r,
    };
    let repo = if !repo.contains('/') && registry == DEFAULT_REGISTRY {
        let full = format!("library/{repo}");
        check("repository", &full, REPOSITORY_CHARS, 2, 255)?;
        full
    } else {
        repo.to_string()
    };
    Ok((registry.to_string(), repo))
}

/// `NewTag`: the part after the last `:` is a tag unless it holds a `/` (a port).
fn parse_tag(s: &str) -> Result<Reference, ImageError> {
    let (mut base, mut tag) = (s, "");
    if let Some((b, t)) = s.rsplit_once(':')
        && !t.contains('/')
    {
        base = b;
        tag = t;
    }
    if !tag.is_empty() {
        check("tag", tag, TAG_CHARS, 1, 127)?;
    }
    let (registry, repository) = parse_repository(base)?;
    let tag = if tag.is_empty() { "latest" } else { tag };
    Ok(Reference { registry, repository, tag: Some(tag.to_string()), digest: None })
}

/// `NewDigest`: exactly one `@`; a tag before it is dropped (`repo:tag@sha256:…`).
fn parse_digest(s: &str) -> Result<Reference, ImageError> {
    let parts: Vec<&str> = s.split('@').collect();
    let [base, digest] = parts[..] else {
        return Err(bad(format!(
            "a digest must contain exactly one '@' separator (e.g. registry/repository@digest) saw: {s}"
        )));
    };
    check("digest", digest, DIGEST_CHARS, 71, 71)?;
    let (registry, repository) = match parse_tag(base) {
        Ok(t) => (t.registry, t.repository),
        Err(_) => parse_repository(base)?,
    };
    Ok(Reference { registry, repository, tag: None, digest: Some(digest.to_string()) })
}

/// ImagePolicy's `status.latestRef`: `name` as the policy reports it, `tag`, and `digest`
/// (empty when digest reflection is off). Displays as Flux's `ImageRef.String()`:
/// `name:tag`, plus `@digest` when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageRef {
    pub name: String,
    pub tag: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

impl ImageRef {
    /// Splits `name[:tag][@digest]`: the digest after `@`, the tag after the last `:` that
    /// is not followed by a `/` (so a registry port stays in the name).
    pub fn parse(s: &str) -> Result<ImageRef, ImageError> {
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, d.to_string()),
            None => (s, String::new()),
        };
        let (name, tag) = match rest.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, t),
            _ => (rest, ""),
        };
        if name.is_empty() {
            return Err(bad(format!("could not parse reference: {s}")));
        }
        Ok(ImageRef { name: name.to_string(), tag: tag.to_string(), digest })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)?;
        if !self.digest.is_empty() {
            write!(f, "@{}", self.digest)?;
        }
        Ok(())
    }
}
