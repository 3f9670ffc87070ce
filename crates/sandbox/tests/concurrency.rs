//! Concurrent writers on one object: patches prepared outside the store lock never lose an
//! update and never answer a spurious 409; stale PUTs still conflict.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{TIMEOUT, client, start};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::json;

#[tokio::test]
async fn concurrent_patches_on_one_object_all_land() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let cms: Api<ConfigMap> = Api::namespaced(client(&sb).await, "default");
        let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "hot"}, "data": {}})).unwrap();
        let created = cms.create(&PostParams::default(), &cm).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..64 {
            let cms = cms.clone();
            tasks.push(tokio::spawn(async move {
                let patch = Patch::Merge(json!({"data": {format!("k{i}"): i.to_string()}}));
                cms.patch("hot", &PatchParams::default(), &patch).await
            }));
        }
        for t in tasks {
            t.await.unwrap().expect("no patch conflicts or fails");
        }
        let hot = cms.get("hot").await.unwrap();
        assert_eq!(hot.data.unwrap().len(), 64, "every patch landed");
        // A PUT carrying the creation's resourceVersion is stale by now.
        let stale = cms.replace("hot", &PostParams::default(), &created).await;
        assert!(matches!(stale, Err(kube::Error::Api(s)) if s.code == 409));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
