//! WATCH semantics, kube-rs `watcher`/`reflector` and `Discovery` against the sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::time::Duration;

use common::{TIMEOUT, client, raw, start, start_with};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Api, ResourceExt};
use serde_json::json;

fn cm(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name, "labels": {"app": "w"}}, "data": {"v": value}})).unwrap()
}

#[tokio::test]
async fn watch_from_version_with_bookmarks_and_selectors() {
    tokio::time::timeout(TIMEOUT, async {
        let config = glidepath_sandbox::Config { bookmark_interval: Duration::from_millis(200), ..Default::default() };
        let sb = start_with(config).await;
        let c = client(&sb).await;
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
        let first = cms.create(&PostParams::default(), &cm("a", "1")).await.unwrap();
        let rv = first.resource_version().unwrap();
        cms.patch("a", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "2"}}))).await.unwrap();
        // Leaving the selector reads as DELETED for a selector watch.
        let wp = WatchParams::default().labels("app=w").timeout(5);
        let mut stream = cms.watch(&wp, &rv).await.unwrap().boxed();
        cms.patch("a", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"app": "other"}}})))
            .await
            .unwrap();
        cms.create(&PostParams::default(), &cm("b", "1")).await.unwrap();
        cms.delete("b", &DeleteParams::default()).await.unwrap();
        let mut kinds = Vec::new();
        while kinds.len() < 4 {
            match stream.try_next().await.unwrap().unwrap() {
                WatchEvent::Added(o) => kinds.push(format!("ADDED {}", o.name_any())),
                WatchEvent::Modified(o) => kinds.push(format!("MODIFIED {}", o.name_any())),
                WatchEvent::Deleted(o) => kinds.push(format!("DELETED {}", o.name_any())),
                WatchEvent::Bookmark(_) => {}
                WatchEvent::Error(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(kinds, ["MODIFIED a", "DELETED a", "ADDED b", "DELETED b"]);

        // Bookmarks arrive when allowed.
        let wp = WatchParams { bookmarks: true, ..WatchParams::default() }.timeout(5);
        let mut stream = cms.watch(&wp, &sb.resource_version().to_string()).await.unwrap().boxed();
        let mut got_bookmark = false;
        while let Some(ev) = stream.try_next().await.unwrap() {
            if let WatchEvent::Bookmark(b) = ev {
                assert!(!b.metadata.resource_version.is_empty());
                got_bookmark = true;
                break;
            }
        }
        assert!(got_bookmark);

        // timeoutSeconds ends the stream.
        let wp = WatchParams::default().timeout(1);
        let mut stream = cms.watch(&wp, &sb.resource_version().to_string()).await.unwrap().boxed();
        let ended =
            tokio::time::timeout(Duration::from_secs(5), async { while stream.next().await.is_some() {} }).await;
        assert!(ended.is_ok(), "watch ends after timeoutSeconds");

        // A compacted version yields a 410 Expired ERROR event.
        sb.compact_history();
        let mut stream = cms.watch(&WatchParams::default().timeout(5), &rv).await.unwrap().boxed();
        match stream.try_next().await.unwrap() {
            Some(WatchEvent::Error(e)) => assert_eq!((e.code, e.reason.as_str()), (410, "Expired")),
            other => panic!("expected 410, got {other:?}"),
        }
        // Expiring open watches ends them with 410 (what the reflector test relies on).
        let wp = WatchParams::default().timeout(30);
        let mut stream = cms.watch(&wp, &sb.resource_version().to_string()).await.unwrap().boxed();
        tokio::time::sleep(Duration::from_millis(200)).await;
        sb.expire_watches();
        loop {
            match stream.try_next().await.unwrap() {
                Some(WatchEvent::Bookmark(_)) => continue,
                Some(WatchEvent::Error(e)) => break assert_eq!(e.code, 410),
                other => panic!("expected 410, got {other:?}"),
            }
        }
        let (code, _) =
            raw(&sb, "GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=zz", "", vec![]).await;
        assert_eq!(code, 400);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn reflector_stays_in_sync_through_changes_and_expiry() {
    tokio::time::timeout(TIMEOUT, async {
        let config = glidepath_sandbox::Config { history_limit: 50, ..Default::default() };
        let sb = start_with(config).await;
        let c = client(&sb).await;
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
        let (reader, writer) = reflector::store::<ConfigMap>();
        let stream = reflector(writer, watcher(cms.clone(), watcher::Config::default())).applied_objects();
        let task = tokio::spawn(async move {
            let mut s = stream.boxed();
            while s.next().await.is_some() {}
        });
        reader.wait_until_ready().await.unwrap();
        // 40 objects x 60 rounds = 2,400 writes, 8 at a time, with forced watch expiry (410) and
        // relists every 15 rounds.
        const ROUNDS: usize = 60;
        for round in 0..ROUNDS {
            futures::stream::iter(0..40)
                .for_each_concurrent(8, |i| {
                    let cms = cms.clone();
                    async move {
                        let name = format!("cm-{i}");
                        if round == 0 {
                            cms.create(&PostParams::default(), &cm(&name, "0")).await.unwrap();
                        } else {
                            let patch = Patch::Merge(json!({"data": {"v": round.to_string()}}));
                            cms.patch(&name, &PatchParams::default(), &patch).await.unwrap();
                        }
                    }
                })
                .await;
            if round % 15 == 7 {
                sb.expire_watches();
            }
        }
        for i in 0..10 {
            cms.delete(&format!("cm-{i}"), &DeleteParams::default()).await.unwrap();
        }
        let want_rv = sb.resource_version();
        let last = (ROUNDS - 1).to_string();
        let synced = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let state = reader.state();
                let all_current = state
                    .iter()
                    .all(|o| o.data.as_ref().and_then(|d| d.get("v")).map(String::as_str) == Some(last.as_str()));
                if state.len() == 30 && all_current {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(synced.is_ok(), "reflector converged at rv {want_rv}: {} objects", reader.state().len());
        task.abort();
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn kube_discovery_sees_builtins_and_subresources() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let discovery = kube::Discovery::new(c.clone()).run().await.unwrap();
        let mut kinds = Vec::new();
        for group in discovery.groups() {
            for (ar, caps) in group.recommended_resources() {
                kinds.push(format!("{}/{}", ar.group, ar.kind));
                if ar.kind == "Deployment" {
                    assert!(caps.supports_operation(kube::discovery::verbs::WATCH));
                    let subs: Vec<String> = caps.subresources.iter().map(|(s, _)| s.plural.clone()).collect();
                    assert!(subs.iter().any(|s| s == "deployments/scale" || s == "scale"), "{subs:?}");
                }
            }
        }
        for want in [
            "/Namespace",
            "/Pod",
            "apps/Deployment",
            "autoscaling/HorizontalPodAutoscaler",
            "coordination.k8s.io/Lease",
            "apiextensions.k8s.io/CustomResourceDefinition",
            "events.k8s.io/Event",
            "networking.k8s.io/Ingress",
            "rbac.authorization.k8s.io/ClusterRole",
        ] {
            assert!(kinds.iter().any(|k| k == want), "{want} missing from {kinds:?}");
        }
        let (code, v) = raw(&sb, "GET", "/apis/apps/v1", "", vec![]).await;
        assert_eq!(code, 200);
        let deploy = v["resources"].as_array().unwrap().iter().find(|r| r["name"] == "deployments").unwrap();
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert_eq!(deploy["namespaced"], json!(true));
        let (code, v) = raw(&sb, "GET", "/version", "", vec![]).await;
        assert_eq!((code, v["major"].as_str()), (200, Some("1")));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn streaming_list_watcher_gets_initial_events_end_bookmark() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
        for i in 0..3 {
            cms.create(&PostParams::default(), &cm(&format!("s-{i}"), "0")).await.unwrap();
        }
        let (reader, writer) = reflector::store::<ConfigMap>();
        let stream = reflector(writer, watcher(cms.clone(), watcher::Config::default().streaming_lists()));
        let task = tokio::spawn(async move {
            let mut s = stream.boxed();
            while s.next().await.is_some() {}
        });
        tokio::time::timeout(Duration::from_secs(10), reader.wait_until_ready()).await.unwrap().unwrap();
        assert_eq!(reader.state().len(), 3);
        cms.create(&PostParams::default(), &cm("s-3", "0")).await.unwrap();
        let grown = tokio::time::timeout(Duration::from_secs(10), async {
            while reader.state().len() != 4 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert!(grown.is_ok());
        task.abort();
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn kube_runtime_recorder_events_show_in_core_events() {
    use kube::Resource;
    use kube::runtime::events::{Event, EventType, Recorder, Reporter};
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
        let target = cms.create(&PostParams::default(), &cm("target", "0")).await.unwrap();
        let recorder =
            Recorder::new(c.clone(), Reporter { controller: "glidepath".into(), instance: Some("gp-0".into()) });
        let ev = Event {
            type_: EventType::Normal,
            reason: "Synced".into(),
            note: Some("weight 10".into()),
            action: "Advance".into(),
            secondary: None,
        };
        let reference = target.object_ref(&());
        recorder.publish(&ev, &reference).await.unwrap();
        // The same event again becomes a series (merge patch of the existing Event).
        recorder.publish(&ev, &reference).await.unwrap();
        let core: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(c.clone(), "default");
        let list = core.list(&kube::api::ListParams::default().fields("involvedObject.name=target")).await.unwrap();
        assert_eq!(list.items.len(), 1);
        let e = &list.items[0];
        assert_eq!(e.message.as_deref(), Some("weight 10"));
        assert_eq!(e.reporting_component.as_deref(), Some("glidepath"));
        assert_eq!(e.series.as_ref().and_then(|s| s.count), Some(2));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

/// `as=PartialObjectMetadata(List)`: kube-rs `get_metadata`, `list_metadata`, `watch_metadata`
/// and a watcher on `Api<PartialObjectMeta<_>>` get metadata only, as kube-apiserver serves them.
#[tokio::test]
async fn metadata_only_get_list_and_watch() {
    use kube::core::PartialObjectMeta;
    use kube::runtime::watcher::Event as WEvent;
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
        let created = cms.create(&PostParams::default(), &cm("m-0", "secret-ish")).await.unwrap();

        let (status, body) = common::raw_accept(
            &sb,
            "GET",
            "/api/v1/namespaces/default/configmaps/m-0",
            "application/json",
            "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
            Vec::new(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["kind"], "PartialObjectMetadata");
        assert_eq!(body["apiVersion"], "meta.k8s.io/v1");
        assert!(body.get("data").is_none(), "metadata only: {body}");
        assert_eq!(body["metadata"]["labels"]["app"], "w");

        let one: PartialObjectMeta<ConfigMap> = cms.get_metadata("m-0").await.unwrap();
        assert_eq!(one.metadata.resource_version, created.metadata.resource_version);
        let list = cms.list_metadata(&kube::api::ListParams::default().labels("app=w")).await.unwrap();
        assert_eq!(list.items.iter().map(|m| m.name_any()).collect::<Vec<_>>(), ["m-0"]);
        let (_, raw_list) = common::raw_accept(
            &sb,
            "GET",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
            Vec::new(),
        )
        .await;
        assert_eq!(raw_list["kind"], "PartialObjectMetadataList");
        assert!(raw_list["items"][0].get("data").is_none());

        let metas: Api<PartialObjectMeta<ConfigMap>> = Api::namespaced(c.clone(), "default");
        let mut events = watcher(metas, watcher::Config::default().labels("app=w")).boxed();
        let mut seen = Vec::new();
        let changed = cms
            .patch("m-0", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "2"}})))
            .await
            .unwrap()
            .resource_version()
            .unwrap();
        while !seen.contains(&changed) {
            match tokio::time::timeout(Duration::from_secs(10), events.try_next()).await.unwrap().unwrap().unwrap() {
                WEvent::Apply(m) | WEvent::InitApply(m) => seen.push(m.resource_version().unwrap_or_default()),
                _ => {}
            }
        }
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
