//! The picture at the end of the demo: traffic weight and error rate over time, one SVG file
//! (no plotting crate: two polylines per panel are a few lines of text).

use std::fmt::Write as _;

/// One observation of the running demo.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Sample {
    /// Seconds since the demo started.
    pub t: f64,
    pub canary_weight: i32,
    /// Share of failed requests (percent) over the last seconds, per version; `None` when that
    /// version served nothing.
    pub canary_errors: Option<f64>,
    pub primary_errors: Option<f64>,
}

/// A vertical marker: when something happened ("release 2: 6.9.2").
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Mark {
    pub t: f64,
    pub label: String,
}

const W: f64 = 960.0;
const PANEL_H: f64 = 200.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const GAP: f64 = 60.0;

/// Render the two panels: weight (%) on top, error rate (%) below.
pub fn svg(samples: &[Sample], marks: &[Mark], error_limit: f64) -> String {
    let t_max = samples.iter().map(|s| s.t).chain(marks.iter().map(|m| m.t)).fold(1.0_f64, f64::max);
    let e_max = samples
        .iter()
        .flat_map(|s| [s.canary_errors, s.primary_errors])
        .flatten()
        .fold(error_limit * 2.0, f64::max)
        .max(1.0);
    let x = |t: f64| LEFT + (t / t_max) * (W - LEFT - RIGHT);
    let height = TOP + 2.0 * PANEL_H + GAP + 40.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" viewBox="0 0 {W} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ =
        writeln!(out, r#"<text x="{LEFT}" y="20" font-size="15">glidepath demo: traffic and errors over time</text>"#);
    let panels = [(TOP, "canary weight %", 100.0), (TOP + PANEL_H + GAP, "error rate %", e_max)];
    for (top, title, max) in panels {
        let bottom = top + PANEL_H;
        let _ = writeln!(
            out,
            r##"<rect x="{LEFT}" y="{top}" width="{}" height="{PANEL_H}" fill="none" stroke="#888"/>"##,
            W - LEFT - RIGHT
        );
        let _ = writeln!(out, r#"<text x="{}" y="{}">{title}</text>"#, LEFT + 4.0, top - 6.0);
        for frac in [0.0, 0.5, 1.0] {
            let y = bottom - frac * PANEL_H;
            let _ =
                writeln!(out, r#"<text x="{}" y="{}" text-anchor="end">{:.0}</text>"#, LEFT - 6.0, y + 4.0, frac * max);
        }
    }
    let y_weight = |v: f64| TOP + PANEL_H - (v / 100.0) * PANEL_H;
    let err_top = TOP + PANEL_H + GAP;
    let y_err = |v: f64| err_top + PANEL_H - (v / e_max) * PANEL_H;
    let limit_y = y_err(error_limit);
    let _ = writeln!(
        out,
        r##"<line x1="{LEFT}" x2="{}" y1="{limit_y}" y2="{limit_y}" stroke="#c00" stroke-dasharray="2,3"/><text x="{}" y="{}" fill="#c00" text-anchor="end">limit {error_limit}%</text>"##,
        W - RIGHT,
        W - RIGHT - 4.0,
        limit_y - 4.0
    );
    polyline(&mut out, samples.iter().map(|s| Some((x(s.t), y_weight(f64::from(s.canary_weight))))), "#1f6fd0");
    polyline(&mut out, samples.iter().map(|s| s.primary_errors.map(|e| (x(s.t), y_err(e)))), "#2a9d3a");
    polyline(&mut out, samples.iter().map(|s| s.canary_errors.map(|e| (x(s.t), y_err(e)))), "#d03a1f");
    // Labels step down so marks close in time (the hops of one push) stay readable.
    for (i, m) in marks.iter().enumerate() {
        let mx = x(m.t);
        let label_y = TOP + 12.0 + 12.0 * (i % 8) as f64;
        let _ = writeln!(
            out,
            r##"<line x1="{mx}" x2="{mx}" y1="{TOP}" y2="{}" stroke="#555" stroke-dasharray="4,4"/><text x="{}" y="{}" fill="#555">{}</text>"##,
            err_top + PANEL_H,
            mx + 3.0,
            label_y,
            escape(&m.label)
        );
    }
    let legend_y = err_top + PANEL_H + 28.0;
    let _ = writeln!(
        out,
        r##"<text x="{LEFT}" y="{legend_y}"><tspan fill="#1f6fd0">— canary weight</tspan>   <tspan fill="#d03a1f">— canary errors</tspan>   <tspan fill="#2a9d3a">— primary errors</tspan>   time: {t_max:.0} s</text>"##
    );
    out.push_str("</svg>\n");
    out
}

/// Draw a line through the points, broken where a point is missing (no data).
fn polyline(out: &mut String, points: impl Iterator<Item = Option<(f64, f64)>>, color: &str) {
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut String| {
        if !run.is_empty() {
            let _ = writeln!(
                out,
                r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
                run.join(" ")
            );
            run.clear();
        }
    };
    for p in points {
        match p {
            Some((x, y)) => run.push(format!("{x:.1},{y:.1}")),
            None => flush(&mut run, out),
        }
    }
    flush(&mut run, out);
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plot_draws_each_series_and_breaks_lines_at_gaps() {
        let samples = vec![
            Sample { t: 0.0, canary_weight: 0, canary_errors: None, primary_errors: Some(0.0) },
            Sample { t: 10.0, canary_weight: 10, canary_errors: Some(30.0), primary_errors: Some(0.0) },
            Sample { t: 20.0, canary_weight: 0, canary_errors: None, primary_errors: Some(0.0) },
            Sample { t: 30.0, canary_weight: 0, canary_errors: Some(0.0), primary_errors: Some(0.0) },
        ];
        let marks = [Mark { t: 5.0, label: "release 2 <bad>".into() }];
        let out = svg(&samples, &marks, 1.0);
        assert!(out.starts_with("<svg") && out.trim_end().ends_with("</svg>"));
        let lines = |color: &str| out.lines().filter(|l| l.contains("<polyline") && l.contains(color)).count();
        assert_eq!(lines("#1f6fd0"), 1, "weight: one unbroken line");
        assert_eq!(lines("#2a9d3a"), 1, "primary errors: one line");
        assert_eq!(lines("#d03a1f"), 2, "canary errors: broken where the canary served nothing");
        assert!(out.contains("release 2 &lt;bad&gt;"), "labels are escaped");
        // Weight 10% at t=10 of 30: x = 60 + 10/30*880, y = 40 + 200 - 20.
        assert!(out.contains("353.3,220.0"), "{out}");
    }
}
