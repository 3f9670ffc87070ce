//! What a HelmRelease reconcile does next: helm-controller's release-state decision and
//! remediation rules (`internal/reconcile/atomic_release.go`, `state.go`, the remediation
//! strategies), as pure functions over what was observed.
//!
//! - No release (or an uninstalled one): install; a stuck `pending-*` one is unlocked first.
//! - A deployed release of the desired chart and values: in sync; otherwise upgrade.
//! - A failed release of the same target: retried while `remediation.retries` allows
//!   (negative = without limit), else the retries are exhausted and nothing runs until the spec,
//!   chart or values change (or `reconcile.fluxcd.io/resetAt` is requested).
//! - After a failed action: remediated (install: uninstall; upgrade: rollback to the last deployed
//!   release, or uninstall) unless the strategy is `RetryOnFailure`, or the retries are exhausted
//!   and `remediateLastFailure` is off (its default is on when `retries > 0`).

/// The release the storage holds last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    pub version: i64,
    /// Helm's status string (`deployed`, `failed`, `pending-upgrade` …).
    pub status: String,
    pub chart_name: String,
    pub chart_version: String,
    pub config_digest: String,
}

/// What the spec asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desired {
    pub chart_name: String,
    pub chart_version: String,
    pub config_digest: String,
}

/// `install` or `upgrade` remediation settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Remediation {
    /// `retries` (0 by default; negative: without limit).
    pub retries: i64,
    /// `remediateLastFailure` as set.
    pub remediate_last_failure: Option<bool>,
    /// `strategy.name: RetryOnFailure`.
    pub retry_on_failure: bool,
}

impl Remediation {
    pub fn exhausted(&self, failures: i64) -> bool {
        self.retries >= 0 && failures > self.retries
    }

    fn must_remediate_last_failure(&self) -> bool {
        self.retries != 0 && self.remediate_last_failure.unwrap_or(true)
    }

    /// Whether a failure (the `failures`-th) is followed by remediation.
    pub fn remediates(&self, failures: i64) -> bool {
        !self.retry_on_failure && (!self.exhausted(failures) || self.must_remediate_last_failure())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Policy {
    pub install: Remediation,
    pub upgrade: Remediation,
    /// `upgrade.remediation.strategy: uninstall` (default rollback).
    pub upgrade_uninstalls: bool,
}

/// Failure counters of the current target (zeroed when the target changes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Failures {
    pub install: i64,
    pub upgrade: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    Install,
    Upgrade,
    /// Mark the stuck `pending-*` release `version` failed.
    Unlock {
        version: i64,
    },
    InSync,
    /// Retries used up for this target: `action` failed `attempts` times.
    Exhausted {
        action: &'static str,
        attempts: i64,
    },
}

/// The next release action.
pub fn next(desired: &Desired, current: Option<&Current>, failures: Failures, policy: &Policy, force: bool) -> Next {
    let Some(cur) = current.filter(|c| c.status != "uninstalled") else {
        if failures.install > 0 && policy.install.exhausted(failures.install) && !policy.install.retry_on_failure {
            return Next::Exhausted { action: "install", attempts: failures.install };
        }
        return Next::Install;
    };
    if cur.status.starts_with("pending-") {
        return Next::Unlock { version: cur.version };
    }
    if force {
        return Next::Upgrade;
    }
    let changed = cur.chart_name != desired.chart_name
        || cur.chart_version != desired.chart_version
        || cur.config_digest != desired.config_digest;
    if cur.status == "deployed" && !changed {
        return Next::InSync;
    }
    if failures.install > 0 && failures.upgrade == 0 && cur.status == "failed" {
        // A failed install that was not remediated: retried as an install would be.
        if policy.install.exhausted(failures.install) && !policy.install.retry_on_failure {
            return Next::Exhausted { action: "install", attempts: failures.install };
        }
        return Next::Upgrade;
    }
    if failures.upgrade > 0 && policy.upgrade.exhausted(failures.upgrade) && !policy.upgrade.retry_on_failure {
        return Next::Exhausted { action: "upgrade", attempts: failures.upgrade };
    }
    Next::Upgrade
}

/// What follows a failed install or upgrade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remedy {
    None,
    Uninstall,
    RollbackTo(i64),
}

/// Remediation after the `failures`-th failure of `action`; `last_deployed` is the newest
/// release that was deployed before it.
pub fn remedy(install: bool, failures: i64, policy: &Policy, last_deployed: Option<i64>) -> Remedy {
    if install {
        return if policy.install.remediates(failures) { Remedy::Uninstall } else { Remedy::None };
    }
    if !policy.upgrade.remediates(failures) {
        return Remedy::None;
    }
    match (policy.upgrade_uninstalls, last_deployed) {
        (true, _) => Remedy::Uninstall,
        (false, Some(v)) => Remedy::RollbackTo(v),
        (false, None) => Remedy::None,
    }
}

/// Whether the target moved since the last attempt (which zeroes the failure counters):
/// another generation, chart version or values digest.
pub fn target_changed(last: (Option<i64>, Option<&str>, Option<&str>), now: (i64, &str, &str)) -> bool {
    last.0 != Some(now.0) || last.1 != Some(now.1) || last.2 != Some(now.2)
}

/// `test.filters` (`(name, exclude)`): with names to run, only those; excluded names never.
pub fn test_selected(filters: &[(String, bool)], name: &str) -> bool {
    let mut only = filters.iter().filter(|(_, exclude)| !exclude).peekable();
    let listed = only.peek().is_none() || only.any(|(n, _)| n == name);
    listed && !filters.iter().any(|(n, exclude)| *exclude && n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> Desired {
        Desired { chart_name: "podinfo".into(), chart_version: "6.5.0".into(), config_digest: "sha256:a".into() }
    }

    fn current(status: &str, version: &str, digest: &str) -> Current {
        Current {
            version: 2,
            status: status.into(),
            chart_name: "podinfo".into(),
            chart_version: version.into(),
            config_digest: digest.into(),
        }
    }

    fn retries(n: i64) -> Remediation {
        Remediation { retries: n, ..Remediation::default() }
    }

    #[test]
    fn releases_are_installed_upgraded_or_left_alone() {
        let p = Policy::default();
        let f = Failures::default();
        assert_eq!(next(&desired(), None, f, &p, false), Next::Install);
        assert_eq!(next(&desired(), Some(&current("uninstalled", "6.5.0", "sha256:a")), f, &p, false), Next::Install);
        assert_eq!(next(&desired(), Some(&current("deployed", "6.5.0", "sha256:a")), f, &p, false), Next::InSync);
        assert_eq!(next(&desired(), Some(&current("deployed", "6.4.0", "sha256:a")), f, &p, false), Next::Upgrade);
        assert_eq!(next(&desired(), Some(&current("deployed", "6.5.0", "sha256:b")), f, &p, false), Next::Upgrade);
        assert_eq!(next(&desired(), Some(&current("deployed", "6.5.0", "sha256:a")), f, &p, true), Next::Upgrade);
    }

    #[test]
    fn stuck_pending_releases_are_unlocked_first() {
        let cur = current("pending-upgrade", "6.5.0", "sha256:a");
        assert_eq!(
            next(&desired(), Some(&cur), Failures::default(), &Policy::default(), true),
            Next::Unlock { version: 2 }
        );
    }

    #[test]
    fn retries_are_counted_per_target() {
        let p = Policy { upgrade: retries(2), ..Policy::default() };
        let cur = current("deployed", "6.4.0", "sha256:a"); // rolled back
        let f = |n| Failures { install: 0, upgrade: n };
        assert_eq!(next(&desired(), Some(&cur), f(2), &p, false), Next::Upgrade);
        assert_eq!(next(&desired(), Some(&cur), f(3), &p, false), Next::Exhausted { action: "upgrade", attempts: 3 });
        // Default: no retries at all.
        let none = Policy::default();
        assert_eq!(
            next(&desired(), Some(&cur), f(1), &none, false),
            Next::Exhausted { action: "upgrade", attempts: 1 }
        );
        // Negative: without limit.
        let unlimited = Policy { upgrade: retries(-1), ..Policy::default() };
        assert_eq!(next(&desired(), Some(&cur), f(50), &unlimited, false), Next::Upgrade);
        let inst = Failures { install: 1, upgrade: 0 };
        assert_eq!(next(&desired(), None, inst, &none, false), Next::Exhausted { action: "install", attempts: 1 });
    }

    #[test]
    fn remediation_follows_flux_defaults() {
        // retries 0: the failure stays (no remediation of the last failure by default).
        assert_eq!(remedy(false, 1, &Policy::default(), Some(1)), Remedy::None);
        let p = Policy { upgrade: retries(1), install: retries(1), ..Policy::default() };
        assert_eq!(remedy(false, 1, &p, Some(1)), Remedy::RollbackTo(1));
        // Last failure: remediated by default when retries > 0 …
        assert_eq!(remedy(false, 2, &p, Some(1)), Remedy::RollbackTo(1));
        // … unless remediateLastFailure is off.
        let off = Policy {
            upgrade: Remediation { retries: 1, remediate_last_failure: Some(false), retry_on_failure: false },
            ..p
        };
        assert_eq!(remedy(false, 2, &off, Some(1)), Remedy::None);
        assert_eq!(remedy(true, 1, &p, None), Remedy::Uninstall);
        let uninstall = Policy { upgrade_uninstalls: true, ..p };
        assert_eq!(remedy(false, 1, &uninstall, Some(1)), Remedy::Uninstall);
        let retry =
            Policy { upgrade: Remediation { retries: 3, retry_on_failure: true, ..Remediation::default() }, ..p };
        assert_eq!(remedy(false, 1, &retry, Some(1)), Remedy::None);
    }

    #[test]
    fn test_filters_run_the_named_tests_and_skip_the_excluded() {
        let f = |v: &[(&str, bool)]| v.iter().map(|(n, e)| ((*n).to_owned(), *e)).collect::<Vec<_>>();
        assert!(test_selected(&[], "a"));
        assert!(test_selected(&f(&[("a", false)]), "a"));
        assert!(!test_selected(&f(&[("a", false)]), "b"));
        assert!(!test_selected(&f(&[("a", true)]), "a"));
        assert!(test_selected(&f(&[("a", true)]), "b"));
    }

    #[test]
    fn a_new_generation_chart_or_values_is_a_new_target() {
        let last = (Some(3), Some("6.5.0"), Some("sha256:a"));
        assert!(!target_changed(last, (3, "6.5.0", "sha256:a")));
        assert!(target_changed(last, (4, "6.5.0", "sha256:a")));
        assert!(target_changed(last, (3, "6.5.1", "sha256:a")));
        assert!(target_changed(last, (3, "6.5.0", "sha256:b")));
        assert!(target_changed((None, None, None), (1, "1", "d")));
    }
}
