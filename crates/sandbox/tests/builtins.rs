//! Built-in kinds beyond the workloads: Secrets stored as kube-apiserver stores them, and the
//! cluster-configuration kinds GitOps repositories carry (LimitRange, ResourceQuota, volumes,
//! StorageClass, PriorityClass) served like any other.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{TIMEOUT, client, raw, start};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::discovery::{Discovery, Scope};
use serde_json::json;

fn data(s: &Secret, key: &str) -> Option<String> {
    s.data.as_ref()?.get(key).map(|b| String::from_utf8(b.0.clone()).unwrap())
}

#[tokio::test]
async fn secret_string_data_is_folded_into_data_on_every_write() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let secrets: Api<Secret> = Api::namespaced(c.clone(), "default");
        let s: Secret = serde_json::from_value(json!({"metadata": {"name": "creds"},
            "data": {"user": "YWRtaW4=", "token": "b2xk"}, "stringData": {"token": "new", "url": "https://x"}}))
        .unwrap();
        let created = secrets.create(&PostParams::default(), &s).await.unwrap();
        // Write-only: gone from the stored object, its keys win over `data`'s.
        assert!(created.string_data.is_none());
        assert_eq!(created.type_.as_deref(), Some("Opaque"));
        assert_eq!(data(&created, "user").as_deref(), Some("admin"));
        assert_eq!(data(&created, "token").as_deref(), Some("new"));
        assert_eq!(data(&created, "url").as_deref(), Some("https://x"));
        let stored = serde_json::to_value(secrets.get("creds").await.unwrap()).unwrap();
        assert!(stored.get("stringData").is_none(), "{stored}");

        let patch = Patch::Merge(json!({"stringData": {"user": "root"}}));
        let patched = secrets.patch("creds", &PatchParams::default(), &patch).await.unwrap();
        assert_eq!(data(&patched, "user").as_deref(), Some("root"));
        assert_eq!(data(&patched, "url").as_deref(), Some("https://x"));

        // Server-side apply, twice: the second apply changes nothing.
        let applied = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app", "namespace": "default"},
            "type": "kubernetes.io/basic-auth", "stringData": {"username": "u", "password": "p"}});
        let params = PatchParams::apply("gitops");
        let first = secrets.patch("app", &params, &Patch::Apply(&applied)).await.unwrap();
        assert_eq!(data(&first, "password").as_deref(), Some("p"));
        // A second apart, so a managedFields time would differ (it flaked in CI when the two
        // happened to straddle a second).
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let second = secrets.patch("app", &params, &Patch::Apply(&applied)).await.unwrap();
        assert_eq!(first.metadata.resource_version, second.metadata.resource_version);
        assert_eq!(first.metadata.managed_fields, second.metadata.managed_fields, "no new apply time");

        // Bad values are 422s naming the field, and store nothing.
        for (body, field) in [
            (json!({"metadata": {"name": "bad"}, "data": {"k": "not base64!"}}), "data[k]"),
            (json!({"metadata": {"name": "bad"}, "stringData": {"n": 1}}), "stringData[n]"),
        ] {
            let (code, status) = raw(
                &sb,
                "POST",
                "/api/v1/namespaces/default/secrets",
                "application/json",
                serde_json::to_vec(&body).unwrap(),
            )
            .await;
            assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")), "{field}: {status}");
            assert!(status["message"].as_str().unwrap().contains(field), "{status}");
        }
        assert!(secrets.get_opt("bad").await.unwrap().is_none());
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

/// Go's `encoding/json` decodes `[]byte` with `base64.StdEncoding`, which skips line breaks:
/// kube-apiserver accepts wrapped values (kustomize's secretGenerator writes them) and serves the
/// canonical encoding; missing padding stays an error.
#[tokio::test]
async fn secret_data_accepts_line_wrapped_base64_and_stores_it_canonically() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let secrets: Api<Secret> = Api::namespaced(c.clone(), "default");
        let body = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"},
            "data": {"tls.crt": "aGVsbG8gd29y\nbGQ=", "crlf": "aGVs\r\nbG8=", "bits": "aGk="}});
        let path = "/api/v1/namespaces/default/secrets";
        let (code, created) = raw(&sb, "POST", path, "application/json", serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(code, 201, "{created}");
        assert_eq!(created["data"]["tls.crt"], "aGVsbG8gd29ybGQ=", "{created}");
        assert_eq!(created["data"]["crlf"], "aGVsbG8=", "{created}");
        let stored = secrets.get("tls").await.unwrap();
        assert_eq!(data(&stored, "tls.crt").as_deref(), Some("hello world"));
        assert_eq!(data(&stored, "crlf").as_deref(), Some("hello"));

        let unpadded = json!({"metadata": {"name": "bad"}, "data": {"k": "aGk"}});
        let (code, status) = raw(&sb, "POST", path, "application/json", serde_json::to_vec(&unpadded).unwrap()).await;
        assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")), "{status}");
        assert!(status["message"].as_str().unwrap().contains("data[k]"), "{status}");
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn cluster_configuration_kinds_are_served() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = start().await;
        let c = client(&sb).await;
        let discovery = Discovery::new(c.clone()).run().await.unwrap();
        let kinds = [
            ("", "v1", "LimitRange", true, json!({"spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}})),
            ("", "v1", "ResourceQuota", true, json!({"spec": {"hard": {"pods": "10"}}})),
            ("", "v1", "PersistentVolumeClaim", true,
                json!({"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})),
            ("", "v1", "PersistentVolume", false,
                json!({"spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/d"}}})),
            ("storage.k8s.io", "v1", "StorageClass", false, json!({"provisioner": "example.com/disk"})),
            ("scheduling.k8s.io", "v1", "PriorityClass", false, json!({"value": 1000})),
        ];
        for (group, version, kind, namespaced, body) in kinds {
            let gvk = GroupVersionKind::gvk(group, version, kind);
            let (ar, caps) = discovery.resolve_gvk(&gvk).unwrap_or_else(|| panic!("{kind} not discovered"));
            assert_eq!(caps.scope == Scope::Namespaced, namespaced, "{kind}");
            let api: Api<DynamicObject> =
                if namespaced { Api::namespaced_with(c.clone(), "default", &ar) } else { Api::all_with(c.clone(), &ar) };
            let mut obj = json!({"apiVersion": ApiResource::from_gvk(&gvk).api_version, "kind": kind,
                "metadata": {"name": "x"}});
            obj.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
            let o = api.patch("x", &PatchParams::apply("gitops"), &Patch::Apply(&obj)).await.unwrap();
            let stored = serde_json::to_value(&o).unwrap();
            for (k, v) in body.as_object().unwrap() {
                assert_eq!(&stored[k], v, "{kind}.{k}");
            }
            assert_eq!(api.list(&Default::default()).await.unwrap().items.len(), 1, "{kind}");
        }
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
