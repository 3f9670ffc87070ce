//! The block-structure half of go-yaml's emitter (a port of libyaml's `emitterc.go`): indents,
//! indicators, block sequences and mappings, empty flow collections and complex (`?`) keys.
//!
//! go-yaml drives the emitter with an event queue and a state machine; the encoders here only
//! ever emit trees, so the same state transitions are walked recursively instead. The column,
//! `whitespace` and `indention` bookkeeping is kept exactly, since every byte of the output
//! (where a space or a line break goes) depends on it.

use super::scalar::Analysis;

/// How the emitter writes a scalar, as go-yaml's encoder asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// A node handed to the emitter: a scalar with its requested style, or a collection.
#[derive(Debug)]
pub(crate) enum Node {
    Scalar(String, Style),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// Where the next node sits, as libyaml's `emit_node` flags.
#[derive(Clone, Copy, Default)]
struct Context {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

/// The emitter's state: output, indentation stack and cursor bookkeeping.
#[derive(Debug)]
pub(crate) struct Emitter {
    pub(crate) out: String,
    pub(crate) indent: i64,
    indents: Vec<i64>,
    pub(crate) column: i64,
    pub(crate) whitespace: bool,
    pub(crate) indention: bool,
    pub(crate) best_indent: i64,
    pub(crate) best_width: i64,
    /// yaml.v2 writes a sequence that is a mapping's value without indenting it (`k:\n- a`);
    /// yaml.v3 indents it (`k:\n  - a`).
    indentless_in_mapping: bool,
    /// yaml.v3 lets a tab through in a literal block; yaml.v2 treats it as special.
    pub(crate) v3_tabs: bool,
    pub(crate) root_context: bool,
}

impl Emitter {
    /// A fresh emitter, in the state libyaml's STREAM-START leaves it.
    pub(crate) fn new(best_indent: i64, indentless_in_mapping: bool) -> Self {
        Emitter {
            out: String::new(),
            indent: -1,
            indents: Vec::new(),
            column: 0,
            whitespace: true,
            indention: true,
            best_indent,
            best_width: 80,
            indentless_in_mapping,
            v3_tabs: false,
            root_context: false,
        }
    }

    /// go-yaml v3's encoder: sequences indented under keys, no line folding, tabs in blocks.
    pub(crate) fn v3(best_indent: i64) -> Self {
        let mut e = Emitter::new(best_indent, false);
        e.best_width = i64::MAX;
        e.v3_tabs = true;
        e
    }

    /// Emits one implicit document holding `node` and returns the text.
    pub(crate) fn document(mut self, node: &Node) -> String {
        let ctx = Context { root: true, ..Context::default() };
        self.node(node, ctx);
        // DOCUMENT-END: an implicit end only terminates the last line.
        self.write_indent();
        self.out
    }

    fn node(&mut self, node: &Node, ctx: Context) {
        self.root_context = ctx.root;
        match node {
            Node::Scalar(value, style) => self.scalar(value, *style, ctx),
            Node::Seq(items) if items.is_empty() => self.empty_flow("[", "]"),
            Node::Map(entries) if entries.is_empty() => self.empty_flow("{", "}"),
            Node::Seq(items) => self.block_sequence(items, ctx),
            Node::Map(entries) => self.block_mapping(entries),
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Node], ctx: Context) {
        let indentless = self.indentless_in_mapping && ctx.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Context::default());
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, entries: &[(Node, Node)]) {
        self.increase_indent(false, false);
        let value_ctx = Context { mapping: true, ..Context::default() };
        for (key, value) in entries {
            self.write_indent();
            if check_simple_key(key, self.v3_tabs) {
                let key_ctx = Context { mapping: true, simple_key: true, ..Context::default() };
                self.node(key, key_ctx);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.node(key, value_ctx);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(value, value_ctx);
        }
        self.pop_indent();
    }

    fn scalar(&mut self, value: &str, requested: Style, ctx: Context) {
        let analysis = Analysis::of(value, self.v3_tabs);
        let style = select_style(&analysis, requested, ctx.simple_key);
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(value, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    pub(crate) fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if !indentless {
            self.indent += self.best_indent;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    /// One byte (ASCII) out: libyaml's `put`.
    pub(crate) fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    /// One character out: libyaml's `write` (a column per character, not per byte).
    pub(crate) fn write(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    /// A line break out: libyaml's `put_break`.
    pub(crate) fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
        self.indention = true;
    }

    /// A line break copied from the value: `\n` is normalised, others are kept as written.
    pub(crate) fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
            self.indention = true;
        }
    }

    pub(crate) fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
    }

    pub(crate) fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.write(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }
}

/// libyaml's `check_simple_key`: a key is written inline unless it spans lines or is long.
fn check_simple_key(key: &Node, v3_tabs: bool) -> bool {
    match key {
        Node::Scalar(value, _) => !Analysis::of(value, v3_tabs).multiline && value.len() <= 128,
        Node::Seq(items) => items.is_empty(),
        Node::Map(entries) => entries.is_empty(),
    }
}

/// libyaml's `select_scalar_style` for a block context with implicit tags.
fn select_style(analysis: &Analysis, requested: Style, simple_key: bool) -> Style {
    let mut style = requested;
    if simple_key && analysis.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain && (!analysis.block_plain_allowed || (analysis.empty && simple_key)) {
        style = Style::SingleQuoted;
    }
    if style == Style::SingleQuoted && !analysis.single_quoted_allowed {
        style = Style::DoubleQuoted;
    }
    if style == Style::Literal && (!analysis.block_allowed || simple_key) {
        style = Style::DoubleQuoted;
    }
    style
}
