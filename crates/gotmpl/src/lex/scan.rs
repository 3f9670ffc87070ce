//! Scanning the words of an action: identifiers, fields, variables, character constants,
//! numbers and quoted strings.

use super::{Lexer, State, Tok, is_alnum, is_space, keyword};
use crate::fmt::quote_prefix;

impl Lexer<'_> {
    pub(super) fn identifier(&mut self) -> State {
        loop {
            let c = self.next();
            if c.is_some_and(is_alnum) {
                continue;
            }
            self.backup(c);
            let word = &self.input[self.start..self.pos];
            if !self.at_terminator() {
                return self.error(format!("bad character {}", crate::fmt::unicode_hash(c.unwrap_or('\0'))));
            }
            let typ = match keyword(word) {
                Some(Tok::Break) if !self.break_ok => Tok::Identifier,
                Some(Tok::Continue) if !self.continue_ok => Tok::Identifier,
                Some(k) => k,
                None if word.starts_with('.') => Tok::Field,
                None if word == "true" || word == "false" => Tok::Bool,
                None => Tok::Identifier,
            };
            self.emit(typ);
            return State::Inside;
        }
    }

    pub(super) fn variable(&mut self) -> State {
        if self.at_terminator() {
            self.emit(Tok::Variable);
            return State::Inside;
        }
        self.field_or_variable(Tok::Variable)
    }

    pub(super) fn field_or_variable(&mut self, typ: Tok) -> State {
        if self.at_terminator() {
            self.emit(if typ == Tok::Variable { Tok::Variable } else { Tok::Dot });
            return State::Inside;
        }
        let mut c;
        loop {
            c = self.next();
            if !c.is_some_and(is_alnum) {
                self.backup(c);
                break;
            }
        }
        if !self.at_terminator() {
            return self.error(format!("bad character {}", crate::fmt::unicode_hash(c.unwrap_or('\0'))));
        }
        self.emit(typ);
        State::Inside
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) || ".,|:()".contains(c) => true,
            Some(c) => self.right.starts_with(c),
        }
    }

    pub(super) fn char_constant(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    None | Some('\n') => return self.error("unterminated character constant".into()),
                    _ => {}
                },
                None | Some('\n') => return self.error("unterminated character constant".into()),
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(Tok::CharConstant);
        State::Inside
    }

    pub(super) fn number(&mut self) -> State {
        if !self.scan_number() {
            return self
                .error(format!("bad number syntax: {}", quote_prefix(&self.input[self.start..self.pos], usize::MAX)));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            // Complex: 1+2i. No spaces, must end in 'i'.
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                return self.error(format!(
                    "bad number syntax: {}",
                    quote_prefix(&self.input[self.start..self.pos], usize::MAX)
                ));
            }
            self.emit(Tok::Complex);
        } else {
            self.emit(Tok::Number);
        }
        State::Inside
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            return false;
        }
        true
    }

    pub(super) fn quote(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    None | Some('\n') => return self.error("unterminated quoted string".into()),
                    _ => {}
                },
                None | Some('\n') => return self.error("unterminated quoted string".into()),
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(Tok::String);
        State::Inside
    }

    pub(super) fn raw_quote(&mut self) -> State {
        loop {
            match self.next() {
                None => return self.error("unterminated raw quoted string".into()),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Tok::RawString);
        State::Inside
    }
}
