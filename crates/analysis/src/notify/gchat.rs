//! Google Chat incoming webhooks: a card with a header, the message and one line per field.

use serde::Serialize;

use super::{ICON_URL, Notification, Notifier, NotifyFuture, Poster};

#[derive(Serialize, Debug)]
struct Payload {
    cards: Vec<Card>,
}

#[derive(Serialize, Debug)]
struct Card {
    header: Header,
    sections: Vec<Section>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Header {
    title: String,
    subtitle: String,
    image_url: &'static str,
}

#[derive(Serialize, Debug)]
struct Section {
    widgets: Vec<Widget>,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
enum Widget {
    TextParagraph {
        text: String,
    },
    KeyValue {
        #[serde(rename = "topLabel")]
        top_label: String,
        content: String,
    },
}

/// Google Chat.
#[derive(Debug)]
pub(crate) struct GChat {
    poster: Poster,
}

impl GChat {
    pub(crate) fn new(poster: Poster) -> Self {
        Self { poster }
    }
}

impl Notifier for GChat {
    fn kind(&self) -> &'static str {
        "gchat"
    }

    fn post<'a>(&'a self, n: &'a Notification) -> NotifyFuture<'a> {
        Box::pin(async move {
            let mut widgets = vec![Widget::TextParagraph { text: n.message.clone() }];
            widgets.extend(
                self.poster.fields(n).into_iter().map(|f| Widget::KeyValue { top_label: f.name, content: f.value }),
            );
            let payload = Payload {
                cards: vec![Card {
                    header: Header {
                        title: "Flagger".into(),
                        subtitle: format!("{}.{}", n.workload, n.namespace),
                        image_url: ICON_URL,
                    },
                    sections: vec![Section { widgets }],
                }],
            };
            self.poster.post_json(&payload).await
        })
    }
}
