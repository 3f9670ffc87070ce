//! Defaults and validation of HelmRepository, HelmChart and HelmRelease (the Helm half of
//! [`super::validate`]).

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::helm_chart::HelmChartSpec;
use super::helm_release::{HelmRelease, HelmReleaseSpec, ValuesReference};
use super::helm_repository::HelmRepositorySpec;
use super::validate::{check_optional_duration, check_required_duration};
use crate::duration;
use crate::field::{FieldError, Validation};

pub const DEFAULT_HELM_REPOSITORY_TIMEOUT: Duration = Duration::from_secs(60);
/// Per-operation timeout of Helm actions when neither the action nor the spec sets one.
pub const DEFAULT_HELM_TIMEOUT: Duration = Duration::from_secs(300);
pub const DEFAULT_MAX_HISTORY: i64 = 5;
pub const DEFAULT_CHART_VERSION: &str = "*";
pub const DEFAULT_RECONCILE_STRATEGY: &str = "ChartVersion";
pub const DEFAULT_VALUES_KEY: &str = "values.yaml";
/// Helm's limit on release names (they end up in Secret names and labels).
pub const MAX_RELEASE_NAME_LENGTH: usize = 53;
pub const HELM_CHART_SOURCE_KINDS: &[&str] = &["HelmRepository", "GitRepository", "Bucket"];
pub const CHART_REF_KINDS: &[&str] = &["OCIRepository", "HelmChart", "ExternalArtifact"];

/// HelmRelease fields the schema accepts but Glidepath does not implement yet: (field, what).
/// Refused rather than ignored, so nothing is installed with the wrong identity, into the wrong
/// cluster or unverified. Remove an entry once the feature exists.
pub const UNSUPPORTED_HELM_RELEASE_FIELDS: &[(&str, &str)] = &[
    ("spec.serviceAccountName", "impersonation"),
    ("spec.kubeConfig", "remote clusters"),
    ("spec.postRenderers", "post-renderers"),
    ("spec.chart.spec.verify", "chart signature verification"),
    ("spec.driftDetection.mode", "drift detection (modes other than disabled)"),
    ("spec.chartRef.kind", "charts from ExternalArtifact sources"),
    ("spec.install.serverSideApply", "client-side apply (serverSideApply: false)"),
    ("spec.upgrade.serverSideApply", "client-side apply (serverSideApply: disabled)"),
    ("spec.rollback.serverSideApply", "client-side apply (serverSideApply: disabled)"),
    ("spec.rollback.recreate", "pod restarts on rollback (recreate)"),
    ("spec.upgrade.cleanupOnFail", "deleting new objects after a failed upgrade (cleanupOnFail)"),
    ("spec.rollback.cleanupOnFail", "deleting new objects after a failed rollback (cleanupOnFail)"),
    ("spec.upgrade.chartNameChangeStrategy", "chart name change strategies"),
    ("spec.waitStrategy.name", "the legacy wait strategy (poller is what runs)"),
    ("spec.uninstall.deletionPropagation", "deletion propagation other than background"),
    ("spec.valuesFrom[].literal", "literal values references"),
    ("spec.upgrade.preserveValues", "reusing the last release's values (preserveValues)"),
];

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

fn parse(s: &Option<String>) -> Option<Duration> {
    non_empty(s).and_then(|d| duration::parse(d).ok())
}

/// Flux's rule for names over 53 characters: the first 40, `-`, and the first 12 hex digits of
/// the SHA-256 of the whole name.
pub fn shorten_release_name(name: &str) -> String {
    if name.len() <= MAX_RELEASE_NAME_LENGTH {
        return name.to_owned();
    }
    const HASH_LEN: usize = 12;
    let mut cut = MAX_RELEASE_NAME_LENGTH - HASH_LEN - 1;
    // Go cuts bytes; Kubernetes names are ASCII, so only a non-ASCII releaseName could split.
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let hex: String = Sha256::digest(name.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}", &name[..cut], &hex[..HASH_LEN])
}

/// `HelmRepository.spec.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelmRepositoryType {
    /// An HTTP(S) `index.yaml`.
    Default,
    Oci,
}

impl HelmRepositorySpec {
    /// Index refresh period; `None` when unset (OCI repositories need none) or unparseable.
    pub fn interval(&self) -> Option<Duration> {
        parse(&self.interval)
    }

    pub fn timeout(&self) -> Duration {
        parse(&self.timeout).unwrap_or(DEFAULT_HELM_REPOSITORY_TIMEOUT)
    }

    pub fn repository_type(&self) -> HelmRepositoryType {
        match non_empty(&self.r#type) {
            Some("oci") => HelmRepositoryType::Oci,
            _ => HelmRepositoryType::Default,
        }
    }

    pub fn suspended(&self) -> bool {
        self.suspend.unwrap_or(false)
    }

    pub fn validate(&self) -> Validation {
        let mut v = Validation::default();
        let oci = self.url.starts_with("oci://");
        if self.url.is_empty() {
            v.error(FieldError::required("spec.url", "url is required"));
        } else if !(oci || self.url.starts_with("http://") || self.url.starts_with("https://")) {
            v.error(FieldError::invalid(
                "spec.url",
                format!("{:?} must start with http://, https:// or oci://", self.url),
            ));
        } else if oci != (self.repository_type() == HelmRepositoryType::Oci) {
            v.error(FieldError::invalid("spec.url", "oci:// URLs go with type oci, http(s):// URLs with type default"));
        }
        if let Some(t) = self.r#type.as_deref().filter(|t| !["default", "oci"].contains(t)) {
            v.error(FieldError::not_supported("spec.type", t, &["default", "oci"]));
        }
        check_optional_duration(&mut v, "spec.interval", self.interval.as_deref());
        check_optional_duration(&mut v, "spec.timeout", self.timeout.as_deref());
        v
    }
}

impl HelmChartSpec {
    pub fn interval(&self) -> Option<Duration> {
        duration::parse(&self.interval).ok()
    }

    pub fn version(&self) -> &str {
        non_empty(&self.version).unwrap_or(DEFAULT_CHART_VERSION)
    }

    pub fn reconcile_strategy(&self) -> &str {
        non_empty(&self.reconcile_strategy).unwrap_or(DEFAULT_RECONCILE_STRATEGY)
    }

    pub fn suspended(&self) -> bool {
        self.suspend.unwrap_or(false)
    }

    pub fn validate(&self) -> Validation {
        let mut v = Validation::default();
        if self.chart.is_empty() {
            v.error(FieldError::required("spec.chart", "chart is required"));
        }
        check_kind(&mut v, "spec.sourceRef", &self.source_ref.kind, HELM_CHART_SOURCE_KINDS);
        if self.source_ref.name.is_empty() {
            v.error(FieldError::required("spec.sourceRef.name", "name is required"));
        }
        check_required_duration(&mut v, "spec.interval", &self.interval);
        check_reconcile_strategy(&mut v, "spec.reconcileStrategy", self.reconcile_strategy.as_deref());
        if self.verify.is_some() && self.source_ref.kind != "HelmRepository" {
            v.error(FieldError::invalid(
                "spec.verify",
                "spec.verify is only supported when spec.sourceRef.kind is 'HelmRepository'",
            ));
        }
        v
    }
}

/// What a failed upgrade is remediated with (`spec.upgrade.remediation.strategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemediationStrategy {
    Rollback,
    Uninstall,
}

/// Flux's rule: retries run out once failures exceed them; negative retries never run out.
pub fn retries_exhausted(retries: i64, failures: i64) -> bool {
    retries >= 0 && failures > retries
}

impl HelmReleaseSpec {
    /// `spec.releaseName`, else `[targetNamespace-]name`, shortened past 53 characters.
    pub fn release_name(&self, name: &str) -> String {
        let full = match (non_empty(&self.release_name), non_empty(&self.target_namespace)) {
            (Some(r), _) => r.to_owned(),
            (None, Some(ns)) => format!("{ns}-{name}"),
            (None, None) => name.to_owned(),
        };
        shorten_release_name(&full)
    }

    /// Where the chart's objects go (default: the HelmRelease's namespace).
    pub fn target_namespace<'a>(&'a self, namespace: &'a str) -> &'a str {
        non_empty(&self.target_namespace).unwrap_or(namespace)
    }

    /// Where Helm's release Secrets go (default: the HelmRelease's namespace).
    pub fn storage_namespace<'a>(&'a self, namespace: &'a str) -> &'a str {
        non_empty(&self.storage_namespace).unwrap_or(namespace)
    }

    pub fn interval(&self) -> Option<Duration> {
        duration::parse(&self.interval).ok()
    }

    pub fn suspended(&self) -> bool {
        self.suspend.unwrap_or(false)
    }

    /// Per-operation timeout (default 5m); each action's own timeout defaults to this.
    pub fn timeout(&self) -> Duration {
        parse(&self.timeout).unwrap_or(DEFAULT_HELM_TIMEOUT)
    }

    pub fn install_timeout(&self) -> Duration {
        self.install.as_ref().and_then(|a| parse(&a.timeout)).unwrap_or_else(|| self.timeout())
    }

    pub fn upgrade_timeout(&self) -> Duration {
        self.upgrade.as_ref().and_then(|a| parse(&a.timeout)).unwrap_or_else(|| self.timeout())
    }

    pub fn test_timeout(&self) -> Duration {
        self.test.as_ref().and_then(|a| parse(&a.timeout)).unwrap_or_else(|| self.timeout())
    }

    pub fn rollback_timeout(&self) -> Duration {
        self.rollback.as_ref().and_then(|a| parse(&a.timeout)).unwrap_or_else(|| self.timeout())
    }

    pub fn uninstall_timeout(&self) -> Duration {
        self.uninstall.as_ref().and_then(|a| parse(&a.timeout)).unwrap_or_else(|| self.timeout())
    }

    /// Revisions Helm keeps; 0 means unlimited (default 5).
    pub fn max_history(&self) -> i64 {
        self.max_history.unwrap_or(DEFAULT_MAX_HISTORY)
    }

    /// Default true.
    pub fn persistent_client(&self) -> bool {
        self.persistent_client.unwrap_or(true)
    }

    pub fn test_enabled(&self) -> bool {
        self.test.as_ref().and_then(|t| t.enable).unwrap_or(false)
    }

    pub fn test_ignore_failures(&self) -> bool {
        self.test.as_ref().and_then(|t| t.ignore_failures).unwrap_or(false)
    }

    /// Install retries (default 0; negative: unlimited).
    pub fn install_retries(&self) -> i64 {
        self.install.as_ref().and_then(|i| i.remediation.as_ref()).and_then(|r| r.retries).unwrap_or(0)
    }

    /// Upgrade retries (default 0; negative: unlimited).
    pub fn upgrade_retries(&self) -> i64 {
        self.upgrade.as_ref().and_then(|u| u.remediation.as_ref()).and_then(|r| r.retries).unwrap_or(0)
    }

    /// Remediate (uninstall) the last failed install when retries ran out (default false).
    pub fn install_remediate_last_failure(&self) -> bool {
        let r = self.install.as_ref().and_then(|i| i.remediation.as_ref());
        r.and_then(|r| r.remediate_last_failure).unwrap_or(false)
    }

    /// Remediate the last failed upgrade when retries ran out (default: retries > 0).
    pub fn upgrade_remediate_last_failure(&self) -> bool {
        let r = self.upgrade.as_ref().and_then(|u| u.remediation.as_ref());
        r.and_then(|r| r.remediate_last_failure).unwrap_or_else(|| self.upgrade_retries() > 0)
    }

    /// Default: `spec.test.ignoreFailures`.
    pub fn install_ignore_test_failures(&self) -> bool {
        let r = self.install.as_ref().and_then(|i| i.remediation.as_ref());
        r.and_then(|r| r.ignore_test_failures).unwrap_or_else(|| self.test_ignore_failures())
    }

    /// Default: `spec.test.ignoreFailures`.
    pub fn upgrade_ignore_test_failures(&self) -> bool {
        let r = self.upgrade.as_ref().and_then(|u| u.remediation.as_ref());
        r.and_then(|r| r.ignore_test_failures).unwrap_or_else(|| self.test_ignore_failures())
    }

    /// Default rollback.
    pub fn upgrade_remediation_strategy(&self) -> RemediationStrategy {
        let r = self.upgrade.as_ref().and_then(|u| u.remediation.as_ref());
        match r.and_then(|r| r.strategy.as_deref()) {
            Some("uninstall") => RemediationStrategy::Uninstall,
            _ => RemediationStrategy::Rollback,
        }
    }

    /// Default `disabled`.
    pub fn drift_detection_mode(&self) -> &str {
        self.drift_detection.as_ref().and_then(|d| non_empty(&d.mode)).unwrap_or("disabled")
    }

    /// Default `background`.
    pub fn deletion_propagation(&self) -> &str {
        self.uninstall.as_ref().and_then(|u| non_empty(&u.deletion_propagation)).unwrap_or("background")
    }

    /// Whether an entry of [`UNSUPPORTED_HELM_RELEASE_FIELDS`] is set.
    fn is_set(&self, field: &str) -> bool {
        match field {
            "spec.serviceAccountName" => non_empty(&self.service_account_name).is_some(),
            "spec.kubeConfig" => self.kube_config.is_some(),
            "spec.postRenderers" => self.post_renderers.as_ref().is_some_and(|p| !p.is_empty()),
            "spec.chart.spec.verify" => self.chart.as_ref().is_some_and(|c| c.spec.verify.is_some()),
            "spec.driftDetection.mode" => self.drift_detection_mode() != "disabled",
            "spec.chartRef.kind" => {
                self.chart_ref.as_ref().is_some_and(|r| r.kind != "HelmChart" && r.kind != "OCIRepository")
            }
            "spec.install.serverSideApply" => self.install.as_ref().and_then(|i| i.server_side_apply) == Some(false),
            "spec.upgrade.serverSideApply" => {
                self.upgrade.as_ref().and_then(|u| u.server_side_apply.as_deref()) == Some("disabled")
            }
            "spec.rollback.serverSideApply" => {
                self.rollback.as_ref().and_then(|r| r.server_side_apply.as_deref()) == Some("disabled")
            }
            "spec.rollback.recreate" => self.rollback.as_ref().and_then(|r| r.recreate) == Some(true),
            "spec.upgrade.cleanupOnFail" => self.upgrade.as_ref().and_then(|u| u.cleanup_on_fail) == Some(true),
            "spec.rollback.cleanupOnFail" => self.rollback.as_ref().and_then(|r| r.cleanup_on_fail) == Some(true),
            "spec.upgrade.chartNameChangeStrategy" => {
                self.upgrade.as_ref().is_some_and(|u| non_empty(&u.chart_name_change_strategy).is_some())
            }
            "spec.waitStrategy.name" => self.wait_strategy.as_ref().is_some_and(|w| w.name == "legacy"),
            "spec.uninstall.deletionPropagation" => self.deletion_propagation() != "background",
            "spec.upgrade.preserveValues" => self.upgrade.as_ref().and_then(|u| u.preserve_values) == Some(true),
            "spec.valuesFrom[].literal" => self.values_from.iter().flatten().any(|r| r.literal == Some(true)),
            _ => false,
        }
    }

    pub fn validate(&self) -> Validation {
        let mut v = Validation::default();
        check_required_duration(&mut v, "spec.interval", &self.interval);
        match (&self.chart, &self.chart_ref) {
            (Some(_), Some(_)) | (None, None) => {
                v.error(FieldError::invalid("spec", "either chart or chartRef must be set"));
            }
            _ => {}
        }
        if let Some(chart) = &self.chart {
            let s = &chart.spec;
            if s.chart.is_empty() {
                v.error(FieldError::required("spec.chart.spec.chart", "chart is required"));
            }
            check_kind(&mut v, "spec.chart.spec.sourceRef", &s.source_ref.kind, HELM_CHART_SOURCE_KINDS);
            if s.source_ref.name.is_empty() {
                v.error(FieldError::required("spec.chart.spec.sourceRef.name", "name is required"));
            }
            check_optional_duration(&mut v, "spec.chart.spec.interval", s.interval.as_deref());
            check_reconcile_strategy(&mut v, "spec.chart.spec.reconcileStrategy", s.reconcile_strategy.as_deref());
        }
        if let Some(r) = &self.chart_ref {
            check_kind(&mut v, "spec.chartRef", &r.kind, CHART_REF_KINDS);
            if r.name.is_empty() {
                v.error(FieldError::required("spec.chartRef.name", "name is required"));
            }
        }
        for (field, value, max) in [
            ("releaseName", &self.release_name, MAX_RELEASE_NAME_LENGTH),
            ("targetNamespace", &self.target_namespace, 63),
            ("storageNamespace", &self.storage_namespace, 63),
        ] {
            if value.as_ref().is_some_and(|s| s.is_empty() || s.chars().count() > max) {
                v.error(FieldError::invalid(format!("spec.{field}"), format!("must be 1 to {max} characters")));
            }
        }
        check_optional_duration(&mut v, "spec.timeout", self.timeout.as_deref());
        for (action, timeout) in [
            ("install", self.install.as_ref().and_then(|a| a.timeout.as_deref())),
            ("upgrade", self.upgrade.as_ref().and_then(|a| a.timeout.as_deref())),
            ("test", self.test.as_ref().and_then(|a| a.timeout.as_deref())),
            ("rollback", self.rollback.as_ref().and_then(|a| a.timeout.as_deref())),
            ("uninstall", self.uninstall.as_ref().and_then(|a| a.timeout.as_deref())),
        ] {
            check_optional_duration(&mut v, &format!("spec.{action}.timeout"), timeout);
        }
        // Flux's CEL rules on the strategies: retryInterval only with RetryOnFailure.
        for (action, strategy) in [
            ("install", self.install.as_ref().and_then(|i| i.strategy.as_ref()).map(|s| (&s.name, &s.retry_interval))),
            ("upgrade", self.upgrade.as_ref().and_then(|u| u.strategy.as_ref()).map(|s| (&s.name, &s.retry_interval))),
        ] {
            let Some((name, retry)) = strategy else { continue };
            let names = ["RemediateOnFailure", "RetryOnFailure"];
            if !names.contains(&name.as_str()) {
                v.error(FieldError::not_supported(format!("spec.{action}.strategy.name"), name, &names));
            }
            let field = format!("spec.{action}.strategy.retryInterval");
            if retry.is_some() && name != "RetryOnFailure" {
                v.error(FieldError::invalid(&field, "can only be set when .name is 'RetryOnFailure'"));
            }
            check_optional_duration(&mut v, &field, retry.as_deref());
        }
        let strategies = ["rollback", "uninstall"];
        let remediation = self.upgrade.as_ref().and_then(|u| u.remediation.as_ref());
        if let Some(s) = remediation.and_then(|r| r.strategy.as_deref()).filter(|s| !strategies.contains(s)) {
            v.error(FieldError::not_supported("spec.upgrade.remediation.strategy", s, &strategies));
        }
        let modes = ["enabled", "warn", "disabled"];
        if let Some(m) = self.drift_detection.as_ref().and_then(|d| d.mode.as_deref()).filter(|m| !modes.contains(m)) {
            v.error(FieldError::not_supported("spec.driftDetection.mode", m, &modes));
        }
        for (i, r) in self.values_from.iter().flatten().enumerate() {
            check_values_reference(&mut v, i, r);
        }
        for (i, d) in self.depends_on.iter().flatten().enumerate() {
            if d.name.is_empty() {
                v.error(FieldError::required(format!("spec.dependsOn[{i}].name"), "name is required"));
            }
        }
        for (field, what) in UNSUPPORTED_HELM_RELEASE_FIELDS {
            if self.is_set(field) {
                v.error(FieldError::forbidden(*field, format!("{what}: not supported by Glidepath yet")));
            }
        }
        v
    }
}

impl ValuesReference {
    pub fn values_key(&self) -> &str {
        non_empty(&self.values_key).unwrap_or(DEFAULT_VALUES_KEY)
    }
}

impl HelmRelease {
    /// [`HelmReleaseSpec::release_name`] for this object's name.
    pub fn release_name(&self) -> String {
        self.spec.release_name(self.metadata.name.as_deref().unwrap_or_default())
    }
}

fn check_values_reference(v: &mut Validation, i: usize, r: &ValuesReference) {
    if !["Secret", "ConfigMap"].contains(&r.kind.as_str()) {
        v.error(FieldError::not_supported(format!("spec.valuesFrom[{i}].kind"), &r.kind, &["Secret", "ConfigMap"]));
    }
    if r.name.is_empty() {
        v.error(FieldError::required(format!("spec.valuesFrom[{i}].name"), "name is required"));
    }
}

fn check_kind(v: &mut Validation, field: &str, kind: &str, allowed: &[&str]) {
    if kind.is_empty() {
        v.error(FieldError::required(format!("{field}.kind"), "kind is required"));
    } else if !allowed.contains(&kind) {
        v.error(FieldError::not_supported(format!("{field}.kind"), kind, allowed));
    }
}

fn check_reconcile_strategy(v: &mut Validation, field: &str, value: Option<&str>) {
    let strategies = ["ChartVersion", "Revision"];
    if let Some(s) = value.filter(|s| !strategies.contains(s)) {
        v.error(FieldError::not_supported(field, s, &strategies));
    }
}
