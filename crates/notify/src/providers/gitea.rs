//! `gitea` (`gitea.go`): a commit status on `/api/v1/repos/<owner>/<repo>/statuses/<sha>` with
//! `Authorization: token <token>`, info → `success`, error → `failure`, Progressing →
//! `pending`; skipped when the newest status with that context already has that state and
//! description.

use reqwest::header::{AUTHORIZATION, HeaderMap};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::format::name_and_description;
use super::git::{api_url, commit_of, is_duplicate, parse_git_address, require_token, segments, status_id};
use crate::http::{Http, secret_header};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, REASON_PROGRESSING, Severity};

#[derive(Debug)]
pub(crate) struct Gitea {
    http: Http,
    /// `<host>/api/v1/repos/<owner>/<repo>`.
    repo: Url,
    headers: HeaderMap,
    commit_status: Option<String>,
    provider_uid: String,
}

impl Gitea {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        require_token(cfg)?;
        let addr = parse_git_address(&cfg.provider_type, &cfg.address)?;
        let parts = segments(&cfg.provider_type, &addr.id, 2)?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, &format!("token {}", cfg.token))?);
        Ok(Gitea {
            http: Http::new(cfg)?,
            repo: api_url(&addr.base, &["api", "v1", "repos", &parts[0], &parts[1]]),
            headers,
            commit_status: cfg.commit_status.clone(),
            provider_uid: cfg.provider_uid.clone(),
        })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let sha = commit_of(self.http.kind(), event)?;
        let state = match event.severity {
            _ if event.reason == REASON_PROGRESSING => "pending",
            Severity::Error => "failure",
            _ => "success",
        };
        let (_, description) = name_and_description(event);
        let context = status_id(self.commit_status.as_deref(), &self.provider_uid, event);

        let mut list = api_url(&self.repo, &["commits", &sha, "statuses"]);
        list.set_query(Some("page=0&limit=50"));
        let resp = self.http.send(self.http.request(Method::GET, list).headers(self.headers.clone())).await?;
        let statuses: Vec<Value> = self.http.read_json(resp).await?;
        if is_duplicate(&statuses, "/context", "/status", [&context, state, &description]) {
            return Ok(());
        }
        let body = json!({"state": state, "target_url": "", "description": description, "context": context});
        let url = api_url(&self.repo, &["statuses", &sha]);
        self.http.send_json(Method::POST, url, &body, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for Gitea {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}
