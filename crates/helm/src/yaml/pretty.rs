//! Helm's `toYamlPretty`: go-yaml v3's encoder (`SetIndent(2)`) on the Go value itself, with
//! no JSON round trip: float64s are written with `strconv.FormatFloat(f, 'g', -1, 64)`
//! (`1e+06`), YAML 1.1 booleans (`yes`, `on`) are still quoted, keys in natural order.

use serde_json::Value;

use super::emit::{Node, Style};
use super::encode::natural_cmp;
use super::resolve::{Resolved, format_float_g, is_base60_float, resolve};

/// The node go-yaml v3 marshals for `v`.
pub(crate) fn v3_node(v: &Value) -> Node {
    match v {
        Value::Null => Node::Scalar("null".into(), Style::Plain),
        Value::Bool(b) => Node::Scalar(b.to_string(), Style::Plain),
        Value::Number(n) => {
            let text = match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => i.to_string(),
                (None, Some(u)) => u.to_string(),
                _ => format_float_g(n.as_f64().unwrap_or(0.0)),
            };
            Node::Scalar(text, Style::Plain)
        }
        Value::String(s) => v3_string(s),
        Value::Array(items) => Node::Seq(items.iter().map(v3_node).collect()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| natural_cmp(a, b, true));
            Node::Map(keys.into_iter().map(|k| (v3_string(k), v3_node(&map[k]))).collect())
        }
    }
}

/// go-yaml v3's `stringv`: v3 resolves fewer booleans than v2 but quotes the old ones anyway,
/// so the plain/quoted decision is v2's.
fn v3_string(s: &str) -> Node {
    let style = if s.contains('\n') {
        Style::Literal
    } else if resolve(s) == Resolved::Str && !is_base60_float(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    };
    Node::Scalar(s.to_owned(), style)
}
