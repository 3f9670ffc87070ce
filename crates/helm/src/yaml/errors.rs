//! Turning granit-parser's errors into go-yaml v2's: libyaml's problem text, and the line go-yaml
//! prints. go-yaml (`parser.fail`) prints the 0-based line of the problem mark, plus one for
//! scanner errors, and nothing when that line is 0. libyaml finds some problems later than
//! granit-parser (a key without `:` when the next token arrives, an unclosed bracket or quote
//! at the end of the stream), so the mark is moved to where libyaml would stand.

use granit_parser::{ErrorKind, ScanError};

use super::YamlError;
use super::compose::MAX_DEPTH;

/// Where libyaml reports a problem: which stage, and the 0-based line of its mark.
enum Mark {
    Scanner(usize),
    Parser(usize),
}

/// go-yaml's error for a parse failure of `text`.
pub(crate) fn go_error(e: &ScanError, text: &str) -> YamlError {
    let (message, mark) = classify(e, text);
    let (line0, shown) = match mark {
        Mark::Scanner(l) => (l, l + 1),
        Mark::Parser(l) => (l, l),
    };
    if line0 == 0 {
        return YamlError::Yaml(message);
    }
    YamlError::Yaml(format!("line {shown}: {message}"))
}

/// The 0-based line of libyaml's STREAM-END mark (an unterminated last line counts).
fn eof_line0(text: &str) -> usize {
    let breaks = text.matches('\n').count();
    breaks + usize::from(!text.is_empty() && !text.ends_with('\n'))
}

/// The 0-based line of the first token after 1-based line `line1` (libyaml's mark when it
/// notices a stale simple key), or of the stream end.
fn next_token_line0(text: &str, line1: usize) -> usize {
    text.split('\n')
        .enumerate()
        .skip(line1)
        .find(|(_, l)| {
            let t = l.trim_start_matches([' ', '\t', '\r']);
            !t.is_empty() && !t.starts_with('#')
        })
        .map_or_else(|| eof_line0(text), |(i, _)| i)
}

/// A key that never got its `:`: libyaml notices when the next token is fetched. After a plain
/// key that is past its continuation lines (more indented than the key, not comments), after
/// a quoted one past blank and comment lines. A block scalar indicator is no key at all.
fn stale_key(text: &str, line1: usize) -> (String, Mark) {
    let line = line_text(text, line1);
    let key_col = indent_of(line);
    let body = line.trim_start_matches([' ', '-']);
    if body.starts_with(['|', '>']) {
        return ("did not find expected key".into(), Mark::Parser(line1.saturating_sub(1)));
    }
    let mark = if body.starts_with(['"', '\'', '[', '{']) || body.contains(" #") {
        next_token_line0(text, line1)
    } else {
        plain_end_line0(text, line1, key_col)
    };
    ("could not find expected ':'".into(), Mark::Scanner(mark))
}

/// Where libyaml stops scanning a plain scalar that starts on 1-based line `line1` at column
/// `col`: at the first non-blank line not more indented, or at a continuation line holding a
/// `: ` or a comment; or at the stream end.
fn plain_end_line0(text: &str, line1: usize, col: usize) -> usize {
    let stop = text.split('\n').enumerate().skip(line1).find(|(_, l)| {
        let t = l.trim_start_matches(' ').trim_end_matches('\r');
        if t.is_empty() {
            return false;
        }
        indent_of(l) <= col || t.starts_with('#') || t.contains(": ") || t.ends_with(':') || t.contains(" #")
    });
    stop.map_or_else(|| eof_line0(text), |(i, _)| i)
}

/// Whether the error's bracket starts its line inside a block mapping (a required simple key).
fn opens_line(e: &ScanError, text: &str) -> bool {
    let Some(offset) = e.marker().byte_offset() else {
        return false;
    };
    let before = text.get(..offset).unwrap_or("");
    let line_start = before.rsplit('\n').next().unwrap_or("");
    let at_bracket = text.get(offset..).is_some_and(|t| t.starts_with(['[', '{']));
    let has_previous_content = before.trim().len() > line_start.trim().len();
    at_bracket && line_start.trim().is_empty() && has_previous_content
}

/// The source line (1-based `line1`).
fn line_text(text: &str, line1: usize) -> &str {
    text.split('\n').nth(line1.saturating_sub(1)).unwrap_or("")
}

fn classify(e: &ScanError, text: &str) -> (String, Mark) {
    let line1 = e.marker().line();
    let here0 = line1.saturating_sub(1);
    let scanner = |m: &str| (m.to_owned(), Mark::Scanner(here0));
    let parser = |m: &str| (m.to_owned(), Mark::Parser(here0));
    match e.kind() {
        ErrorKind::MappingValueNotAllowed => scanner("mapping values are not allowed in this context"),
        ErrorKind::SimpleKeyExpected | ErrorKind::InvalidSimpleKey => stale_key(text, line1),
        ErrorKind::UnexpectedCharacter { .. } => scanner("found character that cannot start any token"),
        ErrorKind::TabInBlockIndentation
        | ErrorKind::TabInIndentation
        | ErrorKind::TabInPlainScalar
        | ErrorKind::TabAtBlockScalarStart => {
            let tab_line = text
                .split('\n')
                .enumerate()
                .skip(here0)
                .find(|(_, l)| l.trim_start_matches(' ').starts_with('\t'))
                .map_or(here0, |(i, _)| i);
            (tab_message(text, tab_line).into(), Mark::Scanner(tab_line))
        }
        ErrorKind::UnclosedQuotedScalar | ErrorKind::InvalidQuotedScalarIndent => multi_line_quote(text, line1),
        ErrorKind::InvalidTrailingSingleQuotedScalar | ErrorKind::InvalidTrailingDoubleQuotedScalar => {
            trailing_after_quote(text, line1)
        }
        ErrorKind::UnclosedFlowCollection { .. } if opens_line(e, text) => {
            ("could not find expected ':'".into(), Mark::Scanner(eof_line0(text)))
        }
        ErrorKind::UnclosedFlowCollection { open } => {
            // At the stream end libyaml wants a node after `[`, `{`, `,` or `:`, else a separator.
            let last = text.trim_end_matches([' ', '\t', '\r', '\n']).chars().last();
            let m = match (last, *open) {
                (Some('[' | '{' | ',' | ':'), _) => "did not find expected node content",
                (_, '{') => "did not find expected ',' or '}'",
                _ => "did not find expected ',' or ']'",
            };
            (m.into(), Mark::Parser(eof_line0(text)))
        }
        ErrorKind::UnexpectedEofBlockMapping
        | ErrorKind::UnexpectedEofBlockSequence
        | ErrorKind::UnexpectedEofImplicitFlowMapping
        | ErrorKind::UnexpectedEof => {
            let last_line = text.trim_end_matches([' ', '\t', '\r', '\n']).matches('\n').count();
            ("did not find expected node content".into(), Mark::Parser(last_line))
        }
        ErrorKind::MissingLowSurrogate
        | ErrorKind::InvalidLowSurrogate
        | ErrorKind::UnpairedLowSurrogate
        | ErrorKind::InvalidLowSurrogateHexEscape => scanner("found invalid Unicode character escape code"),
        ErrorKind::MismatchedFlowCollectionEnd { open, .. } => {
            parser(if *open == '{' { "did not find expected ',' or '}'" } else { "did not find expected ',' or ']'" })
        }
        ErrorKind::MisplacedFlowCollectionEnd => {
            let before = e.marker().byte_offset().and_then(|o| text.get(..o)).unwrap_or("");
            let prev = before.trim_end_matches([' ', '\t']).chars().last();
            match prev {
                None | Some(':' | '-' | '[' | ',' | '{') => parser("did not find expected node content"),
                _ => parser("did not find expected key"),
            }
        }
        ErrorKind::CommentInterceptedScalar => comment_cut_key(text, line1),
        ErrorKind::ExpectedDocumentStart if directive_line(text, line1).is_some() => {
            directive_problem(text, directive_line(text, line1).unwrap_or(0))
        }
        ErrorKind::RecursionLimitExceeded => (format!("exceeded max depth of {MAX_DEPTH}"), Mark::Scanner(0)),
        kind => match libyaml_problem(kind) {
            Some((true, m)) => scanner(m),
            Some((false, m)) => parser(m),
            None => parser(&e.info()),
        },
    }
}

/// The problems granit-parser and libyaml agree on, with libyaml's text and whether libyaml's
/// scanner (`true`) or parser raises them.
fn libyaml_problem(kind: &ErrorKind) -> Option<(bool, &'static str)> {
    Some(match kind {
        ErrorKind::UnknownQuotedScalarEscape => (true, "found unknown escape character"),
        ErrorKind::InvalidQuotedScalarHexEscape => (true, "did not find expected hexdecimal number"),
        ErrorKind::InvalidUnicodeEscape => (true, "found invalid Unicode character escape code"),
        ErrorKind::DocumentIndicatorInQuotedScalar => (true, "found unexpected document indicator"),
        ErrorKind::BlockSequenceEntryNotAllowed => (true, "block sequence entries are not allowed in this context"),
        ErrorKind::MappingKeyNotAllowed => (true, "mapping keys are not allowed in this context"),
        ErrorKind::MissingAnchorOrAliasName => (true, "did not find expected alphabetic or numeric character"),
        ErrorKind::BlockEntryInFlowCollection => (false, "did not find expected key"),
        ErrorKind::MissingDirectiveName => (true, "could not find expected directive name"),
        ErrorKind::InvalidDirectiveName => (true, "found unexpected non-alphabetical character"),
        ErrorKind::InvalidBlockScalarHeader => (true, "did not find expected comment or line break"),
        ErrorKind::ZeroBlockScalarIndent => (true, "found an indentation indicator equal to 0"),
        ErrorKind::ExpectedBlockMappingKey => (false, "did not find expected key"),
        ErrorKind::ExpectedBlockSequenceEntry => (false, "did not find expected '-' indicator"),
        ErrorKind::ExpectedNodeContent => (false, "did not find expected node content"),
        ErrorKind::ExpectedFlowSequenceSeparator => (false, "did not find expected ',' or ']'"),
        ErrorKind::ExpectedFlowMappingSeparator => (false, "did not find expected ',' or '}'"),
        ErrorKind::ExpectedDocumentStart => (false, "did not find expected <document start>"),
        ErrorKind::UndeclaredTagHandle => (false, "found undefined tag handle"),
        ErrorKind::DuplicateVersionDirective => (false, "found duplicate %YAML directive"),
        ErrorKind::UnsupportedYamlMajorVersion => (false, "found incompatible YAML document"),
        _ => return None,
    })
}

/// Content after a closing quote on the same line: libyaml reads it as the next token, so a
/// quoted key never finds its `:`, and a quoted value is followed by something that is not a key.
fn trailing_after_quote(text: &str, line1: usize) -> (String, Mark) {
    let line = line_text(text, line1).trim_start_matches([' ', '\t']);
    if after_first_quoted(line).trim_start().starts_with(['"', '\'']) {
        // A quote right after the scalar opens another one, which runs to the end.
        return ("found unexpected end of stream".into(), Mark::Scanner(text.matches('\n').count()));
    }
    if line.starts_with(['\'', '"']) {
        return ("could not find expected ':'".into(), Mark::Scanner(next_token_line0(text, line1)));
    }
    let here0 = line1.saturating_sub(1);
    if line.starts_with("- ") {
        return ("did not find expected '-' indicator".into(), Mark::Parser(here0));
    }
    ("did not find expected key".into(), Mark::Parser(here0))
}

/// What follows the first quoted scalar on `line`.
fn after_first_quoted(line: &str) -> &str {
    let Some(start) = line.find(['"', '\'']) else {
        return "";
    };
    let quote = line.as_bytes()[start];
    let bytes = line.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            c if c == quote => return line.get(i + 1..).unwrap_or(""),
            _ => i += 1,
        }
    }
    ""
}

/// libyaml's complaint about a tab opening 0-based line `line0`, which depends on what it was
/// scanning: a block scalar's indentation, a plain scalar's continuation, or the next token.
pub(crate) fn tab_message(text: &str, line0: usize) -> &'static str {
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(prev) = (0..line0.min(lines.len())).rev().find(|&j| !lines[j].trim().is_empty()) else {
        return "found character that cannot start any token";
    };
    if in_block_scalar(&lines, prev) {
        return "found a tab character where an indentation space is expected";
    }
    let line = lines[prev].trim();
    let entry = line.trim_start_matches("- ");
    let value = entry.split_once(": ").map_or(entry, |(_, v)| v.trim_start());
    let plain = !value.is_empty()
        && !line.starts_with('#')
        && !value.ends_with(':')
        && !value.starts_with(['"', '\'', '[', '{', '|', '>', '&', '*', '!', '#']);
    if plain {
        return "found a tab character that violates indentation";
    }
    "found character that cannot start any token"
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A block scalar header (`key: |`, `- >-`) ends line `j`, or opens a run of more indented
/// lines that reaches it.
fn in_block_scalar(lines: &[&str], j: usize) -> bool {
    let is_header = |l: &str| {
        let t = l.trim_end().trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '+');
        t.ends_with(['|', '>']) && (t.len() == 1 || t[..t.len() - 1].ends_with([' ', '-', ':']))
    };
    let floor = indent_of(lines[j]);
    for k in (0..=j).rev() {
        let l = lines[k];
        if l.trim().is_empty() {
            continue;
        }
        if is_header(l) {
            return k == j || indent_of(l) < floor;
        }
        if k != j && indent_of(l) < floor {
            return false;
        }
    }
    false
}

/// The tab error for 0-based line `line0`, with go-yaml's line prefix.
pub(crate) fn tab_error(text: &str, line0: usize) -> YamlError {
    let at = if line0 == 0 { String::new() } else { format!("line {}: ", line0 + 1) };
    YamlError::Yaml(format!("{at}{}", tab_message(text, line0)))
}

/// libyaml's anchor and alias names are `[0-9A-Za-z_-]+`, ended by a blank or one of `?:,]}%@``;
/// granit-parser takes any non-blank run. Returns the name libyaml reads, or its error.
pub(crate) fn anchor_name(name: &str, line1: usize) -> Result<&str, YamlError> {
    let len = name.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(name.len());
    let next = name[len..].chars().next();
    if len == 0 || !matches!(next, None | Some('?' | ':' | ',' | ']' | '}' | '%' | '@' | '`')) {
        let message = "did not find expected alphabetic or numeric character";
        let at = if line1 <= 1 { String::new() } else { format!("line {line1}: ") };
        return Err(YamlError::Yaml(format!("{at}{message}")));
    }
    Ok(&name[..len])
}

/// A flow collection opened at a key's place on 1-based line `line1` and not closed there: the
/// key goes stale at the next token's line.
pub(crate) fn stale_flow_key(text: &str, line1: usize) -> YamlError {
    let line0 = next_token_line0(text, line1);
    YamlError::Yaml(format!("line {}: could not find expected ':'", line0 + 1))
}

/// A plain scalar cut by ` #` where a key was expected (`x #y: v`): libyaml ends the scalar at
/// the comment. At a mapping's key column the key is required and goes stale at the next
/// token; as the first thing under a `-` or `key:` it is a value, and the more indented next
/// token is no `-` or key of the enclosing collection.
fn comment_cut_key(text: &str, line1: usize) -> (String, Mark) {
    let lines: Vec<&str> = text.split('\n').collect();
    let col = indent_of(line_text(text, line1));
    let next0 = next_token_line0(text, line1);
    let parent = lines[..line1.saturating_sub(1)].iter().rev().find(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && indent_of(l) <= col
    });
    match parent {
        Some(p) if indent_of(p) < col && p.trim_start().starts_with('-') => {
            ("did not find expected '-' indicator".into(), Mark::Parser(next0))
        }
        Some(p) if indent_of(p) < col => ("did not find expected key".into(), Mark::Parser(next0)),
        _ => ("could not find expected ':'".into(), Mark::Scanner(next0)),
    }
}

/// A quoted scalar granit-parser refuses on line `line1` (a continuation less indented than
/// YAML 1.2 allows, or no closing quote). go-yaml does not check that indentation: it reads to
/// the closing quote, then the token after it is out of place; with no closing quote the
/// stream ends inside the scalar.
fn multi_line_quote(text: &str, line1: usize) -> (String, Mark) {
    let eof = ("found unexpected end of stream".to_owned(), Mark::Scanner(text.matches('\n').count()));
    let upto = text.split_inclusive('\n').take(line1).map(str::len).sum::<usize>();
    let Some((open, quote)) = last_open_quote(&text[..upto.min(text.len())]) else { return eof };
    let Some(close) = closing_quote(text, open, quote) else { return eof };
    let line0 = |offset: usize| text[..offset].matches('\n').count();
    let before = text[..open].trim_end_matches([' ', '\t']);
    if before.ends_with(['}', ']', '"', '\'']) {
        // The quoted scalar itself follows a complete node.
        return ("did not find expected key".into(), Mark::Parser(line0(open)));
    }
    let rest = text[close + 1..].split('\n').next().unwrap_or("").trim_start_matches([' ', '\t']);
    if rest.is_empty() || rest.starts_with('#') || rest.starts_with(':') {
        return eof;
    }
    ("did not find expected key".into(), Mark::Parser(line0(close)))
}

/// The byte offset and character of the last quote that opens a quoted scalar in `text` and
/// is still open at its end.
fn last_open_quote(text: &str) -> Option<(usize, u8)> {
    let b = text.as_bytes();
    let mut open: Option<(usize, u8)> = None;
    let mut i = 0;
    while i < b.len() {
        match (open, b[i]) {
            (Some((_, b'"')), b'\\') => i += 1,
            (Some((_, b'"')), b'"') => open = None,
            (Some((_, b'\'')), b'\'') if b.get(i + 1) == Some(&b'\'') => i += 1,
            (Some((_, b'\'')), b'\'') => open = None,
            (None, b'#') if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            (None, q @ (b'"' | b'\'')) => {
                let starts_token = i == 0
                    || matches!(
                        b[i - 1],
                        b' ' | b'\t' | b'\n' | b'-' | b'[' | b'{' | b',' | b'}' | b']' | b'"' | b'\''
                    );
                if starts_token {
                    open = Some((i, q));
                }
            }
            _ => {}
        }
        i += 1;
    }
    open
}

/// Where the scalar opened at `open` with `quote` closes.
fn closing_quote(text: &str, open: usize, quote: u8) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 1,
            b'\'' if quote == b'\'' && b.get(i + 1) == Some(&b'\'') => i += 1,
            c if c == quote => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The 0-based line of the last `%` directive at or before 1-based line `line1`.
fn directive_line(text: &str, line1: usize) -> Option<usize> {
    text.split('\n').take(line1).enumerate().filter(|(_, l)| l.starts_with('%')).map(|(i, _)| i).last()
}

/// libyaml's scanner complaint about the directive on 0-based line `line0`.
fn directive_problem(text: &str, line0: usize) -> (String, Mark) {
    let name = text.split('\n').nth(line0).unwrap_or("").get(1..).unwrap_or("");
    let len = name.find(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-').unwrap_or(name.len());
    let message = if len == 0 {
        "could not find expected directive name"
    } else if name[len..].chars().next().is_some_and(|c| !matches!(c, ' ' | '\t' | '\r')) {
        "found unexpected non-alphabetical character"
    } else {
        return ("did not find expected <document start>".into(), Mark::Parser(line0 + 1));
    };
    (message.into(), Mark::Scanner(line0))
}
