//! Table tests for JSON merge patch (RFC 7386) and JSON patch (RFC 6902).

use glidepath_patch::{PatchError, apply_json_patch, merge_patch};
use serde_json::{Value, json};

#[test]
fn merge_patch_rfc7386_examples() {
    let cases: Vec<(Value, Value, Value)> = vec![
        (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
        (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
        (json!({"a": "b"}), json!({"a": null}), json!({})),
        (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
        (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
        (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
        (json!({"a": {"b": "c"}}), json!({"a": {"b": "d", "c": null}}), json!({"a": {"b": "d"}})),
        (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
        (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
        (json!({"a": "b"}), json!(["c"]), json!(["c"])),
        (json!({"a": "foo"}), json!(null), json!(null)),
        (json!({"a": "foo"}), json!("bar"), json!("bar")),
        (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
        (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
        (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
    ];
    for (i, (mut target, patch, want)) in cases.into_iter().enumerate() {
        merge_patch(&mut target, &patch);
        assert_eq!(target, want, "case {i}");
    }
}

#[test]
fn json_patch_operations() {
    let doc = json!({"foo": "bar", "list": [1, 2, 3], "obj": {"a/b": 1, "m~n": 2}});
    let cases: Vec<(Value, Value)> = vec![
        (json!([{"op": "add", "path": "/baz", "value": "qux"}]), json!({"baz": "qux"})),
        (json!([{"op": "add", "path": "/list/1", "value": 9}]), json!({"list": [1, 9, 2, 3]})),
        (json!([{"op": "add", "path": "/list/-", "value": 4}]), json!({"list": [1, 2, 3, 4]})),
        (json!([{"op": "remove", "path": "/list/0"}]), json!({"list": [2, 3]})),
        (json!([{"op": "replace", "path": "/foo", "value": 1}]), json!({"foo": 1})),
        (json!([{"op": "remove", "path": "/obj/a~1b"}]), json!({"obj": {"a/b": null}})),
        (json!([{"op": "replace", "path": "/obj/m~0n", "value": 3}]), json!({"obj": {"a/b": 1, "m~n": 3}})),
        (json!([{"op": "move", "from": "/foo", "path": "/moved"}]), json!({"foo": null, "moved": "bar"})),
        (json!([{"op": "copy", "from": "/list/2", "path": "/list/0"}]), json!({"list": [3, 1, 2, 3]})),
        (
            json!([{"op": "test", "path": "/foo", "value": "bar"}, {"op": "remove", "path": "/foo"}]),
            json!({"foo": null}),
        ),
    ];
    for (i, (ops, changes)) in cases.into_iter().enumerate() {
        let mut got = doc.clone();
        apply_json_patch(&mut got, &ops).unwrap_or_else(|e| panic!("case {i}: {e}"));
        let mut want = doc.clone();
        merge_patch(&mut want, &changes);
        assert_eq!(got, want, "case {i}");
    }
}

#[test]
fn json_patch_errors_name_op_index_and_path() {
    let cases: Vec<(Value, usize, &str)> = vec![
        (json!([{"op": "remove", "path": "/missing"}]), 0, "/missing"),
        (json!([{"op": "add", "path": "/a", "value": 1}, {"op": "replace", "path": "/x/y", "value": 1}]), 1, "/x/y"),
        (json!([{"op": "test", "path": "/a", "value": 2}]), 0, "/a"),
        (json!([{"op": "add", "path": "/list/9", "value": 1}]), 0, "/list/9"),
        (json!([{"op": "move", "from": "/obj", "path": "/obj/child"}]), 0, "/obj/child"),
        (json!([{"op": "bogus", "path": "/a"}]), 0, "/a"),
        (json!([{"op": "add", "path": "/b"}]), 0, "/b"),
    ];
    for (i, (ops, want_index, want_path)) in cases.into_iter().enumerate() {
        let mut doc = json!({"a": 1, "list": [1], "obj": {}});
        match apply_json_patch(&mut doc, &ops) {
            Err(PatchError::ApplyJsonPatchOp { index, path, .. }) => {
                assert_eq!((index, path.as_str()), (want_index, want_path), "case {i}");
            }
            other => panic!("case {i}: expected an op error, got {other:?}"),
        }
    }
    assert!(matches!(apply_json_patch(&mut json!({}), &json!({})), Err(PatchError::ParseJsonPatch { .. })));
}
