//! HelmRelease `chartRef` to an OCIRepository: a chart Helm packaged, pushed as an OCI
//! artifact (Helm's media types) to a real `docker-registry`, pulled by the OCIRepository
//! controller with `layerSelector` (copy, as Flux documents for Helm charts, and extract), and
//! installed by the HelmRelease; a new chart version pushed under the semver range upgrades it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::helm_env::{StaticServer, env_with, podinfo_dir, wait, wait_released};
use crate::oci_registry::{Artifact, Registry, client};
use crate::sync_env::{NS, apply, get, ready};
use glidepath_oci::Credentials;
use serde_json::{Value, json};

const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
const HELM_CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// podinfo packaged by Helm at `version`: the archive's bytes.
fn packaged(version: &str) -> Vec<u8> {
    let repo = StaticServer::start();
    let chart = podinfo_dir().display().to_string();
    repo.publish(&[format!("{chart}@{version}")]);
    std::fs::read(repo.dir.path().join(format!("podinfo-{version}.tgz"))).unwrap()
}

async fn push_chart(registry: &Registry, version: &str) {
    let config = json!({"name": "podinfo", "version": version, "apiVersion": "v2"}).to_string();
    let artifact = Artifact::new(HELM_CONFIG, config.as_bytes(), &[(HELM_CHART, packaged(version))], json!({}));
    artifact.push(&client(Credentials::Anonymous), &registry.repo("charts/podinfo"), version).await;
}

fn oci_repository(registry: &Registry, name: &str, operation: &str) -> Value {
    json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"url": format!("oci://{}/charts/podinfo", registry.addr), "interval": "1h", "insecure": true,
                 "ref": {"semver": "6.x"},
                 "layerSelector": {"mediaType": HELM_CHART, "operation": operation}}})
}

fn release(name: &str, source: &str) -> Value {
    json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"interval": "1h", "targetNamespace": "app", "releaseName": name,
                 "chartRef": {"kind": "OCIRepository", "name": source}, "values": {"replicaCount": 1}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_from_an_oci_repository_is_installed_and_upgraded() {
    let registry = Registry::start();
    push_chart(&registry, "6.14.1").await;
    let env = env_with(|s| s.helm = true).await;
    apply(&env.client, &oci_repository(&registry, "podinfo", "copy"), "test").await;
    apply(&env.client, &oci_repository(&registry, "podinfo-files", "extract"), "test").await;
    apply(&env.client, &release("copied", "podinfo"), "test").await;
    apply(&env.client, &release("extracted", "podinfo-files"), "test").await;

    let hr = wait_released(&env.client, "copied", "InstallSucceeded", 1).await;
    assert_eq!(hr["status"]["history"][0]["chartVersion"], "6.14.1");
    assert!(hr["status"]["helmChart"].is_null(), "no HelmChart for an OCIRepository: {}", hr["status"]);
    let msg = ready(&hr).unwrap().2;
    assert_eq!(msg, "Helm install succeeded for release app/copied.v1 with chart podinfo@6.14.1");
    assert!(get(&env.client, "apps/v1", "Deployment", Some("app"), "copied-podinfo").await.is_some());
    wait_released(&env.client, "extracted", "InstallSucceeded", 1).await;
    assert!(get(&env.client, "apps/v1", "Deployment", Some("app"), "extracted-podinfo").await.is_some());

    // A new version under the range: the OCIRepository moves, the release follows.
    push_chart(&registry, "6.15.0").await;
    crate::sync_env::reconcile_now_kind(&env.client, "source.toolkit.fluxcd.io/v1", "OCIRepository", "podinfo", "new")
        .await;
    let hr = wait_released(&env.client, "copied", "UpgradeSucceeded", 2).await;
    assert_eq!(hr["status"]["history"][0]["chartVersion"], "6.15.0");

    // A missing OCIRepository is reported on the release that names it.
    apply(&env.client, &release("orphan", "nowhere"), "test").await;
    let o = wait(&env.client, "helm.toolkit.fluxcd.io/v2", "HelmRelease", "orphan", "a failure", |o| {
        ready(o).is_some_and(|r| r.0 == "False")
    })
    .await;
    assert!(ready(&o).unwrap().2.contains("OCIRepository 'flux-system/nowhere' not found"), "{:?}", ready(&o));
}
