//! go-yaml v3's timestamp resolution: a plain scalar is a timestamp when Go's `time.Parse`
//! accepts it with one of `2006-1-2T15:4:5.999999999Z07:00`, the same with a lower-case `t`,
//! `2006-1-2 15:4:5.999999999` or `2006-1-2` (after a quick check for `YYYY-`).

/// Is `s` a YAML timestamp as go-yaml v3 resolves it?
pub(crate) fn is_timestamp(s: &str) -> bool {
    parse(s.as_bytes()).is_some()
}

/// A timestamp as Go's `time.Time` JSON encoding writes it (RFC 3339 with nanoseconds, trailing
/// zeros trimmed, `Z` for a zero offset): what kustomize outputs for an unquoted timestamp.
pub(crate) fn to_rfc3339(s: &str) -> Option<String> {
    let t = parse(s.as_bytes())?;
    let digits: String = t.fraction.chars().take(9).collect();
    let fraction = digits.trim_end_matches('0');
    let dot = if fraction.is_empty() { String::new() } else { format!(".{fraction}") };
    let zone = match t.zone {
        Some((sign, h, m)) if h != 0 || m != 0 => format!("{}{h:02}:{m:02}", char::from(sign)),
        _ => "Z".into(),
    };
    Some(format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{dot}{zone}", t.year, t.month, t.day, t.hour, t.minute, t.second))
}

/// The fields of a parsed timestamp.
#[derive(Default)]
struct Time {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    fraction: String,
    /// Sign, hours and minutes of an explicit offset (`None`: UTC).
    zone: Option<(u8, u32, u32)>,
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

/// The date part, then the optional time; `Some` when one layout matches exactly.
fn parse(b: &[u8]) -> Option<Time> {
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year = b[..4].iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
    let (month, rest) = num12(&b[5..])?;
    let (day, rest) = num12(expect(rest, b'-')?)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return None;
    }
    let mut t = Time { year, month, day, ..Time::default() };
    let Some((&sep, rest)) = rest.split_first() else { return Some(t) };
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    let (hour, rest) = num12(rest)?;
    let (minute, rest) = num12(expect(rest, b':')?)?;
    let (second, mut rest) = num12(expect(rest, b':')?)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    (t.hour, t.minute, t.second) = (hour, minute, second);
    // Fractional seconds: a period or comma and any number of digits.
    if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        t.fraction = String::from_utf8_lossy(&rest[1..=n]).into_owned();
        rest = &rest[1 + n..];
    }
    if sep == b' ' {
        return rest.is_empty().then_some(t);
    }
    t.zone = zone(rest)?;
    Some(t)
}

/// Go's `Z07:00`: `Z` (`Some(None)`), or a sign, two-digit hours (at most 24), `:` and two-digit
/// minutes (at most 60), and nothing after.
fn zone(b: &[u8]) -> Option<Option<(u8, u32, u32)>> {
    if b == b"Z" {
        return Some(None);
    }
    let two = |x: &[u8]| {
        (x.len() == 2 && x.iter().all(u8::is_ascii_digit)).then(|| u32::from(x[0] - b'0') * 10 + u32::from(x[1] - b'0'))
    };
    if b.len() != 6 || !matches!(b[0], b'+' | b'-') || b[3] != b':' {
        return None;
    }
    let (h, m) = (two(&b[1..3])?, two(&b[4..6])?);
    (h <= 24 && m <= 60).then_some(Some((b[0], h, m)))
}

/// An open collection while walking parser events.
struct Frame {
    map: bool,
    /// In a mapping: the next node is a key.
    expect_key: bool,
    /// In a mapping: the key of the value being read.
    key: Option<String>,
}

/// Is the node about to be read under the document's `metadata.annotations` (whose values
/// kustomize keeps as written)?
fn in_annotations(stack: &[Frame]) -> bool {
    let keys: Vec<Option<&str>> = stack.iter().map(|f| f.key.as_deref()).collect();
    matches!(keys.as_slice(), [Some("metadata"), Some("annotations"), _])
}

/// Rewrites the plain, untagged timestamp values of a YAML stream as quoted RFC 3339 strings,
/// as kustomize (go-yaml decoding into Go values, then `encoding/json`) turns them. Keys, quoted
/// or tagged scalars and top-level annotation values stay as written. Text that does not parse is
/// returned unchanged (the real parser reports the error).
pub(crate) fn quote_timestamps(text: &str) -> std::borrow::Cow<'_, str> {
    use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};
    let candidate = text.as_bytes().windows(5).any(|w| w[..4].iter().all(u8::is_ascii_digit) && w[4] == b'-');
    if !candidate {
        return text.into();
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { return text.into() };
        let is_key = stack.last().is_some_and(|f| f.map && f.expect_key);
        let node =
            matches!(event, Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) | Event::Alias(_));
        if let Event::Scalar(value, style, _, tag) = &event {
            if is_key {
                if let Some(f) = stack.last_mut() {
                    f.key = Some(value.to_string());
                }
            } else if *style == ScalarStyle::Plain && tag.is_none() && !in_annotations(&stack) {
                let (start, end) = (span.start.byte_offset(), span.end.byte_offset());
                if let (Some(start), Some(end), Some(rfc)) = (start, end, to_rfc3339(value))
                    && text.get(start..end) == Some(value.as_ref())
                {
                    edits.push((start, end, format!("\"{rfc}\"")));
                }
            }
        }
        if node
            && let Some(f) = stack.last_mut()
            && f.map
        {
            f.expect_key = !f.expect_key;
        }
        match event {
            Event::SequenceStart(..) => stack.push(Frame { map: false, expect_key: false, key: None }),
            Event::MappingStart(..) => stack.push(Frame { map: true, expect_key: true, key: None }),
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
            }
            _ => {}
        }
    }
    if edits.is_empty() {
        return text.into();
    }
    let mut out = text.to_string();
    for (start, end, replacement) in edits.into_iter().rev() {
        out.replace_range(start..end, &replacement);
    }
    out.into()
}
