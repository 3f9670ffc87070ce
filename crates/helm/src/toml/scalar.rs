//! TOML's bare values for `fromToml`: booleans, integers (int64, with BurntSushi's messages
//! for leading zeroes, underscores and signs), floats, and datetimes written as Go's JSON text
//! for the `time.Time` BurntSushi decodes them to.

use serde_json::{Number, Value};

/// A bare value, or BurntSushi's message for it.
pub(super) fn scalar_value(word: &str) -> Result<Value, String> {
    let not_value = || format!("expected value but found {word:?} instead");
    match word {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        // JSON has no such numbers; keep the text.
        "inf" | "+inf" | "-inf" | "nan" | "+nan" | "-nan" => return Ok(Value::String(word.to_owned())),
        _ => {}
    }
    let b = word.as_bytes();
    if b.len() >= 8 && (b.get(4) == Some(&b'-') || b.get(2) == Some(&b':')) {
        return datetime_json(word).map(Value::String).ok_or_else(not_value);
    }
    if word.starts_with('.') {
        return Err("floats must start with a digit, not '.'".into());
    }
    if !word.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') {
        return Err(not_value());
    }
    let int_like = word.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'-'))
        && !word.contains(['.', 'e', 'E'])
        || word.starts_with("0x")
        || word.starts_with("0o")
        || word.starts_with("0b");
    let kind = if int_like { "integer" } else { "float" };
    if word.contains("__") || word.starts_with('_') || word.ends_with('_') || word.contains("_.") || word.contains("._")
    {
        return Err(format!("Invalid {kind} {word:?}: underscores must be surrounded by digits"));
    }
    let plain = word.replace('_', "");
    let body = plain.strip_prefix(['+', '-']).unwrap_or(&plain);
    for (prefix, radix, name) in [("0x", 16, "a hexadecimal"), ("0o", 8, "an octal"), ("0b", 2, "a binary")] {
        if let Some(digits) = body.strip_prefix(prefix) {
            if word.starts_with(['+', '-']) {
                return Err(format!("cannot use sign with non-decimal numbers: '{}'", &word[..3]));
            }
            if digits.is_empty() {
                return Err(format!("not {name} number: '{prefix}\0'"));
            }
            return i64::from_str_radix(digits, radix).map(|i| Value::Number(i.into())).map_err(|_| not_value());
        }
    }
    if int_like {
        if body.len() > 1 && body.starts_with('0') {
            return Err(format!("Invalid integer {word:?}: cannot have leading zeroes"));
        }
        return plain.parse::<i64>().map(|i| Value::Number(i.into())).map_err(|_| not_value());
    }
    let valid = body.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        && body.starts_with(|c: char| c.is_ascii_digit())
        && !body.contains(".e")
        && !body.contains(".E")
        && !body.ends_with('.');
    if word.ends_with('.') || word.contains(".e") || word.contains(".E") {
        return Err(format!("Invalid float {word:?}: '.' must be followed by one or more digits"));
    }
    if word.ends_with(['e', 'E', '+', '-']) {
        return Err(format!("Invalid float value: {word:?}"));
    }
    let f: f64 = plain.parse().ok().filter(|_| valid).ok_or_else(not_value)?;
    Number::from_f64(f).map(Value::Number).ok_or_else(not_value)
}

/// A TOML datetime as Go's `json.Marshal` writes the `time.Time` BurntSushi/toml decodes it
/// to (RFC 3339 with nanoseconds trimmed): local values are in UTC, a local date is midnight,
/// a local time is on 0000-01-01.
fn datetime_json(word: &str) -> Option<String> {
    let ok = word.bytes().all(|c| c.is_ascii_alphanumeric() || b"-:.+ ".contains(&c));
    if !ok {
        return None;
    }
    let upper = word.to_ascii_uppercase().replacen(' ', "T", 1);
    let (date, time) = match (upper.get(4..5), upper.get(2..3)) {
        (Some("-"), _) => match upper.split_once('T') {
            Some((d, t)) => (d.to_owned(), t.to_owned()),
            None => (upper.clone(), "00:00:00".to_owned()),
        },
        (_, Some(":")) => ("0000-01-01".to_owned(), upper.clone()),
        _ => return None,
    };
    let zone_at = time.find(['Z', '+', '-']).unwrap_or(time.len());
    let (clock, zone) = time.split_at(zone_at);
    let clock = match clock.split_once('.') {
        Some((hms, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() { hms.to_owned() } else { format!("{hms}.{frac}") }
        }
        None => clock.to_owned(),
    };
    let zone = if zone.is_empty() { "Z" } else { zone };
    Some(format!("{date}T{clock}{zone}"))
}
