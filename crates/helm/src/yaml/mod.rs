//! YAML exactly as Helm 4 reads and writes it.
//!
//! - [`to_yaml`]: `sigs.k8s.io/yaml.Marshal` (json.Marshal, then go-yaml v2 re-reads that JSON
//!   and marshals it: natural key order, YAML 1.1 look-alikes quoted, literal blocks, lines
//!   folded at 80 columns). Helm's `toYaml` is this with one trailing newline trimmed.
//! - [`to_yaml_pretty`]: Helm's `toYamlPretty` (a go-yaml v3 encoder with indent 2).
//! - [`from_yaml`], [`from_yaml_map`], [`from_yaml_array`]: `sigs.k8s.io/yaml.Unmarshal` into
//!   `interface{}`, `map[string]interface{}` and `[]interface{}`: go-yaml v2's YAML 1.1
//!   resolution and decoding, then a JSON round trip, so every number is a float64 (held as a
//!   serde_json f64). Errors carry Go's message text.
//!
//! The emitter is a port of go-yaml's libyaml emitter (`emit`, `scalar`) fed by the
//! encoders (`encode` for v2 via JSON, `pretty` for v3) with go-yaml's resolver
//! (`resolve`). Parsing uses granit-parser's events (`compose`) after go-yaml's reader
//! rules (`input`), with go-yaml's decoding on top (`decode`) and libyaml's error texts and
//! line numbers (`errors`).
//!
//! Bounds: nesting deeper than 1000 levels is refused, alias expansion is limited by go-yaml's
//! own excessive-aliasing ratio, and work is linear in the input size.

mod compose;
mod decode;
mod emit;
mod encode;
mod errors;
mod input;
mod pretty;
mod resolve;
mod scalar;

use serde_json::{Map, Value};

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` (shared with the TOML encoder).
pub(crate) use resolve::format_float_g as go_format_float;

/// A YAML decoding failure; `Display` is exactly the message Go's sigs.k8s.io/yaml returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    /// go-yaml refused the document (syntax, anchors, tags, merges).
    #[error("error converting YAML to JSON: yaml: {0}")]
    Yaml(String),
    /// The decoded document has no JSON form (a null or unsupported key, NaN, infinity).
    #[error("error converting YAML to JSON: {0}")]
    Convert(String),
    /// The JSON form does not fit the requested Go type.
    #[error(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {found} into Go value of type {target}"
    )]
    Type {
        /// JSON's name of what was found: `array`, `object`, `string`, `number`, `bool`.
        found: &'static str,
        /// The Go type asked for.
        target: &'static str,
    },
}

/// `sigs.k8s.io/yaml.Marshal(v)`: the full output, final newline included. A string that
/// go-yaml cannot read back from json.Marshal's text (DEL, C1 controls, U+FFFE/U+FFFF) makes
/// Marshal fail; Helm's `toYaml` then yields `""`, and so does this.
pub fn to_yaml(v: &Value) -> String {
    match encode::v2_node(v) {
        Ok(node) => emit::Emitter::new(2, true).document(&node),
        Err(encode::Unencodable) => String::new(),
    }
}

/// Helm's `toYamlPretty` before its trailing-newline trim: go-yaml v3's encoder with
/// `SetIndent(2)` on the Go value (numbers are float64 unless they are integers in `v`).
pub fn to_yaml_pretty(v: &Value) -> String {
    emit::Emitter::v3(2).document(&pretty::v3_node(v))
}

/// `sigs.k8s.io/yaml.Unmarshal(text, &out)` with `out interface{}`: the first document, `null`
/// for an empty one.
pub fn from_yaml(text: &str) -> Result<Value, YamlError> {
    let doc = compose::compose(text)?;
    decode::to_json(decode::decode(&doc)?)
}

/// `sigs.k8s.io/yaml.Unmarshal(text, &out)` with `out map[string]interface{}` (Helm's
/// `fromYaml` and values files): an empty or `null` document gives an empty map.
pub fn from_yaml_map(text: &str) -> Result<Map<String, Value>, YamlError> {
    match from_yaml(text)? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        other => Err(type_error(&other, "map[string]interface {}")),
    }
}

/// `sigs.k8s.io/yaml.Unmarshal(text, &out)` with `out []interface{}` (Helm's `fromYamlArray`).
pub fn from_yaml_array(text: &str) -> Result<Vec<Value>, YamlError> {
    match from_yaml(text)? {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        other => Err(type_error(&other, "[]interface {}")),
    }
}

fn type_error(found: &Value, target: &'static str) -> YamlError {
    let found = match found {
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
    };
    YamlError::Type { found, target }
}
