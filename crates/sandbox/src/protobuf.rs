//! Decoding of the Kubernetes protobuf envelope for the few kinds `kubectl`'s typed `create`
//! generators send (`kubectl create namespace|configmap|secret|serviceaccount`). Every other
//! kind answers 415 so clients use JSON. Only client-settable fields are decoded.

use serde_json::{Map, Value, json};

use crate::error::ApiError;

const MAGIC: &[u8] = b"k8s\x00";

#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    Bool,
    StrList,
    StrMap,
    BytesMap,
    Meta,
    NamespaceSpec,
    OwnerRefs,
}

type Fields = &'static [(u64, &'static str, Kind)];

const OBJECT_META: Fields = &[
    (1, "name", Kind::Str),
    (2, "generateName", Kind::Str),
    (3, "namespace", Kind::Str),
    (11, "labels", Kind::StrMap),
    (12, "annotations", Kind::StrMap),
    (13, "ownerReferences", Kind::OwnerRefs),
    (14, "finalizers", Kind::StrList),
];
const OWNER_REF: Fields = &[
    (1, "kind", Kind::Str),
    (3, "name", Kind::Str),
    (4, "uid", Kind::Str),
    (5, "apiVersion", Kind::Str),
    (6, "controller", Kind::Bool),
    (7, "blockOwnerDeletion", Kind::Bool),
];
const NAMESPACE: Fields = &[(1, "metadata", Kind::Meta), (2, "spec", Kind::NamespaceSpec)];
const NAMESPACE_SPEC: Fields = &[(1, "finalizers", Kind::StrList)];
const CONFIG_MAP: Fields = &[
    (1, "metadata", Kind::Meta),
    (2, "data", Kind::StrMap),
    (3, "binaryData", Kind::BytesMap),
    (4, "immutable", Kind::Bool),
];
const SECRET: Fields = &[
    (1, "metadata", Kind::Meta),
    (2, "data", Kind::BytesMap),
    (3, "type", Kind::Str),
    (4, "stringData", Kind::StrMap),
    (5, "immutable", Kind::Bool),
];
const SERVICE_ACCOUNT: Fields = &[(1, "metadata", Kind::Meta), (4, "automountServiceAccountToken", Kind::Bool)];

fn bad(why: &str) -> ApiError {
    ApiError::bad_request(format!("protobuf decode error: {why}"))
}

/// One wire field: number and either a varint or a length-delimited payload.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, ApiError> {
        let mut out = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or_else(|| bad("truncated varint"))?;
            self.pos += 1;
            out |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        Err(bad("varint too long"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ApiError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len()).ok_or_else(|| bad("truncated field"))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn next(&mut self) -> Result<Option<(u64, Wire<'a>)>, ApiError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let wire = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Wire::Other
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| bad("length overflow"))?;
                Wire::Bytes(self.take(n)?)
            }
            5 => {
                self.take(4)?;
                Wire::Other
            }
            _ => return Err(bad("unsupported wire type")),
        };
        Ok(Some((key >> 3, wire)))
    }
}

fn fields_of(buf: &[u8]) -> Result<Vec<(u64, Wire<'_>)>, ApiError> {
    let mut r = Reader { buf, pos: 0 };
    let mut out = Vec::new();
    while let Some(f) = r.next()? {
        out.push(f);
    }
    Ok(out)
}

fn text(b: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(b.to_vec()).map_err(|_| bad("invalid UTF-8"))
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn map_entry(b: &[u8], value_bytes: bool) -> Result<(String, Value), ApiError> {
    let (mut k, mut v) = (String::new(), json!(""));
    for (n, w) in fields_of(b)? {
        match (n, w) {
            (1, Wire::Bytes(x)) => k = text(x)?,
            (2, Wire::Bytes(x)) => v = if value_bytes { json!(base64(x)) } else { json!(text(x)?) },
            _ => {}
        }
    }
    Ok((k, v))
}

fn message(buf: &[u8], schema: Fields) -> Result<Value, ApiError> {
    let mut out = Map::new();
    for (n, wire) in fields_of(buf)? {
        let Some((_, name, kind)) = schema.iter().find(|(num, _, _)| *num == n) else { continue };
        let key = (*name).to_owned();
        match (kind, wire) {
            (Kind::Str, Wire::Bytes(b)) => {
                out.insert(key, json!(text(b)?));
            }
            (Kind::Bool, Wire::Varint(v)) => {
                out.insert(key, json!(v != 0));
            }
            (Kind::StrList, Wire::Bytes(b)) => {
                let list = out.entry(key).or_insert_with(|| json!([]));
                if let Some(a) = list.as_array_mut() {
                    a.push(json!(text(b)?));
                }
            }
            (Kind::StrMap | Kind::BytesMap, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b, matches!(kind, Kind::BytesMap))?;
                if let Some(m) = out.entry(key).or_insert_with(|| json!({})).as_object_mut() {
                    m.insert(k, v);
                }
            }
            (Kind::Meta, Wire::Bytes(b)) => {
                out.insert(key, message(b, OBJECT_META)?);
            }
            (Kind::NamespaceSpec, Wire::Bytes(b)) => {
                out.insert(key, message(b, NAMESPACE_SPEC)?);
            }
            (Kind::OwnerRefs, Wire::Bytes(b)) => {
                let r = message(b, OWNER_REF)?;
                if let Some(a) = out.entry(key).or_insert_with(|| json!([])).as_array_mut() {
                    a.push(r);
                }
            }
            _ => return Err(bad(&format!("unexpected wire type for field {name}"))),
        }
    }
    Ok(Value::Object(out))
}

/// Decodes an `application/vnd.kubernetes.protobuf` body into the JSON object.
pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    let rest = body.strip_prefix(MAGIC).ok_or_else(|| bad("missing k8s protobuf magic prefix"))?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (n, w) in fields_of(rest)? {
        match (n, w) {
            (1, Wire::Bytes(tm)) => {
                for (m, x) in fields_of(tm)? {
                    match (m, x) {
                        (1, Wire::Bytes(s)) => api_version = text(s)?,
                        (2, Wire::Bytes(s)) => kind = text(s)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(r)) => raw = r,
            _ => {}
        }
    }
    let schema = match (api_version.as_str(), kind.as_str()) {
        ("v1", "Namespace") => NAMESPACE,
        ("v1", "ConfigMap") => CONFIG_MAP,
        ("v1", "Secret") => SECRET,
        ("v1", "ServiceAccount") => SERVICE_ACCOUNT,
        _ => {
            return Err(ApiError::unsupported_media_type(format!(
                "protobuf bodies are only decoded for v1 Namespace, ConfigMap, Secret and ServiceAccount (got \
                 {api_version} {kind}); send application/json (for kubectl: `kubectl create -f` or `kubectl apply`)"
            )));
        }
    };
    let mut obj = message(raw, schema)?;
    if let Some(m) = obj.as_object_mut() {
        m.insert("apiVersion".to_owned(), json!(api_version));
        m.insert("kind".to_owned(), json!(kind));
    }
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![u8::try_from(n << 3 | 2).unwrap(), u8::try_from(payload.len()).unwrap()];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn decodes_a_configmap_envelope() {
        let entry = [field(1, b"k"), field(2, b"v")].concat();
        let meta = [field(1, b"cm"), field(11, &[field(1, b"app"), field(2, b"web")].concat())].concat();
        let raw = [field(1, &meta), field(2, &entry), field(3, &[field(1, b"b"), field(2, b"hi!")].concat())].concat();
        let type_meta = [field(1, b"v1"), field(2, b"ConfigMap")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &raw)].concat();
        let obj = decode(&body).unwrap();
        assert_eq!(
            obj,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "labels": {"app": "web"}},
                   "data": {"k": "v"}, "binaryData": {"b": "aGkh"}})
        );
        assert!(decode(b"k8s\x00\x0a\xff").is_err());
        assert!(decode(b"{}").is_err());
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }
}
