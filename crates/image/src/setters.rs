//! The Setters update strategy (image-automation-controller `internal/update/setters.go`),
//! editing only the marked scalars.
//!
//! A marker is a YAML line comment `# {"$imagepolicy": "<ns>:<policy>"}` after a scalar on
//! the same line: `key: value # marker` or `- value # marker`. `<ns>:<policy>` writes the
//! policy's full `latestRef` (`name:tag`, plus `@digest` when there is one, as Flux's
//! `ImageRef.String()`); `:tag`, `:name` and `:digest` suffixes write only that part.
//!
//! Unlike Flux, which re-serialises every touched file through kyaml (fluxcd/flux2#1441:
//! comments moved, indentation changed), only the bytes of the marked scalar change: its
//! quote style (plain, single, double) is kept, and every other byte, CRLF line ends
//! included, stays as it was. As in Flux, a file without the `"$imagepolicy"` token is not
//! looked at (`ScreeningLocalReader`), a marker naming a policy that is not given is left
//! alone, and a value already equal to the policy's is no change. Flow collections, aliases
//! and block scalars are left alone; a `:digest` marker of a policy without a digest too.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{ImageError, ImageRef};

/// The token a file must contain to be considered (Flux's `fmt.Sprintf("%q", "$imagepolicy")`).
pub const TOKEN: &str = "\"$imagepolicy\"";

/// One replaced value (Flux's `update.Change`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Change {
    pub old_value: String,
    pub new_value: String,
    /// The marker's setter name: `ns:policy` or `ns:policy:tag|name|digest`.
    pub setter: String,
}

/// The YAML document a change was made in (kyaml's `ResourceIdentifier`): empty fields where
/// the document has none (a `kustomization.yaml` has no name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct ObjectId {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// The edited file and what changed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The whole file with the marked values replaced.
    pub text: String,
    /// Every change, in file order.
    pub changes: Vec<Change>,
    /// Changes per object, objects in order of their first change.
    pub objects: Vec<(ObjectId, Vec<Change>)>,
}

/// Where a marked scalar sits in a line and how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

#[derive(Debug)]
struct Scalar {
    start: usize,
    end: usize,
    style: Style,
}

/// Applies the policies' values to the markers of one file. `Ok(None)` when the file has no
/// marker token or nothing changed.
pub fn apply(file: &str, policies: &BTreeMap<String, ImageRef>) -> Result<Option<Edit>, ImageError> {
    if !file.contains(TOKEN) {
        return Ok(None);
    }
    let mut text = String::with_capacity(file.len() + 64);
    let mut changes: Vec<(usize, Change)> = Vec::new();
    let mut docs: Vec<(usize, usize)> = vec![(0, 0)];
    let mut block: Option<usize> = None;
    let mut offset = 0;
    for line in file.split_inclusive('\n') {
        let content = line.trim_end_matches('\n').trim_end_matches('\r');
        let edited = scan_line(content, &mut block, &mut docs, offset, policies, &mut changes);
        match edited {
            Some(new) => {
                text.push_str(&new);
                text.push_str(&line[content.len()..]);
            }
            None => text.push_str(line),
        }
        offset += line.len();
        if let Some(last) = docs.last_mut() {
            last.1 = offset;
        }
    }
    if changes.is_empty() {
        return Ok(None);
    }
    let objects = group_by_object(file, &docs, &changes)?;
    Ok(Some(Edit { text, changes: changes.into_iter().map(|(_, c)| c).collect(), objects }))
}

/// One line: document boundaries, block scalar skipping, then the marker. Returns the
/// rewritten line content when its value changed.
fn scan_line(
    content: &str,
    block: &mut Option<usize>,
    docs: &mut Vec<(usize, usize)>,
    offset: usize,
    policies: &BTreeMap<String, ImageRef>,
    changes: &mut Vec<(usize, Change)>,
) -> Option<String> {
    if let Some(parent) = *block {
        if content.trim().is_empty() || indent(content) > parent {
            return None;
        }
        *block = None;
    }
    if is_boundary(content) {
        docs.push((offset, offset));
        return None;
    }
    let comment = comment_start(content);
    let pre = content[..comment.unwrap_or(content.len())].trim_end();
    let (node_col, value_start) = value_position(pre);
    let value = &pre[value_start..];
    if value.starts_with('|') || value.starts_with('>') {
        *block = Some(node_col);
        return None;
    }
    let comment = comment?;
    let setter = marker(&content[comment + 1..])?;
    let new_value = setter_value(&setter, policies)?;
    let scalar = scalar_span(pre, value_start)?;
    let old_value = decode(&pre[scalar.start..scalar.end], scalar.style);
    if old_value == new_value {
        return None;
    }
    let written = encode(&new_value, scalar.style);
    changes.push((docs.len() - 1, Change { old_value, new_value, setter }));
    Some(format!("{}{}{}", &content[..scalar.start], written, &content[scalar.end..]))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `---` (optionally followed by a space) starts a document, `...` ends one.
fn is_boundary(line: &str) -> bool {
    ["---", "..."].iter().any(|m| line == *m || line.strip_prefix(m).is_some_and(|r| r.starts_with([' ', '\t'])))
}

/// The byte index of the `#` opening the line's comment: outside quoted scalars, at the
/// start or after white space.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let prev = if i == 0 { b' ' } else { bytes[i - 1] };
        match quote {
            Some(b'\'') if c == b'\'' => {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 1;
                } else {
                    quote = None;
                }
            }
            Some(b'"') if c == b'\\' => i += 1,
            Some(b'"') if c == b'"' => quote = None,
            Some(_) => {}
            None if (c == b'\'' || c == b'"') && b" \t[{,".contains(&prev) => quote = Some(c),
            None if c == b'#' && (prev == b' ' || prev == b'\t' || i == 0) => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

/// The setter named by a comment's text (`{"$imagepolicy": "ns:name[:part]"}`), if any.
fn marker(comment: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(comment.trim()).ok()?;
    v.get("$imagepolicy")?.as_str().map(str::to_string)
}

/// What a setter writes: the full reference, or its tag, name or digest.
fn setter_value(setter: &str, policies: &BTreeMap<String, ImageRef>) -> Option<String> {
    let mut parts = setter.splitn(3, ':');
    let (ns, name, part) = (parts.next()?, parts.next()?, parts.next());
    let r = policies.get(&format!("{ns}:{name}"))?;
    match part {
        None => Some(r.to_string()),
        Some("tag") => Some(r.tag.clone()),
        Some("name") => Some(r.name.clone()),
        Some("digest") if !r.digest.is_empty() => Some(r.digest.clone()),
        _ => None,
    }
}

/// The column of the node the line's value belongs to (a mapping key, or the last `-` of
/// sequence items) and where the value starts.
fn value_position(pre: &str) -> (usize, usize) {
    let bytes = pre.as_bytes();
    let mut pos = indent(pre);
    let mut node_col = pos;
    while bytes.get(pos) == Some(&b'-') && matches!(bytes.get(pos + 1), None | Some(b' ' | b'\t')) {
        node_col = pos;
        pos += 1;
        while matches!(bytes.get(pos), Some(b' ' | b'\t')) {
            pos += 1;
        }
    }
    match key_end(pre, pos) {
        Some(colon) => {
            let mut v = colon + 1;
            while matches!(bytes.get(v), Some(b' ' | b'\t')) {
                v += 1;
            }
            (pos, v)
        }
        None => (node_col, pos),
    }
}

/// The index of the `:` ending a mapping key that starts at `pos`, if the line has one.
fn key_end(pre: &str, pos: usize) -> Option<usize> {
    let bytes = pre.as_bytes();
    let mut i = pos;
    if let Some(&q @ (b'\'' | b'"')) = bytes.get(pos) {
        i = closing_quote(bytes, pos, q)? + 1;
        while matches!(bytes.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        return (bytes.get(i) == Some(&b':') && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t'))).then_some(i);
    }
    if matches!(bytes.get(pos), Some(b'[' | b'{')) {
        return None;
    }
    while i < bytes.len() {
        if bytes[i] == b':' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The index of the quote closing the quoted scalar opened at `open`.
fn closing_quote(bytes: &[u8], open: usize, q: u8) -> Option<usize> {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if q == b'"' => i += 1,
            b'\'' if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            c if c == q => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The scalar written from `start` to the end of `pre`, after any anchor or tag; `None` for
/// empty values, aliases and flow collections.
fn scalar_span(pre: &str, mut start: usize) -> Option<Scalar> {
    let bytes = pre.as_bytes();
    while matches!(bytes.get(start), Some(b'&' | b'!')) {
        while bytes.get(start).is_some_and(|b| !b.is_ascii_whitespace()) {
            start += 1;
        }
        while matches!(bytes.get(start), Some(b' ' | b'\t')) {
            start += 1;
        }
    }
    let end = pre.len();
    match bytes.get(start)? {
        b'*' | b'[' | b'{' | b'|' | b'>' => None,
        &q @ (b'\'' | b'"') => {
            let close = closing_quote(bytes, start, q)?;
            let style = if q == b'"' { Style::Double } else { Style::Single };
            (close + 1 == end).then_some(Scalar { start, end, style })
        }
        _ => Some(Scalar { start, end, style: Style::Plain }),
    }
}

fn decode(raw: &str, style: Style) -> String {
    match style {
        Style::Plain => raw.to_string(),
        Style::Single => raw[1..raw.len() - 1].replace("''", "'"),
        Style::Double => serde_json::from_str(raw).unwrap_or_else(|_| raw[1..raw.len() - 1].to_string()),
    }
}

/// Writes `value` in the scalar's style; a plain scalar that could not hold the value
/// becomes double-quoted.
fn encode(value: &str, style: Style) -> String {
    let quoted = || serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""));
    match style {
        Style::Plain if plain_safe(value) => value.to_string(),
        Style::Plain | Style::Double => quoted(),
        Style::Single => format!("'{}'", value.replace('\'', "''")),
    }
}

fn plain_safe(v: &str) -> bool {
    !v.is_empty()
        && !v.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace())
        && !v.ends_with(|c: char| c.is_whitespace() || c == ':')
        && !v.contains(": ")
        && !v.contains(" #")
        && !v.contains(|c: char| c.is_control())
}

/// Groups the changes by the identity of the document they were made in.
fn group_by_object(
    file: &str,
    docs: &[(usize, usize)],
    changes: &[(usize, Change)],
) -> Result<Vec<(ObjectId, Vec<Change>)>, ImageError> {
    let mut ids: BTreeMap<usize, ObjectId> = BTreeMap::new();
    let mut objects: Vec<(ObjectId, Vec<Change>)> = Vec::new();
    for (doc, change) in changes {
        if !ids.contains_key(doc) {
            let (start, end) = docs.get(*doc).copied().unwrap_or((0, 0));
            ids.insert(*doc, object_id(file.get(start..end).unwrap_or_default(), *doc)?);
        }
        let id = ids.get(doc).cloned().unwrap_or_default();
        match objects.iter_mut().find(|(o, _)| *o == id) {
            Some((_, list)) => list.push(change.clone()),
            None => objects.push((id, vec![change.clone()])),
        }
    }
    Ok(objects)
}

/// kyaml `GetMeta().GetIdentifier()` of one document.
fn object_id(doc: &str, index: usize) -> Result<ObjectId, ImageError> {
    let body = doc.strip_prefix("---").unwrap_or(doc);
    let v: serde_norway::Value =
        serde_norway::from_str(body).map_err(|source| ImageError::ParseDocument { document: index, source })?;
    let s = |v: Option<&serde_norway::Value>| v.and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let meta = v.get("metadata");
    Ok(ObjectId {
        api_version: s(v.get("apiVersion")),
        kind: s(v.get("kind")),
        namespace: s(meta.and_then(|m| m.get("namespace"))),
        name: s(meta.and_then(|m| m.get("name"))),
    })
}
