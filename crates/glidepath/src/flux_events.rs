//! `glidepath events [--for Kind/name] [-A]`, as `flux events` prints them: the Events of a
//! namespace, oldest first, in Flux's table (`LAST SEEN`, `TYPE`, `REASON`, `OBJECT`,
//! `MESSAGE`; `NAMESPACE` first with `-A`), ages as kubectl's `HumanDuration` prints them
//! (`glidepath_sandbox::human_duration`, the one the sandbox's tables use).

use anyhow::{Context as _, bail};
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ListParams};

use crate::cli::EventsArgs;
use crate::flux_ops::{FLUX_NAMESPACE, table};

/// When the event was last seen: its series, its last timestamp, else its event time.
fn last_seen(e: &Event) -> Option<Timestamp> {
    e.series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref().map(|t| t.0))
        .or_else(|| e.last_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
}

/// The table rows, oldest first, of the events `for_object` (`Kind/name`) selects.
pub fn rows(
    events: &[Event],
    for_object: Option<(&str, &str)>,
    with_namespace: bool,
    now: Timestamp,
) -> Vec<Vec<String>> {
    let mut selected: Vec<&Event> = events
        .iter()
        .filter(|e| {
            for_object.is_none_or(|(k, n)| {
                e.involved_object.kind.as_deref() == Some(k) && e.involved_object.name.as_deref() == Some(n)
            })
        })
        .collect();
    selected.sort_by_key(|e| last_seen(e));
    selected
        .into_iter()
        .map(|e| {
            let age = last_seen(e).map_or_else(
                || "<unknown>".to_owned(),
                |t| glidepath_sandbox::human_duration(now.as_second() - t.as_second()),
            );
            let o = &e.involved_object;
            let mut r = vec![
                age,
                e.type_.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                format!("{}/{}", o.kind.as_deref().unwrap_or_default(), o.name.as_deref().unwrap_or_default()),
                e.message.as_deref().unwrap_or_default().trim().to_owned(),
            ];
            if with_namespace {
                r.insert(0, e.metadata.namespace.clone().unwrap_or_default());
            }
            r
        })
        .collect()
}

/// `events [--for Kind/name] [-A]`.
pub async fn events(args: &EventsArgs) -> anyhow::Result<()> {
    let for_object = match args.for_object.as_deref() {
        Some(f) => match f.split_once('/') {
            Some((k, n)) if !k.is_empty() && !n.is_empty() => Some((k, n)),
            _ => bail!("--for {f}: expected Kind/name"),
        },
        None => None,
    };
    let client = crate::controller::client(args.kubeconfig.as_deref()).await?;
    let ns = args.namespace.as_deref().unwrap_or(FLUX_NAMESPACE);
    let api: Api<Event> = if args.all_namespaces { Api::all(client) } else { Api::namespaced(client, ns) };
    let list = api.list(&ListParams::default()).await.context("list events")?;
    let rows = rows(&list.items, for_object, args.all_namespaces, Timestamp::now());
    if rows.is_empty() {
        eprintln!("No events found in {ns} namespace.");
        return Ok(());
    }
    let mut header = vec!["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
    if args.all_namespaces {
        header.insert(0, "NAMESPACE");
    }
    print!("{}", table(&header, &rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_oldest_first_and_filtered_by_object() {
        let ev = |name: &str, kind: &str, obj: &str, at: &str| -> Event {
            serde_json::from_value(json!({"metadata": {"name": name, "namespace": "flux-system"},
                "involvedObject": {"kind": kind, "name": obj}, "type": "Normal", "reason": "R",
                "message": format!(" {name} \n"), "lastTimestamp": at}))
            .unwrap()
        };
        let evs = [
            ev("b", "Kustomization", "apps", "2026-12-07T10:00:00Z"),
            ev("a", "Kustomization", "apps", "2026-12-07T09:00:00Z"),
            ev("c", "GitRepository", "apps", "2026-12-07T09:30:00Z"),
        ];
        let now: Timestamp = "2026-12-07T10:00:30Z".parse().unwrap();
        let r = rows(&evs, Some(("Kustomization", "apps")), false, now);
        assert_eq!(
            r,
            [["60m", "Normal", "R", "Kustomization/apps", "a"], ["30s", "Normal", "R", "Kustomization/apps", "b"]]
        );
        assert_eq!(rows(&evs, None, true, now).len(), 3);
    }
}
