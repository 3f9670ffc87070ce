//! [`ImageRef`], ImagePolicy's `status.latestRef{name, tag, digest}` as the setters write it.
//! Parsing registry references (canonical names, Docker Hub defaults) is `glidepath-oci`'s
//! `Reference`: one parser, go-containerregistry's rules.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ImageError;

fn bad(msg: String) -> ImageError {
    ImageError::ParseReference(msg)
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
