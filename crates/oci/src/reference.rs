//! Image references as go-containerregistry's `pkg/name` reads them.
//!
//! `alpine` is `index.docker.io/library/alpine:latest`; the first path component is a
//! registry only when it holds a `.` or a `:` (`localhost:5000/x`, `127.0.0.1:5000/x`,
//! `ghcr.io/x`; unlike Docker's own parser, `localhost/x` is a Docker Hub repository), and
//! `docker.io` is an alias of `index.docker.io`.
//! go-containerregistry (so Flux) also sends its API calls to `index.docker.io`, which serves
//! the same `/v2/` API as the Docker CLI's `registry-1.docker.io`; we do the same.

use std::fmt;

use crate::error::OciError;

/// The registry of names without one (go-containerregistry's `name.DefaultRegistry`).
pub const DOCKER_HUB: &str = "index.docker.io";
/// The alias users write for [`DOCKER_HUB`].
const DOCKER_HUB_ALIAS: &str = "docker.io";
/// The tag of references without a tag or digest.
pub const DEFAULT_TAG: &str = "latest";

/// A repository in a registry: `ghcr.io/org/app`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repository {
    /// The registry's host and optional port (`ghcr.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// The repository path in it (`org/app`, `library/alpine`).
    pub name: String,
}

impl Repository {
    /// Parses `registry/name` (or `name` on Docker Hub), without a tag or digest.
    pub fn parse(input: &str) -> Result<Self, OciError> {
        let reference = Reference::parse(input)?;
        if reference.tag.is_some() || reference.digest.is_some() {
            return Err(invalid(input, "a repository has no tag or digest"));
        }
        Ok(reference.repository)
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.name)
    }
}

/// `registry/repo[:tag][@digest]`, optionally written as an `oci://` URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub repository: Repository,
    /// The tag as written; `None` when absent (see [`Reference::identifier`]).
    pub tag: Option<String>,
    /// `algorithm:hex`, e.g. `sha256:…`.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses a reference. `oci://` is stripped; a missing registry means Docker Hub, where a
    /// one-component name gets `library/`.
    pub fn parse(input: &str) -> Result<Self, OciError> {
        let rest = input.strip_prefix("oci://").unwrap_or(input);
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => {
                validate_digest(d).map_err(|reason| invalid(input, reason))?;
                (r, Some(d.to_string()))
            }
            None => (rest, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (rest, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                let tag = &rest[at + 1..];
                validate_tag(tag).map_err(|reason| invalid(input, reason))?;
                (&rest[..at], Some(tag.to_string()))
            }
            None => (rest, None),
        };
        let (registry, name) = split_registry(rest);
        if registry.is_empty() {
            return Err(invalid(input, "empty registry"));
        }
        validate_repository(&name).map_err(|reason| invalid(input, reason))?;
        Ok(Self { repository: Repository { registry, name }, tag, digest })
    }

    /// What to ask the registry for: the digest when given, else the tag, else `latest`.
    pub fn identifier(&self) -> &str {
        self.digest.as_deref().or(self.tag.as_deref()).unwrap_or(DEFAULT_TAG)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn split_registry(rest: &str) -> (String, String) {
    let (registry, name) = match rest.split_once('/') {
        Some((first, name)) if first.contains(['.', ':']) => (first, name.to_string()),
        _ => (DOCKER_HUB, rest.to_string()),
    };
    let registry = if registry == DOCKER_HUB_ALIAS { DOCKER_HUB } else { registry };
    let name = if registry == DOCKER_HUB && !name.contains('/') { format!("library/{name}") } else { name };
    (registry.to_string(), name)
}

fn invalid(input: &str, reason: &str) -> OciError {
    OciError::InvalidReference { input: input.to_string(), reason: reason.to_string() }
}

/// The distribution spec's `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`,
/// checked per component without the separator-run detail.
fn validate_repository(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty repository name");
    }
    for component in name.split('/') {
        let bytes = component.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if bytes.is_empty() || !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
            return Err("repository components start and end with a lowercase letter or digit");
        }
        if !bytes.iter().all(|b| alnum(b) || matches!(b, b'.' | b'_' | b'-')) {
            return Err("repository names hold only lowercase letters, digits, '.', '_', '-' and '/'");
        }
    }
    Ok(())
}

/// `[\w][\w.-]{0,127}`.
fn validate_tag(tag: &str) -> Result<(), &'static str> {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let bytes = tag.as_bytes();
    if bytes.is_empty() || bytes.len() > 128 {
        return Err("a tag has 1 to 128 characters");
    }
    if !bytes.first().is_some_and(word) || !bytes.iter().all(|b| word(b) || matches!(b, b'.' | b'-')) {
        return Err("a tag holds letters, digits, '_', '.' and '-' and does not start with '.' or '-'");
    }
    Ok(())
}

/// `sha256:<64 hex>` or `sha512:<128 hex>` (the algorithms this client can verify).
pub(crate) fn validate_digest(digest: &str) -> Result<(), &'static str> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err("a digest is algorithm:hex");
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => return Err("unsupported digest algorithm (sha256 or sha512)"),
    };
    if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err("the digest's hex part has the wrong length or characters");
    }
    Ok(())
}
