//! One scheduler for every canary: a queue of due times. A canary runs when it is due (its
//! analysis interval after its last run) or at once when it is new, deleted, or carries a
//! promote/abort request. Other object changes never make a canary run early: steps keep the
//! analysis interval, as in Flagger. Each canary runs
//! at most once at a time; reconciles of different canaries run concurrently, bounded, and
//! end with the scheduler.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;
use tracing::debug;

use super::reconcile::{Context, reconcile};

type Key = (String, String);

pub async fn run(ctx: Arc<Context>, mut stop: watch::Receiver<bool>) {
    let mut queue: BTreeSet<(Instant, Key)> = BTreeSet::new();
    let mut due: HashMap<Key, Instant> = HashMap::new();
    let mut in_flight: HashSet<Key> = HashSet::new();
    let workers = Arc::new(Semaphore::new(ctx.settings.workers.max(1)));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(Key, Option<Duration>)>();
    // Reconciles belong to the scheduler: when it is stopped or aborted (a shutdown, a lost
    // lease), the running ones are aborted with it instead of writing on behind its back.
    let mut running = tokio::task::JoinSet::new();
    let mut touched = ctx.caches.touched.lock().await;

    let schedule = |queue: &mut BTreeSet<(Instant, Key)>, due: &mut HashMap<Key, Instant>, key: Key, at: Instant| {
        if let Some(old) = due.insert(key.clone(), at) {
            queue.remove(&(old, key.clone()));
        }
        queue.insert((at, key));
    };
    for c in ctx.caches.canaries.state() {
        let key = (c.metadata.namespace.clone().unwrap_or_default(), c.metadata.name.clone().unwrap_or_default());
        schedule(&mut queue, &mut due, key, Instant::now());
    }
    loop {
        let next = queue.first().map(|(at, _)| *at);
        tokio::select! {
            _ = stop.changed() => return,
            Some(t) = touched.recv() => {
                // Only new and deleted canaries, and those a person asked to promote or abort,
                // run at once; everything else waits for its tick.
                {
                    let canary =
                        ctx.caches.canaries.get(&kube::runtime::reflector::ObjectRef::new(&t.name).within(&t.namespace));
                    let urgent = canary.is_some_and(|c| {
                        c.metadata.deletion_timestamp.is_some() || glidepath_canary::Manual::requested(&c).is_some()
                    });
                    let key = (t.namespace, t.name);
                    if (urgent || !due.contains_key(&key)) && !in_flight.contains(&key) {
                        schedule(&mut queue, &mut due, key, Instant::now());
                    }
                }
            }
            Some(_) = running.join_next(), if !running.is_empty() => {}
            Some((key, next)) = done_rx.recv() => {
                in_flight.remove(&key);
                if let Some(after) = next {
                    schedule(&mut queue, &mut due, key, Instant::now() + after);
                }
            }
            _ = sleep_until(next) => {
                let now = Instant::now();
                while let Some((at, key)) = queue.first().cloned() {
                    if at > now {
                        break;
                    }
                    queue.remove(&(at, key.clone()));
                    due.remove(&key);
                    if !in_flight.insert(key.clone()) {
                        continue;
                    }
                    ctx.metrics.step_lag.observe(now.saturating_duration_since(at).as_secs_f64());
                    let (ctx, tx, workers) = (ctx.clone(), done_tx.clone(), workers.clone());
                    running.spawn(async move {
                        let _permit = workers.acquire_owned().await;
                        debug!(namespace = %key.0, canary = %key.1, "reconcile");
                        let next = reconcile(&ctx, &key.0, &key.1).await;
                        let _ = tx.send((key, next));
                    });
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
