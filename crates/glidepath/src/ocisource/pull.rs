//! The registry side of an OCIRepository reconcile: resolve `spec.ref` to a revision (tags
//! listed only for semver, the manifest only HEADed), then, when the artifact must be made
//! again, fetch the manifest, stream the chosen layer to disk, and extract or copy it into the
//! artifact store.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::Poll;

use glidepath_api::flux::OCIRepository;
use glidepath_api::flux::oci_validate::{LayerOperation, OciArtifactRef};
use glidepath_oci::{Client, Repository};

use super::Failure;
use super::plan::{self, ArtifactManifest, Layer};
use crate::sync::artifacts::{Stored, unpack};
use crate::sync::conditions as c;

/// Flux's reasons (`sourcev1`/`ociv1` constants).
pub const URL_INVALID: &str = "URLInvalid";
pub const OCI_PULL_FAILED: &str = "OCIArtifactPullFailed";
pub const OCI_LAYER_OPERATION_FAILED: &str = "OCIArtifactLayerOperationFailed";
pub const READ_OPERATION_FAILED: &str = "ReadOperationFailed";
/// The largest layer pulled.
const MAX_LAYER: u64 = 1 << 30;

/// What `spec.ref` resolved to.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// `<tag>@sha256:…` or `sha256:…`.
    pub revision: String,
    /// The manifest reference to fetch (its digest).
    pub digest: String,
}

fn error(reason: &'static str, message: String) -> Failure {
    Failure { reason, message, stalling: false }
}

/// The revision `spec.ref` names now (HEAD only; tags listed for a semver range).
pub async fn resolve(client: &Client, repo: &Repository, obj: &OCIRepository) -> Result<Resolved, Failure> {
    let url = &obj.spec.url;
    let tag = match obj.spec.artifact_ref() {
        OciArtifactRef::Digest(d) => {
            return Ok(Resolved { revision: plan::revision(None, &d), digest: d });
        }
        OciArtifactRef::Tag(t) => t,
        OciArtifactRef::Semver { range, filter } => {
            let failed = |m: String| {
                error(READ_OPERATION_FAILED, format!("failed to determine the artifact tag for '{url}': {m}"))
            };
            let tags = client.list_tags(repo, None).await.map_err(|e| failed(crate::error_chain(&e)))?;
            plan::semver_tag(&tags, &range, filter.as_deref()).map_err(failed)?
        }
    };
    let head = client.head_manifest(repo, &tag).await.map_err(|e| {
        error(OCI_PULL_FAILED, format!("failed to determine artifact digest: {}", crate::error_chain(&e)))
    })?;
    Ok(Resolved { revision: plan::revision(Some(&tag), &head.digest), digest: head.digest })
}

/// The manifest of `resolved`, refusing an index.
pub async fn manifest(
    client: &Client,
    repo: &Repository,
    obj: &OCIRepository,
    digest: &str,
) -> Result<ArtifactManifest, Failure> {
    let failed = |m: String| error(OCI_PULL_FAILED, format!("failed to pull artifact from '{}': {m}", obj.spec.url));
    let m = client.get_manifest(repo, digest).await.map_err(|e| failed(crate::error_chain(&e)))?;
    plan::manifest(&m.bytes, &m.media_type).map_err(failed)
}

/// A blocking file as an `AsyncWrite` (local disk writes of one layer: brief).
struct BlockingFile(std::io::BufWriter<std::fs::File>);

impl tokio::io::AsyncWrite for BlockingFile {
    fn poll_write(self: Pin<&mut Self>, _: &mut std::task::Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.get_mut().0.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.get_mut().0.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Where an artifact of `ns/name` lives under the storage root.
#[derive(Debug, Clone)]
pub struct Place {
    pub root: PathBuf,
    pub ns: String,
    pub name: String,
}

impl Place {
    fn dir(&self) -> PathBuf {
        self.root.join("ocirepository").join(&self.ns).join(&self.name)
    }
}

/// Download `layer` into a temporary file, then extract (ignore rules applied) or copy it
/// into the store: the tarball and its unpacked tree.
pub async fn store_layer(
    client: &Client,
    repo: &Repository,
    layer: &Layer,
    op: LayerOperation,
    ignore: Option<String>,
    revision: &str,
    place: Place,
) -> Result<Stored, Failure> {
    let layer_failed = move |m: String| {
        let what = match op {
            LayerOperation::Extract => "failed to extract layer contents from artifact",
            LayerOperation::Copy => "failed to copy layer from artifact",
        };
        error(OCI_LAYER_OPERATION_FAILED, format!("{what}: {m}"))
    };
    let storage = |m: String| error(c::STORAGE_OPERATION_FAILED, m);
    let tmp = tempfile::Builder::new()
        .prefix("glidepath-oci-")
        .tempdir()
        .map_err(|e| storage(format!("create work directory: {e}")))?;
    let blob = tmp.path().join("layer");
    let file = std::fs::File::create(&blob).map_err(|e| storage(format!("create layer file: {e}")))?;
    let mut writer = BlockingFile(std::io::BufWriter::new(file));
    client
        .get_blob_to(repo, &layer.digest, &mut writer, MAX_LAYER)
        .await
        .map_err(|e| layer_failed(crate::error_chain(&e)))?;
    drop(writer);
    let revision = revision.to_owned();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _in = span.enter();
        let built = build(&blob, tmp.path(), op, ignore, &revision, &place);
        drop(tmp);
        built.map_err(|(layer, m)| if layer { layer_failed(m) } else { storage(m) })
    })
    .await
    .map_err(|e| storage(format!("artifact task failed: {e}")))?
}

/// `Err((true, _))` is the layer's fault, `Err((false, _))` the storage's.
fn build(
    blob: &Path,
    work: &Path,
    op: LayerOperation,
    ignore: Option<String>,
    revision: &str,
    place: &Place,
) -> Result<Stored, (bool, String)> {
    let root = place.dir();
    let file = plan::artifact_file(revision);
    let tarball = root.join(&file);
    std::fs::create_dir_all(&root).map_err(|e| (false, format!("create {}: {e}", root.display())))?;
    let (digest, size) = match op {
        LayerOperation::Extract => {
            let content = work.join("content");
            extract(blob, &content).map_err(|e| (true, e.to_string()))?;
            let info = glidepath_source::write_artifact_file(&content, ignore.as_deref(), &tarball)
                .map_err(|e| (false, crate::error_chain(&e)))?;
            (info.digest, info.size)
        }
        LayerOperation::Copy => {
            let bytes = std::fs::read(blob).map_err(|e| (false, format!("read layer: {e}")))?;
            std::fs::write(&tarball, &bytes).map_err(|e| (false, format!("write artifact: {e}")))?;
            (glidepath_oci::sha256_digest(&bytes), bytes.len() as u64)
        }
    };
    let stem = file.trim_end_matches(".tar.gz");
    let short = digest.get(7..19).unwrap_or("0");
    let dir = root.join(format!("{stem}-{short}"));
    if !dir.is_dir() {
        let staging = root.join(format!(".{stem}.tmp"));
        let _ = std::fs::remove_dir_all(&staging);
        let unpacked = unpack(&tarball, &staging);
        if unpacked.is_err() && op == LayerOperation::Copy {
            // A copied layer need not be a tarball: Kustomizations then find an empty tree.
            let _ = std::fs::remove_dir_all(&staging);
            std::fs::create_dir_all(&staging).map_err(|e| (false, format!("create {}: {e}", staging.display())))?;
        } else {
            unpacked.map_err(|e| (false, format!("unpack artifact: {e}")))?;
        }
        std::fs::rename(&staging, &dir).map_err(|e| (false, format!("unpack artifact: {e}")))?;
    }
    let path = format!("ocirepository/{}/{}/{file}", place.ns, place.name);
    Ok(Stored { revision: revision.to_owned(), digest, size, path, dir, ignore })
}

/// Untar a gzip layer into `dest`, skipping symlinks and hard links (Flux's
/// `tar.WithSkipSymlinks`); entries never land outside `dest`.
fn extract(blob: &Path, dest: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dest)?;
    let file = std::fs::File::open(blob)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    archive.set_preserve_permissions(false);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            continue;
        }
        entry.unpack_in(dest)?;
    }
    Ok(())
}

/// `status.artifact.metadata`: the manifest's annotations (`flux push artifact` sets the source
/// URL, revision and creation time), `None` when it has none.
pub fn metadata(m: &ArtifactManifest) -> Option<BTreeMap<String, String>> {
    (!m.annotations.is_empty()).then(|| m.annotations.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(files: &[(&str, &str)], symlink: bool) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
        for (path, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, path, content.as_bytes()).unwrap();
        }
        if symlink {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, "link", "/etc/passwd").unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn an_extracted_layer_becomes_a_deterministic_artifact_with_ignore_applied() {
        let work = tempfile::tempdir().unwrap();
        let blob = work.path().join("layer");
        std::fs::write(&blob, layer(&[("apps/a.yaml", "a: 1\n"), ("README.md", "x")], true)).unwrap();
        let place = Place { root: work.path().join("store"), ns: "ns".into(), name: "n".into() };
        let rev = format!("1.0.0@sha256:{}", "b".repeat(64));
        let w1 = work.path().join("w1");
        let s = build(&blob, &w1, LayerOperation::Extract, Some("*.md".into()), &rev, &place).unwrap();
        assert_eq!(s.path, format!("ocirepository/ns/n/{}.tar.gz", "b".repeat(64)));
        assert!(s.dir.join("apps/a.yaml").is_file());
        assert!(!s.dir.join("README.md").exists(), "ignored");
        assert!(!s.dir.join("link").exists(), "symlinks are skipped");
        let again = build(&blob, &work.path().join("w2"), LayerOperation::Extract, Some("*.md".into()), &rev, &place);
        assert_eq!(again.unwrap().digest, s.digest, "deterministic");
    }

    #[test]
    fn a_copied_layer_is_stored_as_is() {
        let work = tempfile::tempdir().unwrap();
        let blob = work.path().join("layer");
        let bytes = layer(&[("chart/Chart.yaml", "name: x\n")], false);
        std::fs::write(&blob, &bytes).unwrap();
        let place = Place { root: work.path().join("store"), ns: "ns".into(), name: "n".into() };
        let rev = format!("sha256:{}", "c".repeat(64));
        let s = build(&blob, &work.path().join("w"), LayerOperation::Copy, None, &rev, &place).unwrap();
        assert_eq!(s.digest, glidepath_oci::sha256_digest(&bytes));
        assert_eq!(std::fs::read(place.root.join(&s.path)).unwrap(), bytes);
        assert!(s.dir.join("chart/Chart.yaml").is_file());
        let not_tar = work.path().join("plain");
        std::fs::write(&not_tar, b"not a tarball").unwrap();
        let rev = format!("sha256:{}", "d".repeat(64));
        assert!(build(&not_tar, &work.path().join("w3"), LayerOperation::Copy, None, &rev, &place).is_ok());
        let err = build(&not_tar, &work.path().join("w4"), LayerOperation::Extract, None, &rev, &place).unwrap_err();
        assert!(err.0, "an extract of a non-tarball is the layer's fault: {}", err.1);
    }
}
