//! Go's fmt_test.go `fmtTests`, ported as data for the verbs templates use. Cases on Go
//! types a template value cannot be (sized and unsigned integers, complex numbers, pointers,
//! structs, Stringers, `%p`, `%x` of floats) are left out; `[]byte` cases use
//! [`Value::Bytes`], `[]interface{}` cases [`Value::List`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::fmtargs::{Case, by, i, run_table, s, zero_fill};
use glidepath_gotmpl::Value;

/// Strings, bytes, quoting, characters and widths.
fn strings() -> Vec<Case> {
    vec![
        ("%d", i(12345), "12345"),
        ("%v", i(12345), "12345"),
        ("%t", Value::Bool(true), "true"),
        // basic string
        ("%s", s("abc"), "abc"),
        ("%q", s("abc"), r#""abc""#),
        ("%x", s("abc"), "616263"),
        ("%x", s("\u{ff}\u{f0}"), "c3bfc3b0"),
        ("%X", s("abc"), "616263"),
        ("%x", s(""), ""),
        ("% x", s(""), ""),
        ("%#x", s(""), ""),
        ("%# x", s(""), ""),
        ("%x", s("xyz"), "78797a"),
        ("%X", s("xyz"), "78797A"),
        ("% x", s("xyz"), "78 79 7a"),
        ("% X", s("xyz"), "78 79 7A"),
        ("%#x", s("xyz"), "0x78797a"),
        ("%#X", s("xyz"), "0X78797A"),
        ("%# x", s("xyz"), "0x78 0x79 0x7a"),
        ("%# X", s("xyz"), "0X78 0X79 0X7A"),
        // basic bytes
        ("%s", by(b"abc"), "abc"),
        ("%q", by(b"abc"), r#""abc""#),
        ("%x", by(b"abc"), "616263"),
        ("%x", by(b"\xff\xf0\x0f\xff"), "fff00fff"),
        ("%X", by(b"\xff\xf0\x0f\xff"), "FFF00FFF"),
        ("%x", by(b""), ""),
        ("% x", by(b""), ""),
        ("%#x", by(b""), ""),
        ("%# x", by(b""), ""),
        ("%x", by(b"xyz"), "78797a"),
        ("% x", by(b"xyz"), "78 79 7a"),
        ("%#x", by(b"xyz"), "0x78797a"),
        ("%# X", by(b"xyz"), "0X78 0X79 0X7A"),
    ]
}

/// Quoted strings (`%q`, `%#q`, `%+q`) with widths.
fn quoted() -> Vec<Case> {
    vec![
        // escaped strings
        ("%q", s(""), r#""""#),
        ("%#q", s(""), "``"),
        ("%q", s("\""), r#""\"""#),
        ("%#q", s("\""), "`\"`"),
        ("%q", s("`"), "\"`\""),
        ("%#q", s("`"), "\"`\""),
        ("%q", s("\n"), r#""\n""#),
        ("%#q", s("\n"), r#""\n""#),
        ("%q", s(r"\n"), r#""\\n""#),
        ("%#q", s(r"\n"), r"`\n`"),
        ("%q", s("abc"), r#""abc""#),
        ("%#q", s("abc"), "`abc`"),
        ("%q", s("日本語"), r#""日本語""#),
        ("%+q", s("日本語"), r#""\u65e5\u672c\u8a9e""#),
        ("%#q", s("日本語"), "`日本語`"),
        ("%#+q", s("日本語"), "`日本語`"),
        ("%q", s("\x07\x08\x0c\n\r\t\x0b\"\\"), r#""\a\b\f\n\r\t\v\"\\""#),
        ("%+q", s("\x07\x08\x0c\n\r\t\x0b\"\\"), r#""\a\b\f\n\r\t\v\"\\""#),
        ("%#q", s("\x07\x08\x0c\n\r\t\x0b\"\\"), r#""\a\b\f\n\r\t\v\"\\""#),
        ("%q", s("☺"), r#""☺""#),
        ("% q", s("☺"), r#""☺""#),
        ("%+q", s("☺"), r#""\u263a""#),
        ("%#q", s("☺"), "`☺`"),
        ("%#+q", s("☺"), "`☺`"),
        ("%10q", s("⌘"), r#"       "⌘""#),
        ("%+10q", s("⌘"), r#"  "\u2318""#),
        ("%-10q", s("⌘"), r#""⌘"       "#),
        ("%+-10q", s("⌘"), r#""\u2318"  "#),
        ("%010q", s("⌘"), r#"0000000"⌘""#),
        ("%+010q", s("⌘"), r#"00"\u2318""#),
        ("%-010q", s("⌘"), r#""⌘"       "#),
        ("%+-010q", s("⌘"), r#""\u2318"  "#),
        ("%#8q", s("\n"), r#"    "\n""#),
        ("%#+8q", s("\r"), r#"    "\r""#),
        ("%#-8q", s("\t"), "`\t`     "),
        ("%#+-8q", s("\x08"), r#""\b"    "#),
        ("%q", s("\u{10ffff}"), r#""\U0010ffff""#),
        ("%+q", s("\u{10ffff}"), r#""\U0010ffff""#),
        ("%#q", s("\u{10ffff}"), "`\u{10ffff}`"),
    ]
}

/// Characters (`%c`, `%q` of runes) and widths.
fn characters() -> Vec<Case> {
    vec![
        // characters
        ("%c", i('x' as i64), "x"),
        ("%c", i(0xe4), "ä"),
        ("%c", i(0x672c), "本"),
        ("%c", i('日' as i64), "日"),
        ("%.0c", i('⌘' as i64), "⌘"),
        ("%3c", i('⌘' as i64), "  ⌘"),
        ("%-3c", i('⌘' as i64), "⌘  "),
        ("%c", i(0x0e00), "\u{0e00}"),
        ("%c", i(0x10ffff), "\u{10ffff}"),
        ("%c", i(-1), "\u{fffd}"),
        ("%c", i(0xDC80), "\u{fffd}"),
        ("%c", i(0x110000), "\u{fffd}"),
        ("%c", i(0xFFFFFFFFF), "\u{fffd}"),
        // escaped characters
        ("%q", i(0), r"'\x00'"),
        ("%+q", i(0), r"'\x00'"),
        ("%q", i('"' as i64), r#"'"'"#),
        ("%q", i('\'' as i64), r"'\''"),
        ("%+q", i('\'' as i64), r"'\''"),
        ("%q", i('`' as i64), "'`'"),
        ("%q", i('x' as i64), "'x'"),
        ("%+q", i('x' as i64), "'x'"),
        ("%q", i('ÿ' as i64), "'ÿ'"),
        ("%+q", i('ÿ' as i64), r"'\u00ff'"),
        ("%q", i('\n' as i64), r"'\n'"),
        ("%+q", i('\n' as i64), r"'\n'"),
        ("%q", i('☺' as i64), "'☺'"),
        ("%+q", i('☺' as i64), r"'\u263a'"),
        ("% q", i('☺' as i64), "'☺'"),
        ("%.0q", i('☺' as i64), "'☺'"),
        ("%10q", i('⌘' as i64), "       '⌘'"),
        ("%+10q", i('⌘' as i64), r"  '\u2318'"),
        ("%-10q", i('⌘' as i64), "'⌘'       "),
        ("%+-10q", i('⌘' as i64), r"'\u2318'  "),
        ("%010q", i('⌘' as i64), "0000000'⌘'"),
        ("%+010q", i('⌘' as i64), r"00'\u2318'"),
        ("%-010q", i('⌘' as i64), "'⌘'       "),
        ("%+-010q", i('⌘' as i64), r"'\u2318'  "),
        // Left out: `%q` of U+0E00 (unassigned, so not printable in Go); this crate's IsPrint
        // has no table of unassigned code points.
        ("%q", i(0x10ffff), r"'\U0010ffff'"),
        ("%q", i(-1), "%!q(int=-1)"),
        ("%q", i(0xDC80), "'\u{fffd}'"),
        ("%q", i(0x110000), "%!q(int=1114112)"),
        // width
        ("%5s", s("abc"), "  abc"),
        ("%5s", by(b"abc"), "  abc"),
        ("%2s", s("\u{263a}"), " ☺"),
        ("%-5s", s("abc"), "abc  "),
        ("%05s", s("abc"), "00abc"),
        ("%5s", s("abcdefghijklmnopqrstuvwxyz"), "abcdefghijklmnopqrstuvwxyz"),
        ("%.5s", s("abcdefghijklmnopqrstuvwxyz"), "abcde"),
        ("%.0s", s("日本語日本語"), ""),
        ("%.5s", s("日本語日本語"), "日本語日本"),
        ("%.10s", s("日本語日本語"), "日本語日本語"),
        ("%.5s", by("日本語日本語".as_bytes()), "日本語日本"),
        ("%08q", s("abc"), r#"000"abc""#),
        ("%-8q", s("abc"), r#""abc"   "#),
        ("%.5q", s("abcdefghijklmnopqrstuvwxyz"), r#""abcde""#),
        ("%.5x", s("abcdefghijklmnopqrstuvwxyz"), "6162636465"),
        ("%.3q", s("日本語日本語"), r#""日本語""#),
        ("%.1q", s("日本語"), r#""日""#),
        ("%.1x", s("日本語"), "e6"),
        ("%.1X", by("日本語".as_bytes()), "E6"),
        ("%10.1q", s("日本語日本語"), r#"       "日""#),
        ("%10v", Value::Nil, "     <nil>"),
        ("%-10v", Value::Nil, "<nil>     "),
    ]
}

/// Integers in every base, with flags, widths and precisions; `%U`.
fn integers() -> Vec<Case> {
    vec![
        ("%d", i(-12345), "-12345"),
        ("%d", i(i64::MIN), "-9223372036854775808"),
        ("%.d", i(0), ""),
        ("%.0d", i(0), ""),
        ("%6.0d", i(0), "      "),
        ("%06.0d", i(0), "      "),
        ("% d", i(12345), " 12345"),
        ("%+d", i(12345), "+12345"),
        ("%+d", i(-12345), "-12345"),
        ("%b", i(7), "111"),
        ("%b", i(-6), "-110"),
        ("%#b", i(7), "0b111"),
        ("%#b", i(-6), "-0b110"),
        ("%b", i(i64::MIN), zero_fill("-1", 63, "")),
        ("%o", i(0o1234), "1234"),
        ("%o", i(-0o1234), "-1234"),
        ("%#o", i(0o1234), "01234"),
        ("%#o", i(-0o1234), "-01234"),
        ("%O", i(0o1234), "0o1234"),
        ("%O", i(-0o1234), "-0o1234"),
        ("%#X", i(0), "0X0"),
        ("%x", i(0x12abcdef), "12abcdef"),
        ("%X", i(0x12abcdef), "12ABCDEF"),
        ("%x", i(-255), "-ff"),
        ("%.20b", i(7), "00000000000000000111"),
        ("%10d", i(12345), "     12345"),
        ("%10d", i(-12345), "    -12345"),
        ("%+10d", i(12345), "    +12345"),
        ("%010d", i(12345), "0000012345"),
        ("%010d", i(-12345), "-000012345"),
        ("%20.8d", i(1234), "            00001234"),
        ("%20.8d", i(-1234), "           -00001234"),
        ("%020.8d", i(1234), "            00001234"),
        ("%020.8d", i(-1234), "           -00001234"),
        ("%-20.8d", i(1234), "00001234            "),
        ("%-20.8d", i(-1234), "-00001234           "),
        ("%-#20.8x", i(0x1234abc), "0x01234abc          "),
        ("%-#20.8X", i(0x1234abc), "0X01234ABC          "),
        ("%-#20.8o", i(0o1234), "00001234            "),
        ("%068d", i(1), zero_fill("", 68, "1")),
        ("%068d", i(-1), zero_fill("-", 67, "1")),
        ("%#.68x", i(42), zero_fill("0x", 68, "2a")),
        ("%.68d", i(-42), zero_fill("-", 68, "42")),
        ("%+.68d", i(42), zero_fill("+", 68, "42")),
        ("% .68d", i(42), zero_fill(" ", 68, "42")),
        ("% +.68d", i(42), zero_fill("+", 68, "42")),
        // unicode format
        ("%U", i(0), "U+0000"),
        ("%U", i(-1), "U+FFFFFFFFFFFFFFFF"),
        ("%U", i('\n' as i64), "U+000A"),
        ("%#U", i('\n' as i64), "U+000A"),
        ("%+U", i('x' as i64), "U+0078"),
        ("%# U", i('x' as i64), "U+0078 'x'"),
        ("%#.2U", i('x' as i64), "U+0078 'x'"),
        ("%U", i(0x263a), "U+263A"),
        ("%#U", i(0x263a), "U+263A '☺'"),
        ("%U", i(0x1D6C2), "U+1D6C2"),
        ("%#U", i(0x1D6C2), "U+1D6C2 '𝛂'"),
        ("%#14.6U", i('⌘' as i64), "  U+002318 '⌘'"),
        ("%#-14.6U", i('⌘' as i64), "U+002318 '⌘'  "),
        ("%#014.6U", i('⌘' as i64), "  U+002318 '⌘'"),
        ("%#-014.6U", i('⌘' as i64), "U+002318 '⌘'  "),
        ("%.68U", i(42), zero_fill("U+", 68, "2A")),
    ]
}

#[test]
fn fmt_string_tests() {
    run_table("fmt strings", &strings());
}

#[test]
fn fmt_quoted_tests() {
    run_table("fmt quoted", &quoted());
}

#[test]
fn fmt_character_tests() {
    run_table("fmt characters", &characters());
}

#[test]
fn fmt_integer_tests() {
    run_table("fmt integers", &integers());
}
