//! Defaults and refusals of OCIRepository (source-controller's `ocirepository_types.go`
//! getters and `getArtifactRef`'s precedence).

use std::time::Duration;

use super::oci_repository::{OCILayerSelector, OCIRepositorySpec};
use crate::duration;

/// Used when `spec.interval` does not parse (the schema's pattern makes that rare).
pub const DEFAULT_OCI_INTERVAL: Duration = Duration::from_secs(600);
/// `spec.timeout` when unset (the CRD's default, `60s`).
pub const DEFAULT_OCI_TIMEOUT: Duration = Duration::from_secs(60);
/// The tag pulled when `spec.ref` names none (go-containerregistry's `name.DefaultTag`).
pub const DEFAULT_OCI_TAG: &str = "latest";

/// Fields the schema accepts but Glidepath does not implement: refused by name, never ignored.
pub const UNSUPPORTED_OCI_REPOSITORY_FIELDS: &[(&str, &str)] = &[
    ("spec.verify", "cosign and notation signature verification"),
    ("spec.provider", "cloud registry login (aws, azure, gcp); use a dockerconfigjson secretRef"),
];

/// Which artifact `spec.ref` asks for, after Flux's precedence digest > semver > tag > `latest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OciArtifactRef {
    Digest(String),
    /// The highest tag in the Masterminds range, among the tags `filter` (a regexp) matches.
    Semver {
        range: String,
        filter: Option<String>,
    },
    Tag(String),
}

/// `spec.layerSelector.operation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LayerOperation {
    /// The layer is a tar.gz whose files become the artifact (the default).
    #[default]
    Extract,
    /// The layer blob is the artifact, as is.
    Copy,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl OCIRepositorySpec {
    pub fn interval(&self) -> Duration {
        duration::parse(&self.interval).unwrap_or(DEFAULT_OCI_INTERVAL)
    }

    pub fn timeout(&self) -> Duration {
        non_empty(&self.timeout).and_then(|t| duration::parse(t).ok()).unwrap_or(DEFAULT_OCI_TIMEOUT)
    }

    pub fn suspended(&self) -> bool {
        self.suspend == Some(true)
    }

    /// The first field set that Glidepath refuses, with what it would need.
    pub fn unsupported(&self) -> Option<(&'static str, &'static str)> {
        let provider = non_empty(&self.provider).is_some_and(|p| p != "generic");
        let set = [self.verify.is_some(), provider];
        UNSUPPORTED_OCI_REPOSITORY_FIELDS.iter().zip(set).find(|(_, on)| *on).map(|(f, _)| *f)
    }

    /// `spec.ref` resolved by precedence.
    pub fn artifact_ref(&self) -> OciArtifactRef {
        let r = self.r#ref.clone().unwrap_or_default();
        if let Some(d) = non_empty(&r.digest) {
            return OciArtifactRef::Digest(d.to_owned());
        }
        if let Some(range) = non_empty(&r.semver) {
            let filter = non_empty(&r.semver_filter).map(str::to_owned);
            return OciArtifactRef::Semver { range: range.to_owned(), filter };
        }
        OciArtifactRef::Tag(non_empty(&r.tag).unwrap_or(DEFAULT_OCI_TAG).to_owned())
    }

    /// `spec.layerSelector.mediaType`; `None` takes the first layer.
    pub fn layer_media_type(&self) -> Option<&str> {
        self.layer_selector.as_ref().and_then(|l| non_empty(&l.media_type))
    }

    pub fn layer_operation(&self) -> LayerOperation {
        layer_operation(self.layer_selector.as_ref())
    }
}

/// The operation of a selector (`copy`, else extract).
pub fn layer_operation(selector: Option<&OCILayerSelector>) -> LayerOperation {
    match selector.and_then(|l| l.operation.as_deref()) {
        Some("copy") => LayerOperation::Copy,
        _ => LayerOperation::Extract,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flux::oci_repository::{OCIRepositoryRef, OCIRepositoryVerification};

    fn with_ref(r: OCIRepositoryRef) -> OCIRepositorySpec {
        OCIRepositorySpec { r#ref: Some(r), ..Default::default() }
    }

    #[test]
    fn the_reference_follows_fluxs_precedence() {
        assert_eq!(OCIRepositorySpec::default().artifact_ref(), OciArtifactRef::Tag("latest".into()));
        let all = OCIRepositoryRef {
            digest: Some("sha256:abc".into()),
            semver: Some(">=1.0.0".into()),
            semver_filter: Some(".*-rc.*".into()),
            tag: Some("v1".into()),
        };
        assert_eq!(with_ref(all.clone()).artifact_ref(), OciArtifactRef::Digest("sha256:abc".into()));
        let semver = OCIRepositoryRef { digest: Some(String::new()), ..all.clone() };
        let want = OciArtifactRef::Semver { range: ">=1.0.0".into(), filter: Some(".*-rc.*".into()) };
        assert_eq!(with_ref(semver).artifact_ref(), want);
        let tag = OCIRepositoryRef { tag: Some("v1".into()), ..Default::default() };
        assert_eq!(with_ref(tag).artifact_ref(), OciArtifactRef::Tag("v1".into()));
        let empty = OCIRepositoryRef { tag: Some(String::new()), ..Default::default() };
        assert_eq!(with_ref(empty).artifact_ref(), OciArtifactRef::Tag("latest".into()));
    }

    #[test]
    fn verify_and_cloud_providers_are_refused_by_name() {
        assert_eq!(OCIRepositorySpec::default().unsupported(), None);
        let generic = OCIRepositorySpec { provider: Some("generic".into()), ..Default::default() };
        assert_eq!(generic.unsupported(), None);
        let aws = OCIRepositorySpec { provider: Some("aws".into()), ..Default::default() };
        assert_eq!(aws.unsupported().map(|f| f.0), Some("spec.provider"));
        let verify = OCIRepositorySpec { verify: Some(OCIRepositoryVerification::default()), ..Default::default() };
        assert_eq!(verify.unsupported().map(|f| f.0), Some("spec.verify"));
    }

    #[test]
    fn defaults_are_the_crds() {
        let spec = OCIRepositorySpec::default();
        assert_eq!(spec.timeout(), Duration::from_secs(60));
        assert_eq!(spec.layer_operation(), LayerOperation::Extract);
        assert_eq!(spec.layer_media_type(), None);
        let copy = OCILayerSelector { media_type: Some("x".into()), operation: Some("copy".into()) };
        let spec = OCIRepositorySpec { layer_selector: Some(copy), ..Default::default() };
        assert_eq!((spec.layer_operation(), spec.layer_media_type()), (LayerOperation::Copy, Some("x")));
    }
}
