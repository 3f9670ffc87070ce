//! Value helpers of the validator: JSON type names and the library's `equals`.

use serde_json::Value;

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
    match (v, j) {
        (Value::Null, Json::Null) => true,
        (Value::Bool(a), Json::Bool(b)) => a == b,
        (Value::String(a), Json::String(b)) => a == b,
        (Value::Number(_), Json::Number(b) | Json::String(b)) => {
            Decimal::of_value(v).is_some_and(|a| Decimal::parse(b) == Some(a))
        }
        (Value::Array(a), Json::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equals(x, y)),
        (Value::Object(a), Json::Object(b)) => {
            a.len() == b.len() && b.iter().all(|(k, y)| a.get(k).is_some_and(|x| equals(x, y)))
        }
        _ => false,
    }
}

/// `equals` between two instance values, `a` playing `v1`.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => Decimal::of_value(a) == Decimal::of_value(b),
        (Value::Number(_), Value::String(s)) => Decimal::of_value(a).is_some_and(|x| Decimal::parse(s) == Some(x)),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| values_equal(a, b)))
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
