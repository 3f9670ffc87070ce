//! HTTP(S) access to chart repositories: the client a HelmRepository's `secretRef`,
//! `certSecretRef`, `insecure` and `timeout` describe, and the credentials rule of
//! `passCredentials` (Helm sends them to the repository's own host only, unless told otherwise).

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};

/// Basic-auth credentials of a repository.
#[derive(Clone, Default)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("Credentials").field("username", &self.username).finish_non_exhaustive()
    }
}

/// A repository's client and credentials.
#[derive(Clone, Debug)]
pub struct Access {
    pub client: reqwest::Client,
    pub credentials: Option<Credentials>,
    /// The repository's URL: credentials go only to its host unless `pass_credentials`.
    pub base: String,
    pub pass_credentials: bool,
}

/// A Secret's data, or an error naming it.
pub async fn secret_data(client: &Client, ns: &str, name: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    match secrets.get_opt(name).await {
        Ok(Some(s)) => Ok(s.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect()),
        Ok(None) => Err(format!("secret '{ns}/{name}' not found")),
        Err(e) => Err(format!("failed to get secret '{ns}/{name}': {e}")),
    }
}

fn text(data: &BTreeMap<String, Vec<u8>>, key: &str) -> Option<String> {
    data.get(key).map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Build the client: basic auth from `auth` (`username`/`password`), TLS from `tls` (`ca.crt`,
/// `tls.crt` + `tls.key`), certificate checks off with `insecure`.
pub fn access(
    base: &str,
    auth: Option<&BTreeMap<String, Vec<u8>>>,
    tls: Option<&BTreeMap<String, Vec<u8>>>,
    insecure: bool,
    timeout: Duration,
    pass_credentials: bool,
) -> Result<Access, String> {
    let mut builder = reqwest::Client::builder().timeout(timeout).user_agent("glidepath-source-controller");
    if let Some(tls) = tls {
        if let Some(ca) = tls.get("ca.crt") {
            let cert =
                reqwest::Certificate::from_pem(ca).map_err(|e| format!("invalid 'ca.crt' in certSecretRef: {e}"))?;
            builder = builder.add_root_certificate(cert);
        }
        match (tls.get("tls.crt"), tls.get("tls.key")) {
            (Some(crt), Some(key)) => {
                let pem = [crt.as_slice(), b"\n", key.as_slice()].concat();
                let id = reqwest::Identity::from_pem(&pem)
                    .map_err(|e| format!("invalid client certificate in certSecretRef: {e}"))?;
                builder = builder.identity(id);
            }
            (None, None) => {}
            _ => return Err("certSecretRef must hold both 'tls.crt' and 'tls.key' for client authentication".into()),
        }
    }
    if insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    let credentials = match auth {
        Some(a) => match (text(a, "username"), text(a, "password")) {
            (Some(username), Some(password)) => Some(Credentials { username, password }),
            (None, None) => None,
            _ => return Err("secretRef must hold both 'username' and 'password'".into()),
        },
        None => None,
    };
    let client = builder.build().map_err(|e| format!("cannot build HTTP client: {e}"))?;
    Ok(Access { client, credentials, base: base.to_owned(), pass_credentials })
}

fn host(url: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()
        .map(|u| format!("{}:{}", u.host_str().unwrap_or_default(), u.port_or_known_default().unwrap_or(0)))
}

impl Access {
    /// GET `url`, with the credentials when `url` is on the repository's host (or
    /// `passCredentials`). The body, or an error naming the URL (never the credentials).
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let mut req = self.client.get(url);
        if let Some(c) = &self.credentials
            && (self.pass_credentials || host(url) == host(&self.base))
        {
            req = req.basic_auth(&c.username, Some(&c.password));
        }
        let span = tracing::info_span!("chart_repository_get", url, status = tracing::field::Empty);
        let fetch = async {
            let resp = req.send().await.map_err(|e| format!("failed to fetch {url} : {}", without_url(&e)))?;
            let status = resp.status();
            tracing::Span::current().record("status", status.as_u16());
            if !status.is_success() {
                return Err(format!("failed to fetch {url} : {status}"));
            }
            let body = resp.bytes().await.map_err(|e| format!("failed to read {url} : {}", without_url(&e)))?;
            Ok(body.to_vec())
        };
        tracing::Instrument::instrument(fetch, span).await
    }
}

/// reqwest's message without the URL it repeats.
fn without_url(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut last = e.to_string();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_a_credential_pair_is_refused() {
        let auth: BTreeMap<String, Vec<u8>> = [("username".to_owned(), b"u".to_vec())].into();
        let err = access("http://h", Some(&auth), None, false, Duration::from_secs(1), false).unwrap_err();
        assert!(err.contains("'username' and 'password'"), "{err}");
    }

    #[test]
    fn credentials_never_print_the_password() {
        let c = Credentials { username: "u".into(), password: "hunter2".into() };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
