//! `gitlab` (`gitlab.go`): a commit status on `/api/v4/projects/<url-encoded path>/statuses/<sha>`
//! with `PRIVATE-TOKEN`, info → `success`, error → `failed`, Progressing → `running`; skipped
//! when the newest status of that name already has that state and description.

use reqwest::header::{HeaderMap, HeaderName};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::format::name_and_description;
use super::git::{api_url, commit_of, is_duplicate, parse_git_address, require_token, status_id};
use crate::http::{Http, secret_header};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, REASON_PROGRESSING, Severity};

#[derive(Debug)]
pub(crate) struct GitLab {
    http: Http,
    /// `<host>/api/v4/projects/<id>`.
    project: Url,
    headers: HeaderMap,
    commit_status: Option<String>,
    provider_uid: String,
}

impl GitLab {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        require_token(cfg)?;
        let addr = parse_git_address(&cfg.provider_type, &cfg.address)?;
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static("private-token"), secret_header(&cfg.provider_type, &cfg.token)?);
        Ok(GitLab {
            http: Http::new(cfg)?,
            project: api_url(&addr.base, &["api", "v4", "projects", &addr.id]),
            headers,
            commit_status: cfg.commit_status.clone(),
            provider_uid: cfg.provider_uid.clone(),
        })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let sha = commit_of(self.http.kind(), event)?;
        let state = match event.severity {
            _ if event.reason == REASON_PROGRESSING => "running",
            Severity::Error => "failed",
            _ => "success",
        };
        let (_, description) = name_and_description(event);
        let name = status_id(self.commit_status.as_deref(), &self.provider_uid, event);

        let list = api_url(&self.project, &["repository", "commits", &sha, "statuses"]);
        let resp = self.http.send(self.http.request(Method::GET, list).headers(self.headers.clone())).await?;
        let statuses: Vec<Value> = self.http.read_json(resp).await?;
        if is_duplicate(&statuses, "/name", "/status", [&name, state, &description]) {
            return Ok(());
        }
        let body = json!({"state": state, "name": name, "description": description});
        let url = api_url(&self.project, &["statuses", &sha]);
        self.http.send_json(Method::POST, url, &body, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for GitLab {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}
