//! OCIRepository decisions, pure: the repository of `spec.url`, the tag a semver range picks,
//! the revision string, the manifest's layer, and whether the stored artifact is current.

use std::collections::BTreeMap;

use glidepath_api::flux::oci_repository::OCILayerSelector;
use glidepath_api::flux::oci_validate::{LayerOperation, layer_operation};
use glidepath_oci::{DOCKER_MANIFEST_LIST, OCI_INDEX, Reference, Repository};
use serde::Deserialize;

/// The URL prefix Flux requires (`sourcev1.OCIRepositoryPrefix`).
pub const OCI_PREFIX: &str = "oci://";

/// The repository of `spec.url`, or Flux's message (`URL validation failed for …`).
pub fn repository(url: &str) -> Result<Repository, String> {
    let failed = |why: String| format!("URL validation failed for '{url}': {why}");
    let Some(rest) = url.strip_prefix(OCI_PREFIX) else {
        return Err(failed("URL must be in format 'oci://<domain>/<org>/<repo>'".into()));
    };
    let reference = Reference::parse(rest).map_err(|e| failed(crate::error_chain(&e)))?;
    if reference.tag.is_some() || reference.digest.is_some() {
        return Err(failed("the URL names a repository; set the tag or digest in spec.ref".into()));
    }
    Ok(reference.repository)
}

/// The highest tag in the Masterminds `range` among the tags `filter` matches (source-controller's
/// `getTagBySemver` with `filterTags`), or the reason there is none.
pub fn semver_tag(tags: &[String], range: &str, filter: Option<&str>) -> Result<String, String> {
    let candidates: Vec<&str> = match filter {
        Some(f) => {
            let re = regex::Regex::new(f).map_err(|e| format!("failed to compile regex '{f}': {e}"))?;
            tags.iter().map(String::as_str).filter(|t| re.is_match(t)).collect()
        }
        None => tags.iter().map(String::as_str).collect(),
    };
    let policy = glidepath_image::Policy::Semver { range: range.to_owned() };
    match glidepath_image::select(&candidates, &policy, None) {
        Ok(Some(tag)) => Ok(tag),
        Ok(None) => Err(format!("no match found for semver: {range}")),
        Err(e) => Err(crate::error_chain(&e)),
    }
}

/// Flux's revision: `<tag>@<digest>` for a tag, the digest alone for a digest reference.
pub fn revision(tag: Option<&str>, digest: &str) -> String {
    match tag {
        Some(t) => format!("{t}@{digest}"),
        None => digest.to_owned(),
    }
}

/// The manifest digest of a revision (`1.0.0@sha256:…` → `sha256:…`).
pub fn revision_digest(revision: &str) -> &str {
    revision.rsplit_once('@').map_or(revision, |(_, d)| d)
}

/// The artifact's file name: the digest's hex part with `.tar.gz` (Flux's `digestFromRevision`).
pub fn artifact_file(revision: &str) -> String {
    let digest = revision_digest(revision);
    format!("{}.tar.gz", digest.split_once(':').map_or(digest, |(_, hex)| hex))
}

/// What the stored artifact was made from.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    pub revision: &'a str,
    pub ignore: Option<&'a str>,
    pub selector: Option<&'a OCILayerSelector>,
}

fn same_selector(a: Option<&OCILayerSelector>, b: Option<&OCILayerSelector>) -> bool {
    let media = |s: Option<&OCILayerSelector>| s.and_then(|l| l.media_type.clone()).filter(|m| !m.is_empty());
    media(a) == media(b) && layer_operation(a) == layer_operation(b)
}

/// Whether the artifact must be pulled again: no artifact, another revision, or another
/// content configuration (`ignore`, `layerSelector`: Flux's `ociContentConfigChanged`).
pub fn needs_pull(stored: Option<Current<'_>>, wanted: Current<'_>) -> bool {
    let Some(s) = stored else { return true };
    let ignore = |i: Option<&str>| i.filter(|i| !i.is_empty()).map(str::to_owned);
    s.revision != wanted.revision
        || ignore(s.ignore) != ignore(wanted.ignore)
        || !same_selector(s.selector, wanted.selector)
}

/// A failed pull is retried this soon (or at the interval, when shorter).
pub const RETRY: std::time::Duration = std::time::Duration::from_secs(30);

/// When the registry is asked next: an interval after a success, [`RETRY`] after a failure.
pub fn next_attempt(succeeded: bool, interval: std::time::Duration) -> std::time::Duration {
    if succeeded { interval } else { RETRY.min(interval) }
}

/// One layer descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
}

/// The parts of an image manifest an artifact pull reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactManifest {
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub layers: Vec<Layer>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// The manifest as served; an image index is refused (source-controller pulls one image).
pub fn manifest(bytes: &[u8], served_type: &str) -> Result<ArtifactManifest, String> {
    let m: ArtifactManifest =
        serde_json::from_slice(bytes).map_err(|e| format!("the manifest is not valid JSON: {e}"))?;
    let kind = m.media_type.as_deref().filter(|t| !t.is_empty()).unwrap_or(served_type);
    let index = [OCI_INDEX, DOCKER_MANIFEST_LIST].contains(&kind)
        || serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v.get("manifests").is_some());
    if index {
        return Err(format!(
            "the reference is an image index ({kind}), not an artifact: set spec.ref.digest to one of its manifests"
        ));
    }
    Ok(m)
}

/// The layer `media_type` names (default the first), with Flux's messages.
pub fn select_layer<'a>(m: &'a ArtifactManifest, media_type: Option<&str>) -> Result<&'a Layer, String> {
    if m.layers.is_empty() {
        return Err("no layers found in artifact".into());
    }
    match media_type {
        Some(t) => m
            .layers
            .iter()
            .find(|l| l.media_type == t)
            .ok_or_else(|| format!("failed to find layer with media type '{t}' in artifact")),
        None => Ok(&m.layers[0]),
    }
}

/// The operation's name in messages.
pub fn operation_name(op: LayerOperation) -> &'static str {
    match op {
        LayerOperation::Extract => "extract",
        LayerOperation::Copy => "copy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn urls_need_the_oci_scheme_and_no_tag() {
        assert_eq!(repository("oci://127.0.0.1:5000/org/app").unwrap().to_string(), "127.0.0.1:5000/org/app");
        assert_eq!(repository("oci://ghcr.io/org/app").unwrap().name, "org/app");
        let https = repository("https://ghcr.io/org/app").unwrap_err();
        assert_eq!(
            https,
            "URL validation failed for 'https://ghcr.io/org/app': URL must be in format 'oci://<domain>/<org>/<repo>'"
        );
        assert!(repository("oci://ghcr.io/Org/App").unwrap_err().starts_with("URL validation failed for"));
        assert!(repository("oci://ghcr.io/org/app:1.0").unwrap_err().contains("spec.ref"));
    }

    #[test]
    fn semver_picks_the_highest_match_after_the_filter() {
        let all = tags(&["latest", "1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "v1.5.0", "01.0.0"]);
        assert_eq!(semver_tag(&all, ">=1.0.0 <2.0.0", None).unwrap(), "1.10.0");
        assert_eq!(semver_tag(&all, "1.5.x", None).unwrap(), "v1.5.0");
        assert_eq!(semver_tag(&all, ">=1.0.0-0", Some(".*-rc.*")).unwrap(), "2.0.0-rc.1");
        assert_eq!(semver_tag(&all, ">=3.0.0", None).unwrap_err(), "no match found for semver: >=3.0.0");
        assert!(semver_tag(&all, "not a range", None).is_err());
        assert!(semver_tag(&all, "*", Some("(")).unwrap_err().starts_with("failed to compile regex"));
    }

    #[test]
    fn revisions_are_fluxs() {
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(revision(Some("1.0.0"), &d), format!("1.0.0@{d}"));
        assert_eq!(revision(None, &d), d);
        assert_eq!(revision_digest(&format!("latest@{d}")), d);
        assert_eq!(artifact_file(&format!("latest@{d}")), format!("{}.tar.gz", "a".repeat(64)));
    }

    #[test]
    fn a_pull_is_skipped_only_when_revision_and_content_config_are_unchanged() {
        let copy = OCILayerSelector { media_type: Some("m".into()), operation: Some("copy".into()) };
        let extract_default = OCILayerSelector { media_type: None, operation: Some("extract".into()) };
        let cur = |rev, ignore, selector| Current { revision: rev, ignore, selector };
        assert!(needs_pull(None, cur("a", None, None)));
        assert!(!needs_pull(Some(cur("a", None, None)), cur("a", None, None)));
        assert!(!needs_pull(Some(cur("a", Some(""), Some(&extract_default))), cur("a", None, None)));
        assert!(needs_pull(Some(cur("a", None, None)), cur("b", None, None)));
        assert!(needs_pull(Some(cur("a", None, None)), cur("a", Some("*.md"), None)));
        assert!(needs_pull(Some(cur("a", None, None)), cur("a", None, Some(&copy))));
    }

    #[test]
    fn failures_are_retried_sooner_than_the_interval() {
        use std::time::Duration;
        let hour = Duration::from_secs(3600);
        assert_eq!(next_attempt(true, hour), hour);
        assert_eq!(next_attempt(false, hour), RETRY);
        assert_eq!(next_attempt(false, Duration::from_secs(5)), Duration::from_secs(5));
    }

    #[test]
    fn layers_are_picked_by_media_type_and_indexes_refused() {
        let json = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "layers":[{"mediaType":"a","digest":"sha256:1","size":1},{"mediaType":"b","digest":"sha256:2","size":2}],
            "annotations":{"org.opencontainers.image.revision":"main@sha1:1"}}"#;
        let m = manifest(json, "").unwrap();
        assert_eq!(m.annotations["org.opencontainers.image.revision"], "main@sha1:1");
        assert_eq!(select_layer(&m, None).unwrap().digest, "sha256:1");
        assert_eq!(select_layer(&m, Some("b")).unwrap().digest, "sha256:2");
        assert_eq!(select_layer(&m, Some("c")).unwrap_err(), "failed to find layer with media type 'c' in artifact");
        let empty = manifest(br#"{"schemaVersion":2,"layers":[]}"#, OCI_INDEX.replace("index", "manifest").as_str());
        assert_eq!(select_layer(&empty.unwrap(), None).unwrap_err(), "no layers found in artifact");
        let index = manifest(br#"{"schemaVersion":2,"manifests":[]}"#, OCI_INDEX).unwrap_err();
        assert!(index.contains("image index"), "{index}");
    }
}
