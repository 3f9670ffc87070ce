//! Walks over object trees by schema: reading a path, merging an applied configuration into the
//! live object, and pruning what an applier stopped applying.

use std::cell::Cell;

use serde_json::{Map, Value};

use crate::fieldset::{FieldSet, Path, PathElement, canonical, item_key, names};
use crate::schema::{ApplySchema, ListType, MapType};

/// Whether a list item has the key fields of `key`. An exact match is preferred; a key field
/// the item omits matches too, since keys carry schema defaults (`protocol: TCP`).
fn find_item<'v>(items: &'v [Value], key: &Map<String, Value>) -> Option<&'v Value> {
    let exact = |item: &&Value| key.iter().all(|(k, v)| item.get(k) == Some(v));
    let lenient = |item: &&Value| key.iter().all(|(k, v)| item.get(k).is_none_or(|iv| iv == v));
    items.iter().find(exact).or_else(|| items.iter().find(lenient))
}

/// The value at `path`, if present.
pub fn value_at<'a>(v: &'a Value, path: &[PathElement]) -> Option<&'a Value> {
    let mut cur = v;
    for el in path {
        cur = match el {
            PathElement::Field(f) => cur.get(f)?,
            PathElement::Key(k) => {
                let key: Map<String, Value> = serde_json::from_str(k).ok()?;
                find_item(cur.as_array()?, &key)?
            }
            PathElement::Value(want) => cur.as_array()?.iter().find(|item| canonical(item) == *want)?,
        };
    }
    Some(cur)
}

/// What a walk needs: the schema and the object's kind.
#[derive(Clone, Copy)]
pub(crate) struct Typed<'a> {
    pub schema: &'a dyn ApplySchema,
    pub kind: &'a str,
}

impl Typed<'_> {
    fn map_type(&self, path: &[PathElement]) -> MapType {
        // The object itself is always a struct.
        if path.is_empty() { MapType::Struct } else { self.schema.map_type(self.kind, &names(path)) }
    }

    fn list_type(&self, path: &[PathElement]) -> ListType {
        self.schema.list_type(self.kind, &names(path))
    }
}

/// Merge an applied configuration into the live object: struct and granular maps field by
/// field, keyed lists item by item, sets by union; atomic maps, atomic lists and scalars are
/// replaced.
pub(crate) fn merge(live: &mut Value, config: &Value, path: &mut Path, t: Typed<'_>) {
    let atomic = t.map_type(path) == MapType::Atomic;
    // A null or empty map applied over a filled one adds nothing (merge.go's doMap only
    // promotes to a leaf when both sides are empty); pruning decides what goes.
    if !atomic && is_filled_object(live) && (config.is_null() || is_empty_object(config)) {
        return;
    }
    match (live.as_object_mut(), config.as_object()) {
        (Some(l), Some(c)) if !atomic => {
            for (k, cv) in c {
                path.push(PathElement::Field(k.clone()));
                merge_field(l, k, cv, path, t);
                path.pop();
            }
        }
        _ => *live = config.clone(),
    }
}

fn is_filled_object(v: &Value) -> bool {
    v.as_object().is_some_and(|m| !m.is_empty())
}

fn is_empty_object(v: &Value) -> bool {
    v.as_object().is_some_and(Map::is_empty)
}

/// Merge a configuration's value for a field into the live one.
fn merge_field(l: &mut Map<String, Value>, k: &str, cv: &Value, path: &mut Path, t: Typed<'_>) {
    match l.get_mut(k) {
        Some(lv) if lv.is_object() && (cv.is_object() || cv.is_null()) => merge(lv, cv, path, t),
        Some(lv) if lv.is_array() && (cv.is_array() || cv.is_null()) => merge_list(lv, cv, path, t),
        _ => {
            l.insert(k.to_owned(), cv.clone());
        }
    }
}

fn merge_list(live: &mut Value, config: &Value, path: &mut Path, t: Typed<'_>) {
    let list_type = t.list_type(path);
    // As for maps: a null or empty granular list applied over a filled one adds nothing.
    let empty = config.is_null() || config.as_array().is_some_and(Vec::is_empty);
    if list_type != ListType::Atomic && empty {
        return;
    }
    let (Some(l), Some(c)) = (live.as_array_mut(), config.as_array()) else {
        *live = config.clone();
        return;
    };
    match list_type {
        ListType::Map(keys) => {
            for item in c {
                let Some(k) = item_key(item, &keys) else {
                    l.push(item.clone());
                    continue;
                };
                match l.iter_mut().find(|li| item_key(li, &keys).as_deref() == Some(k.as_str())) {
                    Some(existing) => {
                        path.push(PathElement::Key(k));
                        merge(existing, item, path, t);
                        path.pop();
                    }
                    None => l.push(item.clone()),
                }
            }
        }
        ListType::Set => {
            for item in c {
                if !l.contains(item) {
                    l.push(item.clone());
                }
            }
        }
        ListType::Atomic => *live = config.clone(),
    }
}

/// `set` with the struct fields on the way to its paths: structured-merge-diff's
/// `EnsureNamedFieldsAreMembers` (fieldpath/set.go). List items and granular map entries are
/// not added: they are members only when owned themselves.
pub(crate) fn with_named_fields(set: &FieldSet, t: Typed<'_>) -> FieldSet {
    let mut out = set.0.clone();
    for p in &set.0 {
        for n in 1..p.len() {
            if matches!(p[n - 1], PathElement::Field(_)) && t.map_type(&p[..n - 1]) == MapType::Struct {
                out.insert(p[..n].to_vec());
            }
        }
    }
    FieldSet(out)
}

/// structured-merge-diff's `prune` (merge/update.go: `RemoveItems` of the last applied set,
/// then `addBackOwnedItems` and `addBackDanglingItems`), which comes down to a walk from the
/// root: a node the applier owned last time (`last`) that no manager owns now (`kept`, the
/// applier's new configuration included) goes with everything under it; one both own is
/// walked into; one the applier never owned is left alone, which keeps unowned (defaulted)
/// fields of items that stay. Both sets carry their struct fields (`with_named_fields`), so a
/// struct whose every owned field was dropped goes too instead of staying as `{}`; a list item
/// only stays when someone owns the item itself.
pub(crate) struct Prune<'a> {
    pub last: &'a FieldSet,
    pub kept: &'a FieldSet,
    pub typed: Typed<'a>,
    pub removed: Cell<bool>,
}

impl Prune<'_> {
    /// Prunes `v`; whether anything went.
    pub(crate) fn run(&self, v: &mut Value) -> bool {
        self.children(v, &mut Vec::new());
        self.removed.get()
    }

    /// Whether the node at `path` stays; prunes below it when it does.
    fn visit(&self, v: &mut Value, path: &mut Path) -> bool {
        if !self.last.contains(path) {
            return true;
        }
        if !self.kept.contains(path) {
            self.removed.set(true);
            return false;
        }
        self.children(v, path);
        true
    }

    fn children(&self, v: &mut Value, path: &mut Path) {
        match v {
            Value::Object(map) => {
                // An atomic map has no members below it.
                if self.typed.map_type(path) == MapType::Atomic {
                    return;
                }
                let before = map.len();
                map.retain(|k, child| {
                    path.push(PathElement::Field(k.clone()));
                    let keep = self.visit(child, path);
                    path.pop();
                    keep
                });
                // remove.go leaves a map it emptied as null, not `{}`.
                if before > 0 && map.is_empty() {
                    *v = Value::Null;
                }
            }
            Value::Array(items) => {
                let list_type = self.typed.list_type(path);
                if list_type == ListType::Atomic {
                    return;
                }
                let before = items.len();
                items.retain_mut(|item| {
                    // An item without its key cannot be owned: it stays.
                    let Some(el) = element_of(&list_type, item) else { return true };
                    path.push(el);
                    let keep = self.visit(item, path);
                    path.pop();
                    keep
                });
                if before > 0 && items.is_empty() {
                    *v = Value::Null;
                }
            }
            _ => {}
        }
    }
}

/// The path element of a list item: its key, its value, or none for an atomic list.
fn element_of(list_type: &ListType, item: &Value) -> Option<PathElement> {
    match list_type {
        ListType::Map(keys) => item_key(item, keys).map(PathElement::Key),
        ListType::Set => Some(PathElement::Value(canonical(item))),
        ListType::Atomic => None,
    }
}
