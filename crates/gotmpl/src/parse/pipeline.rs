//! Pipelines, commands and operands.

use super::{PResult, Parser};
use crate::ast::{Arg, Command, Pipe};
use crate::lex::Tok;
use crate::literal::{parse_number, unquote};

impl Parser<'_> {
    pub(super) fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        self.enter()?;
        let out = self.pipeline_inner(context, end);
        self.depth -= 1;
        out
    }

    pub(super) fn pipeline_inner(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let pos = self.peek_non_space().pos;
        let mut pipe = Pipe { pos, is_assign: false, decl: Vec::new(), cmds: Vec::new() };
        self.declarations(&mut pipe, context)?;
        loop {
            let tok = self.next_non_space();
            match tok.typ {
                t if t == end => {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                Tok::Bool
                | Tok::CharConstant
                | Tok::Complex
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&tok, context),
            }
        }
    }

    /// `$x :=`, `$x =`, `$i, $v :=` (range only).
    pub(super) fn declarations(&mut self, pipe: &mut Pipe, context: &str) -> PResult<()> {
        loop {
            let v = self.peek_non_space();
            if v.typ != Tok::Variable {
                return Ok(());
            }
            let mark = self.idx;
            self.next_non_space();
            let next = self.peek_non_space();
            match next.typ {
                Tok::Assign | Tok::Declare => {
                    pipe.is_assign = next.typ == Tok::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    return Ok(());
                }
                Tok::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val.clone());
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().typ {
                            Tok::Variable | Tok::RightDelim | Tok::RightParen => continue,
                            _ => return self.fail("range can only initialize variables"),
                        }
                    }
                    return self.fail(format!("too many declarations in {context}"));
                }
                _ => {
                    self.idx = mark;
                    return Ok(());
                }
            }
        }
    }

    pub(super) fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.fail(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(Arg::Bool { .. } | Arg::Dot { .. } | Arg::Nil { .. } | Arg::Number { .. } | Arg::String { .. })
            ) {
                return self.fail(format!("non executable command in pipeline stage {}", i + 1));
            }
        }
        Ok(())
    }

    pub(super) fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command { pos, args: Vec::new() };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let tok = self.next();
            match tok.typ {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&tok, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.fail("empty command");
        }
        Ok(cmd)
    }

    pub(super) fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else { return Ok(None) };
        if self.peek().typ != Tok::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().typ == Tok::Field {
            let f = self.next().val;
            fields.push(f[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Variable { mut idents, .. } => {
                idents.extend(fields);
                Arg::Variable { pos, idents }
            }
            Arg::Bool { .. } | Arg::String { .. } | Arg::Number { .. } | Arg::Nil { .. } | Arg::Dot { .. } => {
                return self.fail(format!("unexpected . after term {}", crate::fmt::quote(&node.to_string())));
            }
            node => Arg::Chain { pos, node: Box::new(node), fields },
        }))
    }

    pub(super) fn term(&mut self) -> PResult<Option<Arg>> {
        let tok = self.next_non_space();
        let pos = tok.pos;
        Ok(Some(match tok.typ {
            Tok::Identifier => {
                if !(self.has_func)(&tok.val) {
                    return self.fail(format!("function {} not defined", crate::fmt::quote(&tok.val)));
                }
                Arg::Identifier { pos, name: tok.val }
            }
            Tok::Dot => Arg::Dot { pos },
            Tok::Nil => Arg::Nil { pos },
            Tok::Variable => {
                let idents: Vec<String> = tok.val.split('.').map(str::to_string).collect();
                if !self.vars.iter().any(|v| *v == idents[0]) {
                    return self.fail(format!("undefined variable {}", crate::fmt::quote(&idents[0])));
                }
                Arg::Variable { pos, idents }
            }
            Tok::Field => Arg::Field { pos, idents: tok.val[1..].split('.').map(str::to_string).collect() },
            Tok::Bool => Arg::Bool { pos, val: tok.val == "true" },
            Tok::CharConstant | Tok::Number | Tok::Complex => {
                match parse_number(&tok.val, tok.typ == Tok::CharConstant) {
                    Ok(num) => Arg::Number { pos, num: Box::new(num) },
                    Err(e) => return self.fail(e),
                }
            }
            Tok::LeftParen => Arg::Pipe(Box::new(self.pipeline("parenthesized pipeline", Tok::RightParen)?)),
            Tok::String | Tok::RawString => match unquote(&tok.val) {
                Some(text) => Arg::String { pos, quoted: tok.val, text },
                None => return self.fail("invalid syntax"),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}
