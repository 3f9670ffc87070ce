//! Microsoft Teams incoming webhooks: an Office 365 `MessageCard`.

use glidepath_api::flagger::Severity;
use serde::Serialize;

use super::{Notification, Notifier, NotifyFuture, Poster};

#[derive(Serialize, Debug)]
struct Payload {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "themeColor")]
    theme_color: &'static str,
    summary: String,
    sections: Vec<Section>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Section {
    activity_title: String,
    activity_subtitle: String,
    facts: Vec<Fact>,
}

#[derive(Serialize, Debug)]
struct Fact {
    name: String,
    value: String,
}

/// Microsoft Teams.
#[derive(Debug)]
pub(crate) struct MsTeams {
    poster: Poster,
}

impl MsTeams {
    pub(crate) fn new(poster: Poster) -> Self {
        Self { poster }
    }
}

impl Notifier for MsTeams {
    fn kind(&self) -> &'static str {
        "msteams"
    }

    fn post<'a>(&'a self, n: &'a Notification) -> NotifyFuture<'a> {
        Box::pin(async move {
            let subject = format!("{}.{}", n.workload, n.namespace);
            let payload = Payload {
                kind: "MessageCard",
                context: "http://schema.org/extensions",
                theme_color: if n.severity == Severity::Error { "FF0000" } else { "0076D7" },
                summary: subject.clone(),
                sections: vec![Section {
                    activity_title: n.message.clone(),
                    activity_subtitle: subject,
                    facts: self.poster.fields(n).into_iter().map(|f| Fact { name: f.name, value: f.value }).collect(),
                }],
            };
            self.poster.post_json(&payload).await
        })
    }
}
