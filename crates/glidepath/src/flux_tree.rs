//! `glidepath tree kustomization NAME`, as `flux tree kustomization` prints it: the
//! Kustomization's inventory as a tree (`Kind/namespace/name`, cluster-scoped `Kind/name`),
//! with the Kustomizations it applied expanded in place.

use std::collections::HashSet;

use anyhow::{Context as _, bail};
use glidepath_apply::object::{Entry, ObjMeta};
use kube::Client;
use serde_json::Value;

use crate::cli::FluxArgs;
use crate::flux_ops::{Kind, api, parse_target};

/// Nested Kustomizations followed at most this deep (a cycle is cut where it closes).
const MAX_DEPTH: usize = 32;

/// One line of the tree and what hangs below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub label: String,
    pub children: Vec<Node>,
}

/// The tree in `treeprint`'s layout (what Flux prints with).
pub fn render(root: &Node) -> String {
    let mut out = format!("{}\n", root.label);
    branch(&root.children, "", &mut out);
    out
}

fn branch(children: &[Node], prefix: &str, out: &mut String) {
    for (i, c) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        out.push_str(prefix);
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(&c.label);
        out.push('\n');
        let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
        branch(&c.children, &deeper, out);
    }
}

/// The inventory entries of a Kustomization object, in inventory order.
pub fn inventory(obj: &Value) -> Vec<ObjMeta> {
    let entries = obj["status"]["inventory"]["entries"].as_array().cloned().unwrap_or_default();
    entries
        .iter()
        .filter_map(|e| serde_json::from_value(e.clone()).ok())
        .filter_map(|r| Entry::from_ref(&r))
        .map(|e| e.meta)
        .collect()
}

fn is_kustomization(m: &ObjMeta) -> bool {
    m.group == "kustomize.toolkit.fluxcd.io" && m.kind == "Kustomization"
}

/// `meta`'s node; a Kustomization's inventory is read from `obj` when the caller has it.
async fn node(
    client: &Client,
    meta: ObjMeta,
    obj: Option<Value>,
    seen: &mut HashSet<String>,
    depth: usize,
) -> anyhow::Result<Node> {
    let mut n = Node { label: meta.to_string(), children: Vec::new() };
    if !is_kustomization(&meta) || depth >= MAX_DEPTH || !seen.insert(n.label.clone()) {
        return Ok(n);
    }
    let obj = match obj {
        Some(o) => Some(o),
        None => {
            let api = api(client, Kind::Kustomization, Some(&meta.namespace));
            let found = api.get_opt(&meta.name).await.with_context(|| format!("get {}", n.label))?;
            found.map(serde_json::to_value).transpose()?
        }
    };
    for child in obj.as_ref().map(inventory).unwrap_or_default() {
        n.children.push(Box::pin(node(client, child, None, seen, depth + 1)).await?);
    }
    Ok(n)
}

/// `tree kustomization NAME`.
pub async fn tree(args: &FluxArgs) -> anyhow::Result<()> {
    let (kind, name) = parse_target(&args.target)?;
    if kind != Kind::Kustomization {
        bail!("tree: only `tree kustomization NAME`");
    }
    let client = crate::controller::client(args.kubeconfig.as_deref()).await?;
    let api = api(&client, kind, Some(&args.namespace));
    let root = api.get(&name).await.with_context(|| format!("get Kustomization {}/{name}", args.namespace))?;
    let meta = ObjMeta::new("kustomize.toolkit.fluxcd.io", "Kustomization", &args.namespace, &name);
    let tree = node(&client, meta, Some(serde_json::to_value(root)?), &mut HashSet::new(), 0).await?;
    print!("{}", render(&tree));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(l: &str) -> Node {
        Node { label: l.into(), children: vec![] }
    }

    #[test]
    fn renders_as_treeprint_does() {
        let t = Node {
            label: "Kustomization/flux-system/flux-system".into(),
            children: vec![
                leaf("Namespace/app"),
                Node {
                    label: "Kustomization/flux-system/apps".into(),
                    children: vec![leaf("ConfigMap/app/a"), leaf("ConfigMap/app/b")],
                },
                leaf("GitRepository/flux-system/flux-system"),
            ],
        };
        assert_eq!(
            render(&t),
            "Kustomization/flux-system/flux-system\n├── Namespace/app\n├── Kustomization/flux-system/apps\n│   ├── ConfigMap/app/a\n│   └── ConfigMap/app/b\n└── GitRepository/flux-system/flux-system\n"
        );
    }
}
