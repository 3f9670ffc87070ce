//! Property tests (proptest, small case counts) for the YAML parser/emitter and the patch functions:
//! random input never panics, and the round-trip and algebraic laws hold.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use glidepath_build::{parse_yaml_stream, to_yaml_stream};
use glidepath_patch::{SmpMode, apply_json_patch, merge_patch, strategic_merge};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

/// `cases` per property (`PROPTEST_CASES` overrides it for a longer search); no regression files.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// Strings that stress YAML quoting: indicators, keywords, numbers, whitespace, newlines, unicode.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{0,8}",
        prop::sample::select(vec![
            "",
            " ",
            "true",
            "False",
            "yes",
            "no",
            "on",
            "off",
            "null",
            "~",
            "1",
            "-1",
            "0x1F",
            "1e3",
            ".5",
            "1_000",
            "0o17",
            "+1",
            ".inf",
            "-.Inf",
            ".nan",
            "08",
            "2026-11-22",
            "12:30",
            "- x",
            "a: b",
            "a #b",
            "#c",
            "*x",
            "&a",
            "!t",
            "|",
            ">",
            "'",
            "\"",
            "%",
            "@",
            "`",
            "{",
            "}",
            "[",
            "]",
            ",",
            "?",
            ":",
            "a:",
            "-",
            "---",
            "...",
            "\t",
            "tab\tin",
            "trail ",
            " lead",
            "multi\nline",
            "multi\nline\n",
            "\n",
            "\n\nx",
            "x\n\n",
            "back\\slash",
            "uni\u{e9}",
            "\u{1F600}",
            "nul\u{7f}",
            "=",
            "<<",
        ])
        .prop_map(str::to_string),
        "[ -~\\n\\t]{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[a-z][a-zA-Z0-9./_-]{0,8}", 1 => tricky_string()]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::sample::select(vec![0.5, -1.25, 3.0e-5, 1.0e21, 123.456]).prop_map(|f: f64| json!(f)),
        tricky_string().prop_map(Value::String),
    ]
}

/// Random JSON values, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Random JSON objects (what a YAML document of a resource is).
fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), json_value(), 1..6).prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// Objects with a small key alphabet, so that patches and documents overlap.
fn overlapping_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0i64..4).prop_map(Value::from),
        prop::sample::select(vec!["a", "b", "replace", "delete", "merge"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        let k = prop::sample::select(vec![
            "a",
            "b",
            "c",
            "name",
            "containers",
            "ports",
            "$patch",
            "$retainKeys",
            "$setElementOrder/containers",
            "$deleteFromPrimitiveList/args",
            "args",
            "env",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(k, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// Pointers to every object and array inside `v`.
fn containers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(at.clone());
            for (k, child) in m {
                containers(child, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            out.push(at.clone());
            for (i, child) in items.iter().enumerate() {
                containers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(config(192))]

    /// Emitting then parsing gives back the same documents.
    #[test]
    fn yaml_stream_round_trips(docs in prop::collection::vec(json_object(), 1..4)) {
        let text = to_yaml_stream(&docs).unwrap();
        let back = parse_yaml_stream(&text, Path::new("roundtrip.yaml"))
            .unwrap_or_else(|e| panic!("cannot parse our own output: {e}\n{text}"));
        prop_assert_eq!(&back, &docs, "{}", text);
        // Emitting is deterministic and stable.
        prop_assert_eq!(to_yaml_stream(&back).unwrap(), text);
    }

    /// The parser never panics on arbitrary text.
    #[test]
    fn yaml_parser_never_panics(text in "[ -~\\n\\t]{0,80}") {
        let _ = parse_yaml_stream(&text, Path::new("random.yaml"));
    }

    /// The parser never panics on YAML-looking text either.
    #[test]
    fn yaml_parser_never_panics_on_yamlish(lines in prop::collection::vec(
        (0usize..6, prop::sample::select(vec!["a:", "- ", "b: c", "---", "|", ">-", "&x", "*x", "!!str", "? k", "{", "[", "\"", "'", "#", "<<: *x", "- - x", "k: [1, {a: b}]"]), "[a-z0-9 ]{0,4}"),
        0..10,
    )) {
        let text: String = lines.iter().map(|(i, tok, rest)| format!("{}{tok}{rest}\n", " ".repeat(*i))).collect();
        let _ = parse_yaml_stream(&text, Path::new("random.yaml"));
    }

    /// Merge patch never panics, and applying the same patch twice equals applying it once.
    #[test]
    fn merge_patch_is_idempotent(doc in json_value(), patch in json_value()) {
        let mut once = doc.clone();
        merge_patch(&mut once, &patch);
        let mut twice = once.clone();
        merge_patch(&mut twice, &patch);
        prop_assert_eq!(&once, &twice);
        // A patch that is not an object replaces the document; an empty object patch keeps objects.
        if !patch.is_object() {
            prop_assert_eq!(&once, &patch);
        }
        if doc.is_object() {
            let mut same = doc.clone();
            merge_patch(&mut same, &json!({}));
            prop_assert_eq!(&same, &doc);
        }
    }

    /// The result of a merge patch has every non-null scalar and array of the patch.
    #[test]
    fn merge_patch_values_win(doc in json_object(), patch in json_object()) {
        let mut out = doc.clone();
        merge_patch(&mut out, &patch);
        if let (Value::Object(p), Value::Object(o)) = (&patch, &out) {
            for (k, v) in p {
                match v {
                    Value::Null => prop_assert!(!o.contains_key(k)),
                    Value::Object(_) => prop_assert!(o.get(k).is_some_and(Value::is_object)),
                    other => prop_assert_eq!(o.get(k), Some(other)),
                }
            }
        }
    }

    /// Adding a value anywhere then removing it restores the document.
    #[test]
    fn json_patch_add_then_remove_restores(
        doc in json_object(),
        value in json_value(),
        pick in any::<prop::sample::Index>(),
        slot in any::<prop::sample::Index>(),
        new_key in "[a-z~/]{1,6}",
    ) {
        let mut targets = Vec::new();
        containers(&doc, String::new(), &mut targets);
        let parent = pick.get(&targets).clone();
        let path = match doc.pointer(&parent) {
            Some(Value::Array(items)) => format!("{parent}/{}", slot.index(items.len() + 1)),
            Some(Value::Object(m)) => {
                let mut k = new_key.clone();
                while m.contains_key(&k) {
                    k.push('x');
                }
                format!("{parent}/{}", k.replace('~', "~0").replace('/', "~1"))
            }
            _ => unreachable!(),
        };
        let mut patched = doc.clone();
        let ops = json!([{"op": "add", "path": path, "value": value}, {"op": "test", "path": path, "value": value}]);
        apply_json_patch(&mut patched, &ops).unwrap_or_else(|e| panic!("{ops}: {e}"));
        prop_assert_ne!(&patched, &doc);
        apply_json_patch(&mut patched, &json!([{"op": "remove", "path": path}])).unwrap();
        prop_assert_eq!(&patched, &doc);
        // The same as one patch; and appending to an array with "-".
        let mut both = doc.clone();
        apply_json_patch(&mut both, &json!([{"op": "add", "path": path, "value": value}, {"op": "remove", "path": path}])).unwrap();
        prop_assert_eq!(&both, &doc);
    }

    /// Copy then remove of the copy restores the document; move there and back too.
    #[test]
    fn json_patch_copy_and_move_laws(doc in json_object(), pick in any::<prop::sample::Index>()) {
        let Value::Object(m) = &doc else { unreachable!() };
        let keys: Vec<&String> = m.keys().collect();
        let key = pick.get(&keys).replace('~', "~0").replace('/', "~1");
        let from = format!("/{key}");
        let to = "/__copy__";
        let mut copied = doc.clone();
        apply_json_patch(&mut copied, &json!([{"op": "copy", "from": from, "path": to}, {"op": "remove", "path": to}])).unwrap();
        prop_assert_eq!(&copied, &doc);
        let mut moved = doc.clone();
        apply_json_patch(&mut moved, &json!([{"op": "move", "from": from, "path": to}])).unwrap();
        prop_assert!(moved.pointer(&from).is_none());
        prop_assert_eq!(moved.pointer(to), doc.pointer(&from));
        apply_json_patch(&mut moved, &json!([{"op": "move", "from": to, "path": from}])).unwrap();
        prop_assert_eq!(&moved, &doc);
    }

    /// Random JSON patch operations never panic (they apply or fail with an error).
    #[test]
    fn json_patch_never_panics(doc in json_value(), ops in prop::collection::vec((
        prop::sample::select(vec!["add", "remove", "replace", "move", "copy", "test", "bogus"]),
        prop::sample::select(vec!["", "/", "/a", "/a/b", "/a/0", "/a/-", "/0", "/-", "/a~1b", "/a~0b", "/~2", "a", "/a/99999999999999999999", "/a/01"]),
        prop::option::of(json_value()),
        prop::option::of(prop::sample::select(vec!["", "/a", "/b", "/a/0", "/a/b/c"])),
    ), 0..5)) {
        let ops: Vec<Value> = ops
            .into_iter()
            .map(|(op, path, value, from)| {
                let mut m = Map::new();
                m.insert("op".into(), op.into());
                m.insert("path".into(), path.into());
                if let Some(v) = value { m.insert("value".into(), v); }
                if let Some(f) = from { m.insert("from".into(), f.into()); }
                Value::Object(m)
            })
            .collect();
        let mut d = doc;
        let _ = apply_json_patch(&mut d, &Value::Array(ops));
    }

    /// Strategic merge never panics on random (overlapping) documents and patches, for any kind.
    #[test]
    fn strategic_merge_never_panics(
        kind in prop::sample::select(vec!["Deployment", "Service", "ConfigMap", "Pod", "Widget"]),
        doc in overlapping_value(),
        patch in overlapping_value(),
        kustomize in any::<bool>(),
    ) {
        let mode = if kustomize { SmpMode::Kustomize } else { SmpMode::Kubernetes };
        let mut original = json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}});
        merge_patch(&mut original, &json!({"spec": doc.clone()}));
        let _ = strategic_merge(&original, &json!({"spec": patch.clone()}), mode);
        let _ = strategic_merge(&doc, &patch, mode);
    }

    /// Without lists and directives, a strategic merge patch is a JSON merge patch, and idempotent.
    #[test]
    fn strategic_merge_of_plain_maps_is_a_merge_patch(doc in map_only(), patch in map_only()) {
        let mut original = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
        merge_patch(&mut original, &json!({"data": doc}));
        let patch = json!({"data": patch});
        let got = strategic_merge(&original, &patch, SmpMode::Kustomize).unwrap().unwrap();
        let mut want = original.clone();
        merge_patch(&mut want, &patch);
        prop_assert_eq!(&got, &want);
        let again = strategic_merge(&got, &patch, SmpMode::Kustomize).unwrap().unwrap();
        prop_assert_eq!(&again, &got);
    }
}

/// Nested maps of plain keys with scalar leaves (no lists, no `$` directives).
fn map_only() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![Just(Value::Null), (0i64..3).prop_map(Value::from), "[a-c]".prop_map(Value::from)];
    leaf.prop_recursive(3, 30, 4, |inner| {
        prop::collection::btree_map("[a-d]", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect()))
    })
}
