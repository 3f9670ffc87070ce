//! Compiles a schema document into an arena of keyword sets, draft by draft as v6's
//! `objCompiler` does (which keywords a draft knows, `$ref` siblings ignored before 2019-09,
//! `format` asserted only before 2019-09, boolean `exclusiveMinimum` in draft 4). A worklist
//! (not recursion) walks the document, so deep schemas cannot exhaust the stack.

use std::collections::HashMap;

use regex::Regex;

use super::format::Format;
use super::goregex::go_regex;
use super::number::Decimal;
use super::resolve::{self, Registry, Target};
use super::value::bounded_clone;
use crate::strvals::gojson::Json;

/// JSON types in v6's `ToStrings` order.
pub(crate) const TYPES: [&str; 7] = ["null", "boolean", "number", "integer", "string", "array", "object"];

pub(crate) struct Compiled {
    pub(crate) nodes: Vec<Node>,
    /// The node of each requested root, in request order.
    pub(crate) roots: Vec<usize>,
    /// Pointers into document 0 that `$ref`s target, in compile order.
    pub(crate) ref_targets: Vec<String>,
}

pub(crate) struct Node {
    /// Absolute location, e.g. `file:///values.schema.json#/properties/a`.
    pub(crate) loc: String,
    pub(crate) draft: u32,
    pub(crate) body: Body,
}

pub(crate) enum Body {
    Bool(bool),
    Obj(Box<Keywords>),
}

/// `additionalProperties`/`additionalItems`.
pub(crate) enum Additional {
    Bool(bool),
    Schema(usize),
}

pub(crate) enum Items {
    One(usize),
    Tuple(Vec<usize>),
}

pub(crate) enum Dep {
    Props(Vec<String>),
    Schema(usize),
}

#[derive(Default)]
pub(crate) struct Keywords {
    pub(crate) types: u8,
    pub(crate) constant: Option<Json>,
    pub(crate) enumv: Option<Vec<Json>>,
    pub(crate) format: Option<Format>,
    pub(crate) reference: Option<usize>,
    pub(crate) min_props: Option<i64>,
    pub(crate) max_props: Option<i64>,
    pub(crate) required: Vec<String>,
    pub(crate) dependencies: Vec<(String, Dep)>,
    pub(crate) properties: HashMap<String, usize>,
    pub(crate) pattern_props: Vec<(Regex, usize)>,
    pub(crate) additional_props: Option<Additional>,
    pub(crate) property_names: Option<usize>,
    pub(crate) dependent_schemas: Vec<(String, usize)>,
    pub(crate) dependent_required: Vec<(String, Vec<String>)>,
    pub(crate) min_items: Option<i64>,
    pub(crate) max_items: Option<i64>,
    pub(crate) unique_items: bool,
    pub(crate) items: Option<Items>,
    pub(crate) additional_items: Option<Additional>,
    pub(crate) prefix_items: Vec<usize>,
    pub(crate) items2020: Option<usize>,
    pub(crate) contains: Option<usize>,
    pub(crate) min_contains: Option<i64>,
    pub(crate) max_contains: Option<i64>,
    pub(crate) min_len: Option<i64>,
    pub(crate) max_len: Option<i64>,
    pub(crate) pattern: Option<(Regex, String)>,
    pub(crate) minimum: Option<Decimal>,
    pub(crate) maximum: Option<Decimal>,
    pub(crate) excl_min: Option<Decimal>,
    pub(crate) excl_max: Option<Decimal>,
    pub(crate) multiple_of: Option<Decimal>,
    pub(crate) not: Option<usize>,
    pub(crate) all_of: Vec<usize>,
    pub(crate) any_of: Vec<usize>,
    pub(crate) one_of: Vec<usize>,
    pub(crate) if_: Option<usize>,
    pub(crate) then_: Option<usize>,
    pub(crate) else_: Option<usize>,
    pub(crate) unevaluated_props: Option<usize>,
    pub(crate) unevaluated_items: Option<usize>,
    /// `$recursiveRef`/`$dynamicRef`, resolved statically (see the module docs).
    pub(crate) dynamic_refs: Vec<(&'static str, usize)>,
}

/// The draft a `$schema` URL names; `None` for anything else.
pub(crate) fn draft_of(url: &str) -> Option<u32> {
    let u = url.trim_end_matches('#');
    let u = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"))?;
    match u {
        "json-schema.org/draft-04/schema" => Some(4),
        "json-schema.org/draft-06/schema" => Some(6),
        "json-schema.org/draft-07/schema" => Some(7),
        "json-schema.org/draft/2019-09/schema" => Some(2019),
        // `…/schema` names the latest draft.
        "json-schema.org/draft/2020-12/schema" | "json-schema.org/schema" => Some(2020),
        _ => None,
    }
}

struct Compiler<'a> {
    reg: &'a Registry,
    /// The document being compiled.
    doc: usize,
    nodes: Vec<Node>,
    by_ptr: HashMap<(usize, String), usize>,
    /// Nodes to compile: document, pointer and (when known) the schema value itself.
    queue: Vec<(usize, String, Option<&'a Json>)>,
    ref_targets: Vec<String>,
}

/// Compiles the given roots (document, pointer) of a registry and all they reach; errors
/// carry the library's (or our refusal's) text.
pub(crate) fn compile(reg: &Registry, roots: &[(usize, &str)]) -> Result<Compiled, String> {
    let mut c =
        Compiler { reg, doc: 0, nodes: Vec::new(), by_ptr: HashMap::new(), queue: Vec::new(), ref_targets: Vec::new() };
    let roots: Vec<usize> = roots.iter().map(|(d, p)| c.enqueue_in(*d, (*p).to_string())).collect();
    while let Some((d, ptr, known)) = c.queue.pop() {
        let idx = c.by_ptr.get(&(d, ptr.clone())).copied().unwrap_or(0);
        c.doc = d;
        let body = match known.or_else(|| resolve::lookup(&reg.docs[d].json, &ptr)) {
            Some(Json::Bool(b)) => Body::Bool(*b),
            Some(Json::Object(m)) => Body::Obj(Box::new(c.keywords(m, &ptr)?)),
            // Not a schema (the metaschema rejects it): accept anything.
            _ => Body::Bool(true),
        };
        c.nodes[idx].body = body;
    }
    Ok(Compiled { nodes: c.nodes, roots, ref_targets: c.ref_targets })
}

fn str_list(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Json::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn number(v: Option<&Json>) -> Option<Decimal> {
    match v {
        Some(Json::Number(n)) => Decimal::parse(n),
        _ => None,
    }
}

/// v6's `intVal`: an integral number.
fn int(v: Option<&Json>) -> Option<i64> {
    match v {
        Some(Json::Number(n)) => {
            let d = Decimal::parse(n)?;
            if !d.is_integer() {
                return None;
            }
            Some(d.to_f64() as i64)
        }
        _ => None,
    }
}

fn boolean(v: Option<&Json>) -> Option<bool> {
    match v {
        Some(Json::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn types_of(v: &Json) -> u8 {
    let bit = |s: &str| TYPES.iter().position(|t| *t == s).map_or(0, |i| 1u8 << i);
    match v {
        Json::String(s) => bit(s),
        Json::Array(a) => a
            .iter()
            .map(|t| match t {
                Json::String(s) => bit(s),
                _ => 0,
            })
            .fold(0, |a, b| a | b),
        _ => 0,
    }
}

impl<'a> Compiler<'a> {
    fn draft(&self) -> u32 {
        self.reg.docs[self.doc].draft
    }

    /// Queues a keyword's subschema `j` of the current document.
    fn enqueue(&mut self, ptr: String, j: &'a Json) -> usize {
        self.enqueue_at(self.doc, ptr, Some(j))
    }

    fn enqueue_in(&mut self, d: usize, ptr: String) -> usize {
        self.enqueue_at(d, ptr, None)
    }

    fn enqueue_at(&mut self, d: usize, ptr: String, known: Option<&'a Json>) -> usize {
        if let Some(&i) = self.by_ptr.get(&(d, ptr.clone())) {
            return i;
        }
        let i = self.nodes.len();
        let doc = &self.reg.docs[d];
        let loc = format!("{}#{ptr}", doc.url);
        self.nodes.push(Node { loc, draft: doc.draft, body: Body::Bool(true) });
        self.by_ptr.insert((d, ptr.clone()), i);
        self.queue.push((d, ptr, known));
        i
    }

    fn child(&mut self, m: &'a [(String, Json)], ptr: &str, kw: &str) -> Option<usize> {
        let j = get(m, kw)?;
        Some(self.enqueue(format!("{ptr}/{}", resolve::escape(kw)), j))
    }

    fn prop(&mut self, m: &'a [(String, Json)], ptr: &str, kw: &str) -> Option<usize> {
        self.child(m, ptr, kw)
    }

    fn arr(&mut self, m: &'a [(String, Json)], ptr: &str, kw: &str) -> Vec<usize> {
        match get(m, kw) {
            Some(Json::Array(a)) => {
                a.iter().enumerate().map(|(i, j)| self.enqueue(format!("{ptr}/{kw}/{i}"), j)).collect()
            }
            _ => Vec::new(),
        }
    }

    fn map(&mut self, m: &'a [(String, Json)], ptr: &str, kw: &str) -> Vec<(String, usize)> {
        match get(m, kw) {
            Some(Json::Object(o)) => o
                .iter()
                .map(|(k, j)| (k.clone(), self.enqueue(format!("{ptr}/{kw}/{}", resolve::escape(k)), j)))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn additional(&mut self, m: &'a [(String, Json)], ptr: &str, kw: &str) -> Option<Additional> {
        match get(m, kw) {
            Some(Json::Bool(b)) => Some(Additional::Bool(*b)),
            Some(_) => self.child(m, ptr, kw).map(Additional::Schema),
            None => None,
        }
    }

    fn reference(&mut self, ptr: &str, r: &str) -> Result<usize, String> {
        match self.reg.resolve(self.doc, ptr, r)? {
            Target::Ptr(d, p) => {
                if d == 0 && self.doc == 0 {
                    self.ref_targets.push(p.clone());
                }
                Ok(self.enqueue_in(d, p))
            }
            Target::True(url) => {
                let i = self.nodes.len();
                self.nodes.push(Node { loc: url, draft: self.draft(), body: Body::Bool(true) });
                Ok(i)
            }
        }
    }

    fn ref_kw(&mut self, m: &[(String, Json)], ptr: &str, kw: &str) -> Result<Option<usize>, String> {
        match get(m, kw) {
            Some(Json::String(r)) => self.reference(ptr, r).map(Some),
            _ => Ok(None),
        }
    }

    fn keywords(&mut self, m: &'a [(String, Json)], ptr: &str) -> Result<Keywords, String> {
        let mut k = Keywords { reference: self.ref_kw(m, ptr, "$ref")?, ..Keywords::default() };
        if self.draft() < 2019 && k.reference.is_some() {
            // The library skips only the draft-4 keywords beside `$ref`; of the later ones
            // `const` is checked before the `$ref` (the rest come after it returns).
            if self.draft() >= 6 {
                k.constant = get(m, "const").map(bounded_clone);
            }
            return Ok(k);
        }
        self.applicators(&mut k, m, ptr)?;
        self.validation(&mut k, m, ptr)?;
        let meta = self.reg.docs[self.doc].meta_root.is_some();
        k.format = match get(m, "format") {
            // Validating against a metaschema, the library asserts only `regex`.
            Some(Json::String(f)) if meta => Format::named(f).filter(|f| *f == Format::Regex),
            Some(Json::String(f)) if self.draft() < 2019 => Format::named(f),
            _ => None,
        };
        Ok(k)
    }

    fn applicators(&mut self, k: &mut Keywords, m: &'a [(String, Json)], ptr: &str) -> Result<(), String> {
        k.all_of = self.arr(m, ptr, "allOf");
        k.any_of = self.arr(m, ptr, "anyOf");
        k.one_of = self.arr(m, ptr, "oneOf");
        k.not = self.prop(m, ptr, "not");
        if self.draft() < 2020 {
            match get(m, "items") {
                Some(Json::Array(_)) => {
                    k.items = Some(Items::Tuple(self.arr(m, ptr, "items")));
                    k.additional_items = self.additional(m, ptr, "additionalItems");
                }
                Some(_) => k.items = self.prop(m, ptr, "items").map(Items::One),
                None => {}
            }
        } else {
            k.prefix_items = self.arr(m, ptr, "prefixItems");
            k.items2020 = self.prop(m, ptr, "items");
        }
        k.properties = self.map(m, ptr, "properties").into_iter().collect();
        for (pat, idx) in self.map(m, ptr, "patternProperties") {
            let at = format!("{}#{ptr}/patternProperties", self.reg.docs[self.doc].url);
            let re = go_regex(&pat).map_err(|e| format!("invalid regex {} at {}: {e}", go_q(&pat), go_q(&at)))?;
            k.pattern_props.push((re, idx));
        }
        k.additional_props = self.additional(m, ptr, "additionalProperties");
        if let Some(Json::Object(deps)) = get(m, "dependencies") {
            for (name, v) in deps {
                let dep = match v {
                    Json::Array(_) => Dep::Props(str_list(Some(v))),
                    _ => Dep::Schema(self.enqueue(format!("{ptr}/dependencies/{}", resolve::escape(name)), v)),
                };
                k.dependencies.push((name.clone(), dep));
            }
        }
        if self.draft() >= 6 {
            k.contains = self.prop(m, ptr, "contains");
            k.property_names = self.prop(m, ptr, "propertyNames");
        }
        if self.draft() >= 7 {
            k.if_ = self.prop(m, ptr, "if");
            if k.if_.is_some() {
                let b = boolean(get(m, "if"));
                if b != Some(false) {
                    k.then_ = self.prop(m, ptr, "then");
                }
                if b != Some(true) {
                    k.else_ = self.prop(m, ptr, "else");
                }
            }
        }
        if self.draft() >= 2019 {
            k.dependent_schemas = self.map(m, ptr, "dependentSchemas");
            k.unevaluated_items = self.prop(m, ptr, "unevaluatedItems");
            k.unevaluated_props = self.prop(m, ptr, "unevaluatedProperties");
            for kw in ["$recursiveRef", "$dynamicRef"] {
                let in_draft = (kw == "$recursiveRef") == (self.draft() == 2019);
                if !in_draft || get(m, kw).is_none() {
                    continue;
                }
                let target = match self.reg.docs[self.doc].meta_root {
                    Some(root) => self.enqueue_in(root, String::new()),
                    None => match self.ref_kw(m, ptr, kw)? {
                        Some(i) => i,
                        None => continue,
                    },
                };
                k.dynamic_refs.push((kw, target));
            }
        }
        Ok(())
    }

    fn validation(&mut self, k: &mut Keywords, m: &'a [(String, Json)], ptr: &str) -> Result<(), String> {
        if let Some(t) = get(m, "type") {
            k.types = types_of(t);
        }
        if let Some(Json::Array(a)) = get(m, "enum") {
            k.enumv = Some(a.iter().map(bounded_clone).collect());
        }
        k.multiple_of = number(get(m, "multipleOf"));
        k.maximum = number(get(m, "maximum"));
        if boolean(get(m, "exclusiveMaximum")) == Some(true) {
            k.excl_max = k.maximum.take();
        } else {
            k.excl_max = number(get(m, "exclusiveMaximum"));
        }
        k.minimum = number(get(m, "minimum"));
        if boolean(get(m, "exclusiveMinimum")) == Some(true) {
            k.excl_min = k.minimum.take();
        } else {
            k.excl_min = number(get(m, "exclusiveMinimum"));
        }
        k.min_len = int(get(m, "minLength"));
        k.max_len = int(get(m, "maxLength"));
        if let Some(Json::String(p)) = get(m, "pattern") {
            let at = format!("{}#{ptr}/pattern", self.reg.docs[self.doc].url);
            let re = go_regex(p).map_err(|e| format!("invalid regex {} at {}: {e}", go_q(p), go_q(&at)))?;
            k.pattern = Some((re, p.clone()));
        }
        k.min_items = int(get(m, "minItems"));
        k.max_items = int(get(m, "maxItems"));
        k.unique_items = boolean(get(m, "uniqueItems")) == Some(true);
        k.max_props = int(get(m, "maxProperties"));
        k.min_props = int(get(m, "minProperties"));
        k.required = str_list(get(m, "required"));
        if self.draft() >= 6 {
            k.constant = get(m, "const").map(bounded_clone);
        }
        if self.draft() >= 2019 {
            if k.contains.is_some() {
                k.min_contains = int(get(m, "minContains"));
                k.max_contains = int(get(m, "maxContains"));
            }
            if let Some(Json::Object(o)) = get(m, "dependentRequired") {
                for (name, v) in o {
                    if matches!(v, Json::Array(_)) {
                        k.dependent_required.push((name.clone(), str_list(Some(v))));
                    }
                }
            }
        }
        Ok(())
    }
}

fn go_q(s: &str) -> String {
    crate::strvals::gojson::go_quote(s)
}

pub(crate) fn get<'a>(m: &'a [(String, Json)], kw: &str) -> Option<&'a Json> {
    m.iter().find(|(k, _)| k == kw).map(|(_, v)| v)
}
