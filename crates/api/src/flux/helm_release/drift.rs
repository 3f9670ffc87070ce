//! Drift detection and post-renderers of a HelmRelease.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::flux::kustomization::{IgnoreRule, Image, Patch};

/// `spec.driftDetection`: compare the release manifest with the cluster's objects.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct DriftDetection {
    /// `enabled` corrects drift, `warn` only reports it; default `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["enabled", "warn", "disabled"]))]
    pub mode: Option<String>,
    /// JSON pointers left out of the comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore: Option<Vec<IgnoreRule>>,
}

/// `spec.postRenderers[]`: transforms applied to the rendered manifests.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct PostRenderer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<Kustomize>,
}

/// `spec.postRenderers[].kustomize`: patches and image overrides, as in a kustomization.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Kustomize {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patches: Option<Vec<Patch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<Image>>,
}
