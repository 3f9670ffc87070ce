//! `flagger.app/v1beta1`: Canary, MetricTemplate, AlertProvider.

pub mod alert_provider;
pub mod analysis;
pub mod canary;
pub mod defaults;
pub mod gateway;
pub mod istio;
pub mod metric_template;
pub mod service;
pub mod status;
pub mod validate;

pub use alert_provider::{AlertProvider, AlertProviderSpec};
pub use analysis::{CanaryAlert, CanaryAnalysis, CanaryMetric, CanaryWebhook, SessionAffinity, ThresholdRange};
pub use canary::{Canary, CanarySpec, TargetRef};
pub use defaults::{Provider, Severity, Strategy, WebhookType};
pub use metric_template::{MetricProvider, MetricTemplate, MetricTemplateSpec};
pub use service::CanaryService;
pub use status::{CanaryCondition, CanaryPhase, CanaryStatus, ConditionStatus};
