//! `state_dir` persistence: objects, resourceVersions, CRDs (and the kinds they serve) survive
//! restarts; new writes continue the counter; deletions stay deleted; a torn last log line is
//! dropped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::path::PathBuf;

use common::{TIMEOUT, client, start_with};
use glidepath_sandbox::Config;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::ResourceExt;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
};
use serde_json::json;

fn state_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("glidepath-sandbox-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(dir: &std::path::Path) -> Config {
    Config { state_dir: Some(dir.to_path_buf()), simulator: None, ..Config::default() }
}

fn gadget_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object",
                    "properties": {"size": {"type": "integer", "default": 3}}}}}}}]}
    }))
    .unwrap()
}

fn cm(name: &str, v: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"v": v}})).unwrap()
}

#[tokio::test]
async fn state_survives_restarts_and_the_counter_continues() {
    tokio::time::timeout(TIMEOUT, async {
        let dir = state_dir("restart");
        let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("example.com", "v1", "Gadget"), "gadgets");

        // First run: a namespace, config maps (one updated, one deleted), a service, a CRD and a CR.
        let sb = start_with(config(&dir)).await;
        let c = client(&sb).await;
        Api::<Namespace>::all(c.clone())
            .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "app"}})).unwrap())
            .await
            .unwrap();
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "app");
        cms.create(&PostParams::default(), &cm("keep", "1")).await.unwrap();
        cms.create(&PostParams::default(), &cm("gone", "1")).await.unwrap();
        let kept =
            cms.patch("keep", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "2"}}))).await.unwrap();
        cms.delete("gone", &DeleteParams::default()).await.unwrap();
        let svc: Service =
            serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}})).unwrap();
        let svc = Api::<Service>::namespaced(c.clone(), "app").create(&PostParams::default(), &svc).await.unwrap();
        let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
        crds.create(&PostParams::default(), &gadget_crd()).await.unwrap();
        let gadgets: Api<DynamicObject> = Api::namespaced_with(c.clone(), "app", &ar);
        let g: DynamicObject = serde_json::from_value(
            json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {}}),
        )
        .unwrap();
        let gadget = gadgets.create(&PostParams::default(), &g).await.unwrap();
        let rv_before = sb.resource_version();
        drop(c);
        sb.shutdown().await.unwrap();

        // Second run: everything is back with the same versions and uids.
        let sb = start_with(config(&dir)).await;
        assert_eq!(sb.resource_version(), rv_before, "the counter is restored");
        let c = client(&sb).await;
        let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "app");
        let back = cms.get("keep").await.unwrap();
        assert_eq!(back.resource_version(), kept.resource_version());
        assert_eq!(back.uid(), kept.uid());
        assert_eq!(back.data.as_ref().unwrap()["v"], "2");
        assert!(cms.get_opt("gone").await.unwrap().is_none(), "a deleted object stays deleted");
        let gadgets: Api<DynamicObject> = Api::namespaced_with(c.clone(), "app", &ar);
        let g_back = gadgets.get("g").await.unwrap();
        assert_eq!(g_back.resource_version(), gadget.resource_version());
        assert_eq!(g_back.data["spec"]["size"], 3);
        // New writes continue the counter; new cluster IPs do not reuse old ones.
        let fresh = cms.create(&PostParams::default(), &cm("fresh", "1")).await.unwrap();
        let fresh_rv: u64 = fresh.resource_version().unwrap().parse().unwrap();
        assert!(fresh_rv > rv_before, "{fresh_rv} continues after {rv_before}");
        let svc2: Service =
            serde_json::from_value(json!({"metadata": {"name": "api"}, "spec": {"ports": [{"port": 80}]}})).unwrap();
        let svc2 = Api::<Service>::namespaced(c.clone(), "app").create(&PostParams::default(), &svc2).await.unwrap();
        assert_ne!(svc2.spec.unwrap().cluster_ip, svc.spec.clone().unwrap().cluster_ip);
        let rv_second = sb.resource_version();
        drop(c);
        sb.shutdown().await.unwrap();

        // A torn last line (a crash mid-write) is dropped; the third run has the second's writes.
        use std::io::Write;
        let mut log = std::fs::OpenOptions::new().append(true).open(dir.join("log.jsonl")).unwrap();
        log.write_all(b"{\"rv\":99999,\"res\":\"configmaps\",\"del").unwrap();
        drop(log);
        let sb = start_with(config(&dir)).await;
        assert_eq!(sb.resource_version(), rv_second);
        let c = client(&sb).await;
        let names: Vec<String> = Api::<ConfigMap>::namespaced(c.clone(), "app")
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .iter()
            .map(|o| o.name_any())
            .collect();
        assert_eq!(names, ["fresh", "keep"]);
        drop(c);
        sb.shutdown().await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error_naming_it() {
    let dir = state_dir("corrupt");
    std::fs::write(dir.join("log.jsonl"), "not json\n{\"rv\":1}\n").unwrap();
    let err = glidepath_sandbox::Sandbox::start(config(&dir)).await.unwrap_err();
    let text = format!("{err}");
    assert!(text.contains("log.jsonl") && text.contains("line 1"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}
