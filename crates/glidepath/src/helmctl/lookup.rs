//! What templates see of the cluster: Helm's `lookup` (an object, a list when the name is
//! empty, an empty map when nothing is found, as Helm returns them) and `.Capabilities` from
//! discovery (the server's version, and every `group/version` and `group/version/Kind` served).

use glidepath_helm::{Capabilities, KubeVersion};
use kube::Client;
use kube::api::{Api, DynamicObject, GroupVersionKind, ListParams};
use serde_json::{Map, Value};

fn empty() -> Value {
    Value::Object(Map::new())
}

/// Helm's `lookup apiVersion kind namespace name`.
pub async fn lookup(client: &Client, api_version: &str, kind: &str, ns: &str, name: &str) -> Result<Value, String> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let (ar, caps) = match kube::discovery::pinned_kind(client, &gvk).await {
        Ok(found) => found,
        // An unknown kind is an error in Helm too.
        Err(e) => return Err(format!("lookup {api_version} {kind}: {e}")),
    };
    let namespaced = caps.scope == kube::discovery::Scope::Namespaced;
    let api: Api<DynamicObject> = match (namespaced, ns.is_empty()) {
        (true, false) => Api::namespaced_with(client.clone(), ns, &ar),
        _ => Api::all_with(client.clone(), &ar),
    };
    if name.is_empty() {
        let list = api.list(&ListParams::default()).await.map_err(|e| format!("lookup {api_version} {kind}: {e}"))?;
        let items: Vec<Value> = list.items.iter().filter_map(|o| serde_json::to_value(o).ok()).collect();
        return Ok(serde_json::json!({"apiVersion": "v1", "kind": format!("{kind}List"), "items": items}));
    }
    match api.get_opt(name).await {
        Ok(Some(o)) => Ok(serde_json::to_value(o).unwrap_or_else(|_| empty())),
        Ok(None) => Ok(empty()),
        Err(e) => Err(format!("lookup {api_version} {kind} {ns}/{name}: {e}")),
    }
}

/// `.Capabilities` of the cluster `client` talks to.
pub async fn capabilities(client: &Client) -> Result<Capabilities, String> {
    let info = client.apiserver_version().await.map_err(|e| format!("read server version: {e}"))?;
    let version = info.git_version.split('+').next().unwrap_or(&info.git_version).to_owned();
    let minor = info.minor.trim_end_matches('+').to_owned();
    let discovery = kube::Discovery::new(client.clone()).run().await.map_err(|e| format!("discovery: {e}"))?;
    let mut api_versions = Vec::new();
    for group in discovery.groups() {
        for (ar, _) in group.recommended_resources() {
            let gv = if ar.group.is_empty() { ar.version.clone() } else { format!("{}/{}", ar.group, ar.version) };
            if !api_versions.contains(&gv) {
                api_versions.push(gv.clone());
            }
            api_versions.push(format!("{gv}/{}", ar.kind));
        }
    }
    Ok(Capabilities { kube_version: KubeVersion { version, major: info.major, minor }, api_versions })
}
