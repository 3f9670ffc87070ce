//! Commit signing for [`crate::Workdir`], as image-automation-controller's `signingKey`:
//! OpenPGP (`git.asc`, optional `passphrase`) through `gpg` with a keyring private to the
//! working copy, or SSH (`identity`) through `ssh-keygen -Y sign` (git's `gpg.format=ssh`).
//!
//! The passphrase reaches gpg in a file readable only by this process's user, never on a
//! command line; the keyring's agent is stopped when the working copy is dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::auth::Secret;
use crate::auth::write_private;
use crate::workdir::WorkdirError;

/// A signing key from the automation's Secret.
#[derive(Debug, Clone)]
pub enum Signer {
    /// An ASCII-armored OpenPGP secret key and its passphrase, if it has one.
    OpenPgp { armored: Secret, passphrase: Option<Secret> },
    /// An unencrypted OpenSSH private key.
    Ssh { identity: Secret },
}

/// The signer set up under a private directory: the git configuration that uses it.
#[derive(Debug)]
pub struct Prepared {
    pub config: Vec<(String, String)>,
    gnupg_home: Option<PathBuf>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some(home) = &self.gnupg_home {
            let _ = Command::new("gpgconf")
                .arg("--homedir")
                .arg(home)
                .args(["--kill", "gpg-agent"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn failed(operation: &'static str, message: impl Into<String>) -> WorkdirError {
    WorkdirError::Failed { operation, url: "signing key".into(), message: message.into() }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WorkdirError + '_ {
    move |source| WorkdirError::Prepare { path: path.to_path_buf(), source }
}

/// Sets `signer` up under `private` (gpg runs in batch mode: it never waits for input).
pub fn prepare(private: &Path, signer: &Signer) -> Result<Prepared, WorkdirError> {
    match signer {
        Signer::OpenPgp { armored, passphrase } => open_pgp(private, armored, passphrase.as_ref()),
        Signer::Ssh { identity } => {
            let key = private.join("signing-key");
            write_private(&key, identity.expose()).map_err(io(&key))?;
            let config = vec![
                ("gpg.format".into(), "ssh".into()),
                ("user.signingKey".into(), key.display().to_string()),
                ("commit.gpgSign".into(), "true".into()),
            ];
            Ok(Prepared { config, gnupg_home: None })
        }
    }
}

fn open_pgp(private: &Path, armored: &Secret, passphrase: Option<&Secret>) -> Result<Prepared, WorkdirError> {
    use std::os::unix::fs::PermissionsExt;
    let home = private.join("gnupg");
    std::fs::create_dir(&home).map_err(io(&home))?;
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).map_err(io(&home))?;
    let mut child = Command::new("gpg")
        .arg("--homedir")
        .arg(&home)
        .args(["--batch", "--import"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| WorkdirError::Spawn { operation: "gpg --import", source })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(armored.expose())
            .map_err(|source| WorkdirError::Spawn { operation: "gpg --import", source })?;
    }
    let out = child.wait_with_output().map_err(|source| WorkdirError::Spawn { operation: "gpg --import", source })?;
    if !out.status.success() {
        return Err(failed("import", String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    let listed = Command::new("gpg")
        .arg("--homedir")
        .arg(&home)
        .args(["--batch", "--with-colons", "--list-secret-keys"])
        .output()
        .map_err(|source| WorkdirError::Spawn { operation: "gpg --list-secret-keys", source })?;
    let fingerprint = fingerprint(&String::from_utf8_lossy(&listed.stdout))
        .ok_or_else(|| failed("import", "the key in 'git.asc' holds no secret key"))?;
    let mut program = format!("#!/bin/sh\nexec gpg --homedir '{}' --batch --pinentry-mode loopback", home.display());
    if let Some(p) = passphrase {
        let file = private.join("gpg-passphrase");
        write_private(&file, p.expose()).map_err(io(&file))?;
        program.push_str(&format!(" --passphrase-file '{}'", file.display()));
    }
    program.push_str(" \"$@\"\n");
    let wrapper = private.join("gpg-sign");
    std::fs::write(&wrapper, program).map_err(io(&wrapper))?;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o700)).map_err(io(&wrapper))?;
    let config = vec![
        ("gpg.format".into(), "openpgp".into()),
        ("gpg.program".into(), wrapper.display().to_string()),
        ("user.signingKey".into(), fingerprint),
        ("commit.gpgSign".into(), "true".into()),
    ];
    Ok(Prepared { config, gnupg_home: Some(home) })
}

/// The first secret key's fingerprint in `gpg --with-colons` output.
fn fingerprint(listing: &str) -> Option<String> {
    let mut after_sec = false;
    for line in listing.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        match fields.first() {
            Some(&"sec") => after_sec = true,
            Some(&"fpr") if after_sec => return fields.get(9).map(|f| (*f).to_owned()),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;
    use crate::workdir::{Signature, Workdir};
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn run(args: &[&str], dir: &Path) -> String {
        let out = Command::new(args[0]).args(&args[1..]).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A signed commit pushed to a fresh bare repository; returns (bare, commit).
    fn signed_commit(tmp: &Path, signer: &Signer) -> (PathBuf, String) {
        let bare = tmp.join("remote.git");
        run(&["git", "init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()], tmp);
        let url = format!("file://{}", bare.display());
        let mut w = Workdir::init(&tmp.join("w"), &url, &Credentials::default(), Duration::from_secs(30)).unwrap();
        w.sign_with(signer).unwrap();
        std::fs::write(w.path().join("a.yaml"), "a: 1\n").unwrap();
        let who = Signature { name: "Bot".into(), email: "bot@example.com".into(), when: 1_700_000_000 };
        let commit = w.commit_all(&who, "signed").unwrap().unwrap();
        w.push("HEAD:refs/heads/main", &BTreeMap::new()).unwrap();
        (bare, commit)
    }

    #[test]
    fn openpgp_commits_verify_with_the_public_key() {
        let tmp = tempfile::tempdir().unwrap();
        let keys = tmp.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let home = keys.to_str().unwrap();
        let gpg = |extra: &[&str]| {
            let mut a =
                vec!["gpg", "--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "s3cret"];
            a.extend(extra);
            run(&a, tmp.path())
        };
        gpg(&["--quick-gen-key", "Bot <bot@example.com>", "ed25519", "sign", "never"]);
        let armored = gpg(&["--armor", "--export-secret-keys"]);
        let signer = Signer::OpenPgp { armored: Secret::new(armored), passphrase: Some(Secret::new("s3cret")) };
        let (bare, commit) = signed_commit(tmp.path(), &signer);
        let raw = run(&["git", "--git-dir", bare.to_str().unwrap(), "cat-file", "commit", &commit], tmp.path());
        assert!(raw.contains("gpgsig -----BEGIN PGP SIGNATURE-----"), "{raw}");
        let out = Command::new("git")
            .args(["--git-dir", bare.to_str().unwrap(), "verify-commit", &commit])
            .env("GNUPGHOME", home)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let _ = Command::new("gpgconf").args(["--homedir", home, "--kill", "gpg-agent"]).status();
        let wrong = Signer::OpenPgp { armored: Secret::new("not a key"), passphrase: None };
        let w =
            Workdir::init(&tmp.path().join("w2"), "file:///nowhere", &Credentials::default(), Duration::from_secs(5));
        assert!(w.unwrap().sign_with(&wrong).is_err());
    }

    #[test]
    fn ssh_commits_verify_with_the_allowed_signers() {
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("id");
        run(&["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bot", "-f", key.to_str().unwrap()], tmp.path());
        let identity = std::fs::read(&key).unwrap();
        let (bare, commit) = signed_commit(tmp.path(), &Signer::Ssh { identity: Secret::new(identity) });
        let public = std::fs::read_to_string(tmp.path().join("id.pub")).unwrap();
        let allowed = tmp.path().join("allowed");
        std::fs::write(&allowed, format!("bot@example.com {public}")).unwrap();
        let allowed_cfg = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
        let bare = bare.to_str().unwrap();
        run(&["git", "--git-dir", bare, "-c", &allowed_cfg, "verify-commit", &commit], tmp.path());
    }

    #[test]
    fn the_fingerprint_is_the_primary_secret_keys() {
        let listing = "sec:u:255:22:AAAA:1:::u:::scESC:::+:::ed25519:::0:\nfpr:::::::::0123456789ABCDEF0123456789ABCDEF01234567:\nuid:u::::1::X::Bot <bot@example.com>::::::::::0:\nssb:u:255:18:BBBB:1::::::e:::+:::cv25519::\nfpr:::::::::FFFF:\n";
        assert_eq!(fingerprint(listing).as_deref(), Some("0123456789ABCDEF0123456789ABCDEF01234567"));
        assert_eq!(fingerprint("pub:u:\nfpr:::::::::AB:\n"), None);
    }
}
