//! Exact decimal numbers (the library compares `big.Rat`s) and the localized number text of
//! `golang.org/x/text/message`'s English printer, which santhosh-tekuri's messages go through
//! (`minimum: got 1×10⁰⁶, want 2,000`).

use std::cmp::Ordering;

use serde_json::Value;

/// A finite decimal: `0.d1d2…dn × 10^exp`, digits without leading or trailing zeros (none for 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// Parses a JSON number literal or Rust's `f64`/integer `Display` text.
    pub(crate) fn parse(s: &str) -> Option<Decimal> {
        let (neg, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mant, e10) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
        if !all.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let lead = all.iter().take_while(|&&d| d == b'0').count();
        let digits: Vec<u8> = all[lead..].iter().map(|d| d - b'0').collect();
        let trail = digits.iter().rev().take_while(|&&d| d == 0).count();
        let digits = digits[..digits.len() - trail].to_vec();
        let int_len = i64::try_from(int.len()).ok()?;
        let lead = i64::try_from(lead).ok()?;
        let exp = int_len - lead + e10;
        Some(if digits.is_empty() { Decimal { neg: false, digits, exp: 0 } } else { Decimal { neg, digits, exp } })
    }

    /// The decimal Go's `fmt.Sprintf("%v", v)` gives for a value's number.
    pub(crate) fn of_value(v: &Value) -> Option<Decimal> {
        match v {
            Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Decimal::parse(&i.to_string()),
                (_, Some(u), _) => Decimal::parse(&u.to_string()),
                (_, _, Some(f)) if f.is_finite() => Decimal::parse(&format!("{f:e}")),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    pub(crate) fn is_integer(&self) -> bool {
        i64::try_from(self.digits.len()).is_ok_and(|n| n <= self.exp) || self.is_zero()
    }

    /// The nearest float64 (`big.Rat.Float64`).
    pub(crate) fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let ds: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let sign = if self.neg { "-" } else { "" };
        format!("{sign}0.{ds}e{}", self.exp).parse::<f64>().unwrap_or(f64::NAN)
    }

    fn cmp_abs(&self, other: &Decimal) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        self.exp.cmp(&other.exp).then_with(|| self.digits.cmp(&other.digits))
    }

    /// Whether `self / divisor` is an integer (`big.Rat.Quo(...).IsInt()`).
    pub(crate) fn is_multiple_of(&self, divisor: &Decimal) -> bool {
        if self.is_zero() {
            return true;
        }
        if divisor.is_zero() {
            return false;
        }
        // self = A × 10^(exp−len(A)), divisor = B × 10^(…); A has no trailing zeros, so a
        // negative shift leaves a fraction.
        let len = |d: &Decimal| i64::try_from(d.digits.len()).unwrap_or(i64::MAX);
        let shift = (self.exp - len(self)) - (divisor.exp - len(divisor));
        if shift < 0 {
            return false;
        }
        let mut b: u128 = 0;
        for &d in &divisor.digits {
            match b.checked_mul(10).and_then(|x| x.checked_add(u128::from(d))) {
                Some(x) => b = x,
                None => return (self.to_f64() / divisor.to_f64()).fract() == 0.0,
            }
        }
        // (A × 10^shift) mod B, streamed digit by digit.
        let mut r: u128 = 0;
        let zeros = std::iter::repeat_n(0u8, usize::try_from(shift).unwrap_or(0).min(4096));
        for d in self.digits.iter().copied().chain(zeros) {
            r = (r * 10 + u128::from(d)) % b;
        }
        r == 0
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let neg = |d: &Decimal| d.neg && !d.is_zero();
        match (neg(self), neg(other)) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_abs(other),
            (true, true) => other.cmp_abs(self),
        }
    }
}

/// Groups an ASCII digit run with `,` every three digits (English).
fn group(int: &str) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `p.Sprintf("%d", n)` with the English printer.
pub(crate) fn localized_int(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    if n < 0 { format!("-{}", group(&s)) } else { group(&s) }
}

fn superscript(d: char) -> char {
    match d {
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '-' => '⁻',
        d => d.to_digit(10).and_then(|v| char::from_u32(0x2070 + v)).unwrap_or(d),
    }
}

/// `p.Sprintf("%v", f)` with the English printer: Go's shortest `%g` (scientific below 1e-4
/// and from 1e6), grouped integer digits, `×10ⁿⁿ` exponents.
pub(crate) fn localized_float(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    let sci = format!("{:e}", f.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut e = format!("{:02}", exp.unsigned_abs());
        if exp < 0 {
            e.insert(0, '-');
        }
        let e: String = e.chars().map(superscript).collect();
        return format!("{sign}{mant}×10{e}");
    }
    let dp = exp + 1;
    let (int, frac) = if dp <= 0 {
        let zeros = "0".repeat(usize::try_from(-dp).unwrap_or(0));
        ("0".to_string(), format!("{zeros}{digits}"))
    } else {
        let dp = usize::try_from(dp).unwrap_or(0);
        let padded = format!("{digits:0<dp$}");
        (padded[..dp].to_string(), padded[dp..].to_string())
    };
    if frac.is_empty() { format!("{sign}{}", group(&int)) } else { format!("{sign}{}.{frac}", group(&int)) }
}
