//! Go's fmt_test.go, continued: floats, slices, maps, `%T`, bad verbs, argument indexes and
//! `Sprint`/`Sprintln` spacing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::excessive_precision)] // test code; Go's literals as written

use crate::common;

use common::fmtargs::{Case, by, f, i, l, run_table, s, zero_fill};
use common::report;
use glidepath_gotmpl::Value;
use glidepath_gotmpl::fmt::{sprint, sprintf, sprintln};

/// Floats: `%e %f %g` with flags, `#`, infinities and NaN, shortest `%v`.
fn floats() -> Vec<Case> {
    let nan = f(f64::NAN);
    let pinf = f(f64::INFINITY);
    let ninf = f(f64::NEG_INFINITY);
    vec![
        ("%+.3e", f(0.0), "+0.000e+00"),
        ("%+.3x", f(0.0), "+0x0.000p+00"),
        ("%+.3x", f(1.0), "+0x1.000p+00"),
        ("% .3X", f(-1.0), "-0X1.000P+00"),
        ("% .3x", f(1.0), " 0x1.000p+00"),
        ("%b", f(1.0), "4503599627370496p-52"),
        ("%#b", f(1.0), "4503599627370496p-52"),
        ("%.4b", f(-1.0), "-4503599627370496p-52"),
        ("%#.0x", f(1.0), "0x1.p+00"),
        ("%#.4x", f(1.0), "0x1.0000p+00"),
        ("%#.0x", f(123.0), "0x1.p+07"),
        ("%#.4x", f(123.0), "0x1.ec00p+06"),
        ("% 20x", ninf.clone(), "                -Inf"),
        ("%+20X", ninf.clone(), "                -Inf"),
        ("%20x", nan.clone(), "                 NaN"),
        ("% +20X", nan.clone(), "                +NaN"),
        ("%+020x", pinf.clone(), "                +Inf"),
        ("%-020X", nan.clone(), "NaN                 "),
        ("%x", f(1.0), "0x1p+00"),
        ("%X", f(-0.5), "-0X1P-01"),
        ("%+.3e", f(1.0), "+1.000e+00"),
        ("%+.3f", f(-1.0), "-1.000"),
        ("%+.3F", f(-1.0), "-1.000"),
        ("%+07.2f", f(1.0), "+001.00"),
        ("%+07.2f", f(-1.0), "-001.00"),
        ("%-07.2f", f(1.0), "1.00   "),
        ("%-07.2f", f(-1.0), "-1.00  "),
        ("%+-07.2f", f(1.0), "+1.00  "),
        ("%+-07.2f", f(-1.0), "-1.00  "),
        ("%-+07.2f", f(1.0), "+1.00  "),
        ("%+10.2f", f(1.0), "     +1.00"),
        ("%+10.2f", f(-1.0), "     -1.00"),
        ("% .3E", f(-1.0), "-1.000E+00"),
        ("% .3e", f(1.0), " 1.000e+00"),
        ("%+.3g", f(0.0), "+0"),
        ("%+.3g", f(1.0), "+1"),
        ("%+.3g", f(-1.0), "-1"),
        ("% .3g", f(-1.0), "-1"),
        ("% .3g", f(1.0), " 1"),
    ]
}

/// The sharp flag with floats (`%#g`, `%#.4x`...), infinities and NaN.
fn floats_sharp() -> Vec<Case> {
    let nan = f(f64::NAN);
    let pinf = f(f64::INFINITY);
    let ninf = f(f64::NEG_INFINITY);
    vec![
        ("%#g", f(1e-323), "1.00000e-323"),
        ("%#g", f(-1.0), "-1.00000"),
        ("%#g", f(1.1), "1.10000"),
        ("%#g", f(123456.0), "123456."),
        ("%#g", f(1234567.0), "1.234567e+06"),
        ("%#g", f(1230000.0), "1.23000e+06"),
        ("%#g", f(1000000.0), "1.00000e+06"),
        ("%#.0f", f(1.0), "1."),
        ("%#.0e", f(1.0), "1.e+00"),
        ("%#.0g", f(1.0), "1."),
        ("%#.0g", f(1100000.0), "1.e+06"),
        ("%#.4f", f(1.0), "1.0000"),
        ("%#.4e", f(1.0), "1.0000e+00"),
        ("%#.4g", f(1.0), "1.000"),
        ("%#.4g", f(100000.0), "1.000e+05"),
        ("%#.4g", f(1.234), "1.234"),
        ("%#.4g", f(0.1234), "0.1234"),
        ("%#.4g", f(1.23), "1.230"),
        ("%#.4g", f(0.123), "0.1230"),
        ("%#.4g", f(1.2), "1.200"),
        ("%#.4g", f(0.12), "0.1200"),
        ("%#.4g", f(10.2), "10.20"),
        ("%#.4g", f(0.0), "0.000"),
        ("%#.4g", f(0.012), "0.01200"),
        ("%#.0f", f(123.0), "123."),
        ("%#.0e", f(123.0), "1.e+02"),
        ("%#.0g", f(123.0), "1.e+02"),
        ("%#.4f", f(123.0), "123.0000"),
        ("%#.4e", f(123.0), "1.2300e+02"),
        ("%#.4g", f(123.0), "123.0"),
        ("%#.4g", f(123000.0), "1.230e+05"),
        ("%#9.4g", f(1.0), "    1.000"),
        ("%.68f", f(1.0), zero_fill("1.", 68, "")),
        ("%.68f", f(-1.0), zero_fill("-1.", 68, "")),
        ("%f", pinf.clone(), "+Inf"),
        ("%.1f", ninf.clone(), "-Inf"),
        ("% f", nan.clone(), " NaN"),
        ("%20f", pinf.clone(), "                +Inf"),
        ("% 20F", pinf.clone(), "                 Inf"),
        ("% 20e", ninf.clone(), "                -Inf"),
        ("%+20E", ninf.clone(), "                -Inf"),
        ("% +20g", ninf.clone(), "                -Inf"),
        ("%+-20G", pinf.clone(), "+Inf                "),
        ("%20e", nan.clone(), "                 NaN"),
        ("% +20E", nan.clone(), "                +NaN"),
        ("% -20g", nan.clone(), " NaN                "),
        ("%+-20G", nan.clone(), "+NaN                "),
        ("%+020e", pinf.clone(), "                +Inf"),
        ("%-020f", ninf.clone(), "-Inf                "),
        ("%-020E", nan.clone(), "NaN                 "),
        ("%v", nan, "NaN"),
        ("%v", pinf, "+Inf"),
        ("%v", ninf, "-Inf"),
    ]
}

/// Plain `%e %f %g %E %G` with widths (the old test/fmt_test.go).
fn floats_plain() -> Vec<Case> {
    vec![
        // old test/fmt_test.go
        ("%e", f(1.0), "1.000000e+00"),
        ("%e", f(1234.5678e3), "1.234568e+06"),
        ("%e", f(1234.5678e-8), "1.234568e-05"),
        ("%e", f(-7.0), "-7.000000e+00"),
        ("%e", f(-1e-9), "-1.000000e-09"),
        ("%f", f(1234.5678e3), "1234567.800000"),
        ("%f", f(1234.5678e-8), "0.000012"),
        ("%f", f(-7.0), "-7.000000"),
        ("%f", f(-1e-9), "-0.000000"),
        ("%g", f(1234.5678e3), "1.2345678e+06"),
        ("%g", f(1234.5678e-8), "1.2345678e-05"),
        ("%g", f(-7.0), "-7"),
        ("%g", f(-1e-9), "-1e-09"),
        ("%E", f(1.0), "1.000000E+00"),
        ("%E", f(1234.5678e3), "1.234568E+06"),
        ("%E", f(1234.5678e-8), "1.234568E-05"),
        ("%E", f(-7.0), "-7.000000E+00"),
        ("%E", f(-1e-9), "-1.000000E-09"),
        ("%G", f(1234.5678e3), "1.2345678E+06"),
        ("%G", f(1234.5678e-8), "1.2345678E-05"),
        ("%G", f(-7.0), "-7"),
        ("%G", f(-1e-9), "-1E-09"),
        ("%20.5s", s("qwertyuiop"), "               qwert"),
        ("%.5s", s("qwertyuiop"), "qwert"),
        ("%-20.5s", s("qwertyuiop"), "qwert               "),
        ("%20c", i('x' as i64), "                   x"),
        ("%-20c", i('x' as i64), "x                   "),
        ("%20.6e", f(1.2345e3), "        1.234500e+03"),
        ("%20.6e", f(1.2345e-3), "        1.234500e-03"),
        ("%20e", f(1.2345e3), "        1.234500e+03"),
        ("%20e", f(1.2345e-3), "        1.234500e-03"),
        ("%20.8e", f(1.2345e3), "      1.23450000e+03"),
        ("%20f", f(1.23456789e3), "         1234.567890"),
        ("%20f", f(1.23456789e-3), "            0.001235"),
        ("%20f", f(12345678901.23456789), "  12345678901.234568"),
        ("%-20f", f(1.23456789e3), "1234.567890         "),
        ("%20.8f", f(1.23456789e3), "       1234.56789000"),
        ("%20.8f", f(1.23456789e-3), "          0.00123457"),
        ("%g", f(1.23456789e3), "1234.56789"),
        ("%g", f(1.23456789e-3), "0.00123456789"),
        ("%g", f(1.23456789e20), "1.23456789e+20"),
    ]
}

/// Slices and bytes element by element, `%#v`.
fn slices() -> Vec<Case> {
    let islice = l(vec![i(1), s("hello"), f(2.5), Value::Nil]);
    vec![
        ("%v", l(vec![i(1), i(2), i(3), i(4), i(5)]), "[1 2 3 4 5]"),
        ("%v", islice.clone(), "[1 hello 2.5 <nil>]"),
        ("%v", by(&[1, 2, 3, 4, 5]), "[1 2 3 4 5]"),
        ("%d", by(&[65, 66, 67]), "[65 66 67]"),
        ("%v", by(&[65, 66, 67]), "[65 66 67]"),
        ("%012v", by(&[]), "[]"),
        ("%#012v", by(&[]), "[]byte{}"),
        ("%6v", by(&[1, 11, 111]), "[     1     11    111]"),
        ("%06v", by(&[1, 11, 111]), "[000001 000011 000111]"),
        ("%-6v", by(&[1, 11, 111]), "[1      11     111   ]"),
        ("%-06v", by(&[1, 11, 111]), "[1      11     111   ]"),
        ("%#v", by(&[1, 11, 111]), "[]byte{0x1, 0xb, 0x6f}"),
        ("% v", by(&[1, 11, 111]), "[ 1  11  111]"),
        ("% d", by(&[1, 11, 111]), "[ 1  11  111]"),
        ("%# -6d", by(&[1, 11, 111]), "[ 1      11     111  ]"),
        ("%v", f(1.2345678), "1.2345678"),
        ("%#v", i(1000000000), "1000000000"),
        ("%#v", s("foo"), r#""foo""#),
        ("%#v", f(1.2345678), "1.2345678"),
        ("%#v", f(1.0), "1"),
        ("%#v", f(1000000.0), "1e+06"),
        ("%#v", islice.clone(), r#"[]interface {}{1, "hello", 2.5, interface {}(nil)}"#),
        ("%#v", l(vec![]), "[]interface {}{}"),
        ("%#x", l(vec![i(1), i(2), i(15)]), "[0x1 0x2 0xf]"),
        ("%x", l(vec![i(1), i(2), i(15)]), "[1 2 f]"),
        ("%d", l(vec![i(1), i(2), i(15)]), "[1 2 15]"),
        ("%q", l(vec![s("a"), s("b")]), r#"["a" "b"]"#),
        ("%d", l(vec![s("a"), i(2)]), "[%!d(string=a) 2]"),
        ("% 02x", by(&[1]), "01"),
        ("% 02x", by(&[1, 2, 3]), "01 02 03"),
        ("%2x", by(&[]), "  "),
        ("%#2x", by(&[]), "  "),
        ("% 02x", by(&[]), "00"),
        ("%# 02x", by(&[]), "00"),
        ("%-2x", by(&[]), "  "),
        ("%-02x", by(&[]), "  "),
        ("%8x", by(&[0xab]), "      ab"),
        ("% 8x", by(&[0xab]), "      ab"),
        ("%#8x", by(&[0xab]), "    0xab"),
        ("%# 8x", by(&[0xab]), "    0xab"),
        ("%08x", by(&[0xab]), "000000ab"),
        ("% 08x", by(&[0xab]), "000000ab"),
        ("%#08x", by(&[0xab]), "00000xab"),
        ("%# 08x", by(&[0xab]), "00000xab"),
        ("%10x", by(&[0xab, 0xcd]), "      abcd"),
        ("% 10x", by(&[0xab, 0xcd]), "     ab cd"),
        ("%#10x", by(&[0xab, 0xcd]), "    0xabcd"),
        ("%# 10x", by(&[0xab, 0xcd]), " 0xab 0xcd"),
        ("%010x", by(&[0xab, 0xcd]), "000000abcd"),
        ("% 010x", by(&[0xab, 0xcd]), "00000ab cd"),
        ("%#010x", by(&[0xab, 0xcd]), "00000xabcd"),
        ("%# 010x", by(&[0xab, 0xcd]), "00xab 0xcd"),
        ("%-10X", by(&[0xab]), "AB        "),
        ("% -010X", by(&[0xab]), "AB        "),
        ("%#-10X", by(&[0xab, 0xcd]), "0XABCD    "),
        ("%# -010X", by(&[0xab, 0xcd]), "0XAB 0XCD "),
        ("%2x", s(""), "  "),
        ("% 02x", s(""), "00"),
        ("%10x", s("ab"), "      6162"),
    ]
}

/// Maps, `%T`, nil, bad verbs, missing and extra arguments, padding rules.
fn maps_and_errors() -> Vec<Case> {
    let islice = l(vec![i(1), s("hello"), f(2.5), Value::Nil]);
    vec![
        ("%v", common::data(r#"{"b": 2, "a": 1}"#), "map[a:1 b:2]"),
        ("%#v", common::data(r#"{"a": 1}"#), r#"map[string]interface {}{"a":1}"#),
        ("%d", common::data(r#"{"a": 1}"#), "map[%!d(string=a):1]"),
        // %T
        ("%T", i(0), "int"),
        ("%T", f(0.0), "float64"),
        ("%T", s(""), "string"),
        ("%T", islice.clone(), "[]interface {}"),
        ("%T", by(&[]), "[]uint8"),
        ("%10T", Value::Nil, "     <nil>"),
        ("%-10T", Value::Nil, "<nil>     "),
        // nil
        ("%v", Value::Nil, "<nil>"),
        ("%#v", Value::Nil, "<nil>"),
        ("%d", Value::Nil, "%!d(<nil>)"),
        ("%s", Value::Nil, "%!s(<nil>)"),
        // bad verbs
        ("%d", s("hi"), "%!d(string=hi)"),
        ("%s", i(5), "%!s(int=5)"),
        ("%t", i(5), "%!t(int=5)"),
        ("%d", Value::Bool(true), "%!d(bool=true)"),
        ("%z", f(1.5), "%!z(float64=1.5)"),
        ("%.", i(3), "%!.(int=3)"),
        // erroneous things
        ("", Value::Nil, "%!(EXTRA <nil>)"),
        ("", i(2), "%!(EXTRA int=2)"),
        ("no args", s("hello"), "no args%!(EXTRA string=hello)"),
        ("%s %", s("hello"), "hello %!(NOVERB)"),
        ("%s %.2", s("hello"), "hello %!(NOVERB)"),
        ("%017091901790959340919092959340919017929593813360", i(0), "%!(NOVERB)%!(EXTRA int=0)"),
        ("%184467440737095516170v", i(0), "%!(NOVERB)%!(EXTRA int=0)"),
        ("%010.2", s("12345"), "%!(NOVERB)%!(EXTRA string=12345)"),
        // padding rules compared with C printf
        ("%.2f", f(1.0), "1.00"),
        ("%.2f", f(-1.0), "-1.00"),
        ("% .2f", f(1.0), " 1.00"),
        ("% .2f", f(-1.0), "-1.00"),
        ("%+.2f", f(1.0), "+1.00"),
        ("%+.2f", f(-1.0), "-1.00"),
        ("%7.2f", f(1.0), "   1.00"),
        ("%7.2f", f(-1.0), "  -1.00"),
        ("% 7.2f", f(1.0), "   1.00"),
        ("% 7.2f", f(-1.0), "  -1.00"),
        ("%+7.2f", f(1.0), "  +1.00"),
        ("%+7.2f", f(-1.0), "  -1.00"),
        ("% +7.2f", f(1.0), "  +1.00"),
        ("% +7.2f", f(-1.0), "  -1.00"),
        ("%07.2f", f(1.0), "0001.00"),
        ("%07.2f", f(-1.0), "-001.00"),
        ("% 07.2f", f(1.0), " 001.00"),
        ("% 07.2f", f(-1.0), "-001.00"),
        ("%+07.2f", f(1.0), "+001.00"),
        ("%+07.2f", f(-1.0), "-001.00"),
        ("% +07.2f", f(1.0), "+001.00"),
        ("% +07.2f", f(-1.0), "-001.00"),
        ("%0-5s", s("abc"), "abc  "),
        ("%-05.1f", f(1.0), "1.0  "),
        ("%06v", l(vec![f(10.0), i(10)]), "[000010 000010]"),
        ("%06v", l(vec![f(-10.0), i(10)]), "[-00010 000010]"),
        ("%03.6v", l(vec![i(1), f(2.0), s("x")]), "[000001 002 00x]"),
        ("%03.0v", l(vec![i(0), f(2.0), s("x")]), "[    002 000]"),
        // shortest floats as templates print them
        ("%v", f(1e6), "1e+06"),
        ("%v", f(123456789.0), "1.23456789e+08"),
        ("%v", f(100000.0), "100000"),
        ("%v", f(0.000001), "1e-06"),
        ("%v", f(0.0001), "0.0001"),
        ("%v", f(-0.0), "-0"),
        ("%v", f(1e21), "1e+21"),
        ("%v", f(5e-324), "5e-324"),
        ("%v", f(f64::MAX), "1.7976931348623157e+308"),
    ]
}

/// Argument indexes, `*` widths and several arguments (fmt_test.go `reorderTests` and friends).
fn multi() -> Vec<(&'static str, Vec<Value>, &'static str)> {
    vec![
        ("%[1]d", vec![i(1)], "1"),
        ("%[2]d", vec![i(2), i(1)], "1"),
        ("%[2]d %[1]d", vec![i(1), i(2)], "2 1"),
        ("%[2]*[1]d", vec![i(2), i(5)], "    2"),
        ("%6.2f", vec![f(12.0)], " 12.00"),
        ("%[3]*.[2]*[1]f", vec![f(12.0), i(2), i(6)], " 12.00"),
        ("%[1]*.[2]*[3]f", vec![i(6), i(2), f(12.0)], " 12.00"),
        ("%10f", vec![f(12.0)], " 12.000000"),
        ("%[1]*[3]f", vec![i(10), i(99), f(12.0)], " 12.000000"),
        ("%.6f", vec![f(12.0)], "12.000000"),
        ("%.[1]*[3]f", vec![i(6), i(99), f(12.0)], "12.000000"),
        ("%6.f", vec![f(12.0)], "    12"),
        ("%[1]*.[3]f", vec![i(6), i(3), f(12.0)], "    12"),
        ("%d %d %d %#[1]o %#o %#o", vec![i(11), i(12), i(13)], "11 12 13 013 014 015"),
        ("%[d", vec![i(2), i(1)], "%!d(BADINDEX)"),
        ("%]d", vec![i(2), i(1)], "%!](int=2)d%!(EXTRA int=1)"),
        ("%[]d", vec![i(2), i(1)], "%!d(BADINDEX)"),
        ("%[-3]d", vec![i(2), i(1)], "%!d(BADINDEX)"),
        ("%[99]d", vec![i(2), i(1)], "%!d(BADINDEX)"),
        ("%[3]", vec![i(2), i(1)], "%!(NOVERB)"),
        ("%[1].2d", vec![i(5), i(6)], "%!d(BADINDEX)"),
        ("%[1]2d", vec![i(2), i(1)], "%!d(BADINDEX)"),
        ("%3.[2]d", vec![i(7)], "%!d(BADINDEX)"),
        ("%.[2]d", vec![i(7)], "%!d(BADINDEX)"),
        ("%d %d %d %#[1]o %#o %#o %#o", vec![i(11), i(12), i(13)], "11 12 13 013 014 015 %!o(MISSING)"),
        ("%.[]", vec![], "%!](BADINDEX)"),
        ("%.-3d", vec![i(42)], "%!-(int=42)3d"),
        ("%2147483648d", vec![i(42)], "%!(NOVERB)%!(EXTRA int=42)"),
        ("%-2147483648d", vec![i(42)], "%!(NOVERB)%!(EXTRA int=42)"),
        ("%.2147483648d", vec![i(42)], "%!(NOVERB)%!(EXTRA int=42)"),
        ("%*d", vec![i(4), i(42)], "  42"),
        ("%-*d", vec![i(4), i(42)], "42  "),
        ("%*d", vec![i(-4), i(42)], "42  "),
        ("%-*d", vec![i(-4), i(42)], "42  "),
        ("%.*d", vec![i(4), i(42)], "0042"),
        ("%*.*d", vec![i(8), i(4), i(42)], "    0042"),
        ("%0*d", vec![i(4), i(42)], "0042"),
        ("%-0*d", vec![i(4), i(42)], "42  "),
        ("%*d", vec![s("x"), i(42)], "%!(BADWIDTH)42"),
        ("%*d", vec![i(10_000_000), i(42)], "%!(BADWIDTH)42"),
        ("%.*d", vec![s("x"), i(42)], "%!(BADPREC)42"),
        ("%.*d", vec![i(-1), i(42)], "42"),
        ("%.*d", vec![i(10_000_000), i(42)], "%!(BADPREC)42"),
        ("%d", vec![], "%!d(MISSING)"),
        ("%v %v", vec![i(1)], "1 %!v(MISSING)"),
        ("%d%%", vec![i(5)], "5%"),
        ("%5%", vec![], "%"),
        ("%s", vec![Value::Invalid], "%!s(<nil>)"),
    ]
}

fn sprint_cases() -> Vec<(Vec<Value>, &'static str, &'static str)> {
    vec![
        (vec![], "", "\n"),
        (vec![s("a"), s("b")], "ab", "a b\n"),
        (vec![i(1), i(2)], "1 2", "1 2\n"),
        (vec![s("a"), i(1), s("b")], "a1b", "a 1 b\n"),
        (vec![i(1), s("a"), i(2)], "1a2", "1 a 2\n"),
        (vec![Value::Nil, Value::Nil], "<nil> <nil>", "<nil> <nil>\n"),
        (vec![f(1.5), Value::Bool(true)], "1.5 true", "1.5 true\n"),
        (vec![l(vec![s("x")]), s("y")], "[x]y", "[x] y\n"),
    ]
}

#[test]
fn fmt_float_tests() {
    run_table("fmt floats", &floats());
}

#[test]
fn fmt_sharp_float_tests() {
    run_table("fmt sharp floats", &floats_sharp());
}

#[test]
fn fmt_plain_float_tests() {
    run_table("fmt plain floats", &floats_plain());
}

#[test]
fn fmt_slice_tests() {
    run_table("fmt slices", &slices());
}

#[test]
fn fmt_map_and_error_tests() {
    run_table("fmt maps and errors", &maps_and_errors());
}

#[test]
fn fmt_multi_arg_tests() {
    let mut failures = Vec::new();
    let cases = multi();
    for (format, args, want) in &cases {
        let got = sprintf(format, args);
        if got != *want {
            failures.push(format!("sprintf({format:?}, {args:?}) = {got:?}, want {want:?}"));
        }
    }
    report("fmt multi", &failures, cases.len());
}

#[test]
fn sprint_tests() {
    let mut failures = Vec::new();
    let cases = sprint_cases();
    for (args, want, want_ln) in &cases {
        let (got, got_ln) = (sprint(args), sprintln(args));
        if got != *want || got_ln != *want_ln {
            failures.push(format!("sprint({args:?}) = {got:?} / {got_ln:?}, want {want:?} / {want_ln:?}"));
        }
    }
    report("sprint", &failures, cases.len());
}
