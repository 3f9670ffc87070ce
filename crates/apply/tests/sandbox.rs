//! The apply engine against the embedded API server (real HTTP, real SSA, managedFields, dryRun).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::Duration;

use glidepath_apply::{Action, Applier, ApplyError, ApplyOptions, ChangeSet, Entry, ObjMeta, Owner};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use serde_json::{Value, json};

async fn sandbox() -> (glidepath_sandbox::SandboxHandle, Client) {
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    (sandbox, client)
}

fn applier(client: &Client) -> Applier {
    let mut a = Applier::new(client.clone());
    a.poll_interval = Duration::from_millis(100);
    a
}

fn owner() -> Owner {
    Owner { name: "apps".into(), namespace: "flux-system".into() }
}

fn owned(mut obj: Value) -> Value {
    owner().label(&mut obj);
    obj
}

fn api(client: &Client, api_version: &str, kind: &str, ns: Option<&str>) -> Api<DynamicObject> {
    let (g, v) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, kind));
    match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

async fn get(client: &Client, api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> Option<Value> {
    api(client, api_version, kind, ns).get_opt(name).await.unwrap().map(|o| serde_json::to_value(o).unwrap())
}

fn rv(obj: &Value) -> String {
    obj["metadata"]["resourceVersion"].as_str().unwrap().to_owned()
}

fn crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}
    })
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn config_map(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "app"}, "data": data})
}

fn deployment(name: &str, app: &str, annotations: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "app", "annotations": annotations},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": app}},
            "template": {"metadata": {"labels": {"app": app}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}
    })
}

fn actions(set: &ChangeSet) -> Vec<(String, Action)> {
    set.changes.iter().map(|c| (c.entry.meta.to_string(), c.action)).collect()
}

#[tokio::test]
async fn crd_and_its_resources_apply_in_stages_and_a_second_apply_writes_nothing() {
    let (_sb, client) = sandbox().await;
    let a = applier(&client);
    let objects = vec![
        owned(
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "app"}, "spec": {"size": 3}}),
        ),
        owned(config_map("settings", json!({"k": "v"}))),
        owned(crd()),
        owned(namespace("app")),
        owned(deployment("web", "web", json!({}))),
    ];
    let set = a.apply_all_staged(objects.clone(), &ApplyOptions::default()).await.unwrap();
    assert_eq!(
        actions(&set),
        vec![
            ("CustomResourceDefinition/widgets.example.com".to_owned(), Action::Created),
            ("Namespace/app".to_owned(), Action::Created),
            ("ConfigMap/app/settings".to_owned(), Action::Created),
            ("Deployment/app/web".to_owned(), Action::Created),
            ("Widget/app/w".to_owned(), Action::Created),
        ]
    );
    let ids: Vec<String> = set.entries().iter().map(|e| e.meta.id()).collect();
    assert!(ids.contains(&"_widgets.example.com_apiextensions.k8s.io_CustomResourceDefinition".to_owned()));
    assert!(ids.contains(&"app_settings__ConfigMap".to_owned()));
    let widget = get(&client, "example.com/v1", "Widget", Some("app"), "w").await.unwrap();
    assert_eq!(widget["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"], "apps");
    let managers: Vec<&str> =
        widget["metadata"]["managedFields"].as_array().unwrap().iter().filter_map(|m| m["manager"].as_str()).collect();
    assert_eq!(managers, ["kustomize-controller"]);

    let before = vec![
        rv(&get(&client, "v1", "ConfigMap", Some("app"), "settings").await.unwrap()),
        rv(&get(&client, "apps/v1", "Deployment", Some("app"), "web").await.unwrap()),
        rv(&widget),
    ];
    let again = a.apply_all_staged(objects, &ApplyOptions::default()).await.unwrap();
    assert!(!again.changed(), "{:?}", actions(&again));
    assert!(again.changes.iter().all(|c| c.action == Action::Unchanged));
    let after = vec![
        rv(&get(&client, "v1", "ConfigMap", Some("app"), "settings").await.unwrap()),
        rv(&get(&client, "apps/v1", "Deployment", Some("app"), "web").await.unwrap()),
        rv(&get(&client, "example.com/v1", "Widget", Some("app"), "w").await.unwrap()),
    ];
    assert_eq!(before, after);
}

#[tokio::test]
async fn drift_on_managed_fields_is_reverted_and_foreign_fields_survive() {
    let (_sb, client) = sandbox().await;
    let a = applier(&client);
    let objects = vec![owned(namespace("app")), owned(config_map("settings", json!({"k": "v"})))];
    a.apply_all_staged(objects.clone(), &ApplyOptions::default()).await.unwrap();
    // Someone edits a managed field and adds one of their own.
    let cms = api(&client, "v1", "ConfigMap", Some("app"));
    let edit = PatchParams { field_manager: Some("kubectl-edit".into()), ..PatchParams::default() };
    cms.patch("settings", &edit, &Patch::Merge(json!({"data": {"k": "edited", "extra": "mine"}}))).await.unwrap();
    assert_eq!(eventually(&a, &client, &objects, Action::Configured).await, "v");
    let cm = get(&client, "v1", "ConfigMap", Some("app"), "settings").await.unwrap();
    assert_eq!(cm["data"], json!({"k": "v", "extra": "mine"}));
    let again = a.apply_all_staged(objects, &ApplyOptions::default()).await.unwrap();
    assert!(!again.changed());
}

/// Requests of `verb` the sandbox served for `resource` while `f` ran.
async fn requests_during<T>(
    sb: &glidepath_sandbox::SandboxHandle,
    verb: &str,
    resource: &str,
    f: impl std::future::Future<Output = T>,
) -> (u64, T) {
    let count = |c: &std::collections::BTreeMap<(String, String), u64>| {
        c.get(&(verb.to_owned(), resource.to_owned())).copied().unwrap_or(0)
    };
    let before = count(&sb.request_counts());
    let out = f.await;
    (count(&sb.request_counts()) - before, out)
}

#[tokio::test]
async fn unchanged_objects_are_not_even_dry_run_once_their_live_version_is_known() {
    let (sb, client) = sandbox().await;
    let a = applier(&client);
    let cm = owned(config_map("settings", json!({"k": "v"})));
    let objects = vec![owned(namespace("app")), cm.clone()];
    a.apply_all_staged(objects.clone(), &ApplyOptions::default()).await.unwrap();
    // The metadata watch reports the live version shortly after the first visit; from then on
    // an unchanged manifest costs no request.
    let mut quiet = false;
    for _ in 0..100 {
        let (patches, set) =
            requests_during(&sb, "patch", "configmaps", a.apply_all_staged(objects.clone(), &ApplyOptions::default()))
                .await;
        assert!(!set.unwrap().changed());
        if patches == 0 {
            quiet = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(quiet, "an unchanged ConfigMap is still dry-run on every apply");

    // Drift is still seen: an edit moves the resourceVersion. The watch reports it within
    // milliseconds; a resync in between sees it at the next interval, as it would see an edit
    // made just after it.
    let cms = api(&client, "v1", "ConfigMap", Some("app"));
    let edit = PatchParams { field_manager: Some("kubectl-edit".into()), ..PatchParams::default() };
    cms.patch("settings", &edit, &Patch::Merge(json!({"data": {"k": "edited"}}))).await.unwrap();
    assert_eq!(eventually(&a, &client, &objects, Action::Configured).await, "v");
    // So is a changed manifest (at once), and a deletion behind our back.
    let mut changed = objects.clone();
    changed[1]["data"]["k"] = json!("new");
    let set = a.apply_all_staged(changed.clone(), &ApplyOptions::default()).await.unwrap();
    assert_eq!(actions(&set)[1].1, Action::Configured);
    cms.delete("settings", &Default::default()).await.unwrap();
    assert_eq!(eventually(&a, &client, &changed, Action::Created).await, "new");
}

/// Re-apply `objects` (as successive intervals would) until the ConfigMap gets `action`; its
/// `data.k` then.
async fn eventually(a: &Applier, client: &Client, objects: &[Value], action: Action) -> String {
    for _ in 0..100 {
        let set = a.apply_all_staged(objects.to_vec(), &ApplyOptions::default()).await.unwrap();
        if actions(&set)[1].1 == action {
            let cms = api(client, "v1", "ConfigMap", Some("app"));
            let cm = serde_json::to_value(cms.get("settings").await.unwrap()).unwrap();
            return cm["data"]["k"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the ConfigMap was never {action:?} again");
}

#[tokio::test]
async fn prune_deletes_owned_stale_objects_in_reverse_order_only() {
    let (_sb, client) = sandbox().await;
    let a = applier(&client);
    let keep = owned(config_map("keep", json!({})));
    let mut disabled = owned(config_map("disabled", json!({})));
    disabled["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/prune": "disabled"});
    let objects = vec![
        owned(namespace("app")),
        keep.clone(),
        owned(config_map("gone", json!({}))),
        disabled,
        owned(deployment("web", "web", json!({}))),
    ];
    let first = a.apply_all_staged(objects, &ApplyOptions::default()).await.unwrap();
    // An object some other owner now claims: never deleted by us.
    let foreign = config_map("foreign", json!({}));
    a.apply_all_staged(vec![foreign], &ApplyOptions::default()).await.unwrap();
    let mut old = first.entries();
    old.push(Entry { meta: ObjMeta::new("", "ConfigMap", "app", "foreign"), version: "v1".into() });
    old.push(Entry { meta: ObjMeta::new("", "ConfigMap", "app", "never-existed"), version: "v1".into() });

    let second = a.apply_all_staged(vec![owned(namespace("app")), keep], &ApplyOptions::default()).await.unwrap();
    let stale = glidepath_apply::object::stale(&old, &second.entries());
    assert_eq!(stale.len(), 5);
    let outcome = a.prune(&stale, &owner()).await;
    assert!(outcome.failed.is_empty());
    assert_eq!(
        actions(&outcome.deleted),
        vec![("Deployment/app/web".to_owned(), Action::Deleted), ("ConfigMap/app/gone".to_owned(), Action::Deleted)]
    );
    assert!(get(&client, "v1", "ConfigMap", Some("app"), "gone").await.is_none());
    assert!(get(&client, "v1", "ConfigMap", Some("app"), "disabled").await.is_some());
    assert!(get(&client, "v1", "ConfigMap", Some("app"), "foreign").await.is_some());
    assert!(get(&client, "v1", "ConfigMap", Some("app"), "keep").await.is_some());
}

#[tokio::test]
async fn immutable_field_change_fails_without_force_and_recreates_with_force() {
    let (_sb, client) = sandbox().await;
    let a = applier(&client);
    a.apply_all_staged(
        vec![owned(namespace("app")), owned(deployment("web", "v1", json!({})))],
        &ApplyOptions::default(),
    )
    .await
    .unwrap();
    let uid = get(&client, "apps/v1", "Deployment", Some("app"), "web").await.unwrap()["metadata"]["uid"].clone();
    let changed = vec![owned(namespace("app")), owned(deployment("web", "v2", json!({})))];
    let err = a.apply_all_staged(changed.clone(), &ApplyOptions::default()).await.unwrap_err();
    assert!(matches!(err, ApplyError::DryRun { .. }), "{err}");
    assert!(err.to_string().contains("Deployment/app/web") && err.to_string().contains("immutable"), "{err}");

    let forced = ApplyOptions { force: true, ..ApplyOptions::default() };
    let set = a.apply_all_staged(changed, &forced).await.unwrap();
    assert_eq!(actions(&set)[1], ("Deployment/app/web".to_owned(), Action::Created));
    let live = get(&client, "apps/v1", "Deployment", Some("app"), "web").await.unwrap();
    assert_ne!(live["metadata"]["uid"], uid);
    assert_eq!(live["spec"]["selector"]["matchLabels"]["app"], "v2");

    // The per-object annotation forces too.
    let annotated = vec![
        owned(namespace("app")),
        owned(deployment("web", "v3", json!({"kustomize.toolkit.fluxcd.io/force": "enabled"}))),
    ];
    let set = a.apply_all_staged(annotated, &ApplyOptions::default()).await.unwrap();
    assert_eq!(actions(&set)[1].1, Action::Created);
}

#[tokio::test]
async fn ssa_policies_if_not_present_and_ignore() {
    let (_sb, client) = sandbox().await;
    let a = applier(&client);
    let mut once = owned(config_map("once", json!({"k": "v1"})));
    once["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/ssa": "IfNotPresent"});
    let mut ignored = owned(config_map("ignored", json!({"k": "v1"})));
    ignored["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/ssa": "Ignore"});
    let set = a
        .apply_all_staged(vec![owned(namespace("app")), once.clone(), ignored], &ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(
        actions(&set)[1..],
        [("ConfigMap/app/ignored".to_owned(), Action::Skipped), ("ConfigMap/app/once".to_owned(), Action::Created)]
    );
    assert!(get(&client, "v1", "ConfigMap", Some("app"), "ignored").await.is_none());
    once["data"]["k"] = json!("v2");
    let set = a.apply_all_staged(vec![owned(namespace("app")), once], &ApplyOptions::default()).await.unwrap();
    assert_eq!(actions(&set)[1].1, Action::Skipped);
    assert_eq!(get(&client, "v1", "ConfigMap", Some("app"), "once").await.unwrap()["data"]["k"], "v1");
}

#[tokio::test]
async fn unknown_kind_or_duplicate_applies_nothing() {
    let (_sb, client) = sandbox().await;
    let a = applier(&client);
    let bad =
        json!({"apiVersion": "nope.example.com/v1", "kind": "Gizmo", "metadata": {"name": "g", "namespace": "app"}});
    let err = a.apply_all_staged(vec![owned(namespace("app")), bad], &ApplyOptions::default()).await.unwrap_err();
    assert!(matches!(err, ApplyError::UnknownKind { .. }), "{err}");
    assert!(err.to_string().contains("Gizmo/app/g"), "{err}");
    assert!(get(&client, "v1", "Namespace", None, "app").await.is_none());
    let dup = vec![owned(namespace("app")), config_map("x", json!({})), config_map("x", json!({"a": "b"}))];
    let err = a.apply_all_staged(dup, &ApplyOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("duplicate") && err.to_string().contains("ConfigMap/app/x"), "{err}");
    assert!(get(&client, "v1", "Namespace", None, "app").await.is_none());
}

#[tokio::test]
async fn wait_reports_current_and_failed_workloads() {
    let (_sb, client) = sandbox().await;
    let a = applier(&client);
    let healthy = owned(deployment("ok", "ok", json!({})));
    let mut broken = owned(deployment("broken", "broken", json!({})));
    broken["spec"]["progressDeadlineSeconds"] = json!(1);
    broken["spec"]["template"]["metadata"]["annotations"] = json!({"sandbox.glidepath.io/fail": "never-ready"});
    let set =
        a.apply_all_staged(vec![owned(namespace("app")), healthy, broken], &ApplyOptions::default()).await.unwrap();
    let entries = set.entries();
    let ok: Vec<Entry> = entries.iter().filter(|e| e.meta.name == "ok").cloned().collect();
    a.wait(&ok, Duration::from_secs(20), true, &[]).await.unwrap();
    let err = a.wait(&entries, Duration::from_secs(20), true, &[]).await.unwrap_err();
    assert!(matches!(err, ApplyError::HealthCheckFailed { .. }), "{err}");
    assert!(err.to_string().contains("Deployment/app/broken status: 'Failed'"), "{err}");
    let err = a.wait(&entries, Duration::from_millis(300), false, &[]).await.unwrap_err();
    assert!(err.to_string().contains("Deployment/app/broken"), "{err}");
}
