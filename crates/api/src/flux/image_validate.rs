//! Defaults and refusals of ImageRepository and ImagePolicy (image-reflector-controller's) and
//! ImageUpdateAutomation (image-automation-controller's).

use std::time::Duration;

use super::image::{DEFAULT_EXCLUSION_LIST, ImagePolicySpec, ImageRepositorySpec};
use super::image_automation::ImageUpdateAutomationSpec;
use crate::duration;

/// Used when `spec.interval` does not parse (the schema's pattern makes that rare).
pub const DEFAULT_SCAN_INTERVAL: Duration = Duration::from_secs(600);
/// `spec.interval` of an ImagePolicy with `digestReflectionPolicy: Always` and none given.
pub const DEFAULT_POLICY_INTERVAL: Duration = Duration::from_secs(600);

/// Fields the schema accepts but Glidepath does not implement: refused by name, never ignored.
pub const UNSUPPORTED_IMAGE_REPOSITORY_FIELDS: &[(&str, &str)] =
    &[("spec.provider", "cloud registry login (aws, azure, gcp); use a dockerconfigjson secretRef")];

/// How the digest of the picked tag is reflected in `status.latestRef.digest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestReflection {
    Never,
    IfNotPresent,
    Always,
}

impl ImageRepositorySpec {
    pub fn interval(&self) -> Duration {
        duration::parse(&self.interval).unwrap_or(DEFAULT_SCAN_INTERVAL)
    }

    /// The scan timeout: `spec.timeout`, else the interval (Flux's `GetTimeout`).
    pub fn timeout(&self) -> Duration {
        self.timeout.as_deref().and_then(|t| duration::parse(t).ok()).unwrap_or_else(|| self.interval())
    }

    /// `spec.exclusionList`, or the default (signature tags) when absent.
    pub fn exclusion_list(&self) -> Vec<String> {
        match &self.exclusion_list {
            Some(list) => list.clone(),
            None => DEFAULT_EXCLUSION_LIST.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn suspended(&self) -> bool {
        self.suspend == Some(true)
    }

    /// The first field set that Glidepath refuses, with what it would need.
    pub fn unsupported(&self) -> Option<(&'static str, &'static str)> {
        let provider = self.provider.as_deref().is_some_and(|p| !p.is_empty() && p != "generic");
        let set = [provider];
        UNSUPPORTED_IMAGE_REPOSITORY_FIELDS.iter().zip(set).find(|(_, on)| *on).map(|(f, _)| *f)
    }
}

impl ImagePolicySpec {
    pub fn digest_reflection(&self) -> DigestReflection {
        match self.digest_reflection_policy.as_deref() {
            Some("Always") => DigestReflection::Always,
            Some("IfNotPresent") => DigestReflection::IfNotPresent,
            _ => DigestReflection::Never,
        }
    }

    /// How often the policy is evaluated again without a change of its repository: the
    /// interval with `Always`, else never (Flux's `GetInterval`: 0).
    pub fn interval(&self) -> Option<Duration> {
        if self.digest_reflection() != DigestReflection::Always {
            return None;
        }
        Some(self.interval.as_deref().and_then(|t| duration::parse(t).ok()).unwrap_or(DEFAULT_POLICY_INTERVAL))
    }

    /// The namespace of the ImageRepository: the reference's, else the policy's own.
    pub fn repository_namespace<'a>(&'a self, own: &'a str) -> &'a str {
        self.image_repository_ref.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(own)
    }

    pub fn suspended(&self) -> bool {
        self.suspend == Some(true)
    }
}

impl ImageUpdateAutomationSpec {
    /// Used when `spec.interval` does not parse.
    pub fn interval(&self) -> Duration {
        duration::parse(&self.interval).unwrap_or(DEFAULT_SCAN_INTERVAL)
    }

    pub fn suspended(&self) -> bool {
        self.suspend == Some(true)
    }

    /// `spec.update.path` relative to the repository root (`""` for the root).
    pub fn update_path(&self) -> &str {
        let path = self.update.as_ref().and_then(|u| u.path.as_deref()).unwrap_or("");
        let path = path.trim_start_matches("./").trim_end_matches('/');
        if path == "." { "" } else { path }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_defaults_to_the_interval_and_the_exclusions_to_signatures() {
        let spec = ImageRepositorySpec { interval: "5m".into(), ..Default::default() };
        assert_eq!(spec.timeout(), Duration::from_secs(300));
        assert_eq!(spec.exclusion_list(), vec![r"^.*\.sig$".to_string()]);
        let spec = ImageRepositorySpec { timeout: Some("30s".into()), exclusion_list: Some(vec![]), ..spec };
        assert_eq!(spec.timeout(), Duration::from_secs(30));
        assert!(spec.exclusion_list().is_empty(), "an empty list excludes nothing");
    }

    #[test]
    fn cloud_providers_are_refused_by_name() {
        let mut spec = ImageRepositorySpec { provider: Some("generic".into()), ..Default::default() };
        assert_eq!(spec.unsupported(), None);
        spec.provider = Some("aws".into());
        assert_eq!(spec.unsupported().map(|u| u.0), Some("spec.provider"));
        spec.provider = None;
        spec.proxy_secret_ref = Some(Default::default());
        assert_eq!(spec.unsupported(), None, "proxies are supported");
    }

    #[test]
    fn only_always_reflection_has_an_interval() {
        let mut spec = ImagePolicySpec { interval: Some("1m".into()), ..Default::default() };
        assert_eq!(spec.interval(), None);
        spec.digest_reflection_policy = Some("Always".into());
        assert_eq!(spec.interval(), Some(Duration::from_secs(60)));
        assert_eq!(spec.repository_namespace("apps"), "apps");
    }
}
