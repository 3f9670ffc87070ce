//! The lexer: Go's `text/template/parse/lex.go` rules (delimiters, trim markers, comments,
//! numbers in every Go form, quoted and raw strings, character constants), run to completion
//! into a token list that ends with an EOF or error token.

mod scan;

use crate::fmt::quote_prefix;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Error,
    Bool,
    Char,
    CharConstant,
    Comment,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl Tok {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Tok::Block
                | Tok::Break
                | Tok::Continue
                | Tok::Dot
                | Tok::Define
                | Tok::Else
                | Tok::End
                | Tok::If
                | Tok::Nil
                | Tok::Range
                | Tok::Template
                | Tok::With
        )
    }
}

fn keyword(word: &str) -> Option<Tok> {
    Some(match word {
        "." => Tok::Dot,
        "block" => Tok::Block,
        "break" => Tok::Break,
        "continue" => Tok::Continue,
        "define" => Tok::Define,
        "else" => Tok::Else,
        "end" => Tok::End,
        "if" => Tok::If,
        "range" => Tok::Range,
        "nil" => Tok::Nil,
        "template" => Tok::Template,
        "with" => Tok::With,
        _ => return None,
    })
}

/// One token: its type, byte offset, text and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub typ: Tok,
    pub pos: usize,
    pub val: String,
    pub line: usize,
}

impl std::fmt::Display for Item {
    /// Go's `item.String`, used in "unexpected ..." messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.typ {
            Tok::Eof => f.write_str("EOF"),
            Tok::Error => f.write_str(&self.val),
            t if t.is_keyword() => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => write!(f, "{}...", quote_prefix(&self.val, 10)),
            _ => f.write_str(&quote_prefix(&self.val, usize::MAX)),
        }
    }
}

const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    Inside,
    Done,
}

/// Lexes `input` with the given delimiters. `break` and `continue` are keywords unless
/// `functions` says a function of that name exists (Go's `breakOK`/`continueOK`).
pub(crate) fn lex(input: &str, left: &str, right: &str, functions: &dyn Fn(&str) -> bool) -> Vec<Item> {
    let (break_ok, continue_ok) = (!functions("break"), !functions("continue"));
    let mut l = Lexer {
        input,
        left,
        right,
        pos: 0,
        start: 0,
        line: 1,
        start_line: 1,
        paren: 0,
        items: Vec::new(),
        break_ok,
        continue_ok,
    };
    let mut state = State::Text;
    loop {
        state = match state {
            State::Text => l.text(),
            State::LeftDelim => l.left_delim(),
            State::Comment => l.comment(),
            State::RightDelim => l.right_delim(),
            State::Inside => l.inside(),
            State::Done => return l.items,
        }
    }
}

struct Lexer<'a> {
    input: &'a str,
    left: &'a str,
    right: &'a str,
    pos: usize,
    start: usize,
    line: usize,
    start_line: usize,
    paren: i32,
    items: Vec<Item>,
    break_ok: bool,
    continue_ok: bool,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    /// Steps back over the last character read (`c`).
    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
            if c == '\n' {
                self.line -= 1;
            }
        }
    }

    /// Moves forward `n` bytes (known not to split a character), counting newlines.
    fn advance(&mut self, n: usize) {
        self.line += self.input[self.pos..self.pos + n].matches('\n').count();
        self.pos += n;
    }

    fn emit(&mut self, typ: Tok) {
        let val = self.input[self.start..self.pos].to_string();
        self.items.push(Item { typ, pos: self.start, val, line: self.start_line });
        self.ignore();
    }

    fn ignore(&mut self) {
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn error(&mut self, msg: String) -> State {
        self.items.push(Item { typ: Tok::Error, pos: self.start, val: msg, line: self.start_line });
        State::Done
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.next();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn text(&mut self) -> State {
        if let Some(x) = self.rest().find(self.left) {
            if x > 0 {
                let delim_at = self.pos + x;
                let after = &self.input[delim_at + self.left.len()..];
                let trim = if has_left_trim(after) {
                    let text = &self.input[self.pos..delim_at];
                    text.len() - text.trim_end_matches(is_space).len()
                } else {
                    0
                };
                self.advance(x);
                let end = self.pos - trim;
                let val = self.input[self.start..end].to_string();
                if !val.is_empty() {
                    self.items.push(Item { typ: Tok::Text, pos: self.start, val, line: self.start_line });
                }
                self.ignore();
            }
            return State::LeftDelim;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            let val = self.input[self.start..].to_string();
            self.items.push(Item { typ: Tok::Text, pos: self.start, val, line: self.start_line });
        }
        self.items.push(Item { typ: Tok::Eof, pos: self.pos, val: String::new(), line: self.line });
        State::Done
    }

    fn left_delim(&mut self) -> State {
        self.advance(self.left.len());
        let trim = has_left_trim(self.rest());
        let after = if trim { 2 } else { 0 };
        if self.input[self.pos + after..].starts_with(LEFT_COMMENT) {
            self.advance(after);
            self.ignore();
            return State::Comment;
        }
        self.emit(Tok::LeftDelim);
        self.advance(after);
        self.ignore();
        self.paren = 0;
        State::Inside
    }

    fn comment(&mut self) -> State {
        self.advance(LEFT_COMMENT.len());
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".into());
        };
        self.advance(x + RIGHT_COMMENT.len());
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".into());
        }
        self.emit(Tok::Comment);
        if trim {
            self.advance(2);
        }
        self.advance(self.right.len());
        if trim {
            self.skip_space();
        }
        self.ignore();
        State::Text
    }

    fn skip_space(&mut self) {
        let n = self.rest().len() - self.rest().trim_start_matches(is_space).len();
        self.advance(n);
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(self.right) {
            return (true, true);
        }
        (rest.starts_with(self.right), false)
    }

    fn right_delim(&mut self) -> State {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.advance(2);
            self.ignore();
        }
        self.advance(self.right.len());
        self.emit(Tok::RightDelim);
        if trim {
            self.skip_space();
            self.ignore();
        }
        State::Text
    }

    fn inside(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren == 0 {
                return State::RightDelim;
            }
            return self.error("unclosed left paren".into());
        }
        let Some(c) = self.next() else {
            return self.error("unclosed action".into());
        };
        match c {
            c if is_space(c) => {
                self.backup(Some(c));
                return self.space();
            }
            '=' => self.emit(Tok::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.error("expected :=".into());
                }
                self.emit(Tok::Declare);
            }
            '|' => self.emit(Tok::Pipe),
            '"' => return self.quote(),
            '`' => return self.raw_quote(),
            '$' => return self.variable(),
            '\'' => return self.char_constant(),
            '.' if self.peek().is_some_and(|r| !r.is_ascii_digit()) => {
                return self.field_or_variable(Tok::Field);
            }
            '.' | '+' | '-' | '0'..='9' => {
                self.backup(Some(c));
                return self.number();
            }
            c if is_alnum(c) => {
                self.backup(Some(c));
                return self.identifier();
            }
            '(' => {
                self.emit(Tok::LeftParen);
                self.paren += 1;
            }
            ')' => {
                self.paren -= 1;
                if self.paren < 0 {
                    return self.error("unexpected right paren".into());
                }
                self.emit(Tok::RightParen);
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.emit(Tok::Char),
            c => return self.error(format!("unrecognized character in action: {}", crate::fmt::unicode_hash(c))),
        }
        State::Inside
    }

    fn space(&mut self) -> State {
        let mut n = 0;
        while self.peek().is_some_and(is_space) {
            self.next();
            n += 1;
        }
        // A trim-marked right delimiter starts with a space: leave that space for it.
        let from = self.pos - 1;
        if has_right_trim(&self.input[from..]) && self.input[from + 2..].starts_with(self.right) {
            self.backup(Some(' '));
            if n == 1 {
                return State::Inside;
            }
        }
        self.emit(Tok::Space);
        State::Inside
    }
}

/// `{{- ` : a trim marker must be followed by white space.
fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(char::from(b[1]))
}

/// ` -}}` : a trim marker must be preceded by white space.
fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(char::from(b[0])) && b[1] == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(s: &str) -> Vec<(Tok, String)> {
        lex(s, "{{", "}}", &|_| false).into_iter().map(|i| (i.typ, i.val)).collect()
    }

    #[test]
    fn basic_tokens() {
        let t = types("a{{ .x | printf \"%d\" 3 }}b");
        let kinds: Vec<Tok> = t.iter().map(|x| x.0).collect();
        assert_eq!(
            kinds,
            vec![
                Tok::Text,
                Tok::LeftDelim,
                Tok::Space,
                Tok::Field,
                Tok::Space,
                Tok::Pipe,
                Tok::Space,
                Tok::Identifier,
                Tok::Space,
                Tok::String,
                Tok::Space,
                Tok::Number,
                Tok::Space,
                Tok::RightDelim,
                Tok::Text,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn trim_markers() {
        let t = types("a  {{- 3 -}}  b");
        assert_eq!(t[0], (Tok::Text, "a".into()));
        assert_eq!(t[3], (Tok::RightDelim, "}}".into()));
        assert_eq!(t[4], (Tok::Text, "b".into()));
    }
}
