//! Shared table-driving helpers: Go's test data as JSON, Go's test functions, and a runner
//! that prints `N passed, M failed` per table.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

pub mod fmtargs;

use glidepath_gotmpl::{Func, FuncMap, Numbers, Param, Template, Value};

/// Go's `tVal`, as the interface{} tree Helm would feed (maps for structs).
pub const TVAL: &str = r#"{
  "True": true, "I": 17, "U16": 16, "X": "x", "S": "xyz", "U": {"V": "v"}, "FloatZero": 0.0,
  "SI": [3, 4, 5], "SIEmpty": [], "SB": [true, false], "AI": [3, 4, 5],
  "MSI": {"one": 1, "two": 2, "three": 3}, "MSIone": {"one": 1}, "MSIEmpty": {}, "MXI": {"one": 1},
  "SMSI": [{"one": 1, "two": 2}, {"eleven": 11, "twelve": 12}],
  "Empty0": null, "Empty1": 3, "Empty2": "empty2", "Empty3": [7, 8], "Empty4": {"V": "UinEmpty"},
  "PI": 23, "PS": "a string", "PSI": [21, 22, 23], "NIL": null, "Uthree": 3, "Ufour": 4, "NegOne": -1, "Three": 3
}"#;

/// `"tval"`, `""` (nil) or a JSON document (integers preserved).
pub fn data(spec: &str) -> Value {
    match spec {
        "" => Value::Nil,
        "tval" => data(TVAL),
        json => Value::from_json(&serde_json::from_str(json).expect("test JSON"), Numbers::PreserveInts),
    }
}

/// The functions Go's exec_test.go registers (those that make sense without Go values).
pub fn test_funcs() -> FuncMap {
    use Param::{Any, Int, String};
    let mut m = FuncMap::new();
    m.insert(
        "add",
        Func::variadic(&[], Int, |a| {
            Ok(Value::Int(a.iter().map(|v| if let Value::Int(i) = v { *i } else { 0 }).sum()))
        }),
    );
    m.insert("echo", Func::pure(&[Any], |a| Ok(a[0].clone())));
    m.insert(
        "makemap",
        Func::variadic(&[], String, |a| {
            let mut m = std::collections::BTreeMap::new();
            for kv in a.chunks(2) {
                m.insert(kv[0].as_str().unwrap().to_string(), kv[1].clone());
            }
            Ok(Value::map(m))
        }),
    );
    m.insert("oneArg", Func::pure(&[String], |a| Ok(Value::str(format!("oneArg={}", a[0].as_str().unwrap())))));
    m.insert(
        "twoArgs",
        Func::pure(&[String, String], |a| {
            Ok(Value::str(format!("twoArgs={}{}", a[0].as_str().unwrap(), a[1].as_str().unwrap())))
        }),
    );
    m.insert("dddArg", Func::variadic(&[Int], String, |a| Ok(Value::str(glidepath_gotmpl::fmt::sprintln(a)))));
    m.insert("typeOf", Func::pure(&[Any], |a| Ok(Value::str(glidepath_gotmpl::fmt::sprintf("%T", a)))));
    m.insert("zeroArgs", Func::pure(&[], |_| Ok(Value::str("zeroArgs"))));
    m.insert("returnInt", Func::pure(&[], |_| Ok(Value::Int(7))));
    m.insert("valueString", Func::pure(&[String], |_| Ok(Value::str("value is ignored"))));
    m.insert("mapOfThree", Func::pure(&[], |_| Ok(data(r#"{"three": 3}"#))));
    m.insert(
        "count",
        Func::pure(&[Int], |a| {
            let Value::Int(n) = a[0] else { unreachable!() };
            if n == 0 {
                return Ok(Value::Nil);
            }
            Ok(Value::list((0..n).map(|i| Value::str(&"abcdefghijklmnop"[i as usize..=i as usize])).collect()))
        }),
    );
    m.insert("fail", Func::pure(&[], |_| Err("my error".into())));
    m.insert(
        "half",
        Func::pure(&[Param::Float], |a| Ok(Value::Float(if let Value::Float(x) = a[0] { x / 2.0 } else { f64::NAN }))),
    );
    m.insert("neg", Func::pure(&[Param::Bool], |a| Ok(Value::Bool(!a[0].truth()))));
    m.insert(
        "first",
        Func::pure(&[Param::List], |a| {
            Ok(if let Value::List(l) = &a[0] { l.first().cloned().unwrap_or_default() } else { Value::Nil })
        }),
    );
    m.insert(
        "keys",
        Func::pure(&[Param::Map], |a| {
            Ok(if let Value::Map(m) = &a[0] {
                Value::list(m.keys().into_iter().map(Value::str).collect())
            } else {
                Value::Nil
            })
        }),
    );
    m
}

/// Parses `input` as template `name` with the test functions and executes it with `data`.
pub fn run(name: &str, input: &str, data: &Value) -> Result<String, String> {
    let mut t = Template::new(name);
    t.funcs(&test_funcs());
    t.parse(input).map_err(|e| e.to_string())?;
    t.execute(data).map_err(|e| e.to_string())
}

/// What a case expects: output, or an error containing the text.
#[derive(Debug, Clone, Copy)]
pub enum Want {
    Out(&'static str),
    Err(&'static str),
}

/// Checks one result; `None` when it matches.
pub fn check(name: &str, got: &Result<String, String>, want: Want) -> Option<String> {
    match (got, want) {
        (Ok(out), Want::Out(w)) if out == w => None,
        (Err(e), Want::Err(w)) if e.contains(w) => None,
        _ => Some(format!("{name}: want {want:?}, got {got:?}")),
    }
}

/// Prints `table: N passed, M failed` (and each failure) and panics on failures.
pub fn report(table: &str, failures: &[String], total: usize) {
    for f in failures {
        println!("FAIL {f}");
    }
    println!("{table}: {} passed, {} failed", total - failures.len(), failures.len());
    assert!(failures.is_empty(), "{table}: {} of {total} cases failed", failures.len());
}
