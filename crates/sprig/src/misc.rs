//! Paths (`base`, `dir`, `clean`, `ext`, `isAbs` and the `os*` forms, which are the same on
//! Unix), URLs (`urlParse`, `urlJoin`: Go's `net/url` for absolute and relative URLs),
//! `randInt`, and `getHostByName`, which refuses: rendering never does network I/O here.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use glidepath_gotmpl::{Func, FuncMap, Param, Value};

use crate::Options;
use crate::conv::{arg_int, arg_str};
use crate::rng::Rng;

/// Go's `path.Clean`.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn dir(p: &str) -> String {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    clean(&p[..i])
}

fn ext(p: &str) -> String {
    let last = p.rsplit('/').next().unwrap_or(p);
    last.rfind('.').map_or(String::new(), |i| last[i..].to_string())
}

fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
            let h = hex.ok_or_else(|| {
                format!("invalid URL escape {}", glidepath_gotmpl::fmt::quote(&s[i..(i + 3).min(s.len())]))
            })?;
            out.push(u8::from_str_radix(h, 16).map_err(|e| e.to_string())?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `url.PathEscape`-like escaping for `mode` (`path` keeps `/;,$&+=:@`).
fn escape(s: &str, keep: &str) -> String {
    let mut out = String::new();
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-_.~".contains(&c) || keep.as_bytes().contains(&c) {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

fn split_scheme(raw: &str) -> (&str, &str) {
    let b = raw.as_bytes();
    for (i, c) in b.iter().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i > 0 => return (&raw[..i], &raw[i + 1..]),
            _ => return ("", raw),
        }
    }
    ("", raw)
}

fn url_parse(raw: &str) -> Result<Value, String> {
    let err = |e: String| format!("unable to parse url: parse {}: {e}", glidepath_gotmpl::fmt::quote(raw));
    let (rest, fragment) = raw.split_once('#').unwrap_or((raw, ""));
    let (scheme, rest) = split_scheme(rest);
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (mut host, mut user, mut opaque, mut path) = ("", "", "", rest);
    if let Some(auth) = rest.strip_prefix("//").filter(|_| !scheme.is_empty() || rest.starts_with("//")) {
        let end = auth.find('/').unwrap_or(auth.len());
        let a = &auth[..end];
        path = &auth[end..];
        match a.rfind('@') {
            Some(i) => (user, host) = (&a[..i], &a[i + 1..]),
            None => host = a,
        }
    } else if !scheme.is_empty() && !rest.starts_with('/') {
        (opaque, path) = (rest, "");
    }
    let hostname = match host.strip_prefix('[') {
        Some(h) => h.split(']').next().unwrap_or(h),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    let mut m = BTreeMap::new();
    let s = |x: &str| Value::from(x);
    m.insert("scheme".into(), s(&scheme.to_ascii_lowercase()));
    m.insert("host".into(), s(&unescape(host).map_err(err)?));
    m.insert("hostname".into(), s(&unescape(hostname).map_err(err)?));
    m.insert("path".into(), s(&unescape(path).map_err(err)?));
    m.insert("query".into(), s(query));
    m.insert("opaque".into(), s(opaque));
    m.insert("fragment".into(), s(&unescape(fragment).map_err(err)?));
    m.insert("userinfo".into(), s(user));
    Ok(Value::map(m))
}

fn url_join(d: &BTreeMap<String, Value>) -> Result<Value, String> {
    let get = |k: &str| -> Result<String, String> {
        match d.get(k) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.to_string()),
            Some(v) => Err(format!("interface conversion: interface {{}} is {}, not string", v.type_name())),
        }
    };
    let (scheme, host, path, query, opaque, fragment, user) =
        (get("scheme")?, get("host")?, get("path")?, get("query")?, get("opaque")?, get("fragment")?, get("userinfo")?);
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || !user.is_empty() {
            out.push_str("//");
            if !user.is_empty() {
                out.push_str(&user);
                out.push('@');
            }
            out.push_str(&escape(&host, ":[]!$&'()*+,;="));
        }
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&escape(&path, "/;,$&+=:@"));
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&escape(&fragment, "/?;,$&+=:@!'()*"));
    }
    Ok(Value::from(out))
}

fn rand_int(rng: &Mutex<Rng>, min: i64, max: i64) -> Result<Value, String> {
    let n = max.checked_sub(min).filter(|n| *n > 0).ok_or("invalid argument to Intn")?;
    let mut r = rng.lock().map_err(|_| "random source poisoned".to_string())?;
    Ok(Value::Int(min + r.below(n as u64) as i64))
}

type PathFn = fn(&str) -> String;

pub fn register(m: &mut FuncMap, options: &Options) {
    use Param::String as S;
    let paths: [(&str, PathFn); 4] = [("base", base), ("dir", dir), ("clean", clean), ("ext", ext)];
    for (name, f) in paths {
        let func = Func::pure(&[S], move |a| Ok(Value::from(f(arg_str(a, 0)))));
        m.insert(name, func.clone());
        m.insert(format!("os{}{}", name[..1].to_uppercase(), &name[1..]), func);
    }
    let abs = Func::pure(&[S], |a| Ok(Value::Bool(arg_str(a, 0).starts_with('/'))));
    m.insert("isAbs", abs.clone()).insert("osIsAbs", abs);
    m.insert("urlParse", Func::pure(&[S], |a| url_parse(arg_str(a, 0))));
    m.insert(
        "urlJoin",
        Func::pure(&[Param::Map], |a| {
            url_join(&a[0].as_map().map(glidepath_gotmpl::Dict::snapshot).unwrap_or_default())
        }),
    );
    m.insert(
        "getHostByName",
        Func::pure(&[S], |_| Err("getHostByName: DNS lookups are disabled while rendering".into())),
    );
    let rng: Arc<Mutex<Rng>> = options.rng.clone();
    m.insert("randInt", Func::pure(&[Param::Int, Param::Int], move |a| rand_int(&rng, arg_int(a, 0), arg_int(a, 1))));
}
