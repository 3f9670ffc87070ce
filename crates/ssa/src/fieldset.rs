//! Field sets: which fields of an object a manager owns, and their `fieldsV1` JSON form
//! (`{"f:spec":{"f:replicas":{}}}`, `k:{"name":"app"}` for keyed list items, `v:"x"` for set
//! members, `.` for an owned node that also has owned children).

use std::collections::BTreeSet;

use crate::schema::{ApplySchema, KeyField, ListType, MapType};
use serde_json::{Map, Value};

/// One step of a path into an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A field of a map.
    Field(String),
    /// An item of an associative list, by its key fields (canonical JSON object).
    Key(String),
    /// A member of a set list (canonical JSON value).
    Value(String),
}

impl PathElement {
    fn fields_v1_key(&self) -> String {
        match self {
            Self::Field(f) => format!("f:{f}"),
            Self::Key(k) => format!("k:{k}"),
            Self::Value(v) => format!("v:{v}"),
        }
    }

    fn parse(key: &str) -> Option<Self> {
        let (prefix, rest) = key.split_at_checked(2)?;
        match prefix {
            "f:" => Some(Self::Field(rest.to_owned())),
            "k:" => Some(Self::Key(canonical(&serde_json::from_str(rest).ok()?))),
            "v:" => Some(Self::Value(canonical(&serde_json::from_str(rest).ok()?))),
            _ => None,
        }
    }
}

pub type Path = Vec<PathElement>;

/// A set of owned paths. A path owns its node; children are owned separately.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet(pub BTreeSet<Path>);

/// serde_json keeps object keys sorted, so this is a canonical form.
pub(crate) fn canonical(v: &Value) -> String {
    v.to_string()
}

/// Fields that belong to the server, never to a manager.
fn ignored(path: &[PathElement]) -> bool {
    const TOP: &[&str] = &["apiVersion", "kind", "status"];
    const META: &[&str] = &[
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    ];
    match path {
        [PathElement::Field(f)] => TOP.contains(&f.as_str()),
        [PathElement::Field(m), PathElement::Field(f)] => m == "metadata" && META.contains(&f.as_str()),
        _ => false,
    }
}

/// The field names of `path` (list items skipped), as schemas are asked.
pub(crate) fn names(path: &[PathElement]) -> Vec<&str> {
    path.iter()
        .filter_map(|e| match e {
            PathElement::Field(f) => Some(f.as_str()),
            _ => None,
        })
        .collect()
}

/// The key of an associative list item: its key fields (a missing one takes its schema
/// default, as structured-merge-diff does), or `None` when it has none of them.
pub(crate) fn item_key(item: &Value, keys: &[KeyField]) -> Option<String> {
    let mut m = Map::new();
    for k in keys {
        if let Some(v) = item.get(&k.name).or(k.default.as_ref()) {
            m.insert(k.name.clone(), v.clone());
        }
    }
    (!m.is_empty()).then(|| canonical(&Value::Object(m)))
}

impl FieldSet {
    /// Every field an applied configuration sets.
    pub fn of(config: &Value, schema: &dyn ApplySchema, kind: &str) -> Self {
        let mut set = FieldSet::default();
        collect(config, &mut Vec::new(), schema, kind, &mut set.0);
        set
    }

    /// The fields a write to `subresource` can own: a `status` write owns the `status`
    /// subtree only; a write to the object (or another subresource) owns everything but it,
    /// as kube-apiserver's reset-fields strategies decide.
    pub fn of_subresource(config: &Value, schema: &dyn ApplySchema, kind: &str, subresource: Option<&str>) -> Self {
        if subresource != Some("status") {
            return Self::of(config, schema, kind);
        }
        let mut set = FieldSet::default();
        if let Some(status) = config.get("status") {
            let mut path = vec![PathElement::Field("status".to_owned())];
            collect(status, &mut path, schema, kind, &mut set.0);
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, p: &Path) -> bool {
        self.0.contains(p)
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.union(&other.0).cloned().collect())
    }

    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.difference(&other.0).cloned().collect())
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// The `fieldsV1` JSON of this set.
    pub fn to_fields_v1(&self) -> Value {
        let mut root = Map::new();
        for path in &self.0 {
            let mut node = &mut root;
            for (i, el) in path.iter().enumerate() {
                let entry = node.entry(el.fields_v1_key()).or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(child) = entry else { break };
                node = child;
                if i + 1 == path.len() && path_has_children(&self.0, path) {
                    node.insert(".".into(), Value::Object(Map::new()));
                }
            }
        }
        Value::Object(root)
    }

    /// Parse `fieldsV1` JSON.
    pub fn from_fields_v1(v: &Value) -> Self {
        let mut set = FieldSet::default();
        parse_node(v, &mut Vec::new(), &mut set.0);
        set
    }
}

fn path_has_children(set: &BTreeSet<Path>, path: &Path) -> bool {
    set.range(path.clone()..).nth(1).is_some_and(|next| next.len() > path.len() && next.starts_with(path))
}

fn parse_node(v: &Value, path: &mut Path, out: &mut BTreeSet<Path>) {
    let Some(map) = v.as_object() else { return };
    if map.is_empty() && !path.is_empty() {
        out.insert(path.clone());
        return;
    }
    for (k, child) in map {
        if k == "." {
            if !path.is_empty() {
                out.insert(path.clone());
            }
            continue;
        }
        if let Some(el) = PathElement::parse(k) {
            path.push(el);
            parse_node(child, path, out);
            path.pop();
        }
    }
}

fn collect(v: &Value, path: &mut Path, schema: &dyn ApplySchema, kind: &str, out: &mut BTreeSet<Path>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            let map_type = schema.map_type(kind, &names(path));
            // An atomic map is owned whole; the root is never atomic.
            if map_type == MapType::Atomic && !path.is_empty() {
                out.insert(path.clone());
                return;
            }
            for (k, child) in map {
                path.push(PathElement::Field(k.clone()));
                if !ignored(path) {
                    // Entries of a granular map are members themselves; struct fields are not.
                    if map_type == MapType::Granular {
                        out.insert(path.clone());
                    }
                    collect(child, path, schema, kind, out);
                }
                path.pop();
            }
        }
        Value::Array(items) => match schema.list_type(kind, &names(path)) {
            // Keyed and set lists are owned item by item, never as a whole.
            ListType::Map(keys) => {
                for item in items {
                    let Some(k) = item_key(item, &keys) else { continue };
                    path.push(PathElement::Key(k));
                    out.insert(path.clone());
                    collect(item, path, schema, kind, out);
                    path.pop();
                }
            }
            ListType::Set => {
                for item in items {
                    path.push(PathElement::Value(canonical(item)));
                    out.insert(path.clone());
                    path.pop();
                }
            }
            ListType::Atomic => {
                out.insert(path.clone());
            }
        },
        _ => {
            if !path.is_empty() {
                out.insert(path.clone());
            }
        }
    }
}
