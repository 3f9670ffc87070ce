//! Sprig's regular expression functions (`regex.go`) over the `regex` crate, whose syntax
//! is RE2's as Go's `regexp` implements it. Plain forms panic on a bad pattern (Go's
//! `regexp: Compile(...)` text); `must*` forms return the parse error; `regexMatch` returns
//! false. Parse error details are the `regex` crate's wording after Go's prefix.

use glidepath_gotmpl::{Func, FuncMap, Param, Value};
use regex::Regex;

use crate::conv::{arg_int, arg_str, str_list};

fn compile(re: &str) -> Result<Regex, String> {
    Regex::new(re).map_err(|e| format!("error parsing regexp: {}", e.to_string().lines().last().unwrap_or("")))
}

fn must_compile(re: &str) -> Result<Regex, String> {
    compile(re).map_err(|e| format!("regexp: Compile({}): {e}", go_backquote(re)))
}

fn go_backquote(s: &str) -> String {
    if s.contains('`') { glidepath_gotmpl::fmt::quote(s) } else { format!("`{s}`") }
}

/// Go's `FindAllString(s, n)`: `n < 0` all, `0` none.
fn find_all(r: &Regex, s: &str, n: i64) -> Vec<String> {
    let limit = if n < 0 { usize::MAX } else { n as usize };
    r.find_iter(s).take(limit).map(|m| m.as_str().to_string()).collect()
}

/// Go's `Regexp.Split(s, n)`.
fn split(r: &Regex, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !r.as_str().is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let (mut out, mut beg, mut end) = (Vec::new(), 0, 0);
    for m in r.find_iter(s).take(limit) {
        if n > 0 && out.len() == limit - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = m.end();
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}

/// Go's `regexp.QuoteMeta`.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

type Compile = fn(&str) -> Result<Regex, String>;

fn both(m: &mut FuncMap, name: &str, params: &'static [Param], f: fn(&Regex, &[Value]) -> Value) {
    let must = format!("must{}{}", name[..1].to_uppercase(), &name[1..]);
    for (n, c) in [(name.to_string(), must_compile as Compile), (must, compile as Compile)] {
        m.insert(n, Func::pure(params, move |a| Ok(f(&c(arg_str(a, 0))?, a))));
    }
}

pub fn register(m: &mut FuncMap) {
    use Param::{Int, String as S};
    m.insert(
        "regexMatch",
        Func::pure(&[S, S], |a| Ok(Value::Bool(compile(arg_str(a, 0)).is_ok_and(|r| r.is_match(arg_str(a, 1)))))),
    );
    m.insert(
        "mustRegexMatch",
        Func::pure(&[S, S], |a| Ok(Value::Bool(compile(arg_str(a, 0))?.is_match(arg_str(a, 1))))),
    );
    both(m, "regexFindAll", &[S, S, Int], |r, a| str_list(find_all(r, arg_str(a, 1), arg_int(a, 2))));
    both(m, "regexFind", &[S, S], |r, a| Value::from(r.find(arg_str(a, 1)).map_or("", |x| x.as_str())));
    both(m, "regexReplaceAll", &[S, S, S], |r, a| {
        Value::from(r.replace_all(arg_str(a, 1), arg_str(a, 2)).into_owned())
    });
    both(m, "regexReplaceAllLiteral", &[S, S, S], |r, a| {
        Value::from(r.replace_all(arg_str(a, 1), regex::NoExpand(arg_str(a, 2))).into_owned())
    });
    both(m, "regexSplit", &[S, S, Int], |r, a| str_list(split(r, arg_str(a, 1), arg_int(a, 2))));
    m.insert("regexQuoteMeta", Func::pure(&[S], |a| Ok(Value::from(quote_meta(arg_str(a, 0))))));
}
