//! Generic webhook (Glidepath extension, type `webhook`): a plain JSON document.
//!
//! ```json
//! {"name":"podinfo","namespace":"test","message":"...","severity":"error",
//!  "cluster":"prod-eu","fields":[{"name":"Target","value":"Deployment/podinfo.test"}]}
//! ```
//! `cluster` is omitted without `--cluster-name`; `fields` never repeats the cluster.

use glidepath_api::flagger::Severity;
use serde::Serialize;

use super::{Field, Notification, Notifier, NotifyFuture, Poster};

#[derive(Serialize, Debug)]
struct Payload<'a> {
    name: &'a str,
    namespace: &'a str,
    message: &'a str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<&'a str>,
    fields: &'a [Field],
}

/// A generic JSON webhook.
#[derive(Debug)]
pub(crate) struct Webhook {
    poster: Poster,
}

impl Webhook {
    pub(crate) fn new(poster: Poster) -> Self {
        Self { poster }
    }
}

impl Notifier for Webhook {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn post<'a>(&'a self, n: &'a Notification) -> NotifyFuture<'a> {
        Box::pin(async move {
            let payload = Payload {
                name: &n.workload,
                namespace: &n.namespace,
                message: &n.message,
                severity: match n.severity {
                    Severity::Info => "info",
                    Severity::Warn => "warn",
                    Severity::Error => "error",
                },
                cluster: self.poster.cluster_name(),
                fields: &n.fields,
            };
            self.poster.post_json(&payload).await
        })
    }
}
