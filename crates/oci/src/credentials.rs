//! Registry credentials and `.dockerconfigjson` lookup as Docker's config file and
//! go-containerregistry's keychain match hosts: Docker Hub under `https://index.docker.io/v1/`,
//! other registries under `host`, `https://host`, `http://host` or any key whose host part
//! (scheme and path removed) is the registry.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use crate::error::OciError;
use crate::reference::DOCKER_HUB;

/// The key Docker writes Docker Hub's credentials under.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";
/// The hosts that mean Docker Hub in a config key.
const DOCKER_HUB_HOSTS: &[&str] = &["index.docker.io", "docker.io", "registry-1.docker.io"];

/// How to authenticate to a registry. Debug output never shows a secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Credentials {
    #[default]
    Anonymous,
    Basic {
        username: String,
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken` in a Docker config), exchanged at the token
    /// server by `POST` with `grant_type=refresh_token`.
    IdentityToken(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, .. } => {
                f.debug_struct("Basic").field("username", username).field("password", &"<redacted>").finish()
            }
            Self::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, alias = "identityToken")]
    identitytoken: Option<String>,
}

impl Credentials {
    /// The credentials for `registry_host` (as in [`crate::Repository::registry`]) in a
    /// `.dockerconfigjson` (a `kubernetes.io/dockerconfigjson` Secret's value). No entry for
    /// the host means [`Credentials::Anonymous`]; an unreadable file or entry is an error
    /// that does not quote the file.
    pub fn from_dockerconfigjson(bytes: &[u8], registry_host: &str) -> Result<Self, OciError> {
        let config: DockerConfig = serde_json::from_slice(bytes)
            .map_err(|_| OciError::InvalidCredentials { reason: "the docker config is not valid JSON".into() })?;
        let Some(entry) = find_entry(&config.auths, registry_host) else {
            return Ok(Self::Anonymous);
        };
        entry_credentials(entry, registry_host)
    }

    /// The `Authorization: Basic …` value, for Basic credentials.
    pub(crate) fn basic_header(&self) -> Option<String> {
        match self {
            Self::Basic { username, password } => {
                Some(format!("Basic {}", STANDARD.encode(format!("{username}:{password}"))))
            }
            _ => None,
        }
    }
}

fn find_entry<'a>(auths: &'a BTreeMap<String, AuthEntry>, registry: &str) -> Option<&'a AuthEntry> {
    let hub = registry == DOCKER_HUB || DOCKER_HUB_HOSTS.contains(&registry);
    let exact: Vec<String> = if hub {
        vec![DOCKER_HUB_KEY.to_string()]
    } else {
        vec![registry.to_string(), format!("https://{registry}"), format!("http://{registry}")]
    };
    if let Some(entry) = exact.iter().find_map(|k| auths.get(k)) {
        return Some(entry);
    }
    auths.iter().find_map(|(key, entry)| {
        let host = key_host(key);
        let matches = if hub { DOCKER_HUB_HOSTS.contains(&host) } else { host == registry };
        matches.then_some(entry)
    })
}

/// A config key's host: `https://ghcr.io/v1/` → `ghcr.io`.
fn key_host(key: &str) -> &str {
    let rest = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    rest.split('/').next().unwrap_or(rest)
}

fn entry_credentials(entry: &AuthEntry, registry: &str) -> Result<Credentials, OciError> {
    if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Credentials::IdentityToken(token.to_string()));
    }
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let bad = || OciError::InvalidCredentials {
            reason: format!("the `auth` of {registry} in the docker config is not base64 of user:password"),
        };
        let decoded = STANDARD.decode(auth.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(decoded).map_err(|_| bad())?;
        let (username, password) = text.split_once(':').ok_or_else(bad)?;
        return Ok(Credentials::Basic { username: username.to_string(), password: password.to_string() });
    }
    match (&entry.username, &entry.password) {
        (Some(username), Some(password)) if !username.is_empty() => {
            Ok(Credentials::Basic { username: username.clone(), password: password.clone() })
        }
        _ => Ok(Credentials::Anonymous),
    }
}
