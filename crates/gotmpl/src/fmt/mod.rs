//! Go's `fmt` as templates print: `Sprint`, `Sprintln`, `Sprintf` over [`Value`]s, with Go's
//! verbs, flags, widths, precisions, argument indexes and error forms (`%!d(string=x)`,
//! `%!v(MISSING)`, `%!(EXTRA ...)`, `%!(NOVERB)`, `%!(BADWIDTH)`...). Not supported: `%p`,
//! complex numbers.

mod hexfloat;
mod num;
mod printf;
pub(crate) mod quote;

pub use printf::sprintf;
pub use quote::{quote, quote_ascii, quote_prefix, quote_rune, unicode_hash};

use crate::value::Value;

/// Go's `fmt.Sprint`: spaces between operands when neither side is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// Go's `fmt.Sprintln`: spaces between all operands, then a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut p = Printer::default();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
    }
    p.buf.push('\n');
    p.buf
}

/// What `{{ . }}` prints for a value: `%v`, with no value as `<no value>`.
pub fn print_value(v: &Value) -> String {
    match v {
        Value::Invalid => "<no value>".into(),
        Value::String(s) => s.to_string(),
        v => sprint(std::slice::from_ref(v)),
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Flags {
    pub plus: bool,
    pub minus: bool,
    pub sharp: bool,
    pub space: bool,
    pub zero: bool,
    pub sharp_v: bool,
    pub wid: Option<usize>,
    pub prec: Option<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct Printer {
    pub buf: String,
    pub f: Flags,
    /// Containers being printed: a map that contains itself (Sprig's `set $d "k" $d`) would
    /// recurse forever (Go's fmt overflows its stack); past [`MAX_PRINT_DEPTH`] it prints `...`.
    pub depth: usize,
}

/// See [`Printer::depth`].
pub(crate) const MAX_PRINT_DEPTH: usize = 10_000;

impl Printer {
    /// Writes `s` padded to the width (counted in characters).
    pub fn pad(&mut self, s: &str) {
        let Some(wid) = self.f.wid else {
            self.buf.push_str(s);
            return;
        };
        let n = s.chars().count();
        if n >= wid {
            self.buf.push_str(s);
        } else if self.f.minus {
            self.buf.push_str(s);
            self.padding(wid - n);
        } else {
            self.padding(wid - n);
            self.buf.push_str(s);
        }
    }

    pub fn padding(&mut self, n: usize) {
        let c = if self.f.zero { '0' } else { ' ' };
        self.buf.extend(std::iter::repeat_n(c, n));
    }

    /// Like [`pad`](Self::pad) but never with zeros.
    pub fn pad_spaces(&mut self, s: &str) {
        let zero = std::mem::replace(&mut self.f.zero, false);
        self.pad(s);
        self.f.zero = zero;
    }

    pub fn print_arg(&mut self, v: &Value, verb: char) {
        if verb == 'T' {
            let t = v.type_name();
            self.pad(&t);
            return;
        }
        match v {
            Value::Invalid | Value::Nil => match verb {
                'v' => self.pad("<nil>"),
                _ => self.bad_verb(v, verb),
            },
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { "true" } else { "false" }),
                _ => self.bad_verb(v, verb),
            },
            Value::Int(i) => self.fmt_int(*i, verb, v),
            Value::Float(x) => self.fmt_float(*x, verb, v),
            Value::String(s) => self.fmt_string(s, verb, v),
            Value::Bytes(b) => self.fmt_bytes(b, verb, v),
            Value::List(_) | Value::Map(_) if self.depth >= MAX_PRINT_DEPTH => self.buf.push_str("..."),
            Value::List(l) => {
                self.depth += 1;
                self.fmt_list(l, verb);
                self.depth -= 1;
            }
            Value::Map(m) => {
                self.depth += 1;
                self.fmt_map(m, verb);
                self.depth -= 1;
            }
            Value::Opaque(o) => match verb {
                'v' | 's' | 'q' | 'x' | 'X' => self.fmt_string(&o.display(), verb, v),
                _ => self.bad_verb(v, verb),
            },
        }
    }

    /// A nested element (of a list or map): nil prints `<nil>` whatever the verb.
    fn print_elem(&mut self, v: &Value, verb: char) {
        if v.is_nil() {
            if self.f.sharp_v {
                self.buf.push_str("interface {}(nil)");
            } else {
                self.pad("<nil>");
            }
            return;
        }
        self.print_arg(v, verb);
    }

    pub fn bad_verb(&mut self, v: &Value, verb: char) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if v.is_nil() {
            self.buf.push_str("<nil>");
        } else {
            self.buf.push_str(&v.type_name());
            self.buf.push('=');
            self.print_arg(v, 'v');
        }
        self.buf.push(')');
    }

    fn fmt_string(&mut self, s: &str, verb: char, v: &Value) {
        match verb {
            'v' if self.f.sharp_v => self.fmt_q(s),
            'v' | 's' => {
                let s = self.truncate(s);
                self.pad(&s);
            }
            'x' => self.fmt_sx(s.as_bytes(), b"0123456789abcdefx"),
            'X' => self.fmt_sx(s.as_bytes(), b"0123456789ABCDEFX"),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(v, verb),
        }
    }

    fn truncate(&self, s: &str) -> String {
        match self.f.prec {
            Some(p) => s.chars().take(p).collect(),
            None => s.to_string(),
        }
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        let q = if self.f.sharp && quote::can_backquote(&s) {
            format!("`{s}`")
        } else if self.f.plus {
            quote_ascii(&s)
        } else {
            quote(&s)
        };
        self.pad(&q);
    }

    /// `%x` of a string or bytes: two hex digits a byte, `#` adds 0x, space separates bytes.
    fn fmt_sx(&mut self, b: &[u8], digits: &[u8; 17]) {
        let length = self.f.prec.map_or(b.len(), |p| p.min(b.len()));
        let mut width = 2 * length;
        if width == 0 {
            if let Some(w) = self.f.wid {
                self.padding(w);
            }
            return;
        }
        if self.f.space {
            if self.f.sharp {
                width *= 2;
            }
            width += length - 1;
        } else if self.f.sharp {
            width += 2;
        }
        let wid = self.f.wid.unwrap_or(0);
        if wid > width && !self.f.minus {
            self.padding(wid - width);
        }
        let hex = |c: u8| char::from(digits[usize::from(c)]);
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(hex(16));
        }
        for (i, &c) in b[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(hex(16));
                }
            }
            self.buf.push(hex(c >> 4));
            self.buf.push(hex(c & 15));
        }
        if wid > width && self.f.minus {
            self.padding(wid - width);
        }
    }

    fn fmt_bytes(&mut self, b: &[u8], verb: char, v: &Value) {
        match verb {
            'v' | 'd' => {
                if self.f.sharp_v {
                    self.buf.push_str("[]byte{");
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        self.buf.push_str(&format!("{c:#x}"));
                    }
                    self.buf.push('}');
                    return;
                }
                self.buf.push('[');
                for (i, c) in b.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(' ');
                    }
                    self.fmt_int(i64::from(*c), verb, v);
                }
                self.buf.push(']');
            }
            's' => {
                let s = String::from_utf8_lossy(b).into_owned();
                let s = self.truncate(&s);
                self.pad(&s);
            }
            'x' => self.fmt_sx(b, b"0123456789abcdefx"),
            'X' => self.fmt_sx(b, b"0123456789ABCDEFX"),
            'q' => self.fmt_q(&String::from_utf8_lossy(b)),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_list(&mut self, l: &[Value], verb: char) {
        if self.f.sharp_v {
            self.buf.push_str("[]interface {}{");
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    self.buf.push_str(", ");
                }
                self.print_elem(e, verb);
            }
            self.buf.push('}');
            return;
        }
        self.buf.push('[');
        for (i, e) in l.iter().enumerate() {
            if i > 0 {
                self.buf.push(' ');
            }
            self.print_elem(e, verb);
        }
        self.buf.push(']');
    }

    fn fmt_map(&mut self, m: &crate::Dict, verb: char) {
        if self.f.sharp_v {
            self.buf.push_str("map[string]interface {}{");
        } else {
            self.buf.push_str("map[");
        }
        for (i, (k, e)) in m.entries().iter().enumerate() {
            if i > 0 {
                self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
            }
            self.fmt_string(k, verb, &Value::str(k.as_str()));
            self.buf.push(':');
            self.print_elem(e, verb);
        }
        self.buf.push(if self.f.sharp_v { '}' } else { ']' });
    }
}
