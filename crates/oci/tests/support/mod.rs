//! A real `docker-registry` on a free loopback port, fakes served by axum, and an image to push.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use glidepath_oci::{Client, ClientOptions, Credentials, OCI_MANIFEST, Repository};

/// A `docker-registry serve` process with filesystem storage in a temp dir; killed on drop.
pub struct Registry {
    child: Child,
    pub addr: String,
    pub dir: tempfile::TempDir,
}

impl Registry {
    /// No authentication.
    pub fn start() -> Self {
        Self::start_with(|_| String::new())
    }

    /// `extra(dir)` is config text placed right after `http.addr` (indented it continues the
    /// `http:` section, e.g. `  tls:`; unindented it adds a section, e.g. `auth:`); files it
    /// needs may be written into `dir`.
    pub fn start_with(extra: impl FnOnce(&Path) -> String) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let auth = extra(dir.path());
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
             delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{auth}",
            dir.path().join("data").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("docker-registry (scripts/install-test-deps.sh installs it)");
        let registry = Self { child, addr, dir };
        registry.wait_until_listening();
        registry
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(&self.addr).is_err() {
            assert!(Instant::now() < deadline, "docker-registry did not listen: {}", self.log());
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    pub fn repo(&self, name: &str) -> Repository {
        Repository { registry: self.addr.clone(), name: name.to_string() }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A plain-HTTP client with a bounded timeout.
pub fn client(credentials: Credentials) -> Client {
    Client::new(ClientOptions { insecure: true, timeout: Duration::from_secs(10), ..Default::default() }, credentials)
        .unwrap()
}

/// Serves `router` on a free loopback port.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// An OCI image: a config blob, one layer, and its manifest.
pub struct Image {
    pub config: Vec<u8>,
    pub layer: Vec<u8>,
    pub manifest: Vec<u8>,
}

impl Image {
    pub fn new(seed: &str) -> Self {
        let config = format!(r#"{{"architecture":"amd64","os":"linux","seed":"{seed}"}}"#).into_bytes();
        let layer: Vec<u8> = seed.bytes().cycle().take(100_000).collect();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": glidepath_oci::sha256_digest(&config), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": glidepath_oci::sha256_digest(&layer), "size": layer.len()}],
        });
        Self { config, layer, manifest: serde_json::to_vec(&manifest).unwrap() }
    }

    /// Pushes the blobs and the manifest under `tag`; returns the manifest digest.
    pub async fn push(&self, client: &Client, repo: &Repository, tag: &str) -> String {
        client.push_blob(repo, &self.config).await.unwrap();
        client.push_blob(repo, &self.layer).await.unwrap();
        client.put_manifest(repo, tag, &self.manifest, OCI_MANIFEST).await.unwrap()
    }
}

/// An OCI artifact as `flux push artifact` makes one: a config blob of its own media type,
/// layers of given media types, and manifest annotations.
#[allow(dead_code)] // used by glidepath's OCIRepository tests, not this crate's
pub struct Artifact {
    pub blobs: Vec<Vec<u8>>,
    pub manifest: Vec<u8>,
}

#[allow(dead_code)]
impl Artifact {
    pub fn new(
        config_media_type: &str,
        config: &[u8],
        layers: &[(&str, Vec<u8>)],
        annotations: serde_json::Value,
    ) -> Self {
        let descriptor = |media_type: &str, bytes: &[u8]| {
            serde_json::json!({"mediaType": media_type, "digest": glidepath_oci::sha256_digest(bytes),
                               "size": bytes.len()})
        };
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor(config_media_type, config),
            "layers": layers.iter().map(|(t, b)| descriptor(t, b)).collect::<Vec<_>>(),
            "annotations": annotations,
        });
        let mut blobs = vec![config.to_vec()];
        blobs.extend(layers.iter().map(|(_, b)| b.clone()));
        Self { blobs, manifest: serde_json::to_vec(&manifest).unwrap() }
    }

    /// Pushes the blobs and the manifest under `tag`; returns the manifest digest.
    pub async fn push(&self, client: &Client, repo: &Repository, tag: &str) -> String {
        for blob in &self.blobs {
            client.push_blob(repo, blob).await.unwrap();
        }
        client.put_manifest(repo, tag, &self.manifest, OCI_MANIFEST).await.unwrap()
    }
}
