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
        ErrorKind::SimpleKeyExpected | ErrorKind::InvalidSimpleKey => {
            ("could not find expected ':'".into(), Mark::Scanner(next_token_line0(text, line1)))
        }
        ErrorKind::UnexpectedCharacter { .. } => scanner("found character that cannot start any token"),
        ErrorKind::TabInBlockIndentation | ErrorKind::TabInIndentation => {
            let tab_line = text
                .split('\n')
                .enumerate()
                .skip(here0)
                .find(|(_, l)| l.trim_start_matches(' ').starts_with('\t'))
                .map_or(here0, |(i, _)| i);
            ("found character that cannot start any token".into(), Mark::Scanner(tab_line))
        }
        ErrorKind::UnclosedQuotedScalar | ErrorKind::InvalidQuotedScalarIndent => {
            ("found unexpected end of stream".into(), Mark::Scanner(eof_line0(text)))
        }
        ErrorKind::InvalidTrailingSingleQuotedScalar | ErrorKind::InvalidTrailingDoubleQuotedScalar => {
            trailing_after_quote(text, line1)
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
        ErrorKind::TabAtBlockScalarStart => {
            ("found a tab character where an indentation space is expected".into(), Mark::Scanner(here0 + 1))
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
                None | Some(':' | '-' | '\n' | '[' | ',' | '{') => parser("did not find expected node content"),
                _ => parser("did not find expected key"),
            }
        }
        ErrorKind::UnknownQuotedScalarEscape => scanner("found unknown escape character"),
        ErrorKind::InvalidQuotedScalarHexEscape => scanner("did not find expected hexdecimal number"),
        ErrorKind::InvalidUnicodeEscape => scanner("found invalid Unicode character escape code"),
        ErrorKind::DocumentIndicatorInQuotedScalar => scanner("found unexpected document indicator"),
        ErrorKind::BlockSequenceEntryNotAllowed => scanner("block sequence entries are not allowed in this context"),
        ErrorKind::MappingKeyNotAllowed => scanner("mapping keys are not allowed in this context"),
        ErrorKind::MissingAnchorOrAliasName => scanner("did not find expected alphabetic or numeric character"),
        ErrorKind::TabInPlainScalar => {
            let tab_line = text
                .split('\n')
                .enumerate()
                .skip(here0 + 1)
                .find(|(_, l)| l.trim_start_matches(' ').starts_with('\t'))
                .map_or(here0, |(i, _)| i);
            ("found a tab character that violates indentation".into(), Mark::Scanner(tab_line))
        }
        ErrorKind::InvalidBlockScalarHeader => scanner("did not find expected comment or line break"),
        ErrorKind::ZeroBlockScalarIndent => scanner("found an indentation indicator equal to 0"),
        ErrorKind::ExpectedBlockMappingKey => parser("did not find expected key"),
        ErrorKind::ExpectedBlockSequenceEntry => parser("did not find expected '-' indicator"),
        ErrorKind::ExpectedNodeContent => parser("did not find expected node content"),
        ErrorKind::ExpectedFlowSequenceSeparator => parser("did not find expected ',' or ']'"),
        ErrorKind::ExpectedFlowMappingSeparator => parser("did not find expected ',' or '}'"),
        ErrorKind::ExpectedDocumentStart => parser("did not find expected <document start>"),
        ErrorKind::UndeclaredTagHandle => parser("found undefined tag handle"),
        ErrorKind::DuplicateVersionDirective => parser("found duplicate %YAML directive"),
        ErrorKind::UnsupportedYamlMajorVersion => parser("found incompatible YAML document"),
        ErrorKind::RecursionLimitExceeded => (format!("exceeded max depth of {MAX_DEPTH}"), Mark::Scanner(0)),
        _ => parser(&e.info()),
    }
}

/// Content after a closing quote on the same line: libyaml reads it as the next token, so a
/// quoted key never finds its `:`, and a quoted value is followed by something that is not a key.
fn trailing_after_quote(text: &str, line1: usize) -> (String, Mark) {
    let line = line_text(text, line1).trim_start_matches([' ', '\t']);
    if line.starts_with(['\'', '"']) {
        return ("could not find expected ':'".into(), Mark::Scanner(next_token_line0(text, line1)));
    }
    let here0 = line1.saturating_sub(1);
    if line.starts_with("- ") {
        return ("did not find expected '-' indicator".into(), Mark::Parser(here0));
    }
    ("did not find expected key".into(), Mark::Parser(here0))
}
