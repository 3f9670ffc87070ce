//! Go's `net/netip.ParseAddr`, for its error texts (the `ipv6` format reports them).

use crate::strvals::gojson::go_quote;

fn fail(input: &str, msg: &str, at: &str) -> String {
    if at.is_empty() {
        format!("ParseAddr({}): {msg}", go_quote(input))
    } else {
        format!("ParseAddr({}): {msg} (at {})", go_quote(input), go_quote(at))
    }
}

fn ipv4_fields(input: &str, s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let (mut val, mut pos, mut dig) = (0u32, 0, 0);
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_digit() {
            if dig == 1 && val == 0 {
                return Err(fail(input, "IPv4 field has octet with leading zero", ""));
            }
            val = val * 10 + u32::from(c - b'0');
            dig += 1;
            if val > 255 {
                return Err(fail(input, "IPv4 field has value >255", ""));
            }
        } else if c == b'.' {
            if i == 0 || i == b.len() - 1 || b[i - 1] == b'.' {
                return Err(fail(input, "IPv4 field must have at least one digit", &s[i..]));
            }
            if pos == 3 {
                return Err(fail(input, "IPv4 address too long", ""));
            }
            pos += 1;
            val = 0;
            dig = 0;
        } else {
            return Err(fail(input, "unexpected character", &s[i..]));
        }
    }
    if pos < 3 {
        return Err(fail(input, "IPv4 address too short", ""));
    }
    Ok(())
}

/// Go's `parseIPv6`; returns the zone.
fn ipv6(input: &str) -> Result<String, String> {
    let (mut s, zone) = match input.split_once('%') {
        Some((_, "")) => return Err(fail(input, "zone must be a non-empty string", "")),
        Some((a, z)) => (a, z.to_string()),
        None => (input, String::new()),
    };
    let mut ellipsis: Option<usize> = None;
    if s.starts_with("::") {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok(zone);
        }
    }
    let mut i = 0;
    while i < 16 {
        let b = s.as_bytes();
        let mut off = 0;
        let mut acc = 0u32;
        while off < b.len() {
            let Some(d) = (b[off] as char).to_digit(16) else { break };
            acc = (acc << 4) + d;
            if off > 3 {
                return Err(fail(input, "each group must have 4 or less digits", s));
            }
            if acc > 0xffff {
                return Err(fail(input, "IPv6 field has value >=2^16", s));
            }
            off += 1;
        }
        if off == 0 {
            return Err(fail(input, "each colon-separated field must have at least one digit", s));
        }
        if b.get(off) == Some(&b'.') {
            if ellipsis.is_none() && i != 12 {
                let msg = "embedded IPv4 address must replace the final 2 fields of the address";
                return Err(fail(input, msg, s));
            }
            if i + 4 > 16 {
                let msg = "too many hex fields to fit an embedded IPv4 at the end of the address";
                return Err(fail(input, msg, s));
            }
            ipv4_fields(input, s)?;
            s = "";
            i += 4;
            break;
        }
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(fail(input, "unexpected character, want colon", s));
        } else if s.len() == 1 {
            return Err(fail(input, "colon must be followed by more characters", s));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis.is_some() {
                return Err(fail(input, "multiple :: in address", s));
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(fail(input, "trailing garbage after address", s));
    }
    if i < 16 && ellipsis.is_none() {
        return Err(fail(input, "address string too short", ""));
    }
    if i >= 16 && ellipsis.is_some() {
        return Err(fail(input, "the :: must expand to at least one field of zeros", ""));
    }
    Ok(zone)
}

/// `netip.ParseAddr`; returns the zone (empty for IPv4).
pub(super) fn parse_addr(s: &str) -> Result<String, String> {
    for c in s.bytes() {
        match c {
            b'.' => return ipv4_fields(s, s).map(|()| String::new()),
            b':' => return ipv6(s),
            b'%' => return Err(fail(s, "missing IPv6 address", "")),
            _ => {}
        }
    }
    Err(fail(s, "unable to parse IP", ""))
}
