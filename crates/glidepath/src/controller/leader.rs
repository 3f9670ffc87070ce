//! Leader election through a `coordination.k8s.io/v1` Lease, as client-go's leaderelection
//! does for Flagger: acquire when free or expired, renew every `retry`, give up leadership
//! when a renewal has not succeeded for `renew_deadline`. Writes use the Lease's
//! resourceVersion, so two candidates can never both win one round.

use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, PostParams};
use tracing::{info, warn};

/// Lease timing (client-go names; Flagger uses 60s / 15s / 5s).
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    pub namespace: String,
    pub name: String,
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry: Duration,
}

impl LeaseConfig {
    pub fn new(namespace: &str, identity: &str) -> Self {
        LeaseConfig {
            namespace: namespace.to_owned(),
            name: "glidepath-leader-election".into(),
            identity: identity.to_owned(),
            lease_duration: Duration::from_secs(60),
            renew_deadline: Duration::from_secs(15),
            retry: Duration::from_secs(5),
        }
    }
}

pub struct Elector {
    api: Api<Lease>,
    config: LeaseConfig,
}

impl std::fmt::Debug for Elector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Elector").field("config", &self.config).finish_non_exhaustive()
    }
}

fn seconds(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX).max(1)
}

impl Elector {
    pub fn new(client: Client, config: LeaseConfig) -> Self {
        Elector { api: Api::namespaced(client, &config.namespace), config }
    }

    /// Try once to become or stay the holder; `true` when we hold the lease now.
    pub async fn try_acquire_or_renew(&self) -> anyhow::Result<bool> {
        let now = Timestamp::now();
        let c = &self.config;
        let mine = |acquire: Option<MicroTime>, transitions: i32| LeaseSpec {
            holder_identity: Some(c.identity.clone()),
            lease_duration_seconds: Some(seconds(c.lease_duration)),
            acquire_time: acquire.or(Some(MicroTime(now))),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        };
        let Some(mut lease) = self.api.get_opt(&c.name).await.context("read lease")? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(c.name.clone()),
                    namespace: Some(c.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(mine(None, 0)),
            };
            return Ok(self.api.create(&PostParams::default(), &lease).await.is_ok());
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().unwrap_or_default();
        let expired = spec.renew_time.as_ref().is_none_or(|t| {
            let ttl = i64::from(spec.lease_duration_seconds.unwrap_or(0));
            t.0.as_second() + ttl < now.as_second()
        });
        if holder != c.identity && !holder.is_empty() && !expired {
            return Ok(false);
        }
        let transitions = spec.lease_transitions.unwrap_or(0) + i32::from(holder != c.identity);
        let acquire = if holder == c.identity { spec.acquire_time.clone() } else { None };
        lease.spec = Some(mine(acquire, transitions));
        // replace() sends our resourceVersion: a concurrent winner makes this fail with 409.
        Ok(self.api.replace(&c.name, &PostParams::default(), &lease).await.is_ok())
    }

    /// Block until we hold the lease.
    pub async fn acquire(&self) {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    info!(identity = %self.config.identity, lease = %self.config.name, "became leader");
                    return;
                }
                Ok(false) => {}
                Err(e) => warn!(error = %e, "leader election"),
            }
            tokio::time::sleep(self.config.retry).await;
        }
    }

    /// Renew until a renewal has failed for `renew_deadline`; returns when leadership is lost.
    pub async fn hold(&self) {
        let mut last_ok = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(self.config.retry).await;
            match self.try_acquire_or_renew().await {
                Ok(true) => last_ok = tokio::time::Instant::now(),
                Ok(false) => {
                    warn!("leadership taken by another replica");
                    return;
                }
                Err(e) => warn!(error = %e, "renew lease"),
            }
            if last_ok.elapsed() > self.config.renew_deadline {
                warn!("lease not renewed within the renew deadline");
                return;
            }
        }
    }

    /// Give the lease up (on shutdown) so another replica takes over at once.
    pub async fn release(&self) {
        if let Ok(Some(mut lease)) = self.api.get_opt(&self.config.name).await
            && lease.spec.as_ref().and_then(|s| s.holder_identity.as_deref()) == Some(self.config.identity.as_str())
        {
            if let Some(spec) = lease.spec.as_mut() {
                spec.holder_identity = None;
                spec.renew_time = None;
            }
            let _ = self.api.replace(&self.config.name, &PostParams::default(), &lease).await;
        }
    }
}
