//! Removal of fields an applier stops applying, as table tests ported from
//! structured-merge-diff (sigs.k8s.io/structured-merge-diff, `merge/nested_test.go`,
//! `merge/multiple_appliers_test.go`, `merge/set_test.go`, `merge/default_keys_test.go`), run
//! through a CRD-style `openAPIV3Schema` equivalent to upstream's test schemas. Each case names
//! its upstream test. Not ported: multi-version conversions, the deduced (untyped) root, and
//! upstream's ordering of merged lists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod fixture;

use fixture::{Case, Op, run};
use glidepath_ssa::OpenApiSchema;
use glidepath_ssa::Operation::{Apply as A, Update as U};
use serde_json::{Value, json};

fn check(cases: &[Case]) {
    let root = fixture::schema();
    run(cases, &OpenApiSchema::new(&root));
}

const KA: &str = r#"k:{"name":"a"}"#;
const KB: &str = r#"k:{"name":"b"}"#;
const KC: &str = r#"k:{"name":"c"}"#;
const KD: &str = r#"k:{"name":"d"}"#;

/// An item owned with only its `name`: upstream's `_P(list, _KBF("name", x))` and `name`.
fn item() -> Value {
    json!({".": {}, "f:name": {}})
}

#[test]
fn nested_types_drop_the_old_key_whole() {
    check(&[
        // merge/nested_test.go TestUpdateNestedType "listOfLists_change_key_and_value"
        Case {
            name: "listOfLists_change_key_and_value",
            ops: vec![
                Op::Apply("default", json!({"listOfLists": [{"name": "a", "value": ["b", "c"]}]})),
                Op::Apply("default", json!({"listOfLists": [{"name": "b", "value": ["a", "c"]}]})),
            ],
            object: json!({"listOfLists": [{"name": "b", "value": ["a", "c"]}]}),
            managed: Some(vec![(
                "default",
                A,
                json!({"f:listOfLists": {KB: {".": {}, "f:name": {}, "f:value": {r#"v:"a""#: {}, r#"v:"c""#: {}}}}}),
            )]),
        },
        // merge/nested_test.go TestUpdateNestedType "listOfMaps_change_key_and_value"
        Case {
            name: "listOfMaps_change_key_and_value",
            ops: vec![
                Op::Apply("default", json!({"listOfMaps": [{"name": "a", "value": {"b": "x", "c": "y"}}]})),
                Op::Apply("default", json!({"listOfMaps": [{"name": "b", "value": {"a": "x", "c": "z"}}]})),
            ],
            object: json!({"listOfMaps": [{"name": "b", "value": {"a": "x", "c": "z"}}]}),
            managed: Some(vec![(
                "default",
                A,
                json!({"f:listOfMaps": {KB: {".": {}, "f:name": {}, "f:value": {"f:a": {}, "f:c": {}}}}}),
            )]),
        },
        // merge/nested_test.go TestUpdateNestedType "mapOfLists_change_key_and_value"
        Case {
            name: "mapOfLists_change_key_and_value",
            ops: vec![
                Op::Apply("default", json!({"mapOfLists": {"a": ["b", "c"]}})),
                Op::Apply("default", json!({"mapOfLists": {"b": ["a", "c"]}})),
            ],
            object: json!({"mapOfLists": {"b": ["a", "c"]}}),
            managed: Some(vec![(
                "default",
                A,
                json!({"f:mapOfLists": {"f:b": {".": {}, r#"v:"a""#: {}, r#"v:"c""#: {}}}}),
            )]),
        },
        // merge/nested_test.go TestUpdateNestedType "mapOfMaps_change_key_and_value"
        Case {
            name: "mapOfMaps_change_key_and_value",
            ops: vec![
                Op::Apply("default", json!({"mapOfMaps": {"a": {"b": "x", "c": "y"}}})),
                Op::Apply("default", json!({"mapOfMaps": {"b": {"a": "x", "c": "z"}}})),
            ],
            object: json!({"mapOfMaps": {"b": {"a": "x", "c": "z"}}}),
            managed: Some(vec![("default", A, json!({"f:mapOfMaps": {"f:b": {".": {}, "f:a": {}, "f:c": {}}}}))]),
        },
        // merge/nested_test.go TestUpdateNestedType "mapOfMapsRecursive_change_middle_key"
        Case {
            name: "mapOfMapsRecursive_change_middle_key",
            ops: vec![
                Op::Apply("default", json!({"mapOfMapsRecursive": {"a": {"b": {"c": null}}}})),
                Op::Apply("default", json!({"mapOfMapsRecursive": {"a": {"d": {"c": null}}}})),
            ],
            object: json!({"mapOfMapsRecursive": {"a": {"d": {"c": null}}}}),
            managed: Some(vec![(
                "default",
                A,
                json!({"f:mapOfMapsRecursive": {"f:a": {".": {}, "f:d": {".": {}, "f:c": {}}}}}),
            )]),
        },
    ]);
}

#[test]
fn a_struct_whose_fields_all_go_goes_too() {
    check(&[
        // merge/nested_test.go TestUpdateNestedType "struct_apply_remove_all": the struct is
        // removed, not left as `struct: {}` (the Canary `spec.autoscalerRef` bug).
        Case {
            name: "struct_apply_remove_all",
            ops: vec![
                Op::Apply("default", json!({"struct": {"name": "a", "value": 1}})),
                Op::Apply("default", json!({})),
            ],
            object: json!({}),
            managed: Some(vec![]),
        },
        // merge/nested_test.go TestUpdateNestedType "struct_apply_remove_dangling": the applier
        // still applies the struct (as null), so it stays, emptied to null as remove.go does.
        Case {
            name: "struct_apply_remove_dangling",
            ops: vec![
                Op::Apply("default", json!({"struct": {"name": "a"}})),
                Op::Apply("default", json!({"struct": null})),
            ],
            object: json!({"struct": null}),
            managed: Some(vec![("default", A, json!({"f:struct": {}}))]),
        },
        // merge/nested_test.go TestUpdateNestedType "struct_apply_update_remove_all": a field an
        // updater owns keeps its parent.
        Case {
            name: "struct_apply_update_remove_all",
            ops: vec![
                Op::Apply("default", json!({"struct": {"name": "a"}})),
                Op::Update("controller", json!({"struct": {"name": "a", "value": 1}})),
                Op::Apply("default", json!({})),
            ],
            object: json!({"struct": {"value": 1}}),
            managed: Some(vec![("controller", U, json!({"f:struct": {"f:value": {}}}))]),
        },
        // merge/nested_test.go TestUpdateNestedType "struct_apply_update_dict_dangling" and
        // "struct_apply_update_dict_null": `{}` or null applied over a filled struct adds nothing.
        Case {
            name: "struct_apply_update_dict_dangling",
            ops: vec![
                Op::Apply("default", json!({"struct": {"name": "a"}})),
                Op::Update("controller", json!({"struct": {"name": "a", "value": 1}})),
                Op::Apply("default", json!({"struct": {}})),
            ],
            object: json!({"struct": {"value": 1}}),
            managed: None,
        },
        Case {
            name: "struct_apply_update_dict_null",
            ops: vec![
                Op::Apply("default", json!({"struct": {"name": "a"}})),
                Op::Update("controller", json!({"struct": {"name": "a", "value": 1}})),
                Op::Apply("default", json!({"struct": null})),
            ],
            object: json!({"struct": {"value": 1}}),
            managed: None,
        },
        // merge/nested_test.go TestUpdateNestedType "struct_apply_update_took_over"
        Case {
            name: "struct_apply_update_took_over",
            ops: vec![
                Op::Apply("default", json!({"struct": {"name": "a"}})),
                Op::Update("controller", json!({"struct": {"name": "b", "value": 1}})),
                Op::Apply("default", json!({"struct": null})),
            ],
            object: json!({"struct": {"name": "b", "value": 1}}),
            managed: None,
        },
    ]);
}

#[test]
fn keyed_items_go_unless_another_applier_owns_them() {
    check(&[
        // merge/multiple_appliers_test.go TestMultipleAppliersSet "remove_one"
        Case {
            name: "remove_one",
            ops: vec![
                Op::Apply("apply-one", json!({"list": [{"name": "a"}, {"name": "b"}]})),
                Op::Apply("apply-two", json!({"list": [{"name": "c"}]})),
                Op::Apply("apply-one", json!({"list": [{"name": "a"}]})),
            ],
            object: json!({"list": [{"name": "a"}, {"name": "c"}]}),
            managed: Some(vec![
                ("apply-one", A, json!({"f:list": {KA: item()}})),
                ("apply-two", A, json!({"f:list": {KC: item()}})),
            ]),
        },
        // merge/multiple_appliers_test.go TestMultipleAppliersSet "remove_one_keep_one"
        Case {
            name: "remove_one_keep_one",
            ops: vec![
                Op::Apply("apply-one", json!({"list": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})),
                Op::Apply("apply-two", json!({"list": [{"name": "c"}, {"name": "d"}]})),
                Op::Apply("apply-one", json!({"list": [{"name": "a"}]})),
            ],
            object: json!({"list": [{"name": "a"}, {"name": "c"}, {"name": "d"}]}),
            managed: Some(vec![
                ("apply-one", A, json!({"f:list": {KA: item()}})),
                ("apply-two", A, json!({"f:list": {KC: item(), KD: item()}})),
            ]),
        },
        // merge/multiple_appliers_test.go TestMultipleAppliersSet "change_value_yes_conflict"
        Case {
            name: "change_value_yes_conflict",
            ops: vec![
                Op::Apply("apply-one", json!({"list": [{"name": "a", "value": 0}]})),
                Op::Conflicts("apply-two", json!({"list": [{"name": "a", "value": 1}]}), &[".list[name=\"a\"].value"]),
            ],
            object: json!({"list": [{"name": "a", "value": 0}]}),
            managed: Some(vec![("apply-one", A, json!({"f:list": {KA: {".": {}, "f:name": {}, "f:value": {}}}}))]),
        },
    ]);
}

#[test]
fn sub_items_follow_their_item() {
    let b_with = |values: Value| json!({"listOfLists": [{"name": "a"}, {"name": "b", "value": values}]});
    check(&[
        // merge/multiple_appliers_test.go TestMultipleAppliersNestedType
        // "remove_one_keep_one_with_two_sub_items"
        Case {
            name: "remove_one_keep_one_with_two_sub_items",
            ops: vec![
                Op::Apply("apply-one", b_with(json!(["c"]))),
                Op::Apply("apply-two", json!({"listOfLists": [{"name": "b", "value": ["d"]}]})),
                Op::Apply("apply-one", json!({"listOfLists": [{"name": "a"}]})),
            ],
            object: b_with(json!(["d"])),
            managed: Some(vec![
                ("apply-one", A, json!({"f:listOfLists": {KA: item()}})),
                ("apply-two", A, json!({"f:listOfLists": {KB: {".": {}, "f:name": {}, "f:value": {r#"v:"d""#: {}}}}})),
            ]),
        },
        // ... "remove_one_keep_one_with_dangling_subitem": an updater's set member stays.
        Case {
            name: "remove_one_keep_one_with_dangling_subitem",
            ops: vec![
                Op::Apply("apply-one", b_with(json!(["c"]))),
                Op::Apply("apply-two", json!({"listOfLists": [{"name": "b", "value": ["d"]}]})),
                Op::Update("controller", b_with(json!(["c", "d", "e"]))),
                Op::Apply("apply-one", json!({"listOfLists": [{"name": "a"}]})),
            ],
            object: b_with(json!(["d", "e"])),
            managed: Some(vec![
                ("apply-one", A, json!({"f:listOfLists": {KA: item()}})),
                ("apply-two", A, json!({"f:listOfLists": {KB: {".": {}, "f:name": {}, "f:value": {r#"v:"d""#: {}}}}})),
                ("controller", U, json!({"f:listOfLists": {KB: {"f:value": {r#"v:"e""#: {}}}}})),
            ]),
        },
        // ... "remove_one_with_dangling_subitem_keep_one": nobody else owns item b itself, so it
        // goes with the member an updater added to it.
        Case {
            name: "remove_one_with_dangling_subitem_keep_one",
            ops: vec![
                Op::Apply("apply-one", b_with(json!(["c"]))),
                Op::Apply("apply-two", json!({"listOfLists": [{"name": "a", "value": ["b"]}]})),
                Op::Update(
                    "controller",
                    json!({"listOfLists": [{"name": "a", "value": ["b"]}, {"name": "b", "value": ["c", "d"]}]}),
                ),
                Op::Apply("apply-one", json!({"listOfLists": [{"name": "a"}]})),
            ],
            object: json!({"listOfLists": [{"name": "a", "value": ["b"]}]}),
            managed: Some(vec![
                ("apply-one", A, json!({"f:listOfLists": {KA: item()}})),
                ("apply-two", A, json!({"f:listOfLists": {KA: {".": {}, "f:name": {}, "f:value": {r#"v:"b""#: {}}}}})),
            ]),
        },
        // ... "multiple_appliers_recursive_map": granular entries are owned one by one.
        Case {
            name: "multiple_appliers_recursive_map",
            ops: vec![
                Op::Apply("apply-one", json!({"mapOfMapsRecursive": {"a": {"b": null}, "c": {"d": null}}})),
                Op::Apply("apply-two", json!({"mapOfMapsRecursive": {"a": null, "c": {"d": null}}})),
                Op::Update(
                    "controller-one",
                    json!({"mapOfMapsRecursive": {"a": {"b": {"c": null}}, "c": {"d": {"e": null}}}}),
                ),
                Op::Update(
                    "controller-two",
                    json!({"mapOfMapsRecursive": {"a": {"b": {"c": {"d": null}}}, "c": {"d": {"e": {"f": null}}}}}),
                ),
                Op::Update(
                    "controller-one",
                    json!({"mapOfMapsRecursive": {"a": {"b": {"c": {"d": {"e": null}}}}, "c": {"d": {"e": {"f": {"g": null}}}}}}),
                ),
                Op::Apply("apply-one", json!({"mapOfMapsRecursive": null})),
            ],
            object: json!({"mapOfMapsRecursive": {"a": null, "c": {"d": {"e": {"f": {"g": null}}}}}}),
            managed: Some(vec![
                ("apply-one", A, json!({"f:mapOfMapsRecursive": {}})),
                ("apply-two", A, json!({"f:mapOfMapsRecursive": {"f:a": {}, "f:c": {".": {}, "f:d": {}}}})),
                (
                    "controller-one",
                    U,
                    json!({"f:mapOfMapsRecursive": {"f:c": {"f:d": {"f:e": {".": {}, "f:f": {"f:g": {}}}}}}}),
                ),
                ("controller-two", U, json!({"f:mapOfMapsRecursive": {"f:c": {"f:d": {"f:e": {"f:f": {}}}}}})),
            ]),
        },
    ]);
}

#[test]
fn shared_fields_stay_and_sole_ones_go() {
    let s = |v: Value| json!({"struct": v});
    check(&[
        // merge/multiple_appliers_test.go TestMultipleAppliersFieldUnsetting (one version)
        // "unset_scalar_sole_owner"
        Case {
            name: "unset_scalar_sole_owner",
            ops: vec![
                Op::Apply("apply-one", s(json!({"name": "a", "scalarField": "a"}))),
                Op::Apply("apply-one", s(json!({"name": "a"}))),
            ],
            object: s(json!({"name": "a"})),
            managed: Some(vec![("apply-one", A, json!({"f:struct": {"f:name": {}}}))]),
        },
        // ... "unset_scalar_shared_with_applier"
        Case {
            name: "unset_scalar_shared_with_applier",
            ops: vec![
                Op::Apply("apply-one", s(json!({"name": "a", "scalarField": "a"}))),
                Op::Apply("apply-two", s(json!({"scalarField": "a"}))),
                Op::Apply("apply-one", s(json!({"name": "a"}))),
            ],
            object: s(json!({"name": "a", "scalarField": "a"})),
            managed: Some(vec![
                ("apply-one", A, json!({"f:struct": {"f:name": {}}})),
                ("apply-two", A, json!({"f:struct": {"f:scalarField": {}}})),
            ]),
        },
        // ... "unset_scalar_shared_with_updater" (upstream's updater also owns `struct` itself,
        // which this crate's update recording does not claim; the object is the same)
        Case {
            name: "unset_scalar_shared_with_updater",
            ops: vec![
                Op::Update("updater", s(json!({"name": "a", "scalarField": "a"}))),
                Op::Apply("applier", s(json!({"name": "a", "scalarField": "a"}))),
                Op::Apply("applier", s(json!({"name": "a"}))),
            ],
            object: s(json!({"name": "a", "scalarField": "a"})),
            managed: None,
        },
        // ... "unset_complex_sole_owner": the nested struct goes whole.
        Case {
            name: "unset_complex_sole_owner",
            ops: vec![
                Op::Apply("apply-one", s(json!({"name": "a", "complexField": {"name": "b"}}))),
                Op::Apply("apply-one", s(json!({"name": "a"}))),
            ],
            object: s(json!({"name": "a"})),
            managed: Some(vec![("apply-one", A, json!({"f:struct": {"f:name": {}}}))]),
        },
        // ... "unset_complex_shared_with_applier"
        Case {
            name: "unset_complex_shared_with_applier",
            ops: vec![
                Op::Apply("apply-one", s(json!({"name": "a", "complexField": {"name": "b"}}))),
                Op::Apply("apply-two", s(json!({"complexField": {"name": "b"}}))),
                Op::Apply("apply-one", s(json!({"name": "a"}))),
            ],
            object: s(json!({"name": "a", "complexField": {"name": "b"}})),
            managed: Some(vec![
                ("apply-one", A, json!({"f:struct": {"f:name": {}}})),
                ("apply-two", A, json!({"f:struct": {"f:complexField": {"f:name": {}}}})),
            ]),
        },
    ]);
}

#[test]
fn set_members_are_removed_one_by_one() {
    check(&[
        // merge/set_test.go "apply_twice_remove" (TestUpdateSetBroken in older releases)
        Case {
            name: "apply_twice_remove",
            ops: vec![
                Op::Apply("default", json!({"set": ["a", "b", "c", "d"]})),
                Op::Apply("default", json!({"set": ["a", "c"]})),
            ],
            object: json!({"set": ["a", "c"]}),
            managed: Some(vec![("default", A, json!({"f:set": {r#"v:"a""#: {}, r#"v:"c""#: {}}}))]),
        },
        // merge/set_test.go "apply_update_apply_with_overlap": what the updater added stays.
        Case {
            name: "apply_update_apply_with_overlap",
            ops: vec![
                Op::Apply("default", json!({"set": ["a", "c"]})),
                Op::Update("controller", json!({"set": ["a", "b", "c", "d"]})),
                Op::Apply("default", json!({"set": ["a", "b", "c"]})),
            ],
            object: json!({"set": ["a", "b", "c", "d"]}),
            managed: Some(vec![
                ("controller", U, json!({"f:set": {r#"v:"b""#: {}, r#"v:"d""#: {}}})),
                ("default", A, json!({"f:set": {r#"v:"a""#: {}, r#"v:"b""#: {}, r#"v:"c""#: {}}})),
            ]),
        },
        // The last member goes: the set field goes with it (a struct field with no owner).
        Case {
            name: "set_last_member",
            ops: vec![Op::Apply("default", json!({"set": ["a"]})), Op::Apply("default", json!({}))],
            object: json!({}),
            managed: Some(vec![]),
        },
    ]);
}

#[test]
fn atomic_maps_and_lists_are_owned_and_removed_whole() {
    check(&[
        // merge/multiple_appliers_test.go TestMultipleApplierAtomicMaps "force"
        Case {
            name: "atomic_map_force",
            ops: vec![
                Op::Apply("apply-one", json!({"atomicMap": {"field1": "a"}})),
                Op::Conflicts("apply-two", json!({"atomicMap": {"field2": "b"}}), &[".atomicMap"]),
                Op::ForceApply("apply-two", json!({"atomicMap": {"field2": "b"}})),
            ],
            object: json!({"atomicMap": {"field2": "b"}}),
            managed: Some(vec![("apply-two", A, json!({"f:atomicMap": {}}))]),
        },
        // typed/remove.go: an atomic map or list is one member; dropping it drops all of it.
        Case {
            name: "atomic_map_and_list_dropped",
            ops: vec![
                Op::Apply("default", json!({"atomicMap": {"field1": "a", "field2": "b"}, "atomicList": ["x", "y"]})),
                Op::Apply("default", json!({"atomicList": ["x"]})),
            ],
            object: json!({"atomicList": ["x"]}),
            managed: Some(vec![("default", A, json!({"f:atomicList": {}}))]),
        },
        // Another applier applying the same atomic value keeps it.
        Case {
            name: "atomic_map_shared",
            ops: vec![
                Op::Apply("apply-one", json!({"atomicMap": {"field1": "a"}})),
                Op::Apply("apply-two", json!({"atomicMap": {"field1": "a"}})),
                Op::Apply("apply-one", json!({})),
            ],
            object: json!({"atomicMap": {"field1": "a"}}),
            managed: Some(vec![("apply-two", A, json!({"f:atomicMap": {}}))]),
        },
    ]);
}

#[test]
fn multi_key_items_use_key_defaults() {
    let tcp = r#"k:{"containerPort":80,"protocol":"TCP"}"#;
    let udp = r#"k:{"containerPort":80,"protocol":"UDP"}"#;
    let port = |extra: &[&str]| {
        let mut m = json!({".": {}, "f:containerPort": {}});
        for f in extra {
            m[format!("f:{f}")] = json!({});
        }
        m
    };
    check(&[
        // merge/default_keys_test.go TestDefaultKeysFlat "apply_missing_defaulted_key_B"
        Case {
            name: "apply_missing_defaulted_key_B",
            ops: vec![Op::Apply(
                "default",
                json!({"ports": [{"containerPort": 80}, {"containerPort": 80, "protocol": "UDP"}]}),
            )],
            object: json!({"ports": [{"containerPort": 80}, {"containerPort": 80, "protocol": "UDP"}]}),
            managed: Some(vec![("default", A, json!({"f:ports": {tcp: port(&[]), udp: port(&["protocol"])}}))]),
        },
        // ... "apply_missing_defaulted_key_with_conflict"
        Case {
            name: "apply_missing_defaulted_key_with_conflict",
            ops: vec![
                Op::Apply("apply-one", json!({"ports": [{"containerPort": 80, "protocol": "TCP", "name": "foo"}]})),
                Op::Conflicts(
                    "apply-two",
                    json!({"ports": [{"containerPort": 80, "name": "bar"}]}),
                    &[r#".ports[containerPort=80,protocol="TCP"].name"#],
                ),
            ],
            object: json!({"ports": [{"containerPort": 80, "protocol": "TCP", "name": "foo"}]}),
            managed: Some(vec![("apply-one", A, json!({"f:ports": {tcp: port(&["name", "protocol"])}}))]),
        },
        // Removal by the defaulted key: the UDP item goes, the TCP one stays.
        Case {
            name: "ports_item_removed_by_key",
            ops: vec![
                Op::Apply(
                    "default",
                    json!({"ports": [{"containerPort": 80}, {"containerPort": 80, "protocol": "UDP"}]}),
                ),
                Op::Apply("default", json!({"ports": [{"containerPort": 80, "name": "http"}]})),
            ],
            object: json!({"ports": [{"containerPort": 80, "name": "http"}]}),
            managed: Some(vec![("default", A, json!({"f:ports": {tcp: port(&["name"])}}))]),
        },
    ]);
}
