//! LIST: selector filtering in (namespace, name) order with `limit`/`continue` pagination.

use std::sync::Arc;

use serde_json::Value;

use crate::error::ApiError;
use crate::resource::ResourceInfo;
use crate::selector::Selectors;
use crate::store::{JsonCell, ObjectKey, Store};

/// The result of a LIST.
#[derive(Debug, Clone)]
pub struct ListResult {
    pub items: Vec<Arc<Value>>,
    /// The items' JSON cells, in the same order.
    pub json: Vec<JsonCell>,
    pub rv: u64,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
}

impl Store {
    pub fn list(
        &self,
        info: &ResourceInfo,
        ns: Option<&str>,
        sel: &Selectors,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<ListResult, ApiError> {
        let start = continue_token.filter(|t| !t.is_empty()).map(decode_continue).transpose()?;
        let map = self.objects.get(&info.id());
        let iter = map.into_iter().flat_map(|m| match &start {
            Some(k) => m.range((std::ops::Bound::Excluded(k.clone()), std::ops::Bound::Unbounded)),
            None => m.range::<ObjectKey, _>(..),
        });
        let mut items = Vec::new();
        let mut json = Vec::new();
        let mut remaining = 0usize;
        let mut last: Option<ObjectKey> = None;
        for ((n, name), stored) in iter {
            let obj = &stored.value;
            if ns.is_some_and(|want| want != n) || !sel.matches(obj) {
                continue;
            }
            if limit.is_some_and(|l| l > 0 && items.len() >= l) {
                remaining += 1;
                continue;
            }
            last = Some((n.clone(), name.clone()));
            items.push(obj.clone());
            json.push(stored.json.clone());
        }
        let (continue_token, remaining) = match (remaining, last) {
            (r, Some(key)) if r > 0 => (Some(encode_continue(self.rv, &key)), Some(r)),
            _ => (None, None),
        };
        Ok(ListResult { items, json, rv: self.rv, continue_token, remaining })
    }
}

fn encode_continue(rv: u64, key: &ObjectKey) -> String {
    let raw = format!("{rv}\u{0}{}\u{0}{}", key.0, key.1);
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_continue(token: &str) -> Result<ObjectKey, ApiError> {
    let bad = || ApiError::bad_request("continue key is not valid");
    if !token.len().is_multiple_of(2) || !token.is_ascii() {
        return Err(bad());
    }
    let bytes: Vec<u8> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let raw = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = raw.split('\u{0}');
    let (Some(_rv), Some(ns), Some(name), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    Ok((ns.to_owned(), name.to_owned()))
}
