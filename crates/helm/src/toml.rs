//! TOML as Helm's `toToml` writes it: github.com/BurntSushi/toml's encoder on the Go value
//! (a JSON value here). Keys in byte order, plain values before tables, two-space indent per
//! table level, `[[arrays.of.tables]]` when every element is a table, inline arrays and tables
//! otherwise, floats as `strconv.FormatFloat(f, 'g', -1, 64)` with `.0` added when needed,
//! nulls in maps skipped. `fromToml` is in `parse`.

mod parse;
mod scalar;

use serde_json::{Map, Value};

pub use parse::from_toml;

use crate::yaml::go_format_float;

/// Why BurntSushi/toml refuses a value; `Display` is its message (Helm's `toToml` then renders
/// that message as its output).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TomlError {
    /// An array holding a null.
    #[error("toml: cannot encode array with nil element")]
    NilElement,
    /// An array of tables (or a table) where a key is needed: at the top level.
    #[error("toml: top-level values must be Go maps or structs")]
    NoKey,
    /// `fromToml`'s parse error, in BurntSushi's words for the common mistakes (Helm's
    /// `fromToml` puts this text under the map's `Error` key).
    #[error("toml: {0}")]
    Parse(String),
}

/// Helm's `toToml` output for `v`, or the encoder's error.
pub fn to_toml(v: &Value) -> Result<String, TomlError> {
    let mut enc = Encoder { out: String::new() };
    match v {
        Value::Object(map) => enc.table(&[], map)?,
        Value::Null => {}
        Value::Array(items) if is_table_array(items)? => return Err(TomlError::NoKey),
        other => enc.element(other)?,
    }
    Ok(enc.out)
}

struct Encoder {
    out: String,
}

/// Whether an array is written as `[[key]]` tables: non-empty and every element a table.
fn is_table_array(items: &[Value]) -> Result<bool, TomlError> {
    if items.iter().any(Value::is_null) {
        return Err(TomlError::NilElement);
    }
    Ok(!items.is_empty() && items.iter().all(Value::is_object))
}

fn is_table(v: &Value) -> Result<bool, TomlError> {
    match v {
        Value::Object(_) => Ok(true),
        Value::Array(items) => is_table_array(items),
        _ => Ok(false),
    }
}

impl Encoder {
    /// BurntSushi's `newline`: nothing before the first output.
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn indent(&mut self, key: &[&str]) {
        for _ in 1..key.len() {
            self.out.push_str("  ");
        }
    }

    /// `eMap` for a table: plain keys first, then sub-tables, each group in byte order.
    fn table(&mut self, key: &[&str], map: &Map<String, Value>) -> Result<(), TomlError> {
        let (mut direct, mut sub) = (Vec::new(), Vec::new());
        for (k, v) in map {
            if is_table(v)? { sub.push(k.as_str()) } else { direct.push(k.as_str()) }
        }
        direct.sort_unstable();
        sub.sort_unstable();
        for k in direct.into_iter().chain(sub) {
            let Some(v) = map.get(k).filter(|v| !v.is_null()) else { continue };
            let mut path = key.to_vec();
            path.push(k);
            self.encode(&path, v)?;
        }
        Ok(())
    }

    fn encode(&mut self, key: &[&str], v: &Value) -> Result<(), TomlError> {
        match v {
            Value::Object(map) => {
                if key.len() == 1 {
                    self.newline();
                }
                self.indent(key);
                self.out.push_str(&format!("[{}]", dotted(key)));
                self.newline();
                self.table(key, map)
            }
            Value::Array(items) if is_table_array(items)? => {
                for item in items {
                    let Value::Object(map) = item else { continue };
                    self.newline();
                    self.indent(key);
                    self.out.push_str(&format!("[[{}]]", dotted(key)));
                    self.newline();
                    self.table(key, map)?;
                }
                Ok(())
            }
            other => {
                self.indent(key);
                let last = key.last().copied().unwrap_or_default();
                self.out.push_str(&format!("{} = ", quote_key(last)));
                self.element(other)?;
                self.newline();
                Ok(())
            }
        }
    }

    /// `eElement`: a value on the right of `=` or inside an array.
    fn element(&mut self, v: &Value) -> Result<(), TomlError> {
        match v {
            Value::Null => return Err(TomlError::NilElement),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.out.push_str(&number(n)),
            Value::String(s) => self.out.push_str(&quote(s)),
            Value::Array(items) => {
                is_table_array(items)?;
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.element(item)?;
                }
                self.out.push(']');
            }
            Value::Object(map) => self.inline_table(map)?,
        }
        Ok(())
    }

    fn inline_table(&mut self, map: &Map<String, Value>) -> Result<(), TomlError> {
        let (mut direct, mut sub) = (Vec::new(), Vec::new());
        for (k, v) in map {
            if is_table(v)? { sub.push(k.as_str()) } else { direct.push(k.as_str()) }
        }
        direct.sort_unstable();
        sub.sort_unstable();
        let trail = !sub.is_empty();
        self.out.push('{');
        for (group, trailing) in [(direct, trail), (sub, false)] {
            let n = group.len();
            for (i, k) in group.into_iter().enumerate() {
                let Some(v) = map.get(k).filter(|v| !v.is_null()) else { continue };
                self.out.push_str(&format!("{} = ", quote_key(k)));
                self.element(v)?;
                if trailing || i + 1 != n {
                    self.out.push_str(", ");
                }
            }
        }
        self.out.push('}');
        Ok(())
    }
}

/// Integers as written; float64s as `'g'` with `.0` added when there is neither `.` nor `e`.
fn number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let s = go_format_float(f);
    if s.contains(['.', 'e']) { s } else { format!("{s}.0") }
}

/// A key part, bare when it is `[A-Za-z0-9_-]+`.
fn quote_key(k: &str) -> String {
    let bare = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { k.to_owned() } else { quote(k) }
}

fn dotted(key: &[&str]) -> String {
    key.iter().map(|k| quote_key(k)).collect::<Vec<_>>().join(".")
}

/// BurntSushi's `dblQuotedReplacer`: `"` and `\`, `\b \t \n \f \r` and `\uXXXX` for the other
/// control characters and DEL.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\x7f' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
