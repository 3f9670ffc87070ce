//! Every object the routers produce is accepted by an API server with the providers' upstream
//! CRDs installed (`shared/conformance/crds`): the sandbox prunes, defaults and validates with
//! each CRD's `openAPIV3Schema`, and `fieldValidation=Strict` turns any unknown field into an
//! error. Writes are dry runs, so objects sharing a name do not collide.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::time::Duration;

use common::{canary, ctx, router, split};
use glidepath_router::Weights;
use glidepath_sandbox::{Config, Sandbox, SandboxHandle};
use serde_json::{Value, json};

const CRDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/crds");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const TIMEOUT: Duration = Duration::from_secs(60);

/// One HTTP/1.1 request to the sandbox; status and JSON body.
async fn request(sb: &SandboxHandle, method: &str, path: &str, body: &Value) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = serde_json::to_vec(body).unwrap();
    let mut stream = tokio::net::TcpStream::connect(sb.addr()).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        sb.addr(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let code = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let json = serde_json::from_str(body)
        .ok()
        .or_else(|| body.lines().find_map(|l| serde_json::from_str(l).ok()))
        .unwrap_or(Value::Null);
    (code, json)
}

fn yaml_docs(path: &str) -> Vec<Value> {
    use serde::Deserialize;
    let text = std::fs::read_to_string(format!("{CRDS}/{path}")).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .collect()
}

/// A sandbox with namespace `test` and the CRDs of `files`; `serve_all` also serves versions
/// the file marks `served: false` (SMI v1alpha2/3 in smi-sdk's file), schemas unchanged.
async fn cluster(files: &[&str], serve_all: bool) -> SandboxHandle {
    let sb = Sandbox::start(Config::default()).await.unwrap();
    let (code, v) = request(&sb, "POST", "/api/v1/namespaces", &json!({"metadata": {"name": "test"}})).await;
    assert_eq!(code, 201, "{v}");
    for f in files {
        for mut crd in yaml_docs(f) {
            if serve_all {
                for v in crd["spec"]["versions"].as_array_mut().unwrap() {
                    v["served"] = json!(true);
                }
            }
            let (code, v) = request(&sb, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", &crd).await;
            assert_eq!(code, 201, "{f}: {v}");
        }
    }
    sb
}

fn plural(kind: &str) -> String {
    match kind {
        "HTTPProxy" => "httpproxies".into(),
        "Ingress" => "ingresses".into(),
        other => format!("{}s", other.to_lowercase()),
    }
}

/// Every field we sent is in what the server kept (defaults may add more).
fn kept(sent: &Value, stored: &Value, path: &str) -> Result<(), String> {
    match (sent, stored) {
        (Value::Object(a), Value::Object(b)) => {
            a.iter().try_for_each(|(k, v)| kept(v, b.get(k).unwrap_or(&Value::Null), &format!("{path}.{k}")))
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).enumerate().try_for_each(|(i, (x, y))| kept(x, y, &format!("{path}[{i}]")))
        }
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!("{path}: sent {a}, stored {b}")),
    }
}

/// Dry-run create `obj` with strict field validation; panics with the server's message.
async fn admit(sb: &SandboxHandle, obj: &Value, origin: &str) {
    let (group_version, kind) = (obj["apiVersion"].as_str().unwrap(), obj["kind"].as_str().unwrap());
    let base =
        if group_version.contains('/') { format!("/apis/{group_version}") } else { format!("/api/{group_version}") };
    let path = format!("{base}/namespaces/test/{}?dryRun=All&fieldValidation=Strict", plural(kind));
    let (code, stored) = request(sb, "POST", &path, obj).await;
    assert_eq!(code, 201, "{origin}: {kind} rejected at {path}: {stored}");
    if let Err(e) = kept(&obj["spec"], &stored["spec"], "spec") {
        panic!("{origin}: {kind} changed by the server: {e}");
    }
}

/// API groups with no upstream CRD in `shared/conformance/crds` yet (Kuma, APISIX, Gloo, App
/// Mesh, Knative): their fixtures are reviewed by hand against the providers' published types,
/// not by a server. (Knative's fixtures are apply patches of the user's Service, not whole
/// objects.)
const NO_CRD_YET: &[&str] = &[
    "kuma.io/",
    "apisix.apache.org/",
    "gateway.solo.io/",
    "gloo.solo.io/",
    "appmesh.k8s.aws/",
    "serving.knative.dev/",
];

fn fixtures() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(FIXTURES).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let objs: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let checked = |o: &Value| !NO_CRD_YET.iter().any(|g| o["apiVersion"].as_str().unwrap().starts_with(g));
        out.extend(objs.into_iter().filter(checked).map(|o| (name.clone(), o)));
    }
    out
}

/// Objects no fixture holds: the other API versions.
fn generated(providers: &[&str]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for provider in providers {
        let service = json!({"port": 80, "gatewayRefs": [{"name": "gw"}]});
        let c = canary(provider, service, json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
        for o in router(&c).desired(&ctx(&c), split(40)).unwrap() {
            out.push(((*provider).to_owned(), o));
        }
    }
    out
}

#[tokio::test]
async fn produced_objects_pass_the_upstream_crd_schemas() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = cluster(
            &[
                "gateway-api/gateway.networking.k8s.io_httproutes.yaml",
                "istio/networking.istio.io_virtualservices.yaml",
                "istio/networking.istio.io_destinationrules.yaml",
                "contour/projectcontour.io_httpproxies.yaml",
                "traefik/traefik.io_traefikservices.yaml",
                "smi/linkerd-smi_split.smi-spec.io_trafficsplits.yaml",
            ],
            false,
        )
        .await;
        let mut objects = fixtures();
        objects.retain(|(_, o)| o["apiVersion"] != "split.smi-spec.io/v1alpha3");
        objects.extend(generated(&["gatewayapi:v1beta1", "smi:v1alpha1", "smi:v1alpha2"]));
        assert!(objects.len() > 30, "{}", objects.len());
        for (origin, obj) in &objects {
            admit(&sb, obj, origin).await;
        }
        sb.shutdown().await.unwrap();

        // smi-sdk's CRD holds the v1alpha3 schema (not served upstream any more).
        let sb = cluster(&["smi/split.smi-spec.io_trafficsplits.yaml"], true).await;
        let mut later = fixtures();
        later.extend(generated(&["smi:v1alpha2"]));
        later.retain(|(_, o)| {
            o["apiVersion"] == "split.smi-spec.io/v1alpha2" || o["apiVersion"] == "split.smi-spec.io/v1alpha3"
        });
        assert_eq!(later.len(), 5, "smi v1alpha3, generated v1alpha2 and the three osm fixtures");
        for (origin, obj) in &later {
            admit(&sb, obj, origin).await;
        }
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn the_schema_check_catches_a_wrong_shape() {
    tokio::time::timeout(TIMEOUT, async {
        let sb = cluster(&["istio/networking.istio.io_virtualservices.yaml"], false).await;
        let c = canary("istio", json!({"port": 80}), json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
        let mut vs = router(&c).desired(&ctx(&c), Weights::ALL_PRIMARY).unwrap().pop().unwrap();
        vs["spec"]["http"][0]["route"][0]["weight"] = json!("a lot");
        let (code, v) = request(
            &sb,
            "POST",
            "/apis/networking.istio.io/v1beta1/namespaces/test/virtualservices?dryRun=All&fieldValidation=Strict",
            &vs,
        )
        .await;
        assert_eq!(code, 422, "{v}");
        vs["spec"]["http"][0]["route"][0]["weight"] = json!(100);
        vs["spec"]["http"][0]["bogus"] = json!(true);
        let (code, v) = request(
            &sb,
            "POST",
            "/apis/networking.istio.io/v1beta1/namespaces/test/virtualservices?dryRun=All&fieldValidation=Strict",
            &vs,
        )
        .await;
        assert_eq!(code, 400, "{v}");
        sb.shutdown().await.unwrap();
    })
    .await
    .unwrap();
}
