//! `glidepath demo --scenario gitops`: nothing edits the Deployment. Each version is pushed as
//! an image to a real registry; the ImageRepository scans it, the ImagePolicy picks it, the
//! ImageUpdateAutomation commits it to Git, the GitRepository fetches the commit, the
//! Kustomization applies it, and the Canary analyses it with real Prometheus: the good version
//! is promoted, the bad one rolled back. The live view shows each hop's time since the push.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use glidepath_api::flagger::{Canary, CanaryPhase};
use glidepath_sandbox::traffic::{Behaviour, ImageBehaviours};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use serde::Serialize;

use super::Env;
use super::flux::{self, NAME};
use super::gitrepo::Repo;
use super::hops::{FluxReader, HopTime, Journey};
use super::manifests;
use super::observe::{CANARY, NAMESPACE, Observer};
use super::plot::{Mark, Sample};
use super::registry::Registry;
use super::scenario::{METRIC_WINDOW, Outcome, traffic_after_rollback, wait_until};

/// The version in Git when the demo starts.
const INITIAL: &str = "6.9.0";

/// One version the demo pushes, with the behaviour its pods show in the sandbox.
struct Release {
    tag: &'static str,
    fault_rate: f64,
    latency_ms: f64,
    expect: CanaryPhase,
    what: &'static str,
}

const RELEASES: [Release; 2] = [
    Release { tag: "6.9.1", fault_rate: 0.0, latency_ms: 40.0, expect: CanaryPhase::Succeeded, what: "good" },
    Release { tag: "6.9.2", fault_rate: 0.3, latency_ms: 350.0, expect: CanaryPhase::Failed, what: "bad" },
];

/// What the sandbox's traffic simulator makes of each tag: only the image changes in Git.
pub fn image_behaviours() -> ImageBehaviours {
    let initial = (INITIAL.to_owned(), Behaviour { fault_rate: 0.0, latency_ms: 40.0 });
    let releases =
        RELEASES.iter().map(|r| (r.tag.to_owned(), Behaviour { fault_rate: r.fault_rate, latency_ms: r.latency_ms }));
    std::iter::once(initial).chain(releases).collect()
}

/// How one pushed version ended, with its hops.
#[derive(Clone, Debug, Serialize)]
pub struct GitopsRelease {
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The automation's commit of this version.
    pub commit: Option<String>,
    pub hops: Vec<HopTime>,
}

/// What the demo saw, written to `summary.json`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub releases: Vec<GitopsRelease>,
    /// Seconds from pushing the good version to its promotion.
    pub push_to_promoted_seconds: Option<f64>,
    pub bad_canary_requests_after_rollback: Option<f64>,
    /// `main` at the end, newest first: the automation's commits on top of the seed.
    pub git_log: Vec<String>,
    pub seconds: f64,
    pub samples: Vec<Sample>,
    pub marks: Vec<Mark>,
}

impl Report {
    pub fn as_expected(&self) -> bool {
        self.releases.len() == RELEASES.len()
            && self.releases.iter().all(|r| r.outcome.phase == r.outcome.expected)
            && self.bad_canary_requests_after_rollback == Some(0.0)
    }

    pub fn text(&self) -> String {
        let mut out = String::from("summary\n");
        for (i, r) in self.releases.iter().enumerate() {
            let o = &r.outcome;
            let verdict = if o.phase == o.expected { "as expected" } else { "NOT AS EXPECTED" };
            let _ = writeln!(
                out,
                "  release {}: pushed podinfo:{:<6} -> {:<10} in {:>5.1}s ({verdict}; expected {}), canary weight reached {}%, failed checks {}",
                i + 1,
                o.version,
                o.phase,
                o.seconds,
                o.expected,
                o.max_canary_weight,
                o.failed_checks
            );
            let hops: Vec<String> = r.hops.iter().map(|h| format!("{} +{:.1}s", h.hop, h.seconds)).collect();
            let _ = writeln!(out, "    {}", hops.join(" → "));
        }
        match self.push_to_promoted_seconds {
            Some(s) => {
                let _ = writeln!(out, "  push to promoted (good release): {s:.1}s");
            }
            None => out.push_str("  push to promoted (good release): not reached\n"),
        }
        match self.bad_canary_requests_after_rollback {
            Some(n) => {
                let _ = writeln!(out, "  requests served by the bad canary after its rollback: {n} (from Prometheus)");
            }
            None => out.push_str("  requests served by the bad canary after its rollback: not measured\n"),
        }
        out.push_str("  git log of main:\n");
        for l in &self.git_log {
            let _ = writeln!(out, "    {l}");
        }
        let verdict =
            if self.as_expected() { "the demo ended as expected" } else { "the demo did NOT end as expected" };
        let _ = writeln!(out, "  {verdict} after {:.0}s", self.seconds);
        out
    }
}

/// Push the initial image, seed Git, apply the Flux objects; returns the repository.
async fn set_up(env: &Env, registry: &Registry, obs: &mut Observer) -> anyhow::Result<Repo> {
    let image = registry.image(NAME);
    registry.push(NAME, INITIAL).await?;
    obs.mark(&format!("push {INITIAL} (initial)"));
    let repo = Repo::create(&env.out.join("git"), &flux::repo_files(&format!("{image}:{INITIAL}")))
        .context("seed the demo's Git repository")?;
    let namespace = manifests::objects(&env.loadtester_url)?
        .into_iter()
        .find(|o| o["kind"] == "Namespace")
        .context("the demo Namespace")?;
    manifests::apply(&env.client, &namespace).await?;
    for obj in flux::objects(&repo.url(), &image, &env.loadtester_url) {
        manifests::apply(&env.client, &obj).await?;
    }
    Ok(repo)
}

/// Wait until the Kustomization has created the Canary (the live view reads it).
async fn wait_for_canary(env: &Env, limit: Duration) -> anyhow::Result<()> {
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), NAMESPACE);
    let until = Instant::now() + limit;
    while canaries.get_opt(CANARY).await.context("read the demo Canary")?.is_none() {
        anyhow::ensure!(Instant::now() < until, "the Kustomization did not create the Canary within {limit:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(())
}

/// Ask the ImageRepository for a scan now, as `flux reconcile image repository` or a registry
/// webhook Receiver would.
async fn request_scan(env: &Env, token: &str) -> anyhow::Result<()> {
    let gvk = GroupVersionKind::gvk("image.toolkit.fluxcd.io", "v1", "ImageRepository");
    let api: Api<DynamicObject> = Api::namespaced_with(env.client.clone(), NAMESPACE, &ApiResource::from_gvk(&gvk));
    let patch = serde_json::json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": token}}});
    api.patch(NAME, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| format!("request a scan of the ImageRepository {NAMESPACE}/{NAME}"))?;
    Ok(())
}

pub async fn run(env: &Env, registry: &Registry, tty: bool) -> anyhow::Result<Report> {
    let mut obs = Observer::new(&env.client, &env.prometheus.url, tty, env.speed);
    let tick = Duration::from_secs(20) / env.speed.max(1);
    let repo = set_up(env, registry, &mut obs).await?;
    obs.title = "initialising: Flux applies podinfo 6.9.0 and its Canary from Git".into();
    wait_for_canary(env, Duration::from_secs(120)).await?;
    wait_until(&mut obs, tick * 10 + Duration::from_secs(60), |p| p == CanaryPhase::Initialized).await?;
    obs.mark("initialised");
    let flux = FluxReader::new(&env.client);
    let mut releases = Vec::new();
    let mut after_rollback = None;
    for (i, r) in RELEASES.iter().enumerate() {
        obs.title = format!("release {} of {}: push podinfo:{} ({})", i + 1, RELEASES.len(), r.tag, r.what);
        let release = release(env, registry, &flux, &mut obs, r, tick).await?;
        if release.outcome.phase == CanaryPhase::Failed.as_str() {
            after_rollback = Some(traffic_after_rollback(&mut obs).await?);
        } else {
            obs.title = format!("{} promoted; letting the {METRIC_WINDOW:?} metric window pass", r.tag);
            obs.watch_for(METRIC_WINDOW + Duration::from_secs(1)).await?;
        }
        releases.push(release);
    }
    let push_to_promoted = releases
        .iter()
        .find(|r| r.outcome.expected == CanaryPhase::Succeeded.as_str() && r.outcome.phase == r.outcome.expected)
        .and_then(|r| r.hops.iter().find(|h| h.hop == "finished").map(|h| h.seconds));
    Ok(Report {
        scenario: "gitops",
        releases,
        push_to_promoted_seconds: push_to_promoted,
        bad_canary_requests_after_rollback: after_rollback,
        git_log: repo.log()?.lines().map(str::to_owned).collect(),
        seconds: obs.elapsed(),
        samples: std::mem::take(&mut obs.samples),
        marks: std::mem::take(&mut obs.marks),
    })
}

/// Push one version and follow it around the loop until the Canary finishes.
async fn release(
    env: &Env,
    registry: &Registry,
    flux: &FluxReader,
    obs: &mut Observer,
    r: &Release,
    tick: Duration,
) -> anyhow::Result<GitopsRelease> {
    let commit_before = flux.read().await?.last_push_commit;
    registry.push(NAME, r.tag).await?;
    let mut journey = Journey::new(r.tag, obs.elapsed(), commit_before);
    obs.mark(&format!("push {} ({})", r.tag, r.what));
    request_scan(env, &format!("push-{}", r.tag)).await?;
    let limit = tick * 30 + Duration::from_secs(90);
    let started = Instant::now();
    let mut max_weight = 0;
    let canary = loop {
        obs.hops = journey.lines();
        let canary = obs.poll().await?;
        let status = canary.status.clone().unwrap_or_default();
        max_weight = max_weight.max(status.canary_weight.unwrap_or(0));
        let seen = journey.update(&flux.read().await?, status.phase.as_str());
        for h in seen {
            obs.mark(&format!("{} {} +{:.1}s", r.tag, h.hop, h.seconds));
        }
        if journey.seconds("finished").is_some() {
            break canary;
        }
        anyhow::ensure!(
            started.elapsed() < limit,
            "podinfo:{} did not get around the loop within {limit:?}; seen: {:?}",
            r.tag,
            journey.lines()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    obs.hops = journey.lines();
    let s = canary.status.unwrap_or_default();
    let outcome = Outcome {
        version: r.tag.into(),
        expected: r.expect.as_str().into(),
        phase: s.phase.as_str().into(),
        seconds: journey.seconds("finished").unwrap_or_else(|| started.elapsed().as_secs_f64()),
        max_canary_weight: max_weight,
        failed_checks: s.failed_checks.unwrap_or(0),
    };
    Ok(GitopsRelease { outcome, commit: journey.commit.clone(), hops: journey.seen })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bad_tag_is_faulty() {
        let b = image_behaviours();
        assert_eq!(b.len(), 3);
        assert_eq!(b["6.9.2"].fault_rate, 0.3);
        assert!(b.iter().filter(|(t, _)| *t != "6.9.2").all(|(_, v)| v.fault_rate == 0.0));
    }
}
