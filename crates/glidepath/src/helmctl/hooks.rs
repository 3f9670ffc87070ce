//! Helm hooks (`helm.sh/hook`): the hooks of one event run in weight order (then name, as
//! Helm sorts them), each created through the apply layer and waited for (Jobs until complete,
//! other kinds until kstatus calls them current), with Helm's delete policies
//! (`before-hook-creation` by default, `hook-succeeded`, `hook-failed`). Each hook's `last_run`
//! goes into the release record, as Helm records it.

use std::time::Duration;

use glidepath_apply::{ApplyOptions, Entry, ObjMeta};
use glidepath_helm::storage::{HookRecord, ReleaseRecord};
use serde_json::Value;

use crate::sync::Context;

/// The clock hooks are stamped with (RFC3339Nano).
pub type Clock<'a> = &'a (dyn Fn() -> String + Sync);

/// The inventory entry of an object.
pub fn entry(obj: &Value) -> Result<Entry, String> {
    let meta = ObjMeta::of(obj).map_err(|e| e.to_string())?;
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let version = api_version.rsplit('/').next().unwrap_or(api_version).to_owned();
    Ok(Entry { meta, version })
}

/// Delete `obj` (when it exists) and wait until it is gone.
pub async fn delete(ctx: &Context, obj: &Value, timeout: Duration) -> Result<(), String> {
    let applier = &ctx.helm.applier;
    let e = entry(obj)?;
    let out = applier.prune_if(std::slice::from_ref(&e), &|_| true).await;
    if let Some((_, err)) = out.failed.first() {
        return Err(err.to_string());
    }
    let deadline = tokio::time::Instant::now() + timeout;
    while applier.live(obj).await.map_err(|e| e.to_string())?.is_some() {
        if tokio::time::Instant::now() > deadline {
            return Err(format!("timed out waiting for {} to be deleted", e.meta));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Run the hooks of `event` (`pre-install`, `post-upgrade` …) recorded in `rec`.
pub async fn run(
    ctx: &Context,
    rec: &mut ReleaseRecord,
    event: &str,
    namespace: &str,
    timeout: Duration,
    now: Clock<'_>,
) -> Result<usize, String> {
    run_selected(ctx, rec, event, namespace, timeout, now, &|_| true).await
}

/// [`run`] for the hooks `select` accepts (`helm test --filter`); how many ran.
pub async fn run_selected(
    ctx: &Context,
    rec: &mut ReleaseRecord,
    event: &str,
    namespace: &str,
    timeout: Duration,
    now: Clock<'_>,
    select: &(dyn Fn(&HookRecord) -> bool + Sync),
) -> Result<usize, String> {
    let mut order: Vec<usize> = (0..rec.hooks.len())
        .filter(|&i| rec.hooks[i].events.iter().any(|e| e == event) && select(&rec.hooks[i]))
        .collect();
    order.sort_by(|&a, &b| (rec.hooks[a].weight, &rec.hooks[a].name).cmp(&(rec.hooks[b].weight, &rec.hooks[b].name)));
    let ran = order.len();
    for i in order {
        let hook = rec.hooks[i].clone();
        let mut obj: Value =
            serde_norway::from_str(&hook.manifest).map_err(|e| format!("hook {}: invalid YAML: {e}", hook.path))?;
        if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut)
            && m.get("namespace").and_then(Value::as_str).is_none_or(str::is_empty)
        {
            m.insert("namespace".into(), Value::String(namespace.to_owned()));
        }
        // Helm's default policy is stored with the run.
        rec.hooks[i].start(&now());
        let policies = rec.hooks[i].delete_policies.clone();
        let has = |p: &str| policies.iter().any(|x| x == p);
        if has("before-hook-creation") {
            delete(ctx, &obj, timeout).await?;
        }
        let result = create_and_wait(ctx, &obj, timeout).await;
        rec.hooks[i].finish(&now(), result.is_ok());
        match result {
            Ok(()) if has("hook-succeeded") => delete(ctx, &obj, timeout).await?,
            Ok(()) => {}
            Err(e) => {
                if has("hook-failed") {
                    let _ = delete(ctx, &obj, timeout).await;
                }
                return Err(format!("{event} hook {} failed: {e}", hook.name));
            }
        }
    }
    Ok(ran)
}

async fn create_and_wait(ctx: &Context, obj: &Value, timeout: Duration) -> Result<(), String> {
    let applier = &ctx.helm.applier;
    let opts = ApplyOptions { force: false, wait_timeout: timeout };
    let set = applier.apply_all_staged(vec![obj.clone()], &opts).await.map_err(|e| e.to_string())?;
    let targets: Vec<Entry> = set.changes.iter().map(|c| c.entry.clone()).collect();
    // Only what runs to completion is waited for, as Helm waits (Jobs and Pods).
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    if kind == "Job" || kind == "Pod" {
        applier.wait(&targets, timeout, true, &[]).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}
