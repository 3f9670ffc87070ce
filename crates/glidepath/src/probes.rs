//! Liveness and readiness of the controller process, shared by every controller it runs.
//!
//! `/healthz` answers while the process runs. `/readyz` answers 200 once every enabled
//! controller is ready: its caches synced, or it is a standby waiting for its lease (a standby
//! must stay ready, or Kubernetes would restart it forever), or it idles until its CRDs are
//! installed (nothing to cache). Until then it answers 503 naming who is not ready.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Where one controller is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Started, caches not synced yet.
    Starting,
    /// Waiting to become leader.
    Standby,
    /// Waiting for its CRDs to be installed.
    Idle,
    /// Caches synced, reconciling.
    Synced,
}

impl Phase {
    fn ready(self) -> bool {
        self != Phase::Starting
    }

    fn as_str(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Standby => "standby",
            Phase::Idle => "waiting for CRDs",
            Phase::Synced => "synced",
        }
    }
}

/// The readiness of each controller, by name.
#[derive(Debug, Default)]
pub struct Readiness {
    parts: Mutex<BTreeMap<&'static str, Phase>>,
}

impl Readiness {
    /// Record where `part` is (registering it on first use).
    pub fn set(&self, part: &'static str, phase: Phase) {
        if let Ok(mut parts) = self.parts.lock() {
            parts.insert(part, phase);
        }
    }

    /// Whether the process is ready, and one `name: phase` line per controller.
    pub fn report(&self) -> (bool, String) {
        let parts = self.parts.lock().map(|p| p.clone()).unwrap_or_default();
        let ready = parts.values().all(|p| p.ready());
        let lines: Vec<String> = parts.iter().map(|(name, p)| format!("{name}: {}", p.as_str())).collect();
        (ready, lines.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_when_every_part_synced_waits_for_its_lease_or_its_crds() {
        let r = Readiness::default();
        assert!(r.report().0, "nothing enabled yet is nothing to wait for");
        r.set("canary", Phase::Starting);
        r.set("kustomize", Phase::Idle);
        let (ready, body) = r.report();
        assert!(!ready);
        assert_eq!(body, "canary: starting\nkustomize: waiting for CRDs");
        r.set("canary", Phase::Standby);
        assert!(r.report().0);
        r.set("canary", Phase::Synced);
        r.set("kustomize", Phase::Starting);
        assert!(!r.report().0);
        r.set("kustomize", Phase::Synced);
        assert_eq!(r.report(), (true, "canary: synced\nkustomize: synced".to_owned()));
    }
}
