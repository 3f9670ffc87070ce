//! Chart archives and directories into chart files: Helm's `LoadArchiveFiles` (the first
//! path component is the chart's directory and is dropped; absolute paths, `..` and drive
//! letters are refused) and `LoadDir` (with `.helmignore`), both bounded in size.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::HelmError;
use crate::chart::{File, MAX_CHART_SIZE, MAX_FILE_SIZE};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The files of a gzipped tar chart archive; `name` names it in errors.
pub fn files_from_tgz(data: &[u8], name: &str) -> Result<Vec<File>, HelmError> {
    let err = |source: std::io::Error| HelmError::Archive { path: name.to_string(), source };
    let invalid = |m: &str| HelmError::Invalid(m.to_string());
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(data));
    let mut files = Vec::new();
    let mut total = 0usize;
    for entry in archive.entries().map_err(err)? {
        let mut entry = entry.map_err(err)?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let delim = if raw.contains('\\') { '\\' } else { '/' };
        let parts: Vec<&str> = raw.split(delim).collect();
        if parts.first() == Some(&"Chart.yaml") {
            return Err(invalid("chart yaml not in base directory"));
        }
        let n = parts[1..].join("/");
        if n.starts_with('/') {
            return Err(invalid("chart illegally contains absolute paths"));
        }
        let n = clean(&n);
        if n == "." {
            return Err(invalid("chart illegally contains content outside the base directory"));
        }
        if n.starts_with("..") {
            return Err(invalid("chart illegally references parent directory"));
        }
        if n.len() >= 2 && n.as_bytes()[1] == b':' && n.as_bytes()[0].is_ascii_alphabetic() {
            return Err(invalid("chart contains illegally named files"));
        }
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(HelmError::Invalid(format!("chart archive {name} contains a link, which charts may not: {n}")));
        }
        let mut buf = Vec::new();
        let read = entry.by_ref().take(MAX_FILE_SIZE as u64 + 1).read_to_end(&mut buf).map_err(err)?;
        if read > MAX_FILE_SIZE {
            return Err(HelmError::Invalid(format!(
                "decompressed chart file {n:?} is larger than the maximum file size {MAX_FILE_SIZE}"
            )));
        }
        total += read;
        if total > MAX_CHART_SIZE {
            return Err(HelmError::Invalid(format!(
                "decompressed chart is larger than the maximum size {MAX_CHART_SIZE}"
            )));
        }
        let data = buf.strip_prefix(UTF8_BOM).map(<[u8]>::to_vec).unwrap_or(buf);
        files.push(File { name: n, data: data.into() });
    }
    if files.is_empty() {
        return Err(invalid("no files in chart archive"));
    }
    Ok(files)
}

/// Go's `path.Clean` for relative slash paths.
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    if out.is_empty() { ".".into() } else { out.join("/") }
}

/// The files of a chart directory, `.helmignore` applied (Helm's `LoadDir`). Symbolic links
/// are followed when they stay inside the chart; links out of it are refused.
pub fn files_from_dir(dir: &Path) -> Result<Vec<File>, HelmError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HelmError::Read { path, source }
    };
    let root = std::fs::canonicalize(dir).map_err(read_err(dir))?;
    let ignore_path = root.join(".helmignore");
    let mut rules = match std::fs::read_to_string(&ignore_path) {
        Ok(text) => crate::ignore::Rules::parse(&text).map_err(HelmError::Invalid)?,
        Err(_) => crate::ignore::Rules::default(),
    };
    rules.add_defaults();
    let mut files = Vec::new();
    let mut total = 0usize;
    walk(&root, &root, "", &rules, &mut files, &mut total, 0)?;
    Ok(files)
}

/// Directory levels followed (a link to a parent directory would loop forever).
const MAX_DIR_DEPTH: usize = 64;

fn walk(
    root: &Path,
    dir: &Path,
    prefix: &str,
    rules: &crate::ignore::Rules,
    files: &mut Vec<File>,
    total: &mut usize,
    depth: usize,
) -> Result<(), HelmError> {
    let read_err = |path: PathBuf| move |source| HelmError::Read { path, source };
    if depth > MAX_DIR_DEPTH {
        return Err(HelmError::Invalid(format!(
            "chart directory {} nests deeper than {MAX_DIR_DEPTH} levels (a link loop?)",
            dir.display()
        )));
    }
    let mut entries: Vec<(String, bool)> = std::fs::read_dir(dir)
        .map_err(read_err(dir.to_path_buf()))?
        .filter_map(Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.file_type().is_ok_and(|t| t.is_symlink())))
        .collect();
    entries.sort();
    for (name, is_link) in entries {
        let path = dir.join(&name);
        let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        // Links are followed when they stay inside the chart (Helm follows all of them).
        let real = if is_link { std::fs::canonicalize(&path).map_err(read_err(path.clone()))? } else { path.clone() };
        if is_link && !real.starts_with(root) {
            return Err(HelmError::Invalid(format!(
                "chart file {rel:?} is a link to {}, outside the chart",
                real.display()
            )));
        }
        let meta = std::fs::metadata(&real).map_err(read_err(path.clone()))?;
        if meta.is_dir() {
            // A link back to a directory being walked would loop.
            if is_link && (dir.starts_with(&real) || std::fs::canonicalize(dir).is_ok_and(|d| d.starts_with(&real))) {
                return Err(HelmError::Invalid(format!(
                    "chart directory {rel:?} is a link to {}, which contains it (a link loop)",
                    real.display()
                )));
            }
            if !rules.ignore(&rel, true) {
                walk(root, &path, &rel, rules, files, total, depth + 1)?;
            }
            continue;
        }
        if rules.ignore(&rel, false) {
            continue;
        }
        if !meta.is_file() {
            return Err(HelmError::Invalid(format!(
                "cannot load irregular file {} as it has file mode type bits set",
                path.display()
            )));
        }
        if meta.len() > MAX_FILE_SIZE as u64 {
            return Err(HelmError::Invalid(format!(
                "chart file {name:?} is larger than the maximum file size {MAX_FILE_SIZE}"
            )));
        }
        let data = std::fs::read(&real).map_err(read_err(path.clone()))?;
        *total += data.len();
        if *total > MAX_CHART_SIZE {
            return Err(HelmError::Invalid(format!("chart is larger than the maximum size {MAX_CHART_SIZE}")));
        }
        let data = data.strip_prefix(UTF8_BOM).map(<[u8]>::to_vec).unwrap_or(data);
        files.push(File { name: rel, data: data.into() });
    }
    Ok(())
}
