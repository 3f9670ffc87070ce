//! The applicator keywords: `not`, `allOf`, `anyOf`, `oneOf`, `if`/`then`/`else` and
//! `unevaluatedProperties`/`unevaluatedItems`.

use serde_json::Value;

use super::{Frame, Validator};
use crate::schema::compile::Keywords;
use crate::schema::kind::{Kind, VErr};

impl Validator<'_> {
    pub(super) fn conditionals(&self, f: &mut Frame<'_, '_>, k: &Keywords) {
        if let Some(s) = k.not
            && self.validate_self(f, s, "").is_ok()
        {
            Self::add(f, Kind::Not);
        }
        let errs: Vec<VErr> = k.all_of.iter().filter_map(|&s| self.validate_self(f, s, "").err()).collect();
        if !errs.is_empty() {
            Self::add_with(f, Kind::AllOf, errs);
        }
        if !k.any_of.is_empty() {
            let mut errs = Vec::new();
            let mut matched = false;
            for &s in &k.any_of {
                match self.validate_self(f, s, "") {
                    Err(e) => errs.push(e),
                    Ok(()) => matched = true,
                }
            }
            if !matched {
                Self::add_with(f, Kind::AnyOf, errs);
            }
        }
        self.one_of(f, k);
        if let Some(i) = k.if_ {
            let branch = if self.validate_self(f, i, "").is_ok() { k.then_ } else { k.else_ };
            if let Some(b) = branch
                && let Err(e) = self.validate_self(f, b, "")
            {
                f.errors.push(e);
            }
        }
    }

    fn one_of(&self, f: &mut Frame<'_, '_>, k: &Keywords) {
        if k.one_of.is_empty() {
            return;
        }
        let mut matched: Option<usize> = None;
        let mut errs = Vec::new();
        for (i, &s) in k.one_of.iter().enumerate() {
            match (self.validate_self(f, s, ""), matched) {
                (Err(e), None) => errs.push(e),
                (Err(_), Some(_)) => {}
                (Ok(()), None) => matched = Some(i),
                (Ok(()), Some(m)) => {
                    Self::add(f, Kind::OneOf(Some((m, i))));
                    break;
                }
            }
        }
        if matched.is_none() {
            Self::add_with(f, Kind::OneOf(None), errs);
        }
    }

    pub(super) fn unevaluated(&self, f: &mut Frame<'_, '_>, k: &Keywords) {
        if f.scope_draft(self) < 2019 {
            return;
        }
        if let (Some(s), Value::Object(m)) = (k.unevaluated_props, f.v) {
            for name in std::mem::take(&mut f.uneval.props) {
                if let Some(pv) = m.get(&name)
                    && let Err(e) = self.validate_val(f, s, pv, name.clone())
                {
                    f.errors.push(e);
                }
            }
        }
        if let (Some(s), Value::Array(a)) = (k.unevaluated_items, f.v) {
            for i in std::mem::take(&mut f.uneval.items) {
                if let Err(e) = self.validate_val(f, s, &a[i], i.to_string()) {
                    f.errors.push(e);
                }
            }
        }
    }
}
