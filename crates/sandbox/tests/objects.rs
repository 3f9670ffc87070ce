//! Object semantics through a kube-rs client: metadata, concurrency, errors, subresources,
//! patches, deletion and garbage collection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::collections::BTreeMap;

use common::{TIMEOUT, client, raw, start};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

fn status_of(e: kube::Error) -> (u16, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.reason.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name, "labels": {"app": "web"}}, "data": {"k": "v"}})).unwrap()
}

fn deployment(name: &str, replicas: i32) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}
        }
    }))
    .unwrap()
}

#[tokio::test]
async fn metadata_concurrency_and_status_errors() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
        let a = cms.create(&PostParams::default(), &cm("a")).await.unwrap();
        let rv_a: u64 = a.metadata.resource_version.clone().unwrap().parse().unwrap();
        assert!(a.metadata.uid.is_some() && a.metadata.creation_timestamp.is_some());
        let b = cms.create(&PostParams::default(), &cm("b")).await.unwrap();
        let rv_b: u64 = b.metadata.resource_version.clone().unwrap().parse().unwrap();
        assert!(rv_b > rv_a, "one global counter");

        assert_eq!(
            status_of(cms.create(&PostParams::default(), &cm("a")).await.unwrap_err()),
            (409, "AlreadyExists".into())
        );
        assert_eq!(status_of(cms.get("nope").await.unwrap_err()), (404, "NotFound".into()));
        let other: Api<ConfigMap> = Api::namespaced(c.clone(), "missing-ns");
        let e = other.create(&PostParams::default(), &cm("x")).await.unwrap_err();
        match e {
            kube::Error::Api(s) => {
                assert_eq!((s.code, s.reason.as_str()), (404, "NotFound"));
                assert_eq!(s.message, "namespaces \"missing-ns\" not found");
            }
            other => panic!("{other:?}"),
        }

        // Optimistic concurrency.
        let mut stale = a.clone();
        let mut fresh = a.clone();
        fresh.data = Some(BTreeMap::from([("k".to_owned(), "v2".to_owned())]));
        cms.replace("a", &PostParams::default(), &fresh).await.unwrap();
        stale.data = Some(BTreeMap::from([("k".to_owned(), "v3".to_owned())]));
        assert_eq!(
            status_of(cms.replace("a", &PostParams::default(), &stale).await.unwrap_err()),
            (409, "Conflict".into())
        );

        // Invalid names give 422 with a cause on metadata.name.
        let e = cms.create(&PostParams::default(), &cm("Bad_Name")).await.unwrap_err();
        assert_eq!(status_of(e), (422, "Invalid".into()));

        // Label keys and values are validated for every kind.
        let mut bad_label = cm("labels");
        bad_label.metadata.labels = Some(BTreeMap::from([("app".to_owned(), "not valid!".to_owned())]));
        assert_eq!(
            status_of(cms.create(&PostParams::default(), &bad_label).await.unwrap_err()),
            (422, "Invalid".into())
        );

        // Dry run does not store.
        let dry = PostParams { dry_run: true, ..PostParams::default() };
        cms.create(&dry, &cm("dry")).await.unwrap();
        assert_eq!(status_of(cms.get("dry").await.unwrap_err()).0, 404);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn bad_input_gets_status_errors() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let p = "/api/v1/namespaces/default/configmaps";
        let (code, body) = raw(&sb, "POST", p, "application/json", b"{not json".to_vec()).await;
        assert_eq!((code, body["reason"].as_str()), (400, Some("BadRequest")));
        let big = vec![b' '; 3 * 1024 * 1024 + 10];
        let (code, body) = raw(&sb, "POST", p, "application/json", big).await;
        assert_eq!((code, body["reason"].as_str()), (413, Some("RequestEntityTooLarge")));
        let (code, body) = raw(&sb, "POST", &format!("{p}/x"), "application/json", b"{}".to_vec()).await;
        assert_eq!((code, body["reason"].as_str()), (405, Some("MethodNotAllowed")));
        let (code, _) = raw(&sb, "GET", "/apis/nope.example.com/v1/things", "application/json", Vec::new()).await;
        assert_eq!(code, 404);
        let (code, body) =
            raw(&sb, "GET", &format!("{p}?labelSelector=a%20in%20(b"), "application/json", Vec::new()).await;
        assert_eq!((code, body["reason"].as_str()), (400, Some("BadRequest")));
        let wrong = br#"{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"w"}}"#.to_vec();
        let (code, _) = raw(&sb, "POST", p, "application/json", wrong).await;
        assert_eq!(code, 400);
        let (code, _) = raw(&sb, "POST", p, "application/json", b"[1,2]".to_vec()).await;
        assert_eq!(code, 400);
        // The store is intact afterwards.
        let (code, body) = raw(&sb, "GET", p, "application/json", Vec::new()).await;
        assert_eq!(code, 200);
        assert_eq!(body["items"].as_array().map(Vec::len), Some(0));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn list_selectors_and_pagination() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
        for i in 0..7 {
            let mut m = cm(&format!("cm-{i}"));
            m.metadata.labels =
                Some(BTreeMap::from([("tier".to_owned(), if i % 2 == 0 { "even" } else { "odd" }.to_owned())]));
            cms.create(&PostParams::default(), &m).await.unwrap();
        }
        let names = |l: kube::core::ObjectList<ConfigMap>| {
            l.items.into_iter().map(|o| o.metadata.name.unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(names(cms.list(&ListParams::default().labels("tier=odd")).await.unwrap()).len(), 3);
        assert_eq!(
            names(cms.list(&ListParams::default().labels("tier in (odd,even),!missing")).await.unwrap()).len(),
            7
        );
        assert_eq!(names(cms.list(&ListParams::default().labels("tier notin (odd)")).await.unwrap()).len(), 4);
        assert_eq!(names(cms.list(&ListParams::default().fields("metadata.name=cm-3")).await.unwrap()), vec!["cm-3"]);
        let mut seen = Vec::new();
        let mut lp = ListParams::default().limit(3);
        loop {
            let page = cms.list(&lp).await.unwrap();
            let token = page.metadata.continue_.clone();
            seen.extend(names(page));
            match token {
                Some(t) if !t.is_empty() => lp = lp.continue_token(&t),
                _ => break,
            }
        }
        assert_eq!(seen.len(), 7);
        let all: Api<ConfigMap> = Api::all(c.clone());
        assert_eq!(all.list(&ListParams::default()).await.unwrap().items.len(), 7);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn generation_status_and_scale_subresources() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let deploys: Api<Deployment> = Api::namespaced(c.clone(), "default");
        let d = deploys.create(&PostParams::default(), &deployment("web", 2)).await.unwrap();
        assert_eq!(d.metadata.generation, Some(1));
        // Metadata change: no generation bump.
        let pp = PatchParams::default();
        let d = deploys.patch("web", &pp, &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}}))).await.unwrap();
        assert_eq!(d.metadata.generation, Some(1));
        // Status through the main resource is ignored; through /status it lands without touching spec.
        let d = deploys.patch("web", &pp, &Patch::Merge(json!({"status": {"replicas": 9}}))).await.unwrap();
        assert!(d.status.is_none());
        let d = deploys
            .patch_status("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 7}, "status": {"replicas": 2}})))
            .await
            .unwrap();
        assert_eq!(d.status.as_ref().and_then(|s| s.replicas), Some(2));
        assert_eq!(d.spec.replicas, Some(2));
        assert_eq!(d.metadata.generation, Some(1));
        // Spec change bumps generation and keeps status.
        let d = deploys.patch("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 3}}))).await.unwrap();
        assert_eq!(d.metadata.generation, Some(2));
        assert_eq!(d.status.as_ref().and_then(|s| s.replicas), Some(2));
        // JSON patch.
        let jp: json_patch::Patch =
            serde_json::from_value(json!([{"op": "replace", "path": "/spec/replicas", "value": 4}])).unwrap();
        let d = deploys.patch("web", &pp, &Patch::<()>::Json(jp)).await.unwrap();
        assert_eq!(d.spec.replicas, Some(4));
        let bad: json_patch::Patch =
            serde_json::from_value(json!([{"op": "test", "path": "/spec/replicas", "value": 1}])).unwrap();
        assert_eq!(status_of(deploys.patch("web", &pp, &Patch::<()>::Json(bad)).await.unwrap_err()).0, 422);
        // Strategic merge patch of a built-in kind.
        let d = deploys.patch("web", &pp, &Patch::Strategic(json!({"spec": {"replicas": 4}}))).await.unwrap();
        assert_eq!(d.spec.replicas, Some(4));
        // Scale subresource.
        let scale = deploys.get_scale("web").await.unwrap();
        assert_eq!(scale.spec.and_then(|s| s.replicas), Some(4));
        assert_eq!(scale.status.and_then(|s| s.selector), Some("app=web".to_owned()));
        let scale = deploys.patch_scale("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 6}}))).await.unwrap();
        assert_eq!(scale.spec.and_then(|s| s.replicas), Some(6));
        assert_eq!(deploys.get("web").await.unwrap().spec.replicas, Some(6));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn finalizers_garbage_collection_and_namespace_deletion() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let nss: Api<Namespace> = Api::all(c.clone());
        nss.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "team"}})).unwrap())
            .await
            .unwrap();
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "team");
        let deploys: Api<Deployment> = Api::namespaced(c.clone(), "team");

        // Finalizers hold deletion until removed.
        let mut held = cm("held");
        held.metadata.finalizers = Some(vec!["example.com/hold".to_owned()]);
        cms.create(&PostParams::default(), &held).await.unwrap();
        cms.delete("held", &DeleteParams::default()).await.unwrap();
        let got = cms.get("held").await.unwrap();
        assert!(got.metadata.deletion_timestamp.is_some());
        let more = Patch::Merge(json!({"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}}));
        assert_eq!(
            status_of(cms.patch("held", &PatchParams::default(), &more).await.unwrap_err()),
            (422, "Invalid".into())
        );
        let mut stale_uid = got.clone();
        stale_uid.metadata.uid = Some("00000000-0000-0000-0000-000000000000".to_owned());
        assert_eq!(status_of(cms.replace("held", &PostParams::default(), &stale_uid).await.unwrap_err()).0, 409);
        cms.patch("held", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}})))
            .await
            .unwrap();
        assert_eq!(status_of(cms.get("held").await.unwrap_err()).0, 404);

        // Background GC: dependents of a deleted owner go.
        let owner = deploys.create(&PostParams::default(), &deployment("owner", 1)).await.unwrap();
        let owner_ref = json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "owner",
            "uid": owner.metadata.uid.clone().unwrap(), "blockOwnerDeletion": true, "controller": true}]);
        let mut dep = cm("dep");
        dep.metadata.owner_references = Some(serde_json::from_value(owner_ref.clone()).unwrap());
        cms.create(&PostParams::default(), &dep).await.unwrap();
        deploys.delete("owner", &DeleteParams::background()).await.unwrap();
        assert_eq!(status_of(cms.get("dep").await.unwrap_err()).0, 404);

        // Foreground: the owner waits (foregroundDeletion) while a dependent has a finalizer.
        let owner = deploys.create(&PostParams::default(), &deployment("fg", 1)).await.unwrap();
        let mut dep = cm("fg-dep");
        dep.metadata.owner_references = Some(
            serde_json::from_value(json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "fg",
                "uid": owner.metadata.uid.clone().unwrap(), "blockOwnerDeletion": true}]))
            .unwrap(),
        );
        dep.metadata.finalizers = Some(vec!["example.com/hold".to_owned()]);
        cms.create(&PostParams::default(), &dep).await.unwrap();
        deploys.delete("fg", &DeleteParams::foreground()).await.unwrap();
        let waiting = deploys.get("fg").await.unwrap();
        assert!(waiting.metadata.finalizers.unwrap().contains(&"foregroundDeletion".to_owned()));
        cms.patch("fg-dep", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}})))
            .await
            .unwrap();
        assert_eq!(status_of(deploys.get("fg").await.unwrap_err()).0, 404);

        // Orphan keeps dependents and drops the reference.
        let owner = deploys.create(&PostParams::default(), &deployment("orph", 1)).await.unwrap();
        let mut dep = cm("orph-dep");
        dep.metadata.owner_references = Some(
            serde_json::from_value(json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "orph",
                "uid": owner.metadata.uid.clone().unwrap()}]))
            .unwrap(),
        );
        cms.create(&PostParams::default(), &dep).await.unwrap();
        deploys.delete("orph", &DeleteParams::orphan()).await.unwrap();
        assert!(cms.get("orph-dep").await.unwrap().metadata.owner_references.is_none());

        // Deleting the namespace deletes its contents; then creates there are refused.
        cms.create(&PostParams::default(), &cm("left")).await.unwrap();
        nss.delete("team", &DeleteParams::default()).await.unwrap();
        assert_eq!(status_of(nss.get("team").await.unwrap_err()).0, 404);
        assert_eq!(status_of(cms.get("left").await.unwrap_err()).0, 404);

        // deletecollection with a selector.
        let def: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
        for n in ["d1", "d2"] {
            def.create(&PostParams::default(), &cm(n)).await.unwrap();
        }
        def.delete_collection(&DeleteParams::default(), &ListParams::default().labels("app=web")).await.unwrap();
        assert!(def.list(&ListParams::default()).await.unwrap().items.is_empty());
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn builtin_defaults_and_validation() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let deploys: Api<Deployment> = Api::namespaced(c.clone(), "default");
        let mut d = deployment("plain", 1);
        d.spec.replicas = None;
        let d = deploys.create(&PostParams::default(), &d).await.unwrap();
        let spec = d.spec;
        assert_eq!(spec.replicas, Some(1));
        assert_eq!(spec.revision_history_limit, Some(10));
        assert_eq!(spec.progress_deadline_seconds, Some(600));
        assert_eq!(spec.strategy.and_then(|s| s.type_), Some("RollingUpdate".to_owned()));
        let container = &spec.template.spec.unwrap().containers[0];
        assert_eq!(container.image_pull_policy.as_deref(), Some("IfNotPresent"));

        let mut bad = deployment("mismatch", 1);
        bad.spec.template.metadata.as_mut().unwrap().labels =
            Some(BTreeMap::from([("app".to_owned(), "other".to_owned())]));
        let e = deploys.create(&PostParams::default(), &bad).await.unwrap_err();
        assert_eq!(status_of(e), (422, "Invalid".into()));
        let selector_change = Patch::Merge(json!({"spec": {"selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}}}}}));
        let e = deploys.patch("plain", &PatchParams::default(), &selector_change).await.unwrap_err();
        assert_eq!(status_of(e), (422, "Invalid".into()));

        let svcs: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(c.clone(), "default");
        let svc = serde_json::from_value(
            json!({"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
        )
        .unwrap();
        let svc = svcs.create(&PostParams::default(), &svc).await.unwrap().spec.unwrap();
        assert_eq!(svc.type_.as_deref(), Some("ClusterIP"));
        assert!(svc.cluster_ip.as_deref().is_some_and(|ip| ip.starts_with("10.96.")));
        let port = &svc.ports.unwrap()[0];
        assert_eq!(port.protocol.as_deref(), Some("TCP"));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn background_cascade_follows_owner_chains() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let deploys: Api<Deployment> = Api::namespaced(c.clone(), "default");
        let rss: Api<k8s_openapi::api::apps::v1::ReplicaSet> = Api::namespaced(c.clone(), "default");
        let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(c.clone(), "default");
        let d = deploys.create(&PostParams::default(), &deployment("chain", 1)).await.unwrap();
        let owner = |kind: &str, name: &str, uid: &str| json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": true}]);
        let rs = serde_json::from_value(json!({
            "metadata": {"name": "chain-1", "labels": {"app": "chain"}, "ownerReferences": owner("Deployment", "chain", d.metadata.uid.as_deref().unwrap())},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "chain"}},
                "template": {"metadata": {"labels": {"app": "chain"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}
        }))
        .unwrap();
        let rs = rss.create(&PostParams::default(), &rs).await.unwrap();
        let pod = serde_json::from_value(json!({
            "metadata": {"name": "chain-1-abcde", "labels": {"app": "chain"}, "ownerReferences": owner("ReplicaSet", "chain-1", rs.metadata.uid.as_deref().unwrap())},
            "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}
        }))
        .unwrap();
        let pod = pods.create(&PostParams::default(), &pod).await.unwrap();
        assert_eq!(pod.status.and_then(|s| s.phase).as_deref(), Some("Pending"));
        deploys.delete("chain", &DeleteParams::default()).await.unwrap();
        assert_eq!(status_of(rss.get("chain-1").await.unwrap_err()).0, 404);
        assert_eq!(status_of(pods.get("chain-1-abcde").await.unwrap_err()).0, 404);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn garbage_requests_never_break_the_server() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let paths = [
            "/api/v1/namespaces/default/configmaps",
            "/api/v1/namespaces/default/configmaps/x",
            "/api/v1/namespaces/default/configmaps/x/status",
            "/apis/apps/v1/namespaces/default/deployments/x/scale",
            "/api/v1/namespaces",
            "/api/v1/namespaces/default",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            "/apis/apps/v1/namespaces/default/deployments?watch=1&resourceVersion=-1",
            "/api/v1/namespaces/default/configmaps?limit=x",
            "/api/v1/namespaces/default/configmaps?continue=zz",
            "/api/v1/namespaces/default/configmaps?fieldSelector=spec.x%3D1",
            "/api/v1/namespaces/%ZZ/configmaps",
            "/apis/apps",
            "/apis/apps/v9",
            "/api/v1/nodes/n/status",
            "/unknown/path",
        ];
        let bodies: [&[u8]; 8] = [
            b"",
            b"null",
            b"{}",
            b"\"str\"",
            b"{\"metadata\": 5}",
            b"{\"metadata\": {\"name\": 5, \"labels\": [1]}}",
            b"[{\"op\": \"explode\"}]",
            b"{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"ok\", \"finalizers\": 3}, \"spec\": {\"replicas\": \"x\"}}",
        ];
        let types = ["application/json", "application/merge-patch+json", "application/json-patch+json", "application/strategic-merge-patch+json", "text/plain"];
        for path in paths {
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                for (i, body) in bodies.iter().enumerate() {
                    let ct = types[i % types.len()];
                    let (code, _) = raw(&sb, method, path, ct, body.to_vec()).await;
                    assert!(code != 0 && code < 500, "{method} {path} {ct} {:?} -> {code}", String::from_utf8_lossy(body));
                }
            }
        }
        let (code, v) = raw(&sb, "GET", "/api/v1/namespaces", "", vec![]).await;
        assert_eq!(code, 200);
        assert!(v["items"].as_array().unwrap().len() >= 4);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn events_are_shared_between_core_and_events_k8s_io() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let new_api: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(c.clone(), "default");
        let core_api: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(c.clone(), "default");
        let ev = serde_json::from_value(json!({
            "metadata": {"name": "podinfo.1"},
            "eventTime": "2026-11-22T02:00:00.000000Z",
            "reportingController": "glidepath", "reportingInstance": "glidepath-0",
            "action": "Promote", "reason": "Synced", "type": "Normal", "note": "Advance podinfo.test canary weight 10",
            "regarding": {"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": "podinfo", "namespace": "default"}
        }))
        .unwrap();
        let created = new_api.create(&PostParams::default(), &ev).await.unwrap();
        assert_eq!(created.note.as_deref(), Some("Advance podinfo.test canary weight 10"));
        let core = core_api.get("podinfo.1").await.unwrap();
        assert_eq!(core.message.as_deref(), Some("Advance podinfo.test canary weight 10"));
        assert_eq!(core.involved_object.name.as_deref(), Some("podinfo"));
        assert_eq!(core.reporting_component.as_deref(), Some("glidepath"));
        let patched = new_api
            .patch("podinfo.1", &PatchParams::default(), &Patch::Merge(json!({"note": "changed"})))
            .await
            .unwrap();
        assert_eq!(patched.note.as_deref(), Some("changed"));
        assert_eq!(core_api.get("podinfo.1").await.unwrap().message.as_deref(), Some("changed"));
        assert_eq!(new_api.list(&ListParams::default()).await.unwrap().items.len(), 1);
        new_api.delete("podinfo.1", &DeleteParams::default()).await.unwrap();
        assert!(core_api.list(&ListParams::default()).await.unwrap().items.is_empty());
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn dry_run_on_every_write_verb_and_yaml_bodies() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let deploys: Api<Deployment> = Api::namespaced(c.clone(), "default");
        deploys.create(&PostParams::default(), &deployment("dry", 1)).await.unwrap();
        let rv = sb.resource_version();
        let pp = PatchParams { dry_run: true, ..PatchParams::default() };
        let patched = deploys.patch("dry", &pp, &Patch::Merge(json!({"spec": {"replicas": 9}}))).await.unwrap();
        assert_eq!(patched.spec.replicas, Some(9));
        deploys.patch_scale("dry", &pp, &Patch::Merge(json!({"spec": {"replicas": 8}}))).await.unwrap();
        deploys.patch_status("dry", &pp, &Patch::Merge(json!({"status": {"replicas": 8}}))).await.unwrap();
        let dp = DeleteParams { dry_run: true, ..DeleteParams::default() };
        deploys.delete("dry", &dp).await.unwrap();
        deploys.delete_collection(&dp, &ListParams::default()).await.unwrap();
        let mut current = deploys.get("dry").await.unwrap();
        current.spec.replicas = Some(7);
        deploys.replace("dry", &PostParams { dry_run: true, ..PostParams::default() }, &current).await.unwrap();
        assert_eq!(sb.resource_version(), rv, "no dry-run write was committed");
        assert_eq!(deploys.get("dry").await.unwrap().spec.replicas, Some(1));

        let yaml = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n".to_vec();
        let (code, v) = raw(&sb, "POST", "/api/v1/namespaces/default/configmaps", "application/yaml", yaml).await;
        assert_eq!((code, v["data"]["k"].as_str()), (201, Some("v")));
        let (code, v) =
            raw(&sb, "POST", "/api/v1/namespaces/default/configmaps", "application/yaml", b"a: [".to_vec()).await;
        assert_eq!((code, v["reason"].as_str()), (400, Some("BadRequest")));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn terminating_namespace_waits_for_finalizers_and_refuses_new_objects() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let nss: Api<Namespace> = Api::all(c.clone());
        nss.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "slow"}})).unwrap())
            .await
            .unwrap();
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "slow");
        let mut held = cm("held");
        held.metadata.finalizers = Some(vec!["example.com/hold".to_owned()]);
        cms.create(&PostParams::default(), &held).await.unwrap();
        nss.delete("slow", &DeleteParams::default()).await.unwrap();
        let ns = nss.get("slow").await.unwrap();
        assert_eq!(ns.status.and_then(|s| s.phase).as_deref(), Some("Terminating"));
        assert_eq!(
            status_of(cms.create(&PostParams::default(), &cm("late")).await.unwrap_err()),
            (403, "Forbidden".into())
        );
        assert_eq!(status_of(nss.delete("default", &DeleteParams::default()).await.unwrap_err()).0, 403);
        cms.patch("held", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}})))
            .await
            .unwrap();
        assert_eq!(status_of(nss.get("slow").await.unwrap_err()).0, 404);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
