//! The chart engine against Helm: Helm's own `helm template` goldens, and every real chart of
//! `shared/conformance/helm/charts` × every values set it ships, compared byte for byte with
//! Helm 4.2.3 itself (libhelm through `scripts/helm-oracle.py`, run once for the whole corpus).
//! Output that depends on randomness or the clock (`randAlphaNum`, `genCA`, `uuidv4`, `now`)
//! is masked: a line is masked when two renders of ours with different seeds and clocks differ
//! there. Each tier prints `N passed, M failed` and the test fails on any failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use glidepath_helm::command::{TemplateCommand, run_template_with};

fn shared() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/helm"))
}

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Runs `helm template ARGS` natively: stdout, or (stdout before the error and) `Error: ...`.
fn ours(args: &[String], sprig: &glidepath_sprig::Options) -> String {
    let cmd = match TemplateCommand::from_args(args) {
        Ok(c) => c,
        Err(e) => return format!("Error: {e}\n"),
    };
    match run_template_with(&cmd, sprig) {
        Ok(out) => out,
        Err(e) => {
            let mut s = String::new();
            if let glidepath_helm::HelmError::WithOutput { output, .. } = &e {
                s.push_str(output);
            }
            s.push_str(&format!("Error: {}\n", chain(&e)));
            s
        }
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(&format!(": {s}"));
        cur = s.source();
    }
    out
}

/// The goldens' argument column as a list (the `--name-template` value holds spaces).
fn split_args(text: &str, dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut joining = false;
    for tok in text.split_whitespace() {
        if joining && !tok.starts_with("--") && !tok.starts_with("testcharts") {
            let last = out.last_mut().unwrap();
            last.push(' ');
            last.push_str(tok);
            continue;
        }
        joining = tok.starts_with("--name-template=");
        out.push(if tok.starts_with("testcharts/") { dir.join(tok).display().to_string() } else { tok.to_string() });
    }
    out
}

/// Helm's goldens come from Helm's main branch, whose manifest splitter keeps a document's
/// trailing blank lines; Helm 4.2 (the oracle, and what helm-controller runs) drops them
/// before a `---`. For the cases where that shows, compare with trailing white space of each
/// document normalized.
const SPLITTER_DRIFT: &[&str] = &[
    "sorted output (file order, then object order in each file)",
    "show-only one",
    "show-only multiple",
    "show-only glob",
];

fn normalize_docs(s: &str) -> String {
    s.split("\n---\n").map(str::trim_end).collect::<Vec<_>>().join("\n---\n")
}

#[test]
fn helm_goldens() {
    let dir = shared().join("helm-goldens");
    let cases = std::fs::read_to_string(dir.join("cases.tsv")).unwrap();
    let sprig = glidepath_sprig::Options::fixed(1_700_000_000, 1);
    let (mut passed, mut failed) = (0, Vec::new());
    for line in cases.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, args, expected) = (cols[0], cols[1], cols[2]);
        let mut argv = split_args(args.strip_prefix("template").unwrap_or(args), &dir);
        // Helm's tests build with Kubernetes v1.20.0 as the default version.
        if !argv.iter().any(|a| a == "--kube-version") {
            argv.splice(0..0, ["--kube-version".to_string(), "1.20.0".to_string()]);
        }
        // The command is ours: its usage errors name `glidepath template`.
        let want = std::fs::read_to_string(dir.join(expected))
            .unwrap()
            .replace("Error: \"helm template\"", "Error: \"glidepath template\"")
            .replace("Usage:  helm template", "Usage:  glidepath template");
        let got = ours(&argv, &sprig);
        let (got, want) =
            if SPLITTER_DRIFT.contains(&name) { (normalize_docs(&got), normalize_docs(&want)) } else { (got, want) };
        if got == want {
            passed += 1;
        } else {
            failed.push(format!("--- {name}\n{}", diff(&want, &got)));
        }
    }
    println!("helm goldens: {passed} passed, {} failed", failed.len());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The first differing lines of two texts.
fn diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let i = w.iter().zip(&g).position(|(a, b)| a != b).unwrap_or(w.len().min(g.len()));
    let show = |v: &[&str]| v.iter().skip(i.saturating_sub(2)).take(6).cloned().collect::<Vec<_>>().join("\n");
    format!("line {}:\n  want:\n{}\n  got:\n{}", i + 1, show(&w), show(&g))
}

/// Flag variants run on this crate's own charts besides their values sets.
const EXTRA_FLAGS: &[(&str, &[&str])] = &[
    ("stream", &["--include-crds"]),
    ("stream", &["--skip-tests"]),
    ("stream", &["--no-hooks"]),
    ("stream", &["-s", "templates/all.yaml"]),
    ("stream", &["-s", "templates/tests/*", "-s", "templates/mutate-*"]),
    ("stream", &["-s", "templates/nope.yaml"]),
    ("objects", &["--kube-version", "v1.21.3"]),
    ("objects", &["--kube-version", "1.25"]),
    // (The oracle hands values to libhelm as JSON, so a --set integer reaches Helm as a float64;
    // cases here keep typeOf away from --set numbers.)
    ("objects", &["--set", "name=null,sub.x=9", "--set-string", "big=1000000"]),
    ("objects", &["--set-json", "sub={\"list\":[1,{\"a\":null}]}", "--set", "ratio=1e3"]),
    ("deps", &["--set", "alpha2.enabled=true,tags.back=false,global.alphaEnabled=false"]),
    ("deps", &["--set", "alpha.enabled=false", "--set", "alpha.enabled=true", "--set", "global.g1=null"]),
    ("deps", &["--set", "alpha.exported.b=from-set,fromAlpha=null"]),
    ("stream", &["--set", "withJob=false", "--set-literal", "tplText={{ .Release.Name }},x"]),
    ("stream", &["-n", "other"]),
];

fn own_charts() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/charts"))
}

/// Every chart × values set: (label, argv). The corpus's real charts, then this crate's own
/// charts (one per engine area: objects, dependencies and values, the stream, errors).
fn chart_cases() -> Vec<(String, Vec<String>)> {
    let mut charts: Vec<PathBuf> = Vec::new();
    // Helm's own test charts too (archives included): schemas, library charts, bad charts.
    for dir in [shared().join("charts"), own_charts(), shared().join("helm-goldens/testcharts")] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "tgz"))
            .collect();
        found.sort();
        charts.extend(found);
    }
    let mut out = Vec::new();
    for chart in charts {
        let mut sets = vec![None];
        if let Ok(ci) = std::fs::read_dir(chart.join("ci")) {
            let mut files: Vec<PathBuf> = ci
                .map(|e| e.unwrap().path())
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().ends_with("values.yaml")))
                .collect();
            files.sort();
            sets.extend(files.into_iter().map(Some));
        }
        for set in sets {
            let mut argv: Vec<String> =
                ["rel", &chart.display().to_string(), "-n", "monitoring"].iter().map(|s| s.to_string()).collect();
            argv.extend(["--kube-version", "1.33.0", "--api-versions", "monitoring.coreos.com/v1"].map(String::from));
            argv.extend(["--api-versions", "gateway.networking.k8s.io/v1"].map(String::from));
            let label = match &set {
                Some(f) => format!(
                    "{} {}",
                    chart.file_name().unwrap().to_string_lossy(),
                    f.file_name().unwrap().to_string_lossy()
                ),
                None => format!("{} (defaults)", chart.file_name().unwrap().to_string_lossy()),
            };
            if let Some(f) = set {
                argv.extend(["-f".to_string(), f.display().to_string()]);
            }
            out.push((label, argv));
        }
        let name = chart.file_name().unwrap().to_string_lossy().into_owned();
        for (_, flags) in EXTRA_FLAGS.iter().filter(|(c, _)| *c == name) {
            let mut argv = vec!["rel".to_string(), chart.display().to_string()];
            argv.extend(flags.iter().map(|f| f.to_string()));
            out.push((format!("{name} {}", flags.join(" ")), argv));
        }
    }
    out
}

/// The oracle's output for each argv, in one process.
fn oracle(cases: &[Vec<String>]) -> Vec<String> {
    let script = repo().join("scripts/helm-oracle.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg("--batch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs the Helm oracle (scripts/install-test-deps.sh installs helm-python-sdk)");
    let input = serde_json::to_vec(cases).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "the Helm oracle failed; is helm-python-sdk installed? (scripts/install-test-deps.sh)"
    );
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    results.iter().map(|r| format!("{}{}", r["stdout"].as_str().unwrap(), r["stderr"].as_str().unwrap())).collect()
}

/// Masks the lines where two renders differ (randomness, clock).
fn mask(text: &str, a: &str, b: &str) -> Option<String> {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    if la.len() != lb.len() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() != la.len() {
        return Some(text.to_string());
    }
    Some(
        lines
            .iter()
            .zip(la.iter().zip(&lb))
            .map(|(l, (x, y))| if x == y { *l } else { "<masked>" })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

#[test]
fn real_charts_match_helm() {
    let cases = chart_cases();
    let argvs: Vec<Vec<String>> = cases.iter().map(|(_, a)| a.clone()).collect();
    let expected = oracle(&argvs);
    let (mut passed, mut failed, mut masked) = (0, Vec::new(), 0);
    for ((label, argv), want) in cases.iter().zip(&expected) {
        let first = ours(argv, &glidepath_sprig::Options::fixed(1_700_000_000, 1));
        let second = ours(argv, &glidepath_sprig::Options::fixed(1_800_000_000, 2));
        let (got, want) = if first == second {
            (first, want.clone())
        } else {
            masked += 1;
            match (mask(&first, &first, &second), mask(want, &first, &second)) {
                (Some(g), Some(w)) => (g, w),
                _ => (first, want.clone()),
            }
        };
        if got == want {
            passed += 1;
        } else {
            failed.push(format!("--- {label}\n{}", diff(&want, &got)));
        }
    }
    println!(
        "real charts vs Helm 4.2.3: {passed} passed, {} failed ({masked} renders with random output masked)",
        failed.len()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Helpers the function cases may call.
const HELPERS: &str = r#"{{- define "fn.helper" -}}helper:{{ .Chart.Name }}:{{ .Values.str }}{{- end -}}"#;

/// `tests/data/functions.txt`: each line a NOTES.txt template (NOTES are not parsed as YAML,
/// so any output compares), rendered by us and by Helm 4.2.3 with the same values.
#[test]
fn functions_match_helm() {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"));
    let cases: Vec<String> = std::fs::read_to_string(data.join("functions.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let values = std::fs::read_to_string(data.join("functions-values.yaml")).unwrap();
    let root = std::env::temp_dir().join(format!("glidepath-helm-functions-{}", std::process::id()));
    let mut argvs = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let dir = root.join(format!("fn{i}"));
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: fn\nversion: 0.1.0+build.1\n").unwrap();
        std::fs::write(dir.join("values.yaml"), &values).unwrap();
        std::fs::write(dir.join("templates/_helpers.tpl"), HELPERS).unwrap();
        std::fs::write(dir.join("templates/NOTES.txt"), case).unwrap();
        argvs.push(vec!["rel".to_string(), dir.display().to_string(), "-n".into(), "ns".into(), "--notes".into()]);
    }
    let expected = oracle(&argvs);
    let notes = |argv: &[String], sprig: &glidepath_sprig::Options| -> String {
        let cmd = TemplateCommand::from_args(&argv[..4]).unwrap();
        let chart = glidepath_helm::load_chart(Path::new(&argv[1])).unwrap();
        let opts = glidepath_helm::TemplateOptions {
            release: glidepath_helm::Release { name: "rel".into(), namespace: "ns".into(), ..Default::default() },
            values: glidepath_helm::command::merge_user_values(&cmd).unwrap(),
            sprig: sprig.clone(),
            ..Default::default()
        };
        match glidepath_helm::render_release(&chart, &opts) {
            Ok(r) => r.notes,
            Err(e) => {
                let msg = match &e {
                    glidepath_helm::HelmError::WithOutput { error, .. } => {
                        format!("{error}\n\nUse --debug flag to render out invalid YAML")
                    }
                    e => e.to_string(),
                };
                format!("Error: {msg}\n")
            }
        }
    };
    let (mut passed, mut failed, mut masked) = (0, Vec::new(), 0);
    for ((case, argv), want) in cases.iter().zip(&argvs).zip(&expected) {
        let first = notes(argv, &glidepath_sprig::Options::fixed(1_700_000_000, 1));
        let second = notes(argv, &glidepath_sprig::Options::fixed(1_800_000_000, 2));
        let (got, want) = if first == second {
            (first, want.clone())
        } else {
            masked += 1;
            (
                mask(&first, &first, &second).unwrap_or(first.clone()),
                mask(want, &first, &second).unwrap_or(want.clone()),
            )
        };
        if got == want {
            passed += 1;
        } else {
            failed.push(format!("--- {case}\n  want: {want:?}\n  got:  {got:?}"));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    println!("functions vs Helm 4.2.3: {passed} passed, {} failed ({masked} with random output masked)", failed.len());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
