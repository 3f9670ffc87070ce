//! Apply and update with field ownership, as kube-apiserver's structured-merge-diff does:
//! an apply merges the configuration into the live object, fails on fields another manager
//! owns with a different value (unless forced, which takes them over), and removes fields the
//! manager applied before and no longer applies, unless someone else still owns them, with the
//! structs, list items and map entries left with nothing of theirs (see `tree::Prune`). An
//! update (PUT/PATCH) takes ownership of every field it changes.

use std::cell::Cell;

use serde_json::{Value, json};

use crate::fieldset::{FieldSet, Path, PathElement};
use crate::schema::ApplySchema;
use crate::tree::{Prune, Typed, merge, value_at, with_named_fields};

/// `Apply` (server-side apply) or `Update` (every other write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "Apply",
            Self::Update => "Update",
        }
    }
}

/// One `metadata.managedFields` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedEntry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub time: String,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

/// A field another manager owns with a different value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    /// `.spec.replicas`, `.spec.template.spec.containers[name="app"].image`.
    pub field: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsaError {
    /// The apply touches fields other managers own; `force` would take them over.
    #[error("Apply failed with {} conflict{}: {}", .0.len(), if .0.len() == 1 { "" } else { "s" },
        .0.iter().map(|c| format!("conflict with \"{}\": {}", c.manager, c.field)).collect::<Vec<_>>().join("; "))]
    Conflicts(Vec<Conflict>),
    /// The configuration is not an object.
    #[error("apply configuration must be a JSON object")]
    ParseConfiguration,
}

/// Read `metadata.managedFields`.
pub fn managed_fields(obj: &Value) -> Vec<ManagedEntry> {
    let Some(list) = obj["metadata"]["managedFields"].as_array() else { return Vec::new() };
    list.iter()
        .filter_map(|e| {
            Some(ManagedEntry {
                manager: e["manager"].as_str()?.to_owned(),
                operation: if e["operation"] == "Apply" { Operation::Apply } else { Operation::Update },
                api_version: e["apiVersion"].as_str().unwrap_or_default().to_owned(),
                time: e["time"].as_str().unwrap_or_default().to_owned(),
                subresource: e["subresource"].as_str().map(str::to_owned),
                fields: FieldSet::from_fields_v1(&e["fieldsV1"]),
            })
        })
        .collect()
}

fn write_managed(obj: &mut Value, entries: &[ManagedEntry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager, "operation": e.operation.as_str(), "apiVersion": e.api_version,
                "time": e.time, "fieldsType": "FieldsV1", "fieldsV1": e.fields.to_fields_v1()
            });
            if let Some(s) = &e.subresource {
                v["subresource"] = json!(s);
            }
            v
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// What a write is: who, when, at which API version, on which subresource.
#[derive(Clone, Copy, Debug)]
pub struct Writer<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    pub time: &'a str,
    pub subresource: Option<&'a str>,
}

fn entry_mut<'a>(entries: &'a mut Vec<ManagedEntry>, w: &Writer<'_>, op: Operation) -> &'a mut ManagedEntry {
    let pos = entries
        .iter()
        .position(|e| e.manager == w.manager && e.operation == op && e.subresource.as_deref() == w.subresource);
    let i = pos.unwrap_or_else(|| {
        entries.push(ManagedEntry {
            manager: w.manager.to_owned(),
            operation: op,
            api_version: w.api_version.to_owned(),
            time: w.time.to_owned(),
            subresource: w.subresource.map(str::to_owned),
            fields: FieldSet::default(),
        });
        entries.len() - 1
    });
    let e = &mut entries[i];
    e.api_version = w.api_version.to_owned();
    e.time = w.time.to_owned();
    e
}

/// Server-side apply of `config` onto `live` (`None` creates). Returns the new object with
/// `managedFields` updated.
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    writer: &Writer<'_>,
    force: bool,
    schema: &dyn ApplySchema,
) -> Result<Value, SsaError> {
    if !config.is_object() {
        return Err(SsaError::ParseConfiguration);
    }
    let kind = config["kind"].as_str().unwrap_or_default();
    let base = live.cloned().unwrap_or_else(|| json!({}));
    let mut entries = managed_fields(&base);
    let applied = FieldSet::of_subresource(config, schema, kind, writer.subresource);
    let typed = Typed { schema, kind };
    let mut merged = base.clone();
    merge(&mut merged, config, &mut Vec::new(), typed);

    take_or_refuse(&mut entries, writer, &applied, &base, &merged, force)?;

    let previous = entries
        .iter()
        .find(|e| {
            e.manager == writer.manager
                && e.operation == Operation::Apply
                && e.subresource.as_deref() == writer.subresource
        })
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    let pruned = prune(&mut merged, &entries, writer, &previous, &applied, typed);
    // A no-op apply changes nothing at all, not even its managedFields timestamp (kube-apiserver
    // then skips the write and keeps the resourceVersion).
    if live.is_some() && previous == applied && without_managed(&merged) == without_managed(&base) {
        return Ok(base);
    }
    // Fields the prune took away are nobody's any more (structured-merge-diff's update drops a
    // comparison's removed paths from every manager); a manager left with nothing disappears.
    if pruned {
        let before = FieldSet::of_subresource(&base, schema, kind, writer.subresource);
        let gone = before.difference(&FieldSet::of_subresource(&merged, schema, kind, writer.subresource));
        for e in entries.iter_mut().filter(|e| e.subresource.as_deref() == writer.subresource) {
            e.fields = e.fields.difference(&gone);
        }
    }
    entry_mut(&mut entries, writer, Operation::Apply).fields = applied;
    write_managed(&mut merged, &entries);
    Ok(merged)
}

/// Fields other managers own that the apply changes: conflicts, or with `force` taken from them.
fn take_or_refuse(
    entries: &mut [ManagedEntry],
    writer: &Writer<'_>,
    applied: &FieldSet,
    base: &Value,
    merged: &Value,
    force: bool,
) -> Result<(), SsaError> {
    let mut conflicts = Vec::new();
    for e in
        entries.iter_mut().filter(|e| e.manager != writer.manager && e.subresource.as_deref() == writer.subresource)
    {
        let shared = e.fields.intersection(applied);
        // Keyed items and set members are owned for their existence; only values conflict.
        let differing: Vec<Path> = shared
            .0
            .into_iter()
            .filter(|p| matches!(p.last(), Some(PathElement::Field(_))))
            .filter(|p| value_at(base, p).is_some_and(|old| Some(old) != value_at(merged, p)))
            .collect();
        if force {
            for p in &differing {
                e.fields.0.remove(p);
            }
        } else {
            conflicts.extend(differing.iter().map(|p| Conflict { manager: e.manager.clone(), field: display(p) }));
        }
    }

    if conflicts.is_empty() { Ok(()) } else { Err(SsaError::Conflicts(conflicts)) }
}

/// Remove what the applier applied before (`previous`) and nobody owns now; whether anything
/// went.
fn prune(
    merged: &mut Value,
    entries: &[ManagedEntry],
    writer: &Writer<'_>,
    previous: &FieldSet,
    applied: &FieldSet,
    typed: Typed<'_>,
) -> bool {
    // Nothing applied before, nothing to take back (update.go's prune returns early too).
    if previous.is_empty() {
        return false;
    }
    let others = entries
        .iter()
        .filter(|e| !(e.manager == writer.manager && e.operation == Operation::Apply))
        .fold(FieldSet::default(), |acc, e| acc.union(&e.fields));
    let mut kept = with_named_fields(&applied.union(&others), typed);
    // Every object has these, whatever the configuration says; they are never pruned.
    kept.0.extend(["metadata", "apiVersion", "kind"].map(|f| vec![PathElement::Field(f.to_owned())]));
    let last = with_named_fields(previous, typed);
    Prune { last: &last, kept: &kept, typed, removed: Cell::new(false) }.run(merged)
}

fn without_managed(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    v
}

/// Record an update (create, PUT, PATCH) of `old` into `new` by `writer`: it takes ownership
/// of every field it changed. `new` gets the resulting `managedFields`.
pub fn record_update(old: Option<&Value>, new: &mut Value, writer: &Writer<'_>, schema: &dyn ApplySchema) {
    let kind = new["kind"].as_str().unwrap_or_default().to_owned();
    let mut entries = old.map(managed_fields).unwrap_or_default();
    let after = FieldSet::of_subresource(new, schema, &kind, writer.subresource);
    let before = old.map(|o| FieldSet::of_subresource(o, schema, &kind, writer.subresource)).unwrap_or_default();
    let changed = FieldSet(after.0.iter().filter(|p| changed_at(old, new, p, &after)).cloned().collect());
    let removed = before.difference(&after);
    if changed.is_empty() && removed.is_empty() {
        write_managed(new, &entries);
        return;
    }
    for e in entries.iter_mut().filter(|e| e.subresource.as_deref() == writer.subresource) {
        e.fields = e.fields.difference(&changed).difference(&removed);
    }
    let mine = entry_mut(&mut entries, writer, Operation::Update);
    mine.fields = mine.fields.union(&changed);
    write_managed(new, &entries);
}

/// Whether an update changed the member at `p`. A member with members below it (a list item,
/// a granular map entry) changes only by appearing; what changed inside it is owned below, as
/// structured-merge-diff's comparison reports it.
fn changed_at(old: Option<&Value>, new: &Value, p: &Path, after: &FieldSet) -> bool {
    let before = old.and_then(|o| value_at(o, p));
    let has_members_below = after.0.range(p.clone()..).nth(1).is_some_and(|next| next.starts_with(p));
    if has_members_below { before.is_none() } else { before != value_at(new, p) }
}

fn display(path: &Path) -> String {
    let mut out = String::new();
    for el in path {
        match el {
            PathElement::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            PathElement::Key(k) => {
                let parsed: Value = serde_json::from_str(k).unwrap_or(Value::Null);
                let parts: Vec<String> =
                    parsed.as_object().into_iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!("[{}]", parts.join(",")));
            }
            PathElement::Value(v) => out.push_str(&format!("[={v}]")),
        }
    }
    out
}
