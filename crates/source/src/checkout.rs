//! Write a commit's tree into a directory (no `.git`, no smudge filters, like go-git's checkout).
//!
//! Files get 0644 (0755 when executable in Git); symlinks and submodules are not written, which
//! matches what the artifact keeps anyway.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use gix::ObjectId;
use gix::objs::tree::EntryKind;

use crate::error::SourceError;

/// Statistics of a checkout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckoutStats {
    pub files: usize,
    pub dirs: usize,
    pub skipped_symlinks: usize,
    pub skipped_submodules: usize,
}

/// Write the tree of `commit` into `dest` (created if missing; must be empty if it exists).
/// Stops with `Interrupted` when `interrupt` is set (the caller's deadline passed); `dest` may then
/// hold a partial tree, so callers check out into a fresh directory.
pub(crate) fn write_tree(
    repo: &gix::Repository,
    url: &str,
    commit: ObjectId,
    dest: &Path,
    interrupt: &AtomicBool,
) -> Result<CheckoutStats, SourceError> {
    let obj_err = |id: ObjectId| {
        let url = url.to_owned();
        move |source| SourceError::Object { id: id.to_string(), url, source }
    };
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| SourceError::Checkout { path, source }
    };
    std::fs::create_dir_all(dest).map_err(io_err(dest))?;
    if std::fs::read_dir(dest).map_err(io_err(dest))?.next().is_some() {
        return Err(io_err(dest)(std::io::Error::new(
            std::io::ErrorKind::DirectoryNotEmpty,
            "checkout directory is not empty",
        )));
    }
    let tree_id = repo.find_commit(commit).and_then(|c| c.tree_id()).map_err(obj_err(commit))?.detach();
    let mut stats = CheckoutStats::default();
    let mut stack = vec![(tree_id, dest.to_owned())];
    while let Some((id, dir)) = stack.pop() {
        if interrupt.load(Ordering::Relaxed) {
            return Err(io_err(dest)(std::io::Error::new(std::io::ErrorKind::Interrupted, "deadline passed")));
        }
        let tree = repo.find_tree(id).map_err(obj_err(id))?;
        let decoded = tree.decode().map_err(obj_err(id))?;
        for entry in &decoded.entries {
            let name = std::str::from_utf8(entry.filename).ok().filter(|n| is_safe_name(n));
            let Some(name) = name else {
                tracing::warn!(tree = %id, "skipping a tree entry with an unsafe or non-UTF-8 name");
                continue;
            };
            let path = dir.join(name);
            let oid = entry.oid.to_owned();
            match entry.mode.kind() {
                EntryKind::Tree => {
                    std::fs::create_dir(&path).map_err(io_err(&path))?;
                    stats.dirs += 1;
                    stack.push((oid, path));
                }
                kind @ (EntryKind::Blob | EntryKind::BlobExecutable) => {
                    let blob = repo.find_blob(oid).map_err(obj_err(oid))?;
                    write_file(&path, &blob.data, kind == EntryKind::BlobExecutable).map_err(io_err(&path))?;
                    stats.files += 1;
                }
                EntryKind::Link => stats.skipped_symlinks += 1,
                EntryKind::Commit => stats.skipped_submodules += 1,
            }
        }
    }
    Ok(stats)
}

/// A single path component that cannot escape `dest` or touch Git metadata.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.eq_ignore_ascii_case(".git")
        && !name.contains(['/', '\\', '\0'])
}

fn write_file(path: &Path, data: &[u8], executable: bool) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, if executable { 0o755 } else { 0o644 });
    #[cfg(not(unix))]
    let _ = executable;
    let mut f = opts.open(path)?;
    f.write_all(data)
}

#[cfg(test)]
mod tests {
    use super::is_safe_name;

    #[test]
    fn rejects_escaping_names() {
        for bad in ["", ".", "..", ".git", ".GIT", "a/b", "a\\b", "a\0"] {
            assert!(!is_safe_name(bad), "{bad:?}");
        }
        assert!(is_safe_name(".gitignore"));
        assert!(is_safe_name("..."));
    }
}
