//! Chat providers with small payloads: `googlechat`, `webex`, `telegram`, `lark`, `matrix`
//! (`google_chat.go`, `webex.go`, `telegram.go`, `lark.go`, `matrix.go`).

use reqwest::header::{AUTHORIZATION, HeaderMap};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::format::object_name;
use crate::digest::{hex, sha1};
use crate::http::{Http, parse_url, secret_header};
use crate::time::go_string;
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig, REASON_PROGRESSING, Severity};

/// Telegram's Bot API, used when the Provider has no address.
const TELEGRAM_API: &str = "https://api.telegram.org";

fn bearer(cfg: &ProviderConfig) -> Result<HeaderMap, NotifyError> {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, secret_header(&cfg.provider_type, &format!("Bearer {}", cfg.token))?);
    Ok(headers)
}

fn require(cfg: &ProviderConfig, value: &str, what: &str) -> Result<(), NotifyError> {
    if value.is_empty() {
        return Err(NotifyError::CreateInvalidConfig {
            kind: cfg.provider_type.clone(),
            reason: format!("{what} is empty"),
        });
    }
    Ok(())
}

/// Emoji heading shared by Lark and Matrix.
fn heading(event: &Event) -> String {
    let emoji = if event.severity == Severity::Error { "🚨" } else { "💫" };
    format!("{emoji} {}", object_name(event))
}

macro_rules! notifier_impl {
    ($t:ty) => {
        impl Notifier for $t {
            fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
                Box::pin(self.send(event))
            }
        }
    };
}

/// Google Chat: a card with the object name and controller, the message (red for errors),
/// and key/value widgets for the timestamp and metadata. Progressing events are skipped.
#[derive(Debug)]
pub(crate) struct GoogleChat {
    http: Http,
    url: Url,
}

impl GoogleChat {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        Ok(GoogleChat { url: parse_url(&cfg.provider_type, &cfg.address)?, http: Http::new(cfg)? })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() || event.reason == REASON_PROGRESSING {
            return Ok(());
        }
        let text = match event.severity {
            Severity::Error => format!("<font color=\"#ff0000\">{}</font>", event.message),
            _ => event.message.clone(),
        };
        let key_value = |label: &str, content: &str| {
            json!({"textParagraph": null, "keyValue": {
                "topLabel": label, "content": content, "contentMultiline": false, "bottomLabel": null, "icon": null}})
        };
        let mut fields = vec![key_value("TIMESTAMP", &go_string(&event.timestamp))];
        fields.extend(event.metadata.iter().map(|(k, v)| key_value(k, v)));
        let payload = json!({"cards": [{
            "header": {"title": object_name(event), "subtitle": event.reporting_controller, "imageUrl": null, "imageStyle": null},
            "sections": [
                {"header": "", "widgets": [{"textParagraph": {"text": text}, "keyValue": null}]},
                {"header": "", "widgets": fields},
            ],
        }]});
        self.http.post_json(self.url.clone(), &payload).await.map(drop)
    }
}
notifier_impl!(GoogleChat);

/// Webex: markdown (`<emoji> **Kind/namespace/name**`, the message, `>**key**: value` lines)
/// to the room in `channel`, the bot token as Bearer.
#[derive(Debug)]
pub(crate) struct Webex {
    http: Http,
    url: Url,
    room: String,
    headers: HeaderMap,
}

impl Webex {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let url = parse_url(&cfg.provider_type, &cfg.address)?;
        Ok(Webex { http: Http::new(cfg)?, url, room: cfg.channel.clone(), headers: bearer(cfg)? })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() {
            return Ok(());
        }
        let emoji = if event.severity == Severity::Error { "💣" } else { "✅" };
        let o = &event.involved_object;
        let mut md = format!("{emoji} **{}/{}/{}**\n{}\n", o.kind, o.namespace, o.name, event.message);
        for (k, v) in &event.metadata {
            md.push_str(&format!(">**{k}**: {v}\n"));
        }
        let payload = json!({"roomId": self.room, "markdown": md});
        self.http.send_json(Method::POST, self.url.clone(), &payload, self.headers.clone()).await.map(drop)
    }
}
notifier_impl!(Webex);

/// Telegram: `sendMessage` in MarkdownV2 to the chat in `channel` (`<chat>:<thread>` posts to a
/// forum topic); the token is in the path. Flux always uses api.telegram.org; a non-empty
/// address replaces that base here.
#[derive(Debug)]
pub(crate) struct Telegram {
    http: Http,
    url: Url,
    chat: String,
}

impl Telegram {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        require(cfg, &cfg.token, "the bot token")?;
        require(cfg, &cfg.channel, "the chat id (channel)")?;
        let base = if cfg.address.is_empty() { TELEGRAM_API } else { cfg.address.as_str() };
        let mut url = parse_url(&cfg.provider_type, base)?;
        url.path_segments_mut()
            .map_err(|_| NotifyError::CreateInvalidConfig {
                kind: cfg.provider_type.clone(),
                reason: "invalid API URL".into(),
            })?
            .pop_if_empty()
            .push(&format!("bot{}", cfg.token))
            .push("sendMessage");
        Ok(Telegram { http: Http::new(cfg)?, url, chat: cfg.channel.clone() })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let emoji = if event.severity == Severity::Error { "🚨" } else { "💫" };
        let o = &event.involved_object;
        let heading = format!("{emoji} {}/{}/{}", o.kind.to_lowercase(), o.name, o.namespace);
        let mut text = format!("*{}*\n{}\n", escape_markdown_v2(&heading), escape_markdown_v2(&event.message));
        for (k, v) in &event.metadata {
            text.push_str(&format!("\\- *{}*: {}\n", escape_markdown_v2(k), escape_markdown_v2(v)));
        }
        let mut payload = json!({"chat_id": self.chat, "text": text, "parse_mode": "MarkdownV2"});
        if let Some((chat, thread)) = self.chat.split_once(':') {
            payload["chat_id"] = json!(chat);
            payload["message_thread_id"] = json!(thread);
        }
        self.http.post_json(self.url.clone(), &payload).await.map(drop)
    }
}
notifier_impl!(Telegram);

/// Backslash before every character MarkdownV2 reserves.
fn escape_markdown_v2(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "_*[]()~`>#+-=|{}.!\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Lark: an interactive card with a coloured header and the message plus metadata in
/// `lark_md`.
#[derive(Debug)]
pub(crate) struct Lark {
    http: Http,
    url: Url,
}

impl Lark {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        Ok(Lark { url: parse_url(&cfg.provider_type, &cfg.address)?, http: Http::new(cfg)? })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        if event.is_commit_status_update() {
            return Ok(());
        }
        let color = if event.severity == Severity::Error { "red" } else { "turquoise" };
        let mut message = format!("**{}**\n\n", event.message);
        for (k, v) in &event.metadata {
            message.push_str(&format!("{k}: {v}\n"));
        }
        let payload = json!({"msg_type": "interactive", "card": {
            "config": {"wide_screen_mode": true},
            "header": {"title": {"tag": "plain_text", "content": heading(event)}, "template": color},
            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": message}}],
        }});
        self.http.post_json(self.url.clone(), &payload).await.map(drop)
    }
}
notifier_impl!(Lark);

/// Matrix: `PUT <homeserver>/_matrix/client/r0/rooms/<room>/send/m.room.message/<txn>` with
/// an `m.text` body; the transaction id is the hex SHA-1 of the event JSON, so a resend of the
/// same event is idempotent.
#[derive(Debug)]
pub(crate) struct Matrix {
    http: Http,
    url: Url,
    room: String,
    headers: HeaderMap,
}

impl Matrix {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        require(cfg, &cfg.channel, "the room id (channel)")?;
        let url = parse_url(&cfg.provider_type, &cfg.address)?;
        Ok(Matrix { http: Http::new(cfg)?, url, room: cfg.channel.clone(), headers: bearer(cfg)? })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let txn = hex(&sha1(&self.http.encode(event)?));
        let mut url = self.url.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty().extend([
                "_matrix",
                "client",
                "r0",
                "rooms",
                &self.room,
                "send",
                "m.room.message",
                &txn,
            ]);
        }
        let metadata: String = event.metadata.iter().map(|(k, v)| format!("- {k}: {v}\n")).collect();
        let body = format!("{}\n{}\n{}", heading(event), event.message, metadata);
        let payload: Value = json!({"body": body, "msgtype": "m.text"});
        self.http.send_json(Method::PUT, url, &payload, self.headers.clone()).await.map(drop)
    }
}
notifier_impl!(Matrix);
