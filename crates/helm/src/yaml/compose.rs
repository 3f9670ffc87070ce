//! Parsing the first document of a YAML stream into a node graph (scalars keep their style and
//! tag, aliases point at their anchor's node), and turning the parser's errors into go-yaml's
//! message text and line numbers.

use std::collections::HashMap;

use granit_parser::{ErrorKind, Event, Options, Parser, ScalarStyle, ScanError};

use super::YamlError;

/// Nesting deeper than this is refused, as go-yaml's parser does.
const MAX_DEPTH: usize = 10_000;

/// One node of the composed document.
#[derive(Debug)]
pub(crate) enum YNode {
    Scalar {
        value: String,
        plain: bool,
        /// The tag in go-yaml's long form (`tag:yaml.org,2002:str`), or a local `!tag`.
        tag: Option<String>,
    },
    Seq(Vec<usize>),
    Map(Vec<(usize, usize)>),
    Alias {
        target: usize,
        name: String,
    },
}

/// The first document's nodes (`root` indexes `nodes`), or `None` for an empty stream.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) nodes: Vec<YNode>,
    pub(crate) anchors: HashMap<usize, String>,
    pub(crate) root: Option<usize>,
}

enum Open {
    Seq(usize),
    Map(usize, Option<usize>),
}

/// Parses the first document of `text`.
pub(crate) fn compose(text: &str) -> Result<Document, YamlError> {
    let mut options = Options::default();
    options.emit_unresolved_aliases = true;
    options.emit_anchor_events = true;
    options.flow_nesting_limit = MAX_DEPTH;
    options.block_nesting_limit = MAX_DEPTH;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut doc = Document { nodes: Vec::new(), anchors: HashMap::new(), root: None };
    let mut anchor_nodes: HashMap<usize, usize> = HashMap::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut started = false;
    while let Some(next) = parser.next_event() {
        let (event, _span) = next.map_err(|e| scan_error(&e))?;
        let (node, anchor) = match event {
            Event::DocumentStart(..) => {
                started = true;
                continue;
            }
            Event::DocumentEnd if started => break,
            Event::StreamEnd => break,
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle(), t.suffix()));
                let plain = style == ScalarStyle::Plain;
                let value = value.into_owned();
                (YNode::Scalar { value, plain, tag }, anchor)
            }
            Event::SequenceStart(_, anchor, _) => (YNode::Seq(Vec::new()), anchor),
            Event::MappingStart(_, anchor, _) => (YNode::Map(Vec::new()), anchor),
            Event::Alias(id) => {
                let target = anchor_nodes.get(&id).copied().unwrap_or(0);
                let name = doc.anchors.get(&id).cloned().unwrap_or_default();
                (YNode::Alias { target, name }, 0)
            }
            Event::UnresolvedAlias(name) => {
                return Err(YamlError::Yaml(format!("unknown anchor '{name}' referenced")));
            }
            Event::Anchor(id, name) => {
                doc.anchors.insert(id, name.into_owned());
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = stack.pop() else { continue };
                let idx = match open {
                    Open::Seq(i) | Open::Map(i, _) => i,
                };
                attach(&mut doc, &mut stack, idx);
                continue;
            }
            _ => continue,
        };
        let idx = doc.nodes.len();
        let is_collection = matches!(node, YNode::Seq(_) | YNode::Map(..));
        doc.nodes.push(node);
        if anchor != 0 {
            anchor_nodes.insert(anchor, idx);
        }
        if is_collection {
            if stack.len() >= MAX_DEPTH {
                return Err(YamlError::Yaml(format!("exceeded max depth of {MAX_DEPTH}")));
            }
            let open = match doc.nodes[idx] {
                YNode::Seq(_) => Open::Seq(idx),
                _ => Open::Map(idx, None),
            };
            stack.push(open);
        } else {
            attach(&mut doc, &mut stack, idx);
        }
    }
    Ok(doc)
}

/// Hangs a finished node on its parent (or makes it the root).
fn attach(doc: &mut Document, stack: &mut [Open], idx: usize) {
    match stack.last_mut() {
        None => {
            if doc.root.is_none() {
                doc.root = Some(idx);
            }
        }
        Some(Open::Seq(parent)) => {
            if let YNode::Seq(items) = &mut doc.nodes[*parent] {
                items.push(idx);
            }
        }
        Some(Open::Map(parent, pending)) => match pending.take() {
            None => *pending = Some(idx),
            Some(key) => {
                if let YNode::Map(entries) = &mut doc.nodes[*parent] {
                    entries.push((key, idx));
                }
            }
        },
    }
}

/// go-yaml's `parser.fail()`: the problem text, and a `line N: ` prefix computed as go-yaml
/// does (scanner errors report the 1-based line, parser errors the 0-based one; line 0 is
/// left out).
fn scan_error(e: &ScanError) -> YamlError {
    let (message, scanner) = go_message(e);
    let line = e.marker().line();
    let go_line = if scanner { line } else { line.saturating_sub(1) };
    let zero_based = line.saturating_sub(1);
    if zero_based == 0 || go_line == 0 {
        return YamlError::Yaml(message);
    }
    YamlError::Yaml(format!("line {go_line}: {message}"))
}

/// The libyaml problem text for a parser error, and whether libyaml raises it in the scanner.
fn go_message(e: &ScanError) -> (String, bool) {
    let scanner = |m: &str| (m.to_owned(), true);
    let parser = |m: &str| (m.to_owned(), false);
    match e.kind() {
        ErrorKind::MappingValueNotAllowed => scanner("mapping values are not allowed in this context"),
        ErrorKind::SimpleKeyExpected | ErrorKind::InvalidSimpleKey => scanner("could not find expected ':'"),
        ErrorKind::UnexpectedCharacter { .. } => scanner("found character that cannot start any token"),
        ErrorKind::UnclosedQuotedScalar => scanner("found unexpected end of stream"),
        ErrorKind::UnknownQuotedScalarEscape => scanner("found unknown escape character"),
        ErrorKind::InvalidQuotedScalarHexEscape => scanner("did not find expected hexdecimal number"),
        ErrorKind::InvalidUnicodeEscape => scanner("found invalid Unicode character escape code"),
        ErrorKind::DocumentIndicatorInQuotedScalar => scanner("found unexpected document indicator"),
        ErrorKind::BlockSequenceEntryNotAllowed => scanner("block sequence entries are not allowed in this context"),
        ErrorKind::MappingKeyNotAllowed => scanner("mapping keys are not allowed in this context"),
        ErrorKind::MissingAnchorOrAliasName => scanner("did not find expected alphabetic or numeric character"),
        ErrorKind::TabInPlainScalar | ErrorKind::TabInIndentation => {
            scanner("found a tab character that violates indentation")
        }
        ErrorKind::InvalidBlockScalarHeader => scanner("did not find expected comment or line break"),
        ErrorKind::ZeroBlockScalarIndent => scanner("found an indentation indicator equal to 0"),
        ErrorKind::ExpectedBlockMappingKey => parser("did not find expected key"),
        ErrorKind::ExpectedBlockSequenceEntry => parser("did not find expected '-' indicator"),
        ErrorKind::ExpectedNodeContent => parser("did not find expected node content"),
        ErrorKind::ExpectedFlowSequenceSeparator => parser("did not find expected ',' or ']'"),
        ErrorKind::ExpectedFlowMappingSeparator => parser("did not find expected ',' or '}'"),
        ErrorKind::UnclosedFlowCollection { open } | ErrorKind::MismatchedFlowCollectionEnd { open, .. } => {
            if *open == '{' {
                parser("did not find expected ',' or '}'")
            } else {
                parser("did not find expected ',' or ']'")
            }
        }
        ErrorKind::ExpectedDocumentStart => parser("did not find expected <document start>"),
        ErrorKind::UndeclaredTagHandle => parser("found undefined tag handle"),
        ErrorKind::DuplicateVersionDirective => parser("found duplicate %YAML directive"),
        ErrorKind::UnsupportedYamlMajorVersion => parser("found incompatible YAML document"),
        ErrorKind::RecursionLimitExceeded => (format!("exceeded max depth of {MAX_DEPTH}"), true),
        _ => parser(&e.info()),
    }
}
