//! Artifacts this process did not make: a GitRepository reconciled by another source controller
//! (or while this process runs `--controllers kustomize` alone), an OCIRepository, a Bucket or an
//! ExternalArtifact. As Flux's kustomize-controller does, the artifact is fetched from the
//! source's `status.artifact.url` and checked against `status.artifact.digest`; it is unpacked
//! once per digest and reused while it stays current.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use glidepath_api::flux::meta::Artifact;

use super::artifacts::{Stored, unpack};

/// The largest artifact fetched (Flux's artifacts are compressed manifests; a bound keeps a
/// wrong URL from filling memory).
pub const MAX_ARTIFACT_BYTES: usize = 512 << 20;

/// Why an artifact could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("failed to download artifact from {url}")]
    Download {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("failed to download artifact from {url}, status: {status}")]
    Status { url: String, status: u16 },
    #[error("artifact from {url} is larger than {MAX_ARTIFACT_BYTES} bytes")]
    TooLarge { url: String },
    #[error("failed to verify artifact: computed digest doesn't match '{expected}' (got '{actual}')")]
    Digest { expected: String, actual: String },
    #[error("unsupported digest algorithm in '{0}' (sha256 only)")]
    Algorithm(String),
    #[error("failed to store artifact in {}", dir.display())]
    Store {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `(kind, namespace, name)` of a source.
type Key = (String, String, String);

/// Fetched artifacts by source.
#[derive(Debug)]
pub struct RemoteArtifacts {
    root: PathBuf,
    http: reqwest::Client,
    map: Mutex<HashMap<Key, Arc<Stored>>>,
}

impl RemoteArtifacts {
    /// Fetched artifacts live under `root` (the controller's storage directory).
    pub fn new(root: PathBuf) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        RemoteArtifacts { root: root.join("fetched"), http, map: Mutex::default() }
    }

    /// The artifact last fetched for a source, if any (its revision answers `dependsOn`).
    pub fn current(&self, kind: &str, namespace: &str, name: &str) -> Option<Arc<Stored>> {
        let key = (kind.to_owned(), namespace.to_owned(), name.to_owned());
        self.map.lock().ok()?.get(&key).cloned()
    }

    /// The unpacked `artifact` of a source: reused when its digest is the one held, else
    /// downloaded, verified and unpacked (the previous one's files are removed).
    pub async fn get(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        artifact: &Artifact,
    ) -> Result<Arc<Stored>, FetchError> {
        if let Some(held) = self.current(kind, namespace, name).filter(|s| s.digest == artifact.digest) {
            return Ok(held);
        }
        if !artifact.digest.starts_with("sha256:") {
            return Err(FetchError::Algorithm(artifact.digest.clone()));
        }
        let bytes = self.download(&artifact.url).await?;
        let actual = glidepath_source::digest(&bytes);
        if actual != artifact.digest {
            return Err(FetchError::Digest { expected: artifact.digest.clone(), actual });
        }
        let hex = actual.trim_start_matches("sha256:");
        let base = self.root.join(kind.to_lowercase()).join(namespace).join(name);
        let (tarball, dir) = (base.join(format!("{hex}.tar.gz")), base.join(hex));
        let (t, d, b) = (tarball.clone(), dir.clone(), base.clone());
        tokio::task::spawn_blocking(move || store(&b, &t, &d, &bytes))
            .await
            .map_err(|e| FetchError::Store { dir: dir.clone(), source: std::io::Error::other(e) })?
            .map_err(|source| FetchError::Store { dir: dir.clone(), source })?;
        let stored = Arc::new(Stored {
            revision: artifact.revision.clone(),
            digest: artifact.digest.clone(),
            size: u64::try_from(artifact.size.unwrap_or_default()).unwrap_or_default(),
            path: artifact.path.clone(),
            dir,
            ignore: None,
        });
        if let Ok(mut m) = self.map.lock() {
            m.insert((kind.to_owned(), namespace.to_owned(), name.to_owned()), Arc::clone(&stored));
        }
        Ok(stored)
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let download = |source| FetchError::Download { url: url.to_owned(), source };
        let mut resp = self.http.get(url).send().await.map_err(download)?;
        if !resp.status().is_success() {
            return Err(FetchError::Status { url: url.to_owned(), status: resp.status().as_u16() });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(download)? {
            if bytes.len() + chunk.len() > MAX_ARTIFACT_BYTES {
                return Err(FetchError::TooLarge { url: url.to_owned() });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

/// Write the tarball, unpack it next to it, and drop older artifacts of the same source (a
/// build holding the previous `Stored` has its own copy of the path and finishes first: the
/// previous tree is kept one more revision, as the in-process store does).
fn store(base: &Path, tarball: &Path, dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(base)?;
    let keep: Vec<PathBuf> = newest(base, 2);
    if let Ok(entries) = std::fs::read_dir(base) {
        for e in entries.flatten() {
            let p = e.path();
            if !keep.contains(&p) && p != tarball && p != dir {
                let _ = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
            }
        }
    }
    std::fs::write(tarball, bytes)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    unpack(tarball, dir)
}

/// The `n` most recently modified entries of `dir` (the previous artifact's tarball and tree).
fn newest(dir: &Path, n: usize) -> Vec<PathBuf> {
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path()))).collect())
        .unwrap_or_default();
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    entries.into_iter().take(n).map(|(_, p)| p).collect()
}
