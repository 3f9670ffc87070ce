//! Replays Helm v4's recorded `--set` family behaviour (`tests/data/strvals/cases.json`, made
//! by `record.py` from Helm itself) against `glidepath_helm::strvals`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use glidepath_helm::strvals::{self, StrvalsError};
use serde_json::{Map, Value};

fn load() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/strvals/cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Numbers compared by value: the oracle's JSON round trip loses int64 vs float64.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// `--set` integers are int64 and `--set-json` numbers float64, as in Helm.
fn check_number_kinds(mode: &str, v: &Value) {
    match v {
        Value::Number(n) if mode == "set" => assert!(n.is_i64(), "{n} should be i64"),
        Value::Number(n) if mode == "json" => assert!(n.is_f64(), "{n} should be f64"),
        Value::Array(a) => a.iter().for_each(|v| check_number_kinds(mode, v)),
        Value::Object(m) => m.values().for_each(|v| check_number_kinds(mode, v)),
        _ => {}
    }
}

fn run(mode: &str, expr: &str, files: &Map<String, Value>) -> Result<Value, StrvalsError> {
    let mut base = Map::new();
    let mut read = |p: &str| match files.get(p).and_then(Value::as_str) {
        Some(s) => Ok(s.to_string()),
        None => Err(format!("open {p}: no such file or directory")),
    };
    match mode {
        "set" => strvals::parse(expr, &mut base),
        "string" => strvals::parse_string(expr, &mut base),
        "json" => strvals::parse_json(expr, &mut base),
        "literal" => strvals::parse_literal(expr, &mut base),
        "file" => strvals::parse_file(expr, &mut base, &mut read),
        other => panic!("unknown mode {other}"),
    }
    .map(|()| Value::Object(base))
}

#[test]
fn recorded_cases_match_helm() {
    let data = load();
    let files = data["files"].as_object().unwrap();
    let cases = data["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let mode = case["mode"].as_str().unwrap();
        let expr = case["expr"].as_str().unwrap();
        let got = run(mode, expr, files);
        let ok = match (&got, case.get("ok"), case.get("err")) {
            (Ok(v), Some(want), _) => {
                check_number_kinds(mode, v);
                same(v, want)
            }
            (Err(e), _, Some(want)) => e.to_string() == want.as_str().unwrap(),
            _ => false,
        };
        if !ok {
            failures.push(format!("{mode} {expr:?}: got {got:?}, want {case}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(cases.len() > 800);
}

#[test]
fn flags_apply_in_order_onto_one_map() {
    let mut base = Map::new();
    strvals::parse("a.b=1,list={x,y}", &mut base).unwrap();
    strvals::parse_string("a.c=2", &mut base).unwrap();
    strvals::parse_json(r#"list[1]={"k":true}"#, &mut base).unwrap();
    strvals::parse_literal("a.b=x,y", &mut base).unwrap();
    assert_eq!(
        Value::Object(base.clone()),
        serde_json::json!({"a": {"b": "x,y", "c": "2"}, "list": ["x", {"k": true}]})
    );
    let err = strvals::parse("a.b.c=1", &mut base).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to parse key: interface conversion: interface {} is string, not map[string]interface {}"
    );
}

#[test]
fn existing_values_of_other_kinds_are_reported_with_go_type_names() {
    let mut base = Map::new();
    strvals::parse_json("f=1.5,n=null", &mut base).unwrap();
    let err = strvals::parse("f[0]=1", &mut base).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to parse key: interface conversion: interface {} is float64, not []interface {}"
    );
    let err = strvals::parse("n[0]=1", &mut base).unwrap_err();
    assert!(err.to_string().ends_with("interface {} is nil, not []interface {}"));
}

#[test]
fn file_reader_errors_are_passed_through() {
    let mut base = Map::new();
    let mut read = |p: &str| -> Result<String, String> { Err(format!("nope: {p}")) };
    let err = strvals::parse_file("a=/x", &mut base, &mut read).unwrap_err();
    assert_eq!(err, StrvalsError::File("nope: /x".into()));
}

#[test]
fn deep_json_is_bounded() {
    let mut base = Map::new();
    let deep = format!("a={}", "[".repeat(20_000));
    let err = strvals::parse_json(&deep, &mut base).unwrap_err();
    assert_eq!(err.to_string(), "exceeded max depth");
    let ok = format!("a={}{}", "[".repeat(9_999), "]".repeat(9_999));
    strvals::parse_json(&ok, &mut base).unwrap();
}

#[test]
fn deep_keys_are_bounded_not_overflowing() {
    let mut base = Map::new();
    let ok = format!("a{}=1", "[0]".repeat(150));
    strvals::parse(&ok, &mut base).unwrap();
    for expr in [format!("a{}=1", "[0]".repeat(100_000)), format!("a{}=1", "[0].b".repeat(50_000))] {
        let err = strvals::parse(&expr, &mut Map::new()).unwrap_err();
        assert_eq!(err, StrvalsError::TooDeepNesting);
        assert_eq!(err.to_string(), "key nesting is deeper than 200 levels");
    }
}
