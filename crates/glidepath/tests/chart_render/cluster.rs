//! The rendered chart against the sandbox API server: CRDs installed from the chart, then
//! server-side dry runs with the kube client and with kubectl.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::Doc;

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

pub struct Sandbox {
    pub handle: glidepath_sandbox::SandboxHandle,
    pub client: kube::Client,
}

pub async fn sandbox() -> Sandbox {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::api::{Api, PostParams};
    let handle = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = kube::Client::try_from(kube::Config::new(handle.url().parse().unwrap())).unwrap();
    // Helm installs crds/ before the templates: the chart's own copies.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for entry in std::fs::read_dir(repo().join("charts/glidepath/crds")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let crd: CustomResourceDefinition = serde_norway::from_str(&text).unwrap();
        crds.create(&PostParams::default(), &crd).await.unwrap();
    }
    let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    for name in ["glidepath-system", "team-a"] {
        ns.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": name}})).unwrap())
            .await
            .unwrap();
    }
    Sandbox { handle, client }
}

/// Server-side apply with dryRun=All, as `kubectl apply --server-side --dry-run=server`.
pub async fn dry_run(client: &kube::Client, obj: &Value) -> Result<(), String> {
    use kube::api::{Api, DynamicObject, GroupVersionKind, Patch, PatchParams};
    let (group, version) =
        obj["apiVersion"].as_str().unwrap().rsplit_once('/').unwrap_or(("", obj["apiVersion"].as_str().unwrap()));
    let gvk = GroupVersionKind::gvk(group, version, obj["kind"].as_str().unwrap());
    let (resource, caps) =
        kube::discovery::pinned_kind(client, &gvk).await.map_err(|e| format!("{gvk:?} not served: {e}"))?;
    let api: Api<DynamicObject> = match caps.scope {
        kube::discovery::Scope::Namespaced => {
            Api::namespaced_with(client.clone(), obj["metadata"]["namespace"].as_str().unwrap(), &resource)
        }
        kube::discovery::Scope::Cluster => Api::all_with(client.clone(), &resource),
    };
    api.patch(obj["metadata"]["name"].as_str().unwrap(), &PatchParams::apply("helm").dry_run(), &Patch::Apply(obj))
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// `kubectl apply --dry-run=server -f FILE` (what `helm template | kubectl apply
/// --dry-run=server -f -` does); kubectl is required (scripts/install-test-deps.sh).
pub fn kubectl_dry_run(kubeconfig_yaml: &str, manifests: &str, label: &str) -> String {
    let dir = std::env::temp_dir().join(format!("glidepath-chart-{}-{label}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("kubeconfig"), kubeconfig_yaml).unwrap();
    std::fs::write(dir.join("manifests.yaml"), manifests).unwrap();
    let out = std::process::Command::new("kubectl")
        .args(["apply", "--dry-run=server", "-f"])
        .arg(dir.join("manifests.yaml"))
        .arg(format!("--cache-dir={}", dir.join("cache").display()))
        .env("KUBECONFIG", dir.join("kubeconfig"))
        .env("HOME", &dir)
        .output()
        .expect("kubectl is required (scripts/install-test-deps.sh installs it)");
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "kubectl apply --dry-run=server ({label}) failed:\n{text}\n{manifests}");
    text
}

/// The rendered chart as one multi-document YAML stream.
pub fn stream(docs: &[Doc]) -> String {
    docs.iter().map(|d| format!("---\n{}", serde_saphyr::to_string(&d.obj).unwrap())).collect()
}
