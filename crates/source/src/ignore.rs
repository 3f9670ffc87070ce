//! Flux's artifact exclusions (B7): `.sourceignore` files (recursive, each scoped to its directory),
//! `spec.ignore` appended, VCS excludes always, default excludes only when there are no user patterns.
//!
//! Matching follows go-git's gitignore matcher, which Flux uses: the last matching pattern wins and a
//! pattern matching a parent directory also matches everything below it, so a later `!pattern` can
//! re-include a file inside an excluded directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gix::bstr::{BStr, ByteSlice};
use gix::glob::pattern::Case;
use gix::ignore::search::Ignore;

use crate::error::SourceError;

/// Name of the per-directory ignore file.
pub const SOURCE_IGNORE_FILE: &str = ".sourceignore";
/// Always excluded.
pub const VCS_PATTERNS: &str = ".git/\n.gitignore\n.gitmodules\n.gitattributes\n";
/// Excluded only when neither `.sourceignore` files nor `spec.ignore` provide a pattern.
pub const DEFAULT_PATTERNS: &str = "*.jpg\n*.jpeg\n*.gif\n*.png\n*.wmv\n*.flv\n*.tar.gz\n*.zip\n\
.github/\n.circleci/\n.travis.yml\n.gitlab-ci.yml\nappveyor.yml\n.drone.yml\ncloudbuild.yaml\ncodeship-*.yml\n\
**/.goreleaser.yml\n**/.sops.yaml\n**/.flux.yaml\n";

/// The compiled exclusion rules for one checkout.
#[derive(Debug)]
pub struct IgnoreRules {
    search: gix::ignore::Search,
    /// Order of each pattern list (by its source path), to compare matches across lists.
    order: HashMap<PathBuf, usize>,
    /// Number of user patterns (from `.sourceignore` files and `spec.ignore`).
    user_patterns: usize,
}

impl IgnoreRules {
    /// Load every `.sourceignore` below `root` (skipping `.git`) and append `spec_ignore`.
    pub fn load(root: &Path, spec_ignore: Option<&str>) -> Result<Self, SourceError> {
        let mut files = Vec::new();
        collect_sourceignore_files(root, root, &mut files)?;
        let mut lists: Vec<(Vec<u8>, PathBuf)> = Vec::new();
        for rel_dir in files {
            let path = root.join(&rel_dir).join(SOURCE_IGNORE_FILE);
            let bytes = std::fs::read(&path).map_err(|source| SourceError::Archive { path: path.clone(), source })?;
            lists.push((bytes, path));
        }
        if let Some(spec) = spec_ignore {
            lists.push((spec.as_bytes().to_vec(), root.join("<spec.ignore>")));
        }
        Self::from_lists(root, lists)
    }

    /// Rules from in-memory pattern lists: `(content, source path inside root)`, in order.
    fn from_lists(root: &Path, user: Vec<(Vec<u8>, PathBuf)>) -> Result<Self, SourceError> {
        let mut rules = IgnoreRules { search: gix::ignore::Search::default(), order: HashMap::new(), user_patterns: 0 };
        rules.add(root, VCS_PATTERNS.as_bytes(), root.join("<vcs>"))?;
        for (bytes, source) in user {
            rules.user_patterns += rules.add(root, &bytes, source)?;
        }
        if rules.user_patterns == 0 {
            rules.add(root, DEFAULT_PATTERNS.as_bytes(), root.join("<default>"))?;
        }
        Ok(rules)
    }

    fn add(&mut self, root: &Path, bytes: &[u8], source: PathBuf) -> Result<usize, SourceError> {
        let before = self.search.patterns.len();
        self.search
            .add_patterns_buffer(bytes, source.clone(), Some(root), Ignore { support_precious: false })
            .map_err(|e| SourceError::Archive { path: source.clone(), source: e })?;
        self.order.insert(source, before);
        Ok(self.search.patterns.last().map_or(0, |l| l.patterns.len()))
    }

    /// Whether the default excludes are active (no user pattern at all).
    pub fn uses_defaults(&self) -> bool {
        self.user_patterns == 0
    }

    /// Is `rel_path` (slash-separated, relative to the checkout root) excluded from the artifact?
    pub fn is_excluded(&self, rel_path: &str, is_dir: bool) -> bool {
        let mut best: Option<((usize, usize), bool)> = None;
        let mut consider = |candidate: &str, dir: bool| {
            let path: &BStr = candidate.as_bytes().as_bstr();
            let Some(m) = self.search.pattern_matching_relative_path(path, Some(dir), Case::Sensitive) else {
                return;
            };
            let list = m.source.and_then(|s| self.order.get(s)).copied().unwrap_or(0);
            let key = (list, m.sequence_number);
            if best.is_none_or(|(k, _)| key > k) {
                best = Some((key, !m.pattern.is_negative()));
            }
        };
        consider(rel_path, is_dir);
        for (i, _) in rel_path.match_indices('/') {
            consider(&rel_path[..i], true);
        }
        best.is_some_and(|(_, excluded)| excluded)
    }
}

/// Directories (relative to `root`) holding a `.sourceignore`, parents before children, sorted.
fn collect_sourceignore_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let io = |source| SourceError::Archive { path: dir.to_owned(), source };
    if dir.join(SOURCE_IGNORE_FILE).symlink_metadata().is_ok_and(|m| m.is_file()) {
        out.push(dir.strip_prefix(root).unwrap_or(Path::new("")).to_owned());
    }
    let mut subdirs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_type().map_err(io)?.is_dir() && entry.file_name() != ".git" {
            subdirs.push(entry.path());
        }
    }
    subdirs.sort();
    for sub in subdirs {
        collect_sourceignore_files(root, &sub, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(user: &[(&str, &str)]) -> IgnoreRules {
        let root = Path::new("/r");
        let lists = user.iter().map(|(dir, text)| (text.as_bytes().to_vec(), root.join(dir).join(SOURCE_IGNORE_FILE)));
        match IgnoreRules::from_lists(root, lists.collect()) {
            Ok(r) => r,
            Err(e) => unreachable!("{e}"),
        }
    }

    #[test]
    fn defaults_apply_only_without_user_patterns() {
        let d = rules(&[]);
        assert!(d.uses_defaults());
        for p in ["logo.png", "a/b.tar.gz", ".github/workflows/ci.yaml", "x/.sops.yaml", ".gitignore", ".git/HEAD"] {
            assert!(d.is_excluded(p, false), "{p}");
        }
        assert!(!d.is_excluded("deploy/app.yaml", false));

        let u = rules(&[("", "# comment only\n*.md\n")]);
        assert!(!u.uses_defaults());
        assert!(!u.is_excluded("logo.png", false), "defaults dropped once a user pattern exists");
        assert!(u.is_excluded("README.md", false));
        assert!(u.is_excluded(".gitattributes", false), "VCS excludes always apply");

        let comments = rules(&[("", "# nothing\n\n")]);
        assert!(comments.uses_defaults(), "comments are not patterns");
    }

    #[test]
    fn nested_files_are_scoped_and_last_match_wins() {
        let r = rules(&[("", "*.txt\n/secret/\n"), ("apps", "!keep.txt\nlocal.yaml\n")]);
        let table = [
            ("notes.txt", true),
            ("apps/keep.txt", false),
            ("keep.txt", true),
            ("apps/local.yaml", true),
            ("local.yaml", false),
            ("other/apps/local.yaml", false),
            ("secret/a.yaml", true),
            ("apps/secret/a.yaml", false),
        ];
        for (path, excluded) in table {
            assert_eq!(r.is_excluded(path, false), excluded, "{path}");
        }
        assert!(r.is_excluded("secret", true));
    }
}
