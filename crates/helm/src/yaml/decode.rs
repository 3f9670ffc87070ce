//! `sigs.k8s.io/yaml.Unmarshal` into `interface{}`: go-yaml v2 decodes the composed document
//! (YAML 1.1 resolution, `<<` merges, aliases with v2's excessive-aliasing guard, last duplicate
//! key wins), then sigs.k8s.io/yaml turns non-string keys into strings and round-trips through
//! JSON, so every number comes out a float64.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Number, Value};

use super::YamlError;
use super::compose::{Document, YNode};
use super::resolve::{Resolved, format_float_g, format_float_g32, resolve};

const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// A value as go-yaml v2 decodes it into `interface{}`.
#[derive(Clone, Debug)]
pub(crate) enum GoVal {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<GoVal>),
    Map(Vec<(GoVal, GoVal)>),
}

struct Decoder<'d> {
    doc: &'d Document,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u32,
    active_aliases: HashSet<usize>,
}

/// go-yaml v2's `allowedAliasRatio`.
fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    match decode_count {
        c if c <= LOW => 0.99,
        c if c >= HIGH => 0.10,
        c => 0.99 - 0.89 * ((c - LOW) as f64 / (HIGH - LOW) as f64),
    }
}

/// Decodes the document into Go's `interface{}` shape.
pub(crate) fn decode(doc: &Document) -> Result<GoVal, YamlError> {
    let mut d = Decoder { doc, decode_count: 1, alias_count: 0, alias_depth: 0, active_aliases: HashSet::new() };
    match doc.root {
        None => Ok(GoVal::Null),
        Some(root) => d.unmarshal(root),
    }
}

impl Decoder<'_> {
    fn unmarshal(&mut self, idx: usize) -> Result<GoVal, YamlError> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64 > allowed_alias_ratio(self.decode_count)
        {
            return Err(YamlError::Yaml("document contains excessive aliasing".into()));
        }
        match &self.doc.nodes[idx] {
            YNode::Scalar { value, plain, tag } => scalar(value, *plain, tag.as_deref()),
            YNode::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for &item in items {
                    out.push(self.unmarshal(item)?);
                }
                Ok(GoVal::Seq(out))
            }
            YNode::Map(entries, _) => {
                let mut out = GoMap::default();
                self.mapping(entries, &mut out)?;
                Ok(GoVal::Map(out.entries))
            }
            YNode::Alias { target, name } => {
                if !self.active_aliases.insert(idx) {
                    return Err(YamlError::Yaml(format!("anchor '{name}' value contains itself")));
                }
                self.alias_depth += 1;
                let out = self.unmarshal(*target);
                self.alias_depth -= 1;
                self.active_aliases.remove(&idx);
                out
            }
        }
    }

    fn mapping(&mut self, entries: &[(usize, usize)], out: &mut GoMap) -> Result<(), YamlError> {
        for &(k, v) in entries {
            if self.is_merge(k) {
                self.merge(v, out)?;
                continue;
            }
            let key = self.unmarshal(k)?;
            if matches!(key, GoVal::Seq(_) | GoVal::Map(_)) {
                return Err(YamlError::Yaml(format!("invalid map key: {}", go_syntax(&key))));
            }
            let value = self.unmarshal(v)?;
            out.insert(key, value);
        }
        Ok(())
    }

    fn is_merge(&self, idx: usize) -> bool {
        match &self.doc.nodes[idx] {
            YNode::Scalar { value, plain, tag } => {
                value == "<<" && (*plain || tag.as_deref() == Some("tag:yaml.org,2002:merge"))
            }
            _ => false,
        }
    }

    /// go-yaml v2's `merge`: the merged maps are decoded into the same map, in order.
    fn merge(&mut self, idx: usize, out: &mut GoMap) -> Result<(), YamlError> {
        let want_map = || YamlError::Yaml("map merge requires map or sequence of maps as the value".into());
        let target_is_map = |d: &Self, i: usize| match &d.doc.nodes[i] {
            YNode::Map(..) => true,
            YNode::Alias { target, .. } => matches!(d.doc.nodes[*target], YNode::Map(..)),
            _ => false,
        };
        match &self.doc.nodes[idx] {
            YNode::Map(..) | YNode::Alias { .. } => {
                if !target_is_map(self, idx) {
                    return Err(want_map());
                }
                self.merge_one(idx, out)
            }
            YNode::Seq(items) => {
                for &item in items.iter().rev() {
                    if !target_is_map(self, item) {
                        return Err(want_map());
                    }
                    self.merge_one(item, out)?;
                }
                Ok(())
            }
            YNode::Scalar { .. } => Err(want_map()),
        }
    }

    fn merge_one(&mut self, idx: usize, out: &mut GoMap) -> Result<(), YamlError> {
        if let GoVal::Map(entries) = self.unmarshal(idx)? {
            for (k, v) in entries {
                out.insert(k, v);
            }
        }
        Ok(())
    }
}

/// A Go map with insertion by key identity (type and value), later keys replacing earlier ones.
#[derive(Default)]
struct GoMap {
    entries: Vec<(GoVal, GoVal)>,
    index: HashMap<String, usize>,
}

impl GoMap {
    fn insert(&mut self, key: GoVal, value: GoVal) {
        let id = match &key {
            GoVal::Null => "n".to_owned(),
            GoVal::Bool(b) => format!("b{b}"),
            GoVal::Int(i) => format!("i{i}"),
            GoVal::Uint(u) => format!("u{u}"),
            GoVal::Float(f) => format!("f{}", f.to_bits()),
            GoVal::Str(s) => format!("s{s}"),
            GoVal::Seq(_) | GoVal::Map(_) => String::new(),
        };
        match self.index.get(&id) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(id, self.entries.len());
                self.entries.push((key, value));
            }
        }
    }
}

/// go-yaml v2's `scalar` into `interface{}`: quoted scalars are strings, plain ones resolve;
/// explicit tags are honoured (`!!str`, `!!binary`, `!!int`...), timestamps keep their text.
fn scalar(value: &str, plain: bool, tag: Option<&str>) -> Result<GoVal, YamlError> {
    let short = tag.map(|t| t.strip_prefix(TAG_PREFIX).map_or(t.to_owned(), |s| format!("!!{s}")));
    let short = short.as_deref();
    if short.is_none() && !plain {
        return Ok(GoVal::Str(value.to_owned()));
    }
    let resolvable = matches!(
        short,
        None | Some("!!str" | "!!bool" | "!!int" | "!!float" | "!!timestamp" | "!!null" | "!!binary" | "!!merge")
    );
    if !resolvable || matches!(short, Some("!!str")) {
        return Ok(GoVal::Str(value.to_owned()));
    }
    if short == Some("!!binary") {
        let bytes = base64_decode(value)
            .ok_or_else(|| YamlError::Yaml("!!binary value contains invalid base64 data".into()))?;
        return Ok(GoVal::Str(String::from_utf8_lossy(&bytes).into_owned()));
    }
    let resolved = resolve(value);
    let rtag = match &resolved {
        Resolved::Null => "!!null",
        Resolved::Bool(_) => "!!bool",
        Resolved::Int(_) | Resolved::Uint(_) => "!!int",
        Resolved::Float(_) => "!!float",
        Resolved::Timestamp => "!!timestamp",
        Resolved::Str => "!!str",
    };
    if let Some(want) = short
        && want != rtag
        && !(want == "!!float" && rtag == "!!int")
    {
        return Err(YamlError::Yaml(format!("cannot decode {rtag} `{value}` as a {want}")));
    }
    Ok(match resolved {
        Resolved::Null => GoVal::Null,
        Resolved::Bool(b) => GoVal::Bool(b),
        Resolved::Int(i) if short == Some("!!float") => GoVal::Float(i as f64),
        Resolved::Uint(u) if short == Some("!!float") => GoVal::Float(u as f64),
        Resolved::Int(i) => GoVal::Int(i),
        Resolved::Uint(u) => GoVal::Uint(u),
        Resolved::Float(f) => GoVal::Float(f),
        Resolved::Timestamp | Resolved::Str => GoVal::Str(value.to_owned()),
    })
}

/// `base64.StdEncoding.DecodeString`, after go-yaml drops line breaks... (it does not: strict).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (n, chunk) in b.chunks(4).enumerate() {
        let last = n + 1 == b.len() / 4;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut acc: u32 = 0;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | u32::from(val(c)?);
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

/// Go's `%#v` of a decoded value, for go-yaml's and sigs.k8s.io/yaml's error texts.
pub(crate) fn go_syntax(v: &GoVal) -> String {
    match v {
        GoVal::Null => "interface {}(nil)".into(),
        GoVal::Bool(b) => b.to_string(),
        GoVal::Int(i) => i.to_string(),
        GoVal::Uint(u) => format!("0x{u:x}"),
        GoVal::Float(f) => format_float_g(*f),
        GoVal::Str(s) => format!("{s:?}"),
        GoVal::Seq(items) => {
            let inner: Vec<String> = items.iter().map(go_syntax).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        GoVal::Map(entries) => {
            // fmt prints maps in key order.
            let mut sorted: Vec<&(GoVal, GoVal)> = entries.iter().collect();
            sorted.sort_by_key(|(k, _)| key_rank(k));
            let inner: Vec<String> = sorted.iter().map(|(k, v)| format!("{}:{}", go_syntax(k), go_syntax(v))).collect();
            format!("map[interface {{}}]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

/// An ordering of map keys close to Go's `fmt` (by kind, then value).
fn key_rank(k: &GoVal) -> (u8, String) {
    match k {
        GoVal::Null => (0, String::new()),
        GoVal::Bool(b) => (1, b.to_string()),
        GoVal::Int(i) => (2, format!("{:020}", i128::from(*i) + i128::from(i64::MAX))),
        GoVal::Uint(u) => (3, format!("{u:020}")),
        GoVal::Float(f) => (4, format!("{f:030.10}")),
        GoVal::Str(s) => (5, s.clone()),
        GoVal::Seq(_) | GoVal::Map(_) => (6, String::new()),
    }
}

/// `%+#v` of a value as the error's top-level operand: a nil interface is `<nil>`.
fn go_operand(v: &GoVal) -> String {
    if matches!(v, GoVal::Null) { "<nil>".into() } else { go_syntax(v) }
}

/// sigs.k8s.io/yaml's `convertToJSONableObject` then `json.Marshal`/`json.Unmarshal` into
/// `interface{}`: string keys, float64 numbers, NaN and infinities refused. Keys are all
/// converted before any value is marshalled, so a bad key anywhere is the error.
pub(crate) fn to_json(v: GoVal) -> Result<Value, YamlError> {
    check_keys(&v)?;
    convert(v)
}

fn check_keys(v: &GoVal) -> Result<(), YamlError> {
    match v {
        GoVal::Seq(items) => items.iter().try_for_each(check_keys),
        GoVal::Map(entries) => entries.iter().try_for_each(|(k, v)| {
            json_key(k, v)?;
            check_keys(v)
        }),
        _ => Ok(()),
    }
}

fn convert(v: GoVal) -> Result<Value, YamlError> {
    Ok(match v {
        GoVal::Null => Value::Null,
        GoVal::Bool(b) => Value::Bool(b),
        GoVal::Int(i) => float(i as f64)?,
        GoVal::Uint(u) => float(u as f64)?,
        GoVal::Float(f) => float(f)?,
        GoVal::Str(s) => Value::String(s),
        GoVal::Seq(items) => Value::Array(items.into_iter().map(convert).collect::<Result<_, _>>()?),
        GoVal::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let key = json_key(&k, &v)?;
                map.insert(key, convert(v)?);
            }
            Value::Object(map)
        }
    })
}

fn float(f: f64) -> Result<Value, YamlError> {
    Number::from_f64(f).map(Value::Number).ok_or_else(|| {
        let text = if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        };
        YamlError::Convert(format!("json: unsupported value: {text}"))
    })
}

/// A map key as sigs.k8s.io/yaml writes it (floats with 32-bit precision, like go-yaml).
fn json_key(k: &GoVal, v: &GoVal) -> Result<String, YamlError> {
    Ok(match k {
        GoVal::Str(s) => s.clone(),
        GoVal::Int(i) => i.to_string(),
        GoVal::Bool(b) => b.to_string(),
        GoVal::Float(f) => format_float_g32(*f as f32),
        GoVal::Null => {
            return Err(YamlError::Convert(format!(
                "unsupported map key of type: %!s(<nil>), key: <nil>, value: {}",
                go_operand(v)
            )));
        }
        GoVal::Uint(u) => {
            return Err(YamlError::Convert(format!(
                "unsupported map key of type: uint64, key: 0x{u:x}, value: {}",
                go_operand(v)
            )));
        }
        GoVal::Seq(_) | GoVal::Map(_) => String::new(),
    })
}
