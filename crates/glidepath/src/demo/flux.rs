//! What `glidepath demo --scenario gitops` puts in Git and in the cluster: the app's manifests
//! (the podinfo Deployment whose image line carries the image-policy marker, and the demo
//! Canary), and the Flux objects that close the loop — GitRepository → Kustomization, and
//! ImageRepository → ImagePolicy → ImageUpdateAutomation writing back to the repository.

use serde_json::{Value, json};

use super::gitrepo::APP_PATH;
use super::observe::NAMESPACE;

/// Name of every Flux object of the demo (all in [`NAMESPACE`]) and of the image repository.
pub const NAME: &str = "podinfo";

/// The policy the marker names: `<namespace>:<name>`.
pub const MARKER: &str = r#"# {"$imagepolicy": "demo:podinfo"}"#;

const CANARY: &str = include_str!("../../../../examples/demo/canary.yaml");

/// The Deployment as the app's repository holds it: only the image says which version; the
/// sandbox's traffic simulator knows each version's behaviour by its tag.
fn deployment(image: &str) -> String {
    format!(
        "# podinfo, released by pushing an image: the ImageUpdateAutomation rewrites the marked line.\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n  namespace: {NAMESPACE}\n  \
         labels:\n    app: podinfo\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: podinfo\n  \
         template:\n    metadata:\n      labels:\n        app: podinfo\n    spec:\n      containers:\n        \
         - name: podinfo\n          image: {image} {MARKER}\n          ports:\n            - name: http\n              \
         containerPort: 9898\n"
    )
}

/// The repository's files: `apps/podinfo/{deployment,canary}.yaml`, the Deployment at `image`.
/// The Canary keeps `${LOADTESTER_URL}` for the Kustomization's `postBuild` to substitute.
pub fn repo_files(image: &str) -> Vec<(String, String)> {
    vec![
        (format!("{APP_PATH}/deployment.yaml"), deployment(image)),
        (format!("{APP_PATH}/canary.yaml"), CANARY.to_owned()),
    ]
}

fn object(api_version: &str, kind: &str, spec: Value) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": NAME, "namespace": NAMESPACE}, "spec": spec})
}

/// The Flux objects, in the order they are applied. Intervals are short so the loop turns in
/// seconds; a new push also asks the ImageRepository for a scan (`reconcile.fluxcd.io/requestedAt`,
/// as a registry webhook Receiver would).
pub fn objects(repo_url: &str, image: &str, loadtester_url: &str) -> Vec<Value> {
    vec![
        object(
            "source.toolkit.fluxcd.io/v1",
            "GitRepository",
            json!({"url": repo_url, "interval": "2s", "ref": {"branch": "main"}}),
        ),
        object(
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            json!({
                "interval": "1m", "path": format!("./{APP_PATH}"), "prune": true,
                "sourceRef": {"kind": "GitRepository", "name": NAME},
                "postBuild": {"substitute": {"LOADTESTER_URL": loadtester_url}},
            }),
        ),
        object(
            "image.toolkit.fluxcd.io/v1",
            "ImageRepository",
            json!({"image": image, "interval": "5s", "insecure": true}),
        ),
        object(
            "image.toolkit.fluxcd.io/v1",
            "ImagePolicy",
            json!({"imageRepositoryRef": {"name": NAME}, "policy": {"semver": {"range": ">=6.9.0"}}}),
        ),
        object(
            "image.toolkit.fluxcd.io/v1",
            "ImageUpdateAutomation",
            json!({
                "interval": "2s",
                "sourceRef": {"kind": "GitRepository", "name": NAME},
                "git": {
                    "checkout": {"ref": {"branch": "main"}},
                    "commit": {
                        "author": {"name": "Fluxbot", "email": "fluxbot@example.invalid"},
                        "messageTemplate": "Release {{ range .Changed.Changes }}{{ .NewValue }}{{ end }}",
                    },
                    "push": {"branch": "main"},
                },
                "update": {"path": "./apps", "strategy": "Setters"},
            }),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deployment_in_git_carries_the_marker_and_no_behaviour() {
        let files = repo_files("127.0.0.1:5000/podinfo:6.9.0");
        let deploy: Value = serde_norway::from_str(&files[0].1).unwrap();
        let container = &deploy["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["image"], "127.0.0.1:5000/podinfo:6.9.0");
        assert!(container["env"].is_null(), "only the image changes between versions");
        assert!(files[0].1.contains(r#"image: 127.0.0.1:5000/podinfo:6.9.0 # {"$imagepolicy": "demo:podinfo"}"#));
        let canary: Value = serde_norway::from_str(&files[1].1).unwrap();
        assert_eq!(canary["kind"], "Canary");
    }

    #[test]
    fn the_loop_writes_back_to_the_branch_it_reads() {
        let objs = objects("file:///x.git", "127.0.0.1:5000/podinfo", "http://127.0.0.1:9");
        let kinds: Vec<&str> = objs.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(
            kinds,
            ["GitRepository", "Kustomization", "ImageRepository", "ImagePolicy", "ImageUpdateAutomation"]
        );
        assert_eq!(objs[0]["spec"]["ref"]["branch"], objs[4]["spec"]["git"]["push"]["branch"]);
        assert_eq!(objs[1]["spec"]["path"], "./apps/podinfo");
    }
}
