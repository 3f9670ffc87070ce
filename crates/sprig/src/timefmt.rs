//! Go's time layouts (`2006-01-02T15:04:05Z07:00`): formatting and parsing of the layout
//! elements Go's `time` package knows (`nextStdChunk`), over a UTC instant plus a fixed
//! offset. Not supported: day-of-year (`002`) when parsing, and zone abbreviations other
//! than `UTC`/`GMT`/the time's own when parsing.

/// A Go `time.Time`: seconds and nanoseconds since the Unix epoch, and the zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Time {
    pub secs: i64,
    pub nanos: u32,
    /// Seconds east of UTC.
    pub offset: i32,
    /// The zone abbreviation (`UTC`).
    pub zone: String,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31) (Howard Hinnant's algorithm).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The layout elements, longest first where they share a prefix.
const CHUNKS: &[&str] = &[
    "January",
    "Jan",
    "Monday",
    "Mon",
    "MST",
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "002",
    "15",
    "1",
    "2006",
    "2",
    "_2006",
    "__2",
    "_2",
    "3",
    "4",
    "5",
    "PM",
    "pm",
    "-07:00:00",
    "-070000",
    "-07:00",
    "-0700",
    "-07",
    "Z07:00:00",
    "Z070000",
    "Z07:00",
    "Z0700",
    "Z07",
];

/// Splits a layout into literal text and elements (Go's `nextStdChunk`).
pub fn chunks(layout: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        if let Some(frac) = fraction(rest) {
            flush(&mut out, &mut lit);
            out.push((true, frac.to_string()));
            rest = &rest[frac.len()..];
            continue;
        }
        for c in CHUNKS {
            if rest.starts_with(c) && !bad_boundary(c, rest) {
                flush(&mut out, &mut lit);
                out.push((true, c.to_string()));
                rest = &rest[c.len()..];
                continue 'outer;
            }
        }
        let ch = rest.chars().next().unwrap_or(' ');
        lit.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    flush(&mut out, &mut lit);
    out
}

/// Go only takes `Mon`/`Jan`... when not followed by a lower-case letter (`Month` is text).
fn bad_boundary(c: &str, rest: &str) -> bool {
    matches!(c, "Jan" | "Mon") && rest[c.len()..].chars().next().is_some_and(|x| x.is_ascii_lowercase())
}

fn fraction(rest: &str) -> Option<&str> {
    let b = rest.as_bytes();
    if !matches!(b.first(), Some(b'.' | b',')) {
        return None;
    }
    let d = *b.get(1)?;
    if d != b'0' && d != b'9' {
        return None;
    }
    let n = b[1..].iter().take_while(|x| **x == d).count();
    if b.get(1 + n).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(&rest[..1 + n])
}

fn flush(out: &mut Vec<(bool, String)>, lit: &mut String) {
    if !lit.is_empty() {
        out.push((false, std::mem::take(lit)));
    }
}

fn zone(out: &mut String, offset: i32, el: &str) {
    if el.starts_with('Z') && offset == 0 {
        out.push('Z');
        return;
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    let body = el.trim_start_matches(['Z', '-']);
    out.push(sign);
    match body {
        "07" => out.push_str(&format!("{h:02}")),
        "0700" => out.push_str(&format!("{h:02}{m:02}")),
        "07:00" => out.push_str(&format!("{h:02}:{m:02}")),
        "070000" => out.push_str(&format!("{h:02}{m:02}{s:02}")),
        _ => out.push_str(&format!("{h:02}:{m:02}:{s:02}")),
    }
}

/// Go's `Time.Format`.
pub fn format(t: &Time, layout: &str) -> String {
    let local = t.secs + i64::from(t.offset);
    let (days, sod) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, mo, d) = civil(days);
    let (h, mi, s) = (sod / 3600, sod / 60 % 60, sod % 60);
    let wd = (days + 4).rem_euclid(7) as usize;
    let yday = days - days_from_civil(y, 1, 1) + 1;
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    let mut out = String::new();
    for (std, text) in chunks(layout) {
        if !std {
            out.push_str(&text);
            continue;
        }
        let piece = match text.as_str() {
            "January" => MONTHS[mo as usize - 1].to_string(),
            "Jan" => MONTHS[mo as usize - 1][..3].to_string(),
            "Monday" => DAYS[wd].to_string(),
            "Mon" => DAYS[wd][..3].to_string(),
            "MST" if t.zone.is_empty() => {
                zone(&mut out, t.offset, "-0700");
                continue;
            }
            "MST" => t.zone.clone(),
            "01" => format!("{mo:02}"),
            "1" => mo.to_string(),
            "02" => format!("{d:02}"),
            "2" => d.to_string(),
            "_2" => format!("{d:>2}"),
            "__2" => format!("{yday:>3}"),
            "002" => format!("{yday:03}"),
            "06" => format!("{:02}", y.rem_euclid(100)),
            "2006" => format!("{y:04}"),
            "_2006" => format!("_{y:04}"),
            "15" => format!("{h:02}"),
            "03" => format!("{h12:02}"),
            "3" => h12.to_string(),
            "04" => format!("{mi:02}"),
            "4" => mi.to_string(),
            "05" => format!("{s:02}"),
            "5" => s.to_string(),
            "PM" => (if h >= 12 { "PM" } else { "AM" }).to_string(),
            "pm" => (if h >= 12 { "pm" } else { "am" }).to_string(),
            z if z.starts_with(['-', 'Z']) => {
                zone(&mut out, t.offset, z);
                continue;
            }
            f => frac(t.nanos, f),
        };
        out.push_str(&piece);
    }
    out
}

fn frac(nanos: u32, el: &str) -> String {
    let n = el.len() - 1;
    let digits = format!("{nanos:09}");
    if el.as_bytes().get(1) == Some(&b'0') {
        return format!("{}{}", &el[..1], &digits[..n.min(9)]);
    }
    let cut = digits[..n.min(9)].trim_end_matches('0');
    if cut.is_empty() { String::new() } else { format!("{}{cut}", &el[..1]) }
}

/// Parsing state: the fields read so far.
#[derive(Default)]
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    min: i64,
    sec: i64,
    nanos: u32,
    pm: Option<bool>,
    offset: Option<i32>,
    zone: Option<String>,
}

fn digits(v: &str, min: usize, max: usize) -> Option<(i64, &str)> {
    let n = v.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    Some((v[..n].parse().ok()?, &v[n..]))
}

fn name<'a>(v: &'a str, names: &[&str], short: bool) -> Option<(usize, &'a str)> {
    names.iter().enumerate().find_map(|(i, n)| {
        let n = if short { &n[..3] } else { n };
        let head = v.get(..n.len())?;
        head.eq_ignore_ascii_case(n).then(|| (i, &v[n.len()..]))
    })
}

fn parse_zone<'a>(v: &'a str, el: &str) -> Option<(i32, &'a str)> {
    if el.starts_with('Z') && v.starts_with('Z') {
        return Some((0, &v[1..]));
    }
    let sign = match v.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = el.trim_start_matches(['Z', '-']);
    let mut rest = &v[1..];
    let (h, r) = digits(rest, 2, 2)?;
    rest = r;
    let mut secs = h * 3600;
    let groups = if body.contains(':') { body.matches(':').count() } else { (body.len() - 2) / 2 };
    for g in 0..groups {
        if body.contains(':') {
            rest = rest.strip_prefix(':')?;
        }
        let (x, r) = digits(rest, 2, 2)?;
        rest = r;
        secs += if g == 0 { x * 60 } else { x };
    }
    Some(((sign * secs) as i32, rest))
}

fn parse_frac(v: &str) -> (u32, &str) {
    let n = v.bytes().take_while(u8::is_ascii_digit).count();
    let mut d = v[..n].to_string();
    d.truncate(9);
    while d.len() < 9 {
        d.push('0');
    }
    (d.parse().unwrap_or(0), &v[n..])
}

fn element<'a>(f: &mut Fields, el: &str, v: &'a str, next_frac: bool) -> Option<&'a str> {
    let num = |v: &'a str, min, max| digits(v, min, max);
    Some(match el {
        "2006" => {
            let (y, r) = num(v, 4, 4)?;
            f.year = y;
            r
        }
        "06" => {
            let (y, r) = num(v, 2, 2)?;
            f.year = if y >= 69 { 1900 + y } else { 2000 + y };
            r
        }
        "01" | "1" => {
            let (m, r) = num(v, if el == "01" { 2 } else { 1 }, 2)?;
            f.month = u32::try_from(m).ok().filter(|m| (1..=12).contains(m))?;
            r
        }
        "January" | "Jan" => {
            let (i, r) = name(v, &MONTHS, el == "Jan")?;
            f.month = i as u32 + 1;
            r
        }
        "Monday" | "Mon" => name(v, &DAYS, el == "Mon")?.1,
        "02" | "2" | "_2" => {
            let v = if el == "_2" { v.strip_prefix(' ').unwrap_or(v) } else { v };
            let (d, r) = num(v, if el == "02" { 2 } else { 1 }, 2)?;
            f.day = u32::try_from(d).ok()?;
            r
        }
        "15" | "03" | "3" => {
            let (h, r) = num(v, if el == "03" { 2 } else { 1 }, 2)?;
            f.hour = h;
            r
        }
        "04" | "4" => {
            let (m, r) = num(v, if el == "04" { 2 } else { 1 }, 2)?;
            f.min = m;
            r
        }
        "05" | "5" => {
            let (s, mut r) = num(v, if el == "05" { 2 } else { 1 }, 2)?;
            f.sec = s;
            if !next_frac && r.len() >= 2 && r.starts_with(['.', ',']) && r.as_bytes()[1].is_ascii_digit() {
                let (n, rr) = parse_frac(&r[1..]);
                f.nanos = n;
                r = rr;
            }
            r
        }
        "PM" | "pm" => {
            let head = v.get(..2)?;
            f.pm = Some(match head.to_ascii_uppercase().as_str() {
                "PM" => true,
                "AM" => false,
                _ => return None,
            });
            &v[2..]
        }
        "MST" => {
            let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
            if n < 3 {
                return None;
            }
            f.zone = Some(v[..n].to_string());
            &v[n..]
        }
        z if z.starts_with(['-', 'Z']) => {
            let (o, r) = parse_zone(v, z)?;
            f.offset = Some(o);
            r
        }
        frac => {
            let r = v.strip_prefix(&frac[..1])?;
            let (n, r) = parse_frac(r);
            f.nanos = n;
            r
        }
    })
}

/// Go's `time.ParseInLocation(layout, value, UTC)`.
pub fn parse(layout: &str, value: &str) -> Result<Time, String> {
    let err =
        |el: &str, v: &str| format!("parsing time {} as {}: cannot parse {} as {}", q(value), q(layout), q(v), q(el));
    let mut f = Fields { month: 1, day: 1, ..Fields::default() };
    let mut v = value;
    let parts = chunks(layout);
    for (i, (std, el)) in parts.iter().enumerate() {
        if *std {
            let next_frac = parts.get(i + 1).is_some_and(|(s, n)| *s && n.starts_with(['.', ',']));
            v = element(&mut f, el, v, next_frac).ok_or_else(|| err(el, v))?;
        } else {
            v = v.strip_prefix(el.as_str()).ok_or_else(|| err(el, v))?;
        }
    }
    if !v.is_empty() {
        return Err(format!("parsing time {}: extra text: {}", q(value), q(v)));
    }
    match f.pm {
        Some(true) if f.hour < 12 => f.hour += 12,
        Some(false) if f.hour == 12 => f.hour = 0,
        _ => {}
    }
    let leap = f.year % 4 == 0 && (f.year % 100 != 0 || f.year % 400 == 0);
    let mdays = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if f.day < 1 || f.day > mdays[f.month as usize - 1] {
        return Err(format!("parsing time {}: day out of range", q(value)));
    }
    if f.hour > 23 || f.min > 59 || f.sec > 59 {
        return Err(format!(
            "parsing time {}: {} out of range",
            q(value),
            if f.hour > 23 {
                "hour"
            } else if f.min > 59 {
                "minute"
            } else {
                "second"
            }
        ));
    }
    let local = days_from_civil(f.year, f.month, f.day) * 86_400 + f.hour * 3600 + f.min * 60 + f.sec;
    let offset = f.offset.unwrap_or(0);
    let zone = match (f.offset, f.zone) {
        (None, Some(z)) => z,
        (Some(0), _) | (None, None) => "UTC".to_string(),
        (Some(_), _) => String::new(),
    };
    Ok(Time { secs: local - i64::from(offset), nanos: f.nanos, offset, zone })
}

fn q(s: &str) -> String {
    glidepath_gotmpl::fmt::quote(s)
}
