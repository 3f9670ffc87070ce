//! `Canary.status`: phase, counters, tracked configs, the `Promoted` condition.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The release phase. Values and spelling are Flagger's (`Finalising`, British).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum CanaryPhase {
    /// Not yet seen by the controller.
    #[default]
    #[serde(rename = "")]
    Unset,
    Initializing,
    Initialized,
    Waiting,
    Progressing,
    WaitingPromotion,
    Promoting,
    Finalising,
    Succeeded,
    Failed,
    Terminating,
    Terminated,
}

impl CanaryPhase {
    pub const ALL: [CanaryPhase; 12] = [
        Self::Unset,
        Self::Initializing,
        Self::Initialized,
        Self::Waiting,
        Self::Progressing,
        Self::WaitingPromotion,
        Self::Promoting,
        Self::Finalising,
        Self::Succeeded,
        Self::Failed,
        Self::Terminating,
        Self::Terminated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unset => "",
            Self::Initializing => "Initializing",
            Self::Initialized => "Initialized",
            Self::Waiting => "Waiting",
            Self::Progressing => "Progressing",
            Self::WaitingPromotion => "WaitingPromotion",
            Self::Promoting => "Promoting",
            Self::Finalising => "Finalising",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Terminating => "Terminating",
            Self::Terminated => "Terminated",
        }
    }

    /// Whether a release is under way (traffic may be on the canary).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Progressing | Self::Waiting | Self::WaitingPromotion | Self::Promoting | Self::Finalising)
    }

    /// The `Promoted` condition Flagger writes for this phase (`MakeStatusConditions`):
    /// status and message; `kind` is the target kind ("Deployment").
    pub fn promoted_condition(self, kind: &str) -> (ConditionStatus, String) {
        use ConditionStatus::{False, True, Unknown};
        match self {
            Self::Unset | Self::Initializing => (Unknown, format!("New {kind} detected, starting initialization.")),
            Self::Initialized => (True, format!("{kind} initialization completed.")),
            Self::Waiting | Self::WaitingPromotion => (Unknown, "Waiting for approval.".to_owned()),
            Self::Progressing => (Unknown, "New revision detected, progressing canary analysis.".to_owned()),
            Self::Promoting => (Unknown, "Canary analysis completed, starting primary rolling update.".to_owned()),
            Self::Finalising => (Unknown, "Canary analysis completed, routing all traffic to primary.".to_owned()),
            Self::Succeeded => (True, "Canary analysis completed successfully, promotion finished.".to_owned()),
            Self::Failed => (False, format!("Canary analysis failed, {kind} scaled to zero.")),
            Self::Terminating | Self::Terminated => (Unknown, "Canary is being deleted.".to_owned()),
        }
    }

    /// The `flagger_canary_status` gauge value: 0 progressing, 2 failed, 1 otherwise.
    pub fn status_gauge(self) -> i64 {
        match self {
            Self::Progressing => 0,
            Self::Failed => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for CanaryPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Condition status values.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

impl ConditionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::True => "True",
            Self::False => "False",
            Self::Unknown => "Unknown",
        }
    }
}

/// The type of Flagger's only condition.
pub const PROMOTED_CONDITION: &str = "Promoted";

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryStatus {
    #[serde(default)]
    pub phase: CanaryPhase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_checks: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_weight: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<i32>,
    /// `configmap/<name>` or `secret/<name>` → checksum of its data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracked_configs: Option<BTreeMap<String, String>>,
    /// Hash of the target's pod template last seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_spec: Option<String>,
    /// Hash of the pod template last promoted to the primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_promoted_spec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity_cookie: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_session_affinity_cookie: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_session_affinity_cookie: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<CanaryCondition>>,
}

/// A Flagger condition (`Promoted`); `reason` is the phase.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("required" = ["type", "status", "reason"]))]
pub struct CanaryCondition {
    #[serde(default)]
    pub r#type: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    #[serde(default)]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl CanaryStatus {
    /// The `Promoted` condition, if any.
    pub fn promoted(&self) -> Option<&CanaryCondition> {
        self.conditions.as_ref()?.iter().find(|c| c.r#type == PROMOTED_CONDITION)
    }
}
