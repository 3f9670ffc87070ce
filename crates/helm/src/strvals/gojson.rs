//! A JSON reader with Go's `encoding/json` decoder's behaviour and error text.
//!
//! `--set-json` values and `values.schema.json` documents are read by Go's `json.Decoder` in
//! Helm; its messages (`invalid character '}' looking for beginning of value`,
//! `unexpected EOF`) reach the user verbatim, so this reader reproduces Go's scanner states.
//! Numbers keep their literal text (Go's `UseNumber`), so a schema's `1e2` prints as written.
//! The parser is iterative: nesting is bounded by Go's own limit (10000), never by the stack.

use std::fmt::Write as _;

/// Go's `maxNestingDepth` in `encoding/json/scanner.go`.
const MAX_DEPTH: usize = 10_000;

/// A decoded JSON document; numbers are their literal text, objects keep the last duplicate key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Decodes one JSON value from the start of `input` (after whitespace) the way
/// `json.Decoder.Decode` does, returning the value and the byte offset just past it
/// (`Decoder.InputOffset`). Text after the value is left alone.
pub(crate) fn decode_prefix(input: &str) -> Result<(Json, usize), String> {
    Decoder { b: input.as_bytes(), pos: 0 }.value()
}

/// Decodes a whole document like santhosh-tekuri's `jsonschema.UnmarshalJSON`: one value, then
/// only whitespace.
pub(crate) fn decode_document(input: &[u8]) -> Result<Json, String> {
    let mut d = Decoder { b: input, pos: 0 };
    d.skip_space();
    if d.pos >= d.b.len() {
        return Err("EOF".to_string());
    }
    let (v, end) = d.value()?;
    d.pos = end;
    d.skip_space();
    if d.pos < d.b.len() {
        return Err("invalid character after top-level value".to_string());
    }
    Ok(v)
}

/// Go's `quoteChar` for scanner errors.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => {
            let q = go_quote(&char::from(c).to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

/// Go's `strconv.Quote` (approximating `unicode.IsPrint` by Rust's control/format classes).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_escaped(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune`.
pub(crate) fn go_quote_rune(c: char) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, c, '\'');
    out.push('\'');
    out
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    match c {
        '\\' => out.push_str(r"\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        '\x07' => out.push_str(r"\a"),
        '\x08' => out.push_str(r"\b"),
        '\x0c' => out.push_str(r"\f"),
        '\n' => out.push_str(r"\n"),
        '\r' => out.push_str(r"\r"),
        '\t' => out.push_str(r"\t"),
        '\x0b' => out.push_str(r"\v"),
        c if (c as u32) < 0x20 || c == '\x7f' => {
            let _ = write!(out, r"\x{:02x}", c as u32);
        }
        c if !is_go_print(c) => {
            if (c as u32) < 0x10000 {
                let _ = write!(out, r"\u{:04x}", c as u32);
            } else {
                let _ = write!(out, r"\U{:08x}", c as u32);
            }
        }
        c => out.push(c),
    }
}

fn is_go_print(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_whitespace() || c.is_control() {
        return false;
    }
    // Format characters and private-use/noncharacter areas Go does not print.
    !matches!(u, 0xad | 0x600..=0x605 | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f
        | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff | 0xfffe | 0xffff | 0xd800..=0xdfff)
}

/// A container being filled while parsing iteratively.
enum Frame {
    Array(Vec<Json>),
    Object(Vec<(String, Json)>, String),
}

struct Decoder<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Decoder<'_> {
    fn skip_space(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// The next non-space byte, or Go's `unexpected EOF`.
    fn next_nonspace(&mut self) -> Result<u8, String> {
        self.skip_space();
        self.peek().ok_or_else(|| "unexpected EOF".to_string())
    }

    fn err(c: u8, ctx: &str) -> String {
        format!("invalid character {} {ctx}", quote_char(c))
    }

    fn value(&mut self) -> Result<(Json, usize), String> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            // Parse a value start (scalar or container open).
            let c = self.next_nonspace()?;
            let mut done = match c {
                b'{' | b'[' => {
                    if stack.len() >= MAX_DEPTH {
                        return Err("exceeded max depth".to_string());
                    }
                    self.pos += 1;
                    let close = if c == b'{' { b'}' } else { b']' };
                    let n = self.next_nonspace()?;
                    if n == close {
                        self.pos += 1;
                        Some(if c == b'{' { Json::Object(vec![]) } else { Json::Array(vec![]) })
                    } else if c == b'{' {
                        let key = self.object_key()?;
                        stack.push(Frame::Object(Vec::new(), key));
                        None
                    } else {
                        stack.push(Frame::Array(Vec::new()));
                        None
                    }
                }
                _ => Some(self.scalar(c)?),
            };
            // Close containers while values complete.
            while let Some(v) = done.take() {
                let Some(frame) = stack.last_mut() else {
                    return Ok((v, self.pos));
                };
                match frame {
                    Frame::Array(items) => {
                        items.push(v);
                        match self.next_nonspace()? {
                            b',' => self.pos += 1,
                            b']' => {
                                self.pos += 1;
                                if let Some(Frame::Array(items)) = stack.pop() {
                                    done = Some(Json::Array(items));
                                }
                            }
                            c => return Err(Self::err(c, "after array element")),
                        }
                    }
                    Frame::Object(members, key) => {
                        let key = std::mem::take(key);
                        members.retain(|(k, _)| *k != key);
                        members.push((key, v));
                        match self.next_nonspace()? {
                            b',' => {
                                self.pos += 1;
                                self.next_nonspace()?;
                                let k = self.object_key()?;
                                if let Some(Frame::Object(_, slot)) = stack.last_mut() {
                                    *slot = k;
                                }
                            }
                            b'}' => {
                                self.pos += 1;
                                if let Some(Frame::Object(members, _)) = stack.pop() {
                                    done = Some(Json::Object(members));
                                }
                            }
                            c => return Err(Self::err(c, "after object key:value pair")),
                        }
                    }
                }
            }
        }
    }

    /// Reads `"key"` and the `:` after it (the cursor is on a non-space byte).
    fn object_key(&mut self) -> Result<String, String> {
        let c = self.next_nonspace()?;
        if c != b'"' {
            return Err(Self::err(c, "looking for beginning of object key string"));
        }
        let key = self.string()?;
        let c = self.next_nonspace()?;
        if c != b':' {
            return Err(Self::err(c, "after object key"));
        }
        self.pos += 1;
        Ok(key)
    }

    fn scalar(&mut self, c: u8) -> Result<Json, String> {
        match c {
            b'"' => Ok(Json::String(self.string()?)),
            b't' => self.literal("true").map(|()| Json::Bool(true)),
            b'f' => self.literal("false").map(|()| Json::Bool(false)),
            b'n' => self.literal("null").map(|()| Json::Null),
            b'-' | b'0'..=b'9' => self.number().map(Json::Number),
            c => Err(Self::err(c, "looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), String> {
        for (i, want) in word.bytes().enumerate().skip(1) {
            match self.b.get(self.pos + i) {
                None => return Err("unexpected EOF".to_string()),
                Some(&got) if got != want => {
                    let ctx = format!("in literal {word} (expecting {})", quote_char(want));
                    return Err(Self::err(got, &ctx));
                }
                Some(_) => {}
            }
        }
        self.pos += word.len();
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Go's number states: the value ends at the first byte that cannot continue it.
    fn number(&mut self) -> Result<String, String> {
        let start = self.pos;
        let eof = || "unexpected EOF".to_string();
        if self.peek() == Some(b'-') {
            self.pos += 1;
            match self.peek() {
                None => return Err(eof()),
                Some(b'0'..=b'9') => {}
                Some(c) => return Err(Self::err(c, "in numeric literal")),
            }
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            match self.peek() {
                None => return Err(eof()),
                Some(b'0'..=b'9') => self.digits(),
                Some(c) => return Err(Self::err(c, "after decimal point in numeric literal")),
            };
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            match self.peek() {
                None => return Err(eof()),
                Some(b'0'..=b'9') => self.digits(),
                Some(c) => return Err(Self::err(c, "in exponent of numeric literal")),
            };
        }
        Ok(String::from_utf8_lossy(&self.b[start..self.pos]).into_owned())
    }

    /// Reads a string literal (cursor on the opening quote), decoding escapes like Go.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err("unexpected EOF".to_string());
            };
            self.pos += 1;
            match c {
                b'"' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => self.escape(&mut out)?,
                c if c < 0x20 => return Err(Self::err(c, "in string literal")),
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let Some(c) = self.peek() else {
            return Err("unexpected EOF".to_string());
        };
        self.pos += 1;
        let simple = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let ch = self.unicode_escape()?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            c => return Err(Self::err(c, "in string escape code")),
        };
        out.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(c) = self.peek() else {
                return Err("unexpected EOF".to_string());
            };
            let d = (c as char).to_digit(16).ok_or_else(|| Self::err(c, "in \\u hexadecimal character escape"))?;
            self.pos += 1;
            v = v * 16 + d;
        }
        Ok(v)
    }

    /// `\uXXXX`, pairing surrogates as Go's `unquote` does (lone ones become U+FFFD).
    fn unicode_escape(&mut self) -> Result<char, String> {
        let hi = self.hex4()?;
        if (0xd800..0xdc00).contains(&hi) && self.b.get(self.pos..self.pos + 2) == Some(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let lo = self.hex4()?;
            if (0xdc00..0xe000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
            }
            self.pos = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{fffd}'))
    }
}
