//! Parsing the first document of a YAML stream into a node graph (scalars keep their style and
//! tag, aliases point at their anchor's node), and turning the parser's errors into go-yaml's
//! message text and line numbers.

use std::collections::HashMap;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span, StructureStyle};

use super::YamlError;
use super::errors::go_error;
use super::input::{prepare, restore, tab_indented_line};

/// Nesting deeper than this is refused. go-yaml allows 10000 levels; decoding here recurses
/// per level, so the bound is kept where any thread's stack is safe.
pub(crate) const MAX_DEPTH: usize = 1_000;

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
    /// Entries, and whether the mapping is in block style.
    Map(Vec<(usize, usize)>, bool),
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
    let text = &*prepare(text)?;
    let mut covered = vec![false; text.matches('\n').count() + 1];
    let mut flow_starts: Vec<usize> = Vec::new();
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
        let (event, span) = next.map_err(|e| go_error(&e, text))?;
        cover(&event, &span, &mut covered, &mut flow_starts);
        if let Some(&Open::Map(parent, None)) = stack.last()
            && is_implicit_empty_key(&event, &span, text, doc.nodes.get(parent))
        {
            let line0 = span.start.line().saturating_sub(1);
            let at = if line0 == 0 { String::new() } else { format!("line {line0}: ") };
            return Err(YamlError::Yaml(format!("{at}did not find expected key")));
        }
        let (node, anchor) = match event {
            Event::DocumentStart(..) => {
                started = true;
                continue;
            }
            Event::DocumentEnd if started => break,
            Event::StreamEnd => break,
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| format!("{}{}", t.handle(), t.suffix()));
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let value = restore(value, block, style == ScalarStyle::Plain);
                let plain = style == ScalarStyle::Plain;
                (YNode::Scalar { value, plain, tag }, anchor)
            }
            Event::SequenceStart(_, anchor, _) => (YNode::Seq(Vec::new()), anchor),
            Event::MappingStart(style, anchor, _) => (YNode::Map(Vec::new(), style == StructureStyle::Block), anchor),
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
    if let Some(line0) = tab_indented_line(text, &covered) {
        let at = if line0 == 0 { String::new() } else { format!("line {}: ", line0 + 1) };
        return Err(YamlError::Yaml(format!("{at}found character that cannot start any token")));
    }
    Ok(doc)
}

/// Marks the lines inside multi-line scalars and flow collections, where tabs are allowed.
fn cover(event: &Event<'_>, span: &Span, covered: &mut [bool], flow_starts: &mut Vec<usize>) {
    let mut mark = |from: usize, to: usize| {
        for line in covered.iter_mut().take(to).skip(from) {
            *line = true;
        }
    };
    let (start, end) = (span.start.line(), span.end.line());
    match event {
        Event::Scalar(..) => mark(start, end),
        Event::SequenceStart(StructureStyle::Flow, ..) | Event::MappingStart(StructureStyle::Flow, ..) => {
            flow_starts.push(start);
        }
        Event::SequenceEnd | Event::MappingEnd => {
            if let Some(from) = flow_starts.pop() {
                mark(from, end);
            }
        }
        _ => {}
    }
}

/// go-yaml wants a KEY token for every block-mapping entry: a line starting with `:` (an
/// implicit empty key) is "did not find expected key".
fn is_implicit_empty_key(event: &Event<'_>, span: &Span, text: &str, map: Option<&YNode>) -> bool {
    // granit-parser reports an empty node as a zero-width `~`.
    let Event::Scalar(value, ScalarStyle::Plain, 0, None) = event else {
        return false;
    };
    let empty = value == "~" && span.start.byte_offset() == span.end.byte_offset();
    let block = matches!(map, Some(YNode::Map(_, true)));
    let offset = span.start.byte_offset().unwrap_or(0);
    let at = text.get(offset..).unwrap_or("");
    let before = text.get(..offset).unwrap_or("").trim_end_matches([' ', '\t', '\r', '\n']);
    block && empty && at.starts_with(':') && !before.ends_with('?')
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
                if let YNode::Map(entries, _) = &mut doc.nodes[*parent] {
                    entries.push((key, idx));
                }
            }
        },
    }
}
