//! `$ref` resolution inside one schema document: URL joining, `$id`/`$anchor` resources, and
//! JSON pointers. Nothing is fetched: a reference leaving the document is refused (Helm would
//! load `file://`/`http(s)://` URLs), and `urn:` references become the `true` schema, as
//! Helm's own `urn` loader does when nothing resolves them.

use std::collections::HashMap;

use crate::strvals::gojson::Json;

/// The URL Helm compiles `values.schema.json` under.
pub(crate) const ROOT_URL: &str = "file:///values.schema.json";

/// Where a reference points.
pub(crate) enum Target {
    /// A document and a JSON pointer (escaped tokens) into it.
    Ptr(usize, String),
    /// An unresolved `urn:` reference: the permissive `true` schema.
    True(String),
}

/// One loaded document: the values schema, or a built-in metaschema.
#[derive(Debug)]
pub(crate) struct Doc {
    pub(crate) url: String,
    pub(crate) json: Json,
    pub(crate) draft: u32,
    /// For a metaschema: the dialect's root document, which `$dynamicRef: "#meta"` and
    /// `$recursiveRef: "#"` reach (their dynamic scope always ends there when validating a
    /// schema), and where only the `regex` format is asserted, as in the library.
    pub(crate) meta_root: Option<usize>,
}

/// Every document, `$id` resource and anchor known to a compilation.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub(crate) docs: Vec<Doc>,
    ids: HashMap<String, (usize, String)>,
    anchors: HashMap<(String, String), (usize, String)>,
    /// Per document: (pointer, base URL) of its resources.
    bases: Vec<Vec<(String, String)>>,
}

pub(crate) fn escape(tok: &str) -> String {
    tok.replace('~', "~0").replace('/', "~1")
}

fn unescape(tok: &str) -> String {
    tok.replace("~1", "/").replace("~0", "~")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value at an (escaped) JSON pointer.
pub(crate) fn lookup<'a>(doc: &'a Json, ptr: &str) -> Option<&'a Json> {
    let mut cur = doc;
    if ptr.is_empty() {
        return Some(cur);
    }
    for tok in ptr.strip_prefix('/')?.split('/') {
        let tok = unescape(tok);
        cur = match cur {
            Json::Object(m) => &m.iter().find(|(k, _)| *k == tok)?.1,
            Json::Array(a) => a.get(tok.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn split_fragment(url: &str) -> (&str, &str) {
    url.split_once('#').unwrap_or((url, ""))
}

fn has_scheme(s: &str) -> bool {
    let Some(i) = s.find(':') else { return false };
    let scheme = &s[..i];
    !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// RFC 3986 reference resolution, enough for schema ids (no dot-segment removal).
pub(crate) fn join(base: &str, r: &str) -> String {
    let (base, _) = split_fragment(base);
    if has_scheme(r) {
        return r.to_string();
    }
    if let Some(frag) = r.strip_prefix('#') {
        return format!("{base}#{frag}");
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    if r.starts_with("//") {
        return format!("{}{r}", &base[..scheme_end.saturating_sub(2)]);
    }
    if r.starts_with('/') {
        let auth_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
        return format!("{}{r}", &base[..auth_end]);
    }
    let dir_end = base.rfind('/').map_or(base.len(), |i| i + 1);
    format!("{}{r}", &base[..dir_end])
}

/// The id keyword of a draft (`id` in draft 4).
pub(crate) fn id_keyword(draft: u32) -> &'static str {
    if draft == 4 { "id" } else { "$id" }
}

fn str_member<'a>(m: &'a [(String, Json)], key: &str) -> Option<&'a str> {
    m.iter().find(|(k, _)| k == key).and_then(|(_, v)| match v {
        Json::String(s) => Some(s.as_str()),
        _ => None,
    })
}

impl Registry {
    /// Adds a document, walking it (iteratively) for resources and anchors.
    pub(crate) fn add(&mut self, url: &str, json: Json, draft: u32, meta_root: Option<usize>) -> usize {
        let d = self.docs.len();
        let mut bases = vec![(String::new(), url.to_string())];
        self.ids.insert(url.to_string(), (d, String::new()));
        // Depth-first with the path kept as a token stack, so pointers are only built for the
        // (few) nodes that carry an id or an anchor.
        let mut path: Vec<String> = Vec::new();
        let mut base_at: Vec<String> = vec![url.to_string()];
        let mut stack: Vec<(&Json, usize, String)> = vec![(&json, 0, String::new())];
        while let Some((node, depth, tok)) = stack.pop() {
            path.truncate(depth.saturating_sub(1));
            base_at.truncate(depth + 1);
            if depth > 0 {
                path.push(tok);
            }
            let mut base = base_at[depth.min(base_at.len() - 1)].clone();
            let ptr = || path.iter().map(|t| format!("/{}", escape(t))).collect::<String>();
            match node {
                Json::Object(m) => {
                    if let Some(id) = str_member(m, id_keyword(draft)) {
                        let joined = join(&base, id);
                        let (res, frag) = split_fragment(&joined);
                        // `"$id": "#name"` (drafts 6/7) names an anchor, not a resource.
                        if !id.starts_with('#') {
                            self.ids.insert(res.to_string(), (d, ptr()));
                            bases.push((ptr(), res.to_string()));
                            base = res.to_string();
                        }
                        if draft < 2019 && !frag.is_empty() {
                            self.anchors.insert((res.to_string(), frag.to_string()), (d, ptr()));
                        }
                    }
                    for kw in ["$anchor", "$dynamicAnchor"] {
                        if let Some(a) = str_member(m, kw).filter(|_| draft >= 2019) {
                            self.anchors.insert((base.clone(), a.to_string()), (d, ptr()));
                        }
                    }
                    base_at.push(base);
                    for (k, v) in m {
                        stack.push((v, depth + 1, k.clone()));
                    }
                }
                Json::Array(a) => {
                    base_at.push(base);
                    for (i, v) in a.iter().enumerate() {
                        stack.push((v, depth + 1, i.to_string()));
                    }
                }
                _ => {}
            }
        }
        self.bases.push(bases);
        self.docs.push(Doc { url: url.to_string(), json, draft, meta_root });
        d
    }

    /// The base URL in effect at `ptr` of document `d` (the nearest enclosing `$id`).
    fn base_of(&self, d: usize, ptr: &str) -> String {
        let mut best: (&str, usize) = (self.docs[d].url.as_str(), 0);
        for (p, url) in &self.bases[d] {
            let inside = ptr == p || ptr.starts_with(&format!("{p}/"));
            if inside && p.len() >= best.1 {
                best = (url, p.len());
            }
        }
        best.0.to_string()
    }

    /// Resolves `r` found at `ptr` of document `d`; the error is the library's (or our
    /// refusal's) text.
    pub(crate) fn resolve(&self, d: usize, ptr: &str, r: &str) -> Result<Target, String> {
        let url = join(&self.base_of(d, ptr), r);
        let (res, frag) = split_fragment(&url);
        let Some((doc, res_ptr)) = self.ids.get(res).cloned() else {
            if res.starts_with("urn:") {
                return Ok(Target::True(url));
            }
            return Err(refused(res));
        };
        let frag = percent_decode(frag);
        let target = if frag.is_empty() {
            (doc, res_ptr)
        } else if frag.starts_with('/') {
            (doc, format!("{res_ptr}{frag}"))
        } else {
            match self.anchors.get(&(res.to_string(), frag.clone())) {
                Some(t) => t.clone(),
                None => return Err(format!("anchor in {} not found", quote_url(&url))),
            }
        };
        match lookup(&self.docs[target.0].json, &target.1) {
            Some(_) => Ok(Target::Ptr(target.0, target.1)),
            None => Err(format!("json-pointer in {} not found", quote_url(&url))),
        }
    }
}

fn quote_url(u: &str) -> String {
    crate::strvals::gojson::go_quote(u)
}

/// Our refusal to load a schema from outside the document (Helm's loader would fetch it).
pub(crate) fn refused(url: &str) -> String {
    format!("failing loading {}: glidepath does not load schemas from files or the network", quote_url(url))
}
