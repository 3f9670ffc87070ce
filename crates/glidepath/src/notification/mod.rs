//! Flux's notification-controller: events out (`Provider`/`Alert`, v1beta3), webhooks in
//! (`Receiver`, v1).
//!
//! - [`event`]: the Flux event format every Glidepath controller emits, and where it goes
//!   (`--events-addr` for an external notification-controller, else this dispatcher).
//! - [`dispatch`] with [`matching`]: dedup, Alert matching, delivery per Provider.
//! - [`server`]: the event server (`--notification-addr`, for Flux controllers a user keeps)
//!   and the webhook receiver (`--receiver-addr`), with [`verify`] and [`receiver`].

pub mod deliver;
pub mod dispatch;
pub mod event;
pub mod http_metrics;
pub mod matching;
pub mod provider;
pub mod receiver;
pub mod server;
pub mod verify;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use glidepath_api::flux::notification::{Alert, Provider, Receiver};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::probes::Phase;
use crate::sync::Context;

/// Events queued between the controllers and the dispatcher before new ones are dropped.
pub const QUEUE: usize = 10_000;
/// The API version whose presence means the notification CRDs are installed.
const API_VERSION: &str = "notification.toolkit.fluxcd.io/v1beta3";

fn api<K>(client: &Client, ns: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// A reflector store kept current by a background watch.
fn store<K>(api: Api<K>, config: watcher::Config) -> reflector::Store<K>
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, config)).default_backoff().applied_objects();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(r) = stream.next().await {
            if let Err(e) = r {
                tracing::debug!(error = %e, "notification watch");
            }
        }
    });
    reader
}

/// The servers' sockets, bound when the engine starts (a taken port fails the start).
#[derive(Debug, Default)]
pub struct Listeners {
    events: std::sync::Mutex<Option<tokio::net::TcpListener>>,
    hooks: std::sync::Mutex<Option<tokio::net::TcpListener>>,
    /// The bound addresses (a `:0` port resolved).
    pub events_addr: Option<std::net::SocketAddr>,
    pub hooks_addr: Option<std::net::SocketAddr>,
}

impl Listeners {
    pub fn bind(events: Option<std::net::SocketAddr>, hooks: Option<std::net::SocketAddr>) -> anyhow::Result<Self> {
        let bind =
            |addr: Option<std::net::SocketAddr>, what: &str| -> anyhow::Result<Option<tokio::net::TcpListener>> {
                let Some(addr) = addr else { return Ok(None) };
                let cannot = |e: std::io::Error| anyhow::anyhow!("{what} address {addr}: cannot listen: {e}");
                let l = std::net::TcpListener::bind(addr).map_err(cannot)?;
                l.set_nonblocking(true).map_err(cannot)?;
                Ok(Some(tokio::net::TcpListener::from_std(l).map_err(cannot)?))
            };
        let (events, hooks) = (bind(events, "notification")?, bind(hooks, "receiver")?);
        Ok(Listeners {
            events_addr: events.as_ref().and_then(|l| l.local_addr().ok()),
            hooks_addr: hooks.as_ref().and_then(|l| l.local_addr().ok()),
            events: std::sync::Mutex::new(events),
            hooks: std::sync::Mutex::new(hooks),
        })
    }

    fn take_events(&self) -> Option<tokio::net::TcpListener> {
        self.events.lock().ok()?.take()
    }

    fn take_hooks(&self) -> Option<tokio::net::TcpListener> {
        self.hooks.lock().ok()?.take()
    }
}

/// Run the notification controller: the dispatcher fed by `rx` (this process's controllers)
/// and the event server, and the Receivers with their webhook server.
pub async fn run(ctx: Arc<Context>, rx: Option<mpsc::Receiver<event::FluxEvent>>, deliver: Arc<dyn dispatch::Deliver>) {
    crate::sync::wait_for_crds(&ctx, "notification", API_VERSION).await;
    let ns = ctx.settings.namespace.clone();
    let client = ctx.client.clone();
    // Sharding filters what this controller owns (Alerts, Receivers); Providers and Secrets
    // are looked up by name from them.
    let alerts = store(api::<Alert>(&client, ns.as_deref()), ctx.settings.own_watch());
    let providers = store(api::<Provider>(&client, ns.as_deref()), watcher::Config::default());
    let mut tasks = vec![tokio::spawn(
        Controller::new(api::<Provider>(&client, ns.as_deref()), watcher::Config::default())
            .run(provider::reconcile, |_, _, _| Action::requeue(Duration::from_secs(10)), Arc::new(client.clone()))
            .for_each(|_| async {}),
    )];
    let secrets = store(api::<Secret>(&client, ns.as_deref()), watcher::Config::default());
    let dispatcher = Arc::new(
        dispatch::Dispatcher::new(client.clone(), alerts.clone(), providers.clone(), secrets.clone(), deliver)
            .with_limits(ctx.settings.rate_limit_interval, ctx.settings.no_cross_namespace_refs),
    );
    let _ = alerts.wait_until_ready().await;
    let _ = providers.wait_until_ready().await;
    let _ = secrets.wait_until_ready().await;
    if let Some(listener) = ctx.notification_listeners.take_events() {
        let router = server::events(Arc::clone(&dispatcher));
        tasks.push(tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                warn!(error = %e, "event server stopped");
            }
        }));
    }
    let receivers_api = api::<Receiver>(&client, ns.as_deref());
    let workers = ctx.settings.concurrency.max(1);
    let controller = Controller::new(receivers_api, ctx.settings.own_watch())
        .with_config(kube::runtime::controller::Config::default().concurrency(workers));
    let receivers = controller.store();
    let _exported = crate::sync::resource_info::export(receivers.clone());
    crate::sync::runtime_metrics::started("receiver", workers);
    if let Some(listener) = ctx.notification_listeners.take_hooks() {
        let router = server::hooks(server::Hooks {
            client: client.clone(),
            receivers: receivers.clone(),
            secrets: secrets.clone(),
        });
        tasks.push(tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                warn!(error = %e, "receiver server stopped");
            }
        }));
    }
    let by_secret = receivers.clone();
    let reconcile_ctx = Arc::new(client.clone());
    tasks.push(tokio::spawn(
        controller
            .watches(api::<Secret>(&client, ns.as_deref()), watcher::Config::default(), move |s: Secret| {
                let (sns, sname) = (s.namespace().unwrap_or_default(), s.name_any());
                by_secret
                    .state()
                    .into_iter()
                    .filter(|r| {
                        r.namespace().as_deref() == Some(sns.as_str())
                            && r.spec.secret_ref.as_ref().is_some_and(|x| x.name == sname)
                    })
                    .map(|r| ObjectRef::from_obj(&*r))
                    .collect::<Vec<_>>()
            })
            .run(
                |o, c| crate::sync::metrics::timed(o, c, reconcile_receiver),
                |_, _, _| Action::requeue(Duration::from_secs(10)),
                reconcile_ctx,
            )
            .for_each(|_| async {}),
    ));
    ctx.settings.readiness.set("notification", Phase::Synced);
    info!("notification controller running");
    match rx {
        Some(mut rx) => {
            while let Some(event) = rx.recv().await {
                if dispatcher.admit(&event, Instant::now()).is_ok() {
                    dispatcher.dispatch(event).await;
                }
            }
        }
        // This process's events go to an external notification-controller.
        None => std::future::pending().await,
    }
    for t in tasks {
        t.abort();
    }
}

type ReceiverContext = Client;

/// Reads the token straight from the API: a Secret change wakes this reconcile before the
/// dispatcher's cache may have it.
async fn reconcile_receiver(r: Arc<Receiver>, client: Arc<ReceiverContext>) -> Result<Action, kube::Error> {
    let client = &*client;
    let token = match r.spec.secret_ref.as_ref() {
        Some(sr) => {
            let secrets: Api<Secret> = Api::namespaced(client.clone(), &r.namespace().unwrap_or_default());
            secrets.get_opt(&sr.name).await?.and_then(|s| receiver::token_of(&s))
        }
        None => None,
    };
    let verdict = receiver::decide(&r, token.as_deref());
    receiver::write_status(client, &r, &verdict, Timestamp::now()).await?;
    let interval = r.spec.interval.as_deref().and_then(|i| glidepath_api::duration::parse(i).ok());
    Ok(Action::requeue(interval.unwrap_or(Duration::from_secs(600))))
}
