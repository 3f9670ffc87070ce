//! WATCH: a chunked stream of `{"type": ..., "object": ...}` lines, started from a
//! resourceVersion (replayed from the bounded history) or from the current state (synthetic
//! ADDED events), with bookmarks, `timeoutSeconds`, and `410 Expired` ERROR events when the
//! requested version is compacted or the watcher falls behind.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use crate::error::ApiError;
use crate::http::{Query, View};
use crate::resource::ResourceInfo;
use crate::selector::Selectors;
use crate::server::Shared;
use crate::store::{Event, EventType, JsonCell, Stored, json_of};

struct Watcher {
    info: Arc<ResourceInfo>,
    /// `info.id()`, computed once.
    id: String,
    /// The apiVersion objects are sent in, when no conversion applies (`None` otherwise).
    plain_api_version: Option<String>,
    ns: Option<String>,
    sel: Selectors,
    view: View,
    tx: mpsc::Sender<Bytes>,
}

impl Watcher {
    fn in_scope(&self, obj: &Value) -> bool {
        self.ns.as_deref().is_none_or(|ns| crate::meta::namespace(obj) == ns) && self.sel.matches(obj)
    }

    fn render<'a>(&self, obj: &'a Arc<Value>) -> Cow<'a, Value> {
        match self.view {
            View::Table(include) => {
                let rv = crate::meta::resource_version(obj).to_owned();
                let table = crate::table::render(
                    &self.info,
                    std::slice::from_ref(obj),
                    include,
                    json!({"resourceVersion": rv}),
                );
                Cow::Owned(table)
            }
            View::Metadata => Cow::Owned(crate::table::partial_metadata(obj)),
            View::Object => crate::handlers::present_cow(&self.info, obj),
        }
    }

    /// Appends one event line to `buf`.
    fn push(buf: &mut Vec<u8>, kind: &str, object: &Value) {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            object: &'a Value,
        }
        let _written = serde_json::to_writer(&mut *buf, &Line { kind, object });
        buf.push(b'\n');
    }

    /// Appends the line for `obj`, reusing its shared JSON when it is sent unchanged.
    fn push_object(&self, buf: &mut Vec<u8>, kind: &str, obj: &Arc<Value>, json: &JsonCell) {
        // `present_cow` without its per-call work: same apiVersion, no conversion, no table.
        let plain = self.view == View::Object
            && self
                .plain_api_version
                .as_deref()
                .is_some_and(|v| obj.get("apiVersion").and_then(Value::as_str) == Some(v));
        if !plain {
            Self::push(buf, kind, &self.render(obj));
            return;
        }
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(kind.as_bytes());
        buf.extend_from_slice(b"\",\"object\":");
        buf.extend_from_slice(json_of(json, obj));
        buf.extend_from_slice(b"}\n");
    }

    /// Sends what is in `buf` as one chunk; false when the client is gone.
    async fn flush(&self, buf: &mut Vec<u8>) -> bool {
        if buf.is_empty() {
            return true;
        }
        let chunk = Bytes::from(std::mem::take(buf));
        self.tx.send(chunk).await.is_ok()
    }

    /// Appends what `e` means for this watch; false when it means nothing.
    fn deliver(&self, e: &Event, buf: &mut Vec<u8>) -> bool {
        if e.res != self.id {
            return false;
        }
        let now = self.in_scope(&e.object);
        let before = e.old.as_deref().is_some_and(|o| self.in_scope(o));
        let kind = match e.kind {
            EventType::Added if now => "ADDED",
            EventType::Modified if now && before => "MODIFIED",
            EventType::Modified if now => "ADDED",
            EventType::Modified if before => "DELETED",
            EventType::Deleted if now || before => "DELETED",
            _ => return false,
        };
        self.push_object(buf, kind, &e.object, &e.json);
        true
    }

    fn bookmark(&self, buf: &mut Vec<u8>, rv: u64, initial_end: bool) {
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = json!({"kind": self.info.kind, "apiVersion": self.info.api_version(), "metadata": metadata});
        Self::push(buf, "BOOKMARK", &obj);
    }

    async fn expired(&self, mut buf: Vec<u8>, e: &ApiError) {
        Self::push(&mut buf, "ERROR", &e.status());
        self.flush(&mut buf).await;
    }
}

/// Events are batched into chunks of about this size: one write per batch, not per event, keeps
/// a hundred watchers cheap at thousands of writes per second.
const CHUNK: usize = 256 * 1024;

/// How long a busy watch rests between sends (see `run`).
const BUSY_PAUSE: Duration = Duration::from_millis(1);

enum Start {
    /// Replay these events, then follow the receiver.
    Replay(Vec<Arc<Event>>),
    /// Synthetic ADDED for these objects at this version, then follow.
    State(Vec<Stored>),
    Expired(ApiError),
}

pub async fn serve(
    shared: Arc<Shared>,
    info: Arc<ResourceInfo>,
    ns: Option<String>,
    query: &Query,
    view: View,
) -> Result<Response, ApiError> {
    let sel = query.selectors(&info)?;
    let from = match query.get("resourceVersion") {
        None | Some("") | Some("0") => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            ApiError::bad_request(format!("resourceVersion: Invalid value: {v:?}: must be an integer"))
        })?),
    };
    let bookmarks = query.flag("allowWatchBookmarks");
    let initial_end = query.flag("sendInitialEvents") && from.is_none();
    let timeout = match query.number("timeoutSeconds")? {
        Some(s) if s > 0 => Duration::from_secs(s),
        _ => shared.config.watch_timeout,
    };
    let (start, rx, start_rv) = {
        let store = shared.lock();
        let rv = store.current_rv();
        match from {
            Some(from) => match store.subscribe(from) {
                Ok((backlog, rx)) => (Start::Replay(backlog), rx, from),
                Err(e) => (Start::Expired(e), store.receiver(), rv),
            },
            None => {
                let objs =
                    store.iter_stored(&info.id(), ns.as_deref()).filter(|o| sel.matches(&o.value)).cloned().collect();
                (Start::State(objs), store.receiver(), rv)
            }
        }
    };
    let (tx, out) = mpsc::channel::<Bytes>(256);
    let id = info.id();
    let plain_api_version = (info.conversion == crate::convert::Conversion::None).then(|| info.api_version());
    let watcher = Watcher { info, id, plain_api_version, ns, sel, view, tx };
    let shutdown = shared.shutdown.clone();
    let expire = shared.expire.subscribe();
    let interval = shared.config.bookmark_interval;
    let cut_after = shared.faults.as_ref().and_then(|f| f.config.watch_cut_after);
    tokio::spawn(run(
        watcher,
        start,
        rx,
        start_rv,
        Options { cut_after, bookmarks, initial_end, timeout, interval },
        shutdown,
        expire,
    ));
    let stream = futures_util::stream::unfold(out, |mut out| async move {
        out.recv().await.map(|b| (Ok::<Bytes, std::convert::Infallible>(b), out))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(resp)
}

struct Options {
    /// Fault injection: end the stream after this many events.
    cut_after: Option<usize>,
    bookmarks: bool,
    initial_end: bool,
    timeout: Duration,
    interval: Duration,
}

/// The next event already queued, if any.
fn queued(rx: &mut broadcast::Receiver<Arc<Event>>) -> Option<Result<Arc<Event>, broadcast::error::RecvError>> {
    match rx.try_recv() {
        Ok(e) => Some(Ok(e)),
        Err(broadcast::error::TryRecvError::Lagged(n)) => Some(Err(broadcast::error::RecvError::Lagged(n))),
        Err(broadcast::error::TryRecvError::Closed) => Some(Err(broadcast::error::RecvError::Closed)),
        Err(broadcast::error::TryRecvError::Empty) => None,
    }
}

async fn run(
    w: Watcher,
    start: Start,
    mut rx: broadcast::Receiver<Arc<Event>>,
    start_rv: u64,
    opts: Options,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    mut expire: tokio::sync::watch::Receiver<u64>,
) {
    let mut last_rv = start_rv;
    let mut buf = Vec::new();
    let mut sent = 0usize;
    let cut = |sent: usize| opts.cut_after.is_some_and(|n| sent >= n);
    match start {
        Start::Expired(e) => {
            w.expired(buf, &e).await;
            return;
        }
        Start::Replay(events) => {
            for e in events {
                last_rv = e.rv;
                sent += usize::from(w.deliver(&e, &mut buf));
                if cut(sent) {
                    w.flush(&mut buf).await;
                    return;
                }
                if buf.len() >= CHUNK && !w.flush(&mut buf).await {
                    return;
                }
            }
        }
        Start::State(objs) => {
            for o in objs {
                w.push_object(&mut buf, "ADDED", &o.value, &o.json);
                if buf.len() >= CHUNK && !w.flush(&mut buf).await {
                    return;
                }
            }
            if opts.initial_end {
                w.bookmark(&mut buf, last_rv, true);
            }
        }
    }
    if !w.flush(&mut buf).await {
        return;
    }
    let deadline = Instant::now() + opts.timeout;
    let mut ticker = tokio::time::interval_at(Instant::now() + opts.interval, opts.interval);
    loop {
        tokio::select! {
            received = rx.recv() => {
                let mut received = received;
                let mut batch = 0usize;
                // Take whatever else is already queued, so a burst goes out as one chunk.
                loop {
                    match received {
                        Ok(e) => {
                            last_rv = e.rv;
                            sent += usize::from(w.deliver(&e, &mut buf));
                            if cut(sent) {
                                tracing::debug!(sent, "injected fault: watch stream cut");
                                w.flush(&mut buf).await;
                                return;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::debug!(missed = n, "watcher fell behind; closing with 410");
                            let why = format!("too old resource version: {last_rv} (watch fell behind by {n} events)");
                            w.expired(buf, &ApiError::expired(why)).await;
                            return;
                        }
                        Err(broadcast::error::RecvError::Closed) => {
                            w.flush(&mut buf).await;
                            return;
                        }
                    }
                    if buf.len() >= CHUNK {
                        break;
                    }
                    batch += 1;
                    received = match queued(&mut rx) {
                        Some(next) => next,
                        None => break,
                    };
                }
                if !w.flush(&mut buf).await {
                    return;
                }
                // Busy (several events queued since the last send): rest a moment instead of
                // waking for every event, and send what gathered meanwhile as one chunk. An idle
                // watch delivers at once.
                if batch > 1 {
                    tokio::time::sleep(BUSY_PAUSE).await;
                }
            }
            _ = ticker.tick(), if opts.bookmarks => {
                w.bookmark(&mut buf, last_rv, false);
                if !w.flush(&mut buf).await {
                    return;
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                if opts.bookmarks {
                    w.bookmark(&mut buf, last_rv, false);
                    w.flush(&mut buf).await;
                }
                return;
            }
            () = w.tx.closed() => return,
            _ = shutdown.changed() => return,
            _ = expire.changed() => {
                w.expired(buf, &ApiError::expired(format!("too old resource version: {last_rv}"))).await;
                return;
            }
        }
    }
}
