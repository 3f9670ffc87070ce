//! Drives the real `kubectl` binary against the sandbox through a temporary kubeconfig.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::process::Command;

use common::{KUBECTL, Kubectl, TIMEOUT, start};

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
";

#[tokio::test]
async fn kubectl_drives_the_sandbox() {
    tokio::time::timeout(TIMEOUT * 2, async {
        let sb = start().await;
        let k = Kubectl::new(&sb.kubeconfig_yaml());
        let out = k.ok(&["version"]).await;
        assert!(out.contains("Server Version: v1."), "{out}");
        let out = k.ok(&["api-resources"]).await;
        assert!(out.lines().any(|l| l.starts_with("deployments") && l.contains("deploy") && l.contains("apps/v1")), "{out}");

        let ns = k.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n");
        assert!(k.ok(&["apply", "-f", &ns]).await.contains("namespace/demo created"));
        // Typed generators send protobuf bodies.
        assert!(k.ok(&["create", "namespace", "other"]).await.contains("namespace/other created"));
        let out = k.ok(&["create", "configmap", "cfg", "-n", "demo", "--from-literal=a=b"]).await;
        assert!(out.contains("configmap/cfg created"), "{out}");
        let out = k.ok(&["get", "ns", "other", "--show-labels"]).await;
        assert!(out.contains("kubernetes.io/metadata.name=other"), "{out}");
        let deploy = k.write("deploy.yaml", DEPLOY);
        assert!(k.ok(&["apply", "-f", &deploy]).await.contains("deployment.apps/web created"));
        // Short names and the Table format.
        let out = k.ok(&["get", "deploy", "-n", "demo"]).await;
        assert!(out.contains("NAME") && out.contains("READY") && out.contains("web"), "{out}");
        let out = k.ok(&["get", "deploy", "web", "-n", "demo", "-o", "yaml"]).await;
        assert!(out.contains("generation: 1") && out.contains("uid:"), "{out}");

        assert!(k.ok(&["patch", "deploy", "web", "-n", "demo", "--type", "merge", "-p", r#"{"spec":{"minReadySeconds":3}}"#]).await.contains("patched"));
        let json_patch = r#"[{"op":"add","path":"/metadata/labels","value":{"team":"a"}}]"#;
        assert!(k.ok(&["patch", "deploy", "web", "-n", "demo", "--type", "json", "-p", json_patch]).await.contains("patched"));
        assert!(k.ok(&["scale", "deploy", "web", "-n", "demo", "--replicas=5"]).await.contains("scaled"));
        assert!(k.ok(&["label", "deploy", "web", "-n", "demo", "tier=front"]).await.contains("labeled"));
        assert!(k.ok(&["annotate", "deploy", "web", "-n", "demo", "note=hello"]).await.contains("annotated"));
        let out = k.ok(&["get", "deploy", "-n", "demo", "-l", "tier=front,team in (a)", "-o", "jsonpath={.items[0].spec.replicas} {.items[0].metadata.generation} {.items[0].metadata.annotations.note}"]).await;
        assert_eq!(out.trim(), "5 3 hello");
        // kubectl's default patch type is a strategic merge patch.
        assert!(k.ok(&["patch", "deploy", "web", "-n", "demo", "-p", r#"{"spec":{"replicas":1}}"#]).await.contains("patched"));
        assert_eq!(k.ok(&["get", "deploy", "web", "-n", "demo", "-o", "jsonpath={.spec.replicas}"]).await, "1");

        // CRDs become served; printer columns show up in `kubectl get`.
        let crd = k.write("crd.yaml", &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/flagger/crd.yaml")).unwrap());
        assert!(k.ok(&["apply", "-f", &crd]).await.contains("canaries.flagger.app created"));
        let canary = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/flagger/examples/linkerd-canary.yaml")).unwrap().replace("namespace: test", "namespace: demo");
        let canary = k.write("canary.yaml", &canary);
        assert!(k.ok(&["apply", "-f", &canary]).await.contains("canary.flagger.app/podinfo created"));
        let out = k.ok(&["get", "canaries", "-n", "demo"]).await;
        assert!(out.contains("STATUS") && out.contains("WEIGHT") && out.contains("podinfo"), "{out}");
        let broken = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/flagger/examples/linkerd-canary.yaml"))
            .unwrap()
            .replace("namespace: test", "namespace: demo")
            .replace("name: podinfo\n  namespace", "name: broken\n  namespace")
            .replace("interval: 30s", "interval: 5x");
        let broken = k.write("broken.yaml", &broken);
        let (ok, out) = k.run(&["apply", "-f", &broken]).await;
        assert!(!ok && out.contains("is invalid") && out.contains("interval: Invalid value: \"5x\""), "{out}");

        // Watch sees a change.
        let watch = {
            let dir = k.dir.clone();
            tokio::task::spawn_blocking(move || {
                Command::new(KUBECTL)
                    .args(["get", "deploy", "web", "-n", "demo", "-w", "--request-timeout=4s"])
                    .arg(format!("--cache-dir={}", dir.join("cache").display()))
                    .env("KUBECONFIG", dir.join("config"))
                    .env("HOME", &dir)
                    .output()
                    .unwrap()
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        k.ok(&["scale", "deploy", "web", "-n", "demo", "--replicas=7"]).await;
        let out = watch.await.unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(text.lines().filter(|l| l.starts_with("web")).count() >= 2, "{text}");
        assert!(text.contains("/7"), "{text}");

        assert!(k.ok(&["delete", "deploy", "web", "-n", "demo", "--cascade=foreground"]).await.contains("deleted"));
        let (ok, out) = k.run(&["get", "deploy", "web", "-n", "demo"]).await;
        assert!(!ok && out.contains("NotFound"), "{out}");
        assert!(k.ok(&["delete", "namespace", "demo"]).await.contains("deleted"));
        let out = k.ok(&["get", "ns"]).await;
        assert!(!out.contains("demo") && out.contains("default"), "{out}");
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
