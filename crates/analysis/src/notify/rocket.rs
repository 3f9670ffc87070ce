//! Rocket: the Slack payload (Rocket.Chat incoming webhooks accept it).

use glidepath_api::flagger::AlertProviderSpec;

use super::{Notification, Notifier, NotifyFuture, Poster, slack};

/// Rocket.
#[derive(Debug)]
pub(crate) struct Rocket {
    poster: Poster,
    channel: String,
    username: String,
}

impl Rocket {
    pub(crate) fn new(poster: Poster, spec: &AlertProviderSpec) -> Self {
        Self { poster, channel: spec.channel().to_owned(), username: spec.username().to_owned() }
    }
}

impl Notifier for Rocket {
    fn kind(&self) -> &'static str {
        "rocket"
    }

    fn post<'a>(&'a self, n: &'a Notification) -> NotifyFuture<'a> {
        Box::pin(
            async move { self.poster.post_json(&slack::payload(&self.poster, &self.channel, &self.username, n)).await },
        )
    }
}
