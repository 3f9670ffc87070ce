//! `glidepath get canaries`, `promote`, `abort`, `pause`, `resume`: operating releases from a
//! terminal. Flagger has none of these (its users flip gate webhooks by hand); their effect:
//!
//! | command | writes | the controller then |
//! |---|---|---|
//! | `promote NAME` | annotation `glidepath.io/promote: <time>` | on its next run (at once): skips the remaining analysis, copies the canary to the primary (Promoting → Finalising → Succeeded, `stepWeightPromotion` still applies); refused with an event while the canary is not ready |
//! | `abort NAME` | annotation `glidepath.io/abort: <time>` | at once: rolls back (all traffic to the primary, canary scaled to zero, phase Failed) |
//! | `pause NAME` | `spec.suspend: true` | leaves the release where it is: no steps, no checks, weights unchanged |
//! | `resume NAME` | `spec.suspend: false` | continues from the same step |
//!
//! The controller removes a promote/abort annotation when it handles it, and ignores (with an
//! event) one that arrives while no analysis runs, so a stale request never acts on a later
//! release. `pause`/`resume` change the spec: under GitOps, commit `suspend` instead, or the
//! sync engine reverts it.

use std::fmt::Write as _;

use anyhow::Context as _;
use futures::{StreamExt, TryStreamExt};
use glidepath_api::flagger::defaults::{ABORT_ANNOTATION, PROMOTE_ANNOTATION};
use glidepath_api::flagger::{Canary, CanaryPhase};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::cli::{CanaryArgs, GetArgs};

/// Field manager of the commands' writes (the controller's own is `glidepath`).
pub const CLI_MANAGER: &str = "glidepath-cli";

/// What a command does to a Canary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Promote,
    Abort,
    Pause,
    Resume,
}

/// `glidepath get canaries`.
pub async fn get(args: &GetArgs) -> anyhow::Result<()> {
    let (client, default_ns) = client(args.kubeconfig.as_deref()).await?;
    let api: Api<Canary> = if args.all_namespaces {
        Api::all(client)
    } else {
        Api::namespaced(client, args.namespace.as_deref().unwrap_or(&default_ns))
    };
    let list = api.list(&ListParams::default()).await.context("list canaries.flagger.app")?;
    let now = Timestamp::now();
    if list.items.is_empty() && !args.watch {
        eprintln!("No canaries found.");
        return Ok(());
    }
    print!("{}", table(&list.items, args.all_namespaces, now, true));
    if !args.watch {
        return Ok(());
    }
    let mut last: std::collections::HashMap<String, String> =
        list.items.iter().map(|c| (key(c), table(std::slice::from_ref(c), args.all_namespaces, now, false))).collect();
    let mut stream = watcher(api, watcher::Config::default()).applied_objects().boxed();
    while let Some(c) = stream.try_next().await.context("watch canaries.flagger.app")? {
        let row = table(std::slice::from_ref(&c), args.all_namespaces, Timestamp::now(), false);
        // The watch replays every object on (re)connect: print only what changed.
        if last.get(&key(&c)) != Some(&row) {
            print!("{row}");
            last.insert(key(&c), row);
        }
    }
    Ok(())
}

fn key(c: &Canary) -> String {
    format!("{}/{}", c.namespace().unwrap_or_default(), c.name_any())
}

/// `glidepath promote|abort|pause|resume NAME`.
pub async fn operate(op: Operation, args: &CanaryArgs) -> anyhow::Result<String> {
    let (client, default_ns) = client(args.kubeconfig.as_deref()).await?;
    let ns = args.namespace.clone().unwrap_or(default_ns);
    let api: Api<Canary> = Api::namespaced(client, &ns);
    let canary = api.get(&args.name).await.with_context(|| format!("get canary {ns}/{}", args.name))?;
    let phase = canary.status.as_ref().map(|s| s.phase).unwrap_or_default();
    let patch = request(op, phase, canary.spec.suspended(), Timestamp::now())
        .map_err(|why| anyhow::anyhow!("canary {ns}/{}: {why}", args.name))?;
    api.patch(&args.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| format!("patch canary {ns}/{}", args.name))?;
    Ok(match op {
        Operation::Promote => format!("canary {ns}/{} promotion requested (phase {})", args.name, phase.as_str()),
        Operation::Abort => format!("canary {ns}/{} abort requested (phase {})", args.name, phase.as_str()),
        Operation::Pause => format!("canary {ns}/{} paused", args.name),
        Operation::Resume => format!("canary {ns}/{} resumed", args.name),
    })
}

/// The merge patch for an operation, or why it makes no sense in this phase. Pure, so the
/// rules are tested without a cluster.
pub fn request(
    op: Operation,
    phase: CanaryPhase,
    suspended: bool,
    now: Timestamp,
) -> Result<serde_json::Value, String> {
    let running = matches!(phase, CanaryPhase::Progressing | CanaryPhase::Waiting | CanaryPhase::WaitingPromotion);
    match op {
        Operation::Promote | Operation::Abort if !running => {
            Err(format!("phase is {}: no analysis is running, nothing to {}", phase_name(phase), verb(op)))
        }
        Operation::Promote if phase == CanaryPhase::Waiting => {
            Err("phase is Waiting (confirm-rollout gate closed): the canary is not running yet".into())
        }
        Operation::Promote => Ok(json!({"metadata": {"annotations": {PROMOTE_ANNOTATION: now.to_string()}}})),
        Operation::Abort => Ok(json!({"metadata": {"annotations": {ABORT_ANNOTATION: now.to_string()}}})),
        Operation::Pause if suspended => Err("already paused".into()),
        Operation::Resume if !suspended => Err("not paused".into()),
        Operation::Pause => Ok(json!({"spec": {"suspend": true}})),
        Operation::Resume => Ok(json!({"spec": {"suspend": false}})),
    }
}

fn verb(op: Operation) -> &'static str {
    match op {
        Operation::Promote => "promote",
        Operation::Abort => "abort",
        Operation::Pause => "pause",
        Operation::Resume => "resume",
    }
}

fn phase_name(phase: CanaryPhase) -> &'static str {
    if phase == CanaryPhase::Unset { "not set yet" } else { phase.as_str() }
}

/// The `get canaries` table: kubectl's layout (columns padded to the widest cell).
pub fn table(canaries: &[Canary], with_namespace: bool, now: Timestamp, header: bool) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    if header {
        let mut h = vec!["NAME", "STATUS", "WEIGHT", "FAILEDCHECKS", "ITERATIONS", "LASTTRANSITION"];
        if with_namespace {
            h.insert(0, "NAMESPACE");
        }
        rows.push(h.into_iter().map(String::from).collect());
    }
    for c in canaries {
        let s = c.status.clone().unwrap_or_default();
        let mut phase = phase_name(s.phase).to_owned();
        if c.spec.suspended() {
            phase.push_str(" (paused)");
        }
        let since = s.last_transition_time.as_ref().map_or_else(|| "-".to_owned(), |t| age(t.0, now));
        let mut row = vec![
            c.name_any(),
            phase,
            s.canary_weight.unwrap_or(0).to_string(),
            s.failed_checks.unwrap_or(0).to_string(),
            s.iterations.unwrap_or(0).to_string(),
            format!("{since} ago"),
        ];
        if with_namespace {
            row.insert(0, c.namespace().unwrap_or_default());
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows.first().map_or(0, Vec::len))
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        let _ = writeln!(out, "{}", line.join("   ").trim_end());
    }
    out
}

/// kubectl's short ages: 45s, 3m12s, 2h5m, 4d.
pub fn age(then: Timestamp, now: Timestamp) -> String {
    let s = (now.as_second() - then.as_second()).max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 if s % 60 == 0 || s >= 600 => format!("{}m", s / 60),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d", s / 86_400),
    }
}

/// A client and the kubeconfig context's namespace.
async fn client(kubeconfig: Option<&std::path::Path>) -> anyhow::Result<(Client, String)> {
    let client = crate::controller::client(kubeconfig).await?;
    let ns = client.default_namespace().to_owned();
    Ok((client, ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn promote_and_abort_only_while_analysis_runs() {
        let now = ts("2026-11-22T10:00:00Z");
        let ok = request(Operation::Promote, CanaryPhase::Progressing, false, now).unwrap();
        assert_eq!(ok["metadata"]["annotations"][PROMOTE_ANNOTATION], "2026-11-22T10:00:00Z");
        assert!(request(Operation::Abort, CanaryPhase::Waiting, false, now).is_ok());
        assert!(request(Operation::Promote, CanaryPhase::WaitingPromotion, false, now).is_ok());
        let err = request(Operation::Promote, CanaryPhase::Succeeded, false, now).unwrap_err();
        assert!(err.contains("Succeeded") && err.contains("nothing to promote"), "{err}");
        assert!(request(Operation::Abort, CanaryPhase::Promoting, false, now).is_err());
        assert!(request(Operation::Promote, CanaryPhase::Waiting, false, now).unwrap_err().contains("confirm-rollout"));
    }

    #[test]
    fn pause_and_resume_toggle_suspend() {
        let now = ts("2026-11-22T10:00:00Z");
        assert_eq!(
            request(Operation::Pause, CanaryPhase::Progressing, false, now).unwrap(),
            json!({"spec": {"suspend": true}})
        );
        assert_eq!(
            request(Operation::Resume, CanaryPhase::Progressing, true, now).unwrap(),
            json!({"spec": {"suspend": false}})
        );
        assert_eq!(request(Operation::Pause, CanaryPhase::Succeeded, true, now).unwrap_err(), "already paused");
        assert_eq!(request(Operation::Resume, CanaryPhase::Succeeded, false, now).unwrap_err(), "not paused");
    }

    #[test]
    fn table_lines_up_columns() {
        let c: Canary = serde_json::from_value(json!({
            "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"}, "suspend": true},
            "status": {"phase": "Progressing", "canaryWeight": 30, "failedChecks": 1, "iterations": 0,
                       "lastTransitionTime": "2026-11-22T09:58:30Z"}
        }))
        .unwrap();
        let out = table(&[c], true, ts("2026-11-22T10:00:00Z"), true);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("NAMESPACE   NAME      STATUS"), "{out}");
        assert!(lines[1].starts_with("test        podinfo   Progressing (paused)   30"), "{out}");
        assert!(lines[1].ends_with("1m30s ago"), "{out}");
    }

    #[test]
    fn ages_read_like_kubectl() {
        let now = ts("2026-11-22T10:00:00Z");
        assert_eq!(age(ts("2026-11-22T09:59:15Z"), now), "45s");
        assert_eq!(age(ts("2026-11-22T09:56:48Z"), now), "3m12s");
        assert_eq!(age(ts("2026-11-22T09:30:00Z"), now), "30m");
        assert_eq!(age(ts("2026-11-22T07:55:00Z"), now), "2h5m");
        assert_eq!(age(ts("2026-11-18T10:00:00Z"), now), "4d");
    }
}
