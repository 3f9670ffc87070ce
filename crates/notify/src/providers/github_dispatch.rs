//! `githubdispatch` (`github_dispatch.go`): a `repository_dispatch` on
//! `POST /repos/<owner>/<repo>/dispatches` (api.github.com, or `<host>/api/v3` for GitHub
//! Enterprise) with `event_type` `<Kind>/<name>.<namespace>` and the whole event JSON as
//! `client_payload`; the token as Bearer, go-github's v3 media type. Commit-status updates are
//! skipped.

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde_json::json;

use super::git::api_url;
use super::github::repo_api;
use crate::http::Http;
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig};

#[derive(Debug)]
pub(crate) struct GitHubDispatch {
    http: Http,
    url: Url,
    headers: HeaderMap,
}

impl GitHubDispatch {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let (repo, mut headers) = repo_api(cfg, "application/vnd.github.v3+json")?;
        headers.insert("X-GitHub-Api-Version", HeaderValue::from_static("2022-11-28"));
        Ok(GitHubDispatch { http: Http::new(cfg)?, url: api_url(&repo, &["dispatches"]), headers })
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
