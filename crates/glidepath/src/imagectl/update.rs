//! The Setters strategy over a working tree: every `*.yaml` / `*.yml` file under the update
//! path that holds the marker token gets [`glidepath_image::apply`]; only changed files are
//! written, and only their marked scalars differ.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use glidepath_image::message::FileChanges;
use glidepath_image::setters::TOKEN;
use glidepath_image::{ImageError, ImageRef};

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("failed to read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write {path}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}")]
    Setters {
        path: String,
        #[source]
        source: ImageError,
    },
}

/// `root` joined with `path` without leaving `root` (securejoin's rule: `..` stops at the root).
pub fn secure_join(root: &Path, path: &str) -> PathBuf {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::ParentDir => {
                parts.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    parts.iter().fold(root.to_path_buf(), |acc, p| acc.join(p))
}

/// Applies `values` (`"ns:name"` → image) to the files under `root/path`; the changes per file,
/// keyed by the path relative to the update path. Symlinks and `.git` are not followed.
pub fn apply_setters(root: &Path, path: &str, values: &BTreeMap<String, ImageRef>) -> Result<FileChanges, UpdateError> {
    let base = secure_join(root, path);
    let mut files = Vec::new();
    collect(&base, &mut files);
    files.sort();
    let mut changes = FileChanges::new();
    for file in files {
        let rel = file.strip_prefix(&base).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            // Not UTF-8: no marker can be in it.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => continue,
            Err(source) => return Err(UpdateError::Read { path: rel, source }),
        };
        if !text.contains(TOKEN) {
            continue;
        }
        let edit = glidepath_image::apply(&text, values)
            .map_err(|source| UpdateError::Setters { path: rel.clone(), source })?;
        let Some(edit) = edit else { continue };
        std::fs::write(&file, &edit.text).map_err(|source| UpdateError::Write { path: rel.clone(), source })?;
        changes.insert(rel, edit.objects);
    }
    Ok(changes)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if kind.is_dir() && entry.file_name() != ".git" {
            collect(&path, out);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_update_path_cannot_leave_the_tree() {
        let root = Path::new("/w");
        assert_eq!(secure_join(root, "../../etc"), PathBuf::from("/w/etc"));
        assert_eq!(secure_join(root, "./apps/../base/"), PathBuf::from("/w/base"));
        assert_eq!(secure_join(root, "/abs"), PathBuf::from("/w/abs"));
        assert_eq!(secure_join(root, ""), PathBuf::from("/w"));
    }

    #[test]
    fn only_marked_yaml_files_under_the_path_change() {
        let tmp = tempfile::tempdir().unwrap();
        let apps = tmp.path().join("apps");
        std::fs::create_dir_all(apps.join("nested")).unwrap();
        std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
        let marked = "kind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - image: reg/web:1.0.0 # {\"$imagepolicy\": \"apps:web\"}\n";
        std::fs::write(apps.join("nested/deploy.yaml"), marked).unwrap();
        std::fs::write(apps.join("notes.txt"), marked).unwrap();
        std::fs::write(apps.join("plain.yml"), "a: 1\n").unwrap();
        std::fs::write(tmp.path().join("outside.yaml"), marked).unwrap();
        std::os::unix::fs::symlink("/nonexistent", apps.join("broken.yaml")).unwrap();
        let values =
            [("apps:web".to_string(), ImageRef { name: "reg/web".into(), tag: "1.1.0".into(), digest: String::new() })]
                .into();
        let changes = apply_setters(tmp.path(), "./apps", &values).unwrap();
        assert_eq!(changes.keys().collect::<Vec<_>>(), ["nested/deploy.yaml"]);
        let after = std::fs::read_to_string(apps.join("nested/deploy.yaml")).unwrap();
        assert_eq!(after, marked.replace("web:1.0.0", "web:1.1.0"));
        assert_eq!(std::fs::read_to_string(apps.join("notes.txt")).unwrap(), marked);
        assert_eq!(std::fs::read_to_string(tmp.path().join("outside.yaml")).unwrap(), marked);
        assert!(apply_setters(tmp.path(), "apps", &values).unwrap().is_empty(), "a second run changes nothing");
    }
}
