//! What the demo shows while a release runs: a frame of the live terminal view (redrawn in
//! place), or one line per change without a terminal. Pure: a [`Frame`] in, text out.

use std::fmt::Write as _;

/// One metric check as the controller sees it, with the same query and threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricLine {
    pub name: String,
    /// The canary's value now (`None`: no data yet).
    pub canary: Option<f64>,
    /// The primary's value, for comparison.
    pub primary: Option<f64>,
    pub unit: &'static str,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl MetricLine {
    /// Whether the canary's value is inside the threshold range (`None` without data).
    pub fn ok(&self) -> Option<bool> {
        let v = self.canary?;
        Some(self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m))
    }

    fn range(&self) -> String {
        match (self.min, self.max) {
            (Some(lo), Some(hi)) => format!("{lo}..{hi}{}", self.unit),
            (Some(lo), None) => format!(">= {lo}{}", self.unit),
            (None, Some(hi)) => format!("<= {hi}{}", self.unit),
            (None, None) => "-".into(),
        }
    }
}

/// Everything one frame shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// "release 1 of 2: podinfo 6.9.1 (good)".
    pub title: String,
    pub elapsed_secs: f64,
    pub phase: String,
    pub canary_weight: i32,
    pub primary_weight: i32,
    pub failed_checks: i32,
    pub threshold: i32,
    /// Seconds since the last status change, and the tick interval, for the step progress.
    pub since_step_secs: f64,
    pub step_secs: f64,
    pub metrics: Vec<MetricLine>,
    /// The Canary's most recent events, oldest first.
    pub events: Vec<String>,
    /// `--scenario gitops`: each hop from the image push to the Canary, with its time since the
    /// push ("scanned      +1.2s"); empty in the release scenario.
    pub hops: Vec<String>,
}

const BAR: usize = 40;

fn bar(percent: i32, fill: char) -> String {
    let filled = usize::try_from(percent.clamp(0, 100)).unwrap_or(0) * BAR / 100;
    format!("{}{}", fill.to_string().repeat(filled), "·".repeat(BAR - filled))
}

fn value(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "no data".to_owned(), |v| format!("{v:.1}{unit}"))
}

/// The live view: a screenful, redrawn in place.
pub fn render(f: &Frame) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "glidepath demo — {}   [{:>5.1}s]", f.title, f.elapsed_secs);
    let _ = writeln!(out);
    if !f.hops.is_empty() {
        let _ = writeln!(out, "  from the push to the Canary");
        for h in &f.hops {
            let _ = writeln!(out, "    {h}");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "  phase          {}", f.phase);
    let _ = writeln!(out, "  primary  {:>3}%  {}", f.primary_weight, bar(f.primary_weight, '█'));
    let _ = writeln!(out, "  canary   {:>3}%  {}", f.canary_weight, bar(f.canary_weight, '▓'));
    let progress = if f.step_secs > 0.0 { (f.since_step_secs / f.step_secs).clamp(0.0, 1.0) } else { 0.0 };
    let pct = (progress * 100.0).round() as i32;
    let _ = writeln!(out, "  next step      {}  {:.0}s / {:.0}s", bar(pct, '='), f.since_step_secs, f.step_secs);
    let _ = writeln!(out, "  failed checks  {} of {}", f.failed_checks, f.threshold);
    let _ = writeln!(out);
    let _ = writeln!(out, "  {:<24} {:>10} {:>10}   {:<12} ", "metric", "canary", "primary", "threshold");
    for m in &f.metrics {
        let verdict = match m.ok() {
            Some(true) => "ok",
            Some(false) => "FAIL",
            None => "-",
        };
        let _ = writeln!(
            out,
            "  {:<24} {:>10} {:>10}   {:<12} {verdict}",
            m.name,
            value(m.canary, m.unit),
            value(m.primary, m.unit),
            m.range()
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "  events");
    for e in &f.events {
        let _ = writeln!(out, "    {e}");
    }
    out
}

/// Without a terminal: one line when the phase, weights or failed checks change.
pub fn line(f: &Frame) -> String {
    let metrics: Vec<String> =
        f.metrics.iter().map(|m| format!("{} {} ({})", m.name, value(m.canary, m.unit), m.range())).collect();
    format!(
        "[{:>6.1}s] {:<13} canary {:>3}% primary {:>3}% failed {}/{} | {}",
        f.elapsed_secs,
        f.phase,
        f.canary_weight,
        f.primary_weight,
        f.failed_checks,
        f.threshold,
        metrics.join(", ")
    )
}

/// ANSI: move home and clear the screen, so each frame replaces the last.
pub const CLEAR: &str = "\x1b[H\x1b[2J";

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame {
            title: "release 1 of 2: podinfo 6.9.1 (good)".into(),
            elapsed_secs: 12.5,
            phase: "Progressing".into(),
            canary_weight: 25,
            primary_weight: 75,
            failed_checks: 1,
            threshold: 3,
            since_step_secs: 5.0,
            step_secs: 10.0,
            metrics: vec![
                MetricLine {
                    name: "request-success-rate".into(),
                    canary: Some(97.5),
                    primary: Some(100.0),
                    unit: "%",
                    min: Some(99.0),
                    max: None,
                },
                MetricLine {
                    name: "request-duration".into(),
                    canary: None,
                    primary: Some(48.0),
                    unit: "ms",
                    min: None,
                    max: Some(500.0),
                },
            ],
            events: vec!["Advance podinfo.demo canary weight 25".into()],
            hops: vec![],
        }
    }

    #[test]
    fn the_view_shows_weights_as_bars_and_metrics_against_thresholds() {
        let out = render(&frame());
        assert!(out.contains(&format!("canary    25%  {}{}", "▓".repeat(10), "·".repeat(30))), "{out}");
        assert!(out.contains(&format!("primary   75%  {}{}", "█".repeat(30), "·".repeat(10))), "{out}");
        assert!(out.contains(&format!("next step      {}{}", "=".repeat(20), "·".repeat(20))), "{out}");
        let success = out.lines().find(|l| l.contains("request-success-rate")).unwrap();
        assert!(success.contains("97.5%") && success.contains(">= 99%") && success.ends_with("FAIL"), "{success}");
        let latency = out.lines().find(|l| l.contains("request-duration")).unwrap();
        assert!(latency.contains("no data") && latency.contains("<= 500ms") && latency.ends_with('-'), "{latency}");
        assert!(out.contains("failed checks  1 of 3"));
        assert!(out.contains("    Advance podinfo.demo canary weight 25"));
        assert!(!out.contains("from the push"), "no hops outside the gitops scenario");
        let with_hops = render(&Frame { hops: vec!["pushed      +0.0s".into()], ..frame() });
        assert!(with_hops.contains("  from the push to the Canary\n    pushed      +0.0s\n"), "{with_hops}");
    }

    #[test]
    fn the_plain_line_has_phase_weights_and_values() {
        let l = line(&frame());
        assert_eq!(
            l,
            "[  12.5s] Progressing   canary  25% primary  75% failed 1/3 | \
             request-success-rate 97.5% (>= 99%), request-duration no data (<= 500ms)"
        );
    }
}
