#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Deterministic tar.gz artifacts and Flux's ignore rules, on real directories and checkouts.

mod support;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use glidepath_source::{FetchOutcome, FetchRequest, GitRef, fetch, write_artifact, write_artifact_file};
use support::{Fixture, write};

/// (path, mode, uid, gid, mtime, uname, gname, entry type) of an entry.
type EntryFields = (String, u32, u64, u64, u64, String, String, tar::EntryType);

fn entries(tgz: &[u8]) -> Vec<EntryFields> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                e.path().unwrap().to_string_lossy().into_owned(),
                h.mode().unwrap(),
                h.uid().unwrap(),
                h.gid().unwrap(),
                h.mtime().unwrap(),
                h.username().unwrap().unwrap_or_default().to_owned(),
                h.groupname().unwrap().unwrap_or_default().to_owned(),
                h.entry_type(),
            )
        })
        .collect()
}

fn names(tgz: &[u8]) -> Vec<String> {
    entries(tgz).into_iter().map(|e| e.0).collect()
}

fn build(dir: &Path, spec_ignore: Option<&str>) -> (Vec<u8>, String) {
    let mut out = Vec::new();
    let info = write_artifact(dir, spec_ignore, &mut out).unwrap();
    assert_eq!(info.size, out.len() as u64);
    (out, info.digest)
}

fn tree(root: &Path) {
    write(root, ".sourceignore", "# root rules\n*.md\n/tmp/\n");
    write(root, "apps/.sourceignore", "!keep.md\nlocal.yaml\n");
    for f in [
        "README.md",
        "apps/keep.md",
        "apps/app.yaml",
        "apps/local.yaml",
        "apps/nested/local.yaml",
        "local.yaml",
        "tmp/x.yaml",
        "apps/tmp/y.yaml",
        "logo.png",
        ".gitignore",
        ".github/workflows/ci.yaml",
        "secret.yaml",
        "run.sh",
    ] {
        write(root, f, &format!("content of {f}\n"));
    }
    std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o775)).unwrap();
    std::fs::set_permissions(root.join("apps/app.yaml"), std::fs::Permissions::from_mode(0o666)).unwrap();
    std::os::unix::fs::symlink("apps/app.yaml", root.join("link.yaml")).unwrap();
    std::os::unix::fs::symlink("/etc", root.join("escape")).unwrap();
}

#[test]
fn ignore_rules_table_and_sanitized_headers() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let (tgz, digest) = build(dir.path(), Some("secret.yaml\n"));
    assert!(digest.starts_with("sha256:") && digest.len() == 7 + 64, "{digest}");
    let got = names(&tgz);
    let table = [
        ("README.md", false, "*.md in the root .sourceignore"),
        ("apps/keep.md", true, "re-included by apps/.sourceignore"),
        ("apps/app.yaml", true, "no rule"),
        ("apps/local.yaml", false, "apps/.sourceignore"),
        ("apps/nested/local.yaml", false, "unanchored pattern applies below its directory"),
        ("local.yaml", true, "apps/.sourceignore is scoped to apps/"),
        ("tmp/x.yaml", false, "/tmp/ anchored at the root"),
        ("apps/tmp/y.yaml", true, "/tmp/ does not match apps/tmp"),
        ("logo.png", true, "default excludes are off when user patterns exist"),
        (".github/workflows/ci.yaml", true, "default excludes are off when user patterns exist"),
        (".gitignore", false, "VCS excludes always apply"),
        ("secret.yaml", false, "spec.ignore"),
        ("run.sh", true, "no rule"),
        (".sourceignore", true, "ignore files themselves are content"),
        ("link.yaml", false, "symlinks are skipped"),
        ("escape", false, "symlinks are skipped"),
    ];
    for (path, kept, why) in table {
        assert_eq!(got.contains(&path.to_owned()), kept, "{path}: {why}; archive: {got:?}");
    }
    for (path, mode, uid, gid, mtime, uname, gname, kind) in entries(&tgz) {
        assert_eq!((uid, gid, mtime, uname.as_str(), gname.as_str()), (0, 0, 0, "", ""), "{path}");
        let want = match (kind, path.as_str()) {
            (tar::EntryType::Directory, _) => 0o750,
            (_, "run.sh") => 0o700,
            _ => 0o600,
        };
        assert_eq!(mode, want, "{path}");
    }
    assert!(got.contains(&"apps/".to_owned()), "directories are entries: {got:?}");
    let apps = got.iter().position(|p| p == "apps/").unwrap();
    let local = got.iter().position(|p| p == "local.yaml").unwrap();
    assert!(apps < local, "walk order: a directory's entries come in name order");
}

#[test]
fn default_excludes_only_without_user_patterns() {
    let dir = tempfile::tempdir().unwrap();
    for f in
        ["app.yaml", "logo.png", "chart.tar.gz", ".github/ci.yaml", "sub/.sops.yaml", ".gitmodules", "cloudbuild.yaml"]
    {
        write(dir.path(), f, "x\n");
    }
    // Like Flux, a directory whose files are all excluded stays as an (empty) directory entry.
    let (tgz, _) = build(dir.path(), None);
    assert_eq!(names(&tgz), ["app.yaml", "sub/"]);
    let (tgz, _) = build(dir.path(), Some("# only a comment\n"));
    assert_eq!(names(&tgz), ["app.yaml", "sub/"], "a comment is not a pattern");
    let (tgz, _) = build(dir.path(), Some("*.tar.gz\n"));
    let got = names(&tgz);
    assert!(got.contains(&"logo.png".to_owned()) && got.contains(&".github/ci.yaml".to_owned()), "{got:?}");
    assert!(!got.contains(&"chart.tar.gz".to_owned()) && !got.contains(&".gitmodules".to_owned()), "{got:?}");
}

#[test]
fn same_tree_gives_byte_identical_artifacts() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    tree(a.path());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    tree(b.path());
    // Different permissions beyond what Flux keeps (group/other bits) do not matter.
    std::fs::set_permissions(b.path().join("apps/app.yaml"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(b.path().join("run.sh"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let (ta, da) = build(a.path(), Some("secret.yaml"));
    let (ta2, da2) = build(a.path(), Some("secret.yaml"));
    let (tb, db) = build(b.path(), Some("secret.yaml"));
    assert_eq!(ta, ta2);
    assert_eq!(da, da2);
    assert_eq!(ta, tb, "mtimes, owners and creation order do not leak into the artifact");
    assert_eq!(da, db);
    write(b.path(), "apps/app.yaml", "changed\n");
    assert_ne!(build(b.path(), Some("secret.yaml")).1, da);
}

#[test]
fn artifact_of_a_fetched_checkout_is_reproducible() {
    let fx = Fixture::new();
    let out = tempfile::tempdir().unwrap();
    let mut digests = Vec::new();
    for i in 0..2 {
        let dest = out.path().join(format!("checkout-{i}"));
        let outcome = fetch(&FetchRequest::new(fx.file_url(), GitRef::Tag("v1.2.0".into())), &dest).unwrap();
        assert!(matches!(outcome, FetchOutcome::Fetched { .. }));
        let file = out.path().join(format!("artifacts/{i}.tar.gz"));
        let info = write_artifact_file(&dest, None, &file).unwrap();
        assert_eq!(info.size, std::fs::metadata(&file).unwrap().len());
        let mut bytes = Vec::new();
        std::fs::File::open(&file).unwrap().read_to_end(&mut bytes).unwrap();
        assert_eq!(
            names(&bytes),
            ["README.md", "bin/", "bin/run.sh", "deploy/", "deploy/app.yaml"],
            "logo.png excluded"
        );
        digests.push(info.digest);
    }
    assert_eq!(digests[0], digests[1]);
}
