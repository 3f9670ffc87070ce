//! Flux revision strings: `<short ref>@sha1:<40hex>`, the absolute ref for `ref.name`, or bare `sha1:<hex>`.

use std::fmt;

/// A resolved revision: the reference as Flux prints it (if any) and the commit id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Revision {
    /// `main`, `v1.0.0`, `refs/pull/1/head`; `None` for a commit fetched without a branch.
    pub reference: Option<String>,
    /// Lower-case hex commit id (40 characters for SHA-1).
    pub commit: String,
}

impl Revision {
    pub fn new(reference: Option<String>, commit: impl Into<String>) -> Self {
        Revision { reference, commit: commit.into() }
    }

    /// Parse a revision string, also accepting Flux's legacy `<ref>/<hex>` form.
    pub fn parse(s: &str) -> Option<Self> {
        let is_hex = |h: &str| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit());
        if let Some((reference, hex)) = s.rsplit_once("@sha1:") {
            return is_hex(hex).then(|| Revision::new(Some(reference.to_owned()), hex.to_ascii_lowercase()));
        }
        if let Some(hex) = s.strip_prefix("sha1:") {
            return is_hex(hex).then(|| Revision::new(None, hex.to_ascii_lowercase()));
        }
        if let Some((reference, hex)) = s.rsplit_once('/')
            && hex.len() == 40
            && is_hex(hex)
        {
            return Some(Revision::new(Some(reference.to_owned()), hex.to_ascii_lowercase()));
        }
        None
    }

    /// Same commit and same reference, whichever of the accepted spellings `other` uses.
    pub fn same_as(&self, other: &str) -> bool {
        Revision::parse(other).is_some_and(|o| &o == self)
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reference {
            Some(r) => write!(f, "{r}@sha1:{}", self.commit),
            None => write!(f, "sha1:{}", self.commit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "363a6a8fe6a7f13e05d34c163b0ef02a777da20a";

    #[test]
    fn formats_like_flux() {
        assert_eq!(Revision::new(Some("main".into()), SHA).to_string(), format!("main@sha1:{SHA}"));
        assert_eq!(
            Revision::new(Some("refs/heads/main".into()), SHA).to_string(),
            format!("refs/heads/main@sha1:{SHA}")
        );
        assert_eq!(Revision::new(None, SHA).to_string(), format!("sha1:{SHA}"));
    }

    #[test]
    fn parses_current_and_legacy_forms() {
        let r = Revision::new(Some("v1.0.0".into()), SHA);
        assert_eq!(Revision::parse(&r.to_string()), Some(r.clone()));
        assert_eq!(Revision::parse(&format!("v1.0.0/{SHA}")), Some(r.clone()));
        assert!(r.same_as(&format!("v1.0.0@sha1:{}", SHA.to_uppercase())));
        assert!(!r.same_as(&format!("main@sha1:{SHA}")));
        assert_eq!(Revision::parse(&format!("sha1:{SHA}")), Some(Revision::new(None, SHA)));
        assert_eq!(Revision::parse("main"), None);
    }
}
