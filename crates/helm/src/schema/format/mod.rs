//! The `format` assertions v6 applies to drafts 4, 6 and 7 (2019-09 and later only annotate),
//! with the library's reasons (`'x' is not valid ipv4: expected four decimals`). Formats the
//! library does not know are not checked, as there.

mod ip;
mod time;
mod url;

use self::time::{date, date_time, duration, period, time};
use crate::strvals::gojson::{go_quote, go_quote_rune};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    JsonPointer,
    RelativeJsonPointer,
    Uuid,
    Duration,
    Period,
    Ipv4,
    Ipv6,
    Hostname,
    Email,
    Date,
    Time,
    DateTime,
    Uri,
    Iri,
    UriReference,
    IriReference,
    UriTemplate,
    Regex,
    Semver,
}

const NAMES: [(&str, Format); 19] = [
    ("json-pointer", Format::JsonPointer),
    ("relative-json-pointer", Format::RelativeJsonPointer),
    ("uuid", Format::Uuid),
    ("duration", Format::Duration),
    ("period", Format::Period),
    ("ipv4", Format::Ipv4),
    ("ipv6", Format::Ipv6),
    ("hostname", Format::Hostname),
    ("email", Format::Email),
    ("date", Format::Date),
    ("time", Format::Time),
    ("date-time", Format::DateTime),
    ("uri", Format::Uri),
    ("iri", Format::Iri),
    ("uri-reference", Format::UriReference),
    ("iri-reference", Format::IriReference),
    ("uri-template", Format::UriTemplate),
    ("regex", Format::Regex),
    ("semver", Format::Semver),
];

pub(super) type R = Result<(), String>;

impl Format {
    pub(crate) fn named(name: &str) -> Option<Format> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    pub(crate) fn name(self) -> &'static str {
        NAMES.iter().find(|(_, f)| *f == self).map_or("", |(n, _)| n)
    }

    /// Checks a string; the error is the library's reason.
    pub(crate) fn check(self, s: &str) -> R {
        match self {
            Format::JsonPointer => json_pointer(s),
            Format::RelativeJsonPointer => relative_json_pointer(s),
            Format::Uuid => uuid(s),
            Format::Duration => duration(s),
            Format::Period => period(s),
            Format::Ipv4 => ipv4(s),
            Format::Ipv6 => ipv6(s),
            Format::Hostname => hostname(s),
            Format::Email => email(s),
            Format::Date => date(s),
            Format::Time => time(s),
            Format::DateTime => date_time(s),
            Format::Uri | Format::Iri => url::ri(s, false),
            Format::UriReference | Format::IriReference => url::ri(s, true),
            Format::UriTemplate => url::uri_template(s),
            Format::Regex => super::goregex::go_regex(s).map(|_| ()),
            Format::Semver => semver(s),
        }
    }
}

fn json_pointer(s: &str) -> R {
    if s.is_empty() {
        return Ok(());
    }
    if !s.starts_with('/') {
        return Err("not starting with /".into());
    }
    for tok in s.split('/').skip(1) {
        let mut esc = false;
        for ch in tok.chars() {
            if esc {
                esc = false;
                if ch != '0' && ch != '1' {
                    return Err("~ must be followed by 0 or 1".into());
                }
                continue;
            }
            if ch == '~' {
                esc = true;
            }
        }
        if esc {
            return Err("~ must be followed by 0 or 1".into());
        }
    }
    Ok(())
}

fn relative_json_pointer(s: &str) -> R {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return Err("must start with non-negative integer".into());
    }
    if n > 1 && s.starts_with('0') {
        return Err("starts with zero".into());
    }
    let rest = &s[n..];
    if rest == "#" { Ok(()) } else { json_pointer(rest) }
}

fn uuid(s: &str) -> R {
    let want = [8, 4, 4, 4, 12];
    let groups: Vec<&str> = s.split('-').collect();
    if groups.len() != want.len() {
        return Err(format!("must have {} elements", want.len()));
    }
    for (i, g) in groups.iter().enumerate() {
        if g.len() != want[i] {
            return Err(format!("element {} must be {} characters long", i + 1, want[i]));
        }
        if let Some(c) = g.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!("non-hex character {}", go_quote_rune(c)));
        }
    }
    Ok(())
}

/// Go's `strconv.Atoi` error text.
pub(super) fn atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {}: invalid syntax", go_quote(s)));
    }
    s.parse::<i64>().map_err(|_| format!("strconv.Atoi: parsing {}: value out of range", go_quote(s)))
}

fn ipv4(s: &str) -> R {
    let groups: Vec<&str> = s.split('.').collect();
    if groups.len() != 4 {
        return Err("expected four decimals".into());
    }
    for g in groups {
        if g.len() > 1 && g.starts_with('0') {
            return Err("leading zeros".into());
        }
        let n = atoi(g)?;
        if !(0..=255).contains(&n) {
            return Err("decimal must be between 0 and 255".into());
        }
    }
    Ok(())
}

pub(super) fn ipv6(s: &str) -> R {
    if !s.contains(':') {
        return Err("missing colon".into());
    }
    if !ip::parse_addr(s)?.is_empty() {
        return Err("zone id is not a part of ipv6 address".into());
    }
    Ok(())
}

fn hostname(s: &str) -> R {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.len() > 253 {
        return Err("more than 253 characters long".into());
    }
    for label in s.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("label must be 1 to 63 characters long".into());
        }
        if label.starts_with('-') {
            return Err("label starts with hyphen".into());
        }
        if label.ends_with('-') {
            return Err("label ends with hyphen".into());
        }
        if let Some(c) = label.chars().find(|c| !c.is_ascii_alphanumeric() && *c != '-') {
            return Err(format!("invalid character {}", go_quote_rune(c)));
        }
    }
    Ok(())
}

fn email(s: &str) -> R {
    if s.len() > 254 {
        return Err("more than 255 characters long".into());
    }
    let Some(at) = s.rfind('@') else {
        return Err("missing @".into());
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    if local.len() > 64 {
        return Err("local part more than 64 characters long".into());
    }
    // The library takes any local part opening with `"` as quoted.
    if local.len() > 1 && local.starts_with('"') {
        // Bytes, as Go slices them (the last character may be cut).
        let inner = &local.as_bytes()[1..local.len() - 1];
        if inner.iter().any(|b| matches!(b, b'\\' | b'"')) {
            return Err("backslash and quote are not allowed within quoted local part".into());
        }
    } else {
        if local.starts_with('.') {
            return Err("starts with dot".into());
        }
        if local.ends_with('.') {
            return Err("ends with dot".into());
        }
        if local.contains("..") {
            return Err("consecutive dots".into());
        }
        let ok = |c: char| c.is_ascii_alphanumeric() || ".!#$%&'*+-/=?^_`{|}~".contains(c);
        if let Some(c) = local.chars().find(|c| !ok(*c)) {
            return Err(format!("invalid character {}", go_quote_rune(c)));
        }
    }
    if domain.len() >= 2 && domain.starts_with('[') && domain.ends_with(']') {
        let d = &domain[1..domain.len() - 1];
        if let Some(v6) = d.strip_prefix("IPv6:") {
            return ipv6(v6).map_err(|e| format!("invalid ipv6 address: {e}"));
        }
        return ipv4(d).map_err(|e| format!("invalid ipv4 address: {e}"));
    }
    hostname(domain).map_err(|e| format!("invalid domain: {e}"))
}

/// Identifier characters of semver's pre-release and build parts; the first bad one, if any.
fn bad_ident_char(id: &str) -> Option<char> {
    id.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
}

/// `semver`: `major.minor.patch[-pre][+build]` (semver.org's grammar).
fn semver(s: &str) -> R {
    let mut s = s;
    if let Some((core, build)) = s.split_once('+') {
        if build.is_empty() {
            return Err("build is empty".into());
        }
        for id in build.split('.') {
            if id.is_empty() {
                return Err("build identifier is empty".into());
            }
            if let Some(c) = bad_ident_char(id) {
                return Err(format!("invalid character {} in build identifier", go_quote_rune(c)));
            }
        }
        s = core;
    }
    if let Some((core, pre)) = s.split_once('-') {
        for id in pre.split('.') {
            if id.is_empty() {
                return Err("pre-release identifier is empty".into());
            }
            if let Some(c) = bad_ident_char(id) {
                return Err(format!("invalid character {} in pre-release identifier", go_quote_rune(c)));
            }
            if id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()) {
                return Err("pre-release numeric identifier starts with zero".into());
            }
        }
        s = core;
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 3 {
        return Err("versionCore must have 3 numbers separated by dot".into());
    }
    for (name, v) in ["major", "minor", "patch"].iter().zip(parts) {
        if v.is_empty() {
            return Err(format!("{name} is empty"));
        }
        if v.len() > 1 && v.starts_with('0') {
            return Err(format!("{name} starts with zero"));
        }
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{name} contains non-digit"));
        }
    }
    Ok(())
}
