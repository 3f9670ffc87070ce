//! `githubdispatch` (`github_dispatch.go`): a `repository_dispatch` on
//! `POST /repos/<owner>/<repo>/dispatches` (api.github.com, or `<host>/api/v3` for GitHub
//! Enterprise) with `event_type` `<Kind>/<name>.<namespace>` and the whole event JSON as
//! `client_payload`; the token as Bearer, go-github's v3 media type. Commit-status updates are
//! skipped.

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde_json::json;

use super::git::{api_url, parse_git_address, require_token, segments};
use super::github::api_base;
use crate::http::{Http, secret_header};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig};

#[derive(Debug)]
pub(crate) struct GitHubDispatch {
    http: Http,
    url: Url,
    headers: HeaderMap,
}

impl GitHubDispatch {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        require_token(cfg)?;
        let addr = parse_git_address(&cfg.provider_type, &cfg.address)?;
        let parts = segments(&cfg.provider_type, &addr.id, 2)?;
        let api = api_base(&cfg.provider_type, &addr.base)?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, &format!("Bearer {}", cfg.token))?);
        headers.insert(ACCEPT, HeaderValue::from_static("application/vnd.github.v3+json"));
        headers.insert("X-GitHub-Api-Version", HeaderValue::from_static("2022-11-28"));
        Ok(GitHubDispatch {
            http: Http::new(cfg)?,
            url: api_url(&api, &["repos", &parts[0], &parts[1], "dispatches"]),
            headers,
        })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() {
            return Ok(());
        }
        let o = &event.involved_object;
        let payload = json!({
            "event_type": format!("{}/{}.{}", o.kind, o.name, o.namespace),
            "client_payload": event,
        });
        self.http.send_json(Method::POST, self.url.clone(), &payload, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for GitHubDispatch {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}
