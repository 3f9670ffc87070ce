//! Health waits: every target `Current` by `healthCheckExprs` or kstatus, re-read every
//! `poll_interval` until a deadline, failing fast on `Failed` when asked.

use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use serde_json::Value;

use crate::custom_health::{HealthExpr, custom_health};
use crate::engine::Applier;
use crate::error::ApplyError;
use crate::health::{Health, Status, health};
use crate::object::Entry;

impl Applier {
    /// The live object (`None` when absent or its kind is not served).
    async fn live_of(&self, entry: &Entry) -> Result<Option<Value>, ApplyError> {
        let api_version = entry.api_version();
        let Some(resolved) = self.resolver.resolve(&self.client, &api_version, &entry.meta.kind).await? else {
            return Ok(None);
        };
        let api: Api<DynamicObject> = if resolved.namespaced {
            Api::namespaced_with(self.client.clone(), &entry.meta.namespace, &resolved.resource)
        } else {
            Api::all_with(self.client.clone(), &resolved.resource)
        };
        self.get(&api, &entry.meta).await
    }

    /// Wait until every target is `Current` — by the first of `custom` that applies to it, else
    /// by kstatus. With `fail_fast`, stop at the first `Failed` object.
    pub async fn wait(
        &self,
        targets: &[Entry],
        timeout: Duration,
        fail_fast: bool,
        custom: &[HealthExpr],
    ) -> Result<(), ApplyError> {
        if targets.is_empty() {
            return Ok(());
        }
        let env = glidepath_cel::Env::new();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Owned items and a cloned engine per future keep the stream `Send` for any caller.
            let objects: Vec<Result<Option<Value>, ApplyError>> = futures::stream::iter(targets.to_vec())
                .map(|t| {
                    let this = self.clone();
                    async move { this.live_of(&t).await }
                })
                .buffered(self.concurrency.max(1))
                .collect()
                .await;
            let statuses = objects.into_iter().map(|o| {
                o.map(|o| {
                    o.map_or_else(not_found, |live| custom_health(custom, &env, &live).unwrap_or_else(|| health(&live)))
                })
            });
            let mut pending = Vec::new();
            let mut failed = Vec::new();
            for (t, h) in targets.iter().zip(statuses) {
                let h = h?;
                let line = format!("{} status: '{}': {}", t.meta, h.status.as_str(), h.message);
                match h.status {
                    Status::Current => {}
                    Status::Failed => failed.push(line),
                    _ => pending.push(line),
                }
            }
            if fail_fast && !failed.is_empty() {
                return Err(ApplyError::HealthCheckFailed { failed });
            }
            if pending.is_empty() && failed.is_empty() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                failed.extend(pending);
                return Err(ApplyError::WaitTimeout { pending: failed });
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }
}

fn not_found() -> Health {
    Health { status: Status::NotFound, message: "Resource not found".into() }
}
