#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Prometheus provider, built-in queries and metric checks against a REAL Prometheus
//! (`/usr/bin/prometheus`, installed by `scripts/install-test-deps.sh`) scraping a test exporter
//! on 127.0.0.1, plus auth headers against a recording mock. Bounded: the whole file < 60s.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use glidepath_analysis::provider::prometheus::PrometheusProvider;
use glidepath_analysis::provider::{MetricProvider, ProviderOptions, metrics_server, new_provider};
use glidepath_analysis::resolve::{self, MetricSource};
use glidepath_analysis::stats::{self, ComparisonConfig, WorseWhen};
use glidepath_analysis::{AnalysisError, BuiltinMetric, Observer, TemplateModel, check_metric};
use glidepath_api::flagger::analysis::CrossNamespaceRef;
use glidepath_api::flagger::{CanaryMetric, MetricProvider as ProviderSpec, MetricTemplateSpec, ThresholdRange};

const INSTALL_HINT: &str =
    "prometheus binary not found: run scripts/install-test-deps.sh (Debian package `prometheus`)";

fn prometheus_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("PROMETHEUS_BIN") {
        return PathBuf::from(p);
    }
    let in_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("prometheus"))
        .find(|p| p.is_file());
    in_path.or_else(|| Some(PathBuf::from("/usr/bin/prometheus")).filter(|p| p.is_file())).expect(INSTALL_HINT)
}

/// Exporter: counters grow linearly with time so `rate()` is constant.
/// Canary `podinfo-abc12-xyz34`: 99 ok + 1 error per second, buckets 50/90/100/100 per second
/// (P99 = 0.1 + 9/10 * 0.15 = 0.235 s). Primary `podinfo-primary-abc12-xyz34`: 100 ok per second.
fn exposition(t: f64) -> String {
    let pod = |name: &str| format!(r#"kubernetes_namespace="test",kubernetes_pod_name="{name}""#);
    let (canary, primary) = (pod("podinfo-abc12-xyz34"), pod("podinfo-primary-abc12-xyz34"));
    let mut out = String::from("# TYPE http_request_duration_seconds histogram\n");
    for (labels, ok, err) in [(&canary, 99.0, 1.0), (&primary, 100.0, 0.0)] {
        out += &format!("http_request_duration_seconds_count{{{labels},status=\"200\"}} {}\n", ok * t);
        out += &format!("http_request_duration_seconds_count{{{labels},status=\"500\"}} {}\n", err * t);
        for (le, per_sec) in [("0.05", 50.0), ("0.1", 90.0), ("0.25", 100.0), ("+Inf", 100.0)] {
            out += &format!("http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}\n", per_sec * t);
        }
    }
    out
}

async fn start_exporter() -> String {
    let start = Instant::now();
    let app = Router::new().route("/metrics", get(move || async move { exposition(start.elapsed().as_secs_f64()) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr.to_string()
}

/// A Prometheus child process, killed on drop.
struct Prometheus {
    _child: tokio::process::Child,
    address: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    async fn start(exporter: &str) -> Self {
        let binary = prometheus_binary();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: exporter\n    static_configs:\n      - targets: ['{exporter}']\n"
            ),
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.path().join("prometheus.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = tokio::process::Command::new(&binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{INSTALL_HINT}: starting {} failed: {e}", binary.display()));
        Self { _child: child, address: format!("http://127.0.0.1:{port}"), log, _dir: dir }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    }
}

/// Poll `f` until it returns `Some`, at most `limit`.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, prom: &Prometheus, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; prometheus log:\n{}", prom.log_tail());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn model(interval: &str) -> TemplateModel {
    TemplateModel {
        name: "podinfo".into(),
        namespace: "test".into(),
        target: "podinfo".into(),
        service: "podinfo".into(),
        ingress: "podinfo".into(),
        route: "podinfo".into(),
        interval: interval.into(),
        variables: BTreeMap::new(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_prometheus_end_to_end() {
    tokio::time::timeout(Duration::from_secs(55), run_real_prometheus()).await.expect("whole test must finish in 55s");
}

async fn run_real_prometheus() {
    let exporter = start_exporter().await;
    let prom = Prometheus::start(&exporter).await;
    let provider = metrics_server(&prom.address, &ProviderOptions::default()).unwrap();

    // Ready and scraped: `up` is 1 for the exporter.
    eventually("first scrape", Duration::from_secs(20), &prom, || async {
        provider.query(r#"up{job="exporter"}"#).await.ok().filter(|v| *v == 1.0)
    })
    .await;
    assert!(provider.is_online().await.unwrap());
    // `rate()` divides by the whole window: wait until the 5s windows are fully covered.
    eventually("6s of scrapes", Duration::from_secs(20), &prom, || async {
        provider.query(r#"count_over_time(up{job="exporter"}[6s])"#).await.ok().filter(|v| *v >= 6.0)
    })
    .await;

    // Built-in success rate and duration (kubernetes provider = HTTP observer), exact PromQL.
    let m = model("5s");
    let observer = Observer::for_provider(glidepath_api::flagger::Provider::Kubernetes);
    let sr_query = observer.render(BuiltinMetric::RequestSuccessRate, &m).unwrap();
    assert_eq!(
        sr_query,
        r#"sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="test", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", status!~"5.*" }[5s] ) ) / sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="test", kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[5s] ) ) * 100"#
    );
    let success_rate = eventually("a rate over two scrapes", Duration::from_secs(20), &prom, || async {
        provider.query(&sr_query).await.ok()
    })
    .await;
    assert!(close(success_rate, 99.0), "success rate {success_rate}");

    let sr_metric = CanaryMetric {
        name: "request-success-rate".into(),
        // Live rates come back as 99 ± 1e-14, so the pass case stays clear of the exact edge;
        // the edges themselves are unit-tested in `threshold`.
        threshold_range: Some(ThresholdRange { min: Some(98.9), max: None }),
        ..Default::default()
    };
    let check = check_metric(provider.as_ref(), &sr_query, &sr_metric, &m, 1.0).await.unwrap();
    assert!(close(check.value, 99.0) && check.verdict.passed, "{check:?}");
    let strict =
        CanaryMetric { threshold_range: Some(ThresholdRange { min: Some(99.5), max: None }), ..sr_metric.clone() };
    let check = check_metric(provider.as_ref(), &sr_query, &strict, &m, 1.0).await.unwrap();
    assert_eq!(check.verdict.message.as_deref(), Some("Halt podinfo.test advancement success rate 99.00% < 99.5%"));

    let dur_query = observer.render(BuiltinMetric::RequestDuration, &m).unwrap();
    let dur_metric = CanaryMetric {
        name: "request-duration".into(),
        threshold_range: Some(ThresholdRange { min: None, max: Some(500.0) }),
        ..Default::default()
    };
    let check = check_metric(provider.as_ref(), &dur_query, &dur_metric, &m, observer.to_millis()).await.unwrap();
    assert!(close(check.value, 235.0), "P99 ms {}", check.value);
    assert!(check.verdict.passed);
    let tight = CanaryMetric { threshold_range: Some(ThresholdRange { min: None, max: Some(200.0) }), ..dur_metric };
    let check = check_metric(provider.as_ref(), &dur_query, &tight, &m, observer.to_millis()).await.unwrap();
    // The P99 interpolates rates of live scrapes (~235 ms); Flagger truncates it to whole ms.
    let message = check.verdict.message.unwrap();
    let ms: f64 = message
        .strip_prefix("Halt podinfo.test advancement request duration ")
        .and_then(|m| m.strip_suffix("ms > 200ms"))
        .unwrap_or_else(|| panic!("unexpected message {message:?}"))
        .parse()
        .unwrap();
    assert!((ms - 235.0).abs() <= 1.0, "{message}");

    // A custom MetricTemplate with variables, through resolution and the template's provider.
    let template = MetricTemplateSpec {
        provider: ProviderSpec { r#type: "prometheus".into(), address: Some(prom.address.clone()), ..Default::default() },
        query: "sum(\n  rate(\n    http_request_duration_seconds_count{\n      kubernetes_namespace=\"{{ namespace }}\",\n      kubernetes_pod_name=~\"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)\",\n      status=~\"{{ variables.codes }}\"\n    }[{{ interval }}]\n  )\n)".into(),
    };
    let custom = CanaryMetric {
        name: "error-rate".into(),
        interval: Some("5s".into()),
        threshold_range: Some(ThresholdRange { min: None, max: Some(0.5) }),
        template_ref: Some(CrossNamespaceRef { name: "errors".into(), namespace: None }),
        template_variables: Some(BTreeMap::from([("codes".into(), "5..".into())])),
        ..Default::default()
    };
    let source = resolve::metric_source(&custom, "test", true).unwrap();
    assert!(matches!(&source, MetricSource::Template(k) if k.namespace == "test" && k.name == "errors"));
    let cm = TemplateModel { variables: custom.template_variables.clone().unwrap(), ..model("5s") };
    let query = resolve::render_query(&source, Some(&template), observer, &cm).unwrap();
    let template_provider = new_provider(&template.provider, None, &ProviderOptions::default()).unwrap();
    let check = check_metric(template_provider.as_ref(), &query, &custom, &cm, 1.0).await.unwrap();
    assert!((check.value - 1.0).abs() < 0.05, "{check:?}");
    assert_eq!(check.verdict.message.as_deref(), Some("Halt podinfo.test advancement error-rate 1.00 > 0.5"));

    // No values: a namespace nobody serves.
    let other = TemplateModel { namespace: "other".into(), ..model("5s") };
    let q = observer.render(BuiltinMetric::RequestSuccessRate, &other).unwrap();
    let err = check_metric(provider.as_ref(), &q, &sr_metric, &other, 1.0).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Halt advancement no values found for prometheus metric request-success-rate probably podinfo.other is not receiving traffic"
    );

    // Several series, and a range vector, are errors.
    let err = provider.query("http_request_duration_seconds_count").await.unwrap_err();
    assert!(matches!(err, AnalysisError::QueryMultipleValues { .. }), "{err}");
    let err = provider
        .query(r#"http_request_duration_seconds_count{status="500",kubernetes_pod_name="podinfo-abc12-xyz34"}[5s]"#)
        .await
        .unwrap_err();
    assert!(matches!(err, AnalysisError::QueryMultipleValues { .. }), "{err}");
    // A PromQL syntax error is a query error.
    assert!(matches!(provider.query("sum(").await, Err(AnalysisError::Query { .. })));

    // Statistical comparison on real range samples: the canary (99 %) passes the absolute
    // threshold of 98 % but is consistently worse than the primary (100 %).
    let primary_query = observer.render(BuiltinMetric::RequestSuccessRate, &m.for_primary()).unwrap();
    let (canary, primary) = eventually("6 range samples", Duration::from_secs(20), &prom, || async {
        let c = provider.samples(&sr_query, Duration::from_secs(30), Duration::from_secs(1)).await.ok()?;
        let p = provider.samples(&primary_query, Duration::from_secs(30), Duration::from_secs(1)).await.ok()?;
        (c.len() >= 6 && p.len() >= 6).then_some((c, p))
    })
    .await;
    let cfg = ComparisonConfig { worse_when: WorseWhen::Lower, ..Default::default() };
    let verdict = stats::compare(&canary, &primary, &cfg).unwrap();
    assert!(verdict.worse, "{verdict:?} canary {canary:?} primary {primary:?}");
    let same = stats::compare(&primary, &primary, &cfg).unwrap();
    assert!(!same.worse, "{same:?}");

    // A wrong address is an error, not a value.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = metrics_server(&format!("http://127.0.0.1:{dead_port}"), &ProviderOptions::default()).unwrap();
    assert!(matches!(dead.query("vector(1)").await, Err(AnalysisError::Query { .. })));
    assert!(dead.is_online().await.is_err());
}

/// Records the headers of each request and answers with a one-sample vector.
async fn header_recorder() -> (String, Arc<Mutex<Vec<HeaderMap>>>) {
    let seen: Arc<Mutex<Vec<HeaderMap>>> = Arc::default();
    let s = seen.clone();
    let app = Router::new().route(
        "/api/v1/query",
        get(move |headers: HeaderMap| async move {
            s.lock().unwrap().push(headers);
            (
                [("content-type", "application/json")],
                r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"100"]}]}}"#,
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn credentials_and_custom_headers_are_sent() {
    let (address, seen) = header_recorder().await;
    let spec = ProviderSpec {
        r#type: "prometheus".into(),
        address: Some(address),
        headers: Some(BTreeMap::from([("X-Scope-OrgID".into(), vec!["tenant-a".into()])])),
        ..Default::default()
    };
    let token = BTreeMap::from([("token".to_owned(), "s3cr3t-token".to_owned())]);
    let p = PrometheusProvider::new(&spec, Some(&token), &ProviderOptions::default()).unwrap();
    assert!(!format!("{p:?}").contains("s3cr3t"));
    assert_eq!(p.query("vector(1)").await.unwrap(), 100.0);
    let basic = BTreeMap::from([("username".to_owned(), "admin".to_owned()), ("password".to_owned(), "pw".to_owned())]);
    PrometheusProvider::new(&spec, Some(&basic), &ProviderOptions::default()).unwrap().query("x").await.unwrap();
    let seen = seen.lock().unwrap();
    let h = |i: usize, name: &str| seen[i].get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(h(0, "authorization").as_deref(), Some("Bearer s3cr3t-token"));
    assert_eq!(h(0, "x-scope-orgid").as_deref(), Some("tenant-a"));
    assert_eq!(h(1, "authorization").as_deref(), Some("Basic YWRtaW46cHc="));
}

#[tokio::test]
async fn timeout_bounds_a_hanging_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accept and never answer.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let opts = ProviderOptions { timeout: Some(Duration::from_millis(300)), ..Default::default() };
    let p = metrics_server(&format!("http://{addr}"), &opts).unwrap();
    let start = Instant::now();
    assert!(matches!(p.query("vector(1)").await, Err(AnalysisError::Query { .. })));
    assert!(start.elapsed() < Duration::from_secs(3));
}

#[test]
fn missing_address_and_bad_header_are_errors() {
    let spec = ProviderSpec { r#type: "prometheus".into(), ..Default::default() };
    assert!(matches!(
        new_provider(&spec, None, &ProviderOptions::default()),
        Err(AnalysisError::CreateProviderMissingAddress { .. })
    ));
    let spec = ProviderSpec {
        r#type: "prometheus".into(),
        address: Some("http://127.0.0.1:9090".into()),
        headers: Some(BTreeMap::from([("bad header".into(), vec!["v".into()])])),
        ..Default::default()
    };
    assert!(matches!(
        new_provider(&spec, None, &ProviderOptions::default()),
        Err(AnalysisError::CreateProviderInvalidHeader { .. })
    ));
}
