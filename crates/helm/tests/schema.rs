//! Replays Helm v4's recorded `values.schema.json` validations
//! (`tests/data/schema/cases.json`, made by `record.py` from Helm itself) against
//! `glidepath_helm::schema`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use glidepath_helm::schema::{self, SchemaChart};
use serde_json::{Map, Value, json};

fn load() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/schema/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One `- at …` line and the lines indented under it.
struct Node {
    line: String,
    children: Vec<Node>,
}

fn render(n: &Node, depth: usize, out: &mut Vec<String>) {
    out.push(format!("{}{}", "  ".repeat(depth), n.line));
    for c in &n.children {
        render(c, depth + 1, out);
    }
}

fn sorted_line(line: &str) -> String {
    // `additional properties 'b', 'a' not allowed` lists follow Go's map order.
    if let Some((head, rest)) = line.split_once("additional properties ")
        && let Some(list) = rest.strip_suffix(" not allowed")
    {
        let mut items: Vec<&str> = list.split(", ").collect();
        items.sort_unstable();
        return format!("{head}additional properties {} not allowed", items.join(", "));
    }
    line.to_string()
}

fn canon_nodes(mut nodes: Vec<Node>) -> Vec<Node> {
    for n in &mut nodes {
        n.children = canon_nodes(std::mem::take(&mut n.children));
    }
    let key = |n: &Node| {
        let mut v = Vec::new();
        render(n, 0, &mut v);
        v.join("\n")
    };
    nodes.sort_by_key(key);
    nodes
}

/// Sorts sibling error lines (Go's map iteration order is random); other lines stay put.
fn canon(msg: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut stack: Vec<(usize, Node)> = Vec::new();
    let mut roots: Vec<Node> = Vec::new();
    let flush = |stack: &mut Vec<(usize, Node)>, roots: &mut Vec<Node>| {
        while let Some((_, n)) = stack.pop() {
            match stack.last_mut() {
                Some((_, p)) => p.children.push(n),
                None => roots.push(n),
            }
        }
    };
    for line in msg.split('\n') {
        let trimmed = line.trim_start_matches(' ');
        let depth = (line.len() - trimmed.len()) / 2;
        if !trimmed.starts_with("- ") {
            flush(&mut stack, &mut roots);
            for r in canon_nodes(std::mem::take(&mut roots)) {
                render(&r, 0, &mut out);
            }
            out.push(line.to_string());
            continue;
        }
        while stack.last().is_some_and(|(d, _)| *d >= depth) {
            let (_, n) = stack.pop().unwrap();
            match stack.last_mut() {
                Some((_, p)) => p.children.push(n),
                None => roots.push(n),
            }
        }
        stack.push((depth, Node { line: sorted_line(trimmed), children: Vec::new() }));
    }
    flush(&mut stack, &mut roots);
    for r in canon_nodes(roots) {
        render(&r, 0, &mut out);
    }
    out.join("\n")
}

fn check(failures: &mut Vec<String>, what: &str, got: Option<String>, want: &Value) {
    let want = want.as_str().map(str::to_string);
    let same = match (&got, &want) {
        // Helm fetches what we refuse; the refusal keeps Helm's `failing loading "<url>"` head.
        (Some(g), Some(w)) if w.contains("failing loading ") => {
            let head = |s: &str| s.split(": ").next().map(str::to_string);
            head(g) == head(w) && g.contains("glidepath does not load")
        }
        (Some(g), Some(w)) => canon(g) == canon(w),
        (None, None) => true,
        _ => false,
    };
    if !same {
        failures.push(format!("{what}\n  got:  {got:?}\n  want: {want:?}"));
    }
}

#[test]
fn single_schemas_match_helm() {
    let data = load();
    let mut failures = Vec::new();
    let mut n = 0;
    for case in data["single"].as_array().unwrap() {
        let schema = case["schema"].as_str().unwrap();
        for (v, want) in case["values"].as_array().unwrap().iter().zip(case["expect"].as_array().unwrap()) {
            n += 1;
            let got = schema::validate_against_schema(schema.as_bytes(), v).err().map(|e| format!("t:\n{e}"));
            check(&mut failures, &format!("schema {schema}\nvalues {v}"), got, want);
        }
    }
    assert!(failures.is_empty(), "{} of {n} failed:\n{}", failures.len(), failures.join("\n"));
    assert!(n > 150);
}

/// What Helm's coalescing gives each subchart before validation: its own map (`{}` when
/// absent) with the parent's `global` merged in.
fn coalesce(values: &Value, subs: &[Value]) -> Map<String, Value> {
    let mut top = values.as_object().cloned().unwrap_or_default();
    let global = top.get("global").cloned().unwrap_or_else(|| json!({}));
    for s in subs {
        let name = s[0].as_str().unwrap();
        let mut sub = top.get(name).and_then(Value::as_object).cloned().unwrap_or_default();
        let mut g = sub.get("global").and_then(Value::as_object).cloned().unwrap_or_default();
        for (k, v) in global.as_object().unwrap() {
            g.insert(k.clone(), v.clone());
        }
        sub.insert("global".into(), Value::Object(g));
        top.insert(name.into(), Value::Object(sub));
    }
    top
}

#[test]
fn chart_trees_match_helm() {
    let data = load();
    let mut failures = Vec::new();
    for case in data["charts"].as_array().unwrap() {
        let bytes = |v: &Value| v.as_str().map(|s| s.as_bytes().to_vec());
        let subs = case["subs"].as_array().unwrap();
        let chart = SchemaChart {
            name: "parent".into(),
            schema: bytes(&case["parent"]),
            dependencies: subs
                .iter()
                .map(|s| SchemaChart {
                    name: s[0].as_str().unwrap().into(),
                    schema: bytes(&s[1]),
                    dependencies: vec![],
                })
                .collect(),
        };
        for (v, want) in case["values"].as_array().unwrap().iter().zip(case["expect"].as_array().unwrap()) {
            // Helm walks dependencies in random order: compare chart sections sorted.
            let sections = |s: &str| {
                let mut parts: Vec<String> = Vec::new();
                for line in s.split_inclusive('\n') {
                    match parts.last_mut() {
                        Some(p) if line.starts_with(['-', ' ']) => p.push_str(line),
                        _ => parts.push(line.to_string()),
                    }
                }
                parts.iter_mut().for_each(|p| *p = canon(p));
                parts.sort();
                parts.join("")
            };
            let got = schema::validate_chart(&chart, &coalesce(v, subs)).err().map(|e| sections(e.details()));
            let want = Value::from(want.as_str().map(sections));
            check(&mut failures, &format!("chart {case}\nvalues {v}"), got, &want);
        }
    }
    assert!(failures.is_empty(), "{} failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn chart_error_carries_helms_prefix_and_subchart_type_errors() {
    let chart = SchemaChart {
        name: "top".into(),
        schema: Some(br#"{"properties":{"age":{"minimum":0}}}"#.to_vec()),
        dependencies: vec![SchemaChart { name: "sub".into(), schema: None, dependencies: vec![] }],
    };
    let values = json!({"age": -5, "sub": 3});
    let err = schema::validate_chart(&chart, values.as_object().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "values don't meet the specifications of the schema(s) in the following chart(s):\n\
         top:\n- at '/age': minimum: got -5, want 0\n\
         sub:\ninvalid type for values: expected object (map), got int64\n"
    );
    let ok = json!({"age": 1});
    assert!(schema::validate_chart(&chart, ok.as_object().unwrap()).is_ok());
}

#[test]
fn deep_values_and_schemas_are_bounded() {
    let mut v = json!(1);
    for _ in 0..2000 {
        v = Value::Array(vec![v]);
    }
    let schema = br##"{"$defs":{"n":{"type":["array","integer"],"items":{"$ref":"#/$defs/n"}}},"$ref":"#/$defs/n"}"##;
    let err = schema::validate_against_schema(schema, &v).unwrap_err();
    assert!(err.to_string().contains("validation nested deeper than"), "{err}");
    let deep_schema = format!("{}{{}}{}", r#"{"items":"#.repeat(1000), "}".repeat(1000));
    schema::validate_against_schema(deep_schema.as_bytes(), &json!([[1]])).unwrap();
    // Go's JSON nesting limit, and a deep `const` against an equally deep value.
    let arrays = format!("{}{}", "[".repeat(9999), "]".repeat(9999));
    assert!(schema::validate_against_schema(arrays.as_bytes(), &json!({})).is_err());
    let deep_const = format!(r#"{{"const":{}1{}}}"#, "[".repeat(5000), "]".repeat(5000));
    let mut v = json!(1);
    for _ in 0..5000 {
        v = Value::Array(vec![v]);
    }
    let err = schema::validate_against_schema(deep_const.as_bytes(), &v).unwrap_err();
    assert_eq!(err.to_string(), "- at '': 'const' failed\n");
    // The value's own drop is recursive (serde_json); keep it off this thread's stack budget.
    std::mem::forget(v);
}

/// Recorded from Helm v4.2.3 with a `top` → `mid` → `leaf` chart (values as Helm coalesces
/// them: every subchart has its map and a `global`).
#[test]
fn nested_subcharts_are_walked_with_their_scoped_values() {
    let leaf = SchemaChart {
        name: "leaf".into(),
        schema: Some(br#"{"required":["z"],"properties":{"global":{"required":["g"]}}}"#.to_vec()),
        dependencies: vec![],
    };
    let mid = SchemaChart {
        name: "mid".into(),
        schema: Some(br#"{"properties":{"m":{"type":"integer"}}}"#.to_vec()),
        dependencies: vec![leaf],
    };
    let top = SchemaChart { name: "top".into(), schema: None, dependencies: vec![mid] };
    let cases = [
        (
            json!({"mid": {"global": {}, "leaf": {"global": {}}}}),
            Some("leaf:\n- at '': missing property 'z'\n- at '/global': missing property 'g'\n"),
        ),
        (
            json!({"mid": {"m": "x", "global": {}, "leaf": {"z": 1, "global": {}}}}),
            Some("mid:\n- at '/m': got string, want integer\nleaf:\n- at '/global': missing property 'g'\n"),
        ),
        (json!({"global": {"g": 1}, "mid": {"global": {"g": 1}, "leaf": {"z": 1, "global": {"g": 1}}}}), None),
    ];
    for (values, want) in cases {
        let got = schema::validate_chart(&top, values.as_object().unwrap()).err();
        assert_eq!(got.as_ref().map(|e| e.details()), want, "{values}");
    }
}

#[test]
fn format_checks_do_not_panic_on_multibyte_text() {
    let schema = br#"{"$schema":"http://json-schema.org/draft-07/schema#","properties":{
        "e":{"format":"email"},"t":{"format":"time"},"d":{"format":"date"},"dt":{"format":"date-time"},
        "u":{"format":"uri"},"i":{"format":"ipv6"},"h":{"format":"hostname"},"p":{"format":"duration"}}}"#;
    for s in ["\"aé@b", "12:00:0éZ", "20é0-01-01", "2020-01-01Té0:00:00Z", "é:/", "é:é", "é.é", "Pé", "\"é\"@é"]
    {
        for k in ["e", "t", "d", "dt", "u", "i", "h", "p"] {
            let _ = schema::validate_against_schema(schema, &json!({ k: s }));
        }
    }
}
