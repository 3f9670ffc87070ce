//! go-yaml v3's timestamp resolution: a plain scalar is a timestamp when Go's `time.Parse`
//! accepts it with one of `2006-1-2T15:4:5.999999999Z07:00`, the same with a lower-case `t`,
//! `2006-1-2 15:4:5.999999999` or `2006-1-2` (after a quick check for `YYYY-`).

/// Is `s` a YAML timestamp as go-yaml v3 resolves it?
pub(crate) fn is_timestamp(s: &str) -> bool {
    parse(s.as_bytes()).is_some()
}

/// One or two digits (Go's `getnum(value, false)`).
fn num12(b: &[u8]) -> Option<(u32, &[u8])> {
    let d = |i: usize| b.get(i).filter(|c| c.is_ascii_digit()).map(|c| u32::from(c - b'0'));
    let first = d(0)?;
    match d(1) {
        Some(second) => Some((first * 10 + second, &b[2..])),
        None => Some((first, &b[1..])),
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn expect(b: &[u8], c: u8) -> Option<&[u8]> {
    b.strip_prefix(&[c])
}

/// The date part, then the optional time; `Some(())` when one layout matches exactly.
fn parse(b: &[u8]) -> Option<()> {
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year = b[..4].iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
    let (month, rest) = num12(&b[5..])?;
    let (day, rest) = num12(expect(rest, b'-')?)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return None;
    }
    let Some((&sep, rest)) = rest.split_first() else { return Some(()) };
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    let (hour, rest) = num12(rest)?;
    let (minute, rest) = num12(expect(rest, b':')?)?;
    let (second, mut rest) = num12(expect(rest, b':')?)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Fractional seconds: a period or comma and any number of digits.
    if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + n..];
    }
    if sep == b' ' {
        return rest.is_empty().then_some(());
    }
    zone(rest)
}

/// Go's `Z07:00`: `Z`, or a sign, two-digit hours (at most 24), `:` and two-digit minutes (at
/// most 60), and nothing after.
fn zone(b: &[u8]) -> Option<()> {
    if b == b"Z" {
        return Some(());
    }
    let two = |x: &[u8]| {
        (x.len() == 2 && x.iter().all(u8::is_ascii_digit)).then(|| u32::from(x[0] - b'0') * 10 + u32::from(x[1] - b'0'))
    };
    if b.len() != 6 || !matches!(b[0], b'+' | b'-') || b[3] != b':' {
        return None;
    }
    let (h, m) = (two(&b[1..3])?, two(&b[4..6])?);
    (h <= 24 && m <= 60).then_some(())
}
