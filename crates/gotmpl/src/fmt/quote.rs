//! `strconv.Quote` and friends.

/// An approximation of Go's `unicode.IsPrint` (letters, marks, numbers, punctuation, symbols
/// and the ASCII space): control, format, private-use, separator and noncharacter code points
/// are not printable.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = u32::from(c);
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E
        | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xFDD0..=0xFDEF
        | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF | 0xE0000..=0xE007F)
        && (u & 0xFFFE) != 0xFFFE
}

fn escape(out: &mut String, c: char, quote: char, ascii: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if if ascii { c.is_ascii() && is_print(c) } else { is_print(c) } {
        out.push(c);
        return;
    }
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

fn quote_with(s: &str, quote: char, ascii: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        escape(&mut out, c, quote, ascii);
    }
    out.push(quote);
    out
}

/// `strconv.Quote`.
pub fn quote(s: &str) -> String {
    quote_with(s, '"', false)
}

/// `strconv.QuoteToASCII`.
pub fn quote_ascii(s: &str) -> String {
    quote_with(s, '"', true)
}

/// `%.Nq`: the first `n` characters, quoted.
pub fn quote_prefix(s: &str, n: usize) -> String {
    let s: String = s.chars().take(n).collect();
    quote(&s)
}

/// `strconv.QuoteRune`.
pub fn quote_rune(c: char) -> String {
    let mut out = String::from('\'');
    escape(&mut out, c, '\'', false);
    out.push('\'');
    out
}

pub(crate) fn quote_rune_ascii(c: char) -> String {
    let mut out = String::from('\'');
    escape(&mut out, c, '\'', true);
    out.push('\'');
    out
}

/// `%#U`: `U+0041 'A'` (the character only when printable).
pub fn unicode_hash(c: char) -> String {
    if is_print(c) { format!("U+{:04X} '{c}'", c as u32) } else { format!("U+{:04X}", c as u32) }
}

/// `strconv.CanBackquote`.
pub(crate) fn can_backquote(s: &str) -> bool {
    s.chars().all(|c| c == '\t' || !(c == '`' || c == '\u{FEFF}' || (c as u32) < 0x20 || c as u32 == 0x7f))
}
