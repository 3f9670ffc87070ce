//! `fromToml`: a TOML 1.0 reader producing what BurntSushi/toml's `Unmarshal` into
//! `map[string]interface{}` gives: integers as int64, floats as float64, datetimes kept as
//! their text, tables as maps. Error texts are this reader's own (`toml: line N: ...`).

use serde_json::{Map, Number, Value};

use super::TomlError;

/// Nesting deeper than this (arrays, inline tables) is refused.
const MAX_DEPTH: usize = 512;

/// Parses a TOML document into a map.
pub fn from_toml(text: &str) -> Result<Map<String, Value>, TomlError> {
    let mut p = Parser { s: text.as_bytes(), text, i: 0, depth: 0 };
    let mut root = Map::new();
    let mut current: Vec<String> = Vec::new();
    let mut defined: Vec<Vec<String>> = Vec::new();
    loop {
        p.skip_ws_comments_newlines();
        let Some(c) = p.peek() else { break };
        if c == b'[' {
            let array = p.s.get(p.i + 1) == Some(&b'[');
            p.i += if array { 2 } else { 1 };
            p.skip_ws();
            let key = p.key()?;
            p.skip_ws();
            p.expect(if array { "]]" } else { "]" })?;
            p.end_of_line()?;
            if array {
                push_table_array(&mut root, &key).map_err(|m| p.error(&m))?;
            } else {
                if defined.contains(&key) {
                    return Err(p.error(&format!("table {} already exists", key.join("."))));
                }
                defined.push(key.clone());
                table_at(&mut root, &key).map_err(|m| p.error(&m))?;
            }
            current = key;
            continue;
        }
        let key = p.key()?;
        p.skip_ws();
        p.expect("=")?;
        p.skip_ws();
        let value = p.value()?;
        p.end_of_line()?;
        let table = table_at(&mut root, &current).map_err(|m| p.error(&m))?;
        insert_dotted(table, &key, value).map_err(|m| p.error(&m))?;
    }
    Ok(root)
}

/// The table a `[header]` or the current section names (the last element of an array of
/// tables), created on the way.
fn table_at<'m>(root: &'m mut Map<String, Value>, key: &[String]) -> Result<&'m mut Map<String, Value>, String> {
    let mut t = root;
    for k in key {
        let entry = t.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()));
        t = match entry {
            Value::Object(m) => m,
            Value::Array(items) => match items.last_mut() {
                Some(Value::Object(m)) => m,
                _ => return Err(format!("key {k} is not a table")),
            },
            _ => return Err(format!("key {k} is already defined")),
        };
    }
    Ok(t)
}

fn push_table_array(root: &mut Map<String, Value>, key: &[String]) -> Result<(), String> {
    let Some((last, parent)) = key.split_last() else { return Err("empty table key".into()) };
    let t = table_at(root, parent)?;
    match t.entry(last.clone()).or_insert_with(|| Value::Array(Vec::new())) {
        Value::Array(items) => items.push(Value::Object(Map::new())),
        _ => return Err(format!("key {last} is already defined")),
    }
    Ok(())
}

fn insert_dotted(table: &mut Map<String, Value>, key: &[String], value: Value) -> Result<(), String> {
    let Some((last, parent)) = key.split_last() else { return Err("empty key".into()) };
    let t = table_at(table, parent)?;
    if t.contains_key(last) {
        return Err(format!("key {} is already defined", key.join(".")));
    }
    t.insert(last.clone(), value);
    Ok(())
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn error(&self, message: &str) -> TomlError {
        let line = self.text[..self.i.min(self.text.len())].matches('\n').count() + 1;
        TomlError::Parse(format!("line {line}: {message}"))
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.i += 1;
            }
        }
    }

    fn skip_ws_comments_newlines(&mut self) {
        loop {
            self.skip_ws();
            self.skip_comment();
            match self.peek() {
                Some(b'\n') => self.i += 1,
                Some(b'\r') if self.s.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                _ => return,
            }
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), TomlError> {
        if self.s[self.i..].starts_with(token.as_bytes()) {
            self.i += token.len();
            return Ok(());
        }
        Err(self.error(&format!("expected {token:?}")))
    }

    fn end_of_line(&mut self) -> Result<(), TomlError> {
        self.skip_ws();
        self.skip_comment();
        match self.peek() {
            None | Some(b'\n') => Ok(()),
            Some(b'\r') if self.s.get(self.i + 1) == Some(&b'\n') => Ok(()),
            Some(_) => Err(self.error("expected a newline after the value")),
        }
    }

    /// A dotted key: bare, basic-quoted or literal-quoted parts.
    fn key(&mut self) -> Result<Vec<String>, TomlError> {
        let mut parts = Vec::new();
        loop {
            self.skip_ws();
            let part = match self.peek() {
                Some(b'"') => self.basic_string()?,
                Some(b'\'') => self.literal_string()?,
                _ => {
                    let start = self.i;
                    while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                        self.i += 1;
                    }
                    if start == self.i {
                        return Err(self.error("expected a key"));
                    }
                    self.text[start..self.i].to_owned()
                }
            };
            parts.push(part);
            self.skip_ws();
            if self.peek() != Some(b'.') {
                return Ok(parts);
            }
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Value, TomlError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        match self.peek() {
            Some(b'"') => self.basic_string().map(Value::String),
            Some(b'\'') => self.literal_string().map(Value::String),
            Some(b'[') => self.array(),
            Some(b'{') => self.inline_table(),
            Some(_) => self.scalar(),
            None => Err(self.error("expected a value")),
        }
    }

    fn array(&mut self) -> Result<Value, TomlError> {
        self.i += 1;
        self.depth += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws_comments_newlines();
            if self.peek() == Some(b']') {
                self.i += 1;
                break;
            }
            items.push(self.value()?);
            self.skip_ws_comments_newlines();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return Err(self.error("expected ',' or ']' in an array")),
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    fn inline_table(&mut self) -> Result<Value, TomlError> {
        self.i += 1;
        self.depth += 1;
        let mut map = Map::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(Value::Object(map));
        }
        loop {
            let key = self.key()?;
            self.skip_ws();
            self.expect("=")?;
            self.skip_ws();
            let value = self.value()?;
            insert_dotted(&mut map, &key, value).map_err(|m| self.error(&m))?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(self.error("expected ',' or '}' in an inline table")),
            }
        }
        self.depth -= 1;
        Ok(Value::Object(map))
    }

    fn basic_string(&mut self) -> Result<String, TomlError> {
        let multi = self.s[self.i..].starts_with(b"\"\"\"");
        self.i += if multi { 3 } else { 1 };
        if multi {
            self.skip_first_newline();
        }
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let Some(c) = rest.chars().next() else { return Err(self.error("unterminated string")) };
            if multi && rest.starts_with("\"\"\"") && !rest.starts_with("\"\"\"\"\"\"") {
                // Up to two quotes may close against the delimiter (`""""` ends with one).
                let extra = rest[3..].chars().take_while(|&q| q == '"').count().min(2);
                out.extend(std::iter::repeat_n('"', extra));
                self.i += 3 + extra;
                return Ok(out);
            }
            match c {
                '"' if !multi => {
                    self.i += 1;
                    return Ok(out);
                }
                '\n' if !multi => return Err(self.error("newline in a string")),
                '\\' => self.escape(&mut out, multi)?,
                c => {
                    out.push(c);
                    self.i += c.len_utf8();
                }
            }
        }
    }

    fn skip_first_newline(&mut self) {
        if self.s[self.i..].starts_with(b"\r\n") {
            self.i += 2;
        } else if self.peek() == Some(b'\n') {
            self.i += 1;
        }
    }

    fn escape(&mut self, out: &mut String, multi: bool) -> Result<(), TomlError> {
        self.i += 1;
        let Some(c) = self.peek() else { return Err(self.error("unterminated string")) };
        self.i += 1;
        let simple = match c {
            b'b' => Some('\x08'),
            b't' => Some('\t'),
            b'n' => Some('\n'),
            b'f' => Some('\x0c'),
            b'r' => Some('\r'),
            b'e' => Some('\x1b'),
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            return Ok(());
        }
        match c {
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let hex = self.text.get(self.i..self.i + n).unwrap_or("");
                let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                let Some(ch) = ch.filter(|_| hex.len() == n) else {
                    return Err(self.error("invalid unicode escape"));
                };
                out.push(ch);
                self.i += n;
                Ok(())
            }
            b' ' | b'\t' | b'\r' | b'\n' if multi => {
                // A line-ending backslash trims the break and the following whitespace.
                self.i -= 1;
                self.skip_ws();
                if !matches!(self.peek(), Some(b'\n' | b'\r')) {
                    return Err(self.error("invalid escape"));
                }
                while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    self.i += 1;
                }
                Ok(())
            }
            _ => Err(self.error(&format!("invalid escape character {:?}", char::from(c)))),
        }
    }

    fn literal_string(&mut self) -> Result<String, TomlError> {
        let multi = self.s[self.i..].starts_with(b"'''");
        self.i += if multi { 3 } else { 1 };
        if multi {
            self.skip_first_newline();
        }
        let close = if multi { "'''" } else { "'" };
        let rest = &self.text[self.i..];
        let end =
            if multi { rest.find(close) } else { rest.find(['\'', '\n']).filter(|&e| rest[e..].starts_with('\'')) };
        let Some(mut end) = end else { return Err(self.error("unterminated string")) };
        if multi {
            end += rest[end + 3..].chars().take_while(|&q| q == '\'').count().min(2);
        }
        let value = rest[..end].to_owned();
        self.i += end + close.len();
        Ok(value)
    }

    /// Booleans, numbers and datetimes: the bare run up to a delimiter.
    fn scalar(&mut self) -> Result<Value, TomlError> {
        let start = self.i;
        while let Some(c) = self.peek() {
            let date_space = c == b' ' && self.is_datetime_space(start);
            if matches!(c, b',' | b']' | b'}' | b'#' | b'\n' | b'\r' | b'\t') || (c == b' ' && !date_space) {
                break;
            }
            self.i += 1;
        }
        let word = &self.text[start..self.i];
        scalar_value(word).ok_or_else(|| self.error(&format!("invalid value {word:?}")))
    }

    /// `1979-05-27 07:32:00`: a space between a date and a time is part of the datetime.
    fn is_datetime_space(&self, start: usize) -> bool {
        let word = &self.s[start..self.i];
        let next = self.s.get(self.i + 1..self.i + 3).unwrap_or(&[]);
        word.len() == 10 && word[4] == b'-' && next.len() == 2 && next.iter().all(u8::is_ascii_digit)
    }
}

fn scalar_value(word: &str) -> Option<Value> {
    match word {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "inf" | "+inf" | "-inf" | "nan" | "+nan" | "-nan" => {
            // JSON has no such numbers; keep the text.
            return Some(Value::String(word.to_owned()));
        }
        _ => {}
    }
    let b = word.as_bytes();
    if b.len() >= 8 && (b.get(4) == Some(&b'-') || b.get(2) == Some(&b':')) {
        return datetime_json(word).map(Value::String);
    }
    if word.contains("__") || word.starts_with('_') || word.ends_with('_') {
        return None;
    }
    let plain = word.replace('_', "");
    let (neg, body) = match plain.as_bytes().first() {
        Some(b'-') => (true, &plain[1..]),
        Some(b'+') => (false, &plain[1..]),
        _ => (false, plain.as_str()),
    };
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = body.strip_prefix(prefix) {
            if word.starts_with(['+', '-']) {
                return None;
            }
            return i64::from_str_radix(digits, radix).ok().map(|i| Value::Number(i.into()));
        }
    }
    let int_like = !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit());
    if int_like {
        if body.len() > 1 && body.starts_with('0') {
            return None;
        }
        let i: i64 = plain.parse().ok()?;
        return Some(Value::Number(i.into()));
    }
    let valid_float = body.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        && body.starts_with(|c: char| c.is_ascii_digit())
        && !body.contains(".e")
        && !body.ends_with('.');
    if !valid_float {
        return None;
    }
    let f: f64 = plain.parse().ok()?;
    let _ = neg;
    Number::from_f64(f).map(Value::Number)
}

/// A TOML datetime as Go's `json.Marshal` writes the `time.Time` BurntSushi/toml decodes it
/// to (RFC 3339 with nanoseconds trimmed): local values are in UTC, a local date is midnight,
/// a local time is on 0000-01-01.
fn datetime_json(word: &str) -> Option<String> {
    let ok = word.bytes().all(|c| c.is_ascii_alphanumeric() || b"-:.+ ".contains(&c));
    if !ok {
        return None;
    }
    let upper = word.to_ascii_uppercase().replacen(' ', "T", 1);
    let (date, time) = match (upper.get(4..5), upper.get(2..3)) {
        (Some("-"), _) => match upper.split_once('T') {
            Some((d, t)) => (d.to_owned(), t.to_owned()),
            None => (upper.clone(), "00:00:00".to_owned()),
        },
        (_, Some(":")) => ("0000-01-01".to_owned(), upper.clone()),
        _ => return None,
    };
    let zone_at = time.find(['Z', '+', '-']).unwrap_or(time.len());
    let (clock, zone) = time.split_at(zone_at);
    let clock = match clock.split_once('.') {
        Some((hms, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() { hms.to_owned() } else { format!("{hms}.{frac}") }
        }
        None => clock.to_owned(),
    };
    let zone = if zone.is_empty() { "Z" } else { zone };
    Some(format!("{date}T{clock}{zone}"))
}
