//! How kubectl's YAML encoder (go-yaml v3 marshalling Go values) writes scalars and orders keys.
//!
//! A string is written plain only when go-yaml's resolver would read it back as a string and it
//! is neither a YAML 1.1 base-60 number nor a YAML 1.1 boolean (`yes`, `off`, `y`...); otherwise
//! it is double-quoted. A plain-resolvable string that the emitter cannot write plain (indicators,
//! leading/trailing spaces) is single-quoted, or double-quoted when it holds tabs, special
//! characters or a space next to a line break. Map keys are sorted with go-yaml's `keyList.Less`
//! (digit runs compare as numbers, letters sort after other characters; Go's map order is random,
//! so keys that this order cannot rank consistently come out in no fixed order from kubectl).

use std::sync::LazyLock;

use regex::Regex;

/// How a scalar is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
}

/// The style go-yaml v3 picks for a single-line string in block context.
pub(crate) fn style_of(s: &str) -> Style {
    if !can_use_plain(s) {
        return Style::Double;
    }
    let a = analyze(s);
    if a.block_plain {
        Style::Plain
    } else if a.single_quoted {
        Style::Single
    } else {
        Style::Double
    }
}

/// May a string with line breaks be written as a literal block (go-yaml's `block_allowed`)?
pub(crate) fn block_allowed(s: &str) -> bool {
    analyze(s).block
}

/// go-yaml's `stringv`: plain unless resolving would give another type, or YAML 1.1 would.
fn can_use_plain(s: &str) -> bool {
    !resolves_non_string(s) && !is_base60_float(s) && !is_old_bool(s)
}

fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF"
    )
}

static BASE60: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").ok());
static YAML_FLOAT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").ok());

fn is_match(re: &LazyLock<Option<Regex>>, s: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(s))
}

fn is_base60_float(s: &str) -> bool {
    s.starts_with(|c: char| c == '+' || c == '-' || c.is_ascii_digit()) && s.contains(':') && is_match(&BASE60, s)
}

/// go-yaml v3's `resolve("", s)` returns a tag other than `!!str`. The first character decides
/// what is tried: the special-value table only for `yYnNtTfFoO~`, signs, digits and `.`.
fn resolves_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "true", "True", "TRUE", "false", "False", "FALSE", "", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ];
    let Some(first) = s.chars().next() else { return true };
    if !"yYnNtTfFoO~+-.0123456789".contains(first) {
        return false;
    }
    if SPECIAL.contains(&s) {
        return true;
    }
    match first {
        '.' => is_go_float(s),
        '+' | '-' | '0'..='9' => {
            if crate::yaml_time::is_timestamp(s) {
                return true;
            }
            let plain = s.replace('_', "");
            go_parse_int(&plain) || (is_match(&YAML_FLOAT, &plain) && is_go_float(&plain))
        }
        _ => false,
    }
}

/// Go's `strconv.ParseFloat` succeeds (finite) on a decimal float spelling.
fn is_go_float(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = mantissa.replace('.', "");
    let ok_mantissa =
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && mantissa.matches('.').count() <= 1;
    let ok_exp = exp.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    ok_mantissa && ok_exp && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeds (underscores removed).
fn go_parse_int(s: &str) -> bool {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => (0, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return false;
    }
    let Ok(magnitude) = u128::from_str_radix(digits, radix) else { return false };
    match sign {
        -1 => magnitude <= 1u128 << 63,
        1 => magnitude <= i64::MAX as u128,
        _ => magnitude <= u128::from(u64::MAX),
    }
}

/// The parts of go-yaml's `yaml_emitter_analyze_scalar` that matter in block context.
struct Analysis {
    block_plain: bool,
    single_quoted: bool,
    block: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// go-yaml's `is_printable` (it escapes everything else in double quotes).
pub(crate) fn is_printable(c: char) -> bool {
    let u = u32::from(c);
    c == '\n'
        || (0x20..=0x7e).contains(&u)
        || (0xa0..=0xd7ff).contains(&u)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
}

fn analyze(s: &str) -> Analysis {
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break, mut tabs, mut special, mut line_breaks) =
        (false, false, false, false, false);
    let (mut previous_space, mut previous_break, mut preceded_by_ws) = (false, false, true);
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = chars.get(i + 1).is_none_or(|&n| n == ' ' || n == '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                    block_indicators = true;
                }
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else if (c == ':' && followed_by_ws) || (c == '#' && preceded_by_ws) {
            block_indicators = true;
        }
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        let last = i + 1 == chars.len();
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= previous_break;
            (previous_space, previous_break) = (true, false);
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= previous_space;
            (previous_space, previous_break) = (false, true);
        } else {
            (previous_space, previous_break) = (false, false);
        }
        preceded_by_ws = c == ' ' || c == '\t' || c == '\0' || is_break(c);
    }
    let edges = leading_space || leading_break || trailing_space || trailing_break;
    let no_single = break_space || space_break || tabs || special;
    Analysis {
        block_plain: !(edges || no_single || line_breaks || block_indicators),
        single_quoted: !no_single,
        block: !(trailing_space || space_break || tabs || special),
    }
}

/// go-yaml's double-quoted escapes for the characters it does not write as they are. go-yaml's
/// BOM test looks at the start of the text, not at the character: after a leading BOM every
/// character is escaped (`all`).
pub(crate) fn escape_double(c: char, all: bool) -> Option<String> {
    if !all && is_printable(c) && !is_break(c) && c != '"' && c != '\\' {
        return None;
    }
    let named = match c {
        '\0' => "\\0",
        '\u{7}' => "\\a",
        '\u{8}' => "\\b",
        '\t' => "\\t",
        '\n' => "\\n",
        '\u{b}' => "\\v",
        '\u{c}' => "\\f",
        '\r' => "\\r",
        '\u{1b}' => "\\e",
        '"' => "\\\"",
        '\\' => "\\\\",
        '\u{85}' => "\\N",
        '\u{a0}' => "\\_",
        '\u{2028}' => "\\L",
        '\u{2029}' => "\\P",
        _ => "",
    };
    if !named.is_empty() {
        return Some(named.to_string());
    }
    let u = u32::from(c);
    Some(match u {
        0..=0xff => format!("\\x{u:02X}"),
        0x100..=0xffff => format!("\\u{u:04X}"),
        _ => format!("\\U{u:08X}"),
    })
}

/// Sorts map keys like go-yaml: `keyList.Less` is not a total order, so no std sort (which may
/// panic on such orders): Go's insertion sort for up to 12 keys (what its pdqsort does there),
/// a merge sort beyond.
pub(crate) fn sort_keys(keys: &mut [&String]) {
    if keys.len() <= 12 {
        for i in 1..keys.len() {
            let mut j = i;
            while j > 0 && key_less(keys[j], keys[j - 1]) {
                keys.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    let mid = keys.len() / 2;
    sort_keys(&mut keys[..mid]);
    sort_keys(&mut keys[mid..]);
    let mut merged = Vec::with_capacity(keys.len());
    let (mut i, mut j) = (0, mid);
    while i < mid && j < keys.len() {
        if key_less(keys[j], keys[i]) {
            merged.push(keys[j]);
            j += 1;
        } else {
            merged.push(keys[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&keys[i..mid]);
    merged.extend_from_slice(&keys[j..]);
    keys.copy_from_slice(&merged);
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

fn key_less(a: &str, b: &str) -> bool {
    let (ar, br): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    for i in 0..ar.len().min(br.len()) {
        let (x, y) = (ar[i], br[i]);
        if x == y {
            continue;
        }
        let (xl, yl) = (x.is_alphabetic(), y.is_alphabetic());
        if xl && yl {
            return x < y;
        }
        if xl || yl {
            // A letter sorts after any other character.
            return yl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if x == '0' || y == '0' {
            // A zero inside a number that started with a non-zero digit counts as a digit.
            if ar[..i].iter().rev().take_while(|c| is_digit(**c)).any(|c| *c != '0') {
                (an, bn) = (1, 1);
            }
        }
        let number = |r: &[char], n: &mut i64| {
            let mut end = i;
            while end < r.len() && is_digit(r[end]) {
                *n = n.wrapping_mul(10).wrapping_add(i64::from(u32::from(r[end])) - i64::from(u32::from('0')));
                end += 1;
            }
            end
        };
        let (ai, bi) = (number(&ar, &mut an), number(&br, &mut bn));
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return x < y;
    }
    ar.len() < br.len()
}

/// A JSON number as kubectl prints it: kustomize round-trips objects through Go's
/// `encoding/json` and go-yaml, so an integral float that fits 64 bits becomes an integer and
/// other floats are written with Go's `%g` (shortest digits, exponent form from 1e6 or below
/// 1e-4, `e+06` style exponents).
pub(crate) fn number(n: &serde_json::Number) -> String {
    let Some(f) = n.as_f64().filter(|_| n.is_f64()) else { return n.to_string() };
    // -2^63 up to 2^64 (exclusive): the integers Go decodes back as int64 or uint64.
    let fits = (-9.223_372_036_854_776e18..1.844_674_407_370_955_2e19).contains(&f);
    if f.is_finite() && f.fract() == 0.0 && fits {
        // Exact: integral and within 128 bits.
        return format!("{}", f as i128);
    }
    go_g(f)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
fn go_g(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            ".nan".into()
        } else if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, like Go's shortest formatting.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (head, tail) = digits.split_at(1);
        let dot = if tail.is_empty() { String::new() } else { format!(".{tail}") };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{head}{dot}e{esign}{:02}", exp.abs());
    }
    format!("{sign}{}", f.abs())
}
