//! What go-yaml's reader does to the input before the parser sees it, where granit-parser (a
//! YAML 1.2 parser) would differ: a NUL ends the stream, characters outside YAML's printable
//! set are refused, a leading BOM is dropped, NEL is a line break, and a BOM inside a document
//! is plain content (granit-parser refuses it, so it is carried through as a stand-in).

use std::borrow::Cow;

use super::YamlError;

/// Stand in for U+FEFF, U+2028 and U+2029 inside the document (noncharacters both parsers
/// accept). Input that already holds one of them is passed through as it is.
pub(crate) const BOM_STAND_IN: char = '\u{10ffff}';
const LS_STAND_IN: char = '\u{10fffe}';
const PS_STAND_IN: char = '\u{10fffd}';
const STAND_INS: [char; 3] = [BOM_STAND_IN, LS_STAND_IN, PS_STAND_IN];

/// The text granit-parser should see, or go-yaml's reader error.
pub(crate) fn prepare(text: &str) -> Result<Cow<'_, str>, YamlError> {
    let text = text.split('\0').next().unwrap_or("");
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = first_document(text);
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\x20'..='\x7e' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
            | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
    };
    if !text.chars().all(allowed) {
        return Err(YamlError::Yaml("control characters are not allowed".into()));
    }
    if !text.contains(['\u{85}', '\u{feff}', '\u{2028}', '\u{2029}']) {
        return Ok(Cow::Borrowed(text));
    }
    let substitute = !text.contains(STAND_INS);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        let stand_in = match c {
            '\u{85}' => {
                out.push('\n');
                continue;
            }
            '\u{feff}' if substitute => {
                out.push(BOM_STAND_IN);
                continue;
            }
            '\u{2028}' if substitute => LS_STAND_IN,
            '\u{2029}' if substitute => PS_STAND_IN,
            c => {
                out.push(c);
                continue;
            }
        };
        // libyaml breaks the line at LS/PS but keeps the character in the content. An LS
        // that is a whole (empty) line is indented like the next line, to stay in its scalar.
        if out.is_empty() || out.ends_with('\n') {
            let indent = chars[i + 1..].iter().take_while(|&&n| n == ' ').count();
            out.extend(std::iter::repeat_n(' ', indent));
        }
        out.extend([stand_in, '\n']);
    }
    Ok(Cow::Owned(out))
}

/// go-yaml ends the document when a line is less indented than an indented root collection
/// (` a: 1` then `b: 2`), and never reads the rest; granit-parser would go on and fail.
pub(crate) fn first_document(text: &str) -> &str {
    let content = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    };
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let mut offset = 0;
    let mut root: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        if content(line) {
            match root {
                None => {
                    let t = line.trim();
                    let collection = t.starts_with("- ") || t.contains(": ") || t.ends_with(':');
                    if indent(line) == 0 || !collection || t.starts_with(['"', '\'', '[', '{']) {
                        return text;
                    }
                    root = Some(indent(line));
                }
                // A tab-indented line is libyaml's error, not a dedent.
                Some(_) if line.trim_start_matches(' ').starts_with('\t') => return text,
                Some(r) if indent(line) < r => return &text[..offset],
                Some(_) => {}
            }
        }
        offset += line.len();
    }
    text
}

/// A scalar's text with the stand-ins turned back. An LS/PS stand-in was followed by a line
/// break: a block scalar kept that break, a flow scalar folded it into a space (or dropped it
/// before further breaks), and libyaml neither keeps trailing blanks before it nor the break.
pub(crate) fn restore(value: Cow<'_, str>, block: bool, plain: bool) -> String {
    if !value.contains(STAND_INS) {
        return value.into_owned();
    }
    // A plain scalar cannot start with a break: an LS/PS right after `key: ` ends the line.
    let value = if plain { value.trim_start_matches([LS_STAND_IN, PS_STAND_IN, ' ', '\n']) } else { &value };
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        let real = match c {
            BOM_STAND_IN => '\u{feff}',
            LS_STAND_IN => '\u{2028}',
            PS_STAND_IN => '\u{2029}',
            c => {
                out.push(c);
                continue;
            }
        };
        if c != BOM_STAND_IN {
            if !block {
                let kept = out.trim_end_matches([' ', '\t']).len();
                out.truncate(kept);
            }
            let folded = if block { '\n' } else { ' ' };
            if chars.peek() == Some(&folded) {
                chars.next();
            }
        }
        out.push(real);
    }
    out
}

/// libyaml does not skip a tab at the start of a line in block context: a line whose first
/// non-space is a tab (outside flow collections and multi-line scalars, comment or not) is an
/// error. `covered[i]` marks 0-based lines inside such constructs.
pub(crate) fn tab_indented_line(text: &str, covered: &[bool]) -> Option<usize> {
    text.split('\n').enumerate().find_map(|(i, line)| {
        let tabbed = line.trim_start_matches(' ').starts_with('\t');
        (tabbed && !covered.get(i).copied().unwrap_or(false)).then_some(i)
    })
}
