//! Flux's post-build variable substitution (bash-style, as `drone/envsubst` does it for Flux):
//! `${var}`, `${var:=default}`, `${var:-default}` (default when unset or empty), `${var=default}`,
//! `${var-default}` (default when unset), and `$${var}` for a literal `${var}`.
//!
//! Unbraced `$var` is left as is (shell snippets in ConfigMaps keep working), which is stricter
//! than Flux: only the braced forms substitute.

use std::collections::BTreeMap;

/// Why a text could not be substituted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstituteError {
    #[error("variable not set (strict mode): {0:?}")]
    Undefined(String),
    #[error("bad substitution: ${{{0}}}")]
    Malformed(String),
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Substitute `vars` into `text`. In `strict` mode an unset variable without a default is an
/// error; otherwise it becomes the empty string.
pub fn substitute(text: &str, vars: &BTreeMap<String, String>, strict: bool) -> Result<String, SubstituteError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            // `$$` is a literal `$` (so `$${var}` stays `${var}`).
            out.push('$');
            rest = escaped;
            continue;
        }
        let Some(body_start) = after.strip_prefix('{') else {
            out.push('$');
            rest = after;
            continue;
        };
        let Some(end) = body_start.find('}') else {
            return Err(SubstituteError::Malformed(body_start.to_owned()));
        };
        let body = &body_start[..end];
        out.push_str(&expand(body, vars, strict)?);
        rest = &body_start[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn expand(body: &str, vars: &BTreeMap<String, String>, strict: bool) -> Result<String, SubstituteError> {
    let name_end = body.find(|c: char| !(c == '_' || c.is_ascii_alphanumeric())).unwrap_or(body.len());
    let (name, op) = body.split_at(name_end);
    if !valid_name(name) {
        return Err(SubstituteError::Malformed(body.to_owned()));
    }
    let value = vars.get(name);
    let (default, when_empty) = if let Some(d) = op.strip_prefix(":=").or_else(|| op.strip_prefix(":-")) {
        (Some(d), true)
    } else if let Some(d) = op.strip_prefix('=').or_else(|| op.strip_prefix('-')) {
        (Some(d), false)
    } else if op.is_empty() {
        (None, false)
    } else {
        return Err(SubstituteError::Malformed(body.to_owned()));
    };
    match (value, default) {
        (Some(v), Some(d)) if when_empty && v.is_empty() => Ok(d.to_owned()),
        (Some(v), _) => Ok(v.clone()),
        (None, Some(d)) => Ok(d.to_owned()),
        (None, None) if strict => Err(SubstituteError::Undefined(name.to_owned())),
        (None, None) => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn substitutes_braced_variables_and_defaults() {
        let v = vars(&[("env", "prod"), ("empty", "")]);
        assert_eq!(substitute("name: app-${env}", &v, true).unwrap(), "name: app-prod");
        assert_eq!(substitute("${missing:=dflt}/${env:=x}", &v, true).unwrap(), "dflt/prod");
        assert_eq!(
            substitute("${empty:=filled}|${empty=kept}|${empty:-b}|${missing-c}", &v, true).unwrap(),
            "filled||b|c"
        );
        assert_eq!(substitute("${missing:=}", &v, true).unwrap(), "");
    }

    #[test]
    fn escapes_and_leaves_unbraced_dollars() {
        let v = vars(&[("env", "prod")]);
        assert_eq!(substitute("literal $${env} and ${env}", &v, true).unwrap(), "literal ${env} and prod");
        assert_eq!(substitute("echo $HOME costs $5", &v, true).unwrap(), "echo $HOME costs $5");
        assert_eq!(substitute("a$$b", &v, true).unwrap(), "a$b");
    }

    #[test]
    fn strict_mode_rejects_unset_variables() {
        let v = vars(&[]);
        assert_eq!(substitute("x: ${nope}", &v, true), Err(SubstituteError::Undefined("nope".into())));
        assert_eq!(substitute("x: ${nope}", &v, false).unwrap(), "x: ");
        assert!(matches!(substitute("${1bad}", &v, true), Err(SubstituteError::Malformed(_))));
        assert!(matches!(substitute("${open", &v, true), Err(SubstituteError::Malformed(_))));
        assert!(matches!(substitute("${a:?err}", &v, true), Err(SubstituteError::Malformed(_))));
    }
}
