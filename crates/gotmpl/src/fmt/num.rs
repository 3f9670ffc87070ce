//! Integers and floats as Go's `fmt` formats them (`fmtInteger`, `fmtFloat`, `strconv`'s
//! `%e`/`%f`/`%g` layouts over correctly rounded digits).

use super::Printer;
use super::quote::{is_print, quote_rune, quote_rune_ascii};
use crate::value::Value;

impl Printer {
    pub(crate) fn fmt_int(&mut self, i: i64, verb: char, v: &Value) {
        let u = i.unsigned_abs();
        let neg = i < 0;
        match verb {
            'v' | 'd' => self.fmt_integer(u, neg, 10, verb, false),
            'b' => self.fmt_integer(u, neg, 2, verb, false),
            'o' | 'O' => self.fmt_integer(u, neg, 8, verb, false),
            'x' => self.fmt_integer(u, neg, 16, verb, false),
            'X' => self.fmt_integer(u, neg, 16, verb, true),
            'c' => {
                let c = rune(i);
                self.pad(&c.to_string());
            }
            'q' if !(0..=0x10FFFF).contains(&i) => self.bad_verb(v, verb),
            'q' => {
                let c = rune(i);
                let q = if self.f.plus { quote_rune_ascii(c) } else { quote_rune(c) };
                self.pad(&q);
            }
            'U' => self.fmt_unicode(i),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_integer(&mut self, u: u64, neg: bool, base: u32, verb: char, upper: bool) {
        let mut prec = 0usize;
        if let Some(p) = self.f.prec {
            prec = p;
            if p == 0 && u == 0 {
                let zero = std::mem::replace(&mut self.f.zero, false);
                if let Some(w) = self.f.wid {
                    self.padding(w);
                }
                self.f.zero = zero;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid.is_some() {
            prec = self.f.wid.unwrap_or(0);
            if neg || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let mut digits = match base {
            2 => format!("{u:b}"),
            8 => format!("{u:o}"),
            16 if upper => format!("{u:X}"),
            16 => format!("{u:x}"),
            _ => u.to_string(),
        };
        if digits.len() < prec {
            digits = "0".repeat(prec - digits.len()) + &digits;
        }
        let mut prefix = String::new();
        if self.f.sharp {
            match base {
                2 => prefix.push_str("0b"),
                8 if !digits.starts_with('0') => prefix.push('0'),
                16 => prefix.push_str(if upper { "0X" } else { "0x" }),
                _ => {}
            }
        }
        if verb == 'O' {
            prefix.insert_str(0, "0o");
        }
        let sign = if neg {
            "-"
        } else if self.f.plus {
            "+"
        } else if self.f.space {
            " "
        } else {
            ""
        };
        let s = format!("{sign}{prefix}{digits}");
        self.pad_spaces(&s);
    }

    fn fmt_unicode(&mut self, i: i64) {
        let prec = self.f.prec.filter(|&p| p > 4).unwrap_or(4);
        let mut s = format!("U+{:0prec$X}", i as u64);
        if self.f.sharp
            && let Some(c) = u32::try_from(i).ok().and_then(char::from_u32)
            && is_print(c)
        {
            s.push_str(&format!(" '{c}'"));
        }
        self.pad_spaces(&s);
    }

    pub(crate) fn fmt_float(&mut self, x: f64, verb: char, v: &Value) {
        let (verb, prec) = match verb {
            'v' => ('g', None),
            'g' | 'G' => (verb, None),
            'e' | 'E' | 'f' => (verb, Some(6)),
            'F' => ('f', Some(6)),
            'b' | 'x' | 'X' => (verb, None),
            _ => return self.bad_verb(v, verb),
        };
        let prec = if verb == 'b' { None } else { self.f.prec.or(prec) };
        let mut num = match verb {
            'b' if x.is_finite() => super::hexfloat::format_b(x),
            'x' | 'X' if x.is_finite() => super::hexfloat::format_x(x, prec, verb == 'X'),
            _ => format_float(x, verb, prec),
        };
        if !num.starts_with(['-', '+']) {
            num.insert(0, '+');
        }
        if self.f.space && num.starts_with('+') && !self.f.plus {
            num.replace_range(0..1, " ");
        }
        if num[1..].starts_with(['I', 'N']) {
            if num[1..].starts_with('N') && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad_spaces(&num);
            return;
        }
        if self.f.sharp && verb != 'b' {
            num = sharp_float(&num, verb, prec);
        }
        if self.f.plus || !num.starts_with('+') {
            let wid = self.f.wid.unwrap_or(0);
            if self.f.zero && !self.f.minus && wid > num.len() {
                self.buf.push_str(&num[..1]);
                self.padding(wid - num.len());
                self.buf.push_str(&num[1..]);
                return;
            }
            self.pad(&num);
            return;
        }
        self.pad(&num[1..]);
    }
}

/// `%#g` etc. (Go's sharp-flag pass): always a decimal point; `%#g` and `%#x` keep zeros up
/// to the precision (6 when none was given).
fn sharp_float(num: &str, verb: char, prec: Option<usize>) -> String {
    let mut digits: i64 = match verb {
        'g' | 'G' | 'x' => prec.map_or(6, |p| p as i64),
        _ => 0,
    };
    let hex = matches!(verb, 'x' | 'X');
    let tail_at = num[1..].find(|c| matches!(c, 'p' | 'P') || (!hex && matches!(c, 'e' | 'E'))).map(|i| i + 1);
    let (body, tail) = num.split_at(tail_at.unwrap_or(num.len()));
    let mut body = body.to_string();
    let mut saw_nonzero = false;
    for c in body[1..].chars().filter(|&c| c != '.') {
        if c != '0' {
            saw_nonzero = true;
        }
        if saw_nonzero {
            digits -= 1;
        }
    }
    if !body.contains('.') {
        if body.len() == 2 && body.ends_with('0') {
            digits -= 1;
        }
        body.push('.');
    }
    while digits > 0 {
        body.push('0');
        digits -= 1;
    }
    body + tail
}

fn rune(i: i64) -> char {
    u32::try_from(i).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}')
}

/// Decimal digits (no trailing zeros) and decimal point position: `x = 0.d1d2... * 10^dp`.
/// `sig` rounds to that many significant digits; `None` gives the shortest exact form.
fn digits(x: f64, sig: Option<usize>) -> (Vec<u8>, i32) {
    if x == 0.0 {
        return (Vec::new(), 0);
    }
    let s = match sig {
        None => format!("{:e}", x.abs()),
        Some(n) => format!("{:.*e}", n.saturating_sub(1), x.abs()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        return (Vec::new(), 0);
    }
    (d, exp + 1)
}

/// `strconv.FormatFloat(x, verb, prec, 64)` for `e`, `E`, `f`, `g`, `G` (`prec` None: shortest).
pub(crate) fn format_float(x: f64, verb: char, prec: Option<usize>) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let neg = x.is_sign_negative();
    match verb {
        'e' | 'E' => {
            let (d, dp) = digits(x, prec.map(|p| p + 1));
            let p = prec.unwrap_or(d.len().saturating_sub(1));
            fmt_e(neg, &d, dp, p, verb)
        }
        'f' => match prec {
            Some(p) => {
                let s = format!("{:.*}", p, x.abs());
                if neg { format!("-{s}") } else { s }
            }
            None => {
                let (d, dp) = digits(x, None);
                fmt_f(neg, &d, dp, (d.len() as i32 - dp).max(0) as usize)
            }
        },
        _ => {
            let e = if verb == 'G' { 'E' } else { 'e' };
            let shortest = prec.is_none();
            let mut p = prec.map_or(0, |p| p.max(1));
            let (d, dp) = digits(x, prec.map(|p| p.max(1)));
            if shortest {
                p = d.len().max(1);
            }
            let mut eprec = p as i32;
            if eprec > d.len() as i32 && d.len() as i32 >= dp {
                eprec = d.len() as i32;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            if exp < -4 || exp >= eprec {
                let p = p.min(d.len().max(1));
                return fmt_e(neg, &d, dp, p - 1, e);
            }
            let p = if p as i32 > dp { d.len() as i32 } else { p as i32 };
            fmt_f(neg, &d, dp, (p - dp).max(0) as usize)
        }
    }
}

fn fmt_e(neg: bool, d: &[u8], dp: i32, prec: usize, e: char) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push(d.first().map_or('0', |&c| char::from(c)));
    if prec > 0 {
        s.push('.');
        for i in 1..=prec {
            s.push(d.get(i).map_or('0', |&c| char::from(c)));
        }
    }
    s.push(e);
    let exp = if d.is_empty() { 0 } else { dp - 1 };
    s.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        s.push('0');
    }
    s.push_str(&a.to_string());
    s
}

fn fmt_f(neg: bool, d: &[u8], dp: i32, prec: usize) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if dp > 0 {
        for i in 0..dp as usize {
            s.push(d.get(i).map_or('0', |&c| char::from(c)));
        }
    } else {
        s.push('0');
    }
    if prec > 0 {
        s.push('.');
        for i in 1..=prec as i32 {
            let j = dp + i - 1;
            s.push(if j >= 0 { d.get(j as usize).map_or('0', |&c| char::from(c)) } else { '0' });
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::format_float;

    #[test]
    fn shortest_g() {
        for (x, want) in [
            (1e6, "1e+06"),
            (3.0, "3"),
            (0.1, "0.1"),
            (1.5e-7, "1.5e-07"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (1e21, "1e+21"),
            (100.0, "100"),
        ] {
            assert_eq!(format_float(x, 'g', None), want, "{x}");
        }
    }

    /// Shortest `%g`/`%e` read back as the same float, over many bit patterns.
    #[test]
    fn shortest_round_trips() {
        let mut seed: u64 = 7;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let x = f64::from_bits(seed);
            if !x.is_finite() {
                continue;
            }
            for verb in ['g', 'e'] {
                let s = format_float(x, verb, None);
                assert_eq!(s.parse::<f64>().ok(), Some(x), "{verb} {x:?} -> {s}");
            }
            let s = format_float(x, 'e', Some(16));
            assert_eq!(s.parse::<f64>().ok(), Some(x), "%.16e {x:?} -> {s}");
        }
    }

    #[test]
    fn fixed() {
        assert_eq!(format_float(4.56789, 'e', Some(2)), "4.57e+00");
        assert_eq!(format_float(0.0, 'e', Some(6)), "0.000000e+00");
        assert_eq!(format_float(1234.5678, 'f', Some(2)), "1234.57");
        assert_eq!(format_float(1234.5678, 'g', Some(3)), "1.23e+03");
        assert_eq!(format_float(1.0, 'g', Some(3)), "1");
        assert_eq!(format_float(1e100, 'e', Some(1)), "1.0e+100");
    }
}
