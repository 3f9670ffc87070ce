//! A real OCI registry for `glidepath demo --scenario gitops`: the Debian package's
//! `docker-registry`, found like Prometheus, serving 127.0.0.1 with filesystem storage in the
//! demo's directory and killed when dropped; and the small images the demo pushes to it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use glidepath_oci::{Client, ClientOptions, Credentials, OCI_MANIFEST, Repository};

/// How to get the registry when it is missing; printed as is.
pub const INSTALL_HINT: &str = "glidepath demo --scenario gitops needs the docker-registry binary and found none.\n\
     Install it with one of:\n  \
       sudo apt-get install -y docker-registry   # Debian, Ubuntu\n  \
       scripts/install-test-deps.sh              # from a Glidepath checkout (does the same)\n\
     or pass --registry /path/to/docker-registry (env GLIDEPATH_REGISTRY).";

/// The registry binary: `explicit`, else `docker-registry` on PATH, else /usr/bin/docker-registry.
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    super::prometheus::find_binary(explicit, "docker-registry")
}

/// The registry's configuration: filesystem storage under `data`, plain HTTP on `addr`.
pub fn config(data: &Path, addr: &str) -> String {
    format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
        data.display()
    )
}

/// A running `docker-registry serve`, killed on drop.
#[derive(Debug)]
pub struct Registry {
    _child: tokio::process::Child,
    /// `127.0.0.1:<port>`, the host part of image references.
    pub addr: String,
    pub log: PathBuf,
    client: Client,
}

impl Registry {
    /// Start `binary` with its data, config and log under `dir`; wait until it answers `/v2/`.
    pub async fn start(binary: &Path, dir: &Path) -> anyhow::Result<Registry> {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = format!("127.0.0.1:{port}");
        let config_path = dir.join("config.yml");
        std::fs::write(&config_path, config(&dir.join("data"), &addr))
            .with_context(|| format!("write {}", config_path.display()))?;
        let log = dir.join("registry.log");
        let log_file = std::fs::File::create(&log).with_context(|| format!("create {}", log.display()))?;
        let child = tokio::process::Command::new(binary)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let options = ClientOptions { insecure: true, timeout: Duration::from_secs(10), ..Default::default() };
        let client = Client::new(options, Credentials::Anonymous).context("make the registry client")?;
        let registry = Registry { _child: child, addr, log, client };
        registry.wait_ready().await?;
        Ok(registry)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let ready = http.get(format!("http://{}/v2/", self.addr)).timeout(Duration::from_secs(2)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!("docker-registry did not answer within 30 s; see {}", self.log.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `127.0.0.1:<port>/<name>`, as an image reference without a tag.
    pub fn image(&self, name: &str) -> String {
        format!("{}/{name}", self.addr)
    }

    /// Push a small image (a config blob, one layer, the manifest) as `name:tag`; returns the
    /// manifest digest.
    pub async fn push(&self, name: &str, tag: &str) -> anyhow::Result<String> {
        let repo = Repository { registry: self.addr.clone(), name: name.to_owned() };
        let (config, layer, manifest) = image(&format!("{name}:{tag}"))?;
        let what = format!("push {}:{tag}", self.image(name));
        self.client.push_blob(&repo, &config).await.with_context(|| format!("{what}: config blob"))?;
        self.client.push_blob(&repo, &layer).await.with_context(|| format!("{what}: layer"))?;
        self.client.put_manifest(&repo, tag, &manifest, OCI_MANIFEST).await.with_context(|| format!("{what}: manifest"))
    }
}

/// An OCI image whose content depends on `seed`: (config, layer, manifest).
fn image(seed: &str) -> anyhow::Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let config = serde_json::to_vec(&serde_json::json!({"architecture": "amd64", "os": "linux", "seed": seed}))?;
    let layer: Vec<u8> = format!("glidepath demo image {seed}\n").into_bytes();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": glidepath_oci::sha256_digest(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": glidepath_oci::sha256_digest(&layer), "size": layer.len()}],
    });
    Ok((config, layer, serde_json::to_vec(&manifest)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_serves_loopback_with_filesystem_storage() {
        let c = config(Path::new("/tmp/x/data"), "127.0.0.1:5000");
        assert!(c.contains("rootdirectory: /tmp/x/data"), "{c}");
        assert!(c.contains("addr: 127.0.0.1:5000"), "{c}");
    }

    #[test]
    fn images_differ_by_seed() {
        let (_, a, _) = image("podinfo:6.9.1").unwrap();
        let (_, b, _) = image("podinfo:6.9.2").unwrap();
        assert_ne!(a, b);
    }
}
