//! Sprig's date functions (`date.go`) over [`Time`] values and the injectable
//! [`Clock`](crate::Clock). Every zone is UTC here: `Local` is UTC, and `dateInZone` with a
//! zone name other than `UTC`/`Local` falls back to UTC, as Sprig does when Go can not load
//! the zone (Go would load it from the tz database). `now` prints without Go's monotonic
//! clock reading (`m=+0.000012`).

use std::sync::Arc;

use glidepath_gotmpl::{Func, FuncMap, Opaque, Param, Value};

use crate::Clock;
use crate::conv::arg_str;
pub use crate::timefmt::Time;
use crate::timefmt::{format, parse};

impl Opaque for Time {
    fn type_name(&self) -> String {
        "time.Time".into()
    }
    fn display(&self) -> String {
        format(self, "2006-01-02 15:04:05.999999999 -0700 MST")
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn method(&self, name: &str) -> Option<Func> {
        let t = self.clone();
        let v = match name {
            "Unix" => Value::Int(t.secs),
            "UnixNano" => Value::Int(t.secs.saturating_mul(1_000_000_000).saturating_add(i64::from(t.nanos))),
            "Year" => Value::Int(crate::timefmt::civil((t.secs + i64::from(t.offset)).div_euclid(86_400)).0),
            "UTC" => Value::Opaque(Arc::new(Time { offset: 0, zone: "UTC".into(), ..t })),
            "Format" => return Some(Func::pure(&[Param::String], move |a| Ok(Value::from(format(&t, arg_str(a, 0)))))),
            _ => return None,
        };
        Some(Func::pure(&[], move |_| Ok(v.clone())))
    }
}

fn time_value(t: Time) -> Value {
    Value::Opaque(Arc::new(t))
}

fn as_time(v: &Value) -> Option<Time> {
    match v {
        Value::Opaque(o) => o.as_any().downcast_ref::<Time>().cloned(),
        _ => None,
    }
}

/// Sprig's date argument: a time, or integer Unix seconds; anything else is now.
fn date_arg(clock: &Clock, v: &Value) -> Time {
    match v {
        Value::Int(i) => Time { secs: *i, nanos: 0, offset: 0, zone: "UTC".into() },
        v => as_time(v).unwrap_or_else(|| clock.now()),
    }
}

fn in_zone(mut t: Time, _zone: &str) -> Time {
    t.offset = 0;
    t.zone = "UTC".into();
    t
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let bad = || format!("time: invalid duration {}", glidepath_gotmpl::fmt::quote(s));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        let num: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest.bytes().take_while(|b| !b.is_ascii_digit() && *b != b'.').count();
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 6e10,
            "h" => 3.6e12,
            "" => return Err(format!("time: missing unit in duration {}", glidepath_gotmpl::fmt::quote(s))),
            u => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    glidepath_gotmpl::fmt::quote(u),
                    glidepath_gotmpl::fmt::quote(s)
                ));
            }
        };
        total += num * unit;
        rest = &rest[u..];
    }
    if total > i64::MAX as f64 {
        return Err(bad());
    }
    Ok(if neg { -(total as i64) } else { total as i64 })
}

/// Go's `Duration.String`: `1h2m3.5s`, `1.5ms`, `0s`.
pub fn duration_string(d: i64) -> String {
    let neg = d < 0;
    let u = d.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (unit, div) = match u {
            0 => return "0s".into(),
            1..=999 => ("ns", 1),
            1000..=999_999 => ("µs", 1000),
            _ => ("ms", 1_000_000),
        };
        return format!("{sign}{}{unit}", frac_units(u, div));
    }
    let (h, m) = (u / 3_600_000_000_000, u / 60_000_000_000 % 60);
    let s = frac_units(u % 60_000_000_000, 1_000_000_000);
    match (h, m) {
        (0, 0) => format!("{sign}{s}s"),
        (0, m) => format!("{sign}{m}m{s}s"),
        (h, m) => format!("{sign}{h}h{m}m{s}s"),
    }
}

fn frac_units(u: u64, div: u64) -> String {
    let (whole, rem) = (u / div, u % div);
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    format!("{whole}.{}", format!("{rem:0width$}").trim_end_matches('0'))
}

fn duration_round(d: i64) -> String {
    let u = d.unsigned_abs();
    const S: u64 = 1_000_000_000;
    let (hour, day) = (3600 * S, 86_400 * S);
    for (unit, name) in [(365 * day, "y"), (30 * day, "mo"), (day, "d"), (hour, "h"), (60 * S, "m"), (S, "s")] {
        if u > unit {
            return format!("{}{name}", u / unit);
        }
    }
    "0s".into()
}

fn since(clock: &Clock, t: &Time) -> i64 {
    let now = clock.now();
    (now.secs - t.secs).saturating_mul(1_000_000_000) + (i64::from(now.nanos) - i64::from(t.nanos))
}

fn modify(a: &[Value], must: bool) -> Result<Value, String> {
    let t =
        as_time(&a[1]).ok_or_else(|| format!("wrong type for value; expected time.Time; got {}", a[1].type_name()))?;
    match parse_duration(arg_str(a, 0)) {
        Ok(d) => {
            let total = i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos) + i128::from(d);
            let (secs, nanos) = (total.div_euclid(1_000_000_000) as i64, total.rem_euclid(1_000_000_000) as u32);
            Ok(time_value(Time { secs, nanos, ..t }))
        }
        Err(e) if must => Err(e),
        Err(_) => Ok(time_value(t)),
    }
}

pub fn register(m: &mut FuncMap, clock: &Clock) {
    use Param::{Any, String as S};
    let c = clock.clone();
    m.insert("now", Func::pure(&[], move |_| Ok(time_value(c.now()))));
    let c = clock.clone();
    let date =
        Func::pure(&[S, Any], move |a| Ok(Value::from(format(&in_zone(date_arg(&c, &a[1]), "Local"), arg_str(a, 0)))));
    m.insert("date", date);
    let c = clock.clone();
    let in_z = Func::pure(&[S, Any, S], move |a| {
        Ok(Value::from(format(&in_zone(date_arg(&c, &a[1]), arg_str(a, 2)), arg_str(a, 0))))
    });
    m.insert("dateInZone", in_z.clone()).insert("date_in_zone", in_z);
    let c = clock.clone();
    m.insert("htmlDate", Func::pure(&[Any], move |a| Ok(Value::from(format(&date_arg(&c, &a[0]), "2006-01-02")))));
    let c = clock.clone();
    m.insert(
        "htmlDateInZone",
        Func::pure(&[Any, S], move |a| {
            Ok(Value::from(format(&in_zone(date_arg(&c, &a[0]), arg_str(a, 1)), "2006-01-02")))
        }),
    );
    let zero = Time { secs: -62_135_596_800, nanos: 0, offset: 0, zone: "UTC".into() };
    m.insert(
        "toDate",
        Func::pure(&[S, S], move |a| {
            Ok(time_value(parse(arg_str(a, 0), arg_str(a, 1)).unwrap_or_else(|_| zero.clone())))
        }),
    );
    m.insert("mustToDate", Func::pure(&[S, S], |a| parse(arg_str(a, 0), arg_str(a, 1)).map(time_value)));
    m.insert(
        "unixEpoch",
        Func::pure(&[Any], |a| {
            as_time(&a[0])
                .map(|t| Value::from(t.secs.to_string()))
                .ok_or_else(|| format!("wrong type for value; expected time.Time; got {}", a[0].type_name()))
        }),
    );
    let modify_plain = Func::pure(&[S, Any], |a| modify(a, false));
    m.insert("dateModify", modify_plain.clone()).insert("date_modify", modify_plain);
    let modify_must = Func::pure(&[S, Any], |a| modify(a, true));
    m.insert("mustDateModify", modify_must.clone()).insert("must_date_modify", modify_must);
    let c = clock.clone();
    m.insert(
        "ago",
        Func::pure(&[Any], move |a| {
            let t = date_arg(&c, &a[0]);
            let d = since(&c, &t);
            Ok(Value::from(duration_string((d + 500_000_000).div_euclid(1_000_000_000) * 1_000_000_000)))
        }),
    );
    m.insert(
        "duration",
        Func::pure(&[Any], |a| {
            let n = match &a[0] {
                // Sprig takes a string or an int64; a template's `int` (and Helm's float64
                // values) fall to its default case, 0.
                Value::String(s) => s.parse::<i64>().unwrap_or(0),
                _ => 0,
            };
            Ok(Value::from(duration_string(n.wrapping_mul(1_000_000_000))))
        }),
    );
    let c = clock.clone();
    m.insert(
        "durationRound",
        Func::pure(&[Any], move |a| {
            let d = match &a[0] {
                Value::String(s) => parse_duration(s).unwrap_or(0),
                Value::Int(i) => *i,
                v => as_time(v).map_or(0, |t| since(&c, &t)),
            };
            Ok(Value::from(duration_round(d)))
        }),
    );
}
