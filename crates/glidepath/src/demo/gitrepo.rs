//! The Git repository of `glidepath demo --scenario gitops`: a bare repository in the demo's
//! directory, served over `file://`, seeded with the app's manifests by the `git` binary, as a
//! person would `git init`, commit and push.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

/// Where the sync engine finds the app, and the automation writes.
pub const APP_PATH: &str = "apps/podinfo";

/// A bare repository with a `main` branch.
#[derive(Debug)]
pub struct Repo {
    pub bare: PathBuf,
}

impl Repo {
    /// `dir/podinfo.git`, its `main` seeded from `dir/seed` with `files` (path, content).
    pub fn create(dir: &Path, files: &[(String, String)]) -> anyhow::Result<Repo> {
        let bare = dir.join("podinfo.git");
        let seed = dir.join("seed");
        for d in [&bare, &seed] {
            std::fs::create_dir_all(d).with_context(|| format!("create {}", d.display()))?;
        }
        git(&bare, &["init", "-q", "--bare", "-b", "main"])?;
        git(&seed, &["init", "-q", "-b", "main"])?;
        for (rel, content) in files {
            let p = seed.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
            }
            std::fs::write(&p, content).with_context(|| format!("write {}", p.display()))?;
        }
        git(&seed, &["add", "-A"])?;
        git(
            &seed,
            &["-c", "user.name=Demo User", "-c", "user.email=demo@example.invalid", "-c", "commit.gpgsign=false"]
                .into_iter()
                .chain(["commit", "-q", "-m", "podinfo 6.9.0 with a Canary"])
                .collect::<Vec<_>>(),
        )?;
        let bare_str = bare.to_str().context("the repository path is not UTF-8")?;
        git(&seed, &["push", "-q", bare_str, "main"])?;
        Ok(Repo { bare })
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.bare.display())
    }

    /// One line per commit on `main`, newest first: `<short sha> <subject>`.
    pub fn log(&self) -> anyhow::Result<String> {
        git(&self.bare, &["log", "--format=%h %an: %s", "main"])
    }
}

/// Run `git args` in `dir`; its trimmed stdout, or an error with its stderr.
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .with_context(|| format!("run git {} (is git installed?)", args.join(" ")))?;
    anyhow::ensure!(
        out.status.success(),
        "git {} in {}: {}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_repository_has_the_files_on_main() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repo::create(tmp.path(), &[("apps/podinfo/a.yaml".into(), "a: 1\n".into())]).unwrap();
        assert_eq!(git(&repo.bare, &["rev-parse", "refs/heads/main"]).unwrap().len(), 40);
        assert!(repo.log().unwrap().contains("Demo User: podinfo 6.9.0"));
        let shown = git(&repo.bare, &["show", "main:apps/podinfo/a.yaml"]).unwrap();
        assert_eq!(shown, "a: 1");
        assert!(repo.url().starts_with("file:///"));
    }
}
