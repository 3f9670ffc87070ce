//! A repository's scanned tags (image-reflector-controller `internal/database/badger.go`,
//! `internal/controller/imagerepository_controller.go`).
//!
//! Tags are kept in registry order in one string buffer with end offsets, so 10,000 tags
//! cost their bytes plus 4 bytes each, not 10,000 `String`s. The exclusion list drops tags
//! before they are stored. [`TagSet::revision`] is Flux's `lastScanResult.revision`: the
//! decimal adler32 of the JSON-encoded list (Go's `json.Marshal`, so `<`, `>`, `&`, U+2028
//! and U+2029 are `\u`-escaped); [`TagSet::to_json`] is exactly those bytes, which also
//! serves as the on-disk format.

use regex::Regex;

use crate::ImageError;

/// `spec.exclusionList`'s default: cosign signature tags.
pub const DEFAULT_EXCLUSION: &str = r"^.*\.sig$";
/// The CRD's `maxItems` for `spec.exclusionList`.
pub const MAX_EXCLUSIONS: usize = 25;
/// How many tags `lastScanResult.latestTags` holds.
pub const LATEST_TAGS: usize = 10;

/// Compiled `spec.exclusionList`.
#[derive(Debug, Clone)]
pub struct Exclusions(Vec<Regex>);

impl Default for Exclusions {
    /// `["^.*\\.sig$"]`.
    fn default() -> Self {
        Exclusions(Regex::new(DEFAULT_EXCLUSION).into_iter().collect())
    }
}

impl Exclusions {
    /// Compiles the list; `None` (the field unset) is the default list, an empty list
    /// excludes nothing.
    pub fn new(patterns: Option<&[String]>) -> Result<Exclusions, ImageError> {
        let Some(patterns) = patterns else { return Ok(Exclusions::default()) };
        if patterns.len() > MAX_EXCLUSIONS {
            return Err(ImageError::CompileExclusion {
                message: format!(
                    "spec.exclusionList: Too many: {}: must have at most {MAX_EXCLUSIONS} items",
                    patterns.len()
                ),
                source: None,
            });
        }
        let compiled = patterns
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|e| ImageError::CompileExclusion {
                    message: format!("failed to compile regex {p}"),
                    source: Some(e),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Exclusions(compiled))
    }

    /// Whether a pattern finds the tag (unanchored, as Go's `MatchString`).
    pub fn excludes(&self, tag: &str) -> bool {
        self.0.iter().any(|r| r.is_match(tag))
    }
}

/// The tags of one repository, in the order the registry listed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSet {
    buf: String,
    ends: Vec<u32>,
}

impl TagSet {
    /// Keeps the tags no exclusion pattern finds.
    pub fn new<S: AsRef<str>>(tags: impl IntoIterator<Item = S>, exclusions: &Exclusions) -> TagSet {
        let mut set = TagSet::default();
        for tag in tags {
            let tag = tag.as_ref();
            if !exclusions.excludes(tag) {
                set.push(tag);
            }
        }
        set.buf.shrink_to_fit();
        set.ends.shrink_to_fit();
        set
    }

    fn push(&mut self, tag: &str) {
        self.buf.push_str(tag);
        // Tags are at most 128 bytes; a repository would need 32 M of them to overflow.
        self.ends.push(u32::try_from(self.buf.len()).unwrap_or(u32::MAX));
    }

    /// `lastScanResult.tagCount`.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`th tag.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.buf.get(start..end)
    }

    /// The tags in stored order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Bytes held: the buffer and the offsets.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.ends.capacity() * std::mem::size_of::<u32>()
    }

    /// `lastScanResult.latestTags`: the first ten in descending byte order.
    pub fn latest_tags(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.iter().collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        all.truncate(LATEST_TAGS);
        all
    }

    /// Go's `json.Marshal([]string)`: Badger's stored value, and this crate's on-disk form.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.buf.len() + 3 * self.len() + 2);
        out.push('[');
        for (i, tag) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            glidepath_sprig::go_json_string(&mut out, tag, true);
        }
        out.push(']');
        out
    }

    /// Reads [`TagSet::to_json`]'s output (any JSON array of strings), as stored.
    pub fn from_json(bytes: &[u8]) -> Result<TagSet, ImageError> {
        let tags: Option<Vec<String>> = serde_json::from_slice(bytes).map_err(ImageError::DecodeTags)?;
        let mut set = TagSet::default();
        for tag in tags.unwrap_or_default() {
            set.push(&tag);
        }
        Ok(set)
    }

    /// `lastScanResult.revision`: `fmt.Sprintf("%v", adler32.Checksum(json.Marshal(tags)))`.
    pub fn revision(&self) -> String {
        adler32(self.to_json().as_bytes()).to_string()
    }
}

/// Adler-32 (RFC 1950), as Go's `hash/adler32.Checksum`.
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    // 5552 is the most bytes that can be summed before `b` may overflow a u32.
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}
