//! The commit message (image-automation-controller `internal/source/source.go`
//! `templateMsg`): Go text/template with Sprig's hermetic functions over Flux's
//! `TemplateData`:
//!
//! - `.AutomationObject`: a `types.NamespacedName` (`.Namespace`, `.Name`; prints `ns/name`);
//! - `.Changed` (`update.Result`): `.FileChanges` (file → object → changes), `.Objects`
//!   (object → changes, across files) and `.Changes` (each distinct change once);
//! - `.Values`: `messageTemplateValues`.
//!
//! Objects are map keys of struct type, as in Go: `range $obj, $changes := .Changed.Objects`
//! binds `$obj` to the identifier (`.APIVersion`, `.Kind`, `.Name`, `.Namespace`), in Go's
//! sorted key order (apiVersion, kind, name, namespace). A change is a struct with
//! `.OldValue`, `.NewValue` and `.Setter`. The removed `.Updated` and `.Changed.ImageResult`
//! fail with Flux's `RemovedTemplateFieldError` text.

use std::any::Any;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use glidepath_gotmpl::{Func, FuncMap, Opaque, Template, Value};

use crate::{Change, ImageError, ObjectId};

/// The message when `messageTemplate` is empty.
pub const DEFAULT_MESSAGE: &str = "Update from image update automation";

/// Sprig functions outside `HermeticTxtFuncMap` (Masterminds/sprig `functions.go`
/// `nonhermeticFunctions`): they depend on when or where the template runs.
const NON_HERMETIC: &[&str] = &[
    "date",
    "date_in_zone",
    "date_modify",
    "now",
    "htmlDate",
    "htmlDateInZone",
    "dateInZone",
    "dateModify",
    "env",
    "expandenv",
    "getHostByName",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "randBytes",
    "uuidv4",
    "genPrivateKey",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
];

/// The ImageUpdateAutomation's namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutomationObject {
    pub namespace: String,
    pub name: String,
}

/// file → the changes per object in it, as [`crate::Edit::objects`] gives them.
pub type FileChanges = BTreeMap<String, Vec<(ObjectId, Vec<Change>)>>;

/// Renders `template` (empty: [`DEFAULT_MESSAGE`]) for a run's changes.
pub fn commit_message(
    template: &str,
    automation: &AutomationObject,
    files: &FileChanges,
    values: &BTreeMap<String, String>,
) -> Result<String, ImageError> {
    let text = if template.is_empty() { DEFAULT_MESSAGE } else { template };
    let mut t = Template::new("commit message");
    t.funcs(&hermetic_funcs());
    t.parse(text).map_err(|e| ImageError::ParseTemplate(e.to_string()))?;
    let data = Value::Opaque(Arc::new(TemplateData {
        automation: automation.clone(),
        changed: Arc::new(ResultData(files.clone())),
        values: values.clone(),
    }));
    t.execute(&data).map_err(|e| removed_field(e.to_string()))
}

/// Flux's `checkRemovedTemplateField`, else the run error.
fn removed_field(err: String) -> ImageError {
    const SEE: &str = "See: https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template";
    if err.contains("can't evaluate field Updated in type source.TemplateData") {
        return ImageError::RemovedTemplateField(format!(
            "template uses removed '.Updated' field. Please use '.Changed' instead. {SEE}"
        ));
    }
    if err.contains("can't evaluate field ImageResult in type update.Result") {
        return ImageError::RemovedTemplateField(format!(
            "template uses removed '.Changed.ImageResult' field. Please use '.Changed.FileChanges' or '.Changed.Objects' instead. {SEE}"
        ));
    }
    ImageError::RunTemplate(err)
}

/// Sprig's functions with the non-hermetic ones replaced by a failure (Go's parser would
/// reject them as undefined; this engine's function map cannot drop names, so they fail
/// when called, with Go's parse-time wording).
fn hermetic_funcs() -> FuncMap {
    let mut funcs = glidepath_sprig::funcs(&glidepath_sprig::Options::default());
    for name in NON_HERMETIC {
        let message = format!("function \"{name}\" not defined");
        funcs.insert(*name, Func::variadic(&[], glidepath_gotmpl::Param::Value, move |_| Err(message.clone())));
    }
    funcs
}

#[derive(Debug)]
struct TemplateData {
    automation: AutomationObject,
    changed: Arc<ResultData>,
    values: BTreeMap<String, String>,
}

impl Opaque for TemplateData {
    fn type_name(&self) -> String {
        "source.TemplateData".into()
    }
    fn display(&self) -> String {
        format!("{{{} {} map[...]}}", self.automation.display(), self.changed.display())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "AutomationObject" => Some(Value::Opaque(Arc::new(self.automation.clone()))),
            "Changed" => Some(Value::Opaque(self.changed.clone())),
            "Values" => {
                Some(Value::map(self.values.iter().map(|(k, v)| (k.clone(), Value::str(v.as_str()))).collect()))
            }
            _ => None,
        }
    }
}

impl Opaque for AutomationObject {
    fn type_name(&self) -> String {
        "types.NamespacedName".into()
    }
    /// `NamespacedName.String()`.
    fn display(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Namespace" => Some(Value::str(self.namespace.as_str())),
            "Name" => Some(Value::str(self.name.as_str())),
            _ => None,
        }
    }
}

/// `update.Result`.
#[derive(Debug)]
struct ResultData(FileChanges);

impl ResultData {
    /// `Result.Objects()`: files in order, a later file's entry for an object replacing an
    /// earlier one's (Go's map assignment).
    fn objects(&self) -> Vec<(ObjectId, Vec<Change>)> {
        let mut all: Vec<(ObjectId, Vec<Change>)> = Vec::new();
        for (id, changes) in self.0.values().flatten() {
            match all.iter_mut().find(|(o, _)| o == id) {
                Some(entry) => entry.1 = changes.clone(),
                None => all.push((id.clone(), changes.clone())),
            }
        }
        all
    }

    /// `Result.Changes()`: each distinct change once, files and objects in sorted order.
    fn changes(&self) -> Vec<Change> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for objects in self.0.values() {
            for (_, changes) in sorted(objects.clone()) {
                for c in changes {
                    if seen.insert(c.clone()) {
                        out.push(c);
                    }
                }
            }
        }
        out
    }
}

impl Opaque for ResultData {
    fn type_name(&self) -> String {
        "update.Result".into()
    }
    fn display(&self) -> String {
        format!("{{{}}}", object_changes(self.0.values().flatten().cloned().collect()).display_map())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "FileChanges").then(|| {
            Value::map(
                self.0
                    .iter()
                    .map(|(file, objs)| (file.clone(), Value::Opaque(Arc::new(object_changes(objs.clone())))))
                    .collect(),
            )
        })
    }
    fn method(&self, name: &str) -> Option<Func> {
        let value = match name {
            "Objects" => Value::Opaque(Arc::new(object_changes(self.objects()))),
            "Changes" => Value::list(self.changes().into_iter().map(change_value).collect()),
            _ => return None,
        };
        Some(Func::pure(&[], move |_| Ok(value.clone())))
    }
}

/// Go's key order for `ObjectIdentifier` (field by field: APIVersion, Kind, Name, Namespace).
fn sorted(mut objects: Vec<(ObjectId, Vec<Change>)>) -> Vec<(ObjectId, Vec<Change>)> {
    objects.sort_by(|(a, _), (b, _)| {
        (&a.api_version, &a.kind, &a.name, &a.namespace).cmp(&(&b.api_version, &b.kind, &b.name, &b.namespace))
    });
    objects
}

fn object_changes(objects: Vec<(ObjectId, Vec<Change>)>) -> ObjectChanges {
    ObjectChanges(sorted(objects))
}

/// `update.ObjectChanges`: `map[ObjectIdentifier][]Change`.
#[derive(Debug)]
struct ObjectChanges(Vec<(ObjectId, Vec<Change>)>);

impl ObjectChanges {
    fn display_map(&self) -> String {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|(id, ch)| {
                let ch: Vec<String> = ch.iter().map(change_display).collect();
                format!("{}:[{}]", id.display(), ch.join(" "))
            })
            .collect();
        format!("map[{}]", items.join(" "))
    }
}

impl Opaque for ObjectChanges {
    fn type_name(&self) -> String {
        "update.ObjectChanges".into()
    }
    fn display(&self) -> String {
        self.display_map()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn elements(&self) -> Option<Value> {
        Some(Value::list(self.0.iter().map(|(_, c)| changes_value(c)).collect()))
    }
    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        Some(self.0.iter().map(|(id, c)| (Value::Opaque(Arc::new(id.clone())), changes_value(c))).collect())
    }
}

fn changes_value(changes: &[Change]) -> Value {
    Value::list(changes.iter().cloned().map(change_value).collect())
}

fn change_value(c: Change) -> Value {
    Value::Opaque(Arc::new(c))
}

fn change_display(c: &Change) -> String {
    format!("{{{} {} {}}}", c.old_value, c.new_value, c.setter)
}

impl Opaque for Change {
    fn type_name(&self) -> String {
        "update.Change".into()
    }
    fn display(&self) -> String {
        change_display(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "OldValue" => Some(Value::str(self.old_value.as_str())),
            "NewValue" => Some(Value::str(self.new_value.as_str())),
            "Setter" => Some(Value::str(self.setter.as_str())),
            _ => None,
        }
    }
}

impl Opaque for ObjectId {
    fn type_name(&self) -> String {
        "update.ObjectIdentifier".into()
    }
    /// `%v` of `ObjectIdentifier{ResourceIdentifier{TypeMeta{…}, NameMeta{…}}}`.
    fn display(&self) -> String {
        format!("{{{{{{{} {}}} {{{} {}}}}}}}", self.api_version, self.kind, self.name, self.namespace)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "APIVersion" => Some(Value::str(self.api_version.as_str())),
            "Kind" => Some(Value::str(self.kind.as_str())),
            "Name" => Some(Value::str(self.name.as_str())),
            "Namespace" => Some(Value::str(self.namespace.as_str())),
            _ => None,
        }
    }
}
