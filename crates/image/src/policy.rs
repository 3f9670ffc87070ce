//! ImagePolicy tag selection (image-reflector-controller `internal/policy/*.go`).
//!
//! - semver (`semver.go`): a tag counts only if fluxcd/pkg `version.ParseVersion` accepts it
//!   (Masterminds `StrictNewVersion` after one optional `v`: exactly three numeric parts, no
//!   leading zeros); the highest one satisfying the Masterminds range wins (the first of
//!   equals), and the original tag string is returned;
//! - alphabetical (`alphabetical.go`): byte order; `ASC` picks the last, `DESC` the first;
//! - numerical (`numerical.go`): `strconv.ParseFloat`; any tag that is not a number fails;
//! - `filterTags` (`filter.go`): tags the pattern finds (unanchored) are kept; `extract`
//!   is expanded like Go's `Regexp.ExpandString` and the policy runs on the extracted values,
//!   mapped back to the tag they came from (a later tag with the same value wins).

use std::collections::HashMap;
use std::sync::LazyLock;

use glidepath_sprig::semver::{Version, satisfies};
use regex::Regex;

use crate::ImageError;

/// `no tags in database` (imagepolicy_controller.go `errNoTagsInDatabase`): the repository
/// has no tags at all, checked before the filter runs.
pub const NO_TAGS: &str = "no tags in database";
/// `version list argument cannot be empty`: the list given to a policy (after filtering) was empty.
pub const EMPTY_LIST: &str = "version list argument cannot be empty";
/// `unable to determine latest version from provided list`: no tag satisfied the semver range.
pub const NO_MATCH: &str = "unable to determine latest version from provided list";

/// Sort order of the alphabetical and numerical policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// `asc` (the default): the last in ascending order wins.
    #[default]
    Asc,
    /// `desc`: the first in ascending order wins.
    Desc,
}

impl Order {
    /// Flux's parsing: case-insensitive (`factory.go` upper-cases it), empty means `ASC`.
    pub fn parse(order: &str) -> Result<Order, ImageError> {
        match order.to_uppercase().as_str() {
            "" | "ASC" => Ok(Order::Asc),
            "DESC" => Ok(Order::Desc),
            other => Err(ImageError::InvalidPolicy {
                message: format!("invalid order argument provided: '{other}', must be one of: ASC, DESC"),
                source: None,
            }),
        }
    }
}

/// `spec.policy`: exactly one choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// `semver.range`: a Masterminds/semver v3 constraint.
    Semver { range: String },
    /// `alphabetical.order`.
    Alphabetical { order: Order },
    /// `numerical.order`.
    Numerical { order: Order },
}

/// `spec.filterTags`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagFilter {
    /// A Go regular expression (RE2 syntax, which the `regex` crate shares).
    pub pattern: String,
    /// Replacement template (`$1`, `${1}`, `$name`, `${name}`, `$$`); empty keeps the tag.
    pub extract: String,
}

static STRICT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let id = r"[0-9A-Za-z-]+";
    Regex::new(&format!(r"^([0-9]+)\.([0-9]+)\.([0-9]+)(?:-({id}(?:\.{id})*))?(?:\+({id}(?:\.{id})*))?$")).ok()
});

/// fluxcd/pkg `version.ParseVersion`: Masterminds `StrictNewVersion` on the tag without one
/// leading `v`, then the loose parse of the original (which keeps the `v` in `original`).
pub fn parse_version(tag: &str) -> Option<Version> {
    let bare = tag.strip_prefix('v').unwrap_or(tag);
    let caps = STRICT.as_ref()?.captures(bare)?;
    let leading_zero = |s: &str| s.len() > 1 && s.starts_with('0');
    if (1..=3).any(|i| caps.get(i).is_some_and(|m| leading_zero(m.as_str()))) {
        return None;
    }
    if let Some(pre) = caps.get(4)
        && pre.as_str().split('.').any(|p| leading_zero(p) && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Version::parse(tag).ok()
}

fn invalid_range(range: &str, why: String) -> ImageError {
    ImageError::InvalidPolicy { message: format!("invalid semver range '{range}': {why}"), source: None }
}

fn semver_latest(range: &str, tags: &[&str]) -> Result<Option<String>, ImageError> {
    // Masterminds parses the constraint up front (NewSemVer), so a bad range fails even
    // when no tag parses.
    let zero = Version::parse("0.0.0").map_err(|e| invalid_range(range, e))?;
    satisfies(range, &zero).map_err(|e| invalid_range(range, e))?;
    let mut best: Option<Version> = None;
    for tag in tags {
        let Some(v) = parse_version(tag) else { continue };
        if satisfies(range, &v).map_err(|e| invalid_range(range, e))?
            && best.as_ref().is_none_or(|b| v.compare(b) == std::cmp::Ordering::Greater)
        {
            best = Some(v);
        }
    }
    Ok(best.map(|v| v.original))
}

fn numerical_latest(order: Order, tags: &[&str]) -> Result<String, ImageError> {
    let mut latest = "";
    let mut pv = 0.0_f64;
    for (i, tag) in tags.iter().enumerate() {
        let cv = parse_float(tag)
            .ok_or_else(|| ImageError::SelectTag(format!("failed to parse invalid numeric value '{tag}'")))?;
        // Flux's switch: skip a smaller (asc) or larger (desc) value; equals replace.
        let skip = i != 0 && ((order == Order::Asc && cv < pv) || (order == Order::Desc && cv > pv));
        if !skip {
            latest = tag;
            pv = cv;
        }
    }
    Ok(latest.to_string())
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal input: Rust's parser accepts the same
/// decimal, exponent, `inf`/`infinity`/`nan` forms. Go's hex floats (`0x1p-2`) and
/// underscores are not accepted here.
fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Compiles `filterTags.pattern` (`invalid regular expression pattern '…': …`).
fn compile(filter: &TagFilter) -> Result<Regex, ImageError> {
    Regex::new(&filter.pattern).map_err(|e| ImageError::InvalidPolicy {
        message: format!("invalid regular expression pattern '{}'", filter.pattern),
        source: Some(e),
    })
}

/// The policy's pick as Flux's `Latest` returns it: an error with Flux's message when the
/// (filtered) list is empty or no tag satisfies the semver range.
pub fn latest(tags: &[impl AsRef<str>], policy: &Policy, filter: Option<&TagFilter>) -> Result<String, ImageError> {
    if let Policy::Semver { range } = policy {
        // `PolicerFromSpec` validates the range before the tags are read.
        semver_latest(range, &[])?;
    }
    if tags.is_empty() {
        return Err(ImageError::SelectTag(NO_TAGS.into()));
    }
    let regex = filter.map(compile).transpose()?;
    let (values, back): (Vec<String>, HashMap<String, String>) = match (&regex, filter) {
        (Some(re), Some(f)) => extract_all(re, &f.extract, tags),
        _ => (tags.iter().map(|t| t.as_ref().to_string()).collect(), HashMap::new()),
    };
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let picked = match policy {
        Policy::Semver { range } => {
            if refs.is_empty() {
                return Err(ImageError::SelectTag(EMPTY_LIST.into()));
            }
            semver_latest(range, &refs)?.ok_or_else(|| ImageError::SelectTag(NO_MATCH.into()))?
        }
        _ if refs.is_empty() => return Err(ImageError::SelectTag(EMPTY_LIST.into())),
        Policy::Alphabetical { order } => {
            let pick = match order {
                Order::Asc => refs.iter().max(),
                Order::Desc => refs.iter().min(),
            };
            pick.map(|s| s.to_string()).unwrap_or_default()
        }
        Policy::Numerical { order } => numerical_latest(*order, &refs)?,
    };
    Ok(match back.get(&picked) {
        Some(original) => original.clone(),
        None => picked,
    })
}

/// Like [`latest`], but "nothing to pick" (no tags, an empty filtered list, or no tag in the
/// semver range) is
/// `Ok(None)` rather than an error; invalid specs and non-numeric tags still fail.
pub fn select(
    tags: &[impl AsRef<str>],
    policy: &Policy,
    filter: Option<&TagFilter>,
) -> Result<Option<String>, ImageError> {
    match latest(tags, policy, filter) {
        Ok(tag) => Ok(Some(tag)),
        Err(ImageError::SelectTag(m)) if m == NO_TAGS || m == EMPTY_LIST || m == NO_MATCH => Ok(None),
        Err(e) => Err(e),
    }
}

/// `RegexFilter.Apply`: the extracted values in first-seen order, and the map back to the
/// original tag (the last tag giving a value wins, as Flux's map assignment does).
fn extract_all(re: &Regex, extract: &str, tags: &[impl AsRef<str>]) -> (Vec<String>, HashMap<String, String>) {
    let mut values = Vec::new();
    let mut back: HashMap<String, String> = HashMap::new();
    for tag in tags {
        let tag = tag.as_ref();
        let Some(caps) = re.captures(tag) else { continue };
        let value = if extract.is_empty() {
            tag.to_string()
        } else {
            let mut out = String::new();
            caps.expand(extract, &mut out);
            out
        };
        if back.insert(value.clone(), tag.to_string()).is_none() {
            values.push(value);
        }
    }
    (values, back)
}
