//! Placeholder until the Go-compatible YAML module lands: serde-saphyr with YAML 1.1 rules.

use serde_json::Value as Json;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct YamlError(String);

fn floats(v: Json) -> Json {
    match v {
        Json::Number(n) => n.as_f64().and_then(serde_json::Number::from_f64).map_or(Json::Null, Json::Number),
        Json::Array(a) => Json::Array(a.into_iter().map(floats).collect()),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, v)| (k, floats(v))).collect()),
        other => other,
    }
}

pub fn from_yaml(text: &str) -> Result<Json, YamlError> {
    let options = serde_saphyr::options! { strict_booleans: false, legacy_octal_numbers: true };
    let docs: Vec<Json> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| YamlError(format!("error converting YAML to JSON: yaml: {e}")))?;
    Ok(floats(docs.into_iter().next().unwrap_or(Json::Null)))
}

fn ints(v: &Json) -> Json {
    match v {
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => Json::from(f as i64),
            _ => v.clone(),
        },
        Json::Array(a) => Json::Array(a.iter().map(ints).collect()),
        Json::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), ints(v))).collect()),
        other => other.clone(),
    }
}

pub fn to_yaml(v: &Json) -> String {
    serde_saphyr::to_string(&ints(v)).unwrap_or_default()
}

pub fn to_yaml_pretty(v: &Json) -> String {
    to_yaml(v)
}
