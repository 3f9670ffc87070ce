//! `bitbucket` (Cloud, `bitbucket.go`) and `bitbucketserver` (Server / Data Center,
//! `bitbucketserver.go`): build statuses `SUCCESSFUL` / `FAILED` keyed by the hex SHA-1 of the
//! status id (Bitbucket limits keys to 40 characters), skipped when the existing status for the
//! key already matches. Progressing events are skipped.

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

use super::format::name_and_description;
use super::git::{api_url, commit_of, parse_git_address, segments, status_id};
use crate::digest::{hex, sha1};
use crate::http::{Http, secret_header};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, REASON_PROGRESSING, Severity};

fn invalid(cfg: &ProviderConfig, reason: &str) -> NotifyError {
    NotifyError::CreateInvalidConfig { kind: cfg.provider_type.clone(), reason: reason.to_string() }
}

fn state_of(event: &Event) -> &'static str {
    if event.severity == Severity::Error { "FAILED" } else { "SUCCESSFUL" }
}

/// The status `get` finds; `None` when there is none (404).
async fn existing(http: &Http, get: reqwest::RequestBuilder) -> Result<Option<Value>, NotifyError> {
    match http.send(get).await {
        Ok(resp) => http.read_json(resp).await.map(Some),
        Err(e) if e.status() == Some(StatusCode::NOT_FOUND.as_u16()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The fields both APIs compare for a duplicate.
fn same(existing: &Value, want: &Value) -> bool {
    ["key", "state", "name", "description"].iter().all(|k| existing.get(k) == want.get(k))
}

/// Bitbucket Cloud: `POST /2.0/repositories/<owner>/<repo>/commit/<sha>/statuses/build` on
/// api.bitbucket.org (for an address on bitbucket.org; `<host>/2.0` otherwise), basic auth
/// from a `<user>:<app password>` token.
#[derive(Debug)]
pub(crate) struct Bitbucket {
    http: Http,
    /// `<api>/repositories/<owner>/<repo>`.
    repo: Url,
    user: String,
    password: String,
    commit_status: Option<String>,
    provider_uid: String,
}

impl Bitbucket {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let (user, password) = cfg
            .token
            .split_once(':')
            .ok_or_else(|| invalid(cfg, "invalid token format, expected <user>:<password>"))?;
        let addr = parse_git_address(&cfg.provider_type, &cfg.address)?;
        let parts = segments(&cfg.provider_type, &addr.id, 2)?;
        let api = if addr.base.host_str() == Some("bitbucket.org") {
            Url::parse("https://api.bitbucket.org/2.0").map_err(|e| invalid(cfg, &e.to_string()))?
        } else {
            api_url(&addr.base, &["2.0"])
        };
        Ok(Bitbucket {
            http: Http::new(cfg)?,
            repo: api_url(&api, &["repositories", &parts[0], &parts[1]]),
            user: user.to_string(),
            password: password.to_string(),
            commit_status: cfg.commit_status.clone(),
            provider_uid: cfg.provider_uid.clone(),
        })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.reason == REASON_PROGRESSING {
            return Ok(());
        }
        let sha = commit_of(self.http.kind(), event)?;
        let (_, description) = name_and_description(event);
        let id = status_id(self.commit_status.as_deref(), &self.provider_uid, event);
        let key = hex(&sha1(id.as_bytes()));
        let body = json!({"state": state_of(event), "key": key, "name": id, "description": description,
            "url": "https://bitbucket.org"});
        let builds = api_url(&self.repo, &["commit", &sha, "statuses", "build"]);

        let get =
            self.http.request(Method::GET, api_url(&builds, &[&key])).basic_auth(&self.user, Some(&self.password));
        if existing(&self.http, get).await?.is_some_and(|s| same(&s, &body)) {
            return Ok(());
        }
        let post = self
            .http
            .request(Method::POST, builds)
            .basic_auth(&self.user, Some(&self.password))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(self.http.encode(&body)?);
        self.http.send(post).await.map(drop)
    }
}

impl Notifier for Bitbucket {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}

/// Bitbucket Server: `POST <host><context>/rest/api/latest/projects/<key>/repos/<slug>/commits/<sha>/builds`
/// for a clone URL `<host><context>/scm/<key>/<slug>.git`; Bearer token, else basic auth.
#[derive(Debug)]
pub(crate) struct BitbucketServer {
    http: Http,
    /// `.../projects/<key>/repos/<slug>/commits`.
    commits: Url,
    address: String,
    headers: HeaderMap,
    commit_status: Option<String>,
    provider_uid: String,
}

impl BitbucketServer {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        if !cfg.address.starts_with("http://") && !cfg.address.starts_with("https://") {
            return Err(invalid(cfg, "address must be an http(s) clone URL"));
        }
        let addr = parse_git_address(&cfg.provider_type, &cfg.address)?;
        let path = format!("/{}", addr.id);
        let at = path.rfind("/scm/").ok_or_else(|| invalid(cfg, "address is not an http(s) clone URL (no /scm/)"))?;
        let context: Vec<&str> = path[..at].split('/').filter(|s| !s.is_empty()).collect();
        let parts = segments(&cfg.provider_type, &path[at + 5..], 2)?;
        let mut headers = HeaderMap::new();
        let auth = match (cfg.token.is_empty(), cfg.username.is_empty() || cfg.password.is_empty()) {
            (false, _) => format!("Bearer {}", cfg.token),
            (true, false) => basic_header(&cfg.username, &cfg.password),
            (true, true) => return Err(invalid(cfg, "expected a username and password or an API token")),
        };
        headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, &auth)?);
        headers.insert(HeaderName::from_static("x-atlassian-token"), HeaderValue::from_static("no-check"));
        headers.insert(HeaderName::from_static("x-requested-with"), HeaderValue::from_static("XMLHttpRequest"));
        let mut segs = context;
        segs.extend(["rest", "api", "latest", "projects", &parts[0], "repos", &parts[1], "commits"]);
        Ok(BitbucketServer {
            http: Http::new(cfg)?,
            commits: api_url(&addr.base, &segs),
            address: cfg.address.clone(),
            headers,
            commit_status: cfg.commit_status.clone(),
            provider_uid: cfg.provider_uid.clone(),
        })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.reason == REASON_PROGRESSING {
            return Ok(());
        }
        let sha = commit_of(self.http.kind(), event)?;
        let (name, description) = name_and_description(event);
        // Bitbucket Server shows the name, so it carries the description too.
        let name = format!("{name} [{description}]");
        let key = hex(&sha1(status_id(self.commit_status.as_deref(), &self.provider_uid, event).as_bytes()));
        let body = json!({"description": description, "key": key, "name": name, "state": state_of(event),
            "url": self.address});
        let builds = api_url(&self.commits, &[&sha, "builds"]);

        let mut get_url = builds.clone();
        get_url.query_pairs_mut().append_pair("key", &key);
        let get = self.http.request(Method::GET, get_url).headers(self.headers.clone());
        if existing(&self.http, get).await?.is_some_and(|s| same(&s, &body)) {
            return Ok(());
        }
        self.http.send_json(Method::POST, builds, &body, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for BitbucketServer {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}

/// `Basic <base64(user:password)>`.
pub(crate) fn basic_header(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(basic_header("", "pat"), "Basic OnBhdA==");
    }
}
