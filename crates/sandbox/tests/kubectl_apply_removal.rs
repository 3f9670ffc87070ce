//! `kubectl apply --server-side` removing what a re-apply leaves out, as kube-apiserver does:
//! the Canary `spec.autoscalerRef` goes whole (not `{}`, which the CRD's `required` refuses),
//! and Deployment env vars and containers go by their merge key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{Kubectl, TIMEOUT, start};
use serde_json::Value;

const FLAGGER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/flagger");

const AUTOSCALER: &str = "  autoscalerRef:
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    name: podinfo
";

async fn get_json(k: &Kubectl, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json", "--show-managed-fields"]);
    serde_json::from_str(&k.ok(&all).await).unwrap()
}

/// The `fieldsV1` of kubectl's Apply entry.
fn applied_fields(obj: &Value) -> Value {
    let entries = obj["metadata"]["managedFields"].as_array().unwrap();
    let e = entries.iter().find(|e| e["manager"] == "kubectl" && e["operation"] == "Apply").unwrap();
    e["fieldsV1"].clone()
}

#[tokio::test]
async fn reapplying_a_canary_without_autoscaler_ref_removes_it() {
    tokio::time::timeout(TIMEOUT * 2, async {
        let sb = start().await;
        let k = Kubectl::new(&sb.kubeconfig_yaml());
        let crd = k.write("crd.yaml", &std::fs::read_to_string(format!("{FLAGGER}/crd.yaml")).unwrap());
        assert!(k.ok(&["apply", "-f", &crd]).await.contains("canaries.flagger.app created"));
        k.ok(&["wait", "--for=condition=Established", "crd/canaries.flagger.app", "--timeout=20s"]).await;
        k.ok(&["create", "namespace", "test"]).await;

        let with = std::fs::read_to_string(format!("{FLAGGER}/examples/linkerd-canary.yaml")).unwrap();
        assert!(with.contains(AUTOSCALER), "the example has an autoscalerRef");
        let path = k.write("canary.yaml", &with);
        let out = k.ok(&["apply", "--server-side", "-f", &path]).await;
        assert!(out.contains("canary.flagger.app/podinfo serverside-applied"), "{out}");
        let obj = get_json(&k, &["get", "canary", "podinfo", "-n", "test"]).await;
        assert_eq!(obj["spec"]["autoscalerRef"]["name"], "podinfo");
        assert_eq!(applied_fields(&obj)["f:spec"]["f:autoscalerRef"]["f:name"], serde_json::json!({}));

        // kube-apiserver answers 200 and drops the whole struct.
        let path = k.write("canary.yaml", &with.replace(AUTOSCALER, ""));
        let (ok, out) = k.run(&["apply", "--server-side", "-f", &path]).await;
        assert!(ok && out.contains("canary.flagger.app/podinfo serverside-applied"), "{out}");
        let obj = get_json(&k, &["get", "canary", "podinfo", "-n", "test"]).await;
        assert!(obj["spec"].get("autoscalerRef").is_none(), "{}", obj["spec"]);
        assert_eq!(obj["spec"]["targetRef"]["name"], "podinfo");
        let fields = applied_fields(&obj);
        assert!(fields["f:spec"].get("f:autoscalerRef").is_none(), "{fields}");
        assert!(fields["f:spec"]["f:service"].get("f:port").is_some(), "{fields}");
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

fn deployment(app_env: &str, sidecar: bool) -> String {
    let mut s = format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 80
{app_env}"
    );
    if sidecar {
        s.push_str("      - name: proxy\n        image: envoy:1.30\n");
    }
    s
}

const TWO_VARS: &str = "        env:\n        - {name: A, value: \"1\"}\n        - {name: B, value: \"2\"}\n";
const ONE_VAR: &str = "        env:\n        - {name: A, value: \"1\"}\n";

fn containers(obj: &Value) -> &Vec<Value> {
    obj["spec"]["template"]["spec"]["containers"].as_array().unwrap()
}

#[tokio::test]
async fn reapplying_a_deployment_removes_env_vars_and_containers_by_key() {
    tokio::time::timeout(TIMEOUT * 2, async {
        let sb = start().await;
        let k = Kubectl::new(&sb.kubeconfig_yaml());
        let path = k.write("deploy.yaml", &deployment(TWO_VARS, true));
        k.ok(&["apply", "--server-side", "-f", &path]).await;
        let obj = get_json(&k, &["get", "deploy", "web"]).await;
        let fields = applied_fields(&obj);
        // kube-apiserver's fieldsV1: atomic selector, containers by name, ports by port+protocol.
        assert_eq!(fields["f:spec"]["f:selector"], serde_json::json!({}), "{fields}");
        let app = &fields["f:spec"]["f:template"]["f:spec"]["f:containers"][r#"k:{"name":"app"}"#];
        assert!(app["f:ports"].get(r#"k:{"containerPort":80,"protocol":"TCP"}"#).is_some(), "{fields}");
        assert!(app["f:env"].get(r#"k:{"name":"B"}"#).is_some(), "{fields}");

        // One env var dropped: it goes, the other stays.
        let path = k.write("deploy.yaml", &deployment(ONE_VAR, true));
        k.ok(&["apply", "--server-side", "-f", &path]).await;
        let obj = get_json(&k, &["get", "deploy", "web"]).await;
        let env = containers(&obj)[0]["env"].as_array().unwrap();
        assert_eq!(env.iter().map(|e| e["name"].as_str().unwrap()).collect::<Vec<_>>(), ["A"]);

        // The sidecar dropped: the container goes.
        let path = k.write("deploy.yaml", &deployment(ONE_VAR, false));
        k.ok(&["apply", "--server-side", "-f", &path]).await;
        let obj = get_json(&k, &["get", "deploy", "web"]).await;
        assert_eq!(containers(&obj).iter().map(|c| c["name"].as_str().unwrap()).collect::<Vec<_>>(), ["app"]);
        let fields = applied_fields(&obj);
        let owned = fields["f:spec"]["f:template"]["f:spec"]["f:containers"].as_object().unwrap();
        assert_eq!(owned.keys().collect::<Vec<_>>(), [r#"k:{"name":"app"}"#], "{fields}");

        // Every env var dropped: the env field goes, not `env: []`.
        let path = k.write("deploy.yaml", &deployment("", false));
        k.ok(&["apply", "--server-side", "-f", &path]).await;
        let obj = get_json(&k, &["get", "deploy", "web"]).await;
        assert!(containers(&obj)[0].get("env").is_none(), "{}", containers(&obj)[0]);
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              parts:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    size: {type: integer}
              tags:
                type: array
                x-kubernetes-list-type: set
                items: {type: string}
              selector:
                type: object
                x-kubernetes-map-type: atomic
                additionalProperties: {type: string}
";

fn widget(parts: &str, tags: &str, selector: &str) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: default\nspec:\n  parts: {parts}\n  tags: {tags}\n  selector: {selector}\n"
    )
}

#[tokio::test]
async fn reapplying_a_custom_resource_follows_its_list_and_map_types() {
    tokio::time::timeout(TIMEOUT * 2, async {
        let sb = start().await;
        let k = Kubectl::new(&sb.kubeconfig_yaml());
        let crd = k.write("crd.yaml", WIDGET_CRD);
        k.ok(&["apply", "-f", &crd]).await;
        k.ok(&["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=20s"]).await;

        let path =
            k.write("w.yaml", &widget("[{name: a, size: 1}, {name: b, size: 2}]", "[red, blue]", "{app: w, tier: f}"));
        k.ok(&["apply", "--server-side", "-f", &path]).await;
        let fields = applied_fields(&get_json(&k, &["get", "widget", "w"]).await);
        let spec = &fields["f:spec"];
        assert!(spec["f:parts"].get(r#"k:{"name":"b"}"#).is_some(), "{fields}");
        assert!(spec["f:tags"].get(r#"v:"blue""#).is_some(), "{fields}");
        assert_eq!(spec["f:selector"], serde_json::json!({}), "{fields}");

        // Item b and member blue go by key and value; the atomic selector is replaced whole.
        let path = k.write("w.yaml", &widget("[{name: a, size: 1}]", "[red]", "{app: w}"));
        k.ok(&["apply", "--server-side", "-f", &path]).await;
        let obj = get_json(&k, &["get", "widget", "w"]).await;
        assert_eq!(obj["spec"]["parts"], serde_json::json!([{"name": "a", "size": 1}]));
        assert_eq!(obj["spec"]["tags"], serde_json::json!(["red"]));
        assert_eq!(obj["spec"]["selector"], serde_json::json!({"app": "w"}));
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
