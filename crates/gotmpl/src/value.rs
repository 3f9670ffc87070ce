//! The values templates see: what Helm feeds `text/template` (decoded YAML/JSON, i.e. Go's
//! `interface{}` trees), plus byte strings and an opaque escape hatch for later crates.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A value a later crate defines (a Go struct such as Helm's `.Capabilities` or `.Files`, a
/// time, a semver...). Printing, truth, the Go type name, fields and methods come from the
/// implementation.
pub trait Opaque: fmt::Debug + Send + Sync {
    /// The Go type name, as `%T` and error messages print it.
    fn type_name(&self) -> String;
    /// What `%v` / `{{ . }}` prints.
    fn display(&self) -> String;
    /// Go's `IsTrue` for the value (structs are always true).
    fn truth(&self) -> bool {
        true
    }
    /// Downcasting support for the crate that defined the value.
    fn as_any(&self) -> &dyn std::any::Any;
    /// A field (`.Name` on a Go struct), if the value has one by that name.
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    /// A method (`.Name arg...` on a Go value), called with the command's arguments; methods
    /// win over fields, as in Go.
    fn method(&self, _name: &str) -> Option<crate::Func> {
        None
    }
    /// The elements, when the Go value is a slice or map underneath (Helm's `VersionSet` is a
    /// `[]string`; `files` a map): `range`, `len` and `index` use them.
    fn elements(&self) -> Option<Value> {
        None
    }
    /// The key/value pairs, when the Go value is a map whose keys are not strings (Flux's
    /// `map[ObjectIdentifier][]Change`): `range $k, $v` binds each key as a value, in the
    /// order given (Go's `range` sorts keys; implementations return them sorted).
    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        None
    }
}

/// A template value. Maps have string keys and iterate in sorted key order, as Go's
/// `fmt` and `range` do. Containers are reference counted, so cloning is cheap.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Go's invalid `reflect.Value`: "no value" (a missing map key under `missingkey=default`,
    /// a nil looked at through an interface). Prints as `<no value>`; functions receive it as
    /// [`Value::Nil`] (or as is, for [`crate::Param::Value`] parameters).
    #[default]
    Invalid,
    /// A nil `interface{}` (JSON `null`).
    Nil,
    Bool(bool),
    /// Go `int` (64-bit), also `int64` from decoders that preserve integers.
    Int(i64),
    /// Go `float64`.
    Float(f64),
    String(Arc<str>),
    /// Go `[]byte`.
    Bytes(Arc<[u8]>),
    /// Go `[]interface{}`.
    List(Arc<Vec<Value>>),
    /// Go `map[string]interface{}`: shared and mutable, as Go maps are.
    Map(crate::Dict),
    /// A value defined outside this crate.
    Opaque(Arc<dyn Opaque>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Invalid, Invalid) | (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (String(a), String(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (List(a), List(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Opaque(a), Opaque(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// Nesting [`Value::to_json`] follows before it calls a value cyclic.
const JSON_DEPTH: usize = 10_000;

/// How JSON numbers become values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// Every number is a `float64`, as Go's `encoding/json` decodes into `interface{}` (and so
    /// as Helm's values are: `1000000` prints `1e+06`).
    Float64,
    /// Integers that fit an `int64` stay integers (as `json.Number`/YAML decoders give);
    /// other numbers are `float64`.
    PreserveInts,
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    /// A map value.
    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(crate::Dict::new(entries))
    }

    /// Converts a JSON value, choosing how numbers decode.
    pub fn from_json(json: &serde_json::Value, numbers: Numbers) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match (numbers, n.as_i64()) {
                (Numbers::PreserveInts, Some(i)) => Value::Int(i),
                _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(a) => Value::list(a.iter().map(|v| Value::from_json(v, numbers)).collect()),
            serde_json::Value::Object(o) => {
                Value::map(o.iter().map(|(k, v)| (k.clone(), Value::from_json(v, numbers))).collect())
            }
        }
    }

    /// Converts back to JSON: nil and no value become `null`, non-finite floats `null`,
    /// bytes a base64 string (as Go's `encoding/json`), opaque values their printed form.
    /// Containers nested deeper than 10 000 levels (a map that contains itself) become `null`;
    /// [`Value::try_to_json`] reports them as Go's encoder does.
    pub fn to_json(&self) -> serde_json::Value {
        self.to_json_within(JSON_DEPTH).unwrap_or(serde_json::Value::Null)
    }

    /// [`Value::to_json`], failing with Go's `encoding/json` message on a cycle.
    pub fn try_to_json(&self) -> Result<serde_json::Value, String> {
        self.to_json_within(JSON_DEPTH)
            .ok_or_else(|| "json: unsupported value: encountered a cycle via map[string]interface {}".to_string())
    }

    fn to_json_within(&self, depth: usize) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        if depth == 0 && matches!(self, Value::List(_) | Value::Map(_)) {
            return None;
        }
        Some(match self {
            Value::Invalid | Value::Nil => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.to_string()),
            Value::Bytes(b) => J::String(base64(b)),
            Value::List(l) => J::Array(l.iter().map(|v| v.to_json_within(depth - 1)).collect::<Option<_>>()?),
            Value::Map(m) => J::Object(
                m.entries().into_iter().map(|(k, v)| Some((k, v.to_json_within(depth - 1)?))).collect::<Option<_>>()?,
            ),
            Value::Opaque(o) => J::String(o.display()),
        })
    }

    /// Go's `IsTrue`: zero values, empty strings, lists and maps, nil and no value are false.
    pub fn truth(&self) -> bool {
        match self {
            Value::Invalid | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Opaque(o) => o.truth(),
        }
    }

    /// The Go type name (`%T`, error messages). No value prints as `<nil>`, as `%T` of nil does.
    pub fn type_name(&self) -> String {
        match self {
            Value::Invalid | Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Opaque(o) => o.type_name(),
        }
    }

    /// The string inside a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// No value or nil.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Invalid | Value::Nil)
    }

    /// The bool inside a bool value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer inside an int value.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The float inside a float value.
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The items of a list value.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The map inside a map value (shared: mutations are seen by every holder).
    pub fn as_map(&self) -> Option<&crate::Dict> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    /// What `{{ . }}` prints (Go's `fmt.Print` of the value; no value is `<no value>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::fmt::print_value(self))
    }
}

impl From<serde_json::Value> for Value {
    /// Numbers decode as `float64`, as Go's `encoding/json` does into `interface{}` (Helm's
    /// values). Use [`Value::from_json`] with [`Numbers::PreserveInts`] to keep integers.
    fn from(json: serde_json::Value) -> Self {
        Value::from_json(&json, Numbers::Float64)
    }
}

impl From<&Value> for serde_json::Value {
    fn from(v: &Value) -> Self {
        v.to_json()
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::str(s)
    }
}

impl From<Vec<Value>> for Value {
    fn from(l: Vec<Value>) -> Self {
        Value::list(l)
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Value::map(m)
    }
}

/// Standard base64 with padding, as Go's `encoding/json` encodes `[]byte` (and Helm's
/// `.Files.AsSecrets`).
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_go() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn json_numbers() {
        let j = serde_json::json!({"a": 1, "b": 1.5, "c": [null, true]});
        let f = Value::from(j.clone());
        let Value::Map(m) = &f else { panic!() };
        assert_eq!(m.get("a").unwrap(), Value::Float(1.0));
        let i = Value::from_json(&j, Numbers::PreserveInts);
        let Value::Map(m) = &i else { panic!() };
        assert_eq!(m.get("a").unwrap(), Value::Int(1));
        assert_eq!(i.to_json(), j);
        assert_eq!(i.to_string(), "map[a:1 b:1.5 c:[<nil> true]]");
        assert_eq!(f.to_string(), "map[a:1 b:1.5 c:[<nil> true]]");
        assert_eq!(Value::Invalid.to_string(), "<no value>");
        let Value::Map(m) = &i else { panic!() };
        assert_eq!(m.get("c").unwrap().as_list().map(<[Value]>::len), Some(2));
        assert_eq!(m.get("a").unwrap().as_int(), Some(1));
        assert_eq!(m.get("b").unwrap().as_float(), Some(1.5));
        assert_eq!(i.as_map().map(crate::Dict::len), Some(3));
        assert_eq!(Value::Bool(true).as_bool(), Some(true));
    }
}
