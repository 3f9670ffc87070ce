#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The ready MetricTemplates in `metric-templates/`: each one parses as a `MetricTemplate`,
//! validates, renders with Flagger's variables, has a PromQL shape (balanced brackets, nothing
//! left of the template), is accepted by Prometheus' own parser (`promtool check rules`, Debian
//! package `prometheus`), and — where Glidepath has the same built-in query — is exactly the
//! built-in query (so its thresholds mean what the built-ins' do).

use std::path::PathBuf;

use glidepath_analysis::template::{self, TemplateModel};
use glidepath_analysis::{BuiltinMetric, Observer};
use glidepath_api::flagger::MetricTemplate;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../metric-templates"))
}

/// Distinct values per variable, so a template using the wrong one differs from the built-in.
fn model() -> TemplateModel {
    TemplateModel {
        name: "podinfo-canary".into(),
        namespace: "test".into(),
        target: "podinfo".into(),
        service: "podinfo-svc".into(),
        ingress: "podinfo-ing".into(),
        route: "podinfo-route".into(),
        interval: "1m".into(),
        variables: Default::default(),
    }
}

fn templates() -> Vec<(String, MetricTemplate)> {
    let mut out: Vec<(String, MetricTemplate)> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let t: MetricTemplate = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_stem().unwrap().to_string_lossy().into_owned(), t)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// PromQL shape: brackets balance outside string literals, and no template action is left.
fn promql_shape(q: &str) -> Result<(), String> {
    if q.contains("{{") || q.contains("}}") {
        return Err(format!("template action left in {q}"));
    }
    let mut stack = Vec::new();
    let mut in_str = false;
    let mut escaped = false;
    for c in q.chars() {
        if in_str {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '{' | '[' => stack.push(c),
            ')' | '}' | ']' => {
                let open = match c {
                    ')' => '(',
                    '}' => '{',
                    _ => '[',
                };
                if stack.pop() != Some(open) {
                    return Err(format!("unbalanced {c} in {q}"));
                }
            }
            _ => {}
        }
    }
    if in_str || !stack.is_empty() {
        return Err(format!("unclosed {stack:?} (string open: {in_str}) in {q}"));
    }
    if q.trim().is_empty() {
        return Err("empty query".into());
    }
    Ok(())
}

/// `promtool check rules` on the queries as recording rules; Err with promtool's output.
fn promtool_check(queries: &[(String, String)]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let rules: Vec<_> = queries
        .iter()
        .map(|(name, q)| serde_json::json!({"record": format!("glidepath:{}", name.replace('-', "_")), "expr": q}))
        .collect();
    let file = dir.path().join("rules.yaml");
    std::fs::write(
        &file,
        serde_json::to_string(&serde_json::json!({"groups": [{"name": "t", "rules": rules}]})).unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("promtool not found: run scripts/install-test-deps.sh (Debian package `prometheus`)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() { Ok(()) } else { Err(text) }
}

fn squash(q: &str) -> String {
    q.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_provider_has_success_rate_and_latency_templates() {
    let names: Vec<String> = templates().into_iter().map(|(n, _)| n).collect();
    for provider in ["istio", "linkerd", "nginx", "contour", "gatewayapi-envoy", "http"] {
        for metric in ["success-rate", "latency-p99"] {
            let name = format!("{provider}-{metric}");
            assert!(names.contains(&name), "metric-templates/{name}.yaml missing: {names:?}");
        }
    }
}

#[test]
fn templates_validate_render_and_parse_as_promql() {
    let mut rendered = Vec::new();
    for (file, t) in templates() {
        assert_eq!(t.metadata.name.as_deref(), Some(file.as_str()), "{file}: metadata.name must be the file name");
        let v = t.spec.validate();
        assert!(v.is_valid(), "{file}: {}", v.errors);
        assert_eq!(t.spec.provider.r#type, "prometheus", "{file}");
        let q = template::render(&t.spec.query, &model()).unwrap_or_else(|e| panic!("{file}: {e}"));
        promql_shape(&q).unwrap_or_else(|e| panic!("{file}: {e}"));
        rendered.push((file, template::collapse_whitespace(&q)));
    }
    assert!(rendered.len() >= 12, "{rendered:?}");
    promtool_check(&rendered).unwrap_or_else(|e| panic!("promtool rejected a query: {e}"));
}

#[test]
fn templates_equal_the_builtin_queries_of_their_provider() {
    use BuiltinMetric::{RequestDuration as Latency, RequestSuccessRate as Success};
    // (file, observer, metric, suffix the template adds to report milliseconds)
    let same = [
        ("istio-success-rate", Observer::Istio, Success, ""),
        ("istio-latency-p99", Observer::Istio, Latency, ""),
        ("linkerd-success-rate", Observer::Linkerd, Success, ""),
        ("linkerd-latency-p99", Observer::Linkerd, Latency, ""),
        ("nginx-success-rate", Observer::Nginx, Success, ""),
        ("contour-success-rate", Observer::Contour, Success, ""),
        ("contour-latency-p99", Observer::Contour, Latency, ""),
        ("gatewayapi-envoy-success-rate", Observer::Contour, Success, ""),
        ("gatewayapi-envoy-latency-p99", Observer::Contour, Latency, ""),
        ("http-success-rate", Observer::Http, Success, ""),
        // The built-in P99 of the HTTP observer is in seconds (scaled by the controller); the
        // template reports milliseconds itself.
        ("http-latency-p99", Observer::Http, Latency, "*1000"),
    ];
    let all = templates();
    for (file, observer, metric, suffix) in same {
        let t = &all.iter().find(|(n, _)| n == file).unwrap_or_else(|| panic!("{file} missing")).1;
        let ours = template::render(&t.spec.query, &model()).unwrap();
        let builtin = observer.render(metric, &model()).unwrap();
        assert_eq!(squash(&ours), squash(&format!("{builtin}{suffix}")), "{file} differs from the built-in query");
    }
}

#[test]
fn the_checks_reject_broken_queries() {
    assert!(promql_shape("sum(rate(x{a=\"(\"}[1m])").is_err());
    assert!(promql_shape("sum(rate(x{a=\"{{ target }}\"}[1m]))").is_err());
    assert!(promql_shape("sum(rate(x{a=\")\"}[1m]))").is_ok());
    let err = promtool_check(&[("bad".into(), "sum(rate(x[1m]) by".into())]).unwrap_err();
    assert!(err.contains("bad") || err.contains("parse"), "{err}");
    assert!(promtool_check(&[("good".into(), "sum(rate(x[1m]))".into())]).is_ok());
}
