//! The hops of the gitops loop, read from each controller's status: a pushed tag is scanned
//! (ImageRepository `lastScanResult`), picked (ImagePolicy `latestRef`), committed
//! (ImageUpdateAutomation `lastPushCommit`), fetched (GitRepository artifact revision),
//! applied (Kustomization `lastAppliedRevision`), then the Canary is Progressing and ends
//! Succeeded or Failed. Each hop's time is the first poll that saw it, in seconds since the push.

use std::time::Instant;

use anyhow::Context as _;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use serde::Serialize;
use serde_json::Value;

use super::flux::NAME;
use super::observe::NAMESPACE;

/// The hops, in the order the loop takes them.
pub const HOPS: [&str; 8] =
    ["pushed", "scanned", "picked", "committed", "fetched", "applied", "progressing", "finished"];

/// When one hop was first seen.
#[derive(Clone, Debug, Serialize)]
pub struct HopTime {
    pub hop: String,
    /// Seconds since the push.
    pub seconds: f64,
    /// Seconds since the demo started (the plot's time axis).
    pub at: f64,
    /// What was seen: the tag, the commit, the revision or the phase.
    pub detail: String,
}

/// The statuses of the Flux objects, as last read.
#[derive(Debug, Default)]
pub struct FluxStatus {
    pub scanned_tags: Vec<String>,
    pub latest_tag: Option<String>,
    pub last_push_commit: Option<String>,
    pub fetched_revision: Option<String>,
    pub applied_revision: Option<String>,
}

fn api(client: &Client, api_version: &str, kind: &str) -> Api<DynamicObject> {
    let (g, v) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    Api::namespaced_with(client.clone(), NAMESPACE, &ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, kind)))
}

async fn status(api: &Api<DynamicObject>, kind: &str) -> anyhow::Result<Value> {
    let obj = api.get_opt(NAME).await.with_context(|| format!("read the {kind} {NAMESPACE}/{NAME}"))?;
    Ok(obj.and_then(|o| o.data.get("status").cloned()).unwrap_or(Value::Null))
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// Reads the Flux objects' statuses.
#[derive(Clone)]
#[allow(missing_debug_implementations)] // API handles
pub struct FluxReader {
    apis: [(Api<DynamicObject>, &'static str); 5],
}

impl FluxReader {
    pub fn new(client: &Client) -> FluxReader {
        const IMAGE: &str = "image.toolkit.fluxcd.io/v1";
        FluxReader {
            apis: [
                (api(client, IMAGE, "ImageRepository"), "ImageRepository"),
                (api(client, IMAGE, "ImagePolicy"), "ImagePolicy"),
                (api(client, IMAGE, "ImageUpdateAutomation"), "ImageUpdateAutomation"),
                (api(client, "source.toolkit.fluxcd.io/v1", "GitRepository"), "GitRepository"),
                (api(client, "kustomize.toolkit.fluxcd.io/v1", "Kustomization"), "Kustomization"),
            ],
        }
    }

    /// Read from the end of the loop back to its start: whatever a later controller shows, the
    /// earlier ones (read after it) show too, so one read never sees the hops out of order.
    pub async fn read(&self) -> anyhow::Result<FluxStatus> {
        let mut s = vec![Value::Null; self.apis.len()];
        for (i, (api, kind)) in self.apis.iter().enumerate().rev() {
            s[i] = status(api, kind).await?;
        }
        let tags = s[0]["lastScanResult"]["latestTags"].as_array().cloned().unwrap_or_default();
        Ok(FluxStatus {
            scanned_tags: tags.iter().filter_map(string).collect(),
            latest_tag: string(&s[1]["latestRef"]["tag"]),
            last_push_commit: string(&s[2]["lastPushCommit"]),
            fetched_revision: string(&s[3]["artifact"]["revision"]),
            applied_revision: string(&s[4]["lastAppliedRevision"]),
        })
    }
}

/// One release's way through the loop.
#[derive(Debug)]
pub struct Journey {
    pub tag: String,
    pushed: Instant,
    /// The demo's clock at the push.
    pushed_at: f64,
    /// The automation's last commit before this push (its next one is this release's).
    commit_before: Option<String>,
    pub commit: Option<String>,
    pub seen: Vec<HopTime>,
}

impl Journey {
    pub fn new(tag: &str, pushed_at: f64, commit_before: Option<String>) -> Journey {
        let mut j = Journey {
            tag: tag.to_owned(),
            pushed: Instant::now(),
            pushed_at,
            commit_before,
            commit: None,
            seen: vec![],
        };
        j.saw("pushed", tag.to_owned());
        j
    }

    fn has(&self, hop: &str) -> bool {
        self.seen.iter().any(|h| h.hop == hop)
    }

    /// Record `hop` unless already seen; returns whether it is new.
    fn saw(&mut self, hop: &str, detail: String) -> bool {
        if self.has(hop) {
            return false;
        }
        let seconds = self.pushed.elapsed().as_secs_f64();
        self.seen.push(HopTime { hop: hop.to_owned(), seconds, at: self.pushed_at + seconds, detail });
        true
    }

    /// Note every hop the statuses and the Canary's phase show; returns the hops new this time.
    pub fn update(&mut self, flux: &FluxStatus, phase: &str) -> Vec<HopTime> {
        let before = self.seen.len();
        if flux.scanned_tags.contains(&self.tag) {
            self.saw("scanned", self.tag.clone());
        }
        if flux.latest_tag.as_deref() == Some(self.tag.as_str()) {
            self.saw("picked", self.tag.clone());
        }
        if let Some(c) = flux.last_push_commit.as_ref().filter(|c| Some(*c) != self.commit_before.as_ref()) {
            self.commit = Some(c.clone());
            self.saw("committed", c.chars().take(12).collect());
        }
        if let Some(commit) = self.commit.clone() {
            let is_commit = |r: &Option<String>| r.as_deref().is_some_and(|r| r.ends_with(&commit));
            if is_commit(&flux.fetched_revision) {
                self.saw("fetched", flux.fetched_revision.clone().unwrap_or_default());
            }
            if is_commit(&flux.applied_revision) {
                self.saw("applied", flux.applied_revision.clone().unwrap_or_default());
            }
        }
        if self.has("applied") && !matches!(phase, "" | "Initialized" | "Succeeded" | "Failed") {
            self.saw("progressing", phase.to_owned());
        }
        if self.has("progressing") && matches!(phase, "Succeeded" | "Failed") {
            self.saw("finished", phase.to_owned());
        }
        self.seen[before..].to_vec()
    }

    /// The hops for the live view: seen ones with their time since the push, the next one with
    /// the time it has been waiting, the rest as `...`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut waiting = false;
        for hop in HOPS {
            out.push(match self.seen.iter().find(|h| h.hop == hop) {
                Some(h) => format!("{hop:<12} +{:>5.1}s  {}", h.seconds, h.detail),
                None if !waiting => {
                    waiting = true;
                    format!("{hop:<12} +{:>5.1}s  waiting", self.pushed.elapsed().as_secs_f64())
                }
                None => format!("{hop:<12}    ..."),
            });
        }
        out
    }

    /// Seconds from the push to the hop, when seen.
    pub fn seconds(&self, hop: &str) -> Option<f64> {
        self.seen.iter().find(|h| h.hop == hop).map(|h| h.seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_are_seen_in_the_loop_order_and_only_for_this_release() {
        let mut j = Journey::new("6.9.1", 10.0, Some("old".into()));
        let mut flux = FluxStatus {
            scanned_tags: vec!["6.9.0".into()],
            latest_tag: Some("6.9.0".into()),
            last_push_commit: Some("old".into()),
            fetched_revision: Some("main@sha1:old".into()),
            applied_revision: Some("main@sha1:old".into()),
        };
        assert!(j.update(&flux, "Succeeded").is_empty(), "the previous release's state is not this one's");
        flux.scanned_tags.push("6.9.1".into());
        flux.latest_tag = Some("6.9.1".into());
        let new: Vec<String> = j.update(&flux, "Succeeded").into_iter().map(|h| h.hop).collect();
        assert_eq!(new, ["scanned", "picked"]);
        flux.last_push_commit = Some("abc".into());
        flux.fetched_revision = Some("main@sha1:abc".into());
        flux.applied_revision = Some("main@sha1:abc".into());
        j.update(&flux, "Progressing");
        j.update(&flux, "Succeeded");
        let order: Vec<&str> = j.seen.iter().map(|h| h.hop.as_str()).collect();
        assert_eq!(order, HOPS);
        assert!(j.seen.iter().all(|h| h.at >= 10.0));
        assert!(j.lines()[3].starts_with("committed"));
        let early = Journey::new("6.9.2", 0.0, None);
        let lines = early.lines();
        assert!(lines[1].starts_with("scanned") && lines[1].ends_with("waiting"), "{lines:?}");
        assert!(lines[2].ends_with("..."), "{lines:?}");
        assert!(j.seconds("finished").is_some());
    }
}
