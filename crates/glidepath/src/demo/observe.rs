//! The demo's eyes: every half second it reads the Canary and its events from the API server
//! and the traffic from Prometheus (the same built-in queries the controller checks), keeps a
//! [`Sample`] for the plot, and draws a frame (or prints a line when something changed).

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use glidepath_analysis::builtin::{BuiltinMetric, Observer as QueryFamily};
use glidepath_analysis::template::TemplateModel;
use glidepath_api::flagger::Canary;
use k8s_openapi::api::core::v1::Event;
use kube::Client;
use kube::api::{Api, ListParams};

use super::plot::{Mark, Sample};
use super::prometheus::Query;
use super::view::{self, Frame, MetricLine};

pub const NAMESPACE: &str = "demo";
pub const CANARY: &str = "podinfo";
/// The sandbox traffic simulator's counter of requests per workload and status.
const REQUESTS: &str = "sandbox_traffic_requests_total";

pub struct Observer {
    canaries: Api<Canary>,
    events: Api<Event>,
    pub query: Query,
    start: Instant,
    tty: bool,
    speed: u32,
    pub title: String,
    pub samples: Vec<Sample>,
    pub marks: Vec<Mark>,
    /// Lines of the gitops loop's hops, shown in the live view.
    pub hops: Vec<String>,
    last_line: String,
    seen_events: HashSet<String>,
    /// When the status last changed, by our clock, for the step progress bar.
    last_change: (String, Instant),
}

impl Observer {
    pub fn new(client: &Client, prometheus_url: &str, tty: bool, speed: u32) -> Observer {
        Observer {
            canaries: Api::namespaced(client.clone(), NAMESPACE),
            events: Api::namespaced(client.clone(), NAMESPACE),
            query: Query::new(prometheus_url),
            start: Instant::now(),
            tty,
            speed: speed.max(1),
            title: String::new(),
            samples: Vec::new(),
            marks: Vec::new(),
            hops: Vec::new(),
            last_line: String::new(),
            seen_events: HashSet::new(),
            last_change: (String::new(), Instant::now()),
        }
    }

    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    pub fn mark(&mut self, label: &str) {
        self.marks.push(Mark { t: self.elapsed(), label: label.to_owned() });
        if !self.tty {
            println!("[{:>6.1}s] === {label}", self.elapsed());
        }
    }

    /// Look once, record, show; returns the Canary as read.
    pub async fn poll(&mut self) -> anyhow::Result<Canary> {
        let canary = self.canaries.get(CANARY).await.context("read the demo Canary")?;
        let status = canary.status.clone().unwrap_or_default();
        let (errors, served) = self.error_rates().await;
        let sample = Sample {
            t: self.elapsed(),
            canary_weight: status.canary_weight.unwrap_or(0),
            canary_errors: errors.get(CANARY).copied().filter(|_| served.contains(CANARY)),
            primary_errors: errors.get(&format!("{CANARY}-primary")).copied(),
        };
        self.samples.push(sample);
        let events = self.recent_events().await;
        let metrics = self.metric_lines(&canary).await;
        let analysis = canary.spec.analysis.clone().unwrap_or_default();
        let key = format!("{:?} {:?} {:?}", status.phase, status.canary_weight, status.failed_checks);
        if key != self.last_change.0 {
            self.last_change = (key, Instant::now());
        }
        let weight = status.canary_weight.unwrap_or(0);
        let frame = Frame {
            title: self.title.clone(),
            elapsed_secs: self.elapsed(),
            phase: if status.phase.as_str().is_empty() { "-".into() } else { status.phase.as_str().to_owned() },
            canary_weight: weight,
            primary_weight: 100 - weight,
            failed_checks: status.failed_checks.unwrap_or(0),
            threshold: analysis.threshold(),
            since_step_secs: self.last_change.1.elapsed().as_secs_f64(),
            step_secs: analysis.interval().as_secs_f64() / f64::from(self.speed),
            metrics,
            events: events.iter().rev().take(6).rev().cloned().collect(),
            hops: self.hops.clone(),
        };
        self.show(&frame, &events);
        Ok(canary)
    }

    fn show(&mut self, frame: &Frame, events: &[String]) {
        let mut out = std::io::stdout().lock();
        if self.tty {
            let _ = write!(out, "{}{}", view::CLEAR, view::render(frame));
        } else {
            for e in events {
                if self.seen_events.insert(e.clone()) {
                    let _ = writeln!(out, "[{:>6.1}s]   event: {e}", frame.elapsed_secs);
                }
            }
            let key = format!("{} {} {}", frame.phase, frame.canary_weight, frame.failed_checks);
            if key != self.last_line {
                let _ = writeln!(out, "{}", view::line(frame));
                self.last_line = key;
            }
        }
        let _ = out.flush();
    }

    /// Percentage of 5xx answers per workload over the last 5 s, and which workloads served
    /// anything at all.
    async fn error_rates(&self) -> (BTreeMap<String, f64>, HashSet<String>) {
        let by_workload = |q: String| async move {
            let series = self.query.vector(&q).await.unwrap_or_default();
            series
                .into_iter()
                .filter_map(|(labels, v)| Some((labels.get("workload")?.as_str()?.to_owned(), v)))
                .collect::<BTreeMap<String, f64>>()
        };
        let sel = format!("namespace=\"{NAMESPACE}\"");
        let total = by_workload(format!("sum by (workload) (rate({REQUESTS}{{{sel}}}[5s]))")).await;
        let failed = by_workload(format!("sum by (workload) (rate({REQUESTS}{{{sel},status=~\"5..\"}}[5s]))")).await;
        let served: HashSet<String> = total.iter().filter(|(_, v)| **v > 0.0).map(|(k, _)| k.clone()).collect();
        let rates = total
            .iter()
            .filter(|(_, t)| **t > 0.0)
            .map(|(w, t)| (w.clone(), 100.0 * failed.get(w).copied().unwrap_or(0.0) / t))
            .collect();
        (rates, served)
    }

    /// The Canary's built-in checks, evaluated with the controller's own queries.
    async fn metric_lines(&self, canary: &Canary) -> Vec<MetricLine> {
        let Some(provider) = canary.spec.effective_provider("gatewayapi:v1") else {
            return Vec::new();
        };
        let family = QueryFamily::for_provider(provider);
        let mut lines = Vec::new();
        for m in canary.spec.analysis.as_ref().map(|a| a.metrics()).unwrap_or_default() {
            let Some(builtin) = BuiltinMetric::parse(&m.name) else { continue };
            let model = TemplateModel::for_metric(canary, m);
            let (scale, unit) = match builtin {
                BuiltinMetric::RequestSuccessRate => (1.0, "%"),
                BuiltinMetric::RequestDuration => (family.to_millis(), "ms"),
            };
            let value = |model: TemplateModel| async move {
                let q = family.render(builtin, &model).ok()?;
                self.query.scalar(&q).await.ok().flatten().map(|v| v * scale)
            };
            let range = m.threshold_range.clone().unwrap_or_default();
            lines.push(MetricLine {
                name: m.name.clone(),
                canary: value(model.clone()).await,
                primary: value(model.for_primary()).await,
                unit,
                min: range.min,
                max: range.max,
            });
        }
        lines
    }

    /// The Canary's events, oldest first, one line each (`message (xN)` when repeated).
    async fn recent_events(&self) -> Vec<String> {
        let Ok(list) = self.events.list(&ListParams::default()).await else {
            return Vec::new();
        };
        let mut events: Vec<&Event> =
            list.items.iter().filter(|e| e.involved_object.kind.as_deref() == Some("Canary")).collect();
        events.sort_by_key(|e| e.last_timestamp.as_ref().map(|t| t.0));
        events
            .iter()
            .map(|e| {
                let msg = e.message.clone().unwrap_or_default();
                match e.count {
                    Some(n) if n > 1 => format!("{msg} (x{n})"),
                    _ => msg,
                }
            })
            .collect()
    }

    /// Keep polling every half second for `d`.
    pub async fn watch_for(&mut self, d: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + d;
        while Instant::now() < until {
            self.poll().await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(())
    }

    /// Requests the workload has answered in all, from Prometheus (0 when it never served).
    pub async fn requests_served(&self, workload: &str) -> anyhow::Result<f64> {
        let q = format!("sum({REQUESTS}{{namespace=\"{NAMESPACE}\",workload=\"{workload}\"}})");
        Ok(self.query.scalar(&q).await?.unwrap_or(0.0))
    }
}
