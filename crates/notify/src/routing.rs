//! The pure rules of the event flow (reference A2 steps 3, 5 and 6): which Provider types get
//! an event, how an Alert's metadata is merged into it, and the dedup key.

use std::collections::BTreeMap;

use crate::digest::{hex, sha256};
use crate::event::{META_CHANGE_REQUEST, META_COMMIT, META_ORIGIN_REVISION, META_REVISION, META_TOKEN};
use crate::providers::GIT_TYPES;
use crate::{Event, Severity};

/// Provider types that only comment on change requests; they need `change_request` metadata.
const CHANGE_REQUEST_TYPES: &[&str] =
    &["githubpullrequestcomment", "gitlabmergerequestcomment", "giteapullrequestcomment"];

/// Whether `provider_type` sets Git commit statuses.
pub fn is_git_provider(provider_type: &str) -> bool {
    GIT_TYPES.contains(&provider_type)
}

/// Whether an event goes to a Provider of `provider_type` (A2 step 5):
/// - a `commit_status: update` event only to git or generic providers;
/// - git providers drop events without `commit` metadata, unless the severity is error;
/// - change-request providers need `change_request` metadata.
pub fn provider_accepts(provider_type: &str, event: &Event) -> bool {
    let git = is_git_provider(provider_type);
    let generic = matches!(provider_type, "generic" | "generic-hmac");
    if event.is_commit_status_update() && !git && !generic {
        return false;
    }
    if git && !event.has_metadata(META_COMMIT) && event.severity != Severity::Error {
        return false;
    }
    if CHANGE_REQUEST_TYPES.contains(&provider_type) && !event.has_metadata(META_CHANGE_REQUEST) {
        return false;
    }
    true
}

/// The merged metadata and the keys where a later source overwrote an earlier one (Flux logs
/// those).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CombinedMetadata {
    pub metadata: BTreeMap<String, String>,
    pub conflicts: Vec<String>,
}

/// A2 step 6 (`combineEventMetadata`), lowest to highest precedence:
/// 1. event keys prefixed `<event_group>/` (prefix stripped);
/// 2. `alert.spec.eventMetadata`;
/// 3. `alert.spec.summary` as `summary` (when non-empty);
/// 4. event keys prefixed `<object_group>/` (prefix stripped).
///
/// Keys with neither prefix are dropped, as the event server's cleanup does, and so are the
/// object group's `checksum` and `digest`.
pub fn combine_metadata(
    event: &Event,
    alert_event_metadata: &BTreeMap<String, String>,
    alert_summary: Option<&str>,
    event_group: &str,
    object_group: &str,
) -> CombinedMetadata {
    let mut out = CombinedMetadata::default();
    let put = |out: &mut CombinedMetadata, k: &str, v: &str| {
        if let Some(old) = out.metadata.insert(k.to_string(), v.to_string())
            && old != v
        {
            out.conflicts.push(k.to_string());
        }
    };
    for (k, v) in stripped(event, event_group) {
        put(&mut out, k, v);
    }
    for (k, v) in alert_event_metadata {
        put(&mut out, k, v);
    }
    if let Some(summary) = alert_summary.filter(|s| !s.is_empty()) {
        put(&mut out, "summary", summary);
    }
    for (k, v) in stripped(event, object_group).filter(|(k, _)| !matches!(*k, "checksum" | "digest")) {
        put(&mut out, k, v);
    }
    out
}

/// Event metadata under `<group>/`, prefix stripped.
fn stripped<'a>(event: &'a Event, group: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    event.metadata.iter().filter_map(move |(k, v)| {
        let rest = k.strip_prefix(group)?.strip_prefix('/')?;
        (!group.is_empty() && !rest.is_empty()).then_some((rest, v.as_str()))
    })
}

/// The dedup / rate-limit key (`eventKeyFunc`): hex sha256 of `event/<name>/<namespace>/<kind>/
/// <message>`, followed by `/<originRevision>`, `/<revision>` and `/<token>` for those present.
pub fn event_key(event: &Event) -> String {
    let o = &event.involved_object;
    let mut parts = vec!["event", o.name.as_str(), o.namespace.as_str(), o.kind.as_str(), event.message.as_str()];
    for key in [META_ORIGIN_REVISION, META_REVISION, META_TOKEN] {
        if let Some(v) = event.metadata_value(key) {
            parts.push(v);
        }
    }
    hex(&sha256(parts.join("/").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectReference;

    fn event(meta: &[(&str, &str)], severity: Severity) -> Event {
        Event {
            involved_object: ObjectReference {
                kind: "Kustomization".into(),
                name: "apps".into(),
                namespace: "flux-system".into(),
                api_version: "kustomize.toolkit.fluxcd.io/v1".into(),
                ..Default::default()
            },
            severity,
            message: "applied".into(),
            reason: "ReconciliationSucceeded".into(),
            metadata: meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn commit_status_updates_only_reach_git_and_generic() {
        let e = event(&[("kustomize.toolkit.fluxcd.io/commit_status", "update")], Severity::Info);
        assert!(!provider_accepts("slack", &e));
        assert!(provider_accepts("generic", &e));
        assert!(provider_accepts("generic-hmac", &e));
        // A git provider still needs a commit for an info event.
        assert!(!provider_accepts("github", &e));
        let e = event(&[("commit_status", "update"), ("commit", "abc")], Severity::Info);
        assert!(provider_accepts("github", &e));
    }

    #[test]
    fn git_providers_need_a_commit_unless_error() {
        let plain = event(&[("revision", "main@sha1:abc")], Severity::Info);
        assert!(!provider_accepts("gitlab", &plain));
        assert!(provider_accepts("slack", &plain));
        assert!(provider_accepts("gitlab", &event(&[], Severity::Error)));
        assert!(provider_accepts(
            "azuredevops",
            &event(&[("kustomize.toolkit.fluxcd.io/commit", "x")], Severity::Info)
        ));
        assert!(!provider_accepts("githubpullrequestcomment", &plain));
    }

    #[test]
    fn metadata_merges_in_precedence_order() {
        let e = event(
            &[
                ("event.toolkit.fluxcd.io/env", "from-annotation"),
                ("event.toolkit.fluxcd.io/team", "a"),
                ("kustomize.toolkit.fluxcd.io/revision", "main@sha1:abc"),
                ("kustomize.toolkit.fluxcd.io/env", "from-object"),
                ("kustomize.toolkit.fluxcd.io/digest", "sha256:x"),
                ("unprefixed", "dropped"),
            ],
            Severity::Info,
        );
        let alert: BTreeMap<String, String> =
            [("team".to_string(), "b".to_string()), ("summary".to_string(), "s0".to_string())].into();
        let got = combine_metadata(&e, &alert, Some("prod"), "event.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io");
        let want: BTreeMap<String, String> =
            [("env", "from-object"), ("team", "b"), ("summary", "prod"), ("revision", "main@sha1:abc")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(got.metadata, want);
        assert_eq!(got.conflicts, vec!["team", "summary", "env"]);
    }

    #[test]
    fn event_key_covers_revision_and_token_only() {
        let a = event(&[("kustomize.toolkit.fluxcd.io/revision", "r1")], Severity::Info);
        let b = event(&[("kustomize.toolkit.fluxcd.io/revision", "r2")], Severity::Info);
        let c = event(&[("kustomize.toolkit.fluxcd.io/revision", "r1"), ("other", "x")], Severity::Error);
        assert_ne!(event_key(&a), event_key(&b));
        assert_eq!(event_key(&a), event_key(&c));
        assert_eq!(event_key(&a), hex(&sha256(b"event/apps/flux-system/Kustomization/applied/r1")));
        let t = event(&[("token", "t1"), ("originRevision", "o1")], Severity::Info);
        assert_eq!(event_key(&t), hex(&sha256(b"event/apps/flux-system/Kustomization/applied/o1/t1")));
    }
}
