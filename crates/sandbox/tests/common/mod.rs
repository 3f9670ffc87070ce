//! Shared helpers for the sandbox integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use glidepath_sandbox::{Config, Sandbox, SandboxHandle};
use kube::config::{KubeConfigOptions, Kubeconfig};

pub const TIMEOUT: Duration = Duration::from_secs(60);

pub async fn start() -> SandboxHandle {
    start_with(Config::default()).await
}

pub async fn start_with(config: Config) -> SandboxHandle {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A kube-rs client built from the sandbox's kubeconfig, as a user would.
pub async fn client(sandbox: &SandboxHandle) -> kube::Client {
    let kubeconfig = Kubeconfig::from_yaml(&sandbox.kubeconfig_yaml()).expect("kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig loads");
    kube::Client::try_from(config).expect("client builds")
}

/// A raw HTTP request; returns status and parsed JSON body (Null when not JSON).
pub async fn raw(
    sandbox: &SandboxHandle,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    raw_accept(sandbox, method, path, content_type, "application/json", body).await
}

/// Like [`raw`] with an explicit Accept header.
pub async fn raw_accept(
    sandbox: &SandboxHandle,
    method: &str,
    path: &str,
    content_type: &str,
    accept: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(sandbox.addr()).await.expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nAccept: {accept}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        sandbox.addr(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    // The server may answer (413) before reading the whole body; ignore write errors after that.
    let _ = stream.write_all(&body).await;
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let code: u16 = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // Chunked responses: take the first line that parses as JSON.
    let json = serde_json::from_str(body)
        .ok()
        .or_else(|| body.lines().find_map(|l| serde_json::from_str(l).ok()))
        .unwrap_or(serde_json::Value::Null);
    (code, json)
}

pub fn yaml_docs(text: &str) -> Vec<serde_json::Value> {
    use serde::Deserialize;
    serde_norway::Deserializer::from_str(text)
        .map(|doc| serde_json::Value::deserialize(doc).expect("yaml parses"))
        .filter(|d| !d.is_null())
        .collect()
}

pub const KUBECTL: &str = "/usr/bin/kubectl";

pub struct Kubectl {
    pub dir: PathBuf,
}

impl Kubectl {
    pub fn new(kubeconfig: &str) -> Self {
        assert!(Path::new(KUBECTL).exists(), "kubectl is required at {KUBECTL}");
        let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("glidepath-sandbox-kubectl-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config"), kubeconfig).unwrap();
        assert!(kubeconfig.contains("server: http://127.0.0.1:"));
        Self { dir }
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    /// Runs kubectl; returns (success, stdout + stderr).
    pub async fn run(&self, args: &[&str]) -> (bool, String) {
        let dir = self.dir.clone();
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let out = Command::new(KUBECTL)
                .args(&args)
                .arg("--request-timeout=20s")
                .arg(format!("--cache-dir={}", dir.join("cache").display()))
                .env("KUBECONFIG", dir.join("config"))
                .env("HOME", &dir)
                .output()
                .unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            (out.status.success(), text)
        })
        .await
        .unwrap()
    }

    pub async fn ok(&self, args: &[&str]) -> String {
        let (ok, out) = self.run(args).await;
        assert!(ok, "kubectl {args:?} failed:\n{out}");
        out
    }
}

impl Drop for Kubectl {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Creates every CustomResourceDefinition of a YAML file and waits until each is Established.
pub async fn apply_crds(c: &kube::Client, path: &str) {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::runtime::wait::{await_condition, conditions};
    let crds: kube::Api<CustomResourceDefinition> = kube::Api::all(c.clone());
    let text = std::fs::read_to_string(path).unwrap();
    for doc in yaml_docs(&text) {
        let crd: CustomResourceDefinition = serde_json::from_value(doc).unwrap();
        let name = crd.metadata.name.clone().unwrap();
        crds.create(&kube::api::PostParams::default(), &crd).await.unwrap();
        await_condition(crds.clone(), &name, conditions::is_crd_established()).await.unwrap();
    }
}
