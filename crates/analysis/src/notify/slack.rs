//! Slack incoming webhooks (or `chat.postMessage` with a token); the payload is also what
//! Discord (`/slack`) and Rocket.Chat accept.

use glidepath_api::flagger::{AlertProviderSpec, Severity};
use serde::Serialize;

use super::{ICON_URL, Notification, Notifier, NotifyFuture, Poster};

#[derive(Serialize, Debug)]
pub(crate) struct SlackPayload {
    channel: String,
    username: String,
    icon_url: &'static str,
    icon_emoji: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    attachments: Vec<SlackAttachment>,
}

#[derive(Serialize, Debug)]
struct SlackAttachment {
    color: &'static str,
    author_name: String,
    text: String,
    mrkdwn_in: [&'static str; 1],
    fields: Vec<SlackField>,
}

#[derive(Serialize, Debug)]
struct SlackField {
    title: String,
    value: String,
    short: bool,
}

/// The Slack-format payload: one attachment, `good` or `danger` (error) colour.
pub(crate) fn payload(poster: &Poster, channel: &str, username: &str, n: &Notification) -> SlackPayload {
    SlackPayload {
        channel: channel.to_owned(),
        username: username.to_owned(),
        icon_url: ICON_URL,
        icon_emoji: "",
        text: String::new(),
        attachments: vec![SlackAttachment {
            color: if n.severity == Severity::Error { "danger" } else { "good" },
            author_name: format!("{}.{}", n.workload, n.namespace),
            text: n.message.clone(),
            mrkdwn_in: ["text"],
            fields: poster
                .fields(n)
                .into_iter()
                .map(|f| SlackField { title: f.name, value: f.value, short: false })
                .collect(),
        }],
    }
}

/// Slack.
#[derive(Debug)]
pub(crate) struct Slack {
    poster: Poster,
    channel: String,
    username: String,
}

impl Slack {
    pub(crate) fn new(poster: Poster, spec: &AlertProviderSpec) -> Self {
        Self { poster, channel: spec.channel().to_owned(), username: spec.username().to_owned() }
    }
}

impl Notifier for Slack {
    fn kind(&self) -> &'static str {
        "slack"
    }

    fn post<'a>(&'a self, n: &'a Notification) -> NotifyFuture<'a> {
        Box::pin(async move { self.poster.post_json(&payload(&self.poster, &self.channel, &self.username, n)).await })
    }
}
