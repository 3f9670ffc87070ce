//! The image-reflector decisions, pure: whether an ImageRepository is scanned now (Flux's
//! `shouldScan`), the ImagePolicy's next `latestRef` (`updateImageRefs`), and the messages
//! both controllers write. The clock and the tag database's state are passed in.

use std::time::Duration;

use glidepath_api::flux::image::{ImagePolicyStatus, ImageRef, ImageRepositoryStatus};
use glidepath_api::flux::image_validate::DigestReflection;

/// Why a scan happens now (Flux's `scanReason*` texts, shown in `Reconciling`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanReason {
    NeverScanned,
    ReconcileRequested,
    NewImageName,
    UpdatedExclusionList,
    EmptyDatabase,
    Interval,
}

impl ScanReason {
    pub fn text(self) -> &'static str {
        match self {
            ScanReason::NeverScanned => "first scan",
            ScanReason::ReconcileRequested => "reconcile requested",
            ScanReason::NewImageName => "new image name",
            ScanReason::UpdatedExclusionList => "updated exclusion list",
            ScanReason::EmptyDatabase => "no tags in database",
            ScanReason::Interval => "triggered by interval",
        }
    }
}

/// What the repository reconcile knows before deciding.
#[derive(Debug)]
pub struct ScanInputs<'a> {
    pub status: &'a ImageRepositoryStatus,
    pub canonical: &'a str,
    pub exclusions: &'a [String],
    pub requested_at: Option<&'a str>,
    /// Tags stored for the canonical name (0 after the database was lost).
    pub stored_tags: usize,
    pub interval: Duration,
    /// Seconds since the epoch, now.
    pub now: i64,
}

/// `Some(reason)` to scan now, and when the next scan is due.
pub fn should_scan(i: &ScanInputs<'_>) -> (Option<ScanReason>, Duration) {
    let Some(last) = i.status.last_scan_result.as_ref() else {
        return (Some(ScanReason::NeverScanned), i.interval);
    };
    if let Some(at) = i.requested_at
        && Some(at) != i.status.last_handled_reconcile_at.as_deref()
    {
        return (Some(ScanReason::ReconcileRequested), i.interval);
    }
    if i.status.canonical_image_name.as_deref() != Some(i.canonical) {
        return (Some(ScanReason::NewImageName), i.interval);
    }
    if !same_content(i.exclusions, i.status.observed_exclusion_list.as_deref().unwrap_or_default()) {
        return (Some(ScanReason::UpdatedExclusionList), i.interval);
    }
    if i.stored_tags == 0 {
        return (Some(ScanReason::EmptyDatabase), i.interval);
    }
    let scanned = last.scan_time.as_ref().map(|t| t.0.as_second()).unwrap_or(0);
    let elapsed = Duration::from_secs(u64::try_from(i.now - scanned).unwrap_or(0));
    match i.interval.checked_sub(elapsed) {
        Some(when) if when >= Duration::from_secs(1) => (None, when),
        _ => (Some(ScanReason::Interval), i.interval),
    }
}

/// Flux's `isEqualSliceContent`: same length, every entry of `a` found in `b`.
fn same_content(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// `Ready` of a repository after a scan or a no-op reconcile.
pub fn repository_ready_message(tag_count: i64, revision: &str) -> String {
    format!("successful scan: found {tag_count} tags with checksum {revision}")
}

/// Whether the policy must look the digest up, given the tag picked now.
pub fn needs_digest(policy: DigestReflection, status: &ImagePolicyStatus, name: &str, tag: &str) -> bool {
    match policy {
        DigestReflection::Never => false,
        DigestReflection::Always => true,
        DigestReflection::IfNotPresent => status
            .latest_ref
            .as_ref()
            .is_none_or(|r| r.name != name || r.tag != tag || r.digest.as_deref().unwrap_or_default().is_empty()),
    }
}

/// The digest kept from the last pick when it is not looked up again (`IfNotPresent`).
pub fn kept_digest(policy: DigestReflection, status: &ImagePolicyStatus) -> Option<String> {
    if policy != DigestReflection::IfNotPresent {
        return None;
    }
    status.latest_ref.as_ref().and_then(|r| r.digest.clone()).filter(|d| !d.is_empty())
}

/// The status after a pick: `latestRef` replaced and the old one kept as
/// `observedPreviousRef`, only when the pick differs.
pub fn next_refs(status: &mut ImagePolicyStatus, latest: ImageRef) {
    if status.latest_ref.as_ref() != Some(&latest) {
        status.observed_previous_ref = status.latest_ref.take();
        status.latest_ref = Some(latest);
    }
}

/// Flux's `composeImagePolicyReadyMessage`.
pub fn policy_ready_message(status: &ImagePolicyStatus) -> String {
    let Some(latest) = status.latest_ref.as_ref() else {
        return String::new();
    };
    let mut msg = format!("Latest image tag for {} resolved to {}", latest.name, latest.tag);
    if let Some(d) = latest.digest.as_deref().filter(|d| !d.is_empty()) {
        msg.push_str(&format!(" with digest {d}"));
    }
    if let Some(prev) = status.observed_previous_ref.as_ref().filter(|p| *p != latest) {
        msg.push_str(&format!(" (previously {}:{}", prev.name, prev.tag));
        if let Some(d) = prev.digest.as_deref().filter(|d| !d.is_empty()) {
            msg.push_str(&format!("@{d}"));
        }
        msg.push(')');
    }
    msg
}

#[cfg(test)]
mod tests {
    use glidepath_api::flux::image::ScanResult;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;

    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn scanned_at(secs: i64) -> ImageRepositoryStatus {
        ImageRepositoryStatus {
            canonical_image_name: Some("index.docker.io/library/alpine".into()),
            observed_exclusion_list: Some(vec![r"^.*\.sig$".into()]),
            last_scan_result: Some(ScanResult {
                tag_count: 3,
                scan_time: Some(Time(Timestamp::from_second(secs).unwrap())),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn inputs<'a>(status: &'a ImageRepositoryStatus, excl: &'a [String], now: i64) -> ScanInputs<'a> {
        ScanInputs {
            status,
            canonical: "index.docker.io/library/alpine",
            exclusions: excl,
            requested_at: None,
            stored_tags: 3,
            interval: MINUTE,
            now,
        }
    }

    #[test]
    fn a_scan_is_due_for_each_of_flux_s_reasons_and_otherwise_waits() {
        let excl = vec![r"^.*\.sig$".to_string()];
        let fresh = ImageRepositoryStatus::default();
        assert_eq!(should_scan(&inputs(&fresh, &excl, 0)).0, Some(ScanReason::NeverScanned));
        let st = scanned_at(1000);
        assert_eq!(should_scan(&inputs(&st, &excl, 1010)), (None, Duration::from_secs(50)));
        assert_eq!(should_scan(&inputs(&st, &excl, 1060)).0, Some(ScanReason::Interval), "the interval is up");
        assert_eq!(should_scan(&inputs(&st, &excl, 1059)).0, None, "one second left is not under a second");
        let requested = ScanInputs { requested_at: Some("now"), ..inputs(&st, &excl, 1010) };
        assert_eq!(should_scan(&requested).0, Some(ScanReason::ReconcileRequested));
        let renamed = ScanInputs { canonical: "ghcr.io/org/app", ..inputs(&st, &excl, 1010) };
        assert_eq!(should_scan(&renamed).0, Some(ScanReason::NewImageName));
        let other = vec!["^dev-".to_string()];
        assert_eq!(should_scan(&inputs(&st, &other, 1010)).0, Some(ScanReason::UpdatedExclusionList));
        let lost = ScanInputs { stored_tags: 0, ..inputs(&st, &excl, 1010) };
        assert_eq!(should_scan(&lost).0, Some(ScanReason::EmptyDatabase));
    }

    #[test]
    fn a_handled_request_does_not_scan_again() {
        let excl = vec![r"^.*\.sig$".to_string()];
        let mut st = scanned_at(1000);
        st.last_handled_reconcile_at = Some("now".into());
        let requested = ScanInputs { requested_at: Some("now"), ..inputs(&st, &excl, 1010) };
        assert_eq!(should_scan(&requested).0, None);
    }

    fn image(tag: &str, digest: Option<&str>) -> ImageRef {
        ImageRef { name: "ghcr.io/org/app".into(), tag: tag.into(), digest: digest.map(str::to_string) }
    }

    #[test]
    fn the_previous_ref_is_kept_only_when_the_pick_changes() {
        let mut st = ImagePolicyStatus::default();
        next_refs(&mut st, image("1.0.0", None));
        assert_eq!(policy_ready_message(&st), "Latest image tag for ghcr.io/org/app resolved to 1.0.0");
        next_refs(&mut st, image("1.1.0", Some("sha256:ab")));
        assert_eq!(
            policy_ready_message(&st),
            "Latest image tag for ghcr.io/org/app resolved to 1.1.0 with digest sha256:ab (previously ghcr.io/org/app:1.0.0)"
        );
        next_refs(&mut st, image("1.1.0", Some("sha256:ab")));
        assert_eq!(st.observed_previous_ref, Some(image("1.0.0", None)), "an unchanged pick keeps the previous ref");
    }

    #[test]
    fn digests_are_looked_up_as_the_reflection_policy_says() {
        let mut st = ImagePolicyStatus::default();
        assert!(!needs_digest(DigestReflection::Never, &st, "ghcr.io/org/app", "1.0.0"));
        assert!(needs_digest(DigestReflection::IfNotPresent, &st, "ghcr.io/org/app", "1.0.0"));
        st.latest_ref = Some(image("1.0.0", Some("sha256:ab")));
        assert!(!needs_digest(DigestReflection::IfNotPresent, &st, "ghcr.io/org/app", "1.0.0"));
        assert_eq!(kept_digest(DigestReflection::IfNotPresent, &st).as_deref(), Some("sha256:ab"));
        assert!(needs_digest(DigestReflection::IfNotPresent, &st, "ghcr.io/org/app", "1.1.0"));
        assert!(needs_digest(DigestReflection::Always, &st, "ghcr.io/org/app", "1.0.0"));
        assert_eq!(kept_digest(DigestReflection::Always, &st), None);
    }
}
