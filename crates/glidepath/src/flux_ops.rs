//! The `flux` CLI's habits for the Flux objects Glidepath reconciles: `get kustomizations`,
//! `get sources git`, `suspend`, `resume` and `reconcile` for Kustomizations and
//! GitRepositories, with Flux's wording (`flux2: cmd/flux`, its golden outputs) — progress
//! lines on stderr, tables on stdout, the table laid out as Flux's printer lays it out.
//!
//! `reconcile` and `resume` set `reconcile.fluxcd.io/requestedAt` and wait until the
//! controller reports it in `status.lastHandledReconcileAt`, then print the new revision or
//! the Ready condition's message.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use crate::cli::{FluxArgs, GetArgs, ReconcileArgs, ResumeArgs};
use crate::sync::git::REQUESTED_AT;

/// Flux's default namespace.
pub const FLUX_NAMESPACE: &str = "flux-system";

/// A Flux kind the commands handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Kustomization,
    GitRepository,
    HelmRepository,
    HelmChart,
    HelmRelease,
    OciRepository,
    ImageRepository,
    ImagePolicy,
    ImageUpdateAutomation,
}

impl Kind {
    fn resource(self) -> ApiResource {
        let (g, v, k) = match self {
            Kind::Kustomization => ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
            Kind::GitRepository => ("source.toolkit.fluxcd.io", "v1", "GitRepository"),
            Kind::HelmRepository => ("source.toolkit.fluxcd.io", "v1", "HelmRepository"),
            Kind::HelmChart => ("source.toolkit.fluxcd.io", "v1", "HelmChart"),
            Kind::HelmRelease => ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
            Kind::OciRepository => ("source.toolkit.fluxcd.io", "v1", "OCIRepository"),
            Kind::ImageRepository => ("image.toolkit.fluxcd.io", "v1", "ImageRepository"),
            Kind::ImagePolicy => ("image.toolkit.fluxcd.io", "v1", "ImagePolicy"),
            Kind::ImageUpdateAutomation => ("image.toolkit.fluxcd.io", "v1", "ImageUpdateAutomation"),
        };
        ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, k))
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Kustomization => "Kustomization",
            Kind::GitRepository => "GitRepository",
            Kind::HelmRepository => "HelmRepository",
            Kind::HelmChart => "HelmChart",
            Kind::HelmRelease => "HelmRelease",
            Kind::OciRepository => "OCIRepository",
            Kind::ImageRepository => "ImageRepository",
            Kind::ImagePolicy => "ImagePolicy",
            Kind::ImageUpdateAutomation => "ImageUpdateAutomation",
        }
    }

    /// How Flux's messages name the kind.
    pub fn human(self) -> &'static str {
        match self {
            Kind::Kustomization => "kustomization",
            Kind::GitRepository => "source git",
            Kind::HelmRepository => "source helm",
            Kind::HelmChart => "source chart",
            Kind::HelmRelease => "helmrelease",
            Kind::OciRepository => "source oci",
            Kind::ImageRepository => "image repository",
            Kind::ImagePolicy => "image policy",
            Kind::ImageUpdateAutomation => "image update",
        }
    }

    /// The revision a `get` row and a success message show.
    pub fn revision(self, obj: &Value) -> String {
        let r = match self {
            Kind::Kustomization => &obj["status"]["lastAppliedRevision"],
            Kind::GitRepository | Kind::HelmRepository | Kind::HelmChart | Kind::OciRepository => {
                &obj["status"]["artifact"]["revision"]
            }
            // flux get helmreleases: the chart version last attempted.
            Kind::HelmRelease => &obj["status"]["lastAttemptedRevision"],
            Kind::ImageRepository => &obj["status"]["lastScanResult"]["revision"],
            Kind::ImagePolicy => return crate::flux_images::latest_image(obj),
            Kind::ImageUpdateAutomation => &obj["status"]["lastPushCommit"],
        };
        r.as_str().unwrap_or_default().to_owned()
    }

    fn success(self, revision: &str) -> String {
        match self {
            Kind::Kustomization | Kind::HelmRelease => format!("applied revision {revision}"),
            Kind::GitRepository | Kind::HelmRepository | Kind::HelmChart | Kind::OciRepository => {
                format!("fetched revision {revision}")
            }
            Kind::ImageRepository => format!("scan fetched revision {revision}"),
            Kind::ImagePolicy => format!("selected ref {revision}"),
            Kind::ImageUpdateAutomation => format!("last push commit {revision}"),
        }
    }
}

/// `kustomization NAME` / `ks NAME` / `source git NAME`.
pub fn parse_target(words: &[String]) -> anyhow::Result<(Kind, String)> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["kustomization" | "kustomizations" | "ks", name] => Ok((Kind::Kustomization, (*name).to_owned())),
        ["helmrelease" | "helmreleases" | "hr", name] => Ok((Kind::HelmRelease, (*name).to_owned())),
        ["source", "git", name] => Ok((Kind::GitRepository, (*name).to_owned())),
        ["source", "helm", name] => Ok((Kind::HelmRepository, (*name).to_owned())),
        ["source", "chart", name] => Ok((Kind::HelmChart, (*name).to_owned())),
        ["source", "oci", name] => Ok((Kind::OciRepository, (*name).to_owned())),
        ["source", other, _] => bail!("source {other}: only `source git|helm|chart|oci` are served by Glidepath"),
        ["image", sub, name] => Ok((crate::flux_images::image_kind(sub)?, (*name).to_owned())),
        _ => bail!(
            "expected `kustomization NAME`, `helmrelease NAME`, `source git|helm|chart|oci NAME` or `image repository|policy|update NAME`, got `{}`",
            w.join(" ")
        ),
    }
}

/// Flux's `TruncateHex`: every 40 to 128 character lowercase hex word shortened to 8.
pub fn truncate_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hex = (40..=128).contains(&word.len()) && word.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        out.push_str(if hex { &word[..8] } else { word });
        word.clear();
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The object's Ready condition.
pub fn ready_condition(obj: &Value) -> Option<&Value> {
    obj["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == "Ready")
}

/// The Ready condition's status and message, or Flux's "waiting to be reconciled".
pub fn status_and_message(obj: &Value) -> (String, String) {
    match ready_condition(obj) {
        Some(c) => {
            (c["status"].as_str().unwrap_or("Unknown").to_owned(), c["message"].as_str().unwrap_or("").to_owned())
        }
        None => ("False".to_owned(), "waiting to be reconciled".to_owned()),
    }
}

/// Flux's table (`utils.PrintTable`): cells padded to the column's width and each followed by a
/// tab; the header's cells joined by tabs, its last one padded one further. A cell with line
/// breaks continues on the next lines, the other cells blank there.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let width = |s: &str| s.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| width(&r[i])).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let pad = |s: &str, w: usize| format!("{s:<w$}");
    let mut out = String::new();
    let last = header.len().saturating_sub(1);
    let cells: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| pad(h, widths[i] + usize::from(i == last && !rows.is_empty())))
        .collect();
    let _ = writeln!(out, "{}", cells.join("\t"));
    for r in rows {
        let lines: Vec<Vec<&str>> = r.iter().map(|c| c.lines().collect()).collect();
        let height = lines.iter().map(Vec::len).max().unwrap_or(0).max(1);
        for n in 0..height {
            for (cell, w) in lines.iter().zip(&widths) {
                out.push_str(&pad(cell.get(n).copied().unwrap_or(""), *w));
                out.push('\t');
            }
            out.push('\n');
        }
    }
    out
}

/// One `get` row: (namespace,) name (`kind/name` with `with_kind`, as `get all` shows it),
/// revision, suspended, ready, message.
pub fn row(kind: Kind, obj: &Value, with_namespace: bool, with_kind: bool) -> Vec<String> {
    let (status, message) = status_and_message(obj);
    let suspended = if obj["spec"]["suspend"] == true { "True" } else { "False" };
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let name = if with_kind { format!("{}/{name}", kind.name().to_lowercase()) } else { name.to_owned() };
    let mut r = match crate::flux_images::middle(kind, obj) {
        Some(middle) => [vec![name], middle, vec![status, truncate_hex(&message)]].concat(),
        None => vec![name, truncate_hex(&kind.revision(obj)), suspended.to_owned(), status, truncate_hex(&message)],
    };
    if with_namespace {
        r.insert(0, obj["metadata"]["namespace"].as_str().unwrap_or_default().to_owned());
    }
    r
}

/// `--status-selector TYPE=STATUS` (`ready=false`), split at the first `=` as flux splits it.
pub fn parse_status_selector(s: &str) -> anyhow::Result<(String, String)> {
    match s.split_once('=') {
        Some((t, v)) => Ok((t.to_owned(), v.to_owned())),
        None => bail!("expected status selector in type=status format, but found: {s}"),
    }
}

/// Whether `obj`'s condition `type_` (the last of that type, as flux reads it) is at
/// `status`, both compared case-insensitively; an object without the condition does not match.
pub fn has_condition(obj: &Value, type_: &str, status: &str) -> bool {
    let conditions = obj["status"]["conditions"].as_array().into_iter().flatten();
    let last = conditions.rev().find(|c| c["type"].as_str().is_some_and(|t| t.eq_ignore_ascii_case(type_)));
    last.and_then(|c| c["status"].as_str()).is_some_and(|v| v.eq_ignore_ascii_case(status))
}

pub(crate) fn api(client: &Client, kind: Kind, ns: Option<&str>) -> Api<DynamicObject> {
    match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &kind.resource()),
        None => Api::all_with(client.clone(), &kind.resource()),
    }
}

/// `get kustomizations|sources git [NAME] [-A]`, and `get all` (every kind, names prefixed
/// with the kind, a table per kind with objects, each followed by a blank line).
pub async fn get(args: &GetArgs) -> anyhow::Result<()> {
    let (kinds, name, all) = match (args.resource.as_str(), args.rest.as_slice()) {
        ("kustomizations" | "kustomization" | "ks", rest) if rest.len() <= 1 => {
            (vec![Kind::Kustomization], rest.first(), false)
        }
        ("helmreleases" | "helmrelease" | "hr", rest) if rest.len() <= 1 => {
            (vec![Kind::HelmRelease], rest.first(), false)
        }
        ("sources" | "source", [src, rest @ ..]) if rest.len() <= 1 => {
            let kind = match src.as_str() {
                "git" => Kind::GitRepository,
                "helm" => Kind::HelmRepository,
                "chart" => Kind::HelmChart,
                "oci" => Kind::OciRepository,
                other => bail!("get sources {other}: expected `git`, `helm`, `chart` or `oci`"),
            };
            (vec![kind], rest.first(), false)
        }
        ("images" | "image", [sub, rest @ ..]) if rest.len() <= 1 => {
            let kinds = match sub.as_str() {
                "all" => vec![Kind::ImageRepository, Kind::ImagePolicy, Kind::ImageUpdateAutomation],
                other => vec![crate::flux_images::image_kind(other)?],
            };
            let all = kinds.len() > 1;
            (kinds, rest.first(), all)
        }
        ("all", []) => {
            let kinds = vec![
                Kind::GitRepository,
                Kind::HelmRepository,
                Kind::HelmChart,
                Kind::OciRepository,
                Kind::Kustomization,
                Kind::HelmRelease,
                Kind::ImageRepository,
                Kind::ImagePolicy,
                Kind::ImageUpdateAutomation,
            ];
            (kinds, None, true)
        }
        (r, rest) => bail!(
            "get {r} {}: expected `get kustomizations|helmreleases [NAME]`, `get sources git|helm|chart|oci [NAME]`, `get images repository|policy|update|all [NAME]` or `get all`",
            rest.join(" ")
        ),
    };
    let selector = args.status_selector.as_deref().map(parse_status_selector).transpose()?;
    let client = crate::controller::client(args.kubeconfig.as_deref()).await?;
    let ns = args.namespace.clone().unwrap_or_else(|| FLUX_NAMESPACE.to_owned());
    for kind in kinds {
        let api = api(&client, kind, (!args.all_namespaces).then_some(ns.as_str()));
        // As flux lists: a name is a field selector, so a missing object is "no objects found".
        let params = match name {
            Some(n) => ListParams::default().fields(&format!("metadata.name={n}")),
            None => ListParams::default(),
        };
        let list = api.list(&params).await.with_context(|| format!("list {}", kind.name()))?;
        let items: Vec<Value> = list.items.into_iter().map(serde_json::to_value).collect::<Result<_, _>>()?;

        if items.is_empty() {
            if !all {
                let place = if args.all_namespaces { "any".to_owned() } else { ns.clone() };
                eprintln!("✗ no {} objects found in {place} namespace", kind.name());
            }
            continue;
        }
        let mut header = crate::flux_images::header(kind);
        if args.all_namespaces {
            header.insert(0, "NAMESPACE");
        }
        // The selector filters rows, after the emptiness check: no match prints the header only.
        let rows: Vec<Vec<String>> = items
            .iter()
            .filter(|o| selector.as_ref().is_none_or(|(t, s)| has_condition(o, t, s)))
            .map(|o| row(kind, o, args.all_namespaces, all))
            .collect();
        let text = table(&header, &rows);
        print!("{}", if args.no_header { text.split_once('\n').map_or("", |(_, rest)| rest) } else { &text });
        if all {
            println!();
        }
    }
    Ok(())
}

/// `suspend kustomization|source git NAME`.
pub async fn suspend(args: &FluxArgs) -> anyhow::Result<()> {
    let (kind, name) = parse_target(&args.target)?;
    let client = crate::controller::client(args.kubeconfig.as_deref()).await?;
    let api = api(&client, kind, Some(&args.namespace));
    eprintln!("► suspending {} {name} in {} namespace", kind.human(), args.namespace);
    patch(&api, kind, &name, json!({"spec": {"suspend": true}})).await?;
    eprintln!("✔ {} suspended", kind.human());
    Ok(())
}

/// `resume kustomization|source git NAME`: unsuspend, request a reconcile, wait.
pub async fn resume(args: &ResumeArgs) -> anyhow::Result<()> {
    let (kind, name) = parse_target(&args.target)?;
    let ns = args.namespace.clone().unwrap_or_else(|| FLUX_NAMESPACE.to_owned());
    let client = crate::controller::client(args.kubeconfig.as_deref()).await?;
    let api = api(&client, kind, Some(&ns));
    eprintln!("► resuming {} {name} in {ns} namespace", kind.human());
    let at = Timestamp::now().to_string();
    patch(&api, kind, &name, json!({"metadata": {"annotations": {REQUESTED_AT: at}}, "spec": {"suspend": false}}))
        .await?;
    eprintln!("✔ {} resumed", kind.human());
    if !args.wait {
        return Ok(());
    }
    eprintln!("◎ waiting for {} reconciliation", kind.name());
    let obj = wait_handled(&api, kind, &name, &at, args.timeout).await?;
    eprintln!("✔ {} reconciliation completed", kind.name());
    eprintln!("✔ {}", kind.success(&kind.revision(&obj)));
    Ok(())
}

/// `reconcile kustomization NAME [--with-source]` / `reconcile source git NAME`.
pub async fn reconcile(args: &ReconcileArgs) -> anyhow::Result<()> {
    let o = &args.object;
    let (kind, name) = parse_target(&o.target)?;
    let client = crate::controller::client(o.kubeconfig.as_deref()).await?;
    let api = api(&client, kind, Some(&o.namespace));
    let obj = serde_json::to_value(
        api.get(&name).await.with_context(|| format!("get {} {}/{name}", kind.name(), o.namespace))?,
    )?;
    if obj["spec"]["suspend"] == true {
        bail!("resource is suspended");
    }
    if args.with_source && kind == Kind::Kustomization {
        let source = &obj["spec"]["sourceRef"];
        if source["kind"] != "GitRepository" {
            bail!("--with-source: source kind {} is not served by Glidepath", source["kind"]);
        }
        let src_ns = source["namespace"].as_str().unwrap_or(&o.namespace).to_owned();
        let src_name = source["name"].as_str().unwrap_or_default().to_owned();
        let src_api = self::api(&client, Kind::GitRepository, Some(&src_ns));
        request_and_wait(&src_api, Kind::GitRepository, &src_name, &src_ns, o.timeout).await?;
    }
    request_and_wait(&api, kind, &name, &o.namespace, o.timeout).await
}

async fn request_and_wait(
    api: &Api<DynamicObject>,
    kind: Kind,
    name: &str,
    ns: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    eprintln!("► annotating {} {name} in {ns} namespace", kind.name());
    let at = Timestamp::now().to_string();
    patch(api, kind, name, json!({"metadata": {"annotations": {REQUESTED_AT: at}}})).await?;
    eprintln!("✔ {} annotated", kind.name());
    eprintln!("◎ waiting for {} reconciliation", kind.name());
    let obj = wait_handled(api, kind, name, &at, timeout).await?;
    eprintln!("✔ {}", kind.success(&kind.revision(&obj)));
    Ok(())
}

async fn patch(api: &Api<DynamicObject>, kind: Kind, name: &str, body: Value) -> anyhow::Result<()> {
    api.patch(name, &PatchParams::default(), &Patch::Merge(&body))
        .await
        .with_context(|| format!("patch {} {name}", kind.name()))?;
    Ok(())
}

/// Wait until the controller handled the request `at`; the object then, or its failure.
async fn wait_handled(
    api: &Api<DynamicObject>,
    kind: Kind,
    name: &str,
    at: &str,
    timeout: Duration,
) -> anyhow::Result<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let obj = serde_json::to_value(api.get(name).await.with_context(|| format!("get {} {name}", kind.name()))?)?;
        if obj["status"]["lastHandledReconcileAt"] == at {
            let (status, message) = status_and_message(&obj);
            match status.as_str() {
                "True" => return Ok(obj),
                "False" => bail!("{message}"),
                _ => {} // still reconciling
            }
        }
        if Instant::now() >= deadline {
            bail!("timeout waiting for {} {name} reconciliation after {timeout:?}", kind.name());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_flux_golden() {
        // flux2 cmd/flux/testdata/kustomization/get_kustomization_from_git.golden
        let rows = vec![vec![
            "tkfg".into(),
            "6.0.0/627d5c4b".into(),
            "False".into(),
            "True".into(),
            "Applied revision: 6.0.0/627d5c4b".into(),
        ]];
        let got = table(&["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"], &rows);
        let want = "NAME\tREVISION      \tSUSPENDED\tREADY\tMESSAGE                          \n\
                    tkfg\t6.0.0/627d5c4b\tFalse    \tTrue \tApplied revision: 6.0.0/627d5c4b\t\n";
        assert_eq!(got, want);
        let multi = table(&["A", "B"], &[vec!["x".into(), "one\ntwo lines".into()]]);
        assert_eq!(multi, "A\tB         \nx\tone      \t\n \ttwo lines\t\n");
    }

    #[test]
    fn hex_words_of_forty_or_more_are_truncated() {
        let sha = "67e2c98a60dc92283531412a9e604dd4bae005a9";
        assert_eq!(truncate_hex(&format!("main@sha1:{sha}")), "main@sha1:67e2c98a");
        assert_eq!(truncate_hex(&format!("Applied revision: main@sha1:{sha}")), "Applied revision: main@sha1:67e2c98a");
        assert_eq!(truncate_hex("6.0.0/627d5c4b"), "6.0.0/627d5c4b");
        assert_eq!(truncate_hex(&"A".repeat(40)), "A".repeat(40), "uppercase is not Flux's hex");
    }

    #[test]
    fn targets_read_like_flux() {
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(parse_target(&w("ks apps")).unwrap(), (Kind::Kustomization, "apps".into()));
        assert_eq!(parse_target(&w("source git repo")).unwrap(), (Kind::GitRepository, "repo".into()));
        assert_eq!(parse_target(&w("source helm podinfo")).unwrap(), (Kind::HelmRepository, "podinfo".into()));
        assert_eq!(parse_target(&w("source chart c")).unwrap(), (Kind::HelmChart, "c".into()));
        assert_eq!(parse_target(&w("hr podinfo")).unwrap(), (Kind::HelmRelease, "podinfo".into()));
        assert_eq!(parse_target(&w("source oci repo")).unwrap(), (Kind::OciRepository, "repo".into()));
        assert_eq!(parse_target(&w("image update auto")).unwrap(), (Kind::ImageUpdateAutomation, "auto".into()));
        assert_eq!(parse_target(&w("image policy p")).unwrap(), (Kind::ImagePolicy, "p".into()));
        assert!(
            parse_target(&w("source bucket b")).unwrap_err().to_string().contains("only `source git|helm|chart|oci`")
        );
        assert!(parse_target(&w("image automation x")).is_err());
        assert!(parse_target(&w("imagepolicy x")).is_err());
    }

    #[test]
    fn status_selectors_match_conditions_case_insensitively() {
        let obj = serde_json::json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}});
        let (t, s) = parse_status_selector("ready=false").unwrap();
        assert!(has_condition(&obj, &t, &s));
        assert!(!has_condition(&obj, "ready", "true"));
        assert!(!has_condition(&serde_json::json!({}), "ready", "false"), "no condition, no match");
        assert!(parse_status_selector("ready").is_err());
    }

    #[test]
    fn a_row_without_status_is_waiting() {
        let o = json!({"metadata": {"name": "a", "namespace": "flux-system"}, "spec": {"suspend": true}});
        assert_eq!(
            row(Kind::Kustomization, &o, true, false),
            ["flux-system", "a", "", "True", "False", "waiting to be reconciled"]
        );
    }
}
