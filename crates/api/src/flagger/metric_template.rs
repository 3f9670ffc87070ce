//! `MetricTemplate` (`flagger.app/v1beta1`): a reusable query against a metrics provider.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::flux::meta::LocalObjectReference;

/// Every metrics provider `type` the CRD accepts.
pub const METRIC_PROVIDER_TYPES: &[&str] = &[
    "prometheus",
    "influxdb",
    "datadog",
    "externalmetrics",
    "stackdriver",
    "cloudwatch",
    "newrelic",
    "graphite",
    "dynatrace",
    "keptn",
    "splunk",
];

#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "flagger.app",
    version = "v1beta1",
    kind = "MetricTemplate",
    plural = "metrictemplates",
    singular = "metrictemplate",
    namespaced,
    derive = "PartialEq",
    status = "MetricTemplateStatus",
    category = "all",
    printcolumn = r#"{"name":"Provider","type":"string","jsonPath":".spec.provider.type"}"#
)]
#[schemars(extend("required" = ["provider", "query"]))]
pub struct MetricTemplateSpec {
    #[serde(default)]
    pub provider: MetricProvider,
    /// The query, rendered with `{{ name }}`, `{{ namespace }}`, `{{ interval }}`, ...
    #[serde(default)]
    pub query: String,
}

/// `spec.provider` of a MetricTemplate.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("required" = ["type"]))]
pub struct MetricProvider {
    #[serde(default)]
    #[schemars(extend("enum" = METRIC_PROVIDER_TYPES))]
    pub r#type: String,
    /// API address of the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Request headers (Prometheus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, Vec<String>>>,
    /// Secret in the template's namespace with the provider's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// CloudWatch region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_skip_verify: Option<bool>,
}

/// Status of a MetricTemplate or AlertProvider; Flagger declares it and never writes it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct MetricTemplateStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<super::status::CanaryCondition>>,
}
