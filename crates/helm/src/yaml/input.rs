//! What go-yaml's reader does to the input before the parser sees it, where granit-parser (a
//! YAML 1.2 parser) would differ: a NUL ends the stream, characters outside YAML's printable
//! set are refused, a leading BOM is dropped, NEL is a line break, and a BOM inside a document
//! is plain content (granit-parser refuses it, so it is carried through as a stand-in).

use std::borrow::Cow;

use super::YamlError;

/// Stands in for U+FEFF inside the document (a noncharacter both parsers accept; input that
/// already holds it keeps its BOMs, and granit-parser refuses them).
pub(crate) const BOM_STAND_IN: char = '\u{10ffff}';

/// The text granit-parser should see, or go-yaml's reader error.
pub(crate) fn prepare(text: &str) -> Result<Cow<'_, str>, YamlError> {
    let text = text.split('\0').next().unwrap_or("");
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\x20'..='\x7e' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
            | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
    };
    if !text.chars().all(allowed) {
        return Err(YamlError::Yaml("control characters are not allowed".into()));
    }
    if !text.contains(['\u{85}', '\u{feff}']) {
        return Ok(Cow::Borrowed(text));
    }
    let stand_in = if text.contains(BOM_STAND_IN) { '\u{feff}' } else { BOM_STAND_IN };
    Ok(Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\u{85}' => '\n',
                '\u{feff}' => stand_in,
                c => c,
            })
            .collect(),
    ))
}

/// A scalar's text with the BOM stand-in turned back into U+FEFF.
pub(crate) fn restore(value: Cow<'_, str>) -> String {
    if value.contains(BOM_STAND_IN) { value.replace(BOM_STAND_IN, "\u{feff}") } else { value.into_owned() }
}

/// libyaml does not skip a tab before a token in block context: a line indented with a tab
/// (outside flow collections and multi-line scalars) is "found character that cannot start
/// any token". `covered[i]` marks 0-based lines inside such constructs.
pub(crate) fn tab_indented_line(text: &str, covered: &[bool]) -> Option<usize> {
    text.split('\n').enumerate().find_map(|(i, line)| {
        let rest = line.trim_start_matches(' ');
        let content = rest.trim_start_matches([' ', '\t']);
        let tabbed = rest.starts_with('\t') && !content.is_empty() && !content.starts_with('#');
        (tabbed && !content.starts_with('\r') && !covered.get(i).copied().unwrap_or(false)).then_some(i)
    })
}
