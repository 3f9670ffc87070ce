//! Unit tests of structural-schema pruning, defaulting and validation.

use serde_json::{Value, json};

use super::{Schema, admit};

fn fields(schema: &Value, mut obj: Value) -> (Vec<String>, Value) {
    let s = Schema::new(schema.clone());
    let a = admit(&s, &mut obj, None);
    (a.causes.into_iter().map(|c| format!("{}|{}", c.reason, c.field)).collect(), obj)
}

fn root(spec: Value) -> Value {
    json!({"type": "object", "properties": {"spec": spec}})
}

#[test]
fn prunes_unknown_fields_but_keeps_preserved_and_embedded() {
    let schema = root(json!({
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "emb": {"type": "object", "x-kubernetes-embedded-resource": true, "properties": {"spec": {"type": "object"}}},
            "map": {"type": "object", "additionalProperties": {"type": "object", "properties": {"k": {"type": "string"}}}}
        }
    }));
    let obj = json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "n"}, "extra": 1,
        "spec": {"a": "1", "b": 2, "free": {"z": {"y": 1}}, "emb": {"apiVersion": "v1", "kind": "K", "metadata": {}, "junk": 1},
                 "map": {"one": {"k": "v", "drop": true}}}});
    let s = Schema::new(schema);
    let mut o = obj;
    let a = admit(&s, &mut o, None);
    assert!(a.causes.is_empty(), "{:?}", a.causes);
    assert_eq!(
        o,
        json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "n"},
        "spec": {"a": "1", "free": {"z": {"y": 1}}, "emb": {"apiVersion": "v1", "kind": "K", "metadata": {}},
                 "map": {"one": {"k": "v"}}}})
    );
    let mut pruned = a.pruned;
    pruned.sort();
    assert_eq!(pruned, ["extra", "spec.b", "spec.emb.junk", "spec.map.one.drop"]);
}

#[test]
fn defaults_nested_and_inside_defaults() {
    let schema = root(json!({
        "type": "object",
        "properties": {
            "d": {"type": "object", "default": {}, "properties": {"x": {"type": "integer", "default": 3}}},
            "list": {"type": "array", "items": {"type": "object", "properties": {"p": {"type": "string", "default": "TCP"}}}}
        }
    }));
    let (causes, obj) = fields(&schema, json!({"spec": {"list": [{}, {"p": "UDP"}]}}));
    assert!(causes.is_empty());
    assert_eq!(obj["spec"], json!({"d": {"x": 3}, "list": [{"p": "TCP"}, {"p": "UDP"}]}));
}

#[test]
fn validation_keywords_name_the_field() {
    let schema = root(json!({
        "type": "object",
        "required": ["r"],
        "properties": {
            "r": {"type": "string"},
            "e": {"type": "string", "enum": ["a", "b"]},
            "n": {"type": "number", "minimum": 1, "maximum": 5},
            "x": {"type": "integer", "minimum": 0, "exclusiveMinimum": true},
            "s": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"},
            "l": {"type": "array", "maxItems": 1, "items": {"type": "integer"}},
            "ios": {"x-kubernetes-int-or-string": true},
            "nul": {"type": "string", "nullable": true},
            "o": {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}], "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}},
            "any": {"type": "object", "anyOf": [{"required": ["a"]}], "properties": {"a": {"type": "integer"}}},
            "not": {"type": "object", "not": {"required": ["a"]}, "properties": {"a": {"type": "integer"}}}
        }
    }));
    let ok = json!({"spec": {"r": "x", "e": "a", "n": 5, "x": 1, "s": "ab", "l": [1], "ios": "80%", "nul": null,
        "o": {"a": 1}, "any": {"a": 1}, "not": {}}});
    let (causes, obj) = fields(&schema, ok);
    assert!(causes.is_empty(), "{causes:?}");
    assert!(obj["spec"]["nul"].is_null());
    let bad = json!({"spec": {"e": "c", "n": 6, "x": 0, "s": "ABCD", "l": [1, "2"], "ios": true,
        "o": {"a": 1, "b": 2}, "any": {}, "not": {"a": 1}}});
    let (causes, _) = fields(&schema, bad);
    let want = [
        "FieldValueRequired|spec.r",
        "FieldValueNotSupported|spec.e",
        "FieldValueInvalid|spec.n",
        "FieldValueInvalid|spec.x",
        "FieldValueInvalid|spec.s",
        "FieldValueInvalid|spec.s",
        "FieldValueTooMany|spec.l",
        "FieldValueTypeInvalid|spec.l[1]",
        "FieldValueTypeInvalid|spec.ios",
        "FieldValueInvalid|spec.o",
        "FieldValueInvalid|spec.any",
        "FieldValueInvalid|spec.not",
    ];
    let mut got = causes.clone();
    got.sort();
    let mut want: Vec<String> = want.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn null_in_non_nullable_field_is_dropped_then_required_fires() {
    let schema = root(json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}));
    let (causes, obj) = fields(&schema, json!({"spec": {"a": null}}));
    assert_eq!(causes, ["FieldValueRequired|spec.a"]);
    assert_eq!(obj["spec"], json!({}));
}

#[test]
fn list_types_reject_duplicates() {
    let schema = root(json!({
        "type": "object",
        "properties": {
            "set": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "map": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {"name": {"type": "string"}, "v": {"type": "integer"}}}}
        }
    }));
    let (causes, _) =
        fields(&schema, json!({"spec": {"set": ["a", "b"], "map": [{"name": "x", "v": 1}, {"name": "y", "v": 1}]}}));
    assert!(causes.is_empty(), "{causes:?}");
    let (causes, _) =
        fields(&schema, json!({"spec": {"set": ["a", "a"], "map": [{"name": "x", "v": 1}, {"name": "x", "v": 2}]}}));
    assert_eq!(causes, ["FieldValueDuplicate|spec.map[1]", "FieldValueDuplicate|spec.set[1]"]);
}
