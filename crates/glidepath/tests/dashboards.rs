//! The Grafana dashboards people already have, against a REAL Prometheus (`/usr/bin/prometheus`)
//! scraping Glidepath as the chart's PodMonitor does (target labels `namespace`, `pod`): every
//! panel query of Flux's control-plane and cluster dashboards (tests/data/flux-dashboard-queries.tsv)
//! and of the dashboards the chart ships (charts/glidepath/dashboards) must return series, while
//! the sync engine reconciles good and broken objects and a canary runs its analysis.
//!
//! The few upstream panels Glidepath cannot feed are listed in [`NOT_OURS`] with the reason, and
//! asserted to be empty, so the list shrinks as kinds land.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;
use crate::sync_env;

use std::sync::Arc;
use std::time::Duration;

use glidepath::controller::{Controller, Metrics, Settings};
use glidepath_sandbox::{Config, Sandbox, TrafficConfig};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};
use sync_env::{NS, Repo, apply, config_map, git_repository, kustomization, wait_applied, wait_for};

const QUERIES: &str = include_str!("data/flux-dashboard-queries.tsv");
const DASHBOARDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../charts/glidepath/dashboards");
const HTTPROUTE_CRD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/crds/gateway-api/gateway.networking.k8s.io_httproutes.yaml"
);
/// A pod name as the chart's Deployment (`<release>-controller`) gets it.
const POD: &str = "glidepath-controller-7c9f8d6b5-x2k4q";

/// Upstream queries that read what a Glidepath process does not have, and why.
const NOT_OURS: [(&str, &str); 7] = [
    ("go_info", "Go runtime series: Glidepath is not a Go process (its own dashboard uses `up`)"),
    ("go_memstats_alloc_bytes", "Go runtime series (its own dashboard uses process_resident_memory_bytes)"),
    ("container_memory_working_set_bytes", "cAdvisor's, scraped from the kubelet, not from a controller"),
    ("controller=\"helmrepository\"", "HelmRepository is not reconciled yet"),
    ("controller=\"bucket\"", "Bucket is not reconciled yet"),
    ("controller=\"helmrelease\"", "HelmRelease is not reconciled yet"),
    ("controller=\"helmchart\"", "HelmChart is not reconciled yet"),
];

/// One panel query, with the values its dashboard's variables take here.
#[derive(Debug)]
struct Panel {
    dashboard: String,
    title: String,
    expr: String,
}

fn substitute(expr: &str, vars: &[(&str, &str)]) -> String {
    // Longest names first: `$operator_namespace` before `$namespace`.
    let mut vars = vars.to_vec();
    vars.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    vars.iter().fold(expr.to_owned(), |e, (name, value)| e.replace(&format!("${name}"), value))
}

fn upstream_panels() -> Vec<Panel> {
    let vars = [("namespace", NS), ("operator_namespace", NS)];
    QUERIES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 3, "dashboard<TAB>title<TAB>expr: {l}");
            Panel { dashboard: format!("flux {}", cols[0]), title: cols[1].into(), expr: substitute(cols[2], &vars) }
        })
        .collect()
}

/// `label_values(metric, label)` as the series Grafana reads it from.
fn variable_query(q: &str) -> String {
    let inner = q.strip_prefix("label_values(").and_then(|s| s.strip_suffix(')')).expect(q);
    let (metric, label) = inner.split_once(',').expect(q);
    format!("count by ({}) ({})", label.trim(), metric.trim())
}

/// Every target of every panel, and every variable, of the chart's dashboards.
fn shipped_panels() -> Vec<Panel> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(DASHBOARDS).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    for path in files {
        let d: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Canary metrics live in the canary's namespace; "All" is `.*` (the variables' allValue).
        let ns = if name.contains("control-plane") { NS } else { ".*" };
        for v in d["templating"]["list"].as_array().unwrap().iter().filter(|v| v["type"] == "query") {
            let q = v["query"]["query"].as_str().unwrap();
            out.push(Panel {
                dashboard: name.clone(),
                title: format!("${}", v["name"].as_str().unwrap()),
                expr: variable_query(q),
            });
        }
        for p in d["panels"].as_array().unwrap() {
            for t in p["targets"].as_array().unwrap() {
                let expr = substitute(t["expr"].as_str().unwrap(), &[("namespace", ns)]);
                out.push(Panel { dashboard: name.clone(), title: p["title"].as_str().unwrap().into(), expr });
            }
        }
    }
    out
}

const ALERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../charts/glidepath/files/alerts.yaml");

/// Scrape the controller with the target labels the chart's PodMonitor gives it, and the
/// sandbox (the traffic simulator's series); evaluate the chart's alert rules.
fn prometheus_config(controller: &str, sandbox: &str) -> String {
    format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ['{ALERTS}']\nscrape_configs:\n\
         - job_name: glidepath\n  static_configs:\n  - targets: ['{controller}']\n    labels:\n      namespace: {NS}\n      pod: {POD}\n      container: glidepath\n\
         - job_name: sandbox\n  static_configs:\n  - targets: ['{sandbox}']\n"
    )
}

fn canary() -> Value {
    support::gatewayapi_canary(
        json!({"interval": "10s", "threshold": 5, "maxWeight": 50, "stepWeight": 10, "metrics": [
            {"name": "request-success-rate", "interval": "10s", "thresholdRange": {"min": 90}}
        ]}),
    )
}

fn podinfo(image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "podinfo", "namespace": "test", "labels": {"app": "podinfo"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "podinfo"}},
            "template": {"metadata": {"labels": {"app": "podinfo"}},
                "spec": {"containers": [{"name": "podinfo", "image": image, "ports": [{"containerPort": 9898}]}]}}}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_panel_reads_series_from_glidepath() {
    tokio::time::timeout(Duration::from_secs(170), dashboards()).await.expect("test finishes in 170 s");
}

async fn dashboards() {
    let binary = glidepath::demo::prometheus::find(None).expect("prometheus binary (scripts/install-test-deps.sh)");
    let traffic = TrafficConfig { rps: 50.0, tick: Duration::from_millis(100), ..TrafficConfig::default() };
    let sandbox = Sandbox::start(Config { traffic: Some(traffic), ..Config::default() }).await.unwrap();
    // The controller's client, with the layer that counts `rest_client_requests_total`.
    let client =
        glidepath::controller::client_layer::client(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in glidepath_api::crdgen::all() {
        crds.create(&PostParams::default(), &crd).await.unwrap();
    }
    let routes: CustomResourceDefinition =
        serde_norway::from_str(&std::fs::read_to_string(HTTPROUTE_CRD).unwrap()).unwrap();
    crds.create(&PostParams::default(), &routes).await.unwrap();
    for ns in [NS, "app", "test"] {
        apply(&client, &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}), "test").await;
    }

    let metrics = Arc::new(Metrics::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_addr = listener.local_addr().unwrap();
    let readiness = Arc::new(glidepath::probes::Readiness::default());
    tokio::spawn(glidepath::controller::http::serve(listener, Arc::clone(&metrics), readiness));
    let dir = tempfile::tempdir().unwrap();
    let config = prometheus_config(&metrics_addr.to_string(), &sandbox.addr().to_string());
    let prometheus =
        glidepath::demo::prometheus::Prometheus::start_with_config(&binary, dir.path(), &config).await.unwrap();
    let query = prometheus.query();

    // Sync: a good pair, a Kustomization whose path is missing, a source that cannot be reached.
    let settings = glidepath::sync::Settings { health_poll: Duration::from_millis(200), ..Default::default() };
    let _sync = glidepath::sync::start(client.clone(), settings).unwrap();
    let repo = Repo::new();
    repo.write("apps/cm.yaml", &config_map("dash", "1"));
    let sha = repo.commit("one");
    git_repository(&client, "repo", &repo.url(), json!({})).await;
    kustomization(&client, "apps", "./apps", json!({})).await;
    kustomization(&client, "broken", "./missing", json!({})).await;
    git_repository(&client, "unreachable", "http://127.0.0.1:9/nothing.git", json!({"timeout": "2s"})).await;
    wait_applied(&client, "apps", &sha).await;
    for (kind, name) in [("Kustomization", "broken"), ("GitRepository", "unreachable")] {
        wait_for(&client, kind, name, "Ready=False", |o| sync_env::ready(o).is_some_and(|r| r.0 == "False")).await;
    }
    // A canary through its analysis: status, weight, duration and metric-check series.
    let canary_settings = Settings {
        mesh_provider: "gatewayapi:v1".into(),
        metrics_server: prometheus.url.clone(),
        speed: 4,
        ..Settings::default()
    };
    sync_env::apply(&client, &podinfo("podinfo:1"), "test").await;
    sync_env::apply(&client, &canary(), "test").await;
    let _controller = Controller::start_with(client.clone(), canary_settings, Arc::clone(&metrics)).await.unwrap();
    support::wait_phase(&client, "Initialized", Duration::from_secs(40), &mut Vec::new()).await;
    sync_env::apply(&client, &podinfo("podinfo:2"), "test").await;

    let upstream = upstream_panels();
    let shipped = shipped_panels();
    let ours = |p: &&Panel| !NOT_OURS.iter().any(|(needle, _)| p.expr.contains(needle));
    let must: Vec<&Panel> = upstream.iter().filter(ours).chain(shipped.iter()).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(100);
    let mut empty: Vec<&Panel>;
    loop {
        empty = Vec::new();
        for p in &must {
            match query.vector(&p.expr).await {
                Ok(v) if !v.is_empty() => {}
                _ => empty.push(p),
            }
        }
        if empty.is_empty() || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let report: Vec<String> = empty.iter().map(|p| format!("{} / {}: {}", p.dashboard, p.title, p.expr)).collect();
    assert!(report.is_empty(), "panels without series:\n{}\n{}", report.join("\n"), prometheus.log_tail());
    // The exceptions are still exceptions: when a kind lands, its panel moves into `must`.
    for p in upstream.iter().filter(|p| !ours(p)) {
        let v = query.vector(&p.expr).await.unwrap();
        assert!(v.is_empty(), "{} / {} now has series: take it off NOT_OURS ({})", p.dashboard, p.title, p.expr);
    }
    // Scraped through target labels, the object's namespace reads as exported_namespace.
    let info = query.vector(r#"gotk_resource_info{customresource_kind="Kustomization",name="broken"}"#).await.unwrap();
    assert_eq!(info.len(), 1, "{info:?}");
    assert_eq!(info[0].0["exported_namespace"], NS);
    assert_eq!(info[0].0["ready"], "False");
    assert_eq!(info[0].0["source_name"], "repo");
    assert!(must.len() > 40, "{} queries checked", must.len());
    alert_rules_load_and_the_broken_kustomization_is_pending(&prometheus.url).await;
}

/// Every rule of files/alerts.yaml loads and evaluates; the reconciliation-failure alert is
/// pending (its `for` is 10 minutes) for the broken Kustomization and no other object.
async fn alert_rules_load_and_the_broken_kustomization_is_pending(url: &str) {
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let body: Value = http.get(format!("{url}/api/v1/rules")).send().await.unwrap().json().await.unwrap();
        let rules: Vec<&Value> =
            body["data"]["groups"].as_array().unwrap().iter().flat_map(|g| g["rules"].as_array().unwrap()).collect();
        assert_eq!(rules.len(), 6, "{body:#}");
        let evaluated = rules.iter().all(|r| r["health"] == "ok");
        let failing = rules.iter().find(|r| r["name"] == "GlidepathReconciliationFailure").unwrap();
        let names: Vec<(&str, &str)> = failing["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["labels"]["kind"].as_str().unwrap(), a["labels"]["name"].as_str().unwrap()))
            .collect();
        if evaluated && !names.is_empty() {
            let mut names = names;
            names.sort();
            assert_eq!(names, [("GitRepository", "unreachable"), ("Kustomization", "broken")], "{failing:#}");
            assert_eq!(failing["alerts"][0]["state"], "pending");
            let down = rules.iter().find(|r| r["name"] == "GlidepathControllerDown").unwrap();
            assert_eq!(down["alerts"], json!([]), "the controller is up");
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "rules not evaluated: {body:#}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
