//! Checking a schema against its draft's metaschema, as the library does while compiling
//! (`"file:///values.schema.json#" is not valid against metaschema: …`). The metaschemas are
//! the official documents, built in; a `$ref` target outside the places the metaschema walks
//! (e.g. under `$defs` in draft 7) is checked on its own, under its own location.

use super::compile::{self, Compiled};
use super::kind::{Kind, render};
use super::resolve::{self, ROOT_URL, Registry};
use super::validate::Validator;
use super::value::json_to_value;
use crate::strvals::gojson::{self, Json};

const DRAFT4: &str = include_str!("meta/draft-04.json");
const DRAFT6: &str = include_str!("meta/draft-06.json");
const DRAFT7: &str = include_str!("meta/draft-07.json");
const D2019: [(&str, &str); 7] = [
    ("schema", include_str!("meta/2019-09.json")),
    ("meta/core", include_str!("meta/2019-09-core.json")),
    ("meta/applicator", include_str!("meta/2019-09-applicator.json")),
    ("meta/validation", include_str!("meta/2019-09-validation.json")),
    ("meta/meta-data", include_str!("meta/2019-09-meta-data.json")),
    ("meta/format", include_str!("meta/2019-09-format.json")),
    ("meta/content", include_str!("meta/2019-09-content.json")),
];
const D2020: [(&str, &str); 8] = [
    ("schema", include_str!("meta/2020-12.json")),
    ("meta/core", include_str!("meta/2020-12-core.json")),
    ("meta/applicator", include_str!("meta/2020-12-applicator.json")),
    ("meta/unevaluated", include_str!("meta/2020-12-unevaluated.json")),
    ("meta/validation", include_str!("meta/2020-12-validation.json")),
    ("meta/meta-data", include_str!("meta/2020-12-meta-data.json")),
    ("meta/format-annotation", include_str!("meta/2020-12-format-annotation.json")),
    ("meta/content", include_str!("meta/2020-12-content.json")),
];

/// The metaschema URL of a draft, without the `#`.
pub(crate) fn url(draft: u32) -> &'static str {
    match draft {
        4 => "http://json-schema.org/draft-04/schema",
        6 => "http://json-schema.org/draft-06/schema",
        7 => "http://json-schema.org/draft-07/schema",
        2019 => "https://json-schema.org/draft/2019-09/schema",
        _ => "https://json-schema.org/draft/2020-12/schema",
    }
}

fn decode(text: &str) -> Result<Json, String> {
    gojson::decode_document(text.as_bytes()).map_err(|e| format!("built-in metaschema: {e}"))
}

/// Adds the draft's metaschema documents; returns the dialect root's document.
pub(crate) fn load(reg: &mut Registry, draft: u32) -> Result<usize, String> {
    let root = reg.docs.len();
    let single = match draft {
        4 => Some(DRAFT4),
        6 => Some(DRAFT6),
        7 => Some(DRAFT7),
        _ => None,
    };
    if let Some(text) = single {
        reg.add(url(draft), decode(text)?, draft, Some(root));
        return Ok(root);
    }
    let (base, docs): (&str, &[(&str, &str)]) = if draft == 2019 {
        ("https://json-schema.org/draft/2019-09/", &D2019)
    } else {
        ("https://json-schema.org/draft/2020-12/", &D2020)
    };
    for (path, text) in docs {
        reg.add(&format!("{base}{path}"), decode(text)?, draft, Some(root));
    }
    Ok(root)
}

/// Every `$ref` string of a document (iteratively).
fn refs(doc: &Json) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack = vec![doc];
    while let Some(j) = stack.pop() {
        match j {
            Json::Object(m) => {
                for (k, v) in m {
                    match v {
                        Json::String(r) if k == "$ref" => out.push(r.as_str()),
                        v => stack.push(v),
                    }
                }
            }
            Json::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out
}

/// Loads the metaschemas of other drafts that document 0 references (the library has them all
/// built in, so such references resolve without fetching).
pub(crate) fn load_referenced(reg: &mut Registry, draft: u32) -> Result<(), String> {
    let wanted: Vec<u32> = {
        let refs = refs(&reg.docs[0].json);
        [4, 6, 7, 2019, 2020]
            .into_iter()
            .filter(|&d| d != draft)
            .filter(|&d| {
                let base = match d {
                    2019 => "https://json-schema.org/draft/2019-09/",
                    2020 => "https://json-schema.org/draft/2020-12/",
                    d => url(d),
                };
                refs.iter().any(|r| r.starts_with(base))
            })
            .collect()
    };
    for d in wanted {
        load(reg, d)?;
    }
    Ok(())
}

/// Whether the metaschema walks `ptr` as a schema (so it was checked with the document).
fn is_schema_path(ptr: &str, draft: u32) -> bool {
    let toks: Vec<String> = ptr.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
    let mut single = vec!["additionalProperties", "not", "additionalItems"];
    let mut maps = vec!["properties", "patternProperties", "definitions", "dependencies"];
    let mut arrays = vec!["allOf", "anyOf", "oneOf"];
    if draft >= 6 {
        single.extend(["contains", "propertyNames"]);
    }
    if draft >= 7 {
        single.extend(["if", "then", "else"]);
    }
    if draft >= 2019 {
        single.extend(["unevaluatedItems", "unevaluatedProperties", "contentSchema"]);
        maps.extend(["$defs", "dependentSchemas"]);
    }
    if draft >= 2020 {
        arrays.push("prefixItems");
    }
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        let indexed = toks.get(i + 1).is_some_and(|n| n.parse::<usize>().is_ok());
        if t == "items" {
            i += if draft < 2020 && indexed { 2 } else { 1 };
        } else if single.contains(&t) {
            i += 1;
        } else if (maps.contains(&t) && i + 1 < toks.len()) || (arrays.contains(&t) && indexed) {
            i += 2;
        } else {
            return false;
        }
    }
    true
}

/// Validates one schema (document 0 at `ptr`) against the metaschema.
fn check_one(meta: &Compiled, doc: &Json, ptr: &str, draft: u32) -> Result<(), String> {
    let Some(sub) = resolve::lookup(doc, ptr) else { return Ok(()) };
    let value = json_to_value(sub);
    let v = Validator { c: meta };
    match v.run(&value, meta.roots[0], 0) {
        Ok(()) => Ok(()),
        // Our depth bound is not the library's: a schema too deep to check is not rejected.
        Err(e) if render(&e).contains(&Kind::TooDeep(super::validate::MAX_DEPTH).message()) => Ok(()),
        Err(e) => Err(format!(
            "{} is not valid against metaschema: jsonschema validation failed with '{}#'\n{}",
            gojson::go_quote(&format!("{ROOT_URL}#{ptr}")),
            url(draft),
            render(&e)
        )),
    }
}

/// Checks document 0 against the metaschema compiled at `meta`.
pub(crate) fn check_root(meta: &Compiled, reg: &Registry) -> Result<(), String> {
    let doc = &reg.docs[0];
    check_one(meta, &doc.json, "", doc.draft)
}

/// Checks the `$ref` targets the metaschema did not walk.
pub(crate) fn check_targets(meta: &Compiled, reg: &Registry, user: &Compiled) -> Result<(), String> {
    let doc = &reg.docs[0];
    let mut seen = std::collections::HashSet::new();
    for ptr in &user.ref_targets {
        if seen.insert(ptr.as_str()) && !is_schema_path(ptr, doc.draft) {
            check_one(meta, &doc.json, ptr, doc.draft)?;
        }
    }
    Ok(())
}

/// The draft a document's `$schema` names (2020-12 when absent); other URLs are refused.
pub(crate) fn draft_of_doc(doc: &Json) -> Result<u32, String> {
    match doc {
        Json::Object(m) => match compile::get(m, "$schema") {
            Some(Json::String(u)) => {
                compile::draft_of(u).ok_or_else(|| resolve::refused(u.split_once('#').map_or(u.as_str(), |(r, _)| r)))
            }
            _ => Ok(2020),
        },
        _ => Ok(2020),
    }
}
