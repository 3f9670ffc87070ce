//! `fromToml`: a TOML 1.0 reader (bare values in `scalar`) producing what BurntSushi/toml's `Unmarshal` into
//! `map[string]interface{}` gives: integers as int64, floats as float64, datetimes kept as
//! their text, tables as maps. Errors follow BurntSushi's `toml: line N (last key "k"): ...`
//! texts for the common mistakes.

use serde_json::{Map, Value};

use super::TomlError;
use super::scalar::scalar_value;

/// Nesting deeper than this (arrays, inline tables) is refused.
const MAX_DEPTH: usize = 512;

/// Parses a TOML document into a map.
pub fn from_toml(text: &str) -> Result<Map<String, Value>, TomlError> {
    let mut p = Parser { s: text.as_bytes(), text, i: 0, depth: 0, last_key: None };
    let mut root = Map::new();
    let mut current: Vec<String> = Vec::new();
    let mut headers: Vec<Vec<String>> = Vec::new();
    loop {
        p.skip_ws_comments_newlines();
        let Some(c) = p.peek() else { break };
        if c == b'[' {
            p.last_key = None;
            let array = p.s.get(p.i + 1) == Some(&b'[');
            p.i += if array { 2 } else { 1 };
            p.skip_ws();
            let key = p.key()?;
            p.skip_ws();
            if !p.s[p.i..].starts_with(if array { b"]]" } else { b"]" }) {
                let got = p.text[p.i..].chars().next().map_or("end of file".to_owned(), quote_char);
                // BurntSushi counts the line break it stopped at.
                p.i += usize::from(p.peek() == Some(b'\n'));
                return Err(p.error(&format!("expected '.' or ']' to end table name, but got {got} instead")));
            }
            p.i += if array { 2 } else { 1 };
            p.end_of_line()?;
            if array {
                push_table_array(&mut root, &key).map_err(|m| p.error(&m))?;
            } else {
                if headers.contains(&key) {
                    return Err(p.error(&format!("Key '{}' has already been defined.", key.join("."))));
                }
                headers.push(key.clone());
                table_at(&mut root, &key).map_err(|n| p.error(&defined(&key[..n])))?;
            }
            current = key;
            continue;
        }
        if c == b'=' {
            return Err(p.error("unexpected '=': key name appears blank"));
        }
        let key = p.key()?;
        p.last_key = Some(current.iter().chain(&key).cloned().collect::<Vec<_>>().join("."));
        p.skip_ws();
        p.expect("=")?;
        p.skip_ws();
        let value = p.value()?;
        p.end_of_line()?;
        let table = table_at(&mut root, &current).map_err(|n| p.error(&defined(&current[..n])))?;
        insert_dotted(table, &current, &key, value).map_err(|m| p.error(&m))?;
    }
    Ok(root)
}

/// The table a `[header]` or the current section names (the last element of an array of
/// tables), created on the way. Fails with how many parts of `key` lead to one that is no
/// table.
fn table_at<'m>(root: &'m mut Map<String, Value>, key: &[String]) -> Result<&'m mut Map<String, Value>, usize> {
    let mut t = root;
    for (n, k) in key.iter().enumerate() {
        let entry = t.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()));
        t = match entry {
            Value::Object(m) => m,
            Value::Array(items) if matches!(items.last(), Some(Value::Object(_))) => match items.last_mut() {
                Some(Value::Object(m)) => m,
                _ => return Err(n + 1),
            },
            _ => return Err(n + 1),
        };
    }
    Ok(t)
}

/// BurntSushi's redefinition message.
fn defined(key: &[String]) -> String {
    format!("Key '{}' has already been defined.", key.join("."))
}

fn push_table_array(root: &mut Map<String, Value>, key: &[String]) -> Result<(), String> {
    let Some((last, parent)) = key.split_last() else { return Err("empty table key".into()) };
    let t = table_at(root, parent).map_err(|n| defined(&key[..n]))?;
    match t.entry(last.clone()).or_insert_with(|| Value::Array(Vec::new())) {
        Value::Array(items) => items.push(Value::Object(Map::new())),
        _ => return Err(defined(key)),
    }
    Ok(())
}

/// Sets `prefix.key` (`key` relative to `table`, which `prefix` names) to `value`.
fn insert_dotted(
    table: &mut Map<String, Value>,
    prefix: &[String],
    key: &[String],
    value: Value,
) -> Result<(), String> {
    let full: Vec<String> = prefix.iter().chain(key).cloned().collect();
    let Some((last, parent)) = key.split_last() else { return Err("empty key".into()) };
    let t = table_at(table, parent).map_err(|n| defined(&full[..prefix.len() + n]))?;
    if t.contains_key(last) {
        return Err(defined(&full));
    }
    t.insert(last.clone(), value);
    Ok(())
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    depth: usize,
    /// The dotted key being read, for BurntSushi's `(last key "k")` context.
    last_key: Option<String>,
}

/// A character as BurntSushi quotes it in messages (`'x'`, `'\n'`).
fn quote_char(c: char) -> String {
    match c {
        '\n' => "'\\n'".to_owned(),
        '\t' => "'\\t'".to_owned(),
        '\r' => "'\\r'".to_owned(),
        '\'' => "'\\''".to_owned(),
        c => format!("'{c}'"),
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn error(&self, message: &str) -> TomlError {
        let line = self.text[..self.i.min(self.text.len())].matches('\n').count() + 1;
        match &self.last_key {
            Some(key) => TomlError::Parse(format!("line {line} (last key {key:?}): {message}")),
            None => TomlError::Parse(format!("line {line}: {message}")),
        }
    }

    /// The next character for a message, or "end of file".
    fn got(&self) -> String {
        self.text[self.i.min(self.text.len())..].chars().next().map_or("end of file".to_owned(), quote_char)
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
            Some(_) => {
                let got = self.got();
                let message =
                    format!("expected a top-level item to end with a newline, comment, or EOF, but got {got} instead");
                let line = self.text[..self.i].matches('\n').count() + 1;
                Err(TomlError::Parse(format!("line {line}: {message}")))
            }
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
            Some(b'#' | b'\n' | b'\r') => {
                let got = self.got();
                Err(self.error(&format!("expected value but found {got} instead")))
            }
            Some(_) => self.scalar(),
            None => Err(self.error("unexpected EOF; expected value")),
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
                None => return Err(self.error("unexpected EOF; expected value")),
                _ => {
                    let got = self.got();
                    return Err(self.error(&format!("expected a comma (',') or array terminator (']'), but got {got}")));
                }
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
        let parent = self.last_key.clone();
        loop {
            self.skip_ws();
            let key = self.key()?;
            self.last_key = Some(parent.iter().cloned().chain(key.iter().cloned()).collect::<Vec<_>>().join("."));
            self.skip_ws();
            self.expect("=")?;
            self.skip_ws();
            let value = self.value()?;
            let prefix: Vec<String> = parent.iter().flat_map(|p| p.split('.')).map(str::to_owned).collect();
            insert_dotted(&mut map, &prefix, &key, value).map_err(|m| self.error(&m))?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => {
                    let got = self.got();
                    return Err(self.error(&format!(
                        "expected a comma or an inline table terminator '}}', but got {got} instead"
                    )));
                }
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
            let Some(c) = rest.chars().next() else { return Err(self.error("unexpected EOF; expected '\"'")) };
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
        let Some(c) = self.peek() else { return Err(self.error("unexpected EOF; expected '\"'")) };
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
                    let count = if n == 4 { "four" } else { "eight" };
                    let bad = hex.chars().find(|c| !c.is_ascii_hexdigit()).map(String::from).unwrap_or_default();
                    let good: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
                    let got = format!("{}\\{}{good}{bad}", out, char::from(c));
                    return Err(self.error(&format!(
                        "expected {count} hexadecimal digits after '\\{}', but got {got:?} instead",
                        char::from(c)
                    )));
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
            _ => Err(self.error(&format!("invalid escape in string '\\{}'", char::from(c)))),
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
        let Some(mut end) = end else { return Err(self.error("unexpected EOF; expected '\"'")) };
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
        if word.is_empty() {
            return Err(self.error("unexpected EOF; expected value"));
        }
        scalar_value(word).map_err(|m| self.error(&m))
    }

    /// `1979-05-27 07:32:00`: a space between a date and a time is part of the datetime.
    fn is_datetime_space(&self, start: usize) -> bool {
        let word = &self.s[start..self.i];
        let next = self.s.get(self.i + 1..self.i + 3).unwrap_or(&[]);
        word.len() == 10 && word[4] == b'-' && next.len() == 2 && next.iter().all(u8::is_ascii_digit)
    }
}
