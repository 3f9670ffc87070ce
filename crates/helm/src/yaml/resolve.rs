//! go-yaml v2's implicit tag resolution of plain scalars (YAML 1.1 booleans, `0777` octals,
//! `.inf`, timestamps, `<<`), and Go's float formatting (`strconv.FormatFloat` with `'g'`, and
//! `encoding/json`'s float64 text) that the encoders need around it.

/// What a plain scalar resolves to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A timestamp-looking value: decoding into `interface{}` keeps its text.
    Timestamp,
    Str,
}

/// `resolve("", s)` of go-yaml v2.
pub(crate) fn resolve(s: &str) -> Resolved {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match s.as_bytes()[0] {
        b'.' => match go_parse_float(s) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        b'0'..=b'9' | b'+' | b'-' => resolve_number(s),
        _ => Resolved::Str,
    }
}

fn resolve_number(s: &str) -> Resolved {
    if is_timestamp(s) {
        return Resolved::Timestamp;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Resolved::Uint(u);
    }
    if is_yaml_float(&plain)
        && let Some(f) = go_parse_float(&plain)
    {
        return Resolved::Float(f);
    }
    let (neg, digits) = match plain.strip_prefix("-0b") {
        Some(rest) => (true, Some(rest)),
        None => (false, plain.strip_prefix("0b")),
    };
    if let Some(digits) = digits
        && let Some(r) = parse_radix(digits, 2, neg)
    {
        return r;
    }
    Resolved::Str
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    let digits = |b: &[u8], i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i;
    if b.first() == Some(&b'.') {
        let n = digits(b, 1);
        if n == 0 {
            return false;
        }
        i = 1 + n;
    } else {
        let n = digits(b, 0);
        if n == 0 {
            return false;
        }
        i = n;
        if b.get(i) == Some(&b'.') {
            i += 1 + digits(b, i + 1);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let n = digits(b, i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == b.len()
}

/// `strconv.ParseInt(s, 0, 64)`: sign, then `0x`/`0o`/`0b`/leading-`0` octal or decimal.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mag = go_parse_uint(body)?;
    if neg {
        if mag <= 1u64 << 63 {
            return Some((mag as i64).wrapping_neg());
        }
        return None;
    }
    i64::try_from(mag).ok()
}

/// `strconv.ParseUint(s, 0, 64)` (no sign, no underscores: they were stripped).
fn go_parse_uint(s: &str) -> Option<u64> {
    let lower = s.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &s[2..]),
        Some("0o") => (8, &s[2..]),
        Some("0b") => (2, &s[2..]),
        _ if s.len() > 1 && s.starts_with('0') => (8, &s[1..]),
        _ => (10, s),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

fn parse_radix(digits: &str, radix: u32, neg: bool) -> Option<Resolved> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        return (mag <= 1u64 << 63).then(|| Resolved::Int((mag as i64).wrapping_neg()));
    }
    Some(i64::try_from(mag).map_or(Resolved::Uint(mag), Resolved::Int))
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms YAML hands it (and Go's `inf`/`nan`).
pub(crate) fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return s.parse::<f64>().ok();
    }
    let ok = body.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !ok || body.starts_with(['+', '-']) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`: YAML 1.1 base-60 floats, which go-yaml
/// no longer resolves but still quotes.
pub(crate) fn is_base60_float(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let mut i = b.iter().take_while(|c| c.is_ascii_digit() || **c == b'_').count();
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let ok = match n {
            1 => true,
            2 => b[i + 1] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
        i += 1 + n;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1 + b[i + 1..].iter().take_while(|c| c.is_ascii_digit() || **c == b'_').count();
    }
    i == b.len()
}

/// go-yaml v2's `parseTimestamp`: `YYYY-` then one of Go's layouts `2006-1-2T15:4:5.999999999Z07:00`,
/// `2006-1-2t15:4:5.999999999Z07:00`, `2006-1-2 15:4:5.999999999` or `2006-1-2`.
pub(crate) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut p = Cursor { b, i: 5 };
    let (Some(month), true, Some(day)) = (p.num(1, 2), p.eat(b'-'), p.num(1, 2)) else {
        return false;
    };
    let year: u32 = s[..4].parse().unwrap_or(0);
    if !(1..=12).contains(&month) || day < 1 || day > days_in(year, month) {
        return false;
    }
    if p.i == b.len() {
        return true;
    }
    let sep = b[p.i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    p.i += 1;
    let (Some(h), true, Some(m), true, Some(sec)) = (p.num(1, 2), p.eat(b':'), p.num(1, 2), p.eat(b':'), p.num(2, 2))
    else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    if (p.eat(b'.') || p.eat(b',')) && p.num(1, usize::MAX).is_none() && p.i < b.len() {
        return false;
    }
    if p.i == b.len() {
        return true;
    }
    if sep == b' ' {
        return false;
    }
    zone(&mut p)
}

fn zone(p: &mut Cursor<'_>) -> bool {
    if p.eat(b'Z') {
        return p.i == p.b.len();
    }
    if !(p.eat(b'+') || p.eat(b'-')) {
        return false;
    }
    let (Some(hh), true, Some(mm)) = (p.num(2, 2), p.eat(b':'), p.num(2, 2)) else {
        return false;
    };
    hh < 24 && mm < 60 && p.i == p.b.len()
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.b.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    fn num(&mut self, min: usize, max: usize) -> Option<u32> {
        let n = self.b[self.i..].iter().take(max).take_while(|c| c.is_ascii_digit()).count();
        if n < min {
            return None;
        }
        let text = std::str::from_utf8(&self.b[self.i..self.i + n]).ok()?;
        self.i += n;
        Some(text.get(..9).unwrap_or(text).parse().unwrap_or(0))
    }
}

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Shortest round-trip digits and decimal exponent of a finite, non-zero `f`.
fn shortest(f: f64) -> (String, i32) {
    let (digits, exp) = shortest_of(&format!("{:e}", f.abs()));
    // Among equally short candidates Go takes the one nearest the exact value, an exact tie
    // going to the even digit; Rust's shortest output may round a tie up. Rust's
    // fixed-precision output rounds exactly (ties to even), so prefer it when it round-trips.
    let precision = digits.len().saturating_sub(1);
    let exact = format!("{:.*e}", precision, f.abs());
    if exact.parse::<f64>().ok() == Some(f.abs()) {
        return shortest_of(&exact);
    }
    (digits, exp)
}

fn shortest_of(e: &str) -> (String, i32) {
    let (mant, exp) = e.split_once('e').unwrap_or((e, "0"));
    let digits = mant.replace('.', "");
    let trimmed = digits.trim_end_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    (digits.to_owned(), exp.parse().unwrap_or(0))
}

/// `strconv.FormatFloat(f, 'g', -1, 64)` with go-yaml's `.inf`/`.nan` spellings.
pub(crate) fn format_float_g(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0");
    }
    let (digits, exp) = shortest(f);
    g_form(sign, &digits, exp)
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`, as go-yaml and sigs.k8s.io/yaml write float keys.
pub(crate) fn format_float_g32(f: f32) -> String {
    if !f.is_finite() || f == 0.0 {
        return format_float_g(f64::from(f));
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let (digits, exp) = shortest_of(&format!("{:e}", f.abs()));
    g_form(sign, &digits, exp)
}

fn g_form(sign: &str, digits: &str, exp: i32) -> String {
    // Go uses %e when the exponent is < -4 or >= 6 for the shortest representation.
    if !(-4..6).contains(&exp) {
        return format!("{sign}{}", exp_form(digits, exp));
    }
    format!("{sign}{}", fixed_form(digits, exp))
}

/// `d.ddde±XX` as Go writes it (at least two exponent digits).
fn exp_form(digits: &str, exp: i32) -> String {
    let (first, rest) = digits.split_at(1);
    let frac = if rest.is_empty() { String::new() } else { format!(".{rest}") };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{first}{frac}e{esign}{:02}", exp.abs())
}

fn fixed_form(digits: &str, exp: i32) -> String {
    let n = digits.len() as i32;
    if exp < 0 {
        return format!("0.{}{digits}", "0".repeat((-exp - 1) as usize));
    }
    if exp + 1 >= n {
        return format!("{digits}{}", "0".repeat((exp + 1 - n) as usize));
    }
    let (int, frac) = digits.split_at((exp + 1) as usize);
    format!("{int}.{frac}")
}

/// `encoding/json`'s text for a float64: `'f'` in [1e-6, 1e21), else `'e'` with `e-7` not `e-07`.
pub(crate) fn json_float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let (digits, exp) = shortest(f);
    let abs = f.abs();
    if !(1e-6..1e21).contains(&abs) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{}", exp.abs());
    }
    format!("{sign}{}", fixed_form(&digits, exp))
}
