//! Value helpers of the validator: JSON type names and the library's `equals`.

use serde_json::{Map, Number, Value};

use super::number::Decimal;
use crate::strvals::gojson::Json;

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub(crate) fn is_integer(v: &Value) -> bool {
    Decimal::of_value(v).is_some_and(|d| d.is_integer())
}

/// v6's `equals(v1, v2)`, switching on `v1`'s type: a number equals anything whose `%v` text
/// parses as the same rational (so `1` equals `"1"`, but `"1"` does not equal `1`).
pub(crate) fn equals(v: &Value, j: &Json) -> bool {
    equals_at(v, j, 0)
}

fn equals_at(v: &Value, j: &Json, depth: usize) -> bool {
    if depth > MAX_VALUE_DEPTH {
        return false;
    }
    match (v, j) {
        (Value::Null, Json::Null) => true,
        (Value::Bool(a), Json::Bool(b)) => a == b,
        (Value::String(a), Json::String(b)) => a == b,
        (Value::Number(_), Json::Number(b) | Json::String(b)) => {
            Decimal::of_value(v).is_some_and(|a| Decimal::parse(b) == Some(a))
        }
        (Value::Array(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equals_at(x, y, depth + 1))
        }
        (Value::Object(a), Json::Object(b)) => {
            a.len() == b.len() && b.iter().all(|(k, y)| a.get(k).is_some_and(|x| equals_at(x, y, depth + 1)))
        }
        _ => false,
    }
}

/// `equals` between two instance values, `a` playing `v1`.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    values_equal_at(a, b, 0)
}

fn values_equal_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_VALUE_DEPTH {
        return false;
    }
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => Decimal::of_value(a) == Decimal::of_value(b),
        (Value::Number(_), Value::String(s)) => Decimal::of_value(a).is_some_and(|x| Decimal::parse(s) == Some(x)),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| values_equal_at(a, b, depth + 1)))
        }
        _ => a == b,
    }
}

/// The JSON type of a schema value (v6's `typeOf`, numbers all `number`).
pub(crate) fn json_type(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// How deep `equals` and schema-value copies go (Go has no bound; ours keeps the stack small).
/// Deeper parts compare unequal.
const MAX_VALUE_DEPTH: usize = 400;

/// A copy of a schema value, cut (to null) below [`MAX_VALUE_DEPTH`] levels.
pub(crate) fn bounded_clone(j: &Json) -> Json {
    fn go(j: &Json, depth: usize) -> Json {
        match j {
            _ if depth > MAX_VALUE_DEPTH => Json::Null,
            Json::Array(a) => Json::Array(a.iter().map(|v| go(v, depth + 1)).collect()),
            Json::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), go(v, depth + 1))).collect()),
            j => j.clone(),
        }
    }
    go(j, 0)
}

/// A schema value as the messages need it: scalars, or an empty container of the same kind
/// (they print as `value` or make the message generic).
pub(crate) fn display_copy(j: &Json) -> Json {
    match j {
        Json::Array(_) => Json::Array(Vec::new()),
        Json::Object(_) => Json::Object(Vec::new()),
        j => j.clone(),
    }
}

/// A schema document as an instance (for metaschema validation); nesting past 400 levels,
/// beyond the validator's own bound, becomes null.
pub(crate) fn json_to_value(j: &Json) -> Value {
    to_value(j, 0)
}

fn to_value(j: &Json, depth: usize) -> Value {
    if depth > 400 {
        return Value::Null;
    }
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::String(s) => Value::String(s.clone()),
        Json::Number(n) => n
            .parse::<i64>()
            .map(Number::from)
            .ok()
            .or_else(|| n.parse::<u64>().ok().map(Number::from))
            .or_else(|| n.parse::<f64>().ok().and_then(Number::from_f64))
            .map_or(Value::Null, Value::Number),
        Json::Array(a) => Value::Array(a.iter().map(|v| to_value(v, depth + 1)).collect()),
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(k.clone(), to_value(v, depth + 1));
            }
            Value::Object(out)
        }
    }
}
