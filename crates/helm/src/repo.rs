//! Helm chart repositories' `index.yaml` (Helm's `pkg/repo/v1/index.go`), kept compact: only
//! what a HelmChart reconcile needs (each chart's versions with their URLs, digest and
//! creation time), because real indexes are large (bitnami's is tens of MB) and every field
//! not declared here is skipped while parsing. Also the choice of a version for a constraint
//! (`IndexFile.Get`) and the resolution of a chart's URL against its repository's.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use glidepath_sprig::semver::{Version, satisfies};
use serde::Deserialize;

use crate::HelmError;

/// A repository index: chart name → its versions, newest first.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub api_version: String,
    pub generated: String,
    pub entries: BTreeMap<String, Vec<ChartVersion>>,
}

/// One version of a chart in an index.
#[derive(Debug, Clone)]
pub struct ChartVersion {
    pub name: String,
    pub version: String,
    pub app_version: String,
    pub urls: Vec<String>,
    pub digest: String,
    /// RFC3339 as written in the index.
    pub created: String,
    pub deprecated: bool,
    pub removed: bool,
    semver: Version,
    /// `created` in nanoseconds since the epoch, when it parses.
    created_ns: Option<i128>,
}

impl ChartVersion {
    /// The parsed version (valid: entries with invalid versions are dropped at load).
    pub fn semver(&self) -> &Version {
        &self.semver
    }
}

/// The fields read from an index entry; serde skips all others without building them.
#[derive(Deserialize)]
struct RawIndex {
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    generated: Option<String>,
    #[serde(default)]
    entries: Option<BTreeMap<String, Option<Vec<Option<RawVersion>>>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVersion {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    app_version: Option<String>,
    #[serde(default, rename = "type")]
    chart_type: Option<String>,
    #[serde(default)]
    urls: Option<Vec<String>>,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    deprecated: Option<bool>,
    #[serde(default)]
    removed: Option<bool>,
}

fn load_error(message: impl Into<String>) -> HelmError {
    HelmError::LoadIndex { source: message.into().into() }
}

/// Parses an `index.yaml` (or the JSON form Helm also reads). Entries Helm would skip as
/// invalid (no name, a name with a `/`, a version that is not semver, an unknown `type`) are
/// dropped, as Helm drops them with a warning.
pub fn parse_index(data: &[u8]) -> Result<Index, HelmError> {
    if data.is_empty() {
        return Err(load_error("empty index.yaml file"));
    }
    let raw: RawIndex = match serde_json::from_slice(data) {
        Ok(raw) => raw,
        Err(_) => parse_yaml(data)?,
    };
    let api_version = raw.api_version.unwrap_or_default();
    if api_version.is_empty() {
        return Err(load_error("no API version specified"));
    }
    let mut entries = BTreeMap::new();
    for (name, versions) in raw.entries.unwrap_or_default() {
        let mut kept: Vec<ChartVersion> =
            versions.unwrap_or_default().into_iter().flatten().filter_map(valid).collect();
        kept.sort_by(newest_first);
        entries.insert(name, kept);
    }
    Ok(Index { api_version, generated: raw.generated.unwrap_or_default(), entries })
}

fn parse_yaml(data: &[u8]) -> Result<RawIndex, HelmError> {
    let text = std::str::from_utf8(data).map_err(|source| HelmError::LoadIndex { source: source.into() })?;
    // Work grows with the input, not past it: the budget scales with the file (the default
    // one is sized for configuration files, far below a large repository's index).
    let mut budget = serde_saphyr::Budget::default();
    let scale = text.len().max(1024);
    budget.max_events = budget.max_events.max(scale);
    budget.max_nodes = budget.max_nodes.max(scale);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(scale);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options(text, options).map_err(|source| HelmError::LoadIndex { source: source.into() })
}

/// Helm's `Metadata.Validate` as far as index entries carry it.
fn valid(raw: RawVersion) -> Option<ChartVersion> {
    let name = raw.name.unwrap_or_default();
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return None;
    }
    if !matches!(raw.chart_type.as_deref().unwrap_or(""), "" | "application" | "library") {
        return None;
    }
    let version = raw.version.unwrap_or_default();
    let semver = Version::parse(&version).ok()?;
    let created = raw.created.unwrap_or_default();
    Some(ChartVersion {
        name,
        version,
        app_version: raw.app_version.unwrap_or_default(),
        urls: raw.urls.unwrap_or_default(),
        digest: raw.digest.unwrap_or_default(),
        created_ns: rfc3339_nanos(&created),
        created,
        deprecated: raw.deprecated.unwrap_or(false),
        removed: raw.removed.unwrap_or(false),
        semver,
    })
}

/// Highest version first; equal versions (they may differ only by build metadata) by the
/// newest `created` first, as Flux orders them.
fn newest_first(a: &ChartVersion, b: &ChartVersion) -> Ordering {
    b.semver.compare(&a.semver).then_with(|| b.created_ns.cmp(&a.created_ns))
}

/// The version of `chart` a constraint selects (Helm's `IndexFile.Get`): an exact match of
/// the constraint's text first, else the newest version satisfying it; empty means `*`, the
/// newest stable version (Masterminds' constraints leave pre-releases out unless they name
/// one).
pub fn select<'a>(index: &'a Index, chart: &str, constraint: &str) -> Result<&'a ChartVersion, HelmError> {
    let fail = |message: String| HelmError::SelectChart { message };
    let versions = index.entries.get(chart).ok_or_else(|| fail("no chart name found".into()))?;
    if versions.is_empty() {
        return Err(fail("no chart version found".into()));
    }
    let wanted = if constraint.is_empty() { "*" } else { constraint };
    // An invalid constraint fails whatever the versions are, as Masterminds' parse does.
    let zero = Version::parse("0.0.0").map_err(fail)?;
    satisfies(wanted, &zero).map_err(fail)?;
    if !constraint.is_empty()
        && let Some(exact) = versions.iter().find(|v| v.version == constraint)
    {
        return Ok(exact);
    }
    for v in versions {
        if satisfies(wanted, &v.semver).map_err(fail)? {
            return Ok(v);
        }
    }
    Err(fail(format!("no chart version found for {chart}-{constraint}")))
}

/// A chart URL from an index, made absolute (Helm's `ResolveReferenceURL`): an absolute URL
/// stays as written; a relative one is resolved against the repository URL taken as a
/// directory, and gets the repository URL's query (credentials some repositories put there).
pub fn resolve_url(repo_url: &str, chart_url: &str) -> Result<String, HelmError> {
    match url::Url::parse(chart_url) {
        Ok(_) => return Ok(chart_url.to_string()),
        Err(url::ParseError::RelativeUrlWithoutBase) => {}
        Err(source) => return Err(HelmError::ResolveChartUrl { url: chart_url.to_string(), source }),
    }
    let parse_err = |source| HelmError::ResolveChartUrl { url: repo_url.to_string(), source };
    let mut base = url::Url::parse(repo_url).map_err(parse_err)?;
    let query = base.query().map(str::to_string);
    let dir = format!("{}/", base.path().trim_end_matches('/'));
    base.set_path(&dir);
    let mut resolved =
        base.join(chart_url).map_err(|source| HelmError::ResolveChartUrl { url: chart_url.to_string(), source })?;
    resolved.set_query(query.as_deref());
    Ok(resolved.to_string())
}

/// RFC3339 (`2016-10-06T16:23:20.499814565-06:00`) in nanoseconds since the epoch.
fn rfc3339_nanos(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut frac: i128 = 0;
    if b.get(i) == Some(&b'.') {
        let digits = s[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
        let text = s.get(i + 1..i + 1 + digits.min(9))?;
        frac = format!("{text:0<9}").parse().ok()?;
        i += 1 + digits;
    }
    let offset = match s.get(i..)? {
        "Z" | "z" => 0,
        tz if tz.len() == 6 && matches!(tz.as_bytes()[0], b'+' | b'-') => {
            let mins = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if tz.starts_with('-') { -mins * 60 } else { mins * 60 }
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec - offset;
    Some(i128::from(secs) * 1_000_000_000 + frac)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
