//! The validator: v6's `validator.validate` keyword by keyword, in its order (type, const,
//! enum and format fail alone; then `$ref`, the object/array/string/number keywords, the
//! applicators and `unevaluated*`), building the same error tree. Helm's Go code walks maps in
//! random order; here objects are walked in key order, so output is deterministic.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

mod apply;

use super::compile::{Additional, Body, Compiled, Dep, Items, Keywords, TYPES};
use super::kind::{Kind, VErr};
use super::number::Decimal;
use super::value::{display_copy, equals, is_integer, json_type, type_name, values_equal};

/// Nested validations (instance levels plus `$ref`/applicator hops) allowed before giving up:
/// about 5 KiB of stack each in debug builds, so this stays under 1 MiB, well inside a 2 MiB
/// thread stack. Values and schemas of real charts are far shallower.
pub(crate) const MAX_DEPTH: usize = 150;

/// A link of v6's `scope` chain (which schema validates which instance), for `$ref` cycles.
pub(super) struct Scope<'p> {
    sch: usize,
    ref_kw: &'static str,
    vid: usize,
    parent: Option<&'p Scope<'p>>,
}

/// Properties and items no keyword has evaluated yet.
#[derive(Default, Clone)]
pub(super) struct Uneval {
    pub(super) props: BTreeSet<String>,
    pub(super) items: BTreeSet<usize>,
}

impl Uneval {
    fn of(v: &Value) -> Uneval {
        match v {
            Value::Object(m) => Uneval { props: m.keys().cloned().collect(), ..Uneval::default() },
            Value::Array(a) => Uneval { items: (0..a.len()).collect(), ..Uneval::default() },
            _ => Uneval::default(),
        }
    }

    fn merge(&mut self, other: &Uneval) {
        self.props.retain(|p| other.props.contains(p));
        self.items.retain(|i| other.items.contains(i));
    }
}

pub(crate) struct Validator<'c> {
    pub(crate) c: &'c Compiled,
}

/// The state of one `validate` call (v6's `validator` struct).
pub(super) struct Frame<'a, 'p> {
    pub(super) v: &'a Value,
    pub(super) loc: Vec<String>,
    pub(super) scope: &'p Scope<'p>,
    pub(super) uneval: Uneval,
    pub(super) errors: Vec<VErr>,
    pub(super) depth: usize,
}

fn verr(loc: &[String], kind: Kind) -> VErr {
    VErr { loc: loc.to_vec(), kind: Box::new(kind), causes: Vec::new() }
}

/// A group's causes, or the error itself.
fn flatten(e: VErr) -> Vec<VErr> {
    if matches!(*e.kind, Kind::Group) { e.causes } else { vec![e] }
}

impl<'c> Validator<'c> {
    /// Validates `v` against schema `root` as a fresh top-level validation.
    pub(crate) fn run(&self, v: &Value, root: usize, depth: usize) -> Result<(), VErr> {
        let scope = Scope { sch: root, ref_kw: "", vid: 0, parent: None };
        self.validate(v, Vec::new(), &scope, depth).map(|_| ())
    }

    fn kw_loc(&self, mut sc: &Scope<'_>) -> String {
        let mut loc = String::new();
        while let Some(parent) = sc.parent {
            if sc.ref_kw.is_empty() {
                let cur = &self.c.nodes[sc.sch].loc;
                let plen = self.c.nodes[parent.sch].loc.len();
                loc.insert_str(0, cur.get(plen..).unwrap_or(""));
            } else {
                loc.insert_str(0, &format!("/{}", super::resolve::escape(sc.ref_kw)));
            }
            sc = parent;
        }
        loc
    }

    fn validate(&self, v: &Value, loc: Vec<String>, scope: &Scope<'_>, depth: usize) -> Result<Uneval, VErr> {
        let node = &self.c.nodes[scope.sch];
        let k = match &node.body {
            Body::Bool(true) => return Ok(Uneval::of(v)),
            Body::Bool(false) => return Err(verr(&loc, Kind::FalseSchema)),
            Body::Obj(k) => k,
        };
        let mut p = scope.parent;
        while let Some(s) = p.filter(|s| s.vid == scope.vid) {
            if s.sch == scope.sch {
                let (kw1, kw2) = (self.kw_loc(scope), self.kw_loc(s));
                return Err(verr(&loc, Kind::RefCycle { url: node.loc.clone(), kw1, kw2 }));
            }
            p = s.parent;
        }
        if depth > MAX_DEPTH {
            return Err(verr(&loc, Kind::TooDeep(MAX_DEPTH)));
        }
        if let Some(e) = self.first_failure(v, &loc, k) {
            return Err(e);
        }
        let mut f = Frame { v, loc, scope, uneval: Uneval::of(v), errors: Vec::new(), depth };
        if let Some(r) = k.reference {
            let res = self.validate_ref(&mut f, r, "$ref");
            if node.draft < 2019 {
                return res.map(|()| f.uneval);
            }
            f.errors.extend(res.err());
        }
        match v {
            Value::Object(m) => self.object(&mut f, k, m),
            Value::Array(a) => self.array(&mut f, k, a),
            Value::String(s) => self.string(&mut f, k, s),
            Value::Number(_) => self.number(&mut f, k),
            _ => {}
        }
        for &(kw, r) in &k.dynamic_refs {
            if let Err(e) = self.validate_ref(&mut f, r, kw) {
                f.errors.push(e);
            }
        }
        self.conditionals(&mut f, k);
        self.unevaluated(&mut f, k);
        match f.errors.len() {
            0 => Ok(f.uneval),
            1 => Err(f.errors.remove(0)),
            _ => Err(VErr { loc: f.loc, kind: Box::new(Kind::Group), causes: f.errors }),
        }
    }

    /// type, const, enum and format: each fails the schema on its own.
    fn first_failure(&self, v: &Value, loc: &[String], k: &Keywords) -> Option<VErr> {
        if k.types != 0 {
            let has = |t: &str| TYPES.iter().position(|x| *x == t).is_some_and(|i| k.types & (1 << i) != 0);
            let t = type_name(v);
            if !(has(t) || (has("integer") && t == "number" && is_integer(v))) {
                let want = TYPES.iter().enumerate().filter(|(i, _)| k.types & (1 << i) != 0);
                return Some(verr(loc, Kind::Type { got: t, want: want.map(|(_, t)| *t).collect() }));
            }
        }
        if let Some(c) = &k.constant
            && !equals(v, c)
        {
            return Some(verr(loc, Kind::Const(display_copy(c))));
        }
        if let Some(e) = &k.enumv {
            // The library first requires the value's type among the enum's types, then any match
            // (where a number equals a numeric string).
            let t = type_name(v);
            if !e.iter().any(|x| json_type(x) == t) || !e.iter().any(|x| equals(v, x)) {
                return Some(verr(loc, Kind::Enum(e.iter().map(display_copy).collect())));
            }
        }
        if let (Some(fmt), Value::String(s)) = (k.format, v)
            && let Err(err) = fmt.check(s)
        {
            let got = super::kind::quote(s);
            return Some(verr(loc, Kind::Format { got, want: fmt.name().into(), err }));
        }
        None
    }

    /// Validates the same instance against another schema (v6's `validateSelf`).
    pub(super) fn validate_self(&self, f: &mut Frame<'_, '_>, sch: usize, ref_kw: &'static str) -> Result<(), VErr> {
        let scope = Scope { sch, ref_kw, vid: f.scope.vid, parent: Some(f.scope) };
        let sub = self.validate(f.v, f.loc.clone(), &scope, f.depth + 1)?;
        f.uneval.merge(&sub);
        Ok(())
    }

    /// Validates a child instance (v6's `validateVal`).
    pub(super) fn validate_val(&self, f: &Frame<'_, '_>, sch: usize, v: &Value, tok: String) -> Result<(), VErr> {
        let scope = Scope { sch, ref_kw: "", vid: f.scope.vid + 1, parent: Some(f.scope) };
        let mut loc = f.loc.clone();
        loc.push(tok);
        self.validate(v, loc, &scope, f.depth + 1).map(|_| ())
    }

    fn validate_ref(&self, f: &mut Frame<'_, '_>, sch: usize, kw: &'static str) -> Result<(), VErr> {
        self.validate_self(f, sch, kw).map_err(|e| VErr {
            loc: f.loc.clone(),
            kind: Box::new(Kind::Reference),
            causes: flatten(e),
        })
    }

    pub(super) fn add(f: &mut Frame<'_, '_>, kind: Kind) {
        let e = verr(&f.loc, kind);
        f.errors.push(e);
    }

    pub(super) fn add_with(f: &mut Frame<'_, '_>, kind: Kind, causes: Vec<VErr>) {
        let e = VErr { loc: f.loc.clone(), kind: Box::new(kind), causes };
        f.errors.push(e);
    }

    fn object(&self, f: &mut Frame<'_, '_>, k: &Keywords, m: &Map<String, Value>) {
        let len = m.len();
        if k.min_props.is_some_and(|w| i64::try_from(len).is_ok_and(|l| l < w)) {
            Self::add(f, Kind::MinProperties(len, k.min_props.unwrap_or(0)));
        }
        if k.max_props.is_some_and(|w| i64::try_from(len).is_ok_and(|l| l > w)) {
            Self::add(f, Kind::MaxProperties(len, k.max_props.unwrap_or(0)));
        }
        let missing =
            |req: &[String]| -> Vec<String> { req.iter().filter(|p| !m.contains_key(p.as_str())).cloned().collect() };
        let req = missing(&k.required);
        if !req.is_empty() {
            Self::add(f, Kind::Required(req));
        }
        for (prop, dep) in &k.dependencies {
            if !m.contains_key(prop) {
                continue;
            }
            match dep {
                Dep::Props(p) => {
                    let miss = missing(p);
                    if !miss.is_empty() {
                        Self::add(f, Kind::Dependency { prop: prop.clone(), missing: miss });
                    }
                }
                Dep::Schema(s) => {
                    if let Err(e) = self.validate_self(f, *s, "") {
                        f.errors.push(e);
                    }
                }
            }
        }
        self.properties(f, k, m);
        if let Some(pn) = k.property_names {
            for name in m.keys() {
                if let Err(e) = self.run(&Value::String(name.clone()), pn, f.depth + 1) {
                    let causes = flatten(e);
                    f.errors.push(VErr { loc: Vec::new(), kind: Box::new(Kind::PropertyNames(name.clone())), causes });
                }
            }
        }
        for (prop, s) in &k.dependent_schemas {
            if m.contains_key(prop)
                && let Err(e) = self.validate_self(f, *s, "")
            {
                f.errors.push(e);
            }
        }
        for (prop, req) in &k.dependent_required {
            if m.contains_key(prop) {
                let miss = missing(req);
                if !miss.is_empty() {
                    Self::add(f, Kind::Dependency { prop: prop.clone(), missing: miss });
                }
            }
        }
    }

    fn properties(&self, f: &mut Frame<'_, '_>, k: &Keywords, m: &Map<String, Value>) {
        let mut additional = Vec::new();
        for (name, pv) in m {
            let mut evaluated = false;
            if let Some(&s) = k.properties.get(name) {
                evaluated = true;
                if let Err(e) = self.validate_val(f, s, pv, name.clone()) {
                    f.errors.push(e);
                }
            }
            for (re, s) in &k.pattern_props {
                if re.is_match(name) {
                    evaluated = true;
                    if let Err(e) = self.validate_val(f, *s, pv, name.clone()) {
                        f.errors.push(e);
                    }
                }
            }
            if !evaluated {
                match k.additional_props {
                    Some(Additional::Bool(false)) => additional.push(name.clone()),
                    Some(Additional::Schema(s)) => {
                        if let Err(e) = self.validate_val(f, s, pv, name.clone()) {
                            f.errors.push(e);
                        }
                    }
                    _ => {}
                }
                evaluated = k.additional_props.is_some();
            }
            if evaluated {
                f.uneval.props.remove(name);
            }
        }
        if !additional.is_empty() {
            Self::add(f, Kind::AdditionalProperties(additional));
        }
    }

    fn array(&self, f: &mut Frame<'_, '_>, k: &Keywords, a: &[Value]) {
        let len = a.len();
        let lt = |w: Option<i64>| w.is_some_and(|w| i64::try_from(len).is_ok_and(|l| l < w));
        let gt = |w: Option<i64>| w.is_some_and(|w| i64::try_from(len).is_ok_and(|l| l > w));
        if lt(k.min_items) {
            Self::add(f, Kind::MinItems(len, k.min_items.unwrap_or(0)));
        }
        if gt(k.max_items) {
            Self::add(f, Kind::MaxItems(len, k.max_items.unwrap_or(0)));
        }
        if k.unique_items {
            let dup = (1..len).find_map(|j| (0..j).find(|&i| values_equal(&a[j], &a[i])).map(|i| (i, j)));
            if let Some((i, j)) = dup {
                Self::add(f, Kind::UniqueItems(i, j));
            }
        }
        // The library indexes items after the evaluated prefix from 0 (v6.0.x behaviour).
        let rest = |f: &mut Frame<'_, '_>, from: usize, s: usize| {
            for (i, item) in a.iter().enumerate().skip(from) {
                if let Err(e) = self.validate_val(f, s, item, (i - from).to_string()) {
                    f.errors.push(e);
                }
                f.uneval.items.remove(&i);
            }
        };
        if f.scope_draft(self) < 2020 {
            let evaluated = match &k.items {
                Some(Items::One(s)) => {
                    rest(f, 0, *s);
                    len
                }
                Some(Items::Tuple(ts)) => {
                    let n = ts.len().min(len);
                    self.prefix(f, &ts[..n], a);
                    n
                }
                None => 0,
            };
            match k.additional_items {
                Some(Additional::Bool(false)) if evaluated != len => {
                    Self::add(f, Kind::AdditionalItems(len - evaluated));
                }
                Some(Additional::Schema(s)) => rest(f, evaluated, s),
                _ => {}
            }
        } else {
            let n = k.prefix_items.len().min(len);
            self.prefix(f, &k.prefix_items[..n], a);
            if let Some(s) = k.items2020 {
                rest(f, n, s);
            }
        }
        if let Some(c) = k.contains {
            self.contains(f, k, a, c);
        }
    }

    fn prefix(&self, f: &mut Frame<'_, '_>, schemas: &[usize], a: &[Value]) {
        for (i, s) in schemas.iter().enumerate() {
            if let Err(e) = self.validate_val(f, *s, &a[i], i.to_string()) {
                f.errors.push(e);
            }
            f.uneval.items.remove(&i);
        }
    }

    fn contains(&self, f: &mut Frame<'_, '_>, k: &Keywords, a: &[Value], c: usize) {
        let mut errors = Vec::new();
        let mut matched = Vec::new();
        for (i, item) in a.iter().enumerate() {
            match self.validate_val(f, c, item, i.to_string()) {
                Err(e) => errors.push(e),
                Ok(()) => {
                    matched.push(i);
                    if f.scope_draft(self) >= 2020 {
                        f.uneval.items.remove(&i);
                    }
                }
            }
        }
        let n = i64::try_from(matched.len()).unwrap_or(i64::MAX);
        match k.min_contains {
            Some(min) if n < min => Self::add_with(f, Kind::MinContains(matched.clone(), min), errors),
            Some(_) => {}
            None if matched.is_empty() => Self::add_with(f, Kind::Contains, errors),
            None => {}
        }
        if let Some(max) = k.max_contains.filter(|&m| n > m) {
            Self::add(f, Kind::MaxContains(matched, max));
        }
    }

    fn string(&self, f: &mut Frame<'_, '_>, k: &Keywords, s: &str) {
        let n = s.chars().count();
        let ni = i64::try_from(n).unwrap_or(i64::MAX);
        if let Some(w) = k.min_len.filter(|&w| ni < w) {
            Self::add(f, Kind::MinLength(n, w));
        }
        if let Some(w) = k.max_len.filter(|&w| ni > w) {
            Self::add(f, Kind::MaxLength(n, w));
        }
        if let Some((re, pat)) = &k.pattern
            && !re.is_match(s)
        {
            Self::add(f, Kind::Pattern { got: s.to_string(), want: pat.clone() });
        }
    }

    fn number(&self, f: &mut Frame<'_, '_>, k: &Keywords) {
        let Some(n) = Decimal::of_value(f.v) else { return };
        if let Some(w) = k.minimum.as_ref().filter(|w| n < **w) {
            Self::add(f, Kind::Minimum(n.clone(), w.clone()));
        }
        if let Some(w) = k.maximum.as_ref().filter(|w| n > **w) {
            Self::add(f, Kind::Maximum(n.clone(), w.clone()));
        }
        if let Some(w) = k.excl_min.as_ref().filter(|w| n <= **w) {
            Self::add(f, Kind::ExclusiveMinimum(n.clone(), w.clone()));
        }
        if let Some(w) = k.excl_max.as_ref().filter(|w| n >= **w) {
            Self::add(f, Kind::ExclusiveMaximum(n.clone(), w.clone()));
        }
        if let Some(w) = k.multiple_of.as_ref().filter(|w| !n.is_multiple_of(w)) {
            Self::add(f, Kind::MultipleOf(n.clone(), w.clone()));
        }
    }
}

impl Frame<'_, '_> {
    pub(super) fn scope_draft(&self, v: &Validator<'_>) -> u32 {
        v.c.nodes[self.scope.sch].draft
    }
}
