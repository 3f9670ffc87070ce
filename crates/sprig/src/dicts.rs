//! Sprig's dictionary functions (`dict.go`) and mergo's merge rules for `merge` and
//! `mergeOverwrite`.
//!
//! mergo (as Sprig calls it, `Merge(&dst, src)` with or without `WithOverride`) walks each
//! key of `src`:
//! - both values maps: merged recursively with the same rule;
//! - `src` value nil: set only when overriding;
//! - otherwise, without override the `src` value is taken only when `dst` lacks the key or
//!   holds an empty value (`0`, `""`, `false`, nil, an empty list or map); with override the
//!   `src` value always wins (empty ones too), except that a non-empty `dst` value is kept
//!   when the `src` value is a map it can not merge into.

use std::collections::BTreeMap;

use glidepath_gotmpl::{Dict, Func, FuncMap, Param, Value};

use crate::conv::{arg_str, empty, str_list, strval};

type Map = BTreeMap<String, Value>;

fn map_of(v: &Value) -> Map {
    v.as_map().map(Dict::snapshot).unwrap_or_default()
}

/// mergo's map merge of `src` into `dst`, in place: nested maps present on both sides are
/// merged into `dst`'s own nested map, so every holder of it sees the result (as in Go).
pub fn merge_into(dst: &Dict, src: &Map, overwrite: bool) {
    for (k, s) in src {
        let d = dst.get(k);
        match (&d, s) {
            (_, Value::Nil | Value::Invalid) => {
                if overwrite {
                    dst.insert(k.clone(), Value::Nil);
                }
            }
            (Some(Value::Map(dm)), Value::Map(sm)) => {
                if !dm.ptr_eq(sm) {
                    merge_into(dm, &sm.snapshot(), overwrite);
                }
            }
            (Some(d), Value::Map(_)) if !empty(d) => {}
            (d, s) => {
                if overwrite || d.as_ref().is_none_or(empty) {
                    dst.insert(k.clone(), s.clone());
                }
            }
        }
    }
}

/// Sprig's `merge`/`mergeOverwrite`: merges into the first dict and returns it.
fn merge(a: &[Value], overwrite: bool) -> Result<Value, String> {
    let Some(dst) = a[0].as_map() else { return Ok(Value::map(Map::new())) };
    for src in &a[1..] {
        if let Some(sm) = src.as_map()
            && !sm.ptr_eq(dst)
        {
            merge_into(dst, &sm.snapshot(), overwrite);
        }
    }
    Ok(a[0].clone())
}

fn dict(a: &[Value]) -> Value {
    let mut m = Map::new();
    for pair in a.chunks(2) {
        m.insert(strval(&pair[0]), pair.get(1).cloned().unwrap_or_else(|| Value::str("")));
    }
    Value::map(m)
}

/// Sprig's `dig KEY... DEFAULT DICT`.
fn dig(a: &[Value]) -> Result<Value, String> {
    if a.len() < 3 {
        return Err("dig needs at least three arguments".into());
    }
    let mut dict = match &a[a.len() - 1] {
        Value::Map(m) => m.clone(),
        v => {
            return Err(format!(
                "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                v.type_name()
            ));
        }
    };
    let def = &a[a.len() - 2];
    let keys = &a[..a.len() - 2];
    for (i, k) in keys.iter().enumerate() {
        let Some(k) = k.as_str() else {
            return Err(format!("interface conversion: interface {{}} is {}, not string", k.type_name()));
        };
        let Some(step) = dict.get(k) else { return Ok(def.clone()) };
        if i + 1 == keys.len() {
            return Ok(step.clone());
        }
        dict = match step {
            Value::Map(m) => m.clone(),
            v => {
                return Err(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    v.type_name()
                ));
            }
        };
    }
    Ok(def.clone())
}

pub fn register(m: &mut FuncMap) {
    use Param::{Any, Map as M, String as Str};
    m.insert("dict", Func::variadic(&[], Any, |a| Ok(dict(a))));
    m.insert(
        "get",
        Func::pure(&[M, Str], |a| Ok(map_of(&a[0]).get(arg_str(a, 1)).cloned().unwrap_or_else(|| Value::str("")))),
    );
    m.insert(
        "set",
        // Go maps are references: `set` changes the caller's dict and returns it.
        Func::pure(&[M, Str, Any], |a| {
            let Some(d) = a[0].as_map() else {
                return Ok(Value::map(Map::from([(arg_str(a, 1).into(), a[2].clone())])));
            };
            d.insert(arg_str(a, 1), a[2].clone());
            Ok(a[0].clone())
        }),
    );
    m.insert(
        "unset",
        Func::pure(&[M, Str], |a| {
            if let Some(d) = a[0].as_map() {
                d.remove(arg_str(a, 1));
            }
            Ok(a[0].clone())
        }),
    );
    m.insert("hasKey", Func::pure(&[M, Str], |a| Ok(Value::Bool(map_of(&a[0]).contains_key(arg_str(a, 1))))));
    m.insert(
        "pluck",
        Func::variadic(&[Str], M, |a| {
            let key = arg_str(a, 0);
            Ok(Value::list(a[1..].iter().filter_map(|d| d.as_map().and_then(|m| m.get(key))).collect()))
        }),
    );
    m.insert("keys", Func::variadic(&[], M, |a| Ok(str_list(a.iter().flat_map(|d| map_of(d).into_keys())))));
    m.insert("values", Func::pure(&[M], |a| Ok(Value::list(map_of(&a[0]).into_values().collect()))));
    m.insert(
        "pick",
        Func::variadic(&[M], Str, |a| {
            let d = map_of(&a[0]);
            let keys: Vec<&str> = a[1..].iter().filter_map(Value::as_str).collect();
            Ok(Value::map(d.into_iter().filter(|(k, _)| keys.contains(&k.as_str())).collect()))
        }),
    );
    m.insert(
        "omit",
        Func::variadic(&[M], Str, |a| {
            let d = map_of(&a[0]);
            let keys: Vec<&str> = a[1..].iter().filter_map(Value::as_str).collect();
            Ok(Value::map(d.into_iter().filter(|(k, _)| !keys.contains(&k.as_str())).collect()))
        }),
    );
    for (name, overwrite) in
        [("merge", false), ("mustMerge", false), ("mergeOverwrite", true), ("mustMergeOverwrite", true)]
    {
        m.insert(name, Func::variadic(&[M], M, move |a| merge(a, overwrite)));
    }
    m.insert("dig", Func::variadic(&[], Any, dig));
    let copy = Func::pure(&[Any], |a| Ok(glidepath_gotmpl::deep_copy_value(&a[0], 10_000)));
    m.insert("deepCopy", copy.clone()).insert("mustDeepCopy", copy);
}
