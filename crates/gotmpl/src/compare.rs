//! `eq`, `lt`, `le` as Go's `funcs.go` defines them: basic kinds compare within their kind
//! (an int never equals a float), nil compares with anything in `eq`, other kinds are
//! refused with Go's messages.

use crate::value::Value;

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
}

fn basic(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Invalid,
    }
}

/// The `reflect.Kind` of non-basic values, for "non-comparable types".
fn reflect_kind(v: &Value) -> u8 {
    match v {
        Value::Invalid | Value::Nil => 0,
        Value::List(_) | Value::Bytes(_) => 1,
        Value::Map(_) => 2,
        Value::Opaque(_) => 3,
        _ => 4,
    }
}

fn show(v: &Value) -> String {
    crate::fmt::sprint(std::slice::from_ref(v))
}

pub(crate) fn eq(a: &Value, rest: &[Value]) -> Result<bool, String> {
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic(a);
    for b in rest {
        let k2 = basic(b);
        let truth = if k1 != k2 {
            if !a.is_nil() && !b.is_nil() {
                return Err(format!("incompatible types for comparison: {} and {}", a.type_name(), b.type_name()));
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x), Value::Int(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                _ => {
                    let (r1, r2) = (reflect_kind(a), reflect_kind(b));
                    if r1 != r2 && r1 != 0 && r2 != 0 {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            show(a),
                            a.type_name(),
                            b.type_name(),
                            show(b)
                        ));
                    }
                    if a.is_nil() || b.is_nil() {
                        a.is_nil() == b.is_nil()
                    } else if let (Value::Opaque(x), Value::Opaque(y)) = (a, b) {
                        std::sync::Arc::ptr_eq(x, y)
                    } else {
                        return Err(format!("non-comparable type {}: {}", show(b), b.type_name()));
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(crate) fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (basic(a), basic(b));
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return Err("invalid type for comparison".into());
    }
    if k1 != k2 {
        return Err(format!("incompatible types for comparison: {} and {}", a.type_name(), b.type_name()));
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::String(x), Value::String(y)) => x < y,
        _ => return Err("invalid type for comparison".into()),
    })
}

pub(crate) fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b))
}
