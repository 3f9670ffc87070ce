//! JSON merge patch (RFC 7386).

use serde_json::{Map, Value};

/// Applies a JSON merge patch (RFC 7386) to `target` in place.
///
/// Objects are merged recursively, `null` deletes a key, anything else (arrays included) replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target_map) = target {
        for (key, value) in patch_map {
            if value.is_null() {
                target_map.remove(key);
            } else {
                let entry = target_map.entry(key.clone()).or_insert(Value::Null);
                merge_patch(entry, value);
            }
        }
    }
}
