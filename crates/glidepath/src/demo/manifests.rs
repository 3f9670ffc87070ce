//! The demo's manifests (`examples/demo/`, compiled in so the command works from any
//! directory) and how they reach the sandbox: server-side apply, as a user's `kubectl apply
//! --server-side` or a sync engine would.

use anyhow::Context as _;
use kube::Client;
use kube::api::{Api, DynamicObject, GroupVersionKind, Patch, PatchParams};
use serde_json::Value;

/// Field manager of what the demo writes in the role of a person.
pub const USER_MANAGER: &str = "demo-user";

const FILES: [(&str, &str); 3] = [
    ("examples/demo/namespace.yaml", include_str!("../../../../examples/demo/namespace.yaml")),
    ("examples/demo/deployment.yaml", include_str!("../../../../examples/demo/deployment.yaml")),
    ("examples/demo/canary.yaml", include_str!("../../../../examples/demo/canary.yaml")),
];

/// The demo's objects, with `${LOADTESTER_URL}` replaced.
pub fn objects(loadtester_url: &str) -> anyhow::Result<Vec<Value>> {
    FILES
        .iter()
        .map(|(name, text)| {
            let text = text.replace("${LOADTESTER_URL}", loadtester_url);
            serde_norway::from_str::<Value>(&text).with_context(|| format!("parse {name}"))
        })
        .collect()
}

/// Apply `obj` with server-side apply as [`USER_MANAGER`].
pub async fn apply(client: &Client, obj: &Value) -> anyhow::Result<()> {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    let kind = obj["kind"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let (resource, caps) = kube::discovery::pinned_kind(client, &gvk)
        .await
        .with_context(|| format!("find the API of {api_version} {kind}"))?;
    let api: Api<DynamicObject> = match obj["metadata"]["namespace"].as_str() {
        Some(ns) if caps.scope == kube::discovery::Scope::Namespaced => {
            Api::namespaced_with(client.clone(), ns, &resource)
        }
        _ => Api::all_with(client.clone(), &resource),
    };
    api.patch(name, &PatchParams::apply(USER_MANAGER).force(), &Patch::Apply(obj))
        .await
        .with_context(|| format!("apply {kind} {name}"))?;
    Ok(())
}

/// Apply every demo object, in file order (namespace first).
pub async fn apply_demo(client: &Client, loadtester_url: &str) -> anyhow::Result<()> {
    for obj in objects(loadtester_url)? {
        apply(client, &obj).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_manifests_parse_and_the_canary_validates() {
        let objs = objects("http://127.0.0.1:9").unwrap();
        let kinds: Vec<&str> = objs.iter().map(|o| o["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["Namespace", "Deployment", "Canary"]);
        let canary: glidepath_api::flagger::Canary = serde_json::from_value(objs[2].clone()).unwrap();
        let v = canary.spec.validate("istio");
        assert!(v.is_valid(), "{}", v.errors);
        let hooks = canary.spec.analysis.as_ref().unwrap().webhooks();
        assert!(hooks.iter().all(|h| h.url.starts_with("http://127.0.0.1:9/")), "substituted");
    }
}
