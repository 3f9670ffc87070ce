//! The story the demo tells: initialise, release a good version (promoted), release a bad one
//! (rolled back), then prove from Prometheus that the bad version gets no more traffic.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use glidepath_api::flagger::CanaryPhase;
use serde::Serialize;

use super::Env;
use super::manifests;
use super::observe::{CANARY, Observer};
use super::plot::{Mark, Sample};

/// One version the demo publishes.
struct Release {
    version: &'static str,
    fault_rate: &'static str,
    latency_ms: &'static str,
    expect: CanaryPhase,
    what: &'static str,
}

const RELEASES: [Release; 2] = [
    Release { version: "6.9.1", fault_rate: "0", latency_ms: "40", expect: CanaryPhase::Succeeded, what: "good" },
    Release { version: "6.9.2", fault_rate: "0.3", latency_ms: "350", expect: CanaryPhase::Failed, what: "bad" },
];

/// The metrics' `interval` in `examples/demo/canary.yaml`.
pub(super) const METRIC_WINDOW: Duration = Duration::from_secs(10);

/// How one release ended.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub version: String,
    pub expected: String,
    pub phase: String,
    pub seconds: f64,
    pub max_canary_weight: i32,
    pub failed_checks: i32,
}

/// What the demo saw, written to `summary.json`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub releases: Vec<Outcome>,
    /// Requests the bad canary answered after its rollback, from Prometheus.
    pub bad_canary_requests_after_rollback: Option<f64>,
    pub seconds: f64,
    pub samples: Vec<Sample>,
    pub marks: Vec<Mark>,
}

impl Report {
    pub fn as_expected(&self) -> bool {
        self.releases.len() == RELEASES.len()
            && self.releases.iter().all(|r| r.phase == r.expected)
            && self.bad_canary_requests_after_rollback == Some(0.0)
    }

    pub fn text(&self) -> String {
        let mut out = String::from("summary\n");
        for (i, r) in self.releases.iter().enumerate() {
            let verdict = if r.phase == r.expected { "as expected" } else { "NOT AS EXPECTED" };
            let _ = writeln!(
                out,
                "  release {}: podinfo {:<6} -> {:<10} in {:>5.1}s ({verdict}; expected {}), canary weight reached {}%, failed checks {}",
                i + 1,
                r.version,
                r.phase,
                r.seconds,
                r.expected,
                r.max_canary_weight,
                r.failed_checks
            );
        }
        match self.bad_canary_requests_after_rollback {
            Some(n) => {
                let _ = writeln!(out, "  requests served by the bad canary after its rollback: {n} (from Prometheus)");
            }
            None => out.push_str("  requests served by the bad canary after its rollback: not measured\n"),
        }
        let verdict =
            if self.as_expected() { "the demo ended as expected" } else { "the demo did NOT end as expected" };
        let _ = writeln!(out, "  {verdict} after {:.0}s", self.seconds);
        out
    }
}

pub async fn run(env: &Env, tty: bool) -> anyhow::Result<Report> {
    let mut obs = Observer::new(&env.client, &env.prometheus.url, tty, env.speed);
    // A tick is the Canary's interval divided by the speed; allow a generous number of them.
    let tick = Duration::from_secs(20) / env.speed.max(1);
    obs.title = "initialising: creating podinfo-primary and the routes".into();
    obs.mark("initialise");
    wait_until(&mut obs, tick * 10 + Duration::from_secs(60), |p| p == CanaryPhase::Initialized).await?;
    let mut outcomes = Vec::new();
    let mut after_rollback = None;
    for (i, r) in RELEASES.iter().enumerate() {
        obs.title = format!("release {} of {}: podinfo {} ({})", i + 1, RELEASES.len(), r.version, r.what);
        obs.mark(&format!("{} ({})", r.version, r.what));
        let started = Instant::now();
        publish(env, r).await?;
        let limit = tick * 30 + Duration::from_secs(60);
        // The release has begun once the controller noticed the new template ...
        let mut max_weight = 0;
        wait_until(&mut obs, limit, |p| {
            !matches!(p, CanaryPhase::Initialized | CanaryPhase::Succeeded | CanaryPhase::Failed)
        })
        .await?;
        // ... and ends in Succeeded or Failed.
        let canary = loop {
            let c = obs.poll().await?;
            let s = c.status.clone().unwrap_or_default();
            max_weight = max_weight.max(s.canary_weight.unwrap_or(0));
            if matches!(s.phase, CanaryPhase::Succeeded | CanaryPhase::Failed) {
                break c;
            }
            anyhow::ensure!(started.elapsed() < limit, "release {} did not finish within {limit:?}", r.version);
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let s = canary.status.unwrap_or_default();
        outcomes.push(Outcome {
            version: r.version.into(),
            expected: r.expect.as_str().into(),
            phase: s.phase.as_str().into(),
            seconds: started.elapsed().as_secs_f64(),
            max_canary_weight: max_weight,
            failed_checks: s.failed_checks.unwrap_or(0),
        });
        obs.mark(&format!("{} {}", r.version, s.phase.as_str()));
        if s.phase == CanaryPhase::Failed {
            after_rollback = Some(traffic_after_rollback(&mut obs).await?);
        } else {
            // The next release's first checks must not see this one's canary traffic: the
            // built-in queries select pods by the target's name, which both releases share.
            obs.title = format!("{} promoted; letting the {METRIC_WINDOW:?} metric window pass", r.version);
            obs.watch_for(METRIC_WINDOW + Duration::from_secs(1)).await?;
        }
    }
    Ok(Report {
        releases: outcomes,
        bad_canary_requests_after_rollback: after_rollback,
        seconds: obs.elapsed(),
        samples: std::mem::take(&mut obs.samples),
        marks: std::mem::take(&mut obs.marks),
    })
}

/// Publish a version: the person edits the Deployment's image and, in the sandbox, the
/// behaviour its pods will show.
async fn publish(env: &Env, r: &Release) -> anyhow::Result<()> {
    let objs = manifests::objects(&env.loadtester_url)?;
    let mut deployment = objs.into_iter().find(|o| o["kind"] == "Deployment").context("the demo Deployment")?;
    let container = &mut deployment["spec"]["template"]["spec"]["containers"][0];
    container["image"] = format!("ghcr.io/stefanprodan/podinfo:{}", r.version).into();
    container["env"] = serde_json::json!([
        {"name": "FAULT_RATE", "value": r.fault_rate},
        {"name": "LATENCY_MS", "value": r.latency_ms},
    ]);
    manifests::apply(&env.client, &deployment).await
}

/// Poll until the phase satisfies `done`, at most `limit`.
pub(super) async fn wait_until(
    obs: &mut Observer,
    limit: Duration,
    done: impl Fn(CanaryPhase) -> bool,
) -> anyhow::Result<()> {
    let until = Instant::now() + limit;
    loop {
        let c = obs.poll().await?;
        let phase = c.status.map(|s| s.phase).unwrap_or_default();
        if done(phase) {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < until, "the demo canary stayed in phase {} for {limit:?}", phase.as_str());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Requests the bad canary served in the seconds after its rollback, from Prometheus: wait for
/// in-flight traffic and a scrape, read the counter, wait, read it again.
pub(super) async fn traffic_after_rollback(obs: &mut Observer) -> anyhow::Result<f64> {
    obs.watch_for(Duration::from_secs(3)).await?;
    let before = obs.requests_served(CANARY).await?;
    obs.watch_for(Duration::from_secs(8)).await?;
    let after = obs.requests_served(CANARY).await?;
    Ok(after - before)
}
