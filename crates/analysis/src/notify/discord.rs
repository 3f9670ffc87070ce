//! Discord: the Slack payload, posted to `<address>/slack` (Discord's Slack-compatible endpoint).

use glidepath_api::flagger::AlertProviderSpec;

use super::{Notification, Notifier, NotifyFuture, Poster, slack};

/// Discord.
#[derive(Debug)]
pub(crate) struct Discord {
    poster: Poster,
    channel: String,
    username: String,
}

impl Discord {
    pub(crate) fn new(poster: Poster, spec: &AlertProviderSpec) -> Self {
        Self { poster, channel: spec.channel().to_owned(), username: spec.username().to_owned() }
    }
}

impl Notifier for Discord {
    fn kind(&self) -> &'static str {
        "discord"
    }

    fn post<'a>(&'a self, n: &'a Notification) -> NotifyFuture<'a> {
        Box::pin(
            async move { self.poster.post_json(&slack::payload(&self.poster, &self.channel, &self.username, n)).await },
        )
    }
}
