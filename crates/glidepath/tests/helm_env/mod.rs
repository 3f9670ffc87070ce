//! Test bed of the Helm controllers: a chart repository that Helm itself made (`helm package` +
//! `helm repo index`, through the libhelm oracle) served by a real static HTTP server on
//! loopback (Python's `http.server`), a kubeconfig for Helm to reach the sandbox, and Helm's
//! own view of the release history (`helm history`, `helm get`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kube::Client;
use serde_json::{Value, json};

use super::sync_env::{self, NS, apply, get, ready};

pub const PODINFO: &str = "../../../shared/conformance/helm/charts/podinfo";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn podinfo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(PODINFO)
}

/// Run the release oracle (scripts/helm-release-oracle.py); its JSON answer.
pub fn oracle(args: &[&str]) -> Result<Value, String> {
    let script = repo_root().join("scripts/helm-release-oracle.py");
    let out = Command::new("python3").arg(script).args(args).output().expect("run python3");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).expect("oracle JSON"))
}

/// A static HTTP server (Python's) over a directory, on a free loopback port.
pub struct StaticServer {
    child: Child,
    pub dir: tempfile::TempDir,
    pub url: String,
}

/// Python's static file server, answering 401 unless the request carries basic auth `{user}:{password}`.
const AUTH_SERVER: &str = r#"
import base64, functools, http.server, sys
user, password, directory = sys.argv[1:4]
want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="charts"')
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=directory))
print(f"Serving HTTP on 127.0.0.1 port {server.server_address[1]} (basic auth)", flush=True)
server.serve_forever()
"#;

impl StaticServer {
    pub fn start() -> StaticServer {
        Self::spawn(None)
    }

    /// [`StaticServer::start`], answering only requests with these basic-auth credentials.
    pub fn with_basic_auth(user: &str, password: &str) -> StaticServer {
        Self::spawn(Some((user, password)))
    }

    fn spawn(auth: Option<(&str, &str)>) -> StaticServer {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("python3");
        match auth {
            Some((user, password)) => cmd.args(["-u", "-c", AUTH_SERVER, user, password]).arg(dir.path()),
            None => cmd.args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"]).arg(dir.path()),
        };
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("start a Python HTTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        // "Serving HTTP on 127.0.0.1 port 40195 (http://127.0.0.1:40195/) ..."
        let port =
            line.split(" port ").nth(1).and_then(|r| r.split_whitespace().next()).expect("port in server banner");
        StaticServer { child, dir, url: format!("http://127.0.0.1:{port}") }
    }

    /// Package `charts` (`DIR[@VERSION]`) into the served directory and index it, as `helm
    /// package` + `helm repo index --url` do.
    pub fn publish(&self, charts: &[String]) {
        let mut args = vec!["repo".to_owned(), self.dir.path().display().to_string(), self.url.clone()];
        args.extend(charts.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        oracle(&args).expect("helm package + repo index");
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A kubeconfig file for Helm (the oracle) to reach the sandbox.
pub fn kubeconfig(url: &str) -> tempfile::NamedTempFile {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: {url}\ncontexts:\n- name: s\n  context:\n    cluster: s\n    user: s\ncurrent-context: s\nusers:\n- name: s\n  user: {{}}\n"
    );
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

pub async fn helm_repository(client: &Client, name: &str, url: &str, extra: Value) {
    let mut spec = json!({"url": url, "interval": "1m"});
    for (k, v) in extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    let obj = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
        "metadata": {"name": name, "namespace": NS}, "spec": spec});
    apply(client, &obj, "test").await;
}

/// A HelmRelease of podinfo from the HelmRepository `podinfo`, with `spec` merged in.
pub fn podinfo_release(name: &str, version: &str, spec: Value) -> Value {
    let mut s = json!({
        "interval": "1m",
        "chart": {"spec": {"chart": "podinfo", "version": version,
            "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}},
    });
    for (k, v) in spec.as_object().unwrap() {
        s[k] = v.clone();
    }
    json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": NS}, "spec": s})
}

pub async fn hr(client: &Client, name: &str) -> Value {
    get(client, "helm.toolkit.fluxcd.io/v2", "HelmRelease", Some(NS), name).await.unwrap_or(Value::Null)
}

/// Poll a Flux object of `api_version`/`kind` in `flux-system` until `pred` holds (60 s bound).
pub async fn wait(
    client: &Client,
    api_version: &str,
    kind: &str,
    name: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let obj = get(client, api_version, kind, Some(NS), name).await.unwrap_or(Value::Null);
        if pred(&obj) {
            return obj;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("{kind}/{name}: timed out waiting for {what}; status: {:#}", obj["status"]);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait until the HelmRelease is Ready=True with `reason` at release `version`.
pub async fn wait_released(client: &Client, name: &str, reason: &str, version: i64) -> Value {
    wait(client, "helm.toolkit.fluxcd.io/v2", "HelmRelease", name, &format!("Ready {reason} v{version}"), |o| {
        ready(o).is_some_and(|r| r.0 == "True" && r.1 == reason) && o["status"]["lastReleaseRevision"] == version
    })
    .await
}

/// Wait until the HelmRelease is Ready=False with `reason`.
pub async fn wait_not_ready(client: &Client, kind: &str, name: &str, reason: &str) -> Value {
    let api_version = if kind == "HelmRelease" { "helm.toolkit.fluxcd.io/v2" } else { "source.toolkit.fluxcd.io/v1" };
    wait(client, api_version, kind, name, &format!("Ready=False {reason}"), |o| {
        ready(o).is_some_and(|r| r.0 == "False" && r.1 == reason)
    })
    .await
}

/// Helm's `history` of a release: `(revision, status, chart_version)`.
pub fn history(kubeconfig: &Path, ns: &str, release: &str) -> Vec<(i64, String, String)> {
    let h = oracle(&["history", &kubeconfig.display().to_string(), ns, release]).expect("helm history");
    h.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap(),
                r["status"].as_str().unwrap().to_owned(),
                r["chart_version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub use sync_env::env_with;
