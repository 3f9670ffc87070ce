//! `github` (`github.go`): a commit status on `/repos/<owner>/<repo>/statuses/<sha>` (api.github.com
//! for github.com, `<host>/api/v3` for GitHub Enterprise), info → `success`, error →
//! `failure`, skipped when the newest status with the same context already has that state and
//! description. Progressing events are skipped.

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::format::name_and_description;
use super::git::{api_url, commit_of, is_duplicate, parse_git_address, require_token, segments, status_id};
use crate::http::{Http, secret_header};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, REASON_PROGRESSING, Severity};

/// The REST API root for a repository server: api.github.com for github.com, `<host>/api/v3`
/// for GitHub Enterprise (go-github's `NewEnterpriseClient`).
pub(crate) fn api_base(kind: &str, server: &Url) -> Result<Url, NotifyError> {
    if server.host_str() == Some("github.com") {
        Url::parse("https://api.github.com")
            .map_err(|e| NotifyError::CreateInvalidConfig { kind: kind.to_string(), reason: e.to_string() })
    } else {
        Ok(api_url(server, &["api", "v3"]))
    }
}

/// A GitHub repository's REST root (`<api>/repos/<owner>/<repo>`) and the request headers:
/// the token as Bearer and `accept` as the media type.
pub(crate) fn repo_api(cfg: &ProviderConfig, accept: &'static str) -> Result<(Url, HeaderMap), NotifyError> {
    require_token(cfg)?;
    let addr = parse_git_address(&cfg.provider_type, &cfg.address)?;
    let parts = segments(&cfg.provider_type, &addr.id, 2)?;
    let api = api_base(&cfg.provider_type, &addr.base)?;
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, &format!("Bearer {}", cfg.token))?);
    headers.insert(ACCEPT, HeaderValue::from_static(accept));
    Ok((api_url(&api, &["repos", &parts[0], &parts[1]]), headers))
}

#[derive(Debug)]
pub(crate) struct GitHub {
    http: Http,
    /// `<api>/repos/<owner>/<repo>`.
    repo: Url,
    headers: HeaderMap,
    commit_status: Option<String>,
    provider_uid: String,
}

impl GitHub {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let (repo, headers) = repo_api(cfg, "application/vnd.github+json")?;
        Ok(GitHub {
            http: Http::new(cfg)?,
            repo,
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
        let state = if event.severity == Severity::Error { "failure" } else { "success" };
        let (_, description) = name_and_description(event);
        let context = status_id(self.commit_status.as_deref(), &self.provider_uid, event);

        let mut list = api_url(&self.repo, &["commits", &sha, "statuses"]);
        list.set_query(Some("per_page=50"));
        let resp = self.http.send(self.http.request(Method::GET, list).headers(self.headers.clone())).await?;
        let statuses: Vec<Value> = self.http.read_json(resp).await?;
        if is_duplicate(&statuses, "/context", "/state", [&context, state, &description]) {
            return Ok(());
        }
        let body = json!({"state": state, "description": description, "context": context});
        let url = api_url(&self.repo, &["statuses", &sha]);
        self.http.send_json(Method::POST, url, &body, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for GitHub {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}
