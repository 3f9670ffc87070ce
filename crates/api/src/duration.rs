//! Go `time.Duration` strings ("10s", "1m30s", "1.5h", "300ms"), the unit both Flagger and Flux
//! use in their specs. Parsing follows Go's `time.ParseDuration`, except that negative values
//! are rejected: no field of ours means anything by a negative duration.

use std::time::Duration;

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration")]
    Empty,
    #[error("invalid duration {0:?}: expected a number followed by a unit (ns, us, ms, s, m, h)")]
    Syntax(String),
    #[error("invalid duration {0:?}: negative durations are not allowed")]
    Negative(String),
    #[error("invalid duration {0:?}: out of range")]
    Overflow(String),
}

const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parse a Go duration string.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let syntax = || DurationError::Syntax(text.to_owned());
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(DurationError::Empty);
    }
    if let Some(r) = rest.strip_prefix('-') {
        if r != "0" {
            return Err(DurationError::Negative(text.to_owned()));
        }
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total_ns: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after_int) = rest.split_at(int_len);
        let (frac_part, after_num) = match after_int.strip_prefix('.') {
            Some(f) => {
                let n = f.bytes().take_while(u8::is_ascii_digit).count();
                f.split_at(n)
            }
            None => ("", after_int),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(syntax());
        }
        let (unit, scale) = UNITS
            .iter()
            // Longest match first: "ms" must win over "m".
            .filter(|(u, _)| after_num.starts_with(u))
            .max_by_key(|(u, _)| u.len())
            .ok_or_else(syntax)?;
        rest = &after_num[unit.len()..];
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| DurationError::Overflow(text.to_owned()))?
        };
        let mut ns = whole.checked_mul(*scale).ok_or_else(|| DurationError::Overflow(text.to_owned()))?;
        // Fractional part: scale digit by digit, truncating like Go does.
        let mut place = *scale;
        for digit in frac_part.bytes() {
            place /= 10;
            if place == 0 {
                break;
            }
            ns += u128::from(digit - b'0') * place;
        }
        total_ns = total_ns.checked_add(ns).ok_or_else(|| DurationError::Overflow(text.to_owned()))?;
    }
    // Go durations are int64 nanoseconds.
    if total_ns > i64::MAX as u128 {
        return Err(DurationError::Overflow(text.to_owned()));
    }
    let secs = u64::try_from(total_ns / 1_000_000_000).map_err(|_| DurationError::Overflow(text.to_owned()))?;
    let nanos = u32::try_from(total_ns % 1_000_000_000).map_err(|_| DurationError::Overflow(text.to_owned()))?;
    Ok(Duration::new(secs, nanos))
}

/// Format a duration the way Go's `Duration.String()` does ("1m30s", "10s", "1h0m0s", "250ms").
pub fn format(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".to_owned();
    }
    if ns < 1_000_000_000 {
        // Sub-second values use the largest unit that keeps an integer part.
        let (unit, scale) = if ns < 1_000 {
            ("ns", 1)
        } else if ns < 1_000_000 {
            ("\u{b5}s", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{}{unit}", trim_fraction(ns, scale));
    }
    let total_secs = d.as_secs();
    let h = total_secs / 3600;
    let m = (total_secs % 3600) / 60;
    let s = trim_fraction(u128::from(total_secs % 60) * 1_000_000_000 + u128::from(d.subsec_nanos()), 1_000_000_000);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

fn trim_fraction(value: u128, scale: u128) -> String {
    let whole = value / scale;
    let frac = value % scale;
    if frac == 0 {
        return whole.to_string();
    }
    let width = scale.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_forms() {
        let cases = [
            ("10s", Duration::from_secs(10)),
            ("1m", Duration::from_secs(60)),
            ("1m30s", Duration::from_secs(90)),
            ("1.5h", Duration::from_secs(5400)),
            ("300ms", Duration::from_millis(300)),
            ("2h45m", Duration::from_secs(9900)),
            ("1.5s", Duration::from_millis(1500)),
            (".5s", Duration::from_millis(500)),
            ("0", Duration::ZERO),
            ("+5s", Duration::from_secs(5)),
            ("10us", Duration::from_micros(10)),
            ("10\u{b5}s", Duration::from_micros(10)),
            ("7ns", Duration::from_nanos(7)),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_bad_forms() {
        for text in ["", "5", "5x", "m", "1m30", "-5s", "1.s.", "s", "10 s", "9999999999999h"] {
            assert!(parse(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn formats_like_go() {
        let cases = [
            (Duration::from_secs(10), "10s"),
            (Duration::from_secs(60), "1m0s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(250), "250ms"),
            (Duration::ZERO, "0s"),
        ];
        for (d, want) in cases {
            assert_eq!(format(d), want);
            assert_eq!(parse(want), Ok(d), "round trip {want}");
        }
    }
}
