//! `githubpullrequestcomment` (`github_pull_request_comment.go`, `git_change_request_comment.go`):
//! one comment per Provider and object on the pull request in the `change_request` metadata,
//! created the first time and edited afterwards. The comment carries the hidden marker
//! `<!-- flux-pr-comment-key:<provider uid>/<Kind>/<namespace>/<name> -->`; an existing comment
//! is the first of the oldest 100 written by the token's user (`GET /user`) that contains it.
//! Only token (PAT) authentication: GitHub App comments (`<slug>[bot]`) are not supported.

use std::sync::OnceLock;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::format::markdown_post;
use super::git::{api_url, parse_git_address, require_token, segments};
use super::github::api_base;
use crate::http::{Http, secret_header};
use crate::{Event, META_CHANGE_REQUEST, Notifier, NotifyError, PostFuture, ProviderConfig};

const MARKER_PREFIX: &str = "flux-pr-comment-key";

#[derive(Debug)]
pub(crate) struct GitHubPullRequestComment {
    http: Http,
    api: Url,
    /// `<api>/repos/<owner>/<repo>`.
    repo: Url,
    headers: HeaderMap,
    provider_uid: String,
    /// The token's user, fetched on the first post (Flux fetches it when building the client).
    login: OnceLock<String>,
}

impl GitHubPullRequestComment {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        if cfg.provider_uid.is_empty() {
            return Err(NotifyError::CreateInvalidConfig {
                kind: cfg.provider_type.clone(),
                reason: "the provider UID is empty".into(),
            });
        }
        require_token(cfg)?;
        let addr = parse_git_address(&cfg.provider_type, &cfg.address)?;
        let parts = segments(&cfg.provider_type, &addr.id, 2)?;
        let api = api_base(&cfg.provider_type, &addr.base)?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, &format!("Bearer {}", cfg.token))?);
        headers.insert(ACCEPT, HeaderValue::from_static("application/vnd.github.v3+json"));
        headers.insert("X-GitHub-Api-Version", HeaderValue::from_static("2022-11-28"));
        Ok(GitHubPullRequestComment {
            http: Http::new(cfg)?,
            repo: api_url(&api, &["repos", &parts[0], &parts[1]]),
            api,
            headers,
            provider_uid: cfg.provider_uid.clone(),
            login: OnceLock::new(),
        })
    }

    async fn get_json(&self, url: Url) -> Result<Value, NotifyError> {
        let resp = self.http.send(self.http.request(Method::GET, url).headers(self.headers.clone())).await?;
        self.http.read_json(resp).await
    }

    async fn login(&self) -> Result<String, NotifyError> {
        if let Some(login) = self.login.get() {
            return Ok(login.clone());
        }
        let user = self.get_json(api_url(&self.api, &["user"])).await?;
        let login = user["login"].as_str().ok_or_else(|| self.http.read_error("the user has no login"))?;
        Ok(self.login.get_or_init(|| login.to_string()).clone())
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let number = pull_request_number(self.http.kind(), event)?;
        let marker = marker(&self.provider_uid, event);
        let body = json!({"body": format!("{marker}\n\n{}", markdown_post(event))});
        let mut list = api_url(&self.repo, &["issues", &number.to_string(), "comments"]);
        list.set_query(Some("direction=asc&per_page=100&sort=created"));
        let comments = self.get_json(list).await?;
        let login = self.login().await?;
        let existing = comments.as_array().into_iter().flatten().find(|c| {
            c.pointer("/user/login").and_then(Value::as_str) == Some(login.as_str())
                && c["body"].as_str().is_some_and(|b| b.contains(&marker))
        });
        let (method, url) = match existing.and_then(|c| c["id"].as_u64()) {
            Some(id) => (Method::PATCH, api_url(&self.repo, &["issues", "comments", &id.to_string()])),
            None => (Method::POST, api_url(&self.repo, &["issues", &number.to_string(), "comments"])),
        };
        self.http.send_json(method, url, &body, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for GitHubPullRequestComment {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}

/// `<!-- flux-pr-comment-key:<uid>/<Kind>/<namespace>/<name> -->`.
fn marker(provider_uid: &str, event: &Event) -> String {
    let o = &event.involved_object;
    format!("<!-- {MARKER_PREFIX}:{provider_uid}/{}/{}/{} -->", o.kind, o.namespace, o.name)
}

/// The `change_request` metadata value as a number (Go's `strconv.Atoi`).
fn pull_request_number(kind: &str, event: &Event) -> Result<i64, NotifyError> {
    let fail = |reason: String| NotifyError::ReadEvent { kind: kind.to_string(), reason };
    let value = event
        .metadata
        .get(META_CHANGE_REQUEST)
        .ok_or_else(|| fail(format!("missing {META_CHANGE_REQUEST:?} metadata key")))?;
    value.parse().map_err(|_| fail(format!("invalid {META_CHANGE_REQUEST:?} metadata value {value:?}")))
}
