//! A HelmRelease's spec as the actions take it: each action's [`Options`] (install, upgrade,
//! rollback, uninstall) and the remediation [`Policy`], with helm-controller's defaults.

use std::time::Duration;

use glidepath_api::flux::HelmRelease;

use super::actions::{CrdPolicy, Options};
use super::plan::{Policy, Remediation};

/// The remediation policy of `install` and `upgrade`.
pub fn policy(hr: &HelmRelease) -> Policy {
    let s = &hr.spec;
    let retry = |name: Option<&str>| name == Some("RetryOnFailure");
    Policy {
        install: Remediation {
            retries: s.install_retries(),
            remediate_last_failure: s
                .install
                .as_ref()
                .and_then(|i| i.remediation.as_ref())
                .and_then(|r| r.remediate_last_failure),
            retry_on_failure: retry(s.install.as_ref().and_then(|i| i.strategy.as_ref()).map(|x| x.name.as_str())),
        },
        upgrade: Remediation {
            retries: s.upgrade_retries(),
            remediate_last_failure: s
                .upgrade
                .as_ref()
                .and_then(|u| u.remediation.as_ref())
                .and_then(|r| r.remediate_last_failure),
            retry_on_failure: retry(s.upgrade.as_ref().and_then(|u| u.strategy.as_ref()).map(|x| x.name.as_str())),
        },
        upgrade_uninstalls: s.upgrade.as_ref().and_then(|u| u.remediation.as_ref()).and_then(|r| r.strategy.as_deref())
            == Some("uninstall"),
    }
}

/// `spec.install` or `spec.upgrade`.
pub fn options(hr: &HelmRelease, install: bool) -> Options {
    let s = &hr.spec;
    let (wait, hooks, take, crds, force, schema, timeout) = if install {
        let i = s.install.clone().unwrap_or_default();
        let crds = if i.skip_crds == Some(true) {
            CrdPolicy::Skip
        } else {
            CrdPolicy::parse(i.crds.as_deref(), CrdPolicy::Create)
        };
        (
            i.disable_wait != Some(true),
            i.disable_hooks != Some(true),
            i.disable_take_ownership != Some(true),
            crds,
            false,
            i.disable_schema_validation == Some(true),
            s.install_timeout(),
        )
    } else {
        let u = s.upgrade.clone().unwrap_or_default();
        let crds = CrdPolicy::parse(u.crds.as_deref(), CrdPolicy::Skip);
        (
            u.disable_wait != Some(true),
            u.disable_hooks != Some(true),
            u.disable_take_ownership != Some(true),
            crds,
            u.force == Some(true),
            u.disable_schema_validation == Some(true),
            s.upgrade_timeout(),
        )
    };
    Options {
        timeout,
        wait,
        hooks,
        take_ownership: take,
        crds,
        force,
        skip_schema_validation: schema,
        max_history: max_history(hr),
        create_namespace: install && s.install.as_ref().and_then(|i| i.create_namespace) == Some(true),
        wait_for_jobs: if install {
            s.install.as_ref().and_then(|i| i.disable_wait_for_jobs) != Some(true)
        } else {
            s.upgrade.as_ref().and_then(|u| u.disable_wait_for_jobs) != Some(true)
        },
    }
}

/// `strategy.retryInterval` with `RetryOnFailure` (Flux's default 5m), else a short retry.
pub fn retry_interval(hr: &HelmRelease, install: bool, interval: Duration) -> Duration {
    let s = &hr.spec;
    let strategy = if install {
        s.install.as_ref().and_then(|i| i.strategy.as_ref()).map(|x| (x.name.clone(), x.retry_interval.clone()))
    } else {
        s.upgrade.as_ref().and_then(|u| u.strategy.as_ref()).map(|x| (x.name.clone(), x.retry_interval.clone()))
    };
    match strategy {
        Some((name, every)) if name == "RetryOnFailure" => {
            every.and_then(|d| glidepath_api::duration::parse(&d).ok()).unwrap_or(Duration::from_secs(300))
        }
        _ => interval.min(Duration::from_secs(30)),
    }
}

/// `spec.rollback` (remediation by rollback).
pub fn rollback_options(hr: &HelmRelease) -> Options {
    let r = hr.spec.rollback.clone().unwrap_or_default();
    Options {
        timeout: hr.spec.rollback_timeout(),
        wait: r.disable_wait != Some(true),
        hooks: r.disable_hooks != Some(true),
        take_ownership: true,
        crds: CrdPolicy::Skip,
        force: r.force == Some(true),
        skip_schema_validation: true,
        max_history: max_history(hr),
        create_namespace: false,
        wait_for_jobs: r.disable_wait_for_jobs != Some(true),
    }
}

/// `spec.uninstall` (remediation by uninstall, and deletion).
pub fn uninstall_options(hr: &HelmRelease) -> Options {
    let u = hr.spec.uninstall.clone().unwrap_or_default();
    Options {
        timeout: hr.spec.uninstall_timeout(),
        wait: u.disable_wait != Some(true),
        hooks: u.disable_hooks != Some(true),
        take_ownership: true,
        crds: CrdPolicy::Skip,
        force: false,
        skip_schema_validation: true,
        max_history: 0,
        create_namespace: false,
        wait_for_jobs: false,
    }
}

/// `maxHistory` (0: unlimited).
pub fn max_history(hr: &HelmRelease) -> usize {
    usize::try_from(hr.spec.max_history()).unwrap_or(0)
}
