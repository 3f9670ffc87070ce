//! The parser: Go's `text/template/parse/parse.go` grammar and error messages.

use std::sync::Arc;

use crate::ast::{Branch, List, Node, Tree};
use crate::error::Error;
use crate::lex::{Item, Tok, lex};
use crate::literal::unquote;

mod pipeline;

/// Go's `maxStackDepth`: nesting deeper than this is refused rather than risking the stack.
const MAX_STACK_DEPTH: usize = 10_000;

type PResult<T> = Result<T, Error>;

/// Parses `text` (named `name`) into its top-level tree plus one tree per `{{define}}` and
/// `{{block}}`, in order of appearance. `has_func` says which function names exist.
pub(crate) fn parse(
    name: &str,
    text: &str,
    left: &str,
    right: &str,
    has_func: &dyn Fn(&str) -> bool,
) -> PResult<Vec<Tree>> {
    let text: Arc<str> = Arc::from(text);
    let mut p = Parser {
        items: lex(&text, left, right, has_func),
        idx: 0,
        last_line: 1,
        parse_name: name.to_string(),
        text: text.clone(),
        vars: vec!["$".into()],
        range_depth: 0,
        action_line: 0,
        depth: 0,
        max_depth: 0,
        has_func,
        trees: Vec::new(),
    };
    let root = p.top()?;
    let top = Tree { name: name.to_string(), parse_name: name.to_string(), text, root, nesting: 0 };
    // The top-level tree is added last, as Go's `Parse` does: a same-named definition wins
    // over an empty top level, and two non-empty ones are an error.
    let defined = p.trees.iter().find(|t| t.name == top.name);
    if defined.is_some_and(|d| !d.is_empty()) && !top.is_empty() {
        return p.fail(format!("template: multiple definition of template {}", crate::fmt::quote(&top.name)));
    }
    let mut trees = vec![top];
    trees.append(&mut p.trees);
    for t in &mut trees {
        t.nesting = p.max_depth;
    }
    Ok(trees)
}

struct Parser<'a> {
    items: Vec<Item>,
    idx: usize,
    last_line: usize,
    parse_name: String,
    text: Arc<str>,
    vars: Vec<String>,
    range_depth: usize,
    action_line: usize,
    depth: usize,
    max_depth: usize,
    has_func: &'a dyn Fn(&str) -> bool,
    trees: Vec<Tree>,
}

/// What `itemList` stopped at.
enum Stop {
    End,
    Else,
}

impl Parser<'_> {
    fn fail<T>(&self, msg: impl std::fmt::Display) -> PResult<T> {
        Err(Error::Parse(format!("template: {}:{}: {}", self.parse_name, self.last_line, msg)))
    }

    fn item(&self, i: usize) -> Item {
        let i = i.min(self.items.len().saturating_sub(1));
        self.items.get(i).cloned().unwrap_or(Item { typ: Tok::Eof, pos: self.text.len(), val: String::new(), line: 1 })
    }

    fn next(&mut self) -> Item {
        let it = self.item(self.idx);
        if self.idx < self.items.len() {
            self.idx += 1;
        }
        self.last_line = it.line;
        it
    }

    fn backup(&mut self) {
        self.idx = self.idx.saturating_sub(1);
    }

    fn peek(&mut self) -> Item {
        let it = self.item(self.idx);
        self.last_line = it.line;
        it
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let it = self.next();
            if it.typ != Tok::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let it = self.next_non_space();
        self.backup();
        it
    }

    fn expect(&mut self, typ: Tok, context: &str) -> PResult<Item> {
        let it = self.next_non_space();
        if it.typ != typ {
            return self.unexpected(&it, context);
        }
        Ok(it)
    }

    fn unexpected<T>(&self, it: &Item, context: &str) -> PResult<T> {
        if it.typ == Tok::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != it.line {
                extra = format!(" in action started at {}:{}", self.parse_name, self.action_line);
                if it.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.fail(format!("{it}{extra}"));
        }
        self.fail(format!("unexpected {it} in {context}"))
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        self.max_depth = self.max_depth.max(self.depth);
        if self.depth >= MAX_STACK_DEPTH {
            return self.fail("max expression depth exceeded");
        }
        Ok(())
    }

    fn top(&mut self) -> PResult<List> {
        let mut root = List::default();
        while self.peek().typ != Tok::Eof {
            if self.peek().typ == Tok::LeftDelim {
                let mark = self.idx;
                self.next();
                if self.next_non_space().typ == Tok::Define {
                    self.definition()?;
                    continue;
                }
                self.idx = mark;
            }
            match self.text_or_action()? {
                Ok(n) => root.nodes.push(n),
                Err(Stop::End) => return self.fail("unexpected {{end}}"),
                Err(Stop::Else) => return self.fail("unexpected {{else}}"),
            }
        }
        Ok(root)
    }

    /// `{{define "name"}} ... {{end}}` (after the `define` keyword).
    fn definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let tok = self.next_non_space();
        if !matches!(tok.typ, Tok::String | Tok::RawString) {
            return self.unexpected(&tok, context);
        }
        let name = match unquote(&tok.val) {
            Some(n) => n,
            None => return self.fail("invalid syntax"),
        };
        self.expect(Tok::RightDelim, context)?;
        let list = self.sub_tree(|p| match p.item_list()? {
            (list, Stop::End) => Ok(list),
            (_, Stop::Else) => p.fail(format!("unexpected {{{{else}}}} in {context}")),
        })?;
        self.add_tree(name, list)
    }

    /// Parses a nested template body with its own variables, as Go's new `Tree` does.
    fn sub_tree(&mut self, f: impl FnOnce(&mut Self) -> PResult<List>) -> PResult<List> {
        let vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let range_depth = std::mem::replace(&mut self.range_depth, 0);
        let out = f(self);
        self.vars = vars;
        self.range_depth = range_depth;
        out
    }

    /// Go's `Tree.add`: a second non-empty definition in one parse is an error.
    fn add_tree(&mut self, name: String, root: List) -> PResult<()> {
        let tree =
            Tree { name: name.clone(), parse_name: self.parse_name.clone(), text: self.text.clone(), root, nesting: 0 };
        if let Some(i) = self.trees.iter().position(|t| t.name == name) {
            if !self.trees[i].is_empty() && !tree.is_empty() {
                return self.fail(format!("template: multiple definition of template {}", crate::fmt::quote(&name)));
            }
            if self.trees[i].is_empty() {
                self.trees[i] = tree;
            }
            return Ok(());
        }
        self.trees.push(tree);
        Ok(())
    }

    fn item_list(&mut self) -> PResult<(List, Stop)> {
        let mut list = List::default();
        while self.peek_non_space().typ != Tok::Eof {
            match self.text_or_action()? {
                Ok(n) => list.nodes.push(n),
                Err(stop) => return Ok((list, stop)),
            }
        }
        self.fail("unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Result<Node, Stop>> {
        let tok = self.next_non_space();
        match tok.typ {
            Tok::Text => Ok(Ok(Node::Text { text: tok.val })),
            Tok::LeftDelim => {
                self.action_line = tok.line;
                let out = self.action();
                self.action_line = 0;
                out
            }
            Tok::Comment => Ok(Ok(Node::Comment)),
            _ => self.unexpected(&tok, "input"),
        }
    }

    fn action(&mut self) -> PResult<Result<Node, Stop>> {
        let tok = self.next_non_space();
        Ok(Ok(match tok.typ {
            Tok::Block => return self.block().map(Ok),
            Tok::Break | Tok::Continue => return self.loop_control(&tok).map(Ok),
            Tok::Else => {
                let peek = self.peek_non_space();
                if !matches!(peek.typ, Tok::If | Tok::With) {
                    self.expect(Tok::RightDelim, "else")?;
                }
                return Ok(Err(Stop::Else));
            }
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Err(Stop::End));
            }
            Tok::If => Node::If(self.control("if")?),
            Tok::Range => Node::Range(self.control("range")?),
            Tok::With => Node::With(self.control("with")?),
            Tok::Template => self.template()?,
            _ => {
                self.backup();
                Node::Action { pipe: self.pipeline("command", Tok::RightDelim)? }
            }
        }))
    }

    fn loop_control(&mut self, tok: &Item) -> PResult<Node> {
        let (word, node) = if tok.typ == Tok::Break {
            ("{{break}}", Node::Break { pos: tok.pos })
        } else {
            ("{{continue}}", Node::Continue { pos: tok.pos })
        };
        let next = self.next_non_space();
        if next.typ != Tok::RightDelim {
            return self.unexpected(&next, word);
        }
        if self.range_depth == 0 {
            return self.fail(format!("{word} outside {{{{range}}}}"));
        }
        Ok(node)
    }

    /// `if`, `with`, `range`: pipeline, body, optional else (with `else if` / `else with`).
    fn control(&mut self, context: &str) -> PResult<Branch> {
        self.enter()?;
        let mark = self.vars.len();
        let out = self.control_inner(context);
        self.vars.truncate(mark);
        self.depth -= 1;
        out
    }

    fn control_inner(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, stop) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let Stop::Else = stop {
            let chained = match self.peek().typ {
                Tok::If => context == "if",
                Tok::With => context == "with",
                _ => false,
            };
            if chained {
                // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}` with one `{{end}}`.
                self.next();
                let pos = pipe.pos;
                let inner = self.control(context)?;
                let node = if context == "if" { Node::If(inner) } else { Node::With(inner) };
                else_list = Some(List { nodes: vec![node] });
                return Ok(Branch { pos, pipe, list, else_list });
            }
            let (elist, stop) = self.item_list()?;
            if let Stop::Else = stop {
                return self.fail("expected end; found {{else}}");
            }
            else_list = Some(elist);
        }
        Ok(Branch { pos: pipe.pos, pipe, list, else_list })
    }

    fn template_name(&mut self, tok: &Item, context: &str) -> PResult<String> {
        match tok.typ {
            Tok::String | Tok::RawString => match unquote(&tok.val) {
                Some(s) => Ok(s),
                None => self.fail("invalid syntax"),
            },
            _ => self.unexpected(tok, context),
        }
    }

    fn template(&mut self) -> PResult<Node> {
        let context = "template clause";
        let tok = self.next_non_space();
        let name = self.template_name(&tok, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != Tok::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, Tok::RightDelim)?);
        }
        Ok(Node::Template { pos: tok.pos, name, pipe })
    }

    fn block(&mut self) -> PResult<Node> {
        let context = "block clause";
        let tok = self.next_non_space();
        let name = self.template_name(&tok, context)?;
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        let list = self.sub_tree(|p| match p.item_list()? {
            (list, Stop::End) => Ok(list),
            (_, Stop::Else) => p.fail(format!("unexpected {{{{else}}}} in {context}")),
        })?;
        self.add_tree(name.clone(), list)?;
        Ok(Node::Template { pos: tok.pos, name, pipe: Some(pipe) })
    }
}
