//! `AlertProvider` (`flagger.app/v1beta1`): where release notifications go.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::metric_template::{LocalObjectReference, MetricTemplateStatus};

/// Every alert provider `type` the CRD accepts.
pub const ALERT_PROVIDER_TYPES: &[&str] = &["slack", "msteams", "discord", "rocket", "gchat"];

#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[kube(
    group = "flagger.app",
    version = "v1beta1",
    kind = "AlertProvider",
    plural = "alertproviders",
    singular = "alertprovider",
    namespaced,
    derive = "PartialEq",
    status = "MetricTemplateStatus",
    category = "all",
    printcolumn = r#"{"name":"Type","type":"string","jsonPath":".spec.type"}"#
)]
#[schemars(extend("oneOf" = [{"required": ["type", "address"]}, {"required": ["type", "secretRef"]}]))]
#[serde(rename_all = "camelCase")]
pub struct AlertProviderSpec {
    #[serde(default)]
    #[schemars(extend("enum" = ALERT_PROVIDER_TYPES))]
    pub r#type: String,
    /// Channel (default `general`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Sender name (default `flagger`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Webhook URL; a Secret's `address` key overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// HTTP(S) proxy URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// Secret with `address` and optional `token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
}
