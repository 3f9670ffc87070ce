//! The write path: a Git working copy made, committed and pushed with the `git` binary.
//!
//! gix has no client push (GitoxideLabs/gitoxide#306), and libgit2 (`git2`) would add a C
//! build with its own TLS stack; the `git` binary is what every Git host is tested against and
//! already drives `file://` fetches here. Each command runs with no system or user
//! configuration (`GIT_CONFIG_NOSYSTEM`, a private `HOME`), no prompts and no hooks, under the
//! operation's timeout. Credentials travel as environment configuration (an `http.extraHeader`)
//! or files in a private directory, never on the command line, and never in messages.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::auth::Credentials;
use crate::error::redact_url;

/// A failed `git` command; the message carries git's own (credential-free) words.
#[derive(Debug, thiserror::Error)]
pub enum WorkdirError {
    #[error("failed to prepare the git environment in {path}")]
    Prepare {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to prepare the git credentials")]
    Credentials(#[source] crate::SourceError),
    #[error("failed to run git {operation}")]
    Spawn {
        operation: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("git {operation} {url} timed out after {timeout:?}")]
    Timeout { operation: &'static str, url: String, timeout: Duration },
    #[error("git {operation} {url}: {message}")]
    Failed { operation: &'static str, url: String, message: String },
}

/// Who commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
    /// Seconds since the epoch (the caller's clock).
    pub when: i64,
}

/// A working copy with `origin` set to the remote.
#[derive(Debug)]
pub struct Workdir {
    dir: PathBuf,
    url: String,
    env: Vec<(String, String)>,
    /// `git -c` entries, passed as `GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>`.
    config: Vec<(String, String)>,
    timeout: Duration,
    signer: Option<crate::signing::Prepared>,
    // Holds HOME, the CA file and SSH keys for as long as the working copy lives.
    _private: tempfile::TempDir,
}

impl Workdir {
    /// `git init` in `dir` (which must not exist or be empty), with `origin` = `url`.
    pub fn init(dir: &Path, url: &str, credentials: &Credentials, timeout: Duration) -> Result<Workdir, WorkdirError> {
        let private = tempfile::Builder::new()
            .prefix("glidepath-git-")
            .tempdir()
            .map_err(|source| WorkdirError::Prepare { path: std::env::temp_dir(), source })?;
        let (env, config) = environment(private.path(), credentials, timeout).map_err(WorkdirError::Credentials)?;
        std::fs::create_dir_all(dir).map_err(|source| WorkdirError::Prepare { path: dir.to_path_buf(), source })?;
        let w = Workdir {
            dir: dir.to_path_buf(),
            url: url.to_owned(),
            env,
            config,
            timeout,
            signer: None,
            _private: private,
        };
        w.git("init", &["init", "-q"], None)?;
        w.git("init", &["remote", "add", "origin", url], None)?;
        Ok(w)
    }

    /// The working tree.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Signs every later commit with `signer` (OpenPGP through `gpg`, SSH through
    /// `ssh-keygen`, each with keys only in this working copy's private directory).
    pub fn sign_with(&mut self, signer: &crate::signing::Signer) -> Result<(), WorkdirError> {
        let prepared = crate::signing::prepare(self._private.path(), signer)?;
        self.config.extend(prepared.config.iter().cloned());
        self.signer = Some(prepared);
        Ok(())
    }

    /// The commit `origin`'s `refs/heads/<branch>` points at, `None` when there is no such branch.
    pub fn remote_branch(&self, branch: &str) -> Result<Option<String>, WorkdirError> {
        let out = self.git("ls-remote", &["ls-remote", "origin", &format!("refs/heads/{branch}")], None)?;
        Ok(out.split_whitespace().next().map(str::to_owned))
    }

    /// Fetches `refspec_source` (a ref name or, with `deep`, anything reachable) into
    /// `FETCH_HEAD` and returns its commit. Shallow unless `deep`.
    pub fn fetch(&self, source: &str, deep: bool) -> Result<String, WorkdirError> {
        let mut args = vec!["fetch", "-q", "--no-tags"];
        if !deep {
            args.push("--depth=1");
        }
        args.extend(["origin", source]);
        self.git("fetch", &args, None)?;
        self.rev_parse("FETCH_HEAD")
    }

    /// Points the local `branch` at `commit` and checks it out, discarding local changes.
    pub fn checkout(&self, branch: &str, commit: &str) -> Result<(), WorkdirError> {
        self.git("checkout", &["checkout", "-q", "-f", "-B", branch, commit], None)?;
        self.git("checkout", &["clean", "-q", "-f", "-d"], None).map(drop)
    }

    pub fn rev_parse(&self, rev: &str) -> Result<String, WorkdirError> {
        Ok(self.git("rev-parse", &["rev-parse", "--verify", rev], None)?.trim().to_owned())
    }

    /// Commits every change in the tree; `None` when nothing changed.
    pub fn commit_all(&self, author: &Signature, message: &str) -> Result<Option<String>, WorkdirError> {
        self.git("add", &["add", "-A"], None)?;
        if self.git("diff", &["diff", "--cached", "--quiet"], None).is_ok() {
            return Ok(None);
        }
        let date = format!("@{} +0000", author.when);
        let ident = [
            ("GIT_AUTHOR_NAME", author.name.as_str()),
            ("GIT_AUTHOR_EMAIL", author.email.as_str()),
            ("GIT_AUTHOR_DATE", date.as_str()),
            ("GIT_COMMITTER_NAME", author.name.as_str()),
            ("GIT_COMMITTER_EMAIL", author.email.as_str()),
            ("GIT_COMMITTER_DATE", date.as_str()),
        ];
        let mut cmd = self.command(&["commit", "-q", "--no-verify", "--cleanup=verbatim", "-F", "-"]);
        cmd.envs(ident);
        self.run("commit", cmd, Some(message.as_bytes()))?;
        self.rev_parse("HEAD").map(Some)
    }

    /// `git push origin <refspec>` with push options (`-o key=value`).
    pub fn push(&self, refspec: &str, options: &BTreeMap<String, String>) -> Result<(), WorkdirError> {
        let pairs: Vec<String> = options.iter().map(|(k, v)| format!("--push-option={k}={v}")).collect();
        let mut args = vec!["push"];
        args.extend(pairs.iter().map(String::as_str));
        args.extend(["origin", refspec]);
        self.git("push", &args, None).map(drop)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.dir).args(args);
        cmd.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.env("GIT_CONFIG_COUNT", self.config.len().to_string());
        for (i, (k, v)) in self.config.iter().enumerate() {
            cmd.env(format!("GIT_CONFIG_KEY_{i}"), k).env(format!("GIT_CONFIG_VALUE_{i}"), v);
        }
        cmd
    }

    fn git(&self, operation: &'static str, args: &[&str], stdin: Option<&[u8]>) -> Result<String, WorkdirError> {
        self.run(operation, self.command(args), stdin)
    }

    /// Runs `cmd` under the timeout; stdout on success, stderr in the error.
    fn run(&self, operation: &'static str, mut cmd: Command, stdin: Option<&[u8]>) -> Result<String, WorkdirError> {
        let url = redact_url(&self.url);
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|source| WorkdirError::Spawn { operation, source })?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input).map_err(|source| WorkdirError::Spawn { operation, source })?;
        }
        let readers = [child.stdout.take().map(reader), child.stderr.take().map(reader)];
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait().map_err(|source| WorkdirError::Spawn { operation, source })? {
                Some(status) => break status,
                None if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(WorkdirError::Timeout { operation, url, timeout: self.timeout });
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        let [out, err] = readers.map(|r| r.and_then(|h| h.join().ok()).unwrap_or_default());
        if status.success() {
            return Ok(out);
        }
        let message = err.trim();
        let message = if message.is_empty() { format!("exit status {status}") } else { message.to_owned() };
        Err(WorkdirError::Failed { operation, url, message: scrub(&message, &self.url) })
    }
}

fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    })
}

/// git's messages with the URL's password masked, should git echo the URL.
fn scrub(message: &str, url: &str) -> String {
    let redacted = redact_url(url);
    if redacted == url { message.to_owned() } else { message.replace(url, &redacted) }
}

/// The environment every command gets: isolation from the host's configuration, and the
/// credentials as configuration entries or files under `private`.
type Pairs = Vec<(String, String)>;

/// The environment every command gets: isolation from the host's configuration, and the
/// credentials as configuration entries or files under `private` (the header and the ssh
/// wrapper are the fetch path's own, [`Credentials::basic_header`] and
/// [`crate::auth::write_ssh_files`]).
fn environment(private: &Path, creds: &Credentials, timeout: Duration) -> Result<(Pairs, Pairs), crate::SourceError> {
    let home = private.display().to_string();
    let mut config: Pairs = vec![
        ("init.defaultBranch".into(), "main".into()),
        ("advice.detachedHead".into(), "false".into()),
        ("core.hooksPath".into(), "/dev/null".into()),
        ("commit.gpgSign".into(), "false".into()),
        ("credential.helper".into(), String::new()),
    ];
    let header = match creds.basic_header()? {
        Some(h) => Some(h),
        None => creds.bearer_header()?,
    };
    if let Some(header) = header {
        config.push(("http.extraHeader".into(), header));
    }
    if let Some(ca) = &creds.ca_pem {
        let path = private.join("ca.crt");
        std::fs::write(&path, ca).map_err(|source| crate::SourceError::Checkout { path: path.clone(), source })?;
        config.push(("http.sslCAInfo".into(), path.display().to_string()));
    }
    let mut env = vec![
        ("HOME".to_owned(), home.clone()),
        ("XDG_CONFIG_HOME".to_owned(), home),
        ("GIT_CONFIG_NOSYSTEM".to_owned(), "1".to_owned()),
        ("GIT_TERMINAL_PROMPT".to_owned(), "0".to_owned()),
    ];
    if creds.ssh_identity.is_some() {
        let dir = private.join("ssh");
        std::fs::create_dir(&dir).map_err(|source| crate::SourceError::Checkout { path: dir.clone(), source })?;
        let script = crate::auth::write_ssh_files(&dir, creds, timeout.as_secs().max(1), Path::new("ssh"))?;
        env.push(("GIT_SSH".to_owned(), script.display().to_string()));
        env.push(("GIT_SSH_VARIANT".to_owned(), "ssh".to_owned()));
    }
    Ok((env, config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Secret;

    #[test]
    fn credentials_become_configuration_never_arguments() {
        let tmp = tempfile::tempdir().unwrap();
        let header = |c: &Credentials| {
            let (_, config) = environment(tmp.path(), c, Duration::from_secs(5)).unwrap();
            config.into_iter().find(|(k, _)| k == "http.extraHeader").map(|(_, v)| v)
        };
        let basic = Credentials { username: Some("u".into()), password: Some(Secret::new("p")), ..Default::default() };
        assert_eq!(header(&basic).unwrap(), "Authorization: Basic dTpw");
        let bearer = Credentials { bearer_token: Some(Secret::new("t")), ..Default::default() };
        assert_eq!(header(&bearer).unwrap(), "Authorization: Bearer t");
        assert_eq!(header(&Credentials::default()), None);
    }

    #[test]
    fn messages_never_carry_the_password() {
        let m = scrub("fatal: unable to access 'https://u:pw@h/r.git/'", "https://u:pw@h/r.git");
        assert_eq!(m, "fatal: unable to access 'https://u:***@h/r.git/'");
    }

    #[test]
    fn commits_and_pushes_to_a_bare_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let bare = tmp.path().join("remote.git");
        let ok = Command::new("git").args(["init", "-q", "--bare", "-b", "main"]).arg(&bare).status().unwrap();
        assert!(ok.success());
        let url = format!("file://{}", bare.display());
        let timeout = Duration::from_secs(20);
        let seed = Workdir::init(&tmp.path().join("seed"), &url, &Credentials::default(), timeout).unwrap();
        std::fs::write(seed.path().join("a.yaml"), "a: 1\n").unwrap();
        let who = Signature { name: "bot".into(), email: "bot@example.com".into(), when: 1_700_000_000 };
        let first = seed.commit_all(&who, "seed").unwrap().unwrap();
        seed.push("HEAD:refs/heads/main", &BTreeMap::new()).unwrap();
        assert_eq!(seed.commit_all(&who, "nothing").unwrap(), None);

        let w = Workdir::init(&tmp.path().join("w"), &url, &Credentials::default(), timeout).unwrap();
        assert_eq!(w.remote_branch("main").unwrap().as_deref(), Some(first.as_str()));
        assert_eq!(w.remote_branch("other").unwrap(), None);
        let head = w.fetch("refs/heads/main", false).unwrap();
        w.checkout("main", &head).unwrap();
        std::fs::write(w.path().join("a.yaml"), "a: 2\n").unwrap();
        let second = w.commit_all(&who, "Update\n\nbody\n").unwrap().unwrap();
        w.push("refs/heads/main:refs/heads/main", &BTreeMap::new()).unwrap();
        assert_eq!(w.remote_branch("main").unwrap().as_deref(), Some(second.as_str()));

        // The seed is behind now: its push is refused, with git's words.
        std::fs::write(seed.path().join("b.yaml"), "b: 1\n").unwrap();
        seed.commit_all(&who, "concurrent").unwrap().unwrap();
        let err = seed.push("HEAD:refs/heads/main", &BTreeMap::new()).unwrap_err().to_string();
        assert!(err.contains("rejected") || err.contains("non-fast-forward"), "{err}");
    }
}
