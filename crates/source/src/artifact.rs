//! Deterministic `tar.gz` artifact of a checkout, as Flux's `Storage.Archive` builds it.
//!
//! Entries are written in walk order (each directory's entries sorted by name, depth first), with
//! uid/gid 0, empty user/group names, mtime 0 and Flux's default modes (dirs 0750, files 0600,
//! executables 0700). Symlinks and other non-regular files are skipped; so is anything excluded by
//! [`IgnoreRules`]. The same tree always gives byte-identical output.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::SourceError;
use crate::ignore::IgnoreRules;

/// Flux's `DefaultDirMode`.
pub const DIR_MODE: u32 = 0o750;
/// Flux's `DefaultFileMode`.
pub const FILE_MODE: u32 = 0o600;
/// Flux's `DefaultExeFileMode`.
pub const EXE_FILE_MODE: u32 = 0o700;

/// Digest and size of a built artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactInfo {
    /// `sha256:<hex>` of the tar.gz bytes.
    pub digest: String,
    /// Size of the tar.gz in bytes.
    pub size: u64,
}

/// Write the artifact of `dir` (filtered by `.sourceignore` files and `spec_ignore`) to `out`.
pub fn write_artifact<W: Write>(dir: &Path, spec_ignore: Option<&str>, out: W) -> Result<ArtifactInfo, SourceError> {
    let rules = IgnoreRules::load(dir, spec_ignore)?;
    write_artifact_with(dir, &rules, out)
}

/// Like [`write_artifact`], into `path`, atomically (temp file in the same directory, then rename).
pub fn write_artifact_file(dir: &Path, spec_ignore: Option<&str>, path: &Path) -> Result<ArtifactInfo, SourceError> {
    let io = |source| SourceError::Archive { path: path.to_owned(), source };
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io)?;
    let tmp = tempfile::NamedTempFile::new_in(parent).map_err(io)?;
    let info = write_artifact(dir, spec_ignore, BufWriter::new(tmp.as_file()))?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(info)
}

/// Write the artifact with already loaded rules.
pub fn write_artifact_with<W: Write>(dir: &Path, rules: &IgnoreRules, out: W) -> Result<ArtifactInfo, SourceError> {
    let archive_err = |source| SourceError::Archive { path: dir.to_owned(), source };
    let meta = std::fs::metadata(dir).map_err(archive_err)?;
    if !meta.is_dir() {
        return Err(archive_err(io::Error::new(io::ErrorKind::NotADirectory, "not a directory")));
    }
    let counting = HashingWriter { inner: out, hasher: Sha256::new(), written: 0 };
    let gz = flate2::GzBuilder::new().mtime(0).write(counting, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut entries = Vec::new();
    walk(dir, "", rules, &mut entries)?;
    for entry in entries {
        append(&mut tar, dir, &entry).map_err(|source| SourceError::Archive { path: dir.join(&entry.rel), source })?;
    }
    let gz = tar.into_inner().map_err(archive_err)?;
    let mut counting = gz.finish().map_err(archive_err)?;
    counting.inner.flush().map_err(archive_err)?;
    Ok(ArtifactInfo { digest: format!("sha256:{}", hex(&counting.hasher.finalize())), size: counting.written })
}

struct Entry {
    rel: String,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File { executable: bool },
}

/// Depth-first, names sorted within each directory (Go's `filepath.Walk` order).
fn walk(root: &Path, rel: &str, rules: &IgnoreRules, out: &mut Vec<Entry>) -> Result<(), SourceError> {
    let dir: PathBuf = if rel.is_empty() { root.to_owned() } else { root.join(rel) };
    let io = |source| SourceError::Archive { path: dir.clone(), source };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let Ok(name) = entry.file_name().into_string() else {
            tracing::warn!(dir = %dir.display(), "skipping a file whose name is not UTF-8");
            continue;
        };
        names.push((name, entry.file_type().map_err(io)?));
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, file_type) in names {
        let child = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        if file_type.is_dir() {
            if child == ".git" {
                continue;
            }
            if !rules.is_excluded(&child, true) {
                out.push(Entry { rel: child.clone(), kind: Kind::Dir });
            }
            walk(root, &child, rules, out)?;
        } else if file_type.is_file() && !rules.is_excluded(&child, false) {
            let executable = is_executable(&root.join(&child)).map_err(io)?;
            out.push(Entry { rel: child, kind: Kind::File { executable } });
        }
    }
    Ok(())
}

fn append<W: Write>(tar: &mut tar::Builder<W>, root: &Path, entry: &Entry) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_username("")?;
    header.set_groupname("")?;
    match entry.kind {
        Kind::Dir => {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(DIR_MODE);
            header.set_size(0);
            tar.append_data(&mut header, format!("{}/", entry.rel), io::empty())
        }
        Kind::File { executable } => {
            let mut file = File::open(root.join(&entry.rel))?;
            let len = file.metadata()?.len();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(if executable { EXE_FILE_MODE } else { FILE_MODE });
            header.set_size(len);
            tar.append_data(&mut header, &entry.rel, (&mut file).take(len))
        }
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> io::Result<bool> {
    Ok(false)
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An artifact's digest as Flux writes it in `status.artifact.digest`: `sha256:<hex>`.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex(&sha2::Sha256::digest(bytes)))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
