//! Flux-format events (`fluxcd/pkg` `apis/event/v1beta1` Event) and where they go: POSTed to
//! an external notification-controller (`--events-addr`, as Flux's runtime does: 5 s timeout,
//! a 429 is not retried), or handed in-process to Glidepath's own dispatcher.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use kube::{Resource, ResourceExt};
use tokio::sync::mpsc;

/// Annotations on an object copied into its events' metadata (Flux's runtime).
pub const EVENT_ANNOTATION_PREFIX: &str = "event.toolkit.fluxcd.io/";
/// Flux caps a message at 39000 characters.
const MAX_MESSAGE: usize = 39_000;

/// Flux's event (`fluxcd/pkg` `apis/event/v1beta1`), the type the notifiers take.
pub type FluxEvent = glidepath_notify::Event;

/// An event about `obj`: `metadata` keys (`revision`, `originRevision`, `token`, ...) are
/// prefixed with the object's API group, and the object's `event.toolkit.fluxcd.io/*`
/// annotations are added, as Flux's event recorder does.
pub fn about<K>(
    obj: &K,
    error: bool,
    reason: &str,
    message: &str,
    metadata: &[(&str, &str)],
    controller: &str,
    now: Timestamp,
) -> FluxEvent
where
    K: Resource<DynamicType = ()>,
{
    let group = K::group(&()).to_string();
    let mut meta: BTreeMap<String, String> =
        metadata.iter().map(|(k, v)| (format!("{group}/{k}"), (*v).to_owned())).collect();
    for (k, v) in obj.annotations() {
        if let Some(key) = k.strip_prefix(EVENT_ANNOTATION_PREFIX) {
            meta.insert(format!("{group}/{key}"), v.clone());
        }
    }
    FluxEvent {
        involved_object: glidepath_notify::ObjectReference {
            kind: K::kind(&()).to_string(),
            namespace: obj.namespace().unwrap_or_default(),
            name: obj.name_any(),
            uid: obj.uid().unwrap_or_default(),
            api_version: K::api_version(&()).to_string(),
            resource_version: obj.resource_version().unwrap_or_default(),
            field_path: String::new(),
        },
        severity: if error { glidepath_notify::Severity::Error } else { glidepath_notify::Severity::Info },
        timestamp: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        message: message.chars().take(MAX_MESSAGE).collect(),
        reason: reason.to_owned(),
        metadata: meta,
        reporting_controller: controller.to_owned(),
        reporting_instance: std::env::var("HOSTNAME").unwrap_or_default(),
    }
}

/// Where a controller's Flux events go.
#[derive(Clone, Debug, Default)]
pub enum EventSink {
    /// Nowhere (no notification controller in this process and no `--events-addr`).
    #[default]
    None,
    /// POSTed to an external notification-controller's event server.
    Remote { url: String, client: reqwest::Client },
    /// To the dispatcher of this process.
    InProcess(mpsc::Sender<FluxEvent>),
}

/// Flux's event client timeout.
const POST_TIMEOUT: Duration = Duration::from_secs(5);

impl EventSink {
    /// An external event server at `url`.
    pub fn remote(url: &str) -> Result<EventSink, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(POST_TIMEOUT).build()?;
        Ok(EventSink::Remote { url: url.to_owned(), client })
    }

    /// Send an event; never blocks the caller on a slow receiver (the in-process queue drops
    /// when full, the POST runs in its own task), and failures are logged only.
    pub fn send(&self, event: FluxEvent) {
        match self {
            EventSink::None => {}
            EventSink::InProcess(tx) => {
                if tx.try_send(event).is_err() {
                    tracing::warn!("notification queue full or closed; event dropped");
                }
            }
            EventSink::Remote { url, client } => {
                let (url, client) = (url.clone(), client.clone());
                tokio::spawn(async move {
                    match client.post(&url).json(&event).send().await {
                        // A rate-limited duplicate: Flux does not retry either.
                        Ok(r) if r.status().is_success() || r.status().as_u16() == 429 => {}
                        Ok(r) => tracing::warn!(status = %r.status(), "event server refused an event"),
                        Err(e) => tracing::warn!(error = %e.without_url(), "post event"),
                    }
                });
            }
        }
    }
}

/// The dispatcher's end of the in-process queue, handed from where the queue is made to the
/// notification controller.
#[derive(Clone, Debug, Default)]
pub struct Inbox(Arc<Mutex<Option<mpsc::Receiver<FluxEvent>>>>);

impl Inbox {
    pub fn take(&self) -> Option<mpsc::Receiver<FluxEvent>> {
        self.0.lock().ok()?.take()
    }
}

/// An in-process queue: the sink every controller sends to, and the dispatcher's inbox.
pub fn queue() -> (EventSink, Inbox) {
    let (tx, rx) = mpsc::channel(crate::notification::QUEUE);
    (EventSink::InProcess(tx), Inbox(Arc::new(Mutex::new(Some(rx)))))
}
