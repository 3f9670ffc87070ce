//! `slack`, `discord` and `rocket` (`slack.go`, `discord.go`, `rocket.go`): one Slack-style
//! payload with a coloured attachment. Slack adds the bot token as a Bearer header (for
//! `chat.postMessage`, whose `ok: false` answer is an error); Discord posts to the webhook's
//! Slack-compatible `/slack` path.

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde::{Deserialize, Serialize};

use super::format::object_name;
use crate::http::{Http, parse_url, secret_header};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, Severity};

/// The path of Slack's Web API method for bot tokens (`https://slack.com/api/chat.postMessage`).
const SLACK_POST_MESSAGE_PATH: &str = "/api/chat.postMessage";

#[derive(Serialize)]
struct Payload<'a> {
    channel: &'a str,
    username: &'a str,
    icon_url: &'a str,
    icon_emoji: &'a str,
    attachments: Vec<Attachment<'a>>,
}

#[derive(Serialize)]
struct Attachment<'a> {
    color: &'a str,
    author_name: String,
    text: &'a str,
    mrkdwn_in: [&'a str; 1],
    fields: Vec<Field<'a>>,
}

#[derive(Serialize)]
struct Field<'a> {
    title: &'a str,
    value: &'a str,
    short: bool,
}

#[derive(Deserialize)]
struct ApiAnswer {
    ok: bool,
    #[serde(default)]
    error: String,
}

#[derive(Debug)]
pub(crate) struct SlackLike {
    http: Http,
    url: Url,
    username: String,
    channel: String,
    headers: HeaderMap,
    /// Slack's Web API answers 200 with `{"ok": false}` on failure.
    check_ok: bool,
}

impl SlackLike {
    fn build(cfg: &ProviderConfig, url: Url, headers: HeaderMap) -> Result<Self, NotifyError> {
        let check_ok = url.path().ends_with(SLACK_POST_MESSAGE_PATH);
        Ok(SlackLike {
            http: Http::new(cfg)?,
            url,
            username: cfg.username.clone(),
            channel: cfg.channel.clone(),
            headers,
            check_ok,
        })
    }

    pub(crate) fn slack(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let url = parse_url(&cfg.provider_type, &cfg.address)?;
        let mut headers = HeaderMap::new();
        if !cfg.token.is_empty() {
            headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, &format!("Bearer {}", cfg.token))?);
        }
        Self::build(cfg, url, headers)
    }

    pub(crate) fn discord(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let mut url = parse_url(&cfg.provider_type, &cfg.address)?;
        if !url.path().ends_with("/slack") {
            let path = format!("{}/slack", url.path().trim_end_matches('/'));
            url.set_path(&path);
        }
        Self::build(cfg, url, HeaderMap::new())
    }

    pub(crate) fn rocket(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let url = parse_url(&cfg.provider_type, &cfg.address)?;
        Self::build(cfg, url, HeaderMap::new())
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() {
            return Ok(());
        }
        let username = if self.username.is_empty() { &event.reporting_controller } else { &self.username };
        let color = if event.severity == Severity::Error { "danger" } else { "good" };
        let fields = event.metadata.iter().map(|(k, v)| Field { title: k, value: v, short: false }).collect();
        let payload = Payload {
            channel: &self.channel,
            username,
            icon_url: "",
            icon_emoji: "",
            attachments: vec![Attachment {
                color,
                author_name: object_name(event),
                text: &event.message,
                mrkdwn_in: ["text"],
                fields,
            }],
        };
        let resp = self.http.send_json(reqwest::Method::POST, self.url.clone(), &payload, self.headers.clone()).await?;
        if self.check_ok {
            let answer: ApiAnswer = self.http.read_json(resp).await?;
            if !answer.ok {
                return Err(self.http.read_error(&format!("Slack responded with error: {}", answer.error)));
            }
        }
        Ok(())
    }
}

impl Notifier for SlackLike {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}
