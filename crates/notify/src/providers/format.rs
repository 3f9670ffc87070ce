//! Text shared by several payloads.

use crate::{Event, META_CHANGE_REQUEST, Severity};

/// `lower(kind)/name.namespace`, the heading of every chat message.
pub(crate) fn object_name(event: &Event) -> String {
    let o = &event.involved_object;
    format!("{}/{}.{}", o.kind.to_lowercase(), o.name, o.namespace)
}

/// `formatMarkdownPost` (`markdown.go`): a `## Flux Status` heading, `<emoji> Kind/namespace/name`,
/// the message and the sorted metadata as a list, without the change-request key.
pub(crate) fn markdown_post(event: &Event) -> String {
    let emoji = if event.severity == Severity::Error { "⚠️" } else { "ℹ️" };
    let o = &event.involved_object;
    let metadata: String = event
        .metadata
        .iter()
        .filter(|(k, _)| k.as_str() != META_CHANGE_REQUEST)
        .map(|(k, v)| format!("* `{k}`: {v}\n"))
        .collect();
    format!(
        "## Flux Status\n\n{emoji} {}/{}/{}\n\n{}\n\nMetadata:\n{metadata}",
        o.kind, o.namespace, o.name, event.message
    )
}

/// `formatNameAndDescription`: (`lower(kind/name)`, the reason split at case changes and
/// lower-cased, e.g. `ReconciliationSucceeded` → `reconciliation succeeded`).
pub(crate) fn name_and_description(event: &Event) -> (String, String) {
    let o = &event.involved_object;
    let name = format!("{}/{}", o.kind, o.name).to_lowercase();
    let desc = split_camelcase(&event.reason).join(" ").to_lowercase();
    (name, desc)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Lower,
    Upper,
    Digit,
    Other,
}

fn class(c: char) -> Class {
    if c.is_lowercase() {
        Class::Lower
    } else if c.is_uppercase() {
        Class::Upper
    } else if c.is_numeric() {
        Class::Digit
    } else {
        Class::Other
    }
}

/// Split at changes of character class; an upper-case run followed by lower case gives its last
/// letter to the next word (`PDFLoader` → `PDF`, `Loader`).
pub(crate) fn split_camelcase(src: &str) -> Vec<String> {
    let mut runs: Vec<Vec<char>> = Vec::new();
    let mut last = None;
    for c in src.chars() {
        let k = class(c);
        match runs.last_mut() {
            Some(run) if last == Some(k) => run.push(c),
            _ => runs.push(vec![c]),
        }
        last = Some(k);
    }
    for i in 0..runs.len().saturating_sub(1) {
        let upper_then_lower =
            runs[i].first().is_some_and(|c| c.is_uppercase()) && runs[i + 1].first().is_some_and(|c| c.is_lowercase());
        if upper_then_lower && let Some(moved) = runs[i].pop() {
            runs[i + 1].insert(0, moved);
        }
    }
    runs.into_iter().filter(|r| !r.is_empty()).map(|r| r.into_iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_flux() {
        assert_eq!(split_camelcase("ReconciliationSucceeded"), ["Reconciliation", "Succeeded"]);
        assert_eq!(split_camelcase("PDFLoader"), ["PDF", "Loader"]);
        assert_eq!(split_camelcase("HealthCheckFailed2"), ["Health", "Check", "Failed", "2"]);
        assert_eq!(split_camelcase(""), Vec::<String>::new());
    }
}
