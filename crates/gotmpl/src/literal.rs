//! Go literals as `strconv` reads them: integers in every base with underscores, floats
//! (decimal and hex), quoted, raw and character constants.

use crate::ast::Number;

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, 0, 64)` / `ParseInt(s, 0, 64)` magnitude: the unsigned value of an
/// unsigned integer text (no sign).
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || s.starts_with(['+', '-']) {
        return None;
    }
    let had_underscore = s.contains('_');
    if had_underscore && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h, 16)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (o, 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (b, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(body)?;
    if neg {
        if u <= i64::MAX as u64 + 1 { Some((u as i128).wrapping_neg() as i64) } else { None }
    } else {
        i64::try_from(u).ok()
    }
}

/// `strconv.ParseFloat(s, 64)` for the texts the lexer produces.
fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, clean.as_str()),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        parse_hex_float(h)?
    } else {
        if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit() || b".eE+-".contains(&c)) {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// The part of a hex float after `0x`: mantissa digits, optional point, mandatory `p` exponent.
fn parse_hex_float(h: &str) -> Option<f64> {
    let lower = h.to_ascii_lowercase();
    let (mant, exp) = lower.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// Go's `newNumber`: which of int, uint and float the literal can be.
pub(crate) fn parse_number(text: &str, is_char: bool) -> Result<Number, String> {
    let mut n = Number { text: text.to_string(), is_int: false, is_uint: false, is_float: false, int: 0, float: 0.0 };
    if is_char {
        let inner = &text[1..];
        let (c, tail) = unquote_char(inner, '\'').ok_or_else(|| "invalid syntax".to_string())?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        n.is_int = true;
        n.is_uint = true;
        n.is_float = true;
        n.int = i64::from(u32::from(c));
        n.float = f64::from(u32::from(c));
        return Ok(n);
    }
    if let Some(im) = text.strip_suffix('i')
        && (parse_float(im).is_some() || im.contains(['+', '-']))
    {
        return Err(format!("complex numbers are not supported: {text}"));
    }
    let u = parse_uint(text);
    n.is_uint = u.is_some();
    if let Some(i) = parse_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if let Some(u) = u {
        n.is_float = true;
        n.float = u as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", crate::fmt::quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
            n.is_int = true;
            n.int = f as i64;
        }
        if f.fract() == 0.0 && (0.0..1.844_674_407_370_955_2e19).contains(&f) {
            n.is_uint = true;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", crate::fmt::quote(text)));
    }
    Ok(n)
}

/// `strconv.UnquoteChar`: one (possibly escaped) character of `s`, and the rest.
fn unquote_char(s: &str, quote: char) -> Option<(char, &str)> {
    let mut chars = s.chars();
    let c = chars.next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if c != '\\' {
        return Some((c, chars.as_str()));
    }
    let e = chars.next()?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '\'' | '"' if e == quote => Some(e),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, rest));
    }
    let (len, radix) = match e {
        'x' => (2, 16),
        'u' => (4, 16),
        'U' => (8, 16),
        '0'..='7' => (2, 8),
        _ => return None,
    };
    let digits = rest.get(..len)?;
    let mut v = u32::from_str_radix(digits, radix).ok()?;
    if radix == 8 {
        v += (e as u32 - '0' as u32) * 64;
        if v > 255 {
            return None;
        }
    }
    let c = char::from_u32(v)?;
    Some((c, &rest[len..]))
}

/// `strconv.Unquote` for `"..."`, `` `...` `` and `'...'` texts. `\x` escapes above 0x7f
/// become the character of that code point (Rust strings are UTF-8; Go's are bytes).
pub(crate) fn unquote(s: &str) -> Option<String> {
    let quote = s.chars().next()?;
    if !matches!(quote, '`' | '"' | '\'') || s.len() < 2 || !s.ends_with(quote) {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    match quote {
        '`' => (!inner.contains('`')).then(|| inner.replace('\r', "")),
        '"' | '\'' => {
            let mut out = String::new();
            let mut rest = inner;
            while !rest.is_empty() {
                if rest.starts_with('\n') {
                    return None;
                }
                let (c, tail) = unquote_char(rest, quote)?;
                out.push(c);
                rest = tail;
            }
            (quote == '"' || out.chars().count() == 1).then_some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("017"), Some(15));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("-0x_1"), Some(-1));
        assert_eq!(parse_int("1__0"), None);
        assert_eq!(parse_int("_1"), None);
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float("1.5e3"), Some(1500.0));
        assert_eq!(parse_float("0x1p-2"), Some(0.25));
        assert_eq!(parse_float(".5"), Some(0.5));
        assert_eq!(parse_float("1_0.5"), Some(10.5));
    }

    #[test]
    fn strings() {
        assert_eq!(unquote(r#""a\tb\x41\u00e9\101""#).as_deref(), Some("a\tbAéA"));
        assert_eq!(unquote("`a\\n`").as_deref(), Some("a\\n"));
        assert_eq!(unquote(r#""\'""#), None);
        assert_eq!(unquote(r"'\''").as_deref(), Some("'"));
    }
}
