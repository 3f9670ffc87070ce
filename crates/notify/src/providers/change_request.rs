//! Change-request comments (`git_change_request_comment.go` and
//! `github_pull_request_comment.go`, `gitlab_merge_request_comment.go`,
//! `gitea_pull_request_comment.go`): one comment per Provider and object on the pull/merge
//! request in the exact `change_request` metadata key, created the first time and edited
//! afterwards. The comment starts with the hidden marker
//! `<!-- <prefix>:<provider uid>/<Kind>/<namespace>/<name> -->` and then Flux's Markdown post;
//! an existing comment is the first of the oldest 100 that the token's user wrote and that
//! contains the marker.
//!
//! Differences from Flux: the token's user is fetched on the first post (Flux fetches it when
//! it builds the notifier), and only token authentication exists (no GitHub App, whose
//! comments appear as `<slug>[bot]`).

use std::sync::OnceLock;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::format::markdown_post;
use super::git::{api_url, parse_git_address, require_token, segments};
use super::github::api_base;
use crate::http::{Http, secret_header};
use crate::{Event, META_CHANGE_REQUEST, Notifier, NotifyError, PostFuture, ProviderConfig};

/// What differs between the forges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forge {
    GitHub,
    GitLab,
    Gitea,
}

impl Forge {
    fn marker_prefix(self) -> &'static str {
        if self == Forge::GitLab { "flux-mr-comment-key" } else { "flux-pr-comment-key" }
    }

    /// Where the token's user name is in `GET <api>/user`, and the author's in a comment.
    fn login_pointers(self) -> (&'static str, &'static str) {
        match self {
            Forge::GitLab => ("/username", "/author/username"),
            Forge::GitHub | Forge::Gitea => ("/login", "/user/login"),
        }
    }
}

#[derive(Debug)]
pub(crate) struct ChangeRequestComment {
    forge: Forge,
    http: Http,
    /// The REST root: `api.github.com` / `<host>/api/v3`, `<host>/api/v4`, `<host>/api/v1`.
    api: Url,
    /// `<api>/repos/<owner>/<repo>` or `<api>/projects/<url-encoded path>`.
    repo: Url,
    headers: HeaderMap,
    provider_uid: String,
    login: OnceLock<String>,
}

impl ChangeRequestComment {
    pub(crate) fn github(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        Self::new(cfg, Forge::GitHub)
    }

    pub(crate) fn gitlab(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        Self::new(cfg, Forge::GitLab)
    }

    pub(crate) fn gitea(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        Self::new(cfg, Forge::Gitea)
    }

    fn new(cfg: &ProviderConfig, forge: Forge) -> Result<Self, NotifyError> {
        let kind = cfg.provider_type.as_str();
        if cfg.provider_uid.is_empty() {
            return Err(NotifyError::CreateInvalidConfig {
                kind: kind.into(),
                reason: "the provider UID is empty".into(),
            });
        }
        require_token(cfg)?;
        let addr = parse_git_address(kind, &cfg.address)?;
        let mut headers = HeaderMap::new();
        let (api, repo) = match forge {
            Forge::GitHub | Forge::Gitea => {
                let parts = segments(kind, &addr.id, 2)?;
                let api = if forge == Forge::GitHub {
                    api_base(kind, &addr.base)?
                } else {
                    api_url(&addr.base, &["api", "v1"])
                };
                if forge == Forge::GitHub {
                    headers.insert(AUTHORIZATION, secret_header(kind, &format!("Bearer {}", cfg.token))?);
                    headers.insert(ACCEPT, HeaderValue::from_static("application/vnd.github.v3+json"));
                    headers.insert("X-GitHub-Api-Version", HeaderValue::from_static("2022-11-28"));
                } else {
                    headers.insert(AUTHORIZATION, secret_header(kind, &format!("token {}", cfg.token))?);
                }
                let repo = api_url(&api, &["repos", &parts[0], &parts[1]]);
                (api, repo)
            }
            Forge::GitLab => {
                headers.insert(HeaderName::from_static("private-token"), secret_header(kind, &cfg.token)?);
                let api = api_url(&addr.base, &["api", "v4"]);
                let repo = api_url(&api, &["projects", &addr.id]);
                (api, repo)
            }
        };
        Ok(ChangeRequestComment {
            forge,
            http: Http::new(cfg)?,
            api,
            repo,
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
        let (pointer, _) = self.forge.login_pointers();
        let login = user
            .pointer(pointer)
            .and_then(Value::as_str)
            .ok_or_else(|| self.http.read_error("the user has no name"))?;
        Ok(self.login.get_or_init(|| login.to_string()).clone())
    }

    /// The list URL (with the forge's query), and the create URL.
    fn comment_urls(&self, number: &str) -> (Url, Url) {
        let (collection, query) = match self.forge {
            Forge::GitHub => (["issues", number, "comments"], "direction=asc&per_page=100&sort=created"),
            Forge::GitLab => (["merge_requests", number, "notes"], "order_by=created_at&per_page=100&sort=asc"),
            Forge::Gitea => (["issues", number, "comments"], "page=1&limit=100"),
        };
        let create = api_url(&self.repo, &collection);
        let mut list = create.clone();
        list.set_query(Some(query));
        (list, create)
    }

    /// The URL and method that edit comment `id`.
    fn edit(&self, number: &str, id: &str) -> (Method, Url) {
        match self.forge {
            Forge::GitHub | Forge::Gitea => (Method::PATCH, api_url(&self.repo, &["issues", "comments", id])),
            Forge::GitLab => (Method::PUT, api_url(&self.repo, &["merge_requests", number, "notes", id])),
        }
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let number = change_request_number(self.http.kind(), event)?.to_string();
        let o = &event.involved_object;
        let marker = format!(
            "<!-- {}:{}/{}/{}/{} -->",
            self.forge.marker_prefix(),
            self.provider_uid,
            o.kind,
            o.namespace,
            o.name
        );
        let body = json!({"body": format!("{marker}\n\n{}", markdown_post(event))});
        let (list, create) = self.comment_urls(&number);
        let comments = self.get_json(list).await?;
        let login = self.login().await?;
        let (_, author) = self.forge.login_pointers();
        let existing = comments.as_array().into_iter().flatten().find(|c| {
            c.pointer(author).and_then(Value::as_str) == Some(login.as_str())
                && c["body"].as_str().is_some_and(|b| b.contains(&marker))
        });
        let (method, url) = match existing.and_then(|c| c["id"].as_u64()) {
            Some(id) => self.edit(&number, &id.to_string()),
            None => (Method::POST, create),
        };
        self.http.send_json(method, url, &body, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for ChangeRequestComment {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}

/// The `change_request` metadata value as a number (Go's `strconv.Atoi` / `ParseInt`).
fn change_request_number(kind: &str, event: &Event) -> Result<i64, NotifyError> {
    let fail = |reason: String| NotifyError::ReadEvent { kind: kind.to_string(), reason };
    let value = event
        .metadata
        .get(META_CHANGE_REQUEST)
        .ok_or_else(|| fail(format!("missing {META_CHANGE_REQUEST:?} metadata key")))?;
    value.parse().map_err(|_| fail(format!("invalid {META_CHANGE_REQUEST:?} metadata value {value:?}")))
}
