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
use crate::http::{IncludeObject, Query};
use crate::resource::ResourceInfo;
use crate::selector::Selectors;
use crate::server::Shared;
use crate::store::{Event, EventType};

struct Watcher {
    info: Arc<ResourceInfo>,
    /// `info.id()`, computed once.
    id: String,
    ns: Option<String>,
    sel: Selectors,
    table: Option<IncludeObject>,
    tx: mpsc::Sender<Bytes>,
}

impl Watcher {
    fn in_scope(&self, obj: &Value) -> bool {
        self.ns.as_deref().is_none_or(|ns| crate::meta::namespace(obj) == ns) && self.sel.matches(obj)
    }

    fn render<'a>(&self, obj: &'a Arc<Value>) -> Cow<'a, Value> {
        match self.table {
            Some(include) => {
                let rv = crate::meta::resource_version(obj).to_owned();
                let table = crate::table::render(
                    &self.info,
                    std::slice::from_ref(obj),
                    include,
                    json!({"resourceVersion": rv}),
                );
                Cow::Owned(table)
            }
            None => crate::handlers::present_cow(&self.info, obj),
        }
    }

    async fn send(&self, kind: &str, object: Cow<'_, Value>) -> bool {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            object: &'a Value,
        }
        let mut line = serde_json::to_vec(&Line { kind, object: &object }).unwrap_or_default();
        line.push(b'\n');
        self.tx.send(Bytes::from(line)).await.is_ok()
    }

    /// Sends what `e` means for this watch; false when the client is gone.
    async fn deliver(&self, e: &Event) -> bool {
        if e.res != self.id {
            return true;
        }
        let now = self.in_scope(&e.object);
        let before = e.old.as_deref().is_some_and(|o| self.in_scope(o));
        let kind = match e.kind {
            EventType::Added if now => "ADDED",
            EventType::Modified if now && before => "MODIFIED",
            EventType::Modified if now => "ADDED",
            EventType::Modified if before => "DELETED",
            EventType::Deleted if now || before => "DELETED",
            _ => return true,
        };
        let plain =
            self.table.is_none() && matches!(crate::handlers::present_cow(&self.info, &e.object), Cow::Borrowed(_));
        if !plain {
            return self.send(kind, self.render(&e.object)).await;
        }
        let object = e.json.get_or_init(|| serde_json::to_vec(&*e.object).unwrap_or_default());
        let mut line = Vec::with_capacity(object.len() + 32);
        line.extend_from_slice(b"{\"type\":\"");
        line.extend_from_slice(kind.as_bytes());
        line.extend_from_slice(b"\",\"object\":");
        line.extend_from_slice(object);
        line.extend_from_slice(b"}\n");
        self.tx.send(Bytes::from(line)).await.is_ok()
    }

    async fn bookmark(&self, rv: u64, initial_end: bool) -> bool {
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = json!({"kind": self.info.kind, "apiVersion": self.info.api_version(), "metadata": metadata});
        self.send("BOOKMARK", Cow::Owned(obj)).await
    }

    async fn expired(&self, e: &ApiError) -> bool {
        self.send("ERROR", Cow::Owned(e.status())).await
    }
}

enum Start {
    /// Replay these events, then follow the receiver.
    Replay(Vec<Arc<Event>>),
    /// Synthetic ADDED for these objects at this version, then follow.
    State(Vec<Arc<Value>>),
    Expired(ApiError),
}

pub async fn serve(
    shared: Arc<Shared>,
    info: Arc<ResourceInfo>,
    ns: Option<String>,
    query: &Query,
    table: Option<IncludeObject>,
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
                let objs = store.iter_resource(&info.id(), ns.as_deref()).filter(|o| sel.matches(o)).cloned().collect();
                (Start::State(objs), store.receiver(), rv)
            }
        }
    };
    let (tx, out) = mpsc::channel::<Bytes>(256);
    let id = info.id();
    let watcher = Watcher { info, id, ns, sel, table, tx };
    let shutdown = shared.shutdown.clone();
    let expire = shared.expire.subscribe();
    let interval = shared.config.bookmark_interval;
    tokio::spawn(run(
        watcher,
        start,
        rx,
        start_rv,
        Options { bookmarks, initial_end, timeout, interval },
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
    bookmarks: bool,
    initial_end: bool,
    timeout: Duration,
    interval: Duration,
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
    match start {
        Start::Expired(e) => {
            w.expired(&e).await;
            return;
        }
        Start::Replay(events) => {
            for e in events {
                last_rv = e.rv;
                if !w.deliver(&e).await {
                    return;
                }
            }
        }
        Start::State(objs) => {
            for o in objs {
                if !w.send("ADDED", w.render(&o)).await {
                    return;
                }
            }
            if opts.initial_end && !w.bookmark(last_rv, true).await {
                return;
            }
        }
    }
    let deadline = Instant::now() + opts.timeout;
    let mut ticker = tokio::time::interval_at(Instant::now() + opts.interval, opts.interval);
    loop {
        tokio::select! {
            received = rx.recv() => match received {
                Ok(e) => {
                    last_rv = e.rv;
                    if !w.deliver(&e).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::debug!(missed = n, "watcher fell behind; closing with 410");
                    w.expired(&ApiError::expired(format!("too old resource version: {last_rv} (watch fell behind by {n} events)"))).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = ticker.tick(), if opts.bookmarks => {
                if !w.bookmark(last_rv, false).await {
                    return;
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                if opts.bookmarks {
                    w.bookmark(last_rv, false).await;
                }
                return;
            }
            () = w.tx.closed() => return,
            _ = shutdown.changed() => return,
            _ = expire.changed() => {
                w.expired(&ApiError::expired(format!("too old resource version: {last_rv}"))).await;
                return;
            }
        }
    }
}
