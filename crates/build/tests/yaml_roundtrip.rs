//! The emitter must round-trip: parsing our output gives back the same values.

use std::path::Path;

use glidepath_build::{parse_yaml_stream, to_yaml_stream};
use serde_json::{Value, json};

const TRICKY: &[&str] = &[
    "",
    " leading",
    "trailing ",
    "a: b",
    "#comment",
    "a #b",
    "- x",
    "-x",
    ":x",
    "?x",
    "*",
    "&anchor",
    "!tag",
    "|pipe",
    ">fold",
    "'single'",
    "\"double\"",
    "quote'and\"double",
    "%pct",
    "@at",
    "`tick",
    "back\\slash",
    "true",
    "False",
    "yes",
    "No",
    "on",
    "Off",
    "null",
    "~",
    "1",
    "-1",
    "1.5",
    "1e3",
    "0x1F",
    "0o17",
    ".inf",
    "1_000",
    "867-5301",
    "1Gi",
    "90%",
    "45 2 * * *",
    "multi\nline\n",
    "multi\nline",
    "multi\n\n",
    "\nleading newline\n",
    " leading space\nnext\n",
    "\n\n  indented after blanks\n",
    "\n",
    "line with trailing space \nnext",
    "tab\there",
    "cr\rhere",
    "control\u{1}char",
    "unicode é ✓ 日本",
    "---",
    "...",
    "key: [x]",
    "{braces}",
    "[brackets]",
    "a,b",
    "http://example.com/x?y=1#frag",
];

#[test]
fn tricky_strings_round_trip_as_values_and_keys() {
    for s in TRICKY {
        let obj = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "annotations": {*s: *s}},
            "data": {"v": s, "list": [s, {"k": s}], "nested": [[s]]},
        });
        let text = to_yaml_stream(std::slice::from_ref(&obj)).expect("emit");
        let back = parse_yaml_stream(&text, Path::new("<test>")).unwrap_or_else(|e| panic!("{s:?}: {e:?}\n{text}"));
        assert_eq!(back, vec![obj], "{s:?} did not round-trip:\n{text}");
    }
}

#[test]
fn long_strings_fold_and_round_trip() {
    let words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt";
    let longs = [
        format!("{words} {words} {words}"),
        format!("{words}  double  spaces  {words}  {words}"),
        format!("- {words} {words}"),
        format!("{words}: {words} {words} 'quoted'"),
        format!("{words}\u{1}{words} {words}"),
        format!("{words} \"dq\" {words}   {words} \\ end "),
        format!("{}x {words}", "y".repeat(120)),
    ];
    for s in &longs {
        let obj = json!({"k": s, "list": [s, {"deep": {"deeper": s}}]});
        let text = to_yaml_stream(std::slice::from_ref(&obj)).expect("emit");
        let back = parse_yaml_stream(&text, Path::new("<test>")).unwrap_or_else(|e| panic!("{s:?}: {e:?}\n{text}"));
        assert_eq!(back, vec![obj], "{s:?} did not round-trip:\n{text}");
        assert!(text.lines().count() > 3, "long strings fold:\n{text}");
    }
}

#[test]
fn scalars_and_empty_collections_round_trip() {
    let objs: Vec<Value> = vec![
        json!({"a": 1, "b": -2.5, "c": true, "d": null, "e": [], "f": {}, "g": [1, [2, 3], {"h": []}]}),
        json!({"list": [{"a": 1, "b": {"c": [true, false]}}, {}, []]}),
    ];
    let text = to_yaml_stream(&objs).expect("emit");
    let back = parse_yaml_stream(&text, Path::new("<test>")).expect("parse");
    assert_eq!(back, objs, "{text}");
}
