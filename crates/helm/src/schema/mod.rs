//! `values.schema.json` validation as Helm 4 does it (`pkg/chart/common/util/jsonschema.go`,
//! on santhosh-tekuri/jsonschema v6), error text included.
//!
//! - [`validate_against_schema`] is Helm's `ValidateAgainstSingleSchema`: the schema is read
//!   with Go's JSON decoder (numbers kept as written), compiled under
//!   `file:///values.schema.json` with draft 2020-12 unless `$schema` names draft 4, 6, 7 or
//!   2019-09, and the values validated. A failure's text is v6's error tree as Helm prints it:
//!   one `- at '/path': message` line per error, causes indented by two spaces, a final
//!   newline.
//! - [`validate_chart`] is Helm's `ValidateAgainstSchema`: a chart's schema against its values,
//!   then each dependency's against `values[<dependency name>]`, messages gathered under
//!   `<chart>:` headers.
//!
//! The schema itself is first checked against its draft's metaschema (built in, as in the
//! library): `"file:///values.schema.json#" is not valid against metaschema: …`.
//!
//! Differences from Helm:
//! - Nothing is fetched: a `$ref` or `$schema` outside the document fails with
//!   [`SchemaError::Invalid`] (`failing loading "<url>": …`) where Helm would load it over
//!   HTTP or from disk; `urn:` references are the `true` schema, as in Helm.
//! - Go walks maps in random order; here objects are walked in key order, so sibling errors
//!   (and the names in `additional properties …`) come out sorted.
//! - Patterns run on the `regex` crate with Go's ASCII `\d`, `\w`, `\s`, `\b`; Go's syntax
//!   error texts are reproduced for the usual mistakes, other failures carry the crate's text.
//!   This crate enables the regex crate's `unicode-case`, `unicode-gencat` and `unicode-script`
//!   features for Go's `(?i)` and `\p{…}`.
//! - `$recursiveRef`/`$dynamicRef` in a values schema resolve statically.
//! - Validation nesting is bounded (150 levels of instance depth plus `$ref`/applicator hops),
//!   so no input exhausts the stack; the schema document's own nesting is walked iteratively
//!   (Go's 10000-level JSON limit applies).

mod compile;
mod format;
mod goregex;
mod kind;
mod metaschema;
mod number;
mod resolve;
mod validate;
mod value;

use serde_json::{Map, Value};

use crate::strvals::gojson;

/// A schema problem; `Display` is the text Helm shows after `<chart>:`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// The schema could not be read or compiled (e.g. `invalid character 'b' looking for
    /// beginning of object key string`, `json-pointer in "…" not found`).
    #[error("{0}")]
    Invalid(String),
    /// The values violate the schema: Helm's `JSONSchemaValidationError` text (ends in `\n`).
    #[error("{0}")]
    Validation(String),
}

/// `ValidateAgainstSingleSchema`: validates `values` against the `values.schema.json` bytes.
/// The schema's compilation (and its check against its draft's metaschema, the costly part)
/// depends on the bytes alone, so it is kept for the next render of the same chart.
pub fn validate_against_schema(schema: &[u8], values: &Value) -> Result<(), SchemaError> {
    let compiled = prepared(schema)?;
    let v = validate::Validator { c: &compiled };
    match v.run(values, compiled.roots[0], 0) {
        Ok(()) => Ok(()),
        Err(e) => Err(SchemaError::Validation(format!("{}\n", kind::render(&e)))),
    }
}

type Prepared = Result<std::sync::Arc<compile::Compiled>, SchemaError>;

/// Compiled schemas by their bytes; at most [`PREPARED_MAX`] are kept.
static PREPARED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<Vec<u8>, Prepared>>> =
    std::sync::LazyLock::new(Default::default);
const PREPARED_MAX: usize = 256;

fn prepared(schema: &[u8]) -> Prepared {
    let lock = || PREPARED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(p) = lock().get(schema) {
        return p.clone();
    }
    let p = compile_checked(schema).map(std::sync::Arc::new);
    let mut cache = lock();
    if cache.len() < PREPARED_MAX {
        cache.insert(schema.to_vec(), p.clone());
    }
    p
}

fn compile_checked(schema: &[u8]) -> Result<compile::Compiled, SchemaError> {
    let doc = gojson::decode_document(schema).map_err(SchemaError::Invalid)?;
    let draft = metaschema::draft_of_doc(&doc).map_err(SchemaError::Invalid)?;
    let mut reg = resolve::Registry::default();
    reg.add(resolve::ROOT_URL, doc, draft, None);
    let meta_doc = metaschema::load(&mut reg, draft).map_err(SchemaError::Invalid)?;
    metaschema::load_referenced(&mut reg, draft).map_err(SchemaError::Invalid)?;
    let meta = compile::compile(&reg, &[(meta_doc, "")]).map_err(SchemaError::Invalid)?;
    metaschema::check_root(&meta, &reg).map_err(SchemaError::Invalid)?;
    let compiled = compile::compile(&reg, &[(0, "")]).map_err(SchemaError::Invalid)?;
    metaschema::check_targets(&meta, &reg, &compiled).map_err(SchemaError::Invalid)?;
    Ok(compiled)
}

/// A chart as schema validation sees it: its name, its `values.schema.json` (if any) and its
/// dependencies (`charts/`, after Helm's dependency processing, aliases applied to `name`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaChart {
    /// The chart's name (the key of its values in the parent's values).
    pub name: String,
    /// The raw `values.schema.json`.
    pub schema: Option<Vec<u8>>,
    /// The enabled subcharts, in the chart's dependency order.
    pub dependencies: Vec<SchemaChart>,
}

/// Failed chart validation. `Display` is the message of Helm's install/template error
/// (`values don't meet the specifications of the schema(s) in the following chart(s):\n…`);
/// [`ChartSchemaError::details`] is `ValidateAgainstSchema`'s own text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("values don't meet the specifications of the schema(s) in the following chart(s):\n{details}")]
pub struct ChartSchemaError {
    details: String,
}

impl ChartSchemaError {
    /// The per-chart messages: `<chart>:\n- at '/x': …\n<subchart>:\n…`.
    pub fn details(&self) -> &str {
        &self.details
    }
}

/// Go's `%T` of a value that should have been a map.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "int64",
        Value::Number(n) if n.is_u64() => "uint64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn walk(chart: &SchemaChart, values: &Map<String, Value>, out: &mut String) {
    if let Some(schema) = &chart.schema {
        let values = Value::Object(values.clone());
        if let Err(e) = validate_against_schema(schema, &values) {
            out.push_str(&format!("{}:\n{e}", chart.name));
        }
    }
    for sub in &chart.dependencies {
        match values.get(&sub.name) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => walk(sub, m, out),
            Some(other) => out.push_str(&format!(
                "{}:\ninvalid type for values: expected object (map), got {}\n",
                sub.name,
                go_type(other)
            )),
        }
    }
}

/// `ValidateAgainstSchema`: validates a chart and, recursively, each dependency that has
/// values (`values[<name>]`; a missing or null entry skips that subchart, as in Helm).
pub fn validate_chart(chart: &SchemaChart, values: &Map<String, Value>) -> Result<(), ChartSchemaError> {
    let mut details = String::new();
    walk(chart, values, &mut details);
    if details.is_empty() { Ok(()) } else { Err(ChartSchemaError { details }) }
}
