//! `glidepath_helm::toml` against outputs recorded from Helm v4.2.3
//! (`tests/data/yaml/record_toml.py` writes `toml_cases.json`).

use glidepath_helm::toml::{from_toml, to_toml};
use serde_json::{Number, Value};

fn cases() -> Value {
    serde_json::from_str(include_str!("data/yaml/toml_cases.json")).unwrap_or(Value::Null)
}

/// Values reach Helm as JSON, so every number is a Go float64 there.
fn as_go(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().and_then(Number::from_f64).map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(as_go).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), as_go(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn to_toml_matches_helm() {
    let all = cases();
    let list = all["to_toml"].as_array().cloned().unwrap_or_default();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &list {
        let Some(want) = case["out"].as_str() else { continue };
        checked += 1;
        // Helm renders the encoder's error text in place of the document.
        let got = match to_toml(&as_go(&case["in"])) {
            Ok(text) => format!("{text}\n"),
            Err(e) => format!("{e}\n"),
        };
        if got != want {
            failures.push(format!("to_toml {}\n  want {want:?}\n  got  {got:?}", case["in"]));
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    eprintln!("to_toml: {} of {checked} cases pass", checked - failures.len());
    assert!(failures.is_empty());
}

#[test]
fn from_toml_matches_helm() {
    let all = cases();
    let list = all["from_toml"].as_array().cloned().unwrap_or_default();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &list {
        let text = case["in"].as_str().unwrap_or_default();
        let Some(want) = case.get("out") else { continue };
        checked += 1;
        let got = from_toml(text);
        let ok = match (want.get("Error"), &got) {
            (Some(w), Err(e)) => w.as_str() == Some(e.to_string().as_str()),
            (None, Ok(map)) => as_go(&Value::Object(map.clone())) == as_go(want),
            _ => false,
        };
        if !ok {
            failures.push(format!("from_toml {text:?}\n  want {want}\n  got  {got:?}"));
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    eprintln!("from_toml: {} of {checked} cases pass", checked - failures.len());
    assert!(failures.is_empty());
}

#[test]
fn toml_integers_stay_integers() {
    let map = from_toml("a = 1\nb = 1.0\n").unwrap_or_default();
    assert!(map["a"].is_i64());
    assert!(map["b"].is_f64());
}
