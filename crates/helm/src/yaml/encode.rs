//! The encoders' half: turning a JSON value into emitter nodes the way
//! `sigs.k8s.io/yaml.Marshal` (json.Marshal, then go-yaml v2 reads that JSON back and marshals
//! it) and Helm's `toYamlPretty` (go-yaml v3 on the Go value) do: scalar text, requested
//! style, and go-yaml's "natural" map key order.

use std::cmp::Ordering;

use serde_json::Value;

use super::emit::{Node, Style};
use super::resolve::{Resolved, format_float_g, is_base60_float, json_float, resolve};

/// Why `sigs.k8s.io/yaml.Marshal` fails: go-yaml refuses a character json.Marshal left raw.
#[derive(Debug)]
pub(crate) struct Unencodable;

/// The node `JSONToYAML(json.Marshal(v))` marshals, with go-yaml v2's styles.
pub(crate) fn v2_node(v: &Value) -> Result<Node, Unencodable> {
    Ok(match v {
        Value::Null => Node::Scalar("null".into(), Style::Plain),
        Value::Bool(b) => Node::Scalar(b.to_string(), Style::Plain),
        Value::Number(n) => Node::Scalar(v2_number(n), Style::Plain),
        Value::String(s) => v2_string(json_roundtrip(s)?),
        Value::Array(items) => Node::Seq(items.iter().map(v2_node).collect::<Result<_, _>>()?),
        Value::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map {
                entries.push((json_key(k)?, v2_node(v)?));
            }
            entries.sort_by(|a, b| natural_cmp(&a.0, &b.0, false));
            Node::Map(entries.into_iter().map(|(k, v)| (v2_string(k), v)).collect())
        }
    })
}

/// A JSON number's text as go-yaml v2 re-reads it from json.Marshal's output and writes it.
fn v2_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let text = json_float(n.as_f64().unwrap_or(0.0));
    match resolve(&text) {
        Resolved::Int(i) => i.to_string(),
        Resolved::Uint(u) => u.to_string(),
        Resolved::Float(f) => format_float_g(f),
        _ => text,
    }
}

/// go-yaml v2's `stringv`: literal if multi-line, plain if it would read back as a string,
/// else double-quoted (the emitter may still downgrade plain to quoted).
fn v2_string(s: String) -> Node {
    let style = if s.contains('\n') {
        Style::Literal
    } else if resolve(&s) == Resolved::Str && !is_base60_float(&s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    };
    Node::Scalar(s, style)
}

/// The string go-yaml v2 reads from json.Marshal's quoted text: json.Marshal escapes control
/// characters, U+2028 and U+2029, but leaves NEL raw, which YAML folds like a line break; and
/// go-yaml's reader rejects DEL, the other C1 controls, U+FFFE and U+FFFF.
fn json_roundtrip(s: &str) -> Result<String, Unencodable> {
    let refused = |c: char| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
    if s.chars().any(refused) {
        return Err(Unencodable);
    }
    if !s.contains('\u{85}') {
        return Ok(s.to_owned());
    }
    Ok(fold_breaks(s))
}

/// A key of json.Marshal's `{"k":v}` must be a simple key when go-yaml re-reads it: on one
/// line (no raw NEL) and at most 1024 characters from its opening quote to the `:`.
fn json_key(k: &str) -> Result<String, Unencodable> {
    if k.contains('\u{85}') {
        return Err(Unencodable);
    }
    let quoted: usize = k
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\x08' | '\x0c' => 2,
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
            c if c < ' ' => 6,
            _ => 1,
        })
        .sum();
    if quoted + 2 > 1024 {
        return Err(Unencodable);
    }
    json_roundtrip(k)
}

/// go-yaml's flow-scalar line folding, for raw NELs (the only raw breaks json.Marshal leaves).
fn fold_breaks(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i] != ' ' && chars[i] != '\u{85}' {
            out.push(chars[i]);
            i += 1;
        }
        let (mut whitespaces, mut leading_blanks, mut trailing_breaks) = (0, false, 0);
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\u{85}') {
            if chars[i] == ' ' {
                whitespaces += usize::from(!leading_blanks);
            } else if leading_blanks {
                trailing_breaks += 1;
            } else {
                leading_blanks = true;
            }
            i += 1;
        }
        if !leading_blanks {
            out.extend(std::iter::repeat_n(' ', whitespaces));
        } else if trailing_breaks == 0 {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('\n', trailing_breaks));
        }
    }
    out
}

/// go-yaml's `keyList.Less` for string keys: letters before non-letters, runs of digits
/// compared as numbers (`a2` < `a10`), otherwise by code point. v3 fixed a digit run ending
/// against a letter (`x1y` < `x10y`); v2 puts the letter first (`x10y` < `x1y`).
pub(crate) fn natural_cmp(a: &str, b: &str, v3: bool) -> Ordering {
    if natural_less(a, b, v3) {
        Ordering::Less
    } else if natural_less(b, a, v3) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

fn natural_less(a: &str, b: &str, v3: bool) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    let mut digits = false;
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            digits = digit(ar[i]);
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if v3 && digits { al } else { bl };
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ar[i] == '0' || br[i] == '0' {
            // A zero continuing a non-zero number still counts (`10` vs `1`).
            for j in (0..i).rev() {
                if !digit(ar[j]) {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}
