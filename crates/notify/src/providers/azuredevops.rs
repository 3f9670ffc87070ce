//! `azuredevops` (`azure_devops.go`): a commit status on
//! `<host>/<org>/<project>/_apis/git/repositories/<repo>/commits/<sha>/statuses?api-version=6.0`
//! for an address `<host>/<org>/<project>/_git/<repo>`, context genre `fluxcd`, info →
//! `succeeded`, error → `error`; basic auth with the token as password; skipped when the newest
//! status with that context already matches. Progressing events are skipped.

use reqwest::header::{AUTHORIZATION, HeaderMap};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::bitbucket::basic_header;
use super::format::name_and_description;
use super::git::{api_url, commit_of, parse_git_address, require_token, segments, status_id};
use crate::http::{Http, secret_header};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, REASON_PROGRESSING, Severity};

const GENRE: &str = "fluxcd";
const API_VERSION: &str = "api-version=6.0";

#[derive(Debug)]
pub(crate) struct AzureDevOps {
    http: Http,
    /// `<host>/<org>/<project>/_apis/git/repositories/<repo>/commits`.
    commits: Url,
    headers: HeaderMap,
    commit_status: Option<String>,
    provider_uid: String,
}

impl AzureDevOps {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        require_token(cfg)?;
        let addr = parse_git_address(&cfg.provider_type, &cfg.address)?;
        let parts = segments(&cfg.provider_type, &addr.id, 4)?;
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, &basic_header("", &cfg.token))?);
        Ok(AzureDevOps {
            http: Http::new(cfg)?,
            commits: api_url(&addr.base, &[&parts[0], &parts[1], "_apis", "git", "repositories", &parts[3], "commits"]),
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
        let state = if event.severity == Severity::Error { "error" } else { "succeeded" };
        let (_, description) = name_and_description(event);
        let name = status_id(self.commit_status.as_deref(), &self.provider_uid, event);
        let mut url = api_url(&self.commits, &[&sha, "statuses"]);
        url.set_query(Some(API_VERSION));

        let resp = self.http.send(self.http.request(Method::GET, url.clone()).headers(self.headers.clone())).await?;
        let list: Value = self.http.read_json(resp).await?;
        let statuses = list.get("value").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let same_context = |s: &&Value| {
            s.pointer("/context/name").and_then(Value::as_str) == Some(name.as_str())
                && s.pointer("/context/genre").and_then(Value::as_str) == Some(GENRE)
        };
        if let Some(s) = statuses.iter().find(same_context)
            && s.get("state").and_then(Value::as_str) == Some(state)
            && s.get("description").and_then(Value::as_str) == Some(description.as_str())
        {
            return Ok(());
        }
        let body = json!({"state": state, "description": description, "context": {"genre": GENRE, "name": name}});
        self.http.send_json(Method::POST, url, &body, self.headers.clone()).await.map(drop)
    }
}

impl Notifier for AzureDevOps {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}
