//! `toJson`, `toPrettyJson`, `toRawJson` and their `must*` forms: Go's `encoding/json`
//! output (sorted keys, `<`/`>`/`&` escaped as `\u003c`... except in `toRawJson`, U+2028 and
//! U+2029 always escaped, floats formatted as Go formats them, `[]byte` as base64). Values
//! JSON can not hold (NaN, infinities) are Go's `json: unsupported value: NaN` error, which
//! the plain forms turn into "". Times encode as RFC 3339 with nanoseconds, other opaque
//! values (semver versions) as their printed form, as their Go `MarshalJSON`s do.

use std::fmt::Write;

use glidepath_gotmpl::{Func, FuncMap, Param, Value};

/// Go's `encoding/json` float form: shortest digits, exponent outside `[1e-6, 1e21)`.
fn float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!("json: unsupported value: {}", glidepath_gotmpl::fmt::sprint(&[Value::Float(f)])));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = format!("{f:e}");
        let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
        return Ok(match exp.strip_prefix('-') {
            Some(neg) => format!("{mant}e-{neg}"),
            None if exp.len() < 2 => format!("{mant}e+0{exp}"),
            None => format!("{mant}e+{exp}"),
        });
    }
    Ok(format!("{f}"))
}

/// `s` as Go's `encoding/json` writes a string (`html`: `<`, `>` and `&` escaped, the
/// default of `json.Marshal`).
pub fn string(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if html => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Enc {
    out: String,
    html: bool,
    indent: bool,
}

impl Enc {
    fn newline(&mut self, depth: usize) {
        if self.indent {
            self.out.push('\n');
            self.out.push_str(&"  ".repeat(depth));
        }
    }

    fn value(&mut self, v: &Value, depth: usize) -> Result<(), String> {
        if depth > 10_000 {
            return Err("json: unsupported value: encountered a cycle via map[string]interface {}".into());
        }
        match v {
            Value::Invalid | Value::Nil => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => self.out.push_str(&i.to_string()),
            Value::Float(f) => self.out.push_str(&float(*f)?),
            Value::String(s) => string(&mut self.out, s, self.html),
            Value::Opaque(o) if o.as_any().is::<crate::Time>() => {
                let t = o
                    .as_any()
                    .downcast_ref::<crate::Time>()
                    .map(|t| crate::timefmt::format(t, "2006-01-02T15:04:05.999999999Z07:00"));
                string(&mut self.out, &t.unwrap_or_default(), self.html);
            }
            Value::Bytes(_) | Value::Opaque(_) => {
                let j = v.to_json();
                string(&mut self.out, j.as_str().unwrap_or(""), self.html);
            }
            Value::List(l) => {
                self.out.push('[');
                for (i, x) in l.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(depth + 1);
                    self.value(x, depth + 1)?;
                }
                if !l.is_empty() {
                    self.newline(depth);
                }
                self.out.push(']');
            }
            Value::Map(m) => {
                self.out.push('{');
                for (i, (k, x)) in m.entries().iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(depth + 1);
                    string(&mut self.out, k, self.html);
                    self.out.push_str(if self.indent { ": " } else { ":" });
                    self.value(x, depth + 1)?;
                }
                if !m.is_empty() {
                    self.newline(depth);
                }
                self.out.push('}');
            }
        }
        Ok(())
    }
}

/// Encodes `v` as Go's `json.Marshal` (`html`), `MarshalIndent(v, "", "  ")` (`indent`) or
/// an `Encoder` with `SetEscapeHTML(false)` would.
pub fn encode(v: &Value, html: bool, indent: bool) -> Result<String, String> {
    let mut e = Enc { out: String::new(), html, indent };
    e.value(v, 0)?;
    Ok(e.out)
}

pub fn register(m: &mut FuncMap) {
    for (name, html, indent) in [("Json", true, false), ("PrettyJson", true, true), ("RawJson", false, false)] {
        m.insert(
            format!("to{name}"),
            Func::pure(&[Param::Any], move |a| Ok(Value::from(encode(&a[0], html, indent).unwrap_or_default()))),
        );
        m.insert(
            format!("mustTo{name}"),
            Func::pure(&[Param::Any], move |a| encode(&a[0], html, indent).map(Value::from)),
        );
    }
}
