//! Glidepath's metric analysis and alerting.
//!
//! This crate owns:
//! - the [`MetricProvider`] trait and its implementations ([`provider::prometheus`],
//!   [`provider::datadog`], [`provider::newrelic`], [`provider::graphite`], [`provider::influxdb`],
//!   [`provider::dynatrace`], [`provider::splunk`], [`provider::cloudwatch`],
//!   [`provider::stackdriver`], an in-memory [`provider::fake`] for tests), built from a
//!   `MetricTemplate`'s `spec.provider` by [`provider::new_provider`] (an unknown type, `keptn`
//!   included, is an error, never a Prometheus fallback);
//! - query templating with exactly Flagger's variables ([`template`]) and `MetricTemplate` reference
//!   resolution ([`resolve`]);
//! - the built-in `request-success-rate` / `request-duration` PromQL per routing provider
//!   ([`builtin`]);
//! - Flagger's threshold semantics as a pure function ([`threshold`]);
//! - statistical canary-vs-primary judgement, beyond Flagger ([`stats`], see below);
//! - alert notifiers: slack, msteams, discord, rocket, gchat and a generic webhook ([`notify`]).
//!
//! It must not depend on a Kubernetes client nor on any Glidepath crate other than
//! `glidepath-api`: the controller resolves Secrets and passes their decoded `data` in as plain
//! `BTreeMap<String, String>`. Secret values (tokens, passwords, webhook URLs) are held in
//! [`Secret`], whose `Debug`/`Display` print `***`; they never appear in errors or logs.
//!
//! # Statistical judgement (Glidepath extension)
//!
//! A metric opts in through its `templateVariables`, which the upstream schema accepts as a free
//! string map (so manifests stay valid for Flagger, which ignores the keys):
//!
//! ```yaml
//! metrics:
//!   - name: request-success-rate
//!     thresholdRange: { min: 99 }
//!     templateVariables:
//!       glidepath.io/compare-primary: "true"        # required to enable the comparison
//!       glidepath.io/confidence: "0.95"             # optional, default 0.95
//!       glidepath.io/worse-when: "lower"            # optional: "lower" | "higher"
//!       glidepath.io/tolerance: "0.0"               # optional relative median slack, default 0
//! ```
//!
//! Spelling and defaults live in [`stats::ComparisonConfig::from_metric`]; `worse-when` defaults
//! to `lower` for `request-success-rate` and `higher` for everything else. The controller samples
//! the same query for the canary (`{{ target }}`) and for the primary (`{{ target }}-primary`)
//! over the same window ([`MetricProvider::samples`]) and calls [`stats::compare`] (both steps:
//! [`compare_with_primary`]), a one-sided
//! Mann–Whitney U test: the canary fails when it is worse than the primary with the configured
//! confidence, even if its absolute value passes the threshold.

pub mod builtin;
mod error;
pub mod evaluate;
pub mod notify;
pub mod provider;
pub mod resolve;
mod secret;
pub mod stats;
pub mod template;
pub mod threshold;

pub use builtin::{BuiltinMetric, Observer};
pub use error::AnalysisError;
pub use evaluate::{MetricCheck, check_metric, compare_with_primary};
pub use notify::{Notification, Notifier, NotifyError};
pub use provider::{MetricProvider, ProviderFuture};
pub use resolve::{MetricSource, TemplateKey};
pub use secret::Secret;
pub use stats::{Comparison, ComparisonConfig, WorseWhen};
pub use template::TemplateModel;
pub use threshold::{MetricKind, Verdict};
