//! ImageRepository and ImagePolicy end to end: a real `docker-registry` on loopback with
//! images pushed through the registry API, the image-reflector controllers in-process, the
//! sandbox as the cluster. Scans, exclusions, policies, digests, credentials, a restart that
//! keeps the tags without rescanning, and bad input on the object that has it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::Duration;

use crate::oci_registry::{Image, Registry, client};
use crate::sync_env;

use glidepath_oci::Credentials;
use serde_json::{Value, json};
use sync_env::{NS, apply, get, ready};

const IMAGE_V1: &str = "image.toolkit.fluxcd.io/v1";

async fn image_object(c: &kube::Client, kind: &str, name: &str, spec: Value) {
    let obj = json!({"apiVersion": IMAGE_V1, "kind": kind, "metadata": {"name": name, "namespace": NS}, "spec": spec});
    apply(c, &obj, "test").await;
}

/// Poll an image object until `pred` holds (60 s bound).
pub(crate) async fn wait_image(
    c: &kube::Client,
    kind: &str,
    name: &str,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let obj = get(c, IMAGE_V1, kind, Some(NS), name).await.unwrap_or(Value::Null);
        if pred(&obj) {
            return obj;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{kind}/{name}: timed out waiting for {what}: {:#}",
            obj["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn is_ready(o: &Value) -> bool {
    ready(o).is_some_and(|r| r.0 == "True")
}

async fn push(registry: &Registry, repo: &str, tags: &[&str]) -> Vec<String> {
    let c = client(Credentials::Anonymous);
    let mut digests = Vec::new();
    for tag in tags {
        digests.push(Image::new(&format!("{repo}-{tag}")).push(&c, &registry.repo(repo), tag).await);
    }
    digests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_are_scanned_and_policies_pick_the_latest_with_its_digest() {
    let registry = Registry::start();
    let digests = push(&registry, "app", &["1.0.0", "1.1.0", "1.2.0-rc.1", "latest", "sha256-abc.sig"]).await;
    let env = sync_env::env_with(|s| s.image_reflector = true).await;
    let image = format!("{}/app", registry.addr);
    image_object(&env.client, "ImageRepository", "app", json!({"image": image, "interval": "1h", "insecure": true}))
        .await;
    let repo = wait_image(&env.client, "ImageRepository", "app", "a scan", is_ready).await;
    let scan = &repo["status"]["lastScanResult"];
    assert_eq!(scan["tagCount"], 4, "the signature tag is excluded by default: {scan}");
    assert_eq!(scan["latestTags"], json!(["latest", "1.2.0-rc.1", "1.1.0", "1.0.0"]));
    assert_eq!(repo["status"]["canonicalImageName"], image.as_str());
    assert_eq!(repo["status"]["observedExclusionList"], json!([r"^.*\.sig$"]));
    let revision = scan["revision"].as_str().unwrap();
    assert_eq!(ready(&repo).unwrap().2, format!("successful scan: found 4 tags with checksum {revision}"));
    assert!(repo["metadata"]["finalizers"].as_array().unwrap().contains(&json!("finalizers.fluxcd.io")));

    let semver = json!({"imageRepositoryRef": {"name": "app"}, "policy": {"semver": {"range": ">=1.0.0"}},
                        "digestReflectionPolicy": "IfNotPresent"});
    image_object(&env.client, "ImagePolicy", "semver", semver).await;
    let alpha = json!({"imageRepositoryRef": {"name": "app"}, "policy": {"alphabetical": {"order": "asc"}},
                       "filterTags": {"pattern": r"^1\.(?P<minor>[0-9]+)\.0$", "extract": "$minor"}});
    image_object(&env.client, "ImagePolicy", "minor", alpha).await;
    let pol = wait_image(&env.client, "ImagePolicy", "semver", "a pick", is_ready).await;
    assert_eq!(pol["status"]["latestRef"], json!({"name": image, "tag": "1.1.0", "digest": digests[1]}));
    let msg = ready(&pol).unwrap().2;
    assert_eq!(msg, format!("Latest image tag for {image} resolved to 1.1.0 with digest {}", digests[1]));
    let minor = wait_image(&env.client, "ImagePolicy", "minor", "a pick", is_ready).await;
    assert_eq!(minor["status"]["latestRef"]["tag"], "1.1.0", "extracted minor 1 > 0, mapped back to the tag");
    assert!(minor["status"]["latestRef"].get("digest").is_none(), "digest reflection is off by default");

    // A new tag, then a scan on request: the policy follows and keeps the previous pick.
    let new = push(&registry, "app", &["1.3.0"]).await;
    sync_env::reconcile_now_kind(&env.client, IMAGE_V1, "ImageRepository", "app", "t1").await;
    let pol =
        wait_image(&env.client, "ImagePolicy", "semver", "1.3.0", |o| o["status"]["latestRef"]["tag"] == "1.3.0").await;
    assert_eq!(pol["status"]["latestRef"]["digest"], new[0].as_str());
    assert_eq!(pol["status"]["observedPreviousRef"]["tag"], "1.1.0");
    assert!(ready(&pol).unwrap().2.ends_with(&format!("(previously {image}:1.1.0@{})", digests[1])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_tags_without_rescanning() {
    let registry = Registry::start();
    push(&registry, "app", &["1.0.0", "1.1.0"]).await;
    let storage = tempfile::tempdir().unwrap();
    let path = storage.path().to_path_buf();
    let settings = |s: &mut glidepath::sync::Settings| {
        s.image_reflector = true;
        s.storage_path = Some(path.clone());
    };
    let mut env = sync_env::env_with(settings).await;
    let image = format!("{}/app", registry.addr);
    image_object(&env.client, "ImageRepository", "app", json!({"image": image, "interval": "1h", "insecure": true}))
        .await;
    let before = wait_image(&env.client, "ImageRepository", "app", "a scan", is_ready).await;
    // A tag pushed while the controller is down is not seen until the next scan is due.
    let restarted = {
        let mut s = glidepath::sync::Settings { health_poll: Duration::from_millis(200), ..Default::default() };
        settings(&mut s);
        s
    };
    env.sync = glidepath::sync::start(env.client.clone(), restarted).unwrap();
    push(&registry, "app", &["1.2.0"]).await;
    let spec = json!({"imageRepositoryRef": {"name": "app"}, "policy": {"semver": {"range": "1.x"}}});
    image_object(&env.client, "ImagePolicy", "app", spec).await;
    let pol = wait_image(&env.client, "ImagePolicy", "app", "a pick", is_ready).await;
    assert_eq!(pol["status"]["latestRef"]["tag"], "1.1.0", "picked from the stored tags");
    let after = sync_env::reconcile_now_kind(&env.client, IMAGE_V1, "ImagePolicy", "app", "after-restart").await;
    assert_eq!(after["status"]["latestRef"]["tag"], "1.1.0");
    let repo = get(&env.client, IMAGE_V1, "ImageRepository", Some(NS), "app").await.unwrap();
    assert_eq!(repo["status"]["lastScanResult"], before["status"]["lastScanResult"], "no rescan after the restart");
    sync_env::reconcile_now_kind(&env.client, IMAGE_V1, "ImageRepository", "app", "scan").await;
    wait_image(&env.client, "ImagePolicy", "app", "1.2.0", |o| o["status"]["latestRef"]["tag"] == "1.2.0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_come_from_a_dockerconfigjson_secret_and_never_reach_the_status() {
    let registry = Registry::start_with(|dir| {
        let htpasswd = dir.join("htpasswd");
        let out = std::process::Command::new("htpasswd").args(["-Bbn", "ci", "s3cret-pass"]).output().unwrap();
        std::fs::write(&htpasswd, out.stdout).unwrap();
        format!("auth:\n  htpasswd:\n    realm: test\n    path: {}\n", htpasswd.display())
    });
    let basic = Credentials::Basic { username: "ci".into(), password: "s3cret-pass".into() };
    Image::new("private").push(&client(basic), &registry.repo("private"), "2.0.0").await;
    let env = sync_env::env_with(|s| s.image_reflector = true).await;
    let secret = |name: &str, password: &str| {
        let auth = base64_encode(&format!("ci:{password}"));
        let config = json!({"auths": {registry.addr.clone(): {"auth": auth}}}).to_string();
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": NS},
               "type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": config}})
    };
    apply(&env.client, &secret("good", "s3cret-pass"), "test").await;
    apply(&env.client, &secret("bad", "wrong-pass"), "test").await;
    let image = format!("{}/private", registry.addr);
    let spec = |s: &str| json!({"image": image, "interval": "1h", "insecure": true, "secretRef": {"name": s}});
    image_object(&env.client, "ImageRepository", "good", spec("good")).await;
    image_object(&env.client, "ImageRepository", "bad", spec("bad")).await;
    image_object(
        &env.client,
        "ImageRepository",
        "anonymous",
        json!({"image": image, "interval": "1h", "insecure": true}),
    )
    .await;
    let good = wait_image(&env.client, "ImageRepository", "good", "a scan", is_ready).await;
    assert_eq!(good["status"]["lastScanResult"]["tagCount"], 1);
    for name in ["bad", "anonymous"] {
        let failed = wait_image(&env.client, "ImageRepository", name, "a failed scan", |o| {
            ready(o).is_some_and(|r| r.0 == "False" && r.1 == "ReadOperationFailed")
        })
        .await;
        let msg = ready(&failed).unwrap().2;
        assert!(msg.starts_with("scan failed: "), "{msg}");
        assert!(msg.contains(&registry.addr), "the message names the registry: {msg}");
        assert!(!failed.to_string().contains("wrong-pass"), "the password reached the status");
    }
}

fn base64_encode(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_reported_on_the_object_that_has_it() {
    let registry = Registry::start();
    push(&registry, "app", &["1.0.0", "one"]).await;
    let env = sync_env::env_with(|s| s.image_reflector = true).await;
    let image = format!("{}/app", registry.addr);
    let c = &env.client;
    image_object(c, "ImageRepository", "app", json!({"image": image, "interval": "1h", "insecure": true})).await;
    let with_tag = json!({"image": format!("{image}:1.0.0"), "interval": "1h", "insecure": true});
    image_object(c, "ImageRepository", "with-tag", with_tag).await;
    let cloud = json!({"image": image, "interval": "1h", "insecure": true, "provider": "aws"});
    image_object(c, "ImageRepository", "cloud", cloud).await;
    let missing = json!({"image": format!("{}/nothing-here", registry.addr), "interval": "1h", "insecure": true});
    image_object(c, "ImageRepository", "missing", missing).await;
    let policy = |repo: &str, p: Value| json!({"imageRepositoryRef": {"name": repo}, "policy": p});
    image_object(c, "ImagePolicy", "no-repo", policy("absent", json!({"semver": {"range": "*"}}))).await;
    image_object(c, "ImagePolicy", "bad-range", policy("app", json!({"semver": {"range": "not a range"}}))).await;
    image_object(c, "ImagePolicy", "numerical", policy("app", json!({"numerical": {"order": "asc"}}))).await;
    image_object(c, "ImagePolicy", "good", policy("app", json!({"semver": {"range": "1.x"}}))).await;
    image_object(c, "ImagePolicy", "no-match", policy("app", json!({"semver": {"range": "9.x"}}))).await;
    // A registry that is down: nothing listens on the port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let down = json!({"image": format!("{closed}/app"), "interval": "1h", "insecure": true, "timeout": "5s"});
    image_object(c, "ImageRepository", "down", down).await;

    let stalled = |o: &Value, reason: &str| {
        ready(o).is_some_and(|r| r.0 == "False" && r.1 == reason)
            && sync_env::condition(o, "Stalled").is_some_and(|s| s["status"] == "True")
    };
    let tagged = wait_image(c, "ImageRepository", "with-tag", "stalled", |o| stalled(o, "ImageURLInvalid")).await;
    let want = format!("image '{image}:1.0.0' should not include a tag; remove ':1.0.0'");
    assert_eq!(ready(&tagged).unwrap().2, want, "Flux's message");
    let cloud = wait_image(c, "ImageRepository", "cloud", "stalled", |o| stalled(o, "InvalidSpec")).await;
    assert!(ready(&cloud).unwrap().2.starts_with("spec.provider: "), "{:?}", ready(&cloud));
    let missing = wait_image(c, "ImageRepository", "missing", "failed", |o| {
        ready(o).is_some_and(|r| r.1 == "ReadOperationFailed")
    })
    .await;
    assert!(ready(&missing).unwrap().2.contains("nothing-here"), "{:?}", ready(&missing));

    let no_repo =
        wait_image(c, "ImagePolicy", "no-repo", "not ready", |o| ready(o).is_some_and(|r| r.1 == "DependencyNotReady"))
            .await;
    assert!(ready(&no_repo).unwrap().2.contains("referenced ImageRepository does not exist"));
    let bad = wait_image(c, "ImagePolicy", "bad-range", "stalled", |o| stalled(o, "InvalidPolicy")).await;
    assert!(ready(&bad).unwrap().2.starts_with("invalid policy: "), "{:?}", ready(&bad));
    let num = wait_image(c, "ImagePolicy", "numerical", "failed", |o| ready(o).is_some_and(|r| r.1 == "Failure")).await;
    assert!(ready(&num).unwrap().2.contains("one"), "the message names the non-numeric tag: {:?}", ready(&num));
    let none = wait_image(c, "ImagePolicy", "no-match", "failed", |o| ready(o).is_some_and(|r| r.0 == "False")).await;
    assert!(none["status"]["latestRef"].is_null(), "no pick without a match");
    assert!(
        ready(&none).unwrap().2.contains("9.x") || ready(&none).unwrap().2.contains("unable to determine"),
        "{:?}",
        ready(&none)
    );
    let down =
        wait_image(c, "ImageRepository", "down", "failed", |o| ready(o).is_some_and(|r| r.1 == "ReadOperationFailed"))
            .await;
    assert!(ready(&down).unwrap().2.starts_with("scan failed: "), "{:?}", ready(&down));
    assert_eq!(
        sync_env::condition(&down, "Reconciling").unwrap()["reason"],
        "ProgressingWithRetry",
        "retried, not stalled"
    );
    let good = wait_image(c, "ImagePolicy", "good", "a pick", is_ready).await;
    assert_eq!(good["status"]["latestRef"]["tag"], "1.0.0", "the others' failures do not stop it");
}
