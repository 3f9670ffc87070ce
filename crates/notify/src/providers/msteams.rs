//! `msteams` (`teams.go`): an Adaptive Card (`type: message` with one
//! `application/vnd.microsoft.card.adaptive` attachment) for Workflows URLs, and the legacy
//! connector `MessageCard` for `*.webhook.office.com` incoming webhooks.

use reqwest::Url;
use serde::Serialize;
use serde_json::{Value, json};

use super::format::object_name;
use crate::http::{Http, parse_url};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, Severity};

/// The Adaptive Card schema version Flux sends.
const ADAPTIVE_CARD_VERSION: &str = "1.4";

#[derive(Serialize)]
struct MessageCard<'a> {
    #[serde(rename = "@type")]
    kind: &'a str,
    #[serde(rename = "@context")]
    context: &'a str,
    #[serde(rename = "themeColor")]
    theme_color: &'a str,
    summary: &'a str,
    sections: [Section<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Section<'a> {
    activity_title: &'a str,
    activity_subtitle: &'a str,
    facts: Vec<Fact<'a>>,
}

#[derive(Serialize)]
struct Fact<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Debug)]
pub(crate) struct MsTeams {
    http: Http,
    url: Url,
    legacy: bool,
}

impl MsTeams {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let url = parse_url(&cfg.provider_type, &cfg.address)?;
        let legacy = url.host_str().is_some_and(|h| h.ends_with(".webhook.office.com"));
        Ok(MsTeams { http: Http::new(cfg)?, url, legacy })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() {
            return Ok(());
        }
        let name = object_name(event);
        let payload = if self.legacy { message_card(event, &name) } else { adaptive_card(event, &name) };
        self.http.post_json(self.url.clone(), &payload).await.map(drop)
    }
}

impl Notifier for MsTeams {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}

fn message_card(event: &Event, name: &str) -> Value {
    let card = MessageCard {
        kind: "MessageCard",
        context: "http://schema.org/extensions",
        theme_color: if event.severity == Severity::Error { "FF0000" } else { "0076D7" },
        summary: name,
        sections: [Section {
            activity_title: &event.message,
            activity_subtitle: name,
            facts: event.metadata.iter().map(|(k, v)| Fact { name: k, value: v }).collect(),
        }],
    };
    // Plain strings and vectors: serializing cannot fail.
    serde_json::to_value(card).unwrap_or(Value::Null)
}

/// The card: a container with the object name (large, bold), the message (red for errors) and
/// a fact set of the metadata, `summary` first.
fn adaptive_card(event: &Event, name: &str) -> Value {
    let mut facts: Vec<Value> = Vec::with_capacity(event.metadata.len());
    if let Some(summary) = event.metadata.get("summary") {
        facts.push(json!({"title": "summary", "value": summary}));
    }
    facts.extend(event.metadata.iter().filter(|(k, _)| *k != "summary").map(|(k, v)| json!({"title": k, "value": v})));
    let mut message = json!({"type": "TextBlock", "text": event.message, "wrap": true});
    if event.severity == Severity::Error {
        message["color"] = json!("attention");
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": ADAPTIVE_CARD_VERSION,
                "body": [{
                    "type": "Container",
                    "items": [
                        {"type": "TextBlock", "text": name, "size": "large", "weight": "bolder", "wrap": true},
                        message,
                        {"type": "FactSet", "facts": facts},
                    ],
                }],
            },
        }],
    })
}
