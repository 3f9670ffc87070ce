//! Credentials from a Secret's data: basic auth, bearer token, CA bundle, SSH identity + known_hosts.
//!
//! Secret values live in [`Secret`], whose `Debug` never shows the bytes and which zeroes them on drop.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::SourceError;

/// Bytes that must never be logged; `Debug` prints `Secret(<n> bytes)`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into())
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    fn expose_str(&self, key: &str) -> Result<&str, SourceError> {
        std::str::from_utf8(&self.0)
            .map_err(|_| SourceError::InvalidCredentials { message: format!("key {key:?} is not valid UTF-8") })
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(|b| *b = 0);
    }
}

/// Authentication material for one remote. Build it with [`Credentials::from_secret_data`].
/// `Debug` shows which keys are present, never their values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub bearer_token: Option<Secret>,
    /// PEM CA bundle trusted in addition to the system roots (HTTPS).
    pub ca_pem: Option<Vec<u8>>,
    /// OpenSSH private key (`identity`).
    pub ssh_identity: Option<Secret>,
    /// `known_hosts` lines; required with an SSH identity (host keys are always checked).
    pub known_hosts: Option<Vec<u8>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .field("bearer_token", &self.bearer_token)
            .field("ca_pem", &self.ca_pem.as_ref().map(|c| format!("{} bytes", c.len())))
            .field("ssh_identity", &self.ssh_identity)
            .field("known_hosts", &self.known_hosts.as_ref().map(|k| format!("{} bytes", k.len())))
            .finish()
    }
}

impl Credentials {
    /// Read the keys Flux reads: `username`/`password`, `bearerToken`, `ca.crt` (or legacy `caFile`),
    /// `identity` + `known_hosts`. Unknown keys are ignored.
    pub fn from_secret_data(data: &BTreeMap<String, Vec<u8>>) -> Result<Self, SourceError> {
        let get = |k: &str| data.get(k).filter(|v| !v.is_empty()).cloned();
        let username = match get("username") {
            Some(u) => Some(String::from_utf8(u).map_err(|_| SourceError::InvalidCredentials {
                message: "key \"username\" is not valid UTF-8".into(),
            })?),
            None => None,
        };
        let creds = Credentials {
            username,
            password: get("password").map(Secret::new),
            bearer_token: get("bearerToken").map(Secret::new),
            ca_pem: get("ca.crt").or_else(|| get("caFile")),
            ssh_identity: get("identity").map(Secret::new),
            known_hosts: get("known_hosts"),
        };
        if creds.password.is_some() && creds.username.is_none() && creds.ssh_identity.is_none() {
            return Err(SourceError::InvalidCredentials { message: "\"password\" is set without \"username\"".into() });
        }
        if creds.bearer_token.is_some() && creds.username.is_some() {
            return Err(SourceError::InvalidCredentials {
                message: "\"bearerToken\" and \"username\" are mutually exclusive".into(),
            });
        }
        if creds.ssh_identity.is_some() && creds.known_hosts.is_none() {
            return Err(SourceError::InvalidCredentials { message: "\"identity\" requires \"known_hosts\"".into() });
        }
        Ok(creds)
    }

    /// `Authorization: Basic …` header line from `username`/`password`.
    ///
    /// Sent on every request, over `http://` too (as go-git and thus Flux do); gix's own credential
    /// flow refuses clear-text HTTP.
    pub(crate) fn basic_header(&self) -> Result<Option<String>, SourceError> {
        use base64::Engine as _;
        let Some(user) = &self.username else { return Ok(None) };
        let password = self.password.as_ref().map(|p| p.expose_str("password")).transpose()?.unwrap_or("");
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Ok(Some(format!("Authorization: Basic {token}")))
    }

    /// `Authorization: Bearer …` header line.
    pub(crate) fn bearer_header(&self) -> Result<Option<String>, SourceError> {
        self.bearer_token
            .as_ref()
            .map(|t| Ok(format!("Authorization: Bearer {}", t.expose_str("bearerToken")?.trim())))
            .transpose()
    }
}

/// Write the SSH identity and known_hosts into `dir` (0600 files in a 0700 directory) and a wrapper
/// script running `ssh_binary` with them; returns the script path to use as the ssh program.
pub(crate) fn write_ssh_files(
    dir: &Path,
    creds: &Credentials,
    connect_timeout_secs: u64,
    ssh_binary: &Path,
) -> Result<PathBuf, SourceError> {
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| SourceError::Checkout { path, source }
    };
    set_mode(dir, 0o700).map_err(io_err(dir))?;
    let mut args = vec![
        "-o".to_owned(),
        "BatchMode=yes".to_owned(),
        "-o".to_owned(),
        format!("ConnectTimeout={connect_timeout_secs}"),
    ];
    if let Some(identity) = &creds.ssh_identity {
        let path = dir.join("identity");
        write_private(&path, identity.expose()).map_err(io_err(&path))?;
        args.extend(["-o".into(), "IdentitiesOnly=yes".into(), "-i".into(), shell_quote(&path)]);
    }
    if let Some(kh) = &creds.known_hosts {
        let path = dir.join("known_hosts");
        write_private(&path, kh).map_err(io_err(&path))?;
        args.extend([
            "-o".into(),
            format!("UserKnownHostsFile={}", shell_quote(&path)),
            "-o".into(),
            "StrictHostKeyChecking=yes".into(),
        ]);
    }
    let script = dir.join("ssh");
    let body = format!("#!/bin/sh\nexec {} -F /dev/null {} \"$@\"\n", shell_quote(ssh_binary), args.join(" "));
    std::fs::write(&script, body).map_err(io_err(&script))?;
    set_mode(&script, 0o700).map_err(io_err(&script))?;
    Ok(script)
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    if !bytes.ends_with(b"\n") {
        f.write_all(b"\n")?;
    }
    f.sync_all()
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec())).collect()
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::from_secret_data(&data(&[("username", "git"), ("password", "hunter2")]));
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("Secret(7 bytes)"), "{dbg}");
    }

    #[test]
    fn reads_flux_keys_and_rejects_incomplete_sets() {
        let c = Credentials::from_secret_data(&data(&[("bearerToken", "tok\n"), ("caFile", "PEM")]));
        let c = c.ok().unwrap_or_default();
        assert_eq!(c.bearer_header().ok().flatten().as_deref(), Some("Authorization: Bearer tok"));
        assert_eq!(c.ca_pem.as_deref(), Some(&b"PEM"[..]));
        for bad in [&[("password", "p")][..], &[("identity", "k")][..], &[("username", "u"), ("bearerToken", "t")][..]]
        {
            let err = Credentials::from_secret_data(&data(bad));
            assert!(matches!(&err, Err(e) if e.reason() == "AuthenticationFailed"), "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn ssh_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let creds =
            Credentials::from_secret_data(&data(&[("identity", "KEY"), ("known_hosts", "host ssh-ed25519 AAAA")]))
                .ok()
                .unwrap_or_default();
        let script = write_ssh_files(dir.path(), &creds, 10, Path::new("ssh")).ok();
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).ok();
        assert_eq!(mode(&dir.path().join("identity")), Some(0o600));
        assert_eq!(mode(&dir.path().join("known_hosts")), Some(0o600));
        assert_eq!(mode(dir.path()), Some(0o700));
        let body = script.and_then(|s| std::fs::read_to_string(s).ok()).unwrap_or_default();
        assert!(body.contains("StrictHostKeyChecking=yes") && body.contains("IdentitiesOnly=yes"), "{body}");
        assert!(!body.contains("KEY"), "the key itself is never in the command line");
    }
}
