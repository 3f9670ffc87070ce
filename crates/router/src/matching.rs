//! Request-match helpers shared by the routers that translate `analysis.match` /
//! `service.match` into their own condition syntax.

use glidepath_api::flagger::istio::HeaderMatch;

/// Escape regex metacharacters (RE2 syntax).
pub fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A header condition that is either an exact value or a regular expression: prefix and
/// suffix become anchored regexes (most proxies have no suffix match).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExactOrRegex {
    Exact(String),
    Regex(String),
}

impl ExactOrRegex {
    pub fn of(m: &HeaderMatch) -> Option<ExactOrRegex> {
        if let Some(v) = &m.exact {
            Some(ExactOrRegex::Exact(v.clone()))
        } else if let Some(v) = &m.regex {
            Some(ExactOrRegex::Regex(v.clone()))
        } else if let Some(v) = &m.prefix {
            Some(ExactOrRegex::Regex(format!("^{}.*", regex_escape(v))))
        } else {
            m.suffix.as_ref().map(|v| ExactOrRegex::Regex(format!(".*{}$", regex_escape(v))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_suffix_become_anchored_escaped_regexes() {
        let m = |prefix: Option<&str>, suffix: Option<&str>| HeaderMatch {
            prefix: prefix.map(str::to_owned),
            suffix: suffix.map(str::to_owned),
            ..HeaderMatch::default()
        };
        assert_eq!(ExactOrRegex::of(&m(Some("v1.2"), None)), Some(ExactOrRegex::Regex("^v1\\.2.*".into())));
        assert_eq!(ExactOrRegex::of(&m(None, Some("(x)"))), Some(ExactOrRegex::Regex(".*\\(x\\)$".into())));
        assert_eq!(ExactOrRegex::of(&HeaderMatch::default()), None);
    }
}
