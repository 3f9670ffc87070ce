//! HelmRepository → HelmChart → HelmRelease end to end on the sandbox, against a chart
//! repository Helm made and served over loopback HTTP; each step's release history read back by
//! Helm itself (the libhelm oracle): install, upgrade (values, chart version), Helm's own rollback
//! taken in stride, remediation of a failing upgrade, adoption of a release Helm installed,
//! uninstall on deletion, and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::helm_env;
use crate::sync_env;

use helm_env::*;
use serde_json::json;
use sync_env::{NS, apply, get, ready};

async fn deployment(client: &kube::Client, name: &str) -> Option<serde_json::Value> {
    get(client, "apps/v1", "Deployment", Some("app"), name).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helm_release_installs_upgrades_and_uninstalls_with_helms_own_history() {
    let env = env_with(|s| s.helm = true).await;
    let repo = StaticServer::start();
    let chart = podinfo_dir().display().to_string();
    repo.publish(&[chart.clone(), format!("{chart}@6.15.0")]);
    let kc = kubeconfig(&env.sandbox.url());
    helm_repository(&env.client, "podinfo", &repo.url, json!({})).await;
    let spec = json!({"targetNamespace": "app", "values": {"replicaCount": 2}});
    apply(&env.client, &podinfo_release("podinfo", "6.14.x", spec), "test").await;

    // Install: the release is `<targetNamespace>-<name>`, recorded as Helm records it.
    let hr = wait_released(&env.client, "podinfo", "InstallSucceeded", 1).await;
    assert_eq!(hr["status"]["helmChart"], "flux-system/flux-system-podinfo");
    assert_eq!(hr["status"]["history"][0]["chartVersion"], "6.14.1");
    let msg = ready(&hr).unwrap().2;
    assert_eq!(msg, "Helm install succeeded for release app/app-podinfo.v1 with chart podinfo@6.14.1");
    let d = deployment(&env.client, "app-podinfo").await.expect("Deployment app-podinfo");
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["metadata"]["annotations"]["meta.helm.sh/release-name"], "app-podinfo");
    assert_eq!(d["metadata"]["labels"]["helm.toolkit.fluxcd.io/name"], "podinfo");
    let kcp = kc.path();
    assert_eq!(history(kcp, NS, "app-podinfo"), vec![(1, "deployed".into(), "6.14.1".into())]);
    let got = oracle(&["get", &kcp.display().to_string(), NS, "app-podinfo"]).unwrap();
    assert_eq!(got["config"], json!({"replicaCount": 2}));
    assert_eq!(got["info"]["description"], "Install complete");

    // Upgrade by values.
    let spec = json!({"targetNamespace": "app", "values": {"replicaCount": 3}});
    apply(&env.client, &podinfo_release("podinfo", "6.14.x", spec), "test").await;
    wait_released(&env.client, "podinfo", "UpgradeSucceeded", 2).await;
    assert_eq!(deployment(&env.client, "app-podinfo").await.unwrap()["spec"]["replicas"], 3);
    let h = history(kcp, NS, "app-podinfo");
    assert_eq!(h, vec![(1, "superseded".into(), "6.14.1".into()), (2, "deployed".into(), "6.14.1".into())]);

    // Upgrade by chart version.
    let spec = json!({"targetNamespace": "app", "values": {"replicaCount": 3}});
    apply(&env.client, &podinfo_release("podinfo", "6.15.0", spec), "test").await;
    let hr = wait_released(&env.client, "podinfo", "UpgradeSucceeded", 3).await;
    assert_eq!(hr["status"]["history"][0]["chartVersion"], "6.15.0");
    assert_eq!(history(kcp, NS, "app-podinfo").last().unwrap(), &(3, "deployed".into(), "6.15.0".into()));

    // Helm itself upgrades on top of Glidepath's record (same chart and values: no field
    // conflicts with helm-controller's); Glidepath reads Helm's revision and finds it in sync.
    let tgz = repo.dir.path().join("podinfo-6.15.0.tgz").display().to_string();
    oracle(&["upgrade", &kcp.display().to_string(), NS, "app-podinfo", &tgz, r#"{"replicaCount": 3}"#])
        .expect("helm upgrade");
    sync_env::reconcile_now_kind(&env.client, "helm.toolkit.fluxcd.io/v2", "HelmRelease", "podinfo", "after-helm")
        .await;
    let hr = wait_released(&env.client, "podinfo", "UpgradeSucceeded", 4).await;
    assert_eq!(hr["status"]["history"][0]["version"], 4, "Helm's revision, not a new one");
    let h = history(kcp, NS, "app-podinfo");
    assert_eq!(h.len(), 4, "{h:?}");
    assert_eq!(h[3], (4, "deployed".into(), "6.15.0".into()));

    // Deleting the HelmRelease uninstalls the release and removes its HelmChart.
    let api = kube::Api::<glidepath_api::flux::HelmRelease>::namespaced(env.client.clone(), NS);
    api.delete("podinfo", &Default::default()).await.unwrap();
    wait(&env.client, "helm.toolkit.fluxcd.io/v2", "HelmRelease", "podinfo", "deleted", |o| o.is_null()).await;
    assert!(deployment(&env.client, "app-podinfo").await.is_none(), "the release's Deployment is gone");
    let gone = oracle(&["history", &kcp.display().to_string(), NS, "app-podinfo"]).unwrap_err();
    assert!(gone.contains("release: not found"), "the release history is removed: {gone}");
    let chart = get(&env.client, "source.toolkit.fluxcd.io/v1", "HelmChart", Some(NS), "flux-system-podinfo").await;
    assert!(chart.is_none(), "the templated HelmChart is deleted with its HelmRelease");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_upgrade_is_rolled_back_and_the_retries_are_bounded() {
    let env = env_with(|s| s.helm = true).await;
    let repo = StaticServer::start();
    repo.publish(&[podinfo_dir().display().to_string()]);
    let kc = kubeconfig(&env.sandbox.url());
    helm_repository(&env.client, "podinfo", &repo.url, json!({})).await;
    let base = json!({"targetNamespace": "app", "releaseName": "web",
        "upgrade": {"timeout": "2s", "remediation": {"retries": 1}}});
    apply(&env.client, &podinfo_release("web", "*", base.clone()), "test").await;
    wait_released(&env.client, "web", "InstallSucceeded", 1).await;

    // Pods that never become ready: the upgrade times out and is rolled back.
    let mut bad = base.clone();
    bad["values"] = json!({"podAnnotations": {"sandbox.glidepath.io/fail": "crash-loop"}});
    apply(&env.client, &podinfo_release("web", "*", bad), "test").await;
    let hr = wait(&env.client, "helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", "remediated", |o| {
        sync_env::condition(o, "Remediated").is_some_and(|c| c["reason"] == "RollbackSucceeded")
    })
    .await;
    let r = ready(&hr).unwrap();
    assert_eq!((r.0.as_str(), r.1.as_str()), ("False", "UpgradeFailed"), "{r:?}");
    assert!(r.2.starts_with("Helm upgrade failed for release app/web with chart podinfo@6.14.1: "), "{}", r.2);
    let d = deployment(&env.client, "web-podinfo").await.unwrap();
    assert!(d["spec"]["template"]["metadata"]["annotations"].get("sandbox.glidepath.io/fail").is_none(), "rolled back");
    let h = history(kc.path(), NS, "web");
    assert_eq!(h[1].1, "failed", "{h:?}");
    let got = oracle(&["get", &kc.path().display().to_string(), NS, "web", &h[2].0.to_string()]).unwrap();
    assert_eq!(got["info"]["description"], "Rollback to 1");

    // One retry, then the retries are exhausted: Stalled until the target changes.
    let hr = wait(&env.client, "helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", "retries exhausted", |o| {
        sync_env::condition(o, "Stalled").is_some_and(|c| c["reason"] == "RetriesExceeded")
            || (o["status"]["upgradeFailures"] == 2 && ready(o).is_some_and(|r| r.0 == "False"))
    })
    .await;
    assert_eq!(hr["status"]["upgradeFailures"], 2, "{:#}", hr["status"]);
    let d = deployment(&env.client, "web-podinfo").await.unwrap();
    assert!(d["spec"]["template"]["metadata"]["annotations"].get("sandbox.glidepath.io/fail").is_none());

    // A fixed spec is a new target: counters reset, the upgrade goes through.
    let mut good = base;
    good["values"] = json!({"replicaCount": 2});
    apply(&env.client, &podinfo_release("web", "*", good), "test").await;
    let hr = wait(&env.client, "helm.toolkit.fluxcd.io/v2", "HelmRelease", "web", "upgraded", |o| {
        ready(o).is_some_and(|r| r.0 == "True" && r.1 == "UpgradeSucceeded")
    })
    .await;
    assert!(hr["status"]["upgradeFailures"].is_null(), "{:#}", hr["status"]);
    assert_eq!(deployment(&env.client, "web-podinfo").await.unwrap()["spec"]["replicas"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_helm_installed_is_adopted_without_reinstalling() {
    let env = env_with(|s| s.helm = true).await;
    let repo = StaticServer::start();
    repo.publish(&[podinfo_dir().display().to_string()]);
    let kc = kubeconfig(&env.sandbox.url());
    let kcs = kc.path().display().to_string();
    let chart = podinfo_dir().display().to_string();
    oracle(&["install", &kcs, "app", "legacy", &chart, r#"{"replicaCount": 2}"#]).expect("helm install");
    let before = deployment(&env.client, "legacy-podinfo").await.expect("Helm's Deployment");

    helm_repository(&env.client, "podinfo", &repo.url, json!({})).await;
    // Helm keeps the release in its namespace; the HelmRelease says so (storageNamespace).
    let spec = json!({"targetNamespace": "app", "storageNamespace": "app", "releaseName": "legacy", "values": {"replicaCount": 2}});
    apply(&env.client, &podinfo_release("legacy", "*", spec), "test").await;
    let hr = wait_released(&env.client, "legacy", "InstallSucceeded", 1).await;
    assert_eq!(hr["status"]["history"][0]["version"], 1);
    assert_eq!(history(kc.path(), "app", "legacy").len(), 1, "no new revision for the same chart and values");
    let after = deployment(&env.client, "legacy-podinfo").await.unwrap();
    assert_eq!(before["metadata"]["uid"], after["metadata"]["uid"], "not reinstalled");

    // Changed values: the next revision is ours, and Helm reads it.
    let spec = json!({"targetNamespace": "app", "storageNamespace": "app", "releaseName": "legacy", "values": {"replicaCount": 4}});
    apply(&env.client, &podinfo_release("legacy", "*", spec), "test").await;
    wait_released(&env.client, "legacy", "UpgradeSucceeded", 2).await;
    let h = history(kc.path(), "app", "legacy");
    assert_eq!(h, vec![(1, "superseded".into(), "6.14.1".into()), (2, "deployed".into(), "6.14.1".into())]);
    let got = oracle(&["get", &kcs, "app", "legacy"]).unwrap();
    assert_eq!(got["config"], json!({"replicaCount": 4}));
    assert_eq!(got["info"]["description"], "Upgrade complete");
    // And Helm upgrades on top of what Glidepath wrote (the same values: no field conflicts).
    oracle(&["upgrade", &kcs, "app", "legacy", &chart, r#"{"replicaCount": 4}"#]).expect("helm upgrade on our record");
    assert_eq!(history(kc.path(), "app", "legacy").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_reported_on_the_object_that_has_it() {
    let env = env_with(|s| s.helm = true).await;
    let repo = StaticServer::start();
    repo.publish(&[podinfo_dir().display().to_string()]);
    // Unreachable repository.
    helm_repository(&env.client, "nowhere", "http://127.0.0.1:9", json!({})).await;
    let o = wait_not_ready(&env.client, "HelmRepository", "nowhere", "FetchFailed").await;
    assert!(ready(&o).unwrap().2.contains("http://127.0.0.1:9/index.yaml"), "{:#}", o["status"]);
    // A chart version the repository does not have.
    helm_repository(&env.client, "podinfo", &repo.url, json!({})).await;
    apply(&env.client, &podinfo_release("missing", "99.x", json!({"targetNamespace": "app"})), "test").await;
    let c = wait_not_ready(&env.client, "HelmChart", "flux-system-missing", "ChartPullError").await;
    assert!(ready(&c).unwrap().2.contains("99.x"), "{:#}", c["status"]);
    let h = wait_not_ready(&env.client, "HelmRelease", "missing", "ArtifactFailed").await;
    assert!(ready(&h).unwrap().2.contains("flux-system-missing"), "{:#}", h["status"]);
    // Values from a Secret that does not exist: nothing installed.
    let spec = json!({"targetNamespace": "app", "valuesFrom": [{"kind": "Secret", "name": "absent"}]});
    apply(&env.client, &podinfo_release("novalues", "*", spec), "test").await;
    let h = wait_not_ready(&env.client, "HelmRelease", "novalues", "InitFailed").await;
    let msg = ready(&h).unwrap().2;
    assert_eq!(
        msg,
        "could not resolve Secret chart values reference 'flux-system/absent' with key 'values.yaml': resource not found"
    );
    assert!(deployment(&env.client, "app-novalues-podinfo").await.is_none());
    // A field Glidepath does not build yet is refused, naming it.
    let spec =
        json!({"targetNamespace": "app", "postRenderers": [{"kustomize": {"images": [{"name": "x", "newTag": "1"}]}}]});
    apply(&env.client, &podinfo_release("postrender", "*", spec), "test").await;
    let h = wait_not_ready(&env.client, "HelmRelease", "postrender", "InvalidSpec").await;
    assert!(ready(&h).unwrap().2.contains("spec.postRenderers"), "{:#}", h["status"]);
    // The good release next to them goes on.
    apply(&env.client, &podinfo_release("fine", "*", json!({"targetNamespace": "app"})), "test").await;
    wait_released(&env.client, "fine", "InstallSucceeded", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_and_tests_run_and_are_recorded_as_helm_records_them() {
    let env = env_with(|s| s.helm = true).await;
    let repo = StaticServer::start();
    repo.publish(&[podinfo_dir().display().to_string()]);
    let kc = kubeconfig(&env.sandbox.url());
    helm_repository(&env.client, "podinfo", &repo.url, json!({})).await;
    let hook = json!({"job": {"enabled": true, "hookDeletePolicy": "hook-succeeded"}});
    let spec = json!({"targetNamespace": "fresh", "install": {"createNamespace": true},
        "test": {"enable": true},
        "values": {"hooks": {"preInstall": hook, "postInstall": hook}}});
    apply(&env.client, &podinfo_release("hooks", "*", spec), "test").await;
    let hr = wait_released(&env.client, "hooks", "InstallSucceeded", 1).await;
    let ns = get(&env.client, "v1", "Namespace", None, "fresh").await;
    assert!(ns.is_some(), "createNamespace made the release namespace");
    let tested = sync_env::condition(&hr, "TestSuccess").expect("TestSuccess condition");
    assert_eq!(tested["status"], "True", "{tested:#}");
    let msg = tested["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Helm test succeeded for release fresh/fresh-hooks.v1 with chart podinfo@6.14.1: "),
        "{msg}"
    );
    assert!(msg.ends_with(": 3 test hooks completed successfully"), "{msg}");
    let runs = hr["status"]["history"][0]["testHooks"].as_object().expect("test hook runs in the snapshot");
    assert!(!runs.is_empty() && runs.values().all(|r| r["phase"] == "Succeeded"), "{runs:?}");
    assert_eq!(runs.len(), 3, "{runs:?}");
    // Helm's record has each hook's run; the hook-succeeded Jobs are gone.
    let got = oracle(&["get", &kc.path().display().to_string(), NS, "fresh-hooks"]).unwrap();
    let hooks = got["hooks"].as_array().unwrap();
    let phase = |event: &str| -> Vec<String> {
        hooks
            .iter()
            .filter(|h| h["events"].as_array().unwrap().iter().any(|e| e == event))
            .map(|h| h["last_run"]["phase"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(phase("pre-install"), vec!["Succeeded".to_owned()], "{hooks:#?}");
    assert_eq!(phase("post-install"), vec!["Succeeded".to_owned()]);
    let job = get(&env.client, "batch/v1", "Job", Some("fresh"), "fresh-hooks-podinfo-pre-install").await;
    assert!(job.is_none(), "hook-succeeded deletes the hook");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kustomization_syncs_helm_repositories_and_releases_from_git() {
    // flux2-kustomize-helm-example's layout: infrastructure/controllers holds the
    // HelmRepository and the HelmRelease; the Kustomization applies them from Git.
    let env = env_with(|s| s.helm = true).await;
    let charts = StaticServer::start();
    charts.publish(&[podinfo_dir().display().to_string()]);
    let release = |replicas: u32| {
        format!(
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: {}\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  interval: 1m\n  targetNamespace: app\n  chart:\n    spec:\n      chart: podinfo\n      version: '>=6.0.0'\n      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n  values:\n    replicaCount: {replicas}\n",
            charts.url
        )
    };
    env.repo.write("infrastructure/controllers/podinfo.yaml", &release(2));
    env.repo.write("infrastructure/controllers/kustomization.yaml", "resources:\n- podinfo.yaml\n");
    env.repo.commit("infrastructure");
    sync_env::git_repository(&env.client, "repo", &env.repo.url(), json!({})).await;
    sync_env::kustomization(&env.client, "infra-controllers", "./infrastructure/controllers", json!({})).await;
    wait_released(&env.client, "podinfo", "InstallSucceeded", 1).await;
    assert_eq!(deployment(&env.client, "app-podinfo").await.unwrap()["spec"]["replicas"], 2);
    // A values change in Git: the Kustomization applies it, the HelmRelease upgrades.
    env.repo.write("infrastructure/controllers/podinfo.yaml", &release(3));
    let sha = env.repo.commit("three replicas");
    sync_env::reconcile_now_kind(&env.client, "source.toolkit.fluxcd.io/v1", "GitRepository", "repo", "t1").await;
    sync_env::wait_applied(&env.client, "infra-controllers", &sha).await;
    wait_released(&env.client, "podinfo", "UpgradeSucceeded", 2).await;
    assert_eq!(deployment(&env.client, "app-podinfo").await.unwrap()["spec"]["replicas"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_left_pending_by_a_crash_is_unlocked_and_the_next_upgrade_runs() {
    use glidepath_helm::storage::{SECRET_TYPE, Stamp, Status, decode, encode, secret_labels, secret_name};
    let env = env_with(|s| s.helm = true).await;
    let repo = StaticServer::start();
    repo.publish(&[podinfo_dir().display().to_string()]);
    let kc = kubeconfig(&env.sandbox.url());
    helm_repository(&env.client, "podinfo", &repo.url, json!({})).await;
    let spec =
        |replicas: u32| json!({"targetNamespace": "app", "releaseName": "stuck", "values": {"replicaCount": replicas}});
    apply(&env.client, &podinfo_release("stuck", "*", spec(1)), "test").await;
    wait_released(&env.client, "stuck", "InstallSucceeded", 1).await;

    // What a controller killed mid-upgrade leaves: revision 2 in `pending-upgrade`.
    let secrets = kube::Api::<k8s_openapi::api::core::v1::Secret>::namespaced(env.client.clone(), NS);
    let v1 = secrets.get(&secret_name("stuck", 1)).await.unwrap();
    let mut rec = decode(&v1.data.unwrap()["release"].0).unwrap();
    rec.version = 2;
    rec.info.status = Status::PendingUpgrade;
    rec.info.description = "Preparing upgrade".into();
    let labels = secret_labels(&rec, Stamp::Created, 1);
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "type": SECRET_TYPE,
        "metadata": {"name": secret_name("stuck", 2), "namespace": NS, "labels": labels},
        "stringData": {"release": String::from_utf8(encode(&rec).unwrap()).unwrap()}});
    apply(&env.client, &secret, "crashed-controller").await;

    apply(&env.client, &podinfo_release("stuck", "*", spec(2)), "test").await;
    wait_released(&env.client, "stuck", "UpgradeSucceeded", 3).await;
    let h = history(kc.path(), NS, "stuck");
    assert_eq!(h[1].1, "failed", "{h:?}");
    let got = oracle(&["get", &kc.path().display().to_string(), NS, "stuck", "2"]).unwrap();
    assert_eq!(got["info"]["description"], "Release unlocked from stale 'pending-upgrade' state");
    assert_eq!(h[2], (3, "deployed".into(), "6.14.1".into()));
    assert_eq!(deployment(&env.client, "stuck-podinfo").await.unwrap()["spec"]["replicas"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_and_index_artifacts_are_served_for_other_consumers_with_their_digests() {
    // Flux's helm-controller (or any consumer) reads a HelmChart's `status.artifact.url` and
    // checks `status.artifact.digest`: the contract, with a plain HTTP client.
    use sha2::Digest;
    let env = env_with(|s| {
        s.helm = true;
        s.storage_addr = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let repo = StaticServer::start();
    repo.publish(&[podinfo_dir().display().to_string()]);
    helm_repository(&env.client, "podinfo", &repo.url, json!({})).await;
    let chart = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmChart",
        "metadata": {"name": "podinfo", "namespace": NS},
        "spec": {"chart": "podinfo", "version": "6.x", "interval": "1m",
            "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}});
    apply(&env.client, &chart, "test").await;
    let c = wait(&env.client, "source.toolkit.fluxcd.io/v1", "HelmChart", "podinfo", "an artifact", |o| {
        ready(o).is_some_and(|r| r.0 == "True")
    })
    .await;
    assert_eq!(ready(&c).unwrap().1, "ChartPullSucceeded");
    assert_eq!(ready(&c).unwrap().2, "pulled 'podinfo' chart with version '6.14.1'");
    let a = &c["status"]["artifact"];
    assert_eq!(a["revision"], "6.14.1");
    let body = reqwest::get(a["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    assert_eq!(format!("sha256:{:x}", sha2::Sha256::digest(&body)), a["digest"].as_str().unwrap());
    let files = glidepath_helm::files_from_tgz(&body, "artifact").unwrap();
    assert!(files.iter().any(|f| f.name == "Chart.yaml"), "a chart archive");

    let r = wait(&env.client, "source.toolkit.fluxcd.io/v1", "HelmRepository", "podinfo", "an artifact", |o| {
        ready(o).is_some_and(|r| r.0 == "True")
    })
    .await;
    let a = &r["status"]["artifact"];
    let index = reqwest::get(a["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    assert_eq!(format!("sha256:{:x}", sha2::Sha256::digest(&index)), a["digest"].as_str().unwrap());
    assert_eq!(a["revision"], a["digest"], "an index's revision is its digest, as source-controller's");
    assert!(String::from_utf8_lossy(&index).contains("podinfo-6.14.1.tgz"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_behind_basic_auth_is_read_with_its_secret_only() {
    let env = env_with(|s| s.helm = true).await;
    let repo = StaticServer::with_basic_auth("reader", "s3cret-pass");
    repo.publish(&[podinfo_dir().display().to_string()]);
    // Without credentials: the server's answer, on the HelmRepository.
    helm_repository(&env.client, "locked", &repo.url, json!({})).await;
    let o = wait_not_ready(&env.client, "HelmRepository", "locked", "FetchFailed").await;
    assert!(ready(&o).unwrap().2.contains("401 Unauthorized"), "{:#}", o["status"]);
    // With them: index and chart fetched (the chart from the same host gets them too).
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "repo-auth", "namespace": NS},
        "stringData": {"username": "reader", "password": "s3cret-pass"}});
    apply(&env.client, &secret, "test").await;
    helm_repository(&env.client, "podinfo", &repo.url, json!({"secretRef": {"name": "repo-auth"}})).await;
    apply(&env.client, &podinfo_release("private", "*", json!({"targetNamespace": "app"})), "test").await;
    wait_released(&env.client, "private", "InstallSucceeded", 1).await;
    // The password never reaches a status or an Event.
    let r = get(&env.client, "source.toolkit.fluxcd.io/v1", "HelmRepository", Some(NS), "podinfo").await.unwrap();
    assert!(!r.to_string().contains("s3cret-pass"));
    let events = kube::Api::<k8s_openapi::api::core::v1::Event>::namespaced(env.client.clone(), NS);
    let messages: Vec<String> =
        events.list(&Default::default()).await.unwrap().items.into_iter().filter_map(|e| e.message).collect();
    assert!(messages.iter().any(|m| m.contains("401 Unauthorized")), "the failure was an Event: {messages:?}");
    assert!(!messages.iter().any(|m| m.contains("s3cret-pass")), "{messages:?}");
}
