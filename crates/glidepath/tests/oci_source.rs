//! OCIRepository end to end: a real `docker-registry` on loopback with artifacts pushed as
//! `flux push artifact` makes them (Flux's config and content media types, annotations), the
//! source and Kustomization controllers in-process, the sandbox as the cluster. Semver picks,
//! a new tag, layer selection (copy, a missing media type), digests, bad URLs, missing tags,
//! refused fields, basic auth through a dockerconfigjson Secret, and deletion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::Duration;

use crate::oci_registry::{Artifact, Registry, client};
use crate::sync_env;

use glidepath_oci::Credentials;
use serde_json::{Value, json};
use sync_env::{NS, apply, cm, config_map, get, kustomization, ready};

const SOURCE_V1: &str = "source.toolkit.fluxcd.io/v1";
const FLUX_CONFIG: &str = "application/vnd.cncf.flux.config.v1+json";
const FLUX_CONTENT: &str = "application/vnd.cncf.flux.content.v1.tar+gzip";
const HELM_CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

fn targz(files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, path, content.as_bytes()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A Flux artifact of `files`; returns the manifest digest.
async fn push_flux(
    c: &glidepath_oci::Client,
    registry: &Registry,
    repo: &str,
    tag: &str,
    files: &[(&str, &str)],
) -> String {
    let annotations = json!({
        "org.opencontainers.image.source": "https://github.com/example/manifests",
        "org.opencontainers.image.revision": format!("main@sha1:{}", "1".repeat(40)),
        "org.opencontainers.image.created": "2026-12-07T00:00:00Z",
    });
    let artifact = Artifact::new(FLUX_CONFIG, b"{}", &[(FLUX_CONTENT, targz(files))], annotations);
    artifact.push(c, &registry.repo(repo), tag).await
}

async fn oci_repository(c: &kube::Client, name: &str, spec: Value) {
    let obj = json!({"apiVersion": SOURCE_V1, "kind": "OCIRepository",
                     "metadata": {"name": name, "namespace": NS}, "spec": spec});
    apply(c, &obj, "test").await;
}

/// Poll an OCIRepository until `pred` holds (30 s bound).
async fn wait_oci(c: &kube::Client, name: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let obj = get(c, SOURCE_V1, "OCIRepository", Some(NS), name).await.unwrap_or(Value::Null);
        if pred(&obj) {
            return obj;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "OCIRepository/{name}: timed out waiting for {what}: {:#}",
            obj["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The messages of the NewArtifact Events of OCIRepository `name`, oldest first.
async fn new_artifacts(c: &kube::Client, name: &str) -> Vec<String> {
    let api: kube::Api<k8s_openapi::api::core::v1::Event> = kube::Api::namespaced(c.clone(), NS);
    let mut events: Vec<_> = api.list(&Default::default()).await.unwrap().items;
    events.retain(|e| {
        let o = &e.involved_object;
        o.kind.as_deref() == Some("OCIRepository")
            && o.name.as_deref() == Some(name)
            && e.reason.as_deref() == Some("NewArtifact")
    });
    events.sort_by_key(|e| e.metadata.name.clone());
    events.into_iter().filter_map(|e| e.message).collect()
}

fn is_ready(o: &Value) -> bool {
    ready(o).is_some_and(|r| r.0 == "True")
}

fn failed_with(reason: &'static str) -> impl Fn(&Value) -> bool {
    move |o| ready(o).is_some_and(|r| r.0 == "False" && r.1 == reason)
}

async fn wait_cm(c: &kube::Client, name: &str, value: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if cm(c, name).await.is_some_and(|m| m["data"]["key"] == value) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "ConfigMap {name} never got {value}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flux_artifact_is_stored_and_applied_and_a_new_semver_tag_follows() {
    let registry = Registry::start();
    let push = client(Credentials::Anonymous);
    let d1 = push_flux(&push, &registry, "manifests", "1.0.0", &[("cm.yaml", &config_map("from-oci", "v1"))]).await;
    push_flux(&push, &registry, "manifests", "2.0.0-rc.1", &[("cm.yaml", &config_map("from-oci", "rc"))]).await;
    let env = sync_env::env().await;
    let url = format!("oci://{}/manifests", registry.addr);
    let spec = json!({"url": url, "interval": "1h", "insecure": true, "ref": {"semver": ">=1.0.0"}});
    oci_repository(&env.client, "app", spec).await;
    let repo = wait_oci(&env.client, "app", "Ready", is_ready).await;
    let revision = format!("1.0.0@{d1}");
    let artifact = &repo["status"]["artifact"];
    assert_eq!(artifact["revision"], revision.as_str(), "prereleases are out of a plain range");
    assert_eq!(ready(&repo).unwrap().2, format!("stored artifact for digest '{revision}'"));
    assert_eq!(artifact["metadata"]["org.opencontainers.image.source"], "https://github.com/example/manifests");
    assert!(artifact["path"].as_str().unwrap().starts_with("ocirepository/flux-system/app/"));
    assert!(artifact["digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(artifact["url"].as_str().unwrap().starts_with("http://"));
    let in_storage = sync_env::condition(&repo, "ArtifactInStorage").unwrap();
    assert_eq!(in_storage["status"], "True");
    assert!(repo["metadata"]["finalizers"].as_array().unwrap().contains(&json!("finalizers.fluxcd.io")));

    kustomization(&env.client, "apps", "./", json!({"sourceRef": {"kind": "OCIRepository", "name": "app"}})).await;
    wait_cm(&env.client, "from-oci", "v1").await;
    let ks = sync_env::wait_for(&env.client, "Kustomization", "apps", "applied", |o| {
        o["status"]["lastAppliedRevision"] == revision.as_str()
    })
    .await;
    assert_eq!(ready(&ks).unwrap().0, "True");

    // Nothing new: the manifest is only HEADed (its layer, deleted from the registry, is not
    // downloaded again) and the artifact stays as it was.
    let layer = glidepath_oci::sha256_digest(&targz(&[("cm.yaml", &config_map("from-oci", "v1"))]));
    let deleted = reqwest::Client::new()
        .delete(format!("http://{}/v2/manifests/blobs/{layer}", registry.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 202, "the registry deletes the layer blob");
    let again = sync_env::reconcile_now_kind(&env.client, SOURCE_V1, "OCIRepository", "app", "t0").await;
    assert!(is_ready(&again), "{:#}", again["status"]);
    assert_eq!(again["status"]["artifact"], repo["status"]["artifact"]);

    // A new tag in the range: a new revision, and the Kustomization applies it.
    let d2 = push_flux(&push, &registry, "manifests", "1.1.0", &[("cm.yaml", &config_map("from-oci", "v2"))]).await;
    let after = sync_env::reconcile_now_kind(&env.client, SOURCE_V1, "OCIRepository", "app", "t1").await;
    assert_eq!(after["status"]["artifact"]["revision"], format!("1.1.0@{d2}"));
    wait_cm(&env.client, "from-oci", "v2").await;
    let news = new_artifacts(&env.client, "app").await;
    let expected: Vec<String> = [format!("1.0.0@{d1}"), format!("1.1.0@{d2}")]
        .iter()
        .map(|r| format!("stored artifact with revision '{r}' from '{url}'"))
        .collect();
    assert_eq!(news, expected, "one NewArtifact per new artifact, none for the unchanged reconcile");

    // Deleting the source releases the finalizer and removes its artifact.
    let dir = sync_env::get(&env.client, SOURCE_V1, "OCIRepository", Some(NS), "app").await.unwrap();
    assert!(dir["status"]["artifact"].is_object());
    let ar = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
        "source.toolkit.fluxcd.io",
        "v1",
        "OCIRepository",
    ));
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(env.client.clone(), NS, &ar);
    api.delete("app", &Default::default()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while get(&env.client, SOURCE_V1, "OCIRepository", Some(NS), "app").await.is_some() {
        assert!(tokio::time::Instant::now() < deadline, "the finalizer was not released");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layers_are_selected_by_media_type_copied_and_pinned_by_digest() {
    let registry = Registry::start();
    let push = client(Credentials::Anonymous);
    let chart = targz(&[("podinfo/Chart.yaml", "apiVersion: v2\nname: podinfo\nversion: 6.0.0\n")]);
    let layers = [("application/vnd.cncf.helm.config.v1+json", b"{}".to_vec()), (HELM_CHART, chart.clone())];
    let artifact =
        Artifact::new("application/vnd.cncf.helm.config.v1+json", b"{\"name\":\"podinfo\"}", &layers, json!({}));
    let digest = artifact.push(&push, &registry.repo("charts/podinfo"), "6.0.0").await;
    let env = sync_env::env().await;
    let url = format!("oci://{}/charts/podinfo", registry.addr);
    let base = json!({"url": url, "interval": "1h", "insecure": true, "ref": {"tag": "6.0.0"}});
    let with = |extra: Value| {
        let mut spec = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        spec
    };
    let c = &env.client;
    oci_repository(c, "copy", with(json!({"layerSelector": {"mediaType": HELM_CHART, "operation": "copy"}}))).await;
    oci_repository(c, "absent", with(json!({"layerSelector": {"mediaType": "application/x-none"}}))).await;
    oci_repository(
        c,
        "pinned",
        with(json!({"ref": {"digest": digest, "tag": "ignored"}, "layerSelector": {"mediaType": HELM_CHART}})),
    )
    .await;

    let copy = wait_oci(c, "copy", "Ready", is_ready).await;
    let artifact = &copy["status"]["artifact"];
    assert_eq!(artifact["digest"], glidepath_oci::sha256_digest(&chart), "the layer blob, as is");
    assert_eq!(artifact["size"], chart.len());
    assert_eq!(artifact["revision"], format!("6.0.0@{digest}"));
    assert_eq!(copy["status"]["observedLayerSelector"], json!({"mediaType": HELM_CHART, "operation": "copy"}));
    assert!(artifact.get("metadata").is_none(), "no annotations, no metadata");

    let absent = wait_oci(c, "absent", "a failed pull", failed_with("OCIArtifactLayerOperationFailed")).await;
    assert_eq!(ready(&absent).unwrap().2, "failed to find layer with media type 'application/x-none' in artifact");
    assert_eq!(sync_env::condition(&absent, "FetchFailed").unwrap()["status"], "True");

    let pinned = wait_oci(c, "pinned", "Ready", is_ready).await;
    assert_eq!(pinned["status"]["artifact"]["revision"], digest.as_str(), "a digest revision has no tag");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_urls_missing_tags_and_refused_fields_are_reported() {
    let registry = Registry::start();
    let push = client(Credentials::Anonymous);
    let d = push_flux(&push, &registry, "manifests", "1.0.0", &[("cm.yaml", &config_map("x", "1"))]).await;
    let size = push.get_manifest(&registry.repo("manifests"), &d).await.unwrap().bytes.len();
    let index = json!({"schemaVersion": 2, "mediaType": glidepath_oci::OCI_INDEX, "manifests": [
        {"mediaType": glidepath_oci::OCI_MANIFEST, "digest": d, "size": size,
         "platform": {"architecture": "amd64", "os": "linux"}}]});
    let index = serde_json::to_vec(&index).unwrap();
    push.put_manifest(&registry.repo("manifests"), "multi", &index, glidepath_oci::OCI_INDEX).await.unwrap();
    let env = sync_env::env().await;
    let c = &env.client;
    let url = format!("oci://{}/manifests", registry.addr);
    let bad_url = format!("oci://{}/Not_Valid", registry.addr);
    oci_repository(c, "bad-url", json!({"url": bad_url, "interval": "1h", "insecure": true})).await;
    oci_repository(c, "missing", json!({"url": url, "interval": "1h", "insecure": true, "ref": {"tag": "nope"}})).await;
    oci_repository(
        c,
        "no-match",
        json!({"url": url, "interval": "1h", "insecure": true, "ref": {"semver": ">=5.0.0"}}),
    )
    .await;
    oci_repository(c, "index", json!({"url": url, "interval": "1h", "insecure": true, "ref": {"tag": "multi"}})).await;
    let verify = json!({"url": url, "interval": "1h", "insecure": true, "verify": {"provider": "cosign"}});
    oci_repository(c, "verify", verify).await;

    let bad = wait_oci(c, "bad-url", "URLInvalid", failed_with("URLInvalid")).await;
    assert!(ready(&bad).unwrap().2.starts_with(&format!("URL validation failed for '{bad_url}'")), "{:?}", ready(&bad));
    assert_eq!(sync_env::condition(&bad, "Stalled").unwrap()["status"], "True");
    let missing = wait_oci(c, "missing", "a failed pull", failed_with("OCIArtifactPullFailed")).await;
    let msg = ready(&missing).unwrap().2;
    assert!(msg.starts_with("failed to determine artifact digest: ") && msg.contains("nope"), "{msg}");
    assert_eq!(sync_env::condition(&missing, "Reconciling").unwrap()["reason"], "ProgressingWithRetry");
    let none = wait_oci(c, "no-match", "no tag", failed_with("ReadOperationFailed")).await;
    assert!(ready(&none).unwrap().2.ends_with("no match found for semver: >=5.0.0"), "{:?}", ready(&none));
    let index = wait_oci(c, "index", "an index refused", failed_with("OCIArtifactPullFailed")).await;
    let msg = ready(&index).unwrap().2;
    assert!(
        msg.starts_with(&format!("failed to pull artifact from '{url}': ")) && msg.contains("image index"),
        "{msg}"
    );
    let refused = wait_oci(c, "verify", "InvalidSpec", failed_with("InvalidSpec")).await;
    assert!(ready(&refused).unwrap().2.starts_with("spec.verify: "), "{:?}", ready(&refused));
}

fn base64_encode(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_comes_from_a_dockerconfigjson_secret() {
    let registry = Registry::start_with(|dir| {
        let htpasswd = dir.join("htpasswd");
        let out = std::process::Command::new("htpasswd").args(["-Bbn", "ci", "s3cret-pass"]).output().unwrap();
        std::fs::write(&htpasswd, out.stdout).unwrap();
        format!("auth:\n  htpasswd:\n    realm: test\n    path: {}\n", htpasswd.display())
    });
    let basic = Credentials::Basic { username: "ci".into(), password: "s3cret-pass".into() };
    let files = [("cm.yaml", config_map("private", "1"))];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
    push_flux(&client(basic), &registry, "private", "latest", &files).await;
    let env = sync_env::env().await;
    let secret = |name: &str, password: &str| {
        let auth = base64_encode(&format!("ci:{password}"));
        let config = json!({"auths": {registry.addr.clone(): {"auth": auth}}}).to_string();
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": NS},
               "type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": config}})
    };
    apply(&env.client, &secret("good", "s3cret-pass"), "test").await;
    apply(&env.client, &secret("bad", "wrong-pass"), "test").await;
    let url = format!("oci://{}/private", registry.addr);
    let spec = |s: Option<&str>| {
        let mut spec = json!({"url": url, "interval": "1h", "insecure": true});
        if let Some(s) = s {
            spec["secretRef"] = json!({"name": s});
        }
        spec
    };
    oci_repository(&env.client, "good", spec(Some("good"))).await;
    oci_repository(&env.client, "bad", spec(Some("bad"))).await;
    oci_repository(&env.client, "anonymous", spec(None)).await;
    let good = wait_oci(&env.client, "good", "Ready", is_ready).await;
    assert!(good["status"]["artifact"]["revision"].as_str().unwrap().starts_with("latest@sha256:"));
    for name in ["bad", "anonymous"] {
        let failed = wait_oci(&env.client, name, "a failed pull", failed_with("OCIArtifactPullFailed")).await;
        let msg = ready(&failed).unwrap().2;
        assert!(msg.contains(&registry.addr), "the message names the registry: {msg}");
        assert!(!failed.to_string().contains("wrong-pass"), "the password reached the status");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_same_artifact_is_rebuilt_without_news() {
    let registry = Registry::start();
    let push = client(Credentials::Anonymous);
    push_flux(&push, &registry, "manifests", "latest", &[("cm.yaml", &config_map("restarted", "1"))]).await;
    let mut env = sync_env::env().await;
    let url = format!("oci://{}/manifests", registry.addr);
    oci_repository(&env.client, "app", json!({"url": url, "interval": "1h", "insecure": true})).await;
    let before = wait_oci(&env.client, "app", "Ready", is_ready).await;
    kustomization(&env.client, "apps", "./", json!({"sourceRef": {"kind": "OCIRepository", "name": "app"}})).await;
    wait_cm(&env.client, "restarted", "1").await;

    let settings = glidepath::sync::Settings { health_poll: Duration::from_millis(200), ..Default::default() };
    env.sync = glidepath::sync::start(env.client.clone(), settings).unwrap();
    let cms: kube::Api<k8s_openapi::api::core::v1::ConfigMap> = kube::Api::namespaced(env.client.clone(), "app");
    cms.delete("restarted", &Default::default()).await.unwrap();
    // The Kustomization corrects the drift from the artifact the new process rebuilt.
    let ks = sync_env::reconcile_now(&env.client, "apps", "after-restart").await;
    assert_eq!(ready(&ks).unwrap().0, "True", "{:#}", ks["status"]);
    wait_cm(&env.client, "restarted", "1").await;
    let after = sync_env::reconcile_now_kind(&env.client, SOURCE_V1, "OCIRepository", "app", "after-restart").await;
    assert_eq!(after["status"]["artifact"], before["status"]["artifact"], "the same artifact, same update time");
    assert_eq!(new_artifacts(&env.client, "app").await.len(), 1, "the rebuilt artifact is not news");
}
