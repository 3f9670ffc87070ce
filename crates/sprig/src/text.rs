//! Sprig's string functions from goutils and xstrings: wrapping, abbreviation, case
//! conversion, random strings and shuffling.

use std::sync::{Arc, Mutex};

use glidepath_gotmpl::{Func, FuncMap, Param, Value};

use crate::Options;
use crate::conv::{arg_int, arg_str};
use crate::rng::Rng;

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// goutils' `WrapCustom` (byte offsets, breaking at spaces; long words broken only when
/// `long_words`).
pub fn wrap(s: &str, width: i64, newline: &str, long_words: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let nl = if newline.is_empty() { "\n" } else { newline };
    let w = width.max(1) as usize;
    let b = s.as_bytes();
    let (len, mut off) = (b.len(), 0usize);
    let mut out = String::new();
    while len - off > w {
        if b[off] == b' ' {
            off += 1;
            continue;
        }
        let end = (w + off + 1).min(len);
        if let Some(sp) = b[off..end].iter().rposition(|c| *c == b' ') {
            out.push_str(&lossy(&b[off..off + sp]));
            out.push_str(nl);
            off += sp + 1;
        } else if long_words {
            out.push_str(&lossy(&b[off..off + w]));
            out.push_str(nl);
            off += w;
        } else {
            let end = w + off;
            match b[end..].iter().position(|c| *c == b' ') {
                None => {
                    out.push_str(&lossy(&b[off..]));
                    off = len;
                }
                Some(i) => {
                    out.push_str(&lossy(&b[off..end + i]));
                    out.push_str(nl);
                    off = end + i + 1;
                }
            }
        }
    }
    out.push_str(&lossy(&b[off..]));
    out
}

/// goutils' `AbbreviateFull` (the width checks Sprig makes first included).
pub fn abbreviate(s: &str, offset: i64, max: i64) -> String {
    if s.is_empty() || max < 4 {
        return s.to_string();
    }
    let len = s.len() as i64;
    if len <= max {
        return s.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max - 3 {
        offset = len - (max - 3);
    }
    let b = s.as_bytes();
    if offset <= 4 {
        return format!("{}...", lossy(&b[..(max - 3) as usize]));
    }
    if max < 7 {
        return String::new();
    }
    if offset + max - 3 < len {
        return format!("...{}", abbreviate(&lossy(&b[offset as usize..]), 0, max - 3));
    }
    format!("...{}", lossy(&b[(len - (max - 3)) as usize..]))
}

/// xstrings' `ToCamelCase`: `_x` becomes `X`; leading, trailing and doubled `_` stay.
pub fn camelcase(s: &str) -> String {
    let mut chars = s.chars().peekable();
    let mut out = String::new();
    while chars.peek() == Some(&'_') {
        out.push('_');
        chars.next();
    }
    let Some(first) = chars.next() else { return out };
    out.extend(first.to_uppercase());
    let mut prev = match chars.next() {
        Some(c) => c,
        None => return out,
    };
    for c in chars {
        if prev == '_' && c != '_' {
            prev = c.to_uppercase().next().unwrap_or(c);
        } else {
            out.push(prev);
            prev = c;
        }
    }
    out.push(prev);
    out
}

/// xstrings' `ToSnakeCase` with `sep` as the connector (`_` or `-` for kebab case):
/// `FirstName` → `first_name`, `HTTPServer` → `http_server`, spaces and `-`/`_` become `sep`.
pub fn delimited(s: &str, sep: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let is_sep = |c: char| c == '_' || c == ' ' || c == '-';
    let mut out = String::new();
    let mut i = 0;
    let mut prev = sep;
    while i < chars.len() {
        let c = chars[i];
        if c.is_uppercase() {
            let mut j = i;
            while j < chars.len() && chars[j].is_uppercase() {
                j += 1;
            }
            if prev != sep && !out.is_empty() {
                out.push(sep);
            }
            let run = &chars[i..j];
            let next_lower = j < chars.len() && !is_sep(chars[j]);
            if run.len() > 1 && next_lower {
                run[..run.len() - 1].iter().for_each(|c| out.extend(c.to_lowercase()));
                out.push(sep);
                out.extend(run[run.len() - 1].to_lowercase());
            } else {
                run.iter().for_each(|c| out.extend(c.to_lowercase()));
            }
            prev = run[run.len() - 1];
            i = j;
            continue;
        }
        let c = if is_sep(c) { sep } else { c };
        out.push(c);
        prev = c;
        i += 1;
    }
    out
}

const ALPHA: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";

fn random_from(rng: &Mutex<Rng>, set: &[char], n: i64) -> Result<Value, String> {
    if n < 0 {
        return Err(format!("Requested random string length {n} is less than 0."));
    }
    let mut r = rng.lock().map_err(|_| "random source poisoned".to_string())?;
    Ok(Value::from((0..n).map(|_| set[r.below(set.len() as u64) as usize]).collect::<String>()))
}

fn rand_func(rng: &Arc<Mutex<Rng>>, set: String) -> Func {
    let rng = rng.clone();
    let set: Vec<char> = set.chars().collect();
    Func::pure(&[Param::Int], move |a| random_from(&rng, &set, arg_int(a, 0)))
}

fn shuffle(rng: &Mutex<Rng>, s: &str) -> Result<Value, String> {
    let mut chars: Vec<char> = s.chars().collect();
    let mut r = rng.lock().map_err(|_| "random source poisoned".to_string())?;
    for i in (1..chars.len()).rev() {
        let j = r.below(i as u64 + 1) as usize;
        chars.swap(i, j);
    }
    Ok(Value::from(chars.into_iter().collect::<String>()))
}

pub fn register(m: &mut FuncMap, options: &Options) {
    use Param::{Int, String as Str};
    m.insert("wrap", Func::pure(&[Int, Str], |a| Ok(Value::from(wrap(arg_str(a, 1), arg_int(a, 0), "", false)))));
    m.insert(
        "wrapWith",
        Func::pure(&[Int, Str, Str], |a| Ok(Value::from(wrap(arg_str(a, 2), arg_int(a, 0), arg_str(a, 1), true)))),
    );
    m.insert("abbrev", Func::pure(&[Int, Str], |a| Ok(Value::from(abbreviate(arg_str(a, 1), 0, arg_int(a, 0))))));
    m.insert(
        "abbrevboth",
        Func::pure(&[Int, Int, Str], |a| {
            let (l, r, s) = (arg_int(a, 0), arg_int(a, 1), arg_str(a, 2));
            Ok(Value::from(if r < 4 || l > 0 && r < 7 { s.to_string() } else { abbreviate(s, l, r) }))
        }),
    );
    m.insert("camelcase", Func::pure(&[Str], |a| Ok(Value::from(camelcase(arg_str(a, 0))))));
    m.insert("snakecase", Func::pure(&[Str], |a| Ok(Value::from(delimited(arg_str(a, 0), '_')))));
    m.insert("kebabcase", Func::pure(&[Str], |a| Ok(Value::from(delimited(arg_str(a, 0), '-')))));
    let rng = &options.rng;
    m.insert("randAlphaNum", rand_func(rng, format!("{ALPHA}{DIGITS}")));
    m.insert("randAlpha", rand_func(rng, ALPHA.into()));
    m.insert("randNumeric", rand_func(rng, DIGITS.into()));
    m.insert("randAscii", rand_func(rng, (' '..='~').collect()));
    let r = rng.clone();
    m.insert("shuffle", Func::pure(&[Str], move |a| shuffle(&r, arg_str(a, 0))));
}
