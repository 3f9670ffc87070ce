//! In-process artifact storage shared by the GitRepository and Kustomization controllers: the
//! artifact tarball (as Flux stores it) and its unpacked tree, which Kustomizations build from
//! without downloading or untarring anything (flux2#5470's hotspot).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// One stored artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// `main@sha1:<hex>`.
    pub revision: String,
    /// `sha256:<hex>` of the tarball.
    pub digest: String,
    pub size: u64,
    /// Storage-relative path of the tarball: `gitrepository/<ns>/<name>/<commit>.tar.gz`.
    pub path: String,
    /// The unpacked tree (what the tarball holds, ignore rules applied).
    pub dir: PathBuf,
    /// `spec.ignore` the artifact was built with.
    pub ignore: Option<String>,
}

impl Stored {
    /// `status.artifact` for this artifact, served by this process at `host`, written `now`.
    pub fn status_artifact(
        &self,
        host: &str,
        metadata: Option<std::collections::BTreeMap<String, String>>,
        now: k8s_openapi::jiff::Timestamp,
    ) -> glidepath_api::flux::meta::Artifact {
        glidepath_api::flux::meta::Artifact {
            path: self.path.clone(),
            url: format!("http://{host}/{}", self.path),
            revision: self.revision.clone(),
            digest: self.digest.clone(),
            last_update_time: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now)),
            size: i64::try_from(self.size).ok(),
            metadata,
        }
    }
}

/// Artifacts by GitRepository `(namespace, name)`.
#[derive(Debug)]
pub struct ArtifactStore {
    root: PathBuf,
    map: RwLock<HashMap<(String, String), Arc<Stored>>>,
    /// `(namespace, name)` of each artifact stored, for the Kustomizations that use it.
    stored: tokio::sync::broadcast::Sender<(String, String)>,
}

impl ArtifactStore {
    pub fn new(root: PathBuf) -> Self {
        ArtifactStore { root, map: RwLock::new(HashMap::new()), stored: tokio::sync::broadcast::channel(1024).0 }
    }

    /// Hear of every artifact stored from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<(String, String)> {
        self.stored.subscribe()
    }

    /// Every artifact stored from now on, as a stream (a lagging reader skips, never stops).
    pub fn stored_events(&self) -> impl futures::Stream<Item = (String, String)> + Send + 'static {
        futures::stream::unfold(self.subscribe(), |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(key) => return Some((key, rx)),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<Stored>> {
        self.map.read().ok()?.get(&(namespace.to_owned(), name.to_owned())).cloned()
    }

    /// Store a new artifact; the previous one's files are removed (Kustomizations holding its
    /// `Arc` finish their build first: directories are removed only when no reconcile uses them).
    pub fn put(&self, namespace: &str, name: &str, stored: Stored) -> Arc<Stored> {
        let stored = Arc::new(stored);
        let old = self
            .map
            .write()
            .ok()
            .and_then(|mut m| m.insert((namespace.to_owned(), name.to_owned()), Arc::clone(&stored)));
        // Nobody listening (no Kustomization controller) is fine.
        let _ = self.stored.send((namespace.to_owned(), name.to_owned()));
        if let Some(old) = old
            && old.dir != stored.dir
        {
            // Keep the previous tree around one more revision (Flux keeps 2 artifacts): a reconcile
            // may still be reading it. Anything older than that goes.
            let parent = old.dir.parent().map(Path::to_path_buf);
            if let Some(parent) = parent
                && let Ok(entries) = std::fs::read_dir(&parent)
            {
                for e in entries.flatten() {
                    let p = e.path();
                    let keep = p == old.dir
                        || p == stored.dir
                        || p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| stored.path.ends_with(n) || old.path.ends_with(n));
                    if !keep {
                        let _ = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
                    }
                }
            }
        }
        stored
    }

    /// The tarball of the current artifact stored at `path` (storage-relative, as in
    /// [`Stored::path`]); `None` for anything else.
    pub fn tarball(&self, path: &str) -> Option<PathBuf> {
        let map = self.map.read().ok()?;
        map.values().find(|s| s.path == path).map(|s| self.root.join(&s.path))
    }

    pub fn remove(&self, namespace: &str, name: &str) {
        let old = self.map.write().ok().and_then(|mut m| m.remove(&(namespace.to_owned(), name.to_owned())));
        if let Some(old) = old
            && let Some(parent) = old.dir.parent()
        {
            let _ = std::fs::remove_dir_all(parent);
        }
    }
}

/// Unpack a tarball into `dest` (created).
pub fn unpack(tarball: &Path, dest: &Path) -> std::io::Result<()> {
    let file = std::fs::File::open(tarball)?;
    std::fs::create_dir_all(dest)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    archive.set_preserve_permissions(false);
    archive.unpack(dest)
}
