//! Go's `net/url.Parse`, as far as its errors go (the `uri`, `uri-reference`, `iri`,
//! `iri-reference` and `uri-template` formats are "does `url.Parse` accept it", plus the
//! library's IPv6 and relative-URL checks).

use super::{R, ipv6};
use crate::strvals::gojson::go_quote;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Host,
    Zone,
    Path,
    Fragment,
    User,
}

/// What `url.Parse` keeps that the format checks look at.
pub(super) struct Url {
    pub(super) scheme: String,
    pub(super) host: String,
    pub(super) raw_path: String,
}

fn unhex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone) && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::Path => c == b'?',
                Mode::Fragment => false,
                Mode::User => c == b'@' || c == b'/' || c == b'?' || c == b':',
                Mode::Host | Mode::Zone => true,
            };
        }
        _ => {}
    }
    if mode == Mode::Fragment && b"!()*".contains(&c) {
        return false;
    }
    true
}

/// Go's `unescape`; errors are `invalid URL escape "%zz"` / `invalid character " " in host name`.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (h, l) = (b.get(i + 1).copied().and_then(unhex), b.get(i + 2).copied().and_then(unhex));
                let (Some(h), Some(l)) = (h, l) else {
                    let bad: String = s[i..].chars().take(3).collect();
                    return Err(format!("invalid URL escape {}", go_quote(&bad)));
                };
                if mode == Mode::Host && h < 8 && &s[i..i + 3] != "%25" {
                    return Err(format!("invalid URL escape {}", go_quote(&s[i..i + 3])));
                }
                out.push(h * 16 + l);
                i += 3;
            }
            c if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) => {
                let bad = char::from(c).to_string();
                return Err(format!("invalid character {} in host name", go_quote(&bad)));
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn escape(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if should_escape(c, mode) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(char::from(c));
        }
    }
    out
}

fn get_scheme(raw: &str) -> Result<(String, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i == 0 => return Ok((String::new(), raw)),
            b'0'..=b'9' | b'+' | b'-' | b'.' => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((raw[..i].to_ascii_lowercase(), &raw[i + 1..])),
            _ => return Ok((String::new(), raw)),
        }
    }
    Ok((String::new(), raw))
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty() || (port.starts_with(':') && port[1..].bytes().all(|b| b.is_ascii_digit()))
}

fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let port = &host[i + 1..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
        if let Some(z) = host[..i].find("%25") {
            let h1 = unescape(&host[..z], Mode::Host)?;
            let h2 = unescape(&host[z..i], Mode::Zone)?;
            let h3 = unescape(&host[i..], Mode::Host)?;
            return Ok(h1 + &h2 + &h3);
        }
        // Go checks the bracketed address itself (and refuses IPv4 there).
        let literal = &host[1..i];
        super::ip::parse_addr(literal).map_err(|e| format!("invalid host: {e}"))?;
        if literal.find(['.', ':', '%']).is_some_and(|j| literal.as_bytes()[j] == b'.') {
            return Err("invalid IP-literal".into());
        }
    } else if host.contains('[') {
        return Err("invalid IP-literal".into());
    } else if let Some(i) = host.find(':') {
        let port = &host[i..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
        }
    }
    unescape(host, Mode::Host)
}

fn parse_authority(auth: &str) -> Result<String, String> {
    let at = auth.rfind('@');
    let host = parse_host(at.map_or(auth, |i| &auth[i + 1..]))?;
    if let Some(i) = at {
        let user = &auth[..i];
        let ok = user.bytes().all(|c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c));
        if !ok {
            return Err("net/url: invalid userinfo".into());
        }
        let (name, pass) = user.split_once(':').unwrap_or((user, ""));
        unescape(name, Mode::User)?;
        unescape(pass, Mode::User)?;
    }
    Ok(host)
}

fn parse_main(raw: &str) -> Result<Url, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    let mut url = Url { scheme: String::new(), host: String::new(), raw_path: String::new() };
    if raw == "*" {
        return Ok(url);
    }
    let (scheme, rest) = get_scheme(raw)?;
    url.scheme = scheme;
    let mut rest = rest;
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else {
        rest = rest.split('?').next().unwrap_or("");
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            return Ok(url);
        }
        if rest.split('/').next().unwrap_or("").contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let auth = &rest[2..];
        let (auth, path) = match auth.find('/') {
            Some(i) => (&auth[..i], &auth[i..]),
            None => (auth, ""),
        };
        url.host = parse_authority(auth)?;
        rest = path;
    }
    let path = unescape(rest, Mode::Path)?;
    if escape(&path, Mode::Path) != rest {
        url.raw_path = rest.to_string();
    }
    Ok(url)
}

/// `url.Parse`, with its `parse "<url>": <reason>` errors.
pub(super) fn parse(raw: &str) -> Result<Url, String> {
    let (main, frag) = raw.split_once('#').unwrap_or((raw, ""));
    let url = parse_main(main).map_err(|e| format!("parse {}: {e}", go_quote(main)))?;
    if !frag.is_empty() {
        unescape(frag, Mode::Fragment).map_err(|e| format!("parse {}: {e}", go_quote(raw)))?;
    }
    Ok(url)
}

/// The library's `parseURL`: `url.Parse` plus a check of bracketed IPv6 hosts.
pub(super) fn parse_checked(s: &str) -> Result<Url, String> {
    let u = parse(s)?;
    let hostname = if u.host.starts_with('[') {
        u.host[1..].split(']').next().unwrap_or("").to_string()
    } else {
        u.host.rsplit_once(':').map_or(u.host.clone(), |(h, _)| h.to_string())
    };
    if hostname.contains(':') {
        if !u.host.contains('[') || !u.host.contains(']') {
            return Err("ipv6 address not enclosed in brackets".into());
        }
        ipv6(&hostname).map_err(|e| format!("invalid ipv6 address: {e}"))?;
    }
    Ok(u)
}

/// `uri`/`iri` (absolute) and `uri-reference`/`iri-reference`.
pub(super) fn ri(s: &str, reference: bool) -> R {
    if reference && s.contains('\\') {
        return Err("contains \\".into());
    }
    let u = parse_checked(s)?;
    if !reference && u.scheme.is_empty() {
        return Err("relative url".into());
    }
    Ok(())
}

/// `uri-template`: braces balanced in each segment of the raw path.
pub(super) fn uri_template(s: &str) -> R {
    let u = parse_checked(s)?;
    for tok in u.raw_path.split('/') {
        let tok = unescape(tok, Mode::Path).map_err(|e| format!("percent decode failed: {e}"))?;
        let mut want = true;
        for ch in tok.chars() {
            let got = match ch {
                '{' => true,
                '}' => false,
                _ => continue,
            };
            if got != want {
                return Err("nested curly braces".into());
            }
            want = !want;
        }
        if !want {
            return Err("no matching closing brace".into());
        }
    }
    Ok(())
}
