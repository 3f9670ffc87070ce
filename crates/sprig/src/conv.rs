//! Go value conversions Sprig relies on: `strval`, `spf13/cast`'s `ToInt64`/`ToFloat64`,
//! `empty`, reflection kinds, and the reflection functions (`typeOf`, `kindIs`...).

use glidepath_gotmpl::{Func, FuncMap, Param, Value};

/// Sprig's `strval`: strings and bytes as is, everything else `fmt.Sprintf("%v")`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Invalid | Value::Nil => "<nil>".into(),
        v => glidepath_gotmpl::fmt::sprint(std::slice::from_ref(v)),
    }
}

/// Trims a `.000` suffix, as `cast`'s `trimZeroDecimal` does.
fn trim_zero_decimal(s: &str) -> &str {
    match s.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => int,
        _ => s,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, `0x`/`0o`/`0b`/`0` prefixes, `_` separators.
pub fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    if radix == 10 && digits.contains('_') {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let mag = i128::from_str_radix(&clean, radix).ok()?;
    i64::try_from(if neg { -mag } else { mag }).ok()
}

/// `cast.ToInt64`: numbers truncate, bools are 0/1, strings parse (base prefixes allowed),
/// anything else is 0.
pub fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_int_base0(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// `cast.ToFloat64`: numbers, bools 0/1, strings via `strconv.ParseFloat`, else 0.
pub fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms templates meet (decimal, exponent,
/// `Inf`/`NaN`); `_` separators are refused.
pub fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(['+', '-']);
    let lower = t.to_ascii_lowercase();
    if ["inf", "infinity", "nan"].contains(&lower.as_str()) {
        return s.parse::<f64>().ok();
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Sprig's `empty`: Go's zero values (and empty containers) are empty; structs never are.
pub fn empty(v: &Value) -> bool {
    match v {
        Value::Opaque(_) => false,
        v => !v.truth(),
    }
}

/// The `reflect.Kind` name of a value (`invalid` for nil).
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Invalid | Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::Bytes(_) | Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Opaque(_) => "struct",
    }
}

/// The items of a Go slice (bytes are `uint8` items).
pub fn items(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::List(l) => Some(l.to_vec()),
        Value::Bytes(b) => Some(b.iter().map(|x| Value::Int(i64::from(*x))).collect()),
        _ => None,
    }
}

/// What a nil reflect type panics with in Sprig's list functions.
pub const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

/// A string list value.
pub fn str_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::list(items.into_iter().map(Value::from).collect())
}

/// The string argument `i` (parameters declared [`Param::String`]).
pub fn arg_str(a: &[Value], i: usize) -> &str {
    a.get(i).and_then(Value::as_str).unwrap_or("")
}

/// The int argument `i` (parameters declared [`Param::Int`]).
pub fn arg_int(a: &[Value], i: usize) -> i64 {
    a.get(i).and_then(Value::as_int).unwrap_or(0)
}

fn type_is_like(target: &str, v: &Value) -> bool {
    let t = v.type_name();
    t == target || t == format!("*{target}")
}

pub fn register(m: &mut FuncMap) {
    use Param::{Any, String as Str};
    m.insert("typeOf", Func::pure(&[Any], |a| Ok(Value::str(a[0].type_name()))));
    m.insert("typeIs", Func::pure(&[Str, Any], |a| Ok(Value::Bool(arg_str(a, 0) == a[1].type_name()))));
    m.insert("typeIsLike", Func::pure(&[Str, Any], |a| Ok(Value::Bool(type_is_like(arg_str(a, 0), &a[1])))));
    m.insert("kindOf", Func::pure(&[Any], |a| Ok(Value::str(kind(&a[0])))));
    m.insert("kindIs", Func::pure(&[Str, Any], |a| Ok(Value::Bool(arg_str(a, 0) == kind(&a[1])))));
    m.insert("deepEqual", Func::pure(&[Any, Any], |a| Ok(Value::Bool(a[0] == a[1]))));
    m.insert("empty", Func::pure(&[Any], |a| Ok(Value::Bool(empty(&a[0])))));
    m.insert(
        "default",
        Func::variadic(&[Any], Any, |a| Ok(if a.len() < 2 || empty(&a[1]) { a[0].clone() } else { a[1].clone() })),
    );
    m.insert("coalesce", Func::variadic(&[], Any, |a| Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))));
    m.insert("all", Func::variadic(&[], Any, |a| Ok(Value::Bool(a.iter().all(|v| !empty(v))))));
    m.insert("any", Func::variadic(&[], Any, |a| Ok(Value::Bool(a.iter().any(|v| !empty(v))))));
    m.insert(
        "ternary",
        Func::pure(&[Any, Any, Param::Bool], |a| {
            Ok(if a[2].as_bool() == Some(true) { a[0].clone() } else { a[1].clone() })
        }),
    );
    m.insert("hello", Func::pure(&[], |_| Ok(Value::str("Hello!"))));
    m.insert("fail", Func::pure(&[Str], |a| Err(arg_str(a, 0).to_string())));
    m.insert("toString", Func::pure(&[Any], |a| Ok(Value::str(strval(&a[0])))));
    m.insert("int64", Func::pure(&[Any], |a| Ok(Value::Int(to_i64(&a[0])))));
    m.insert("int", Func::pure(&[Any], |a| Ok(Value::Int(to_i64(&a[0])))));
    m.insert("float64", Func::pure(&[Any], |a| Ok(Value::Float(to_f64(&a[0])))));
    m.insert("atoi", Func::pure(&[Str], |a| Ok(Value::Int(atoi(arg_str(a, 0))))));
}

/// `strconv.Atoi` with errors ignored: decimal with an optional sign, else 0.
fn atoi(s: &str) -> i64 {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    s.parse::<i64>().unwrap_or(0)
}
