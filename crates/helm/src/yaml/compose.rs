//! Parsing the first document of a YAML stream into a node graph (scalars keep their style and
//! tag, aliases point at their anchor's node), and turning the parser's errors into go-yaml's
//! message text and line numbers.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{ErrorKind, Event, Options, Parser, ScalarStyle, ScanError, Span, StructureStyle, Tag};

use super::YamlError;
use super::errors::{anchor_name, go_error, stale_flow_key, tab_error};
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

/// The composer's state between events.
struct Composer<'t> {
    text: &'t str,
    lines: Vec<&'t str>,
    covered: Vec<bool>,
    flow_starts: Vec<usize>,
    doc: Document,
    anchor_nodes: HashMap<usize, usize>,
    stack: Vec<Open>,
    started: bool,
}

/// What the loop does after an event.
enum Step {
    Go,
    Stop,
}

/// Parses the first document of `text`.
pub(crate) fn compose(text: &str) -> Result<Document, YamlError> {
    let text = &*prepare(text)?;
    let mut options = Options::default();
    options.emit_unresolved_aliases = true;
    options.emit_anchor_events = true;
    options.flow_nesting_limit = MAX_DEPTH;
    options.block_nesting_limit = MAX_DEPTH;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut c = Composer {
        text,
        covered: vec![false; lines.len()],
        lines,
        flow_starts: Vec::new(),
        doc: Document { nodes: Vec::new(), anchors: HashMap::new(), root: None },
        anchor_nodes: HashMap::new(),
        stack: Vec::new(),
        started: false,
    };
    let mut tab_limit = usize::MAX;
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(next) => next,
            Err(e) => match c.read_no_further(&e) {
                Some(limit) => {
                    tab_limit = limit;
                    break;
                }
                None => return Err(fail(&e, text, &c.covered, &c.flow_starts)),
            },
        };
        if let Step::Stop = c.event(event, &span)? {
            break;
        }
    }
    match tab_indented_line(text, &c.covered) {
        Some(line0) if line0 < tab_limit => Err(tab_error(text, line0)),
        _ => Ok(c.doc),
    }
}

impl Composer<'_> {
    /// Whether go-yaml would have stopped before the parse error `e`: the first document
    /// ended with a root collection's dedent, or `x #y: ...` made it the plain scalar `x`.
    /// Returns the line from which tabs are no longer looked at.
    fn read_no_further(&self, e: &ScanError) -> Option<usize> {
        if !self.stack.is_empty() {
            return None;
        }
        let root = self.doc.root.map(|r| &self.doc.nodes[r])?;
        if !matches!(root, YNode::Scalar { .. }) {
            return Some(e.marker().line().saturating_sub(1));
        }
        matches!(e.kind(), ErrorKind::CommentInterceptedScalar).then_some(0)
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<Step, YamlError> {
        cover(&event, span, &self.lines, &mut self.covered, &mut self.flow_starts);
        if let Some(&Open::Map(parent, None)) = self.stack.last()
            && is_implicit_empty_key(&event, span, self.text, self.doc.nodes.get(parent))
        {
            let line0 = span.start.line().saturating_sub(1);
            let at = if line0 == 0 { String::new() } else { format!("line {line0}: ") };
            return Err(YamlError::Yaml(format!("{at}did not find expected key")));
        }
        let (node, anchor) = match event {
            Event::DocumentStart(..) => {
                self.started = true;
                return Ok(Step::Go);
            }
            Event::DocumentEnd if self.started => return Ok(Step::Stop),
            Event::StreamEnd => return Ok(Step::Stop),
            Event::Scalar(value, style, anchor, tag) => (scalar_node(value, style, tag, span, self.text), anchor),
            Event::SequenceStart(_, anchor, _) => (YNode::Seq(Vec::new()), anchor),
            Event::MappingStart(style, anchor, _) => (YNode::Map(Vec::new(), style == StructureStyle::Block), anchor),
            Event::Alias(id) => {
                let target = self.anchor_nodes.get(&id).copied().unwrap_or(0);
                let name = self.doc.anchors.get(&id).cloned().unwrap_or_default();
                (YNode::Alias { target, name }, 0)
            }
            Event::UnresolvedAlias(name) => {
                let name = anchor_name(&name, span.start.line())?;
                return Err(YamlError::Yaml(format!("unknown anchor '{name}' referenced")));
            }
            Event::Anchor(id, name) => {
                anchor_name(&name, span.start.line())?;
                self.doc.anchors.insert(id, name.into_owned());
                return Ok(Step::Go);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(Open::Seq(idx) | Open::Map(idx, _)) = self.stack.pop() {
                    attach(&mut self.doc, &mut self.stack, idx);
                }
                return Ok(Step::Go);
            }
            _ => return Ok(Step::Go),
        };
        self.push(node, anchor)?;
        Ok(Step::Go)
    }

    /// Adds a node: a scalar or alias hangs on its parent now, a collection once it ends.
    fn push(&mut self, node: YNode, anchor: usize) -> Result<(), YamlError> {
        let idx = self.doc.nodes.len();
        let open = match node {
            YNode::Seq(_) => Some(Open::Seq(idx)),
            YNode::Map(..) => Some(Open::Map(idx, None)),
            _ => None,
        };
        self.doc.nodes.push(node);
        if anchor != 0 {
            self.anchor_nodes.insert(anchor, idx);
        }
        match open {
            Some(_) if self.stack.len() >= MAX_DEPTH => {
                Err(YamlError::Yaml(format!("exceeded max depth of {MAX_DEPTH}")))
            }
            Some(open) => {
                self.stack.push(open);
                Ok(())
            }
            None => {
                attach(&mut self.doc, &mut self.stack, idx);
                Ok(())
            }
        }
    }
}

/// A scalar event's node: stand-ins restored, and a block scalar ending the stream without a
/// line break has no final break.
fn scalar_node(value: Cow<'_, str>, style: ScalarStyle, tag: Option<Cow<'_, Tag>>, span: &Span, text: &str) -> YNode {
    let tag = tag.map(|t| format!("{}{}", t.handle(), t.suffix()));
    let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
    let plain = style == ScalarStyle::Plain;
    let mut value = restore(value, block, plain);
    let at_eof = span.end.byte_offset().is_some_and(|o| o >= text.len());
    if block && at_eof && !text.trim_end_matches([' ', '\t']).ends_with('\n') && value.ends_with('\n') {
        value.pop();
    }
    YNode::Scalar { value, plain, tag }
}

/// go-yaml's error for a parse failure: a tab-indented line before it fails first, and a flow
/// collection opened where a key must be (a line start in a block collection) fails at the
/// first line change as a key without `:`.
fn fail(e: &ScanError, text: &str, covered: &[bool], flow_starts: &[usize]) -> YamlError {
    if let Some(tab0) = tab_indented_line(text, covered)
        && tab0 < e.marker().line()
    {
        return tab_error(text, tab0);
    }
    // The parser may not have reported the flow start yet: look for the unclosed bracket.
    let start = flow_starts.first().copied().or_else(|| {
        let lines: Vec<&str> = text.split('\n').take(e.marker().line()).collect();
        lines
            .iter()
            .rposition(|l| {
                let t = l.trim_start();
                (t.starts_with('[') && !t.contains(']')) || (t.starts_with('{') && !t.contains('}'))
            })
            .map(|i| i + 1)
    });
    if let Some(start) = start
        && e.marker().line() > start
    {
        match bracket_place(text, start) {
            BracketPlace::Key => return stale_flow_key(text, start),
            BracketPlace::NoLevel => {
                let line0 = start - 1;
                let at = if line0 == 0 { String::new() } else { format!("line {line0}: ") };
                return YamlError::Yaml(format!("{at}did not find expected key"));
            }
            BracketPlace::Other => {}
        }
    }
    go_error(e, text)
}

/// Where a bracket opening 1-based line `line1` stands in the block structure.
enum BracketPlace {
    /// At the column of the enclosing collection's entries: a required simple key.
    Key,
    /// Dedented to a column no open collection has: the parser wants a key there.
    NoLevel,
    /// A value on its own line, or anything else.
    Other,
}

fn bracket_place(text: &str, line1: usize) -> BracketPlace {
    let lines: Vec<&str> = text.split('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let Some(line) = lines.get(line1.saturating_sub(1)) else {
        return BracketPlace::Other;
    };
    if !line.trim_start().starts_with(['[', '{']) {
        return BracketPlace::Other;
    }
    let col = indent(line);
    let content: Vec<&&str> = lines[..line1.saturating_sub(1)]
        .iter()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .collect();
    let Some(prev) = content.last() else {
        return BracketPlace::Other;
    };
    if prev.trim_end().ends_with(':') && indent(prev) < col {
        return BracketPlace::Other;
    }
    match content.iter().rev().find(|l| indent(l) <= col) {
        Some(l) if indent(l) == col => BracketPlace::Key,
        _ if indent(prev) > col => BracketPlace::NoLevel,
        _ => BracketPlace::Other,
    }
}

/// Marks the lines inside multi-line scalars and flow collections, where tabs are allowed
/// (in a block scalar only past its content indentation). A span ending at column 0 ends on
/// the line before.
fn cover(event: &Event<'_>, span: &Span, all_lines: &[&str], covered: &mut [bool], flow_starts: &mut Vec<usize>) {
    let start = span.start.line();
    let end = if span.end.col() == 0 { span.end.line().saturating_sub(1) } else { span.end.line() };
    let end = end.min(all_lines.len());
    let lines = || all_lines.get(start..end).unwrap_or(&[]).iter().copied().enumerate().map(|(i, l)| (i + start, l));
    match event {
        Event::Scalar(_, ScalarStyle::Literal | ScalarStyle::Folded, ..) => {
            let first = lines().map(|(_, l)| l).find(|l| !l.trim().is_empty()).unwrap_or("");
            let indent = first.len() - first.trim_start_matches(' ').len();
            for (i, l) in lines() {
                let spaces = l.len() - l.trim_start_matches(' ').len();
                let early_tab = l[spaces..].starts_with('\t') && spaces < indent.max(1);
                if let Some(line) = covered.get_mut(i) {
                    *line = !early_tab;
                }
            }
        }
        Event::Scalar(..) => lines().for_each(|(i, _)| covered.get_mut(i).into_iter().for_each(|c| *c = true)),
        Event::SequenceStart(StructureStyle::Flow, ..) | Event::MappingStart(StructureStyle::Flow, ..) => {
            flow_starts.push(start);
        }
        Event::SequenceEnd | Event::MappingEnd => {
            if let Some(from) = flow_starts.pop() {
                for line in covered.iter_mut().take(end).skip(from) {
                    *line = true;
                }
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
