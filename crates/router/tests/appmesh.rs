//! App Mesh v1beta2: the VirtualNodes, VirtualRouters and VirtualServices per step, A/B
//! routes, gRPC, and what it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, ctx, golden, release, router, split};
use glidepath_api::flagger::{Canary, Provider};
use glidepath_router::{Weights, capabilities, for_provider, referenced_objects};
use serde_json::{Value, json};

fn appmesh_canary(service: Value, analysis: Value) -> Canary {
    let mut c = canary("appmesh:v1beta2", service, analysis);
    c.metadata.annotations = Some([("appmesh.flagger.app/accesslog".to_owned(), "enabled".to_owned())].into());
    c
}

fn steps() -> Value {
    json!({"interval": "1m", "threshold": 5, "stepWeight": 10})
}

fn service() -> Value {
    json!({
        "port": 9898, "targetPort": 8080, "meshName": "global", "timeout": "15s",
        "backends": ["backend1", "arn:aws:appmesh:eu-west-1:000000000000:mesh/global/virtualService/b2"],
        "hosts": ["podinfo.example.com"],
        "match": [{"uri": {"prefix": "/api"}}],
        "retries": {"attempts": 3, "perTryTimeout": "5s", "retryOn": "gateway-error,connection-error"}
    })
}

fn names(objs: &[Value]) -> Vec<(String, String)> {
    objs.iter()
        .map(|o| (o["kind"].as_str().unwrap().to_owned(), o["metadata"]["name"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn appmesh_release_splits_the_apex_router() {
    let c = appmesh_canary(service(), steps());
    let cx = ctx(&c);
    let r = router(&c);
    assert_eq!(r.name(), "appmesh:v1beta2");
    let seen = release(r.as_ref(), &cx, &[10, 30]);
    golden("appmesh-init", &seen[0]);
    golden("appmesh-step-30", &seen[2]);
    golden("appmesh-canary-100", &seen[3]); // promotion; after it, 100/0 equals init (release)
    let objs = &seen[2];
    let kinds = [
        ("VirtualNode", "podinfo-primary"),
        ("VirtualNode", "podinfo-canary"),
        ("VirtualRouter", "podinfo"),
        ("VirtualRouter", "podinfo-canary"),
        ("VirtualService", "podinfo"),
        ("VirtualService", "podinfo-canary"),
    ];
    assert_eq!(names(objs), kinds.map(|(k, n)| (k.to_owned(), n.to_owned())));
    for o in objs {
        assert_eq!(o["apiVersion"], "appmesh.k8s.aws/v1beta2");
        assert!(o["spec"].get("meshRef").is_none() && o["spec"].get("awsName").is_none(), "the webhook's");
        assert_eq!(o["metadata"]["ownerReferences"][0]["kind"], "Canary");
        assert_eq!(o["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/reconcile"], "disabled");
    }
    let primary = &objs[0]["spec"];
    assert_eq!(primary["podSelector"], json!({"matchLabels": {"app": "podinfo-primary"}}));
    assert_eq!(primary["serviceDiscovery"]["dns"]["hostname"], "podinfo-primary.test.svc.cluster.local.");
    assert_eq!(
        primary["listeners"],
        json!([{"portMapping": {"port": 8080, "protocol": "http"},
                "timeout": {"http": {"perRequest": {"unit": "ms", "value": 15000}}}}])
    );
    assert_eq!(primary["backends"][0], json!({"virtualService": {"virtualServiceRef": {"name": "backend1"}}}));
    assert!(primary["backends"][1]["virtualService"]["virtualServiceARN"].as_str().unwrap().starts_with("arn:aws"));
    assert_eq!(primary["logging"]["accessLog"]["file"]["path"], "/dev/stdout");
    assert_eq!(objs[1]["spec"]["podSelector"]["matchLabels"]["app"], "podinfo");
    let route = &objs[2]["spec"]["routes"][0];
    assert_eq!(route["name"], "podinfo");
    assert_eq!(route["httpRoute"]["match"], json!({"prefix": "/api"}));
    assert_eq!(
        route["httpRoute"]["action"]["weightedTargets"],
        json!([{"virtualNodeRef": {"name": "podinfo-canary"}, "weight": 30},
               {"virtualNodeRef": {"name": "podinfo-primary"}, "weight": 70}])
    );
    assert_eq!(
        route["httpRoute"]["retryPolicy"],
        json!({"maxRetries": 3, "perRetryTimeout": {"unit": "ms", "value": 5000},
               "httpRetryEvents": ["gateway-error"], "tcpRetryEvents": ["connection-error"]})
    );
    assert_eq!(route["httpRoute"]["timeout"], json!({"perRequest": {"unit": "ms", "value": 15000}}));
    let canary_route = &objs[3]["spec"]["routes"][0]["httpRoute"]["action"]["weightedTargets"];
    assert_eq!(canary_route[0]["weight"], 100, "the canary router always routes to the canary");
    assert_eq!(objs[4]["spec"]["provider"], json!({"virtualRouter": {"virtualRouterRef": {"name": "podinfo"}}}));
    let a = &objs[4]["metadata"]["annotations"];
    assert_eq!(a["gateway.appmesh.k8s.aws/expose"], "true");
    assert_eq!(a["gateway.appmesh.k8s.aws/domain"], "podinfo.example.com,");
    assert_eq!(a["gateway.appmesh.k8s.aws/timeout"], "15s");
    assert_eq!(a["gateway.appmesh.k8s.aws/retries"], "3");
    assert!(objs[5]["metadata"]["annotations"].get("gateway.appmesh.k8s.aws/expose").is_none());
    assert_eq!(r.observed(&cx, &[]), None, "no router yet");
}

#[test]
fn appmesh_ab_testing_one_route_per_condition() {
    let c = appmesh_canary(
        json!({"port": 9898, "meshName": "global"}),
        json!({"interval": "1m", "threshold": 5, "iterations": 10, "match": [
            {"headers": {"x-canary": {"exact": "insider"}}},
            {"headers": {"user-agent": {"suffix": "Firefox/120.0"}}, "queryParams": {"beta": {"exact": "1"}}}
        ]}),
    );
    let cx = ctx(&c);
    let r = router(&c);
    let objs = r.desired(&cx, Weights::ALL_CANARY).unwrap();
    golden("appmesh-ab", &objs);
    assert_eq!(r.observed(&cx, &objs), Some(Weights::ALL_CANARY));
    let routes = objs[2]["spec"]["routes"].as_array().unwrap();
    let summary: Vec<(&str, i64)> =
        routes.iter().map(|r| (r["name"].as_str().unwrap(), r["priority"].as_i64().unwrap())).collect();
    assert_eq!(summary, [("podinfo-a", 10), ("podinfo-a-2", 11), ("podinfo-b", 20)]);
    assert_eq!(
        routes[1]["httpRoute"]["match"],
        json!({"prefix": "/", "headers": [{"name": "user-agent", "match": {"suffix": "Firefox/120.0"}}],
               "queryParameters": [{"name": "beta", "match": {"exact": "1"}}]})
    );
    assert_eq!(routes[1]["httpRoute"]["action"]["weightedTargets"][0]["weight"], 100);
    assert_eq!(
        routes[2]["httpRoute"]["action"]["weightedTargets"],
        json!([{"virtualNodeRef": {"name": "podinfo-primary"}, "weight": 100}])
    );
    assert!(routes[2]["httpRoute"]["match"].get("headers").is_none());
    let back = r.desired(&cx, Weights::ALL_PRIMARY).unwrap();
    assert_eq!(r.observed(&cx, &back), Some(Weights::ALL_PRIMARY));
}

#[test]
fn appmesh_grpc_and_http2_ports_get_their_route_kind() {
    let grpc = appmesh_canary(
        json!({"port": 9999, "portName": "grpc", "meshName": "global", "timeout": "2s",
               "retries": {"attempts": 2, "retryOn": "unavailable,gateway-error"}}),
        json!({"interval": "1m", "threshold": 5, "iterations": 10,
               "match": [{"headers": {"x-user": {"prefix": "beta"}}}]}),
    );
    let objs = router(&grpc).desired(&ctx(&grpc), split(20)).unwrap();
    assert_eq!(objs[0]["spec"]["listeners"][0]["portMapping"], json!({"port": 9999, "protocol": "grpc"}));
    assert_eq!(objs[0]["spec"]["listeners"][0]["timeout"]["grpc"]["perRequest"]["value"], 2000);
    let route = &objs[2]["spec"]["routes"][0]["grpcRoute"];
    assert_eq!(route["match"], json!({"metadata": [{"name": "x-user", "match": {"prefix": "beta"}}]}));
    assert_eq!(route["retryPolicy"]["grpcRetryEvents"], json!(["unavailable"]));
    assert_eq!(route["retryPolicy"]["httpRetryEvents"], json!(["gateway-error"]));
    assert_eq!(route["retryPolicy"]["perRetryTimeout"], json!({"unit": "ms", "value": 250}), "Flagger's default");
    assert_eq!(objs[3]["spec"]["routes"][0]["grpcRoute"]["match"], json!({}));

    let h2 = appmesh_canary(json!({"port": 80, "appProtocol": "http2", "meshName": "global"}), steps());
    let objs = router(&h2).desired(&ctx(&h2), split(20)).unwrap();
    assert_eq!(objs[2]["spec"]["listeners"][0]["portMapping"]["protocol"], "http2");
    assert_eq!(objs[2]["spec"]["routes"][0]["http2Route"]["match"], json!({"prefix": "/"}));
    assert_eq!(router(&h2).observed(&ctx(&h2), &objs), Some(split(20)));
}

fn refusal(c: &Canary, w: Weights) -> String {
    router(c).desired(&ctx(c), w).unwrap_err().to_string()
}

#[test]
fn appmesh_refuses_what_it_cannot_do() {
    let c = appmesh_canary(json!({"port": 80}), steps());
    let e = refusal(&c, Weights { mirrored: true, ..Weights::ALL_PRIMARY });
    assert!(e.contains("spec.analysis.mirror"), "{e}");
    let cases = [
        (json!({"port": 80, "meshName": "global", "appProtocol": "tcp"}), steps(), "spec.service.appProtocol"),
        (json!({"port": 80, "meshName": "global", "timeout": "soon"}), steps(), "spec.service.timeout"),
        (json!({"port": 80, "meshName": "global", "retries": {"attempts": 2, "retryOn": "5xx"}}), steps(), "5xx"),
        (
            json!({"port": 80, "meshName": "global", "retries": {"perTryTimeout": "x"}}),
            steps(),
            "spec.service.retries.perTryTimeout",
        ),
        (
            json!({"port": 80, "meshName": "global"}),
            json!({"interval": "1m", "threshold": 5, "iterations": 3, "match": [{"sourceLabels": {"app": "web"}}]}),
            "source labels",
        ),
        (
            json!({"port": 80, "meshName": "global"}),
            json!({"interval": "1m", "threshold": 5, "iterations": 3,
                   "match": [{"queryParams": {"beta": {"regex": "1|2"}}}]}),
            "query parameter beta",
        ),
    ];
    for (service, analysis, needle) in cases {
        let c = appmesh_canary(service, analysis);
        let e = refusal(&c, Weights::ALL_CANARY);
        assert!(e.contains(needle), "{needle}: {e}");
    }
    let caps = capabilities(Provider::AppMeshV1beta2);
    assert!(caps.ab_testing && !caps.mirroring && !caps.session_affinity);
}

#[test]
fn appmesh_reads_nothing_and_names_its_kinds() {
    let c = appmesh_canary(service(), steps());
    assert!(referenced_objects(Provider::AppMeshV1beta2, &c).is_empty(), "the mesh is the webhook's to assign");
    assert!(referenced_objects(Provider::AppMesh, &c).is_empty());
    let kinds = for_provider(Provider::AppMeshV1beta2).kinds();
    assert_eq!(kinds.iter().map(|k| k.1).collect::<Vec<_>>(), ["VirtualNode", "VirtualRouter", "VirtualService"]);
    let kinds = for_provider(Provider::AppMesh).kinds();
    assert_eq!(kinds, [("appmesh.k8s.aws/v1beta1", "VirtualNode"), ("appmesh.k8s.aws/v1beta1", "VirtualService")]);
}

fn v1beta1_canary(service: Value, analysis: Value) -> Canary {
    let mut c = appmesh_canary(service, analysis);
    c.spec.provider = Some("appmesh".into());
    c
}

#[test]
fn appmesh_v1beta1_release_splits_the_apex_virtual_service() {
    let mut svc = service();
    svc["apex"] = json!({"labels": {"team": "a"}});
    let c = v1beta1_canary(svc, steps());
    let r = router(&c);
    assert_eq!(r.name(), "appmesh");
    let seen = release(r.as_ref(), &ctx(&c), &[10, 40]);
    golden("appmesh-v1beta1-init", &seen[0]);
    golden("appmesh-v1beta1-step-40", &seen[2]);
    let objs = &seen[2];
    let expected = [
        ("VirtualNode", "podinfo"),
        ("VirtualNode", "podinfo-primary"),
        ("VirtualNode", "podinfo-canary"),
        ("VirtualService", "podinfo.test"),
        ("VirtualService", "podinfo-canary.test"),
    ];
    assert_eq!(names(objs), expected.map(|(k, n)| (k.to_owned(), n.to_owned())));
    let apex_node = &objs[0]["spec"];
    assert_eq!(apex_node["meshName"], "global");
    assert_eq!(apex_node["serviceDiscovery"], json!({"dns": {"hostName": "podinfo-primary.test"}}), "as upstream");
    assert_eq!(apex_node["listeners"], json!([{"portMapping": {"port": 9898, "protocol": "http"}}]));
    assert_eq!(
        apex_node["backends"][1]["virtualService"]["virtualServiceName"].as_str().unwrap().get(..7),
        Some("arn:aws")
    );
    assert_eq!(objs[0]["metadata"]["labels"]["team"], "a");
    assert_eq!(objs[2]["spec"]["serviceDiscovery"]["dns"]["hostName"], "podinfo-canary.test");
    let vs = &objs[3]["spec"];
    assert_eq!(
        vs["virtualRouter"],
        json!({"name": "podinfo", "listeners": [{"portMapping": {"port": 9898, "protocol": "http"}}]})
    );
    assert_eq!(
        vs["routes"][0],
        json!({"name": "podinfo", "http": {
            "match": {"prefix": "/api"},
            "action": {"weightedTargets": [{"virtualNodeName": "podinfo-canary", "weight": 40},
                                           {"virtualNodeName": "podinfo-primary", "weight": 60}]},
            "retryPolicy": {"perRetryTimeoutMillis": 5000, "maxRetries": 3,
                            "httpRetryEvents": ["gateway-error"], "tcpRetryEvents": ["connection-error"]}
        }})
    );
    assert_eq!(objs[3]["metadata"]["annotations"]["gateway.appmesh.k8s.aws/domain"], "podinfo.example.com,");
    assert_eq!(objs[4]["spec"]["routes"][0]["http"]["action"]["weightedTargets"][0]["weight"], 100);
}

#[test]
fn appmesh_v1beta1_ab_and_refusals() {
    let ab = v1beta1_canary(
        json!({"port": 9898, "meshName": "global"}),
        json!({"interval": "1m", "threshold": 5, "iterations": 10,
               "match": [{"headers": {"x-canary": {"regex": "^(a|b)$"}}}]}),
    );
    let r = router(&ab);
    let objs = r.desired(&ctx(&ab), Weights::ALL_CANARY).unwrap();
    golden("appmesh-v1beta1-ab", &objs);
    assert_eq!(r.observed(&ctx(&ab), &objs), Some(Weights::ALL_CANARY));
    let routes = &objs[3]["spec"]["routes"];
    assert_eq!(routes[0]["http"]["match"]["headers"], json!([{"name": "x-canary", "match": {"regex": "^(a|b)$"}}]));
    assert_eq!((routes[0]["priority"].as_i64(), routes[1]["name"].as_str()), (Some(10), Some("podinfo-b")));

    let no_mesh = v1beta1_canary(json!({"port": 80}), steps());
    let e = refusal(&no_mesh, split(10));
    assert!(e.contains("spec.service.meshName"), "{e}");
    let params = v1beta1_canary(
        json!({"port": 80, "meshName": "global"}),
        json!({"interval": "1m", "threshold": 5, "iterations": 3, "match": [{"queryParams": {"beta": {"exact": "1"}}}]}),
    );
    let e = refusal(&params, Weights::ALL_CANARY);
    assert!(e.contains("spec.analysis.match") && e.contains("v1beta1"), "{e}");
    let grpc_event =
        v1beta1_canary(json!({"port": 80, "meshName": "global", "retries": {"retryOn": "unavailable"}}), steps());
    assert!(refusal(&grpc_event, split(10)).contains("spec.service.retries.retryOn"));
    let mirrored = Weights { mirrored: true, ..Weights::ALL_PRIMARY };
    let c = v1beta1_canary(json!({"port": 80, "meshName": "global"}), steps());
    assert!(refusal(&c, mirrored).contains("spec.analysis.mirror"));
    let caps = capabilities(Provider::AppMesh);
    assert!(caps.ab_testing && !caps.mirroring && !caps.session_affinity);
}
