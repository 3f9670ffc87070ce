//! Run the checks `plan` asks for: the webhooks of one type, or the metrics.

use std::sync::Arc;

use glidepath_api::flagger::{Canary, CanaryPhase, WebhookType};
use glidepath_canary::{Check, Verdict};
use glidepath_webhooks::{Payload, WebhookClient, checksum};

/// Metric analysis behind a seam, so the controller runs without a metrics backend wired in.
pub trait MetricAnalysis: Send + Sync + std::fmt::Debug {
    /// Evaluate every metric of the canary; the first failure decides.
    fn check<'a>(&'a self, canary: &'a Canary) -> futures::future::BoxFuture<'a, Verdict>;
}

/// The payload hooks receive for this canary.
pub fn payload(canary: &Canary, phase: CanaryPhase) -> Payload {
    let status = canary.status.clone().unwrap_or_default();
    Payload {
        name: canary.metadata.name.clone().unwrap_or_default(),
        namespace: canary.metadata.namespace.clone().unwrap_or_default(),
        phase: phase.as_str().to_owned(),
        checksum: checksum(
            &status.tracked_configs.unwrap_or_default(),
            status.last_applied_spec.as_deref().unwrap_or_default(),
        ),
        metadata: Default::default(),
    }
}

/// Run one check.
pub async fn run(
    webhooks: &WebhookClient,
    metrics: &Arc<dyn MetricAnalysis>,
    canary: &Canary,
    check: Check,
) -> Verdict {
    match check {
        Check::Metrics => metrics.check(canary).await,
        Check::Hooks(kind) => {
            let phase = canary.status.as_ref().map(|s| s.phase).unwrap_or_default();
            run_hooks(webhooks, canary, kind, phase).await
        }
    }
}

/// Run the hooks of `kind` in order. For `rollback` hooks a 2xx means "roll back", which is
/// `Pass` here too: the plan reads it that way.
pub async fn run_hooks(webhooks: &WebhookClient, canary: &Canary, kind: WebhookType, phase: CanaryPhase) -> Verdict {
    let analysis = canary.spec.analysis.clone().unwrap_or_default();
    let hooks: Vec<_> = analysis.webhooks().iter().filter(|w| w.kind() == Some(kind)).collect();
    if kind == WebhookType::Rollback {
        // Any rollback hook answering 2xx asks for a rollback.
        for hook in &hooks {
            if webhooks.run(std::slice::from_ref(hook), &payload(canary, phase)).await.is_ok() {
                return Verdict::Pass;
            }
        }
        return Verdict::fail("no rollback requested");
    }
    match webhooks.run(&hooks, &payload(canary, phase)).await {
        Ok(()) => Verdict::Pass,
        Err(f) => Verdict::Fail { reason: f.error.to_string(), mute_alert: f.mute_alert },
    }
}
