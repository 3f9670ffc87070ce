//! Sprig's string functions that wrap Go's `strings` package (`strings.go`, `functions.go`).

use std::collections::BTreeMap;

use glidepath_gotmpl::{Func, FuncMap, Param, Value};

use crate::conv::{arg_int, arg_str, str_list, strval};

/// Go's `unicode.IsSpace`.
pub fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}')
        || (c as u32 > 0xff && c.is_whitespace())
}

/// Sprig's `strslice`: a list's non-nil items as strings, a lone value as one string,
/// nil as none.
pub fn strslice(v: &Value) -> Vec<String> {
    match crate::conv::items(v) {
        Some(items) => items.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        None if v.is_nil() => Vec::new(),
        None => vec![strval(v)],
    }
}

/// Go's `strings.Title`: the first letter of each word upper-cased.
fn title(s: &str) -> String {
    let sep = |c: char| {
        if c.is_ascii() { !(c.is_ascii_alphanumeric() || c == '_') } else { !c.is_alphanumeric() && is_space(c) }
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if sep(prev) {
            out.extend(c.to_uppercase())
        } else {
            out.push(c)
        }
        prev = c;
    }
    out
}

/// goutils' `Uncapitalize`: the first letter of each whitespace-separated word lower-cased.
fn untitle(s: &str) -> String {
    let mut next = true;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_space(c) {
            out.push(c);
            next = true;
        } else if next {
            out.extend(c.to_lowercase());
            next = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// goutils' `Initials`: the first character of each whitespace-separated word.
fn initials(s: &str) -> String {
    let mut gap = true;
    let mut out = String::new();
    for c in s.chars() {
        if is_space(c) {
            gap = true;
        } else if gap {
            out.push(c);
            gap = false;
        }
    }
    out
}

fn swapcase(s: &str) -> String {
    s.chars()
        .flat_map(|c| -> Vec<char> {
            if c.is_uppercase() {
                c.to_lowercase().collect()
            } else if c.is_lowercase() {
                c.to_uppercase().collect()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Go's byte slicing `s[i:j]`, with Go's panic text when out of range.
fn slice_bytes(s: &str, i: i64, j: i64) -> Result<String, String> {
    let len = s.len() as i64;
    if j < 0 || j > len {
        return Err(format!("runtime error: slice bounds out of range [:{j}] with length {len}"));
    }
    if i < 0 || i > j {
        return Err(format!("runtime error: slice bounds out of range [{i}:{j}]"));
    }
    Ok(String::from_utf8_lossy(&s.as_bytes()[i as usize..j as usize]).into_owned())
}

fn substr(start: i64, end: i64, s: &str) -> Result<String, String> {
    let len = s.len() as i64;
    if start < 0 {
        return slice_bytes(s, 0, end);
    }
    if end < 0 || end > len {
        if start > len {
            return Err(format!("runtime error: slice bounds out of range [{start}:{len}]"));
        }
        return slice_bytes(s, start, len);
    }
    slice_bytes(s, start, end)
}

fn trunc(c: i64, s: &str) -> String {
    let len = s.len() as i64;
    let b = s.as_bytes();
    if c < 0 && len + c > 0 {
        return String::from_utf8_lossy(&b[(len + c) as usize..]).into_owned();
    }
    if c >= 0 && len > c {
        return String::from_utf8_lossy(&b[..c as usize]).into_owned();
    }
    s.to_string()
}

/// Go's `strings.SplitN` (`n < 0`: all; `0`: none; an empty separator splits characters).
pub fn split_n(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    if sep.is_empty() {
        let chars: Vec<char> = s.chars().collect();
        let mut out: Vec<String> = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            if out.len() + 1 == limit {
                out.push(chars[i..].iter().collect());
                return out;
            }
            out.push(c.to_string());
        }
        return out;
    }
    s.splitn(limit, sep).map(str::to_string).collect()
}

fn indexed(parts: Vec<String>) -> Value {
    let m: BTreeMap<String, Value> =
        parts.into_iter().enumerate().map(|(i, p)| (format!("_{i}"), Value::from(p))).collect();
    Value::map(m)
}

fn indent(n: i64, s: &str) -> Result<String, String> {
    let n = usize::try_from(n).map_err(|_| "strings: negative Repeat count".to_string())?;
    let pad = " ".repeat(n);
    Ok(format!("{pad}{}", s.replace('\n', &format!("\n{pad}"))))
}

fn sort_alpha(v: &Value) -> Value {
    match crate::conv::items(v) {
        Some(_) => {
            let mut s = strslice(v);
            s.sort();
            str_list(s)
        }
        None => str_list([strval(v)]),
    }
}

fn str1(f: fn(&str) -> String) -> Func {
    Func::pure(&[Param::String], move |a| Ok(Value::from(f(arg_str(a, 0)))))
}

fn str2(f: fn(&str, &str) -> Value) -> Func {
    Func::pure(&[Param::String, Param::String], move |a| Ok(f(arg_str(a, 0), arg_str(a, 1))))
}

pub fn register(m: &mut FuncMap) {
    use Param::{Any, Int, String as Str};
    m.insert("trim", str1(|s| s.trim_matches(is_space).to_string()));
    m.insert("upper", str1(str::to_uppercase));
    m.insert("lower", str1(str::to_lowercase));
    m.insert("title", str1(title));
    m.insert("untitle", str1(untitle));
    m.insert("nospace", str1(|s| s.chars().filter(|c| !is_space(*c)).collect()));
    m.insert("initials", str1(initials));
    m.insert("swapcase", str1(swapcase));
    let trim_all = str2(|cut, s| Value::from(s.trim_matches(|c| cut.contains(c))));
    m.insert("trimAll", trim_all.clone()).insert("trimall", trim_all);
    m.insert("trimSuffix", str2(|x, s| Value::from(s.strip_suffix(x).unwrap_or(s))));
    m.insert("trimPrefix", str2(|x, s| Value::from(s.strip_prefix(x).unwrap_or(s))));
    m.insert("contains", str2(|x, s| Value::Bool(s.contains(x))));
    m.insert("hasPrefix", str2(|x, s| Value::Bool(s.starts_with(x))));
    m.insert("hasSuffix", str2(|x, s| Value::Bool(s.ends_with(x))));
    m.insert("splitList", str2(|sep, s| str_list(split_n(s, sep, -1))));
    m.insert("split", str2(|sep, s| indexed(split_n(s, sep, -1))));
    m.insert(
        "splitn",
        Func::pure(&[Str, Int, Str], |a| Ok(indexed(split_n(arg_str(a, 2), arg_str(a, 0), arg_int(a, 1))))),
    );
    m.insert(
        "repeat",
        Func::pure(&[Int, Str], |a| match arg_int(a, 0) {
            n if n < 0 => Err("strings: negative Repeat count".into()),
            n => Ok(Value::from(arg_str(a, 1).repeat(n as usize))),
        }),
    );
    m.insert(
        "substr",
        Func::pure(&[Int, Int, Str], |a| substr(arg_int(a, 0), arg_int(a, 1), arg_str(a, 2)).map(Value::from)),
    );
    m.insert("trunc", Func::pure(&[Int, Str], |a| Ok(Value::from(trunc(arg_int(a, 0), arg_str(a, 1))))));
    m.insert("indent", Func::pure(&[Int, Str], |a| indent(arg_int(a, 0), arg_str(a, 1)).map(Value::from)));
    m.insert(
        "nindent",
        Func::pure(&[Int, Str], |a| indent(arg_int(a, 0), arg_str(a, 1)).map(|s| Value::from(format!("\n{s}")))),
    );
    m.insert(
        "replace",
        Func::pure(&[Str, Str, Str], |a| Ok(Value::from(go_replace(arg_str(a, 2), arg_str(a, 0), arg_str(a, 1))))),
    );
    m.insert(
        "plural",
        Func::pure(&[Str, Str, Int], |a| {
            Ok(Value::from(if arg_int(a, 2) == 1 { arg_str(a, 0) } else { arg_str(a, 1) }))
        }),
    );
    m.insert(
        "quote",
        Func::variadic(&[], Any, |a| Ok(Value::from(quote_all(a, |v| glidepath_gotmpl::fmt::quote(&strval(v)))))),
    );
    m.insert("squote", Func::variadic(&[], Any, |a| Ok(Value::from(quote_all(a, |v| format!("'{}'", sprint1(v)))))));
    m.insert("cat", Func::variadic(&[], Any, |a| Ok(Value::from(quote_all(a, sprint1)))));
    m.insert("toStrings", Func::pure(&[Any], |a| Ok(str_list(strslice(&a[0])))));
    m.insert("join", Func::pure(&[Str, Any], |a| Ok(Value::from(strslice(&a[1]).join(arg_str(a, 0))))));
    m.insert("sortAlpha", Func::pure(&[Any], |a| Ok(sort_alpha(&a[0]))));
}

fn sprint1(v: &Value) -> String {
    glidepath_gotmpl::fmt::sprint(std::slice::from_ref(v))
}

/// The non-nil arguments, each formatted, joined by spaces.
fn quote_all(a: &[Value], f: impl Fn(&Value) -> String) -> String {
    a.iter().filter(|v| !v.is_nil()).map(f).collect::<Vec<_>>().join(" ")
}

/// Go's `strings.Replace(s, old, new, -1)`: an empty `old` matches between every character.
fn go_replace(s: &str, old: &str, new: &str) -> String {
    if !old.is_empty() {
        return s.replace(old, new);
    }
    let mut out = String::from(new);
    for c in s.chars() {
        out.push(c);
        out.push_str(new);
    }
    out
}
