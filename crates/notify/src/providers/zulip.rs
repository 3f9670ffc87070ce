//! `zulip` (`zulip.go`): the address is the Zulip server (its path is replaced by
//! `/api/v1/messages`), `channel` is `<channel>/<topic>`, `username`/`password` are the bot's
//! e-mail and API key (basic auth). The message is Flux's Markdown post, sent as a form
//! (`type=stream`, `to`, `topic`, `content`). Flux skips no event for Zulip.

use reqwest::Url;
use reqwest::header::CONTENT_TYPE;

use super::format::markdown_post;
use crate::http::{Http, parse_url};
use crate::{Event, Notifier, NotifyError, PostFuture, ProviderConfig};

#[derive(Debug)]
pub(crate) struct Zulip {
    http: Http,
    url: Url,
    channel: String,
    topic: String,
    username: String,
    password: String,
}

impl Zulip {
    pub(crate) fn new(cfg: &ProviderConfig) -> Result<Self, NotifyError> {
        let mut url = parse_url(&cfg.provider_type, &cfg.address)?;
        url.set_path("/api/v1/messages");
        let (channel, topic) = match cfg.channel.split_once('/') {
            Some((c, t)) if !c.is_empty() && !t.is_empty() => (c.to_string(), t.to_string()),
            _ => {
                return Err(NotifyError::CreateInvalidConfig {
                    kind: cfg.provider_type.clone(),
                    reason: format!("invalid channel {:?}, expected <channel>/<topic>", cfg.channel),
                });
            }
        };
        Ok(Zulip {
            http: Http::new(cfg)?,
            url,
            channel,
            topic,
            username: cfg.username.clone(),
            password: cfg.password.clone(),
        })
    }

    async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let content = markdown_post(event);
        // Go's url.Values.Encode sorts the keys.
        let body = form(&[("content", &content), ("to", &self.channel), ("topic", &self.topic), ("type", "stream")]);
        let mut req = self
            .http
            .request(reqwest::Method::POST, self.url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if !self.username.is_empty() || !self.password.is_empty() {
            req = req.basic_auth(&self.username, Some(&self.password));
        }
        self.http.send(req).await.map(drop)
    }
}

impl Notifier for Zulip {
    fn post<'a>(&'a self, event: &'a Event) -> PostFuture<'a> {
        Box::pin(self.send(event))
    }
}

/// `application/x-www-form-urlencoded` of `pairs`, in the given order, escaped as Go's
/// `url.QueryEscape` does (space → `+`, all but `A-Za-z0-9-_.~` percent-encoded).
fn form(pairs: &[(&str, &str)]) -> String {
    let escape = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    pairs.iter().map(|(k, v)| format!("{}={}", escape(k), escape(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_escapes_like_go() {
        assert_eq!(super::form(&[("a b", "x/y~z*"), ("t", "é")]), "a+b=x%2Fy~z%2A&t=%C3%A9");
    }
}
