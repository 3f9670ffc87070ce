//! `glidepath trace KIND NAME`, as `flux trace` prints it: the object, the Kustomization that
//! applied it (from its `kustomize.toolkit.fluxcd.io/name|namespace` labels) and that
//! Kustomization's source, with their revisions and Ready conditions, in Flux's layout
//! (`flux2: cmd/flux/trace.go`, the Kustomization template: 17-column labels, a leading blank
//! line). KIND is resolved through discovery as kubectl resolves it.

use anyhow::{Context as _, bail};
use glidepath_apply::object::{OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::discovery::{Discovery, Scope, pinned_kind};
use serde_json::Value;

use crate::cli::TraceArgs;
use crate::flux_ops::{Kind, api, ready_condition};

/// kubectl's short names for the kinds people trace most.
const SHORT_NAMES: [(&str, &str); 12] = [
    ("deploy", "deployments"),
    ("cm", "configmaps"),
    ("svc", "services"),
    ("ns", "namespaces"),
    ("po", "pods"),
    ("sa", "serviceaccounts"),
    ("ds", "daemonsets"),
    ("sts", "statefulsets"),
    ("ing", "ingresses"),
    ("hpa", "horizontalpodautoscalers"),
    ("ks", "kustomizations"),
    ("gitrepo", "gitrepositories"),
];

/// `KIND NAME` or `KIND/NAME`.
fn split_target(words: &[String]) -> anyhow::Result<(String, String)> {
    match words {
        [kind, name] => Ok((kind.clone(), name.clone())),
        [one] => match one.rsplit_once('/') {
            Some((kind, name)) if !kind.is_empty() && !name.is_empty() => Ok((kind.to_owned(), name.to_owned())),
            _ => bail!("either `<resource>/<name>` or `<resource> <name>` is required as an argument"),
        },
        _ => bail!("either `<resource>/<name>` or `<resource> <name>` is required as an argument"),
    }
}

/// The resource a kind word names: `group/version/Kind` (`v1/Kind` for the core group), or a
/// kind, plural or short name matched against discovery.
async fn resolve_kind(client: &Client, word: &str) -> anyhow::Result<(ApiResource, bool)> {
    if let Some((gv, kind)) = word.rsplit_once('/') {
        let (group, version) = gv.split_once('/').unwrap_or(("", gv));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (r, caps) =
            pinned_kind(client, &gvk).await.with_context(|| format!("{word}: no such kind on the cluster"))?;
        return Ok((r, caps.scope == Scope::Namespaced));
    }
    let word = SHORT_NAMES.iter().find(|(s, _)| s.eq_ignore_ascii_case(word)).map_or(word, |(_, plural)| plural);
    let discovery = Discovery::new(client.clone()).run().await.context("discovery")?;
    for group in discovery.groups() {
        for (r, caps) in group.recommended_resources() {
            if r.kind.eq_ignore_ascii_case(word) || r.plural.eq_ignore_ascii_case(word) {
                return Ok((r, caps.scope == Scope::Namespaced));
            }
        }
    }
    bail!("the server doesn't have a resource type \"{word}\"")
}

/// `trace KIND NAME`.
pub async fn trace(args: &TraceArgs) -> anyhow::Result<()> {
    let (kind, name) = split_target(&args.target)?;
    let client = crate::controller::client(args.kubeconfig.as_deref()).await?;
    let (resource, namespaced) = resolve_kind(&client, &kind).await?;
    let objects: Api<DynamicObject> = if namespaced {
        Api::namespaced_with(client.clone(), &args.namespace, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    };
    let obj = objects.get(&name).await.with_context(|| format!("failed to find object {}/{name}", resource.kind))?;
    let mut obj = serde_json::to_value(obj)?;
    obj["kind"] = Value::String(resource.kind.clone());
    let labels = &obj["metadata"]["labels"];
    let (Some(ks_name), Some(ks_ns)) = (labels[OWNER_NAME_LABEL].as_str(), labels[OWNER_NAMESPACE_LABEL].as_str())
    else {
        bail!("object not managed by Flux");
    };
    let ks = api(&client, Kind::Kustomization, Some(ks_ns))
        .get(ks_name)
        .await
        .with_context(|| format!("failed to find kustomization {ks_ns}/{ks_name}"))?;
    let ks = serde_json::to_value(ks)?;
    let source_ref = &ks["spec"]["sourceRef"];
    let source = if source_ref["kind"] == "GitRepository" {
        let src_ns = source_ref["namespace"].as_str().unwrap_or(ks_ns);
        let src_name = source_ref["name"].as_str().unwrap_or_default();
        let repo = api(&client, Kind::GitRepository, Some(src_ns))
            .get(src_name)
            .await
            .with_context(|| format!("failed to find GitRepository {src_ns}/{src_name}"))?;
        Some(serde_json::to_value(repo)?)
    } else {
        None // Glidepath serves only GitRepository sources; Flux prints no block for the others either.
    };
    print!("{}", render(&obj, &ks, source.as_ref()));
    Ok(())
}

/// A condition's time as Go prints a `metav1.Time`: `2026-12-07 10:00:00 +0000 UTC`.
fn go_time(c: &Value) -> String {
    let raw = c["lastTransitionTime"].as_str().unwrap_or_default();
    match raw.parse::<Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M:%S +0000 UTC").to_string(),
        Err(_) => raw.to_owned(),
    }
}

fn line(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("{:<17}{value}\n", format!("{label}:")));
}

fn status_lines(out: &mut String, obj: &Value, failed_wording: bool) {
    match ready_condition(obj) {
        Some(c) => {
            let verb = if failed_wording && c["status"] == "False" {
                "Last reconciliation failed at"
            } else {
                "Last reconciled at"
            };
            line(out, "Status", &format!("{verb} {}", go_time(c)));
            line(out, "Message", c["message"].as_str().unwrap_or_default());
        }
        None => line(out, "Status", "Unknown"),
    }
}

/// The report in Flux's layout.
pub fn render(obj: &Value, ks: &Value, source: Option<&Value>) -> String {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut out = String::from("\n");
    line(&mut out, "Object", &format!("{}/{}", s(&obj["kind"]), s(&obj["metadata"]["name"])));
    if let Some(ns) = obj["metadata"]["namespace"].as_str().filter(|n| !n.is_empty()) {
        line(&mut out, "Namespace", ns);
    }
    line(&mut out, "Status", "Managed by Flux");
    out.push_str("---\n");
    line(&mut out, "Kustomization", &s(&ks["metadata"]["name"]));
    line(&mut out, "Namespace", &s(&ks["metadata"]["namespace"]));
    if let Some(target) = ks["spec"]["targetNamespace"].as_str().filter(|t| !t.is_empty()) {
        line(&mut out, "Target", target);
    }
    line(&mut out, "Path", &s(&ks["spec"]["path"]));
    line(&mut out, "Revision", &s(&ks["status"]["lastAppliedRevision"]));
    status_lines(&mut out, ks, false);
    let Some(repo) = source else { return out };
    out.push_str("---\n");
    line(&mut out, "GitRepository", &s(&repo["metadata"]["name"]));
    line(&mut out, "Namespace", &s(&repo["metadata"]["namespace"]));
    line(&mut out, "URL", &s(&repo["spec"]["url"]));
    let reference = &repo["spec"]["ref"];
    if let Some(tag) = reference["tag"].as_str().or(reference["semver"].as_str()) {
        line(&mut out, "Tag", tag);
    } else if let Some(branch) = reference["branch"].as_str() {
        line(&mut out, "Branch", branch);
    }
    if let Some(rev) = repo["status"]["artifact"]["revision"].as_str() {
        line(&mut out, "Revision", rev);
    }
    status_lines(&mut out, repo, true);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_flux_trace_layout() {
        let cond = |status: &str, msg: &str| {
            json!({"conditions": [{"type": "Ready", "status": status, "message": msg,
                "lastTransitionTime": "2026-12-07T10:00:00Z"}]})
        };
        let obj = json!({"kind": "Deployment", "metadata": {"name": "podinfo", "namespace": "default"}});
        let mut ks = json!({"metadata": {"name": "apps", "namespace": "flux-system"},
            "spec": {"path": "./deploy"}, "status": cond("True", "Applied revision: main@sha1:abc")});
        ks["status"]["lastAppliedRevision"] = json!("main@sha1:abc");
        let mut repo = json!({"metadata": {"name": "podinfo", "namespace": "flux-system"},
            "spec": {"url": "https://example.com/podinfo", "ref": {"branch": "main"}}, "status": cond("False", "auth")});
        repo["status"]["artifact"] = json!({"revision": "main@sha1:abc"});
        assert_eq!(
            render(&obj, &ks, Some(&repo)),
            "\nObject:          Deployment/podinfo\nNamespace:       default\nStatus:          Managed by Flux\n---\n\
             Kustomization:   apps\nNamespace:       flux-system\nPath:            ./deploy\n\
             Revision:        main@sha1:abc\nStatus:          Last reconciled at 2026-12-07 10:00:00 +0000 UTC\n\
             Message:         Applied revision: main@sha1:abc\n---\nGitRepository:   podinfo\n\
             Namespace:       flux-system\nURL:             https://example.com/podinfo\nBranch:          main\n\
             Revision:        main@sha1:abc\nStatus:          Last reconciliation failed at 2026-12-07 10:00:00 +0000 UTC\n\
             Message:         auth\n"
        );
    }

    #[test]
    fn targets_read_as_flux_reads_them() {
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(split_target(&w("deployment podinfo")).unwrap(), ("deployment".into(), "podinfo".into()));
        assert_eq!(
            split_target(&w("apps/v1/Deployment/podinfo")).unwrap(),
            ("apps/v1/Deployment".into(), "podinfo".into())
        );
        assert!(split_target(&w("podinfo")).is_err());
    }
}
