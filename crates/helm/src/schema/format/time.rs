//! The date and time formats (`date` is Go's `time.Parse("2006-01-02", …)`, errors included),
//! `duration` and `period`.

use super::{R, atoi};
use crate::strvals::gojson::go_quote_rune;

pub(super) fn duration(s: &str) -> R {
    let Some(s) = s.strip_prefix('P') else {
        return Err("must start with P".into());
    };
    if s.is_empty() {
        return Err("nothing after P".into());
    }
    if let Some(w) = s.strip_suffix('W') {
        if w.is_empty() {
            return Err("no number in week".into());
        }
        if !w.bytes().all(|b| b.is_ascii_digit()) {
            return Err("invalid week".into());
        }
        return Ok(());
    }
    let all = ["YMD", "HMS"];
    for (i, part) in s.split('T').enumerate() {
        if i != 0 && part.is_empty() {
            return Err("no time elements".into());
        }
        if i >= all.len() {
            return Err("more than one T".into());
        }
        let mut units = all[i];
        let mut p = part;
        while !p.is_empty() {
            let n = p.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return Err("missing number".into());
            }
            p = &p[n..];
            let Some(unit) = p.chars().next() else {
                return Err("missing unit".into());
            };
            let q = go_quote_rune(unit);
            match units.find(unit) {
                Some(j) => units = &units[j + 1..],
                None if all[i].contains(unit) => return Err(format!("unit {q} out of order")),
                None => return Err(format!("invalid unit {q}")),
            }
            p = &p[unit.len_utf8()..];
        }
    }
    Ok(())
}

pub(super) fn period(s: &str) -> R {
    let Some((start, end)) = s.split_once('/') else {
        return Err("missing slash".into());
    };
    if start.starts_with('P') {
        duration(start).map_err(|e| format!("invalid start duration: {e}"))?;
        return date_time(end).map_err(|e| format!("invalid end date-time: {e}"));
    }
    date_time(start).map_err(|e| format!("invalid start date-time: {e}"))?;
    if end.starts_with('P') {
        duration(end).map_err(|e| format!("invalid end duration: {e}"))
    } else {
        date_time(end).map_err(|e| format!("invalid end date-time: {e}"))
    }
}

/// The `time` package's `quote`.
fn time_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) >= 0x80 || c < ' ' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// `time.Parse("2006-01-02", s)` and its errors.
pub(super) fn date(s: &str) -> R {
    const LAYOUT: &str = "2006-01-02";
    let bad = |elem: &str, at: &str| {
        Err(format!(
            "parsing time {} as {}: cannot parse {} as {}",
            time_quote(s),
            time_quote(LAYOUT),
            time_quote(at),
            time_quote(elem)
        ))
    };
    let range = |what: &str| Err(format!("parsing time {}: {what} out of range", time_quote(s)));
    let b = s.as_bytes();
    if b.len() < 4 || !b[0].is_ascii_digit() || !b[..4].iter().all(u8::is_ascii_digit) {
        return bad("2006", s);
    }
    let year: i64 = s[..4].parse().unwrap_or(0);
    let two = |at: &str| -> Option<i64> {
        let b = at.as_bytes();
        (b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit())
            .then(|| i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'))
    };
    let rest = &s[4..];
    let Some(rest) = rest.strip_prefix('-') else { return bad("-", rest) };
    let Some(month) = two(rest) else { return bad("01", rest) };
    if !(1..=12).contains(&month) {
        return range("month");
    }
    let rest = &rest[2..];
    let Some(rest) = rest.strip_prefix('-') else { return bad("-", rest) };
    let Some(day) = two(rest) else { return bad("02", rest) };
    let rest = &rest[2..];
    if !rest.is_empty() {
        return Err(format!("parsing time {}: extra text: {}", time_quote(s), time_quote(rest)));
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > days {
        return range("day");
    }
    Ok(())
}

pub(super) fn time(str_: &str) -> R {
    let b = str_.as_bytes();
    if b.len() < 9 {
        return Err("less than 9 characters long".into());
    }
    if b[2] != b':' || b[5] != b':' {
        return Err("missing colon in correct place".into());
    }
    let mut hms = Vec::new();
    for tok in str_.get(..8).unwrap_or("").splitn(3, ':') {
        let i = atoi(tok).map_err(|_| "invalid hour/min/sec".to_string())?;
        if i < 0 {
            return Err("non-positive hour/min/sec".into());
        }
        hms.push(i);
    }
    if hms.len() != 3 {
        return Err("missing hour/min/sec".into());
    }
    let (mut h, mut m, s) = (hms[0], hms[1], hms[2]);
    if h > 23 || m > 59 || s > 60 {
        return Err("hour/min/sec out of range".into());
    }
    let mut rest = &str_[8..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err("no digits in second fraction".into());
        }
        rest = &frac[n..];
    }
    if rest != "z" && rest != "Z" {
        if rest.len() != 6 {
            return Err("offset must be 6 characters long".into());
        }
        let sign = match rest.as_bytes()[0] {
            b'+' => -1,
            b'-' => 1,
            _ => return Err("offset must begin with plus/minus".into()),
        };
        let off = &rest[1..];
        if off.as_bytes()[2] != b':' {
            return Err("missing colon in offset in correct place".into());
        }
        let mut zhm = Vec::new();
        for tok in off.splitn(2, ':') {
            let i = atoi(tok).map_err(|_| "invalid hour/min in offset".to_string())?;
            if i < 0 {
                return Err("non-positive hour/min in offset".into());
            }
            zhm.push(i);
        }
        let (zh, zm) = (zhm[0], zhm.get(1).copied().unwrap_or(0));
        if zh > 23 || zm > 59 {
            return Err("hour/min in offset out of range".into());
        }
        let mut hm = (h * 60 + m) + sign * (zh * 60 + zm);
        if hm < 0 {
            hm += 24 * 60;
        }
        (h, m) = (hm / 60, hm % 60);
    }
    if s >= 60 && (h != 23 || m != 59) {
        return Err("invalid leap second".into());
    }
    Ok(())
}

pub(super) fn date_time(s: &str) -> R {
    let b = s.as_bytes();
    if b.len() < 20 {
        return Err("less than 20 characters long".into());
    }
    if b[10] != b't' && b[10] != b'T' {
        return Err("11th character must be t or T".into());
    }
    let (Some(d), Some(t)) = (s.get(..10), s.get(11..)) else {
        return Err("11th character must be t or T".into());
    };
    date(d).map_err(|e| format!("invalid date element: {e}"))?;
    time(t).map_err(|e| format!("invalid time element: {e}"))
}
