#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use serde_json::{Value, json};

use super::generate::{Rng, Sample, generate, request_for};
use super::routing::{Objects, Request, entry_points};
use super::workload::{Behaviour, Workload};

fn deployment(name: &str, app: &str, ready: u64, env: Value, annotations: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "test"},
        "spec": {"replicas": ready, "template": {
            "metadata": {"labels": {"app": app}, "annotations": annotations},
            "spec": {"containers": [{"name": "app", "image": "podinfo", "env": env}]}}},
        "status": {"readyReplicas": ready}})
}

fn service(name: &str, app: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "test"},
        "spec": {"selector": {"app": app}, "ports": [{"port": 80}]}})
}

fn backend(name: &str, weight: u64) -> Value {
    json!({"group": "", "kind": "Service", "name": name, "port": 80, "weight": weight})
}

fn route(rules: Value) -> Value {
    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {"parentRefs": [{"name": "gw"}], "rules": rules}})
}

/// Primary and canary Deployments with their Services, plus `extra` objects.
fn world(canary_env: Value, extra: Vec<Value>) -> Objects {
    let mut objects = vec![
        deployment("podinfo-primary", "podinfo-primary", 2, json!([]), json!({})),
        deployment("podinfo", "podinfo", 1, canary_env, json!({})),
        service("podinfo-primary", "podinfo-primary"),
        service("podinfo-canary", "podinfo"),
    ];
    objects.extend(extra);
    Objects::from_values(objects)
}

fn share(samples: &[Sample], pred: impl Fn(&Sample) -> bool) -> f64 {
    samples.iter().filter(|s| pred(s)).count() as f64 / samples.len() as f64
}

fn run(objects: &Objects, n: u64, header_fraction: f64) -> Vec<Sample> {
    generate(objects, n, header_fraction, &mut Rng::new(7))
}

#[test]
fn backends_are_picked_by_weight() {
    let objects = world(
        json!([]),
        vec![route(json!([{"backendRefs": [backend("podinfo-primary", 80), backend("podinfo-canary", 20)]}]))],
    );
    let samples = run(&objects, 10_000, 0.0);
    assert_eq!(samples.len(), 10_000);
    let canary = share(&samples, |s| s.workload == "podinfo");
    assert!((0.18..0.22).contains(&canary), "canary share {canary}");
    assert!(samples.iter().all(|s| s.status == 200 && s.namespace == "test"));
    // Primary traffic spreads over both ready pods.
    let mut pods: Vec<&str> =
        samples.iter().filter(|s| s.workload == "podinfo-primary").map(|s| s.pod.as_str()).collect();
    pods.sort_unstable();
    pods.dedup();
    assert_eq!(pods.len(), 2);

    let objects = world(
        json!([]),
        vec![route(json!([{"backendRefs": [backend("podinfo-primary", 100), backend("podinfo-canary", 0)]}]))],
    );
    assert!(run(&objects, 2000, 0.0).iter().all(|s| s.workload == "podinfo-primary"));
}

#[test]
fn same_seed_same_traffic_and_omitted_weight_is_one() {
    let objects = world(
        json!([{"name": "FAULT_RATE", "value": "0.5"}]),
        vec![route(json!([{"backendRefs": [{"name": "podinfo-primary"}, {"name": "podinfo-canary"}]}]))],
    );
    let a = run(&objects, 500, 0.0);
    assert_eq!(a, run(&objects, 500, 0.0));
    assert_ne!(a, generate(&objects, 500, 0.0, &mut Rng::new(8)));
    let canary = share(&a, |s| s.workload == "podinfo");
    assert!((0.42..0.58).contains(&canary), "canary share {canary}");
}

#[test]
fn ab_rule_takes_the_requests_that_carry_its_headers() {
    let ab = route(json!([
        {"matches": [{"path": {"type": "PathPrefix", "value": "/"},
                      "headers": [{"type": "Exact", "name": "x-canary", "value": "insider"}]},
                     {"path": {"type": "PathPrefix", "value": "/"},
                      "headers": [{"type": "RegularExpression", "name": "cookie", "value": "^(.*?;)?(canary=always)(;.*)?$"}]}],
         "backendRefs": [backend("podinfo-primary", 0), backend("podinfo-canary", 100)]},
        {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": [backend("podinfo-primary", 100)]}
    ]));
    let objects = world(json!([]), vec![ab]);
    let samples = run(&objects, 10_000, 0.3);
    let canary = share(&samples, |s| s.workload == "podinfo");
    assert!((0.28..0.32).contains(&canary), "canary share {canary}");

    let entry = &entry_points(&objects)[0];
    let to = |req: &Request| entry.rule_for(req).unwrap().backends[0].weight;
    let with = |name: &str, value: &str| Request { headers: vec![(name.into(), value.into())], ..Request::plain() };
    assert_eq!(to(&with("X-Canary", "insider")), 0, "header names are case-insensitive");
    assert_eq!(to(&with("x-canary", "outsider")), 100);
    assert_eq!(to(&with("Cookie", "a=b;canary=always")), 0);
    assert_eq!(to(&with("Cookie", "canary=never")), 100);
    assert_eq!(to(&Request::plain()), 100);
    // The generated A/B request satisfies the regex match too.
    let cookie = request_for(
        &json!({"headers": [{"type": "RegularExpression", "name": "cookie", "value": "^(.*?;)?(canary=always)(;.*)?$"}]}),
    );
    assert_eq!(cookie.headers, vec![("cookie".to_owned(), "canary=always".to_owned())]);
}

#[test]
fn query_and_path_matches_follow_gateway_precedence() {
    let r = route(json!([
        {"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}], "backendRefs": [backend("a", 1)]},
        {"matches": [{"path": {"type": "Exact", "value": "/api/v1"}}], "backendRefs": [backend("b", 1)]},
        {"matches": [{"path": {"type": "PathPrefix", "value": "/"}, "queryParams": [{"name": "canary", "value": "true"}]}],
         "backendRefs": [backend("c", 1)]},
        {"matches": [{"path": {"type": "RegularExpression", "value": "/img/[0-9]+"}}], "backendRefs": [backend("d", 1)]},
    ]));
    let entry = &entry_points(&Objects::from_values([r]))[0];
    let to = |path: &str, query: &[(&str, &str)]| {
        let req = Request {
            path: path.into(),
            query: query.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
            ..Request::plain()
        };
        entry.rule_for(&req).map(|r| r.backends[0].name.clone())
    };
    assert_eq!(to("/api/v1", &[]).as_deref(), Some("b"), "exact beats prefix");
    assert_eq!(to("/api/v2", &[]).as_deref(), Some("a"));
    assert_eq!(to("/apix", &[]), None, "prefixes match whole path elements");
    assert_eq!(to("/x", &[("canary", "true")]).as_deref(), Some("c"));
    assert_eq!(to("/x", &[("canary", "false")]), None);
    assert_eq!(to("/img/42", &[]).as_deref(), Some("d"));
    assert_eq!(to("/img/4x", &[]), None);
}

#[test]
fn mirrored_backends_get_a_copy_of_each_request() {
    let mirror = |extra: Value| {
        let mut filter =
            json!({"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "podinfo-canary", "port": 80}}});
        if let Some(m) = filter["requestMirror"].as_object_mut() {
            m.extend(extra.as_object().cloned().unwrap_or_default());
        }
        route(
            json!([{"filters": [filter], "backendRefs": [backend("podinfo-primary", 100), backend("podinfo-canary", 0)]}]),
        )
    };
    let samples = run(&world(json!([]), vec![mirror(json!({}))]), 1000, 0.0);
    let (mirrored, served): (Vec<_>, Vec<_>) = samples.iter().partition(|s| s.mirrored);
    assert_eq!(served.len(), 1000);
    assert!(served.iter().all(|s| s.workload == "podinfo-primary"));
    assert_eq!(mirrored.len(), 1000);
    assert!(mirrored.iter().all(|s| s.workload == "podinfo"));

    let samples = run(&world(json!([]), vec![mirror(json!({"percent": 25}))]), 4000, 0.0);
    let copies = samples.iter().filter(|s| s.mirrored).count();
    assert!((900..1100).contains(&copies), "{copies} copies");
}

#[test]
fn fault_rate_and_latency_come_from_the_pod_template() {
    let route = route(json!([{"backendRefs": [backend("podinfo-canary", 1)]}]));
    let env = json!([{"name": "FAULT_RATE", "value": "0.25"}, {"name": "LATENCY_MS", "value": "200"}]);
    let samples = run(&world(env, vec![route.clone()]), 10_000, 0.0);
    let errors = share(&samples, |s| s.status == 500);
    assert!((0.23..0.27).contains(&errors), "error share {errors}");
    let mean = samples.iter().map(|s| s.latency_secs).sum::<f64>() / samples.len() as f64;
    assert!((0.19..0.21).contains(&mean), "mean latency {mean}");
    assert!(samples.iter().all(|s| (0.1..0.3).contains(&s.latency_secs)));

    let healthy = run(&world(json!([]), vec![route]), 2000, 0.0);
    assert!(healthy.iter().all(|s| s.status == 200));

    // Annotations win over env vars; junk keeps the defaults; rates are clamped.
    let template = |env: Value, annotations: Value| json!({"metadata": {"annotations": annotations}, "spec": {"containers": [{"env": env}]}});
    let b = Behaviour::of(&template(
        json!([{"name": "FAULT_RATE", "value": "1"}]),
        json!({"sandbox.glidepath.io/fault-rate": "0.1", "sandbox.glidepath.io/latency-ms": "50"}),
    ));
    assert_eq!((b.fault_rate, b.latency_ms), (0.1, 50.0));
    let b = Behaviour::of(&template(
        json!([{"name": "FAULT_RATE", "value": "lots"}, {"name": "LATENCY_MS", "value": "NaN"}]),
        json!({}),
    ));
    assert_eq!((b.fault_rate, b.latency_ms), (0.0, super::DEFAULT_LATENCY_MS));
    assert_eq!(Behaviour::of(&template(json!([{"name": "FAULT_RATE", "value": "7"}]), json!({}))).fault_rate, 1.0);
}

#[test]
fn unreachable_backends_fail_on_no_pod() {
    let r = route(json!([{"backendRefs": [backend("podinfo-canary", 1)]}]));
    // Canary scaled to zero: 503.
    let objects = Objects::from_values([
        deployment("podinfo", "podinfo", 0, json!([]), json!({})),
        service("podinfo-canary", "podinfo"),
        r.clone(),
    ]);
    let samples = run(&objects, 100, 0.0);
    assert!(samples.iter().all(|s| s.status == 503 && s.pod.is_empty() && s.workload.is_empty()));
    // No such Service, a non-Service ref, or all weights zero: 500.
    for rules in [
        json!([{"backendRefs": [backend("missing", 1)]}]),
        json!([{"backendRefs": [{"group": "example.com", "kind": "Bucket", "name": "podinfo-canary"}]}]),
        json!([{"backendRefs": [backend("podinfo-canary", 0)]}]),
    ] {
        let objects = world(json!([]), vec![route(rules)]);
        assert!(run(&objects, 50, 0.0).iter().all(|s| s.status == 500 && s.pod.is_empty()));
    }
}

#[test]
fn annotated_services_are_entry_points_routed_by_selector() {
    let mut apex = service("podinfo", "podinfo-primary");
    apex["metadata"]["annotations"] = json!({"sandbox.glidepath.io/traffic": "true"});
    let objects = world(json!([]), vec![apex.clone()]);
    let samples = run(&objects, 300, 0.0);
    assert_eq!(samples.len(), 300, "unannotated Services and no routes: one entry point");
    assert!(samples.iter().all(|s| s.workload == "podinfo-primary"));
    // Blue/green switch: the selector now points at the canary's pods.
    apex["spec"]["selector"] = json!({"app": "podinfo"});
    let samples = run(&world(json!([]), vec![apex]), 300, 0.0);
    assert!(samples.iter().all(|s| s.workload == "podinfo"));
}

#[test]
fn daemon_sets_serve_with_their_ready_count() {
    let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "test"},
        "spec": {"template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a"}]}}},
        "status": {"numberReady": 3}});
    assert_eq!(Workload::of(&ds).pods.len(), 3);
    let mut svc = service("agent", "agent");
    svc["metadata"]["annotations"] = json!({"sandbox.glidepath.io/traffic": "true"});
    let samples = run(&Objects::from_values([ds, svc]), 300, 0.0);
    assert!(samples.iter().all(|s| s.workload == "agent" && s.status == 200));
}

#[test]
fn pod_names_select_the_canary_not_the_primary() {
    // Flagger's HTTP observer regex, anchored as Prometheus anchors it.
    let re = regex::Regex::new("^(?:podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+))$").unwrap();
    let canary = Workload::of(&deployment("podinfo", "podinfo", 3, json!([]), json!({})));
    let primary = Workload::of(&deployment("podinfo-primary", "podinfo-primary", 3, json!([]), json!({})));
    assert_eq!(canary.pods.len(), 3);
    for pod in &canary.pods {
        assert!(re.is_match(pod), "{pod}");
        let parts: Vec<&str> = pod.rsplitn(3, '-').collect();
        assert_eq!((parts[0].len(), parts[1].len()), (5, 10), "{pod}");
    }
    assert!(primary.pods.iter().all(|p| !re.is_match(p)));
    // A new template is a new ReplicaSet: new pod names.
    let changed = Workload::of(&deployment("podinfo", "podinfo", 3, json!([{"name": "V", "value": "2"}]), json!({})));
    assert!(changed.pods.iter().all(|p| !canary.pods.contains(p)));
    assert_eq!(canary, Workload::of(&deployment("podinfo", "podinfo", 3, json!([]), json!({}))));
}

#[test]
fn behaviour_by_image_fills_what_the_template_does_not_set() {
    let images: super::ImageBehaviours = [
        ("6.9.2".to_owned(), Behaviour { fault_rate: 0.3, latency_ms: 350.0 }),
        ("127.0.0.1:5000/podinfo:6.9.3".to_owned(), Behaviour { fault_rate: 0.5, latency_ms: 20.0 }),
        ("6.9.3".to_owned(), Behaviour { fault_rate: 0.9, latency_ms: 1.0 }),
    ]
    .into_iter()
    .collect();
    let template = |image: &str, env: Value| json!({"spec": {"containers": [{"image": image, "env": env}]}});
    let of = |t: &Value| {
        let b = Behaviour::of_with(t, &images);
        (b.fault_rate, b.latency_ms)
    };
    // By tag, whatever the registry (a port is not a tag); a full reference wins over its tag.
    assert_eq!(of(&template("127.0.0.1:5000/podinfo:6.9.2", json!([]))), (0.3, 350.0));
    assert_eq!(of(&template("podinfo:6.9.2@sha256:abc", json!([]))), (0.3, 350.0));
    assert_eq!(of(&template("127.0.0.1:5000/podinfo:6.9.3", json!([]))), (0.5, 20.0));
    // Unknown tags, no tag at all, and a registry port alone keep the defaults.
    assert_eq!(of(&template("podinfo:6.9.1", json!([]))), (0.0, super::DEFAULT_LATENCY_MS));
    assert_eq!(of(&template("127.0.0.1:5000/podinfo", json!([]))), (0.0, super::DEFAULT_LATENCY_MS));
    // The template's own values still win, one field at a time.
    let env = json!([{"name": "LATENCY_MS", "value": "40"}]);
    assert_eq!(of(&template("podinfo:6.9.2", env)), (0.3, 40.0));
    // Through the generator: the Deployment's image decides its pods' answers.
    let mut objects = world(json!([]), vec![route(json!([{"backendRefs": [backend("podinfo-canary", 1)]}]))]);
    let canary = objects.workloads.iter_mut().find(|w| w["metadata"]["name"] == "podinfo").unwrap();
    std::sync::Arc::make_mut(canary)["spec"]["template"]["spec"]["containers"][0]["image"] = "podinfo:6.9.2".into();
    objects.images = std::sync::Arc::new(images.clone());
    let errors = share(&run(&objects, 10_000, 0.0), |s| s.status == 500);
    assert!((0.28..0.32).contains(&errors), "error share {errors}");
}
