//! A real Prometheus server (the Debian package's binary) for the demo: found, configured to
//! scrape the sandbox, started on a free loopback port and killed when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;

/// How to get Prometheus when it is missing; printed as is.
pub const INSTALL_HINT: &str = "glidepath demo needs a Prometheus server binary and found none.\n\
     Install it with one of:\n  \
       sudo apt-get install -y prometheus        # Debian, Ubuntu\n  \
       scripts/install-test-deps.sh              # from a Glidepath checkout (does the same)\n\
     or pass --prometheus /path/to/prometheus (env GLIDEPATH_PROMETHEUS).";

/// The Prometheus binary: `explicit`, else `prometheus` on PATH, else /usr/bin/prometheus.
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    find_binary(explicit, "prometheus")
}

/// A binary the demo runs: `explicit`, else `name` on PATH, else `/usr/bin/<name>`.
pub fn find_binary(explicit: Option<&Path>, name: &str) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return p.is_file().then(|| p.to_owned());
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path.into_iter().chain([Path::new("/usr/bin").join(name)]).find(|p| p.is_file())
}

/// The scrape configuration: the sandbox's `/metrics` every second.
pub fn config(sandbox_addr: &str, scrape: Duration) -> String {
    let s = scrape.as_millis();
    format!(
        "global:\n  scrape_interval: {s}ms\n  evaluation_interval: {s}ms\n\
         scrape_configs:\n  - job_name: sandbox\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['{sandbox_addr}']\n"
    )
}

/// A running Prometheus, killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    child: Option<tokio::process::Child>,
    pub url: String,
    pub log: PathBuf,
}

impl Prometheus {
    /// Start `binary` with its data and log under `dir`, scraping `sandbox_addr`; wait until
    /// it answers `/-/ready` (at most 60 s).
    pub async fn start(binary: &Path, dir: &Path, sandbox_addr: &str) -> anyhow::Result<Prometheus> {
        Self::start_with_config(binary, dir, &config(sandbox_addr, Duration::from_secs(1))).await
    }

    /// [`Prometheus::start`] with a configuration of the caller's (other scrape targets).
    pub async fn start_with_config(binary: &Path, dir: &Path, config: &str) -> anyhow::Result<Prometheus> {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).with_context(|| format!("write {}", config_path.display()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = dir.join("prometheus.log");
        let log_file = std::fs::File::create(&log).with_context(|| format!("create {}", log.display()))?;
        let child = tokio::process::Command::new(binary)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let prom = Prometheus { child: Some(child), url: format!("http://127.0.0.1:{port}"), log };
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let ready = http.get(format!("{}/-/ready", prom.url)).timeout(Duration::from_secs(2)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(prom);
            }
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!("Prometheus did not become ready within 60 s; see {}", prom.log.display());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Prometheus {
    /// Kill the server now (tests of an unreachable metrics backend).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// The last lines of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    pub fn query(&self) -> Query {
        Query::new(&self.url)
    }
}

/// Instant queries against Prometheus's HTTP API, for the live view and the summary.
#[derive(Clone, Debug)]
pub struct Query {
    http: reqwest::Client,
    url: String,
}

impl Query {
    pub fn new(url: &str) -> Query {
        Query { http: reqwest::Client::new(), url: url.trim_end_matches('/').to_owned() }
    }

    /// Every series of an instant vector: (labels, value).
    pub async fn vector(&self, promql: &str) -> anyhow::Result<Vec<(serde_json::Map<String, serde_json::Value>, f64)>> {
        let body: serde_json::Value = self
            .http
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", promql)])
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .context("query Prometheus")?
            .error_for_status()
            .context("query Prometheus")?
            .json()
            .await
            .context("read Prometheus answer")?;
        let result = body["data"]["result"].as_array().cloned().unwrap_or_default();
        Ok(result
            .into_iter()
            .filter_map(|s| {
                let labels = s["metric"].as_object().cloned().unwrap_or_default();
                let value = s["value"][1].as_str()?.parse::<f64>().ok()?;
                Some((labels, value))
            })
            .collect())
    }

    /// The single value of a query, `None` when it has no data (or is NaN).
    pub async fn scalar(&self, promql: &str) -> anyhow::Result<Option<f64>> {
        Ok(self.vector(promql).await?.first().map(|(_, v)| *v).filter(|v| v.is_finite()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_scrapes_the_sandbox() {
        let c = config("127.0.0.1:4567", Duration::from_secs(1));
        assert!(c.contains("scrape_interval: 1000ms"));
        assert!(c.contains("targets: ['127.0.0.1:4567']"));
        assert!(c.contains("metrics_path: /metrics"));
    }

    #[test]
    fn an_explicit_binary_that_does_not_exist_is_not_found() {
        assert_eq!(find(Some(Path::new("/nonexistent/prometheus"))), None);
    }
}
