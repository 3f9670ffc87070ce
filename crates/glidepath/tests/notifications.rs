//! Flux notifications end to end on the embedded API server: a Kustomization's events reach
//! the Alerts that select it, in Flux's event format, through `generic` and `generic-hmac`
//! Providers on loopback; the event server takes events from Flux controllers a user keeps
//! (202, 429 for a duplicate, 400 for a bad body); a Receiver verifies a GitHub-style push
//! and asks the GitRepository to reconcile at once, and refuses a bad signature.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;
use crate::sync_env;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sync_env::*;

/// (headers, body as sent, body as JSON) of each POST.
type Call = (axum::http::HeaderMap, String, Value);
type Calls = Arc<Mutex<Vec<Call>>>;

/// A webhook target recording every POST.
async fn target() -> (String, Calls) {
    let calls: Calls = Arc::default();
    let c = calls.clone();
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let c = c.clone();
            async move {
                let json = serde_json::from_str(&body).unwrap_or(Value::Null);
                c.lock().unwrap().push((headers, body, json));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

async fn wait_calls(calls: &Calls, n: usize, what: &str) -> Vec<Call> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got = calls.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: {} calls, wanted {n}: {got:?}", got.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn loopback() -> Option<std::net::SocketAddr> {
    Some("127.0.0.1:0".parse().unwrap())
}

async fn notification_env() -> Env {
    env_with(|s| {
        s.notification = true;
        s.notification_addr = loopback();
        s.receiver_addr = loopback();
    })
    .await
}

fn hmac_hex(token: &str, body: &[u8]) -> String {
    glidepath_notify::hex(&glidepath_notify::hmac_sha256(token.as_bytes(), body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kustomization_events_reach_matching_alerts_in_flux_format() {
    let env = notification_env().await;
    let (url, calls) = target().await;
    let (signed_url, signed) = target().await;
    let c = &env.client;
    apply(
        c,
        &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hmac", "namespace": NS},
        "stringData": {"token": "s3cret", "address": format!("{signed_url}/signed"), "headers": "X-Team: web\n"}}),
        "test",
    )
    .await;
    let (slack_url, slack) = target().await;
    for (name, spec) in [
        ("plain", json!({"type": "generic", "address": format!("{url}/plain")})),
        ("signed", json!({"type": "generic-hmac", "secretRef": {"name": "hmac"}})),
        (
            "chat",
            json!({"type": "slack", "address": format!("{slack_url}/services/T0/B0/X"), "channel": "#flux", "username": "flux"}),
        ),
    ] {
        apply(
            c,
            &json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}),
            "test",
        )
        .await;
    }
    apply(
        c,
        &json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
        "metadata": {"name": "all", "namespace": NS},
        "spec": {"providerRef": {"name": "plain"}, "eventSources": [{"kind": "Kustomization", "name": "*"}],
            "eventMetadata": {"cluster": "test"}}}),
        "test",
    )
    .await;
    apply(
        c,
        &json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
        "metadata": {"name": "errors", "namespace": NS},
        "spec": {"providerRef": {"name": "signed"}, "eventSeverity": "error",
            "eventSources": [{"kind": "Kustomization", "name": "apps"}]}}),
        "test",
    )
    .await;
    apply(
        c,
        &json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
        "metadata": {"name": "chat", "namespace": NS},
        "spec": {"providerRef": {"name": "chat"}, "eventSources": [{"kind": "Kustomization", "name": "apps"}]}}),
        "test",
    )
    .await;
    env.repo.write("apps/cm.yaml", &config_map("one", "1"));
    let sha = env.repo.commit("one");
    git_repository(c, "repo", &env.repo.url(), json!({})).await;
    kustomization(c, "apps", "./apps", json!({})).await;
    wait_applied(c, "apps", &sha).await;

    let got = wait_calls(&calls, 1, "the info event").await;
    let (headers, _, event) = &got[0];
    assert_eq!(headers["gotk-component"], "kustomize-controller");
    assert_eq!(event["involvedObject"]["kind"], "Kustomization");
    assert_eq!(event["involvedObject"]["name"], "apps");
    assert_eq!(event["involvedObject"]["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
    assert_eq!(event["severity"], "info");
    assert_eq!(event["reason"], "ReconciliationSucceeded");
    assert_eq!(event["reportingController"], "kustomize-controller");
    assert_eq!(event["metadata"]["revision"], format!("main@sha1:{sha}"));
    assert_eq!(event["metadata"]["cluster"], "test", "the Alert's eventMetadata");
    assert!(event["message"].as_str().unwrap().contains("ConfigMap/app/one created"), "{event}");
    assert!(signed.lock().unwrap().is_empty(), "info events do not reach an error-only Alert");
    let chat = wait_calls(&slack, 1, "the Slack message").await;
    let msg = &chat[0].2;
    assert_eq!(msg["channel"], "#flux");
    assert_eq!(msg["username"], "flux");
    assert_eq!(msg["attachments"][0]["author_name"], "kustomization/apps.flux-system");
    assert_eq!(msg["attachments"][0]["color"], "good");

    // A failure is an error event: both Alerts, the signed one with Flux's HMAC header.
    env.repo.write("apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n");
    env.repo.commit("broken");
    wait_for(c, "Kustomization", "apps", "the failure", |o| ready(o).is_some_and(|r| r.0 == "False")).await;
    let got = wait_calls(&signed, 1, "the error event").await;
    let (headers, raw, event) = &got[0];
    assert_eq!(event["severity"], "error");
    assert_eq!(headers["x-team"], "web", "headers from the Secret");
    assert_eq!(headers["x-signature"], format!("sha256={}", hmac_hex("s3cret", raw.as_bytes())).as_str());
    wait_calls(&calls, 2, "the error event on the catch-all Alert").await;
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_server_takes_flux_events_and_drops_duplicates() {
    let env = notification_env().await;
    let (url, calls) = target().await;
    let c = &env.client;
    apply(
        c,
        &json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",
        "metadata": {"name": "plain", "namespace": NS}, "spec": {"type": "generic", "address": format!("{url}/x")}}),
        "test",
    )
    .await;
    apply(
        c,
        &json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
        "metadata": {"name": "helm", "namespace": NS},
        "spec": {"providerRef": {"name": "plain"}, "eventSources": [{"kind": "HelmRelease", "name": "podinfo"}],
            "exclusionList": ["^skip"]}}),
        "test",
    )
    .await;
    let addr = env.sync.context.notification_listeners.events_addr.unwrap();
    let http = reqwest::Client::new();
    let event = |name: &str, message: &str| {
        json!({
        "involvedObject": {"kind": "HelmRelease", "namespace": NS, "name": name, "apiVersion": "helm.toolkit.fluxcd.io/v2"},
        "severity": "info", "timestamp": "2026-12-06T00:00:00Z", "message": message, "reason": "InstallSucceeded",
        "metadata": {"helm.toolkit.fluxcd.io/revision": "6.5.0"}, "reportingController": "helm-controller"})
    };
    let post = |body: Value| http.post(format!("http://{addr}/")).json(&body).send();
    // The Alert cache may lag the apply: retry the first event until it is delivered.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut n = 0;
    while calls.lock().unwrap().is_empty() {
        n += 1;
        assert_eq!(post(event("podinfo", &format!("installed {n}"))).await.unwrap().status(), 202);
        assert!(tokio::time::Instant::now() < deadline, "never delivered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let first = calls.lock().unwrap()[0].2.clone();
    assert_eq!(first["metadata"]["revision"], "6.5.0");
    assert_eq!(first["involvedObject"]["name"], "podinfo");
    let same = event("podinfo", "upgraded");
    assert_eq!(post(same.clone()).await.unwrap().status(), 202);
    assert_eq!(post(same).await.unwrap().status(), 429, "a duplicate within the interval");
    assert_eq!(post(event("other", "installed")).await.unwrap().status(), 202);
    assert_eq!(post(event("podinfo", "skip this one")).await.unwrap().status(), 202);
    let bad = http.post(format!("http://{addr}/")).body("{not json").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let huge = http.post(format!("http://{addr}/")).body(vec![b' '; 4 * 1024 * 1024]).send().await.unwrap();
    assert_eq!(huge.status(), 413, "over Flux's 3 MiB cap");
    // A marker after the others: only then is "nothing else arrived" meaningful.
    assert_eq!(post(event("podinfo", "marker")).await.unwrap().status(), 202);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got: Vec<String> =
            calls.lock().unwrap().iter().map(|(_, _, e)| e["message"].as_str().unwrap().to_owned()).collect();
        if got.last().map(String::as_str) == Some("marker") {
            assert_eq!(got.iter().filter(|m| *m == "upgraded").count(), 1, "{got:?}");
            assert!(!got.iter().any(|m| m == "skip this one" || m == "installed"), "filtered: {got:?}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "marker never delivered: {got:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Flux's HTTP metrics of the event server, with its names and labels.
    let metrics = glidepath::controller::Metrics::new().encode();
    for code in ["202", "429", "400", "413"] {
        let line =
            format!(r#"gotk_event_http_request_duration_seconds_count{{handler="/",method="POST",code="{code}"}}"#);
        assert!(metrics.contains(&line), "{line} in:\n{metrics}");
    }
    assert!(metrics.contains(r#"gotk_event_http_requests_inflight{handler="/"} 0"#), "{metrics}");
    assert!(metrics.contains("gotk_event_http_response_size_bytes_bucket{"), "{metrics}");
    env.sandbox.shutdown().await.unwrap();
}

/// Flux's CRD accepts every type it knows; one Glidepath does not deliver to is refused when
/// the Provider is seen: a Warning Event naming `spec.type`, before any event is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsupported_provider_type_is_refused_up_front() {
    let env = notification_env().await;
    let c = &env.client;
    for (name, t) in [("chat", "slack"), ("bus", "nats")] {
        let p = json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"type": t, "address": "https://hooks.example.invalid/secret-path"}});
        apply(c, &p, "test").await;
    }
    let events: kube::Api<k8s_openapi::api::core::v1::Event> = kube::Api::namespaced(c.clone(), NS);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let refused = loop {
        let list = events.list(&Default::default()).await.unwrap().items;
        let on = |name: &str| {
            list.iter()
                .filter(|e| e.involved_object.kind.as_deref() == Some("Provider"))
                .filter(|e| e.involved_object.name.as_deref() == Some(name))
                .cloned()
                .collect::<Vec<_>>()
        };
        if let Some(e) = on("bus").into_iter().next() {
            assert!(on("chat").is_empty(), "a supported Provider is not refused: {:?}", on("chat"));
            break e;
        }
        assert!(tokio::time::Instant::now() < deadline, "no event on the nats Provider");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(refused.type_.as_deref(), Some("Warning"));
    assert_eq!(refused.reason.as_deref(), Some("InvalidConfig"));
    let message = refused.message.unwrap_or_default();
    assert!(message.starts_with("spec.type: 'nats' is not supported by Glidepath"), "{message}");
    assert!(!message.contains("secret-path"), "no address in events: {message}");
    env.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_push_webhook_makes_the_repository_reconcile_and_a_bad_signature_does_not() {
    let env = notification_env().await;
    let c = &env.client;
    env.repo.write("apps/cm.yaml", &config_map("one", "1"));
    env.repo.commit("one");
    git_repository(c, "repo", &env.repo.url(), json!({"interval": "1h"})).await;
    apply(
        c,
        &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hook", "namespace": NS},
        "stringData": {"token": "t0ken"}}),
        "test",
    )
    .await;
    apply(
        c,
        &json!({"apiVersion": "notification.toolkit.fluxcd.io/v1", "kind": "Receiver",
        "metadata": {"name": "github", "namespace": NS},
        "spec": {"type": "github", "events": ["push"], "secretRef": {"name": "hook"},
            "resources": [{"kind": "GitRepository", "name": "repo"}]}}),
        "test",
    )
    .await;
    let receiver = wait_receiver(c).await;
    let path = receiver["status"]["webhookPath"].as_str().unwrap().to_owned();
    assert_eq!(receiver["status"]["conditions"][0]["message"], format!("Receiver initialized for path: {path}"));
    let addr = env.sync.context.notification_listeners.hooks_addr.unwrap();
    let http = reqwest::Client::new();
    let body = br#"{"ref":"refs/heads/main"}"#.to_vec();
    let call = |sig: String, event: &str| {
        http.post(format!("http://{addr}{path}"))
            .header("X-GitHub-Event", event)
            .header("X-Hub-Signature-256", sig)
            .body(body.clone())
            .send()
    };
    let wrong = call(format!("sha256={}", hmac_hex("guess", &body)), "push").await.unwrap();
    assert_eq!(wrong.status(), 400);
    let unknown = http.post(format!("http://{addr}/hook/0000")).body("{}").send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let ping = call(format!("sha256={}", hmac_hex("t0ken", &body)), "ping").await.unwrap();
    assert_eq!(ping.status(), 200);
    let requested =
        |o: &Value| o["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"].as_str().map(str::to_owned);
    assert_eq!(requested(&gitrepo(c, "repo").await), None, "neither a bad signature nor a ping asks for a reconcile");
    let ok = call(format!("sha256={}", hmac_hex("t0ken", &body)), "push").await.unwrap();
    assert_eq!(ok.status(), 200);
    let at = requested(&gitrepo(c, "repo").await).expect("requestedAt set");
    // The GitRepository controller handles the request at once (its interval is an hour).
    wait_for(c, "GitRepository", "repo", "the webhook's reconcile", |o| {
        o["status"]["lastHandledReconcileAt"] == at.as_str()
    })
    .await;
    let metrics = glidepath::controller::Metrics::new().encode();
    for code in ["200", "400", "404"] {
        let line = format!(
            r#"gotk_receiver_http_request_duration_seconds_count{{handler="/hook/",method="POST",code="{code}"}}"#
        );
        assert!(metrics.contains(&line), "{line} in:\n{metrics}");
    }
    env.sandbox.shutdown().await.unwrap();
}

async fn wait_receiver(c: &kube::Client) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(c, "notification.toolkit.fluxcd.io/v1", "Receiver", Some(NS), "github").await.unwrap();
        if r["status"]["webhookPath"].as_str().is_some_and(|p| p.starts_with("/hook/")) {
            return r;
        }
        assert!(tokio::time::Instant::now() < deadline, "receiver never ready: {}", r["status"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Canary events go out in Flux's format too, so an Alert can select a Canary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_events_reach_an_alert_on_the_canary() {
    let env = support::env().await;
    let (url, calls) = target().await;
    let c = &env.client;
    let (sink, inbox) = glidepath::notification::event::queue();
    let settings = glidepath::sync::Settings {
        git: false,
        kustomize: false,
        notification: true,
        events: sink.clone(),
        inbox,
        notification_addr: loopback(),
        ..Default::default()
    };
    let sync = glidepath::sync::start(c.clone(), settings).unwrap();
    apply(c, &json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Provider",
        "metadata": {"name": "plain", "namespace": "test"}, "spec": {"type": "generic", "address": format!("{url}/x")}}), "test").await;
    apply(
        c,
        &json!({"apiVersion": "notification.toolkit.fluxcd.io/v1beta3", "kind": "Alert",
        "metadata": {"name": "canaries", "namespace": "test"},
        "spec": {"providerRef": {"name": "plain"}, "eventSources": [{"kind": "Canary", "name": "*"}],
            "inclusionList": ["^probe", "^Initialization done"]}}),
        "test",
    )
    .await;
    // A probe through the event server until it is delivered: then the Alert is cached, and
    // the controller's one initialization event cannot miss it.
    let addr = sync.context.notification_listeners.events_addr.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    for n in 0.. {
        let probe = json!({"involvedObject": {"kind": "Canary", "namespace": "test", "name": "probe",
            "apiVersion": "flagger.app/v1beta1"}, "severity": "info", "timestamp": "2026-12-06T00:00:00Z",
            "message": format!("probe {n}"), "reason": "Synced", "reportingController": "flagger"});
        reqwest::Client::new().post(format!("http://{addr}/")).json(&probe).send().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        if !calls.lock().unwrap().is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "probe never delivered");
    }
    calls.lock().unwrap().clear();
    support::apply(c, &support::deployment("podinfo:1")).await;
    support::apply(c, &support::kubernetes_canary(support::hooked_analysis(&env.hooks, 1))).await;
    let settings = glidepath::controller::Settings { events: sink, ..support::settings() };
    let controller = glidepath::controller::Controller::start(c.clone(), settings).await.unwrap();
    // Late probes may still arrive: wait for the canary's own event.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let (headers, _, event) = loop {
        let found = calls.lock().unwrap().iter().find(|(_, _, e)| e["involvedObject"]["name"] == "podinfo").cloned();
        if let Some(call) = found {
            break call;
        }
        assert!(tokio::time::Instant::now() < deadline, "the canary's initialization event never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(headers["gotk-component"], "flagger");
    assert_eq!(event["involvedObject"]["kind"], "Canary");
    assert_eq!(event["involvedObject"]["apiVersion"], "flagger.app/v1beta1");
    assert!(event["message"].as_str().unwrap().starts_with("Initialization done!"), "{event}");
    controller.shutdown().await;
    env.sandbox.shutdown().await.unwrap();
}
