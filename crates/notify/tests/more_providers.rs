//! Sentry, Zulip, Datadog, incident.io, GitHub dispatch and the change-request comment providers
//! against a loopback server: method, path, auth header, golden body, skipped events, rejections.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{Recorded, Server, TOKEN, assert_fixture, config, event, rule};
use glidepath_notify::{Event, NotifyError, ProviderConfig, Severity, notifier};
use serde_json::Value;

async fn post(cfg: &ProviderConfig, e: &Event) {
    notifier(cfg).unwrap().post(e).await.unwrap();
}

/// A 500 answer that echoes the secrets: the error is a rejection that shows none of them.
async fn assert_rejected_cleanly(cfg: &ProviderConfig, secrets: &[&str]) {
    let err = notifier(cfg).unwrap().post(&event(Severity::Error)).await.unwrap_err();
    assert_eq!(err.status(), Some(500), "{}: {err}", cfg.provider_type);
    let text = format!("{err} {err:?}");
    for s in secrets {
        assert!(!text.contains(s), "{}: error shows {s:?}: {text}", cfg.provider_type);
    }
}

fn echo_server_rules(secret: &str) -> Vec<common::Rule> {
    let body = format!(r#"{{"error":"bad key {secret}"}}"#);
    vec![rule("POST", "/", 500, &body)]
}

/// The envelope's lines: header, item header, payload.
fn envelope(r: &Recorded) -> (Value, Value, Value) {
    let text = String::from_utf8(r.body.clone()).unwrap();
    let lines: Vec<&str> = text.trim_end_matches('\n').split('\n').collect();
    assert_eq!(lines.len(), 3, "{text}");
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    assert_eq!(parse(lines[1])["length"].as_u64(), Some(lines[2].len() as u64));
    (parse(lines[0]), parse(lines[1]), parse(lines[2]))
}

fn is_hex(v: &Value, len: usize) -> bool {
    v.as_str().is_some_and(|s| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The payload without its random ids and the crate version.
fn stable(mut payload: Value) -> Value {
    let obj = payload.as_object_mut().unwrap();
    assert!(is_hex(&obj.remove("event_id").unwrap(), 32));
    assert_eq!(obj.remove("sdk").unwrap()["name"], "glidepath-notify");
    if let Some(trace) = payload.pointer_mut("/contexts/trace").and_then(Value::as_object_mut) {
        assert!(is_hex(&trace.remove("trace_id").unwrap(), 32) && is_hex(&trace.remove("span_id").unwrap(), 16));
    }
    if let Some(span) = payload.pointer_mut("/spans/0").and_then(Value::as_object_mut) {
        assert!(is_hex(&span.remove("trace_id").unwrap(), 32) && is_hex(&span.remove("span_id").unwrap(), 16));
    }
    payload
}

fn sentry_config(srv: &Server) -> ProviderConfig {
    let host = srv.base.trim_start_matches("http://");
    let mut cfg = config("sentry", &format!("http://{TOKEN}@{host}/sentry/42"));
    cfg.token = String::new();
    cfg.channel = "production".into();
    cfg
}

#[tokio::test]
async fn sentry_sends_errors_as_events_to_the_envelope_endpoint() {
    let srv = Server::start(vec![]).await;
    post(&sentry_config(&srv), &event(Severity::Error)).await;
    let r = srv.single();
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "/sentry/api/42/envelope/"));
    let auth = r.header("x-sentry-auth").unwrap();
    assert!(auth.starts_with("Sentry sentry_version=7, sentry_client=glidepath-notify/"), "{auth}");
    assert!(auth.ends_with(&format!(", sentry_key={TOKEN}")), "{auth}");
    assert_eq!(r.header("content-type"), Some("application/x-sentry-envelope"));
    let (header, item, payload) = envelope(&r);
    assert_eq!(header["event_id"], payload["event_id"]);
    assert_eq!(item["type"], "event");
    assert_fixture("sentry-error.json", &stable(payload));
}

#[tokio::test]
async fn sentry_sends_info_as_a_transaction_and_skips_trace() {
    let srv = Server::start(vec![]).await;
    let cfg = sentry_config(&srv);
    post(&cfg, &event(Severity::Info)).await;
    let mut trace = event(Severity::Info);
    trace.severity = Severity::Trace;
    post(&cfg, &trace).await;
    let r = srv.single();
    let (_, item, payload) = envelope(&r);
    assert_eq!(item["type"], "transaction");
    assert_eq!(payload["contexts"]["trace"]["span_id"], payload["spans"][0]["span_id"]);
    assert_fixture("sentry-transaction.json", &stable(payload));
}

#[tokio::test]
async fn sentry_errors_never_show_the_dsn_key() {
    let srv = Server::start(echo_server_rules(TOKEN)).await;
    let cfg = sentry_config(&srv);
    let address = cfg.address.clone();
    assert_rejected_cleanly(&cfg, &[TOKEN, &address]).await;
    // A DSN without a key or project fails at creation without repeating it.
    for bad in [format!("{}/42", srv.base), format!("http://{TOKEN}@example.invalid/")] {
        let err = notifier(&config("sentry", &bad)).err().unwrap();
        assert!(matches!(err, NotifyError::CreateInvalidConfig { .. }), "{err:?}");
        assert!(!err.to_string().contains(TOKEN) && !err.to_string().contains(&bad), "{err}");
    }
}

#[tokio::test]
async fn zulip_posts_a_form_with_basic_auth() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("zulip", &format!("{}/ignored?x=1", srv.base));
    cfg.token = String::new();
    cfg.channel = "flux/alerts".into();
    cfg.username = "bot@zulip.example".into();
    cfg.password = "api-key".into();
    let mut e = event(Severity::Error);
    e.metadata.insert("change_request".into(), "42".into());
    post(&cfg, &e).await;
    let r = srv.single();
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "/api/v1/messages?x=1"));
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(r.header("authorization"), Some("Basic Ym90QHp1bGlwLmV4YW1wbGU6YXBpLWtleQ=="));
    let body = String::from_utf8(r.body.clone()).unwrap();
    let keys: Vec<&str> = body.split('&').map(|kv| kv.split('=').next().unwrap()).collect();
    assert_eq!(keys, ["content", "to", "topic", "type"], "Go's sorted url.Values");
    let form: serde_json::Map<String, Value> = body
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), Value::String(decode(v)))
        })
        .collect();
    assert_fixture("zulip.json", &Value::Object(form));
    // A channel without a topic is a config error.
    cfg.channel = "flux".into();
    assert!(matches!(notifier(&cfg).err(), Some(NotifyError::CreateInvalidConfig { .. })));
}

fn decode(v: &str) -> String {
    let bytes = v.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn datadog_creates_an_event_with_the_api_key() {
    let srv = Server::start(vec![]).await;
    post(&config("datadog", &format!("{}/some/path", srv.base)), &event(Severity::Error)).await;
    let r = srv.single();
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "/api/v1/events"));
    assert_eq!(r.header("dd-api-key"), Some(TOKEN));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_fixture("datadog.json", &r.json());

    let srv = Server::start(echo_server_rules(TOKEN)).await;
    let cfg = config("datadog", &srv.base);
    assert_rejected_cleanly(&cfg, &[TOKEN]).await;
    // The token is required; the address is not.
    let mut cfg = config("datadog", "");
    assert!(notifier(&cfg).is_ok());
    cfg.token.clear();
    assert!(matches!(notifier(&cfg).err(), Some(NotifyError::CreateInvalidConfig { .. })));
}

#[tokio::test]
async fn incidentio_fires_and_resolves_by_object_uid_and_skips_progressing() {
    let srv = Server::start(vec![]).await;
    let cfg = config("incident.io", &format!("{}/v2/alert_events/http/01ABC", srv.base));
    post(&cfg, &event(Severity::Error)).await;
    let mut progressing = event(Severity::Info);
    progressing.reason = "Progressing".into();
    post(&cfg, &progressing).await;
    let r = srv.single();
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "/v2/alert_events/http/01ABC"));
    assert_eq!(r.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_fixture("incidentio.json", &r.json());

    let srv = Server::start(vec![]).await;
    post(&config("incident.io", &srv.base), &event(Severity::Info)).await;
    assert_eq!(srv.single().json()["status"], "resolved");

    let srv = Server::start(echo_server_rules(TOKEN)).await;
    assert_rejected_cleanly(&config("incident.io", &srv.base), &[TOKEN]).await;
}

#[tokio::test]
async fn githubdispatch_sends_a_repository_dispatch_and_skips_commit_status_updates() {
    let srv = Server::start(vec![rule("POST", "/dispatches", 204, "")]).await;
    let cfg = config("githubdispatch", &format!("{}/fluxcd/podinfo.git", srv.base));
    let e = event(Severity::Info);
    post(&cfg, &e).await;
    let mut update = event(Severity::Info);
    update.metadata.insert("commit_status".into(), "update".into());
    post(&cfg, &update).await;
    let r = srv.single();
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "/api/v3/repos/fluxcd/podinfo/dispatches"));
    assert_eq!(r.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(r.header("accept"), Some("application/vnd.github.v3+json"));
    let body = r.json();
    assert_eq!(serde_json::from_value::<Event>(body["client_payload"].clone()).unwrap(), e);
    assert_fixture("githubdispatch.json", &body);

    let srv = Server::start(echo_server_rules(TOKEN)).await;
    assert_rejected_cleanly(&config("githubdispatch", &format!("{}/o/r", srv.base)), &[TOKEN]).await;
}

#[tokio::test]
async fn zulip_and_sentry_skip_nothing_else() {
    // Flux applies no commit-status rule to these two.
    let srv = Server::start(vec![]).await;
    let mut e = event(Severity::Error);
    e.metadata.insert("commit_status".into(), "update".into());
    post(&sentry_config(&srv), &e).await;
    let mut cfg = config("zulip", &srv.base);
    cfg.channel = "a/b".into();
    post(&cfg, &e).await;
    assert_eq!(srv.requests().len(), 2);
}

fn pr_event(severity: Severity) -> Event {
    let mut e = event(severity);
    e.metadata.insert("change_request".into(), "7".into());
    e
}

#[tokio::test]
async fn github_pr_comment_is_created_then_edited_by_its_marker() {
    let marker = format!("<!-- flux-pr-comment-key:{}/Kustomization/flux-system/apps -->", common::PROVIDER_UID);
    let comments = format!(
        r#"[{{"id":1,"user":{{"login":"someone"}},"body":"{marker}"}},{{"id":99,"user":{{"login":"flux-bot"}},"body":"old\n{marker}"}}]"#
    );
    let user = rule("GET", "/api/v3/user", 200, r#"{"login":"flux-bot"}"#);
    // No comment of ours yet: POST a new one.
    let srv = Server::start(vec![user.clone(), rule("GET", "/comments", 200, "[]")]).await;
    let cfg = config("githubpullrequestcomment", &format!("{}/fluxcd/podinfo", srv.base));
    post(&cfg, &pr_event(Severity::Error)).await;
    let all = srv.requests();
    let calls: Vec<String> = all.iter().map(|r| format!("{} {}", r.method, r.uri)).collect();
    assert_eq!(
        calls,
        [
            "GET /api/v3/repos/fluxcd/podinfo/issues/7/comments?direction=asc&per_page=100&sort=created",
            "GET /api/v3/user",
            "POST /api/v3/repos/fluxcd/podinfo/issues/7/comments",
        ]
    );
    assert!(all.iter().all(|r| r.header("authorization") == Some(format!("Bearer {TOKEN}").as_str())));
    assert_fixture("githubpullrequestcomment.json", &all[2].json());

    // Our comment exists (another user's with the same marker is ignored): PATCH it.
    let srv = Server::start(vec![user, rule("GET", "/comments", 200, &comments.replace('\n', "\\n"))]).await;
    let cfg = config("githubpullrequestcomment", &format!("{}/fluxcd/podinfo", srv.base));
    post(&cfg, &pr_event(Severity::Info)).await;
    let last = srv.requests().pop().unwrap();
    assert_eq!((last.method.as_str(), last.uri.as_str()), ("PATCH", "/api/v3/repos/fluxcd/podinfo/issues/comments/99"));
    assert!(last.json()["body"].as_str().unwrap().starts_with(&format!("{marker}\n\n## Flux Status\n\nℹ️ ")));

    // Without a pull request number the event cannot be sent; a UID is required.
    let err = notifier(&cfg).unwrap().post(&event(Severity::Info)).await.unwrap_err();
    assert!(matches!(err, NotifyError::ReadEvent { .. }), "{err:?}");
    let mut cfg = cfg;
    cfg.provider_uid.clear();
    assert!(matches!(notifier(&cfg).err(), Some(NotifyError::CreateInvalidConfig { .. })));
}

#[tokio::test]
async fn gitlab_mr_comment_uses_notes_and_the_private_token() {
    let marker = format!("<!-- flux-mr-comment-key:{}/Kustomization/flux-system/apps -->", common::PROVIDER_UID);
    let notes = format!(r#"[{{"id":5,"author":{{"username":"flux-bot"}},"body":"{marker}"}}]"#);
    let user = rule("GET", "/api/v4/user", 200, r#"{"username":"flux-bot"}"#);
    let srv = Server::start(vec![user.clone(), rule("GET", "/notes", 200, "[]")]).await;
    let cfg = config("gitlabmergerequestcomment", &format!("{}/group/sub/project.git", srv.base));
    post(&cfg, &pr_event(Severity::Error)).await;
    let all = srv.requests();
    let calls: Vec<String> = all.iter().map(|r| format!("{} {}", r.method, r.uri)).collect();
    assert_eq!(
        calls,
        [
            "GET /api/v4/projects/group%2Fsub%2Fproject/merge_requests/7/notes?order_by=created_at&per_page=100&sort=asc",
            "GET /api/v4/user",
            "POST /api/v4/projects/group%2Fsub%2Fproject/merge_requests/7/notes",
        ]
    );
    assert!(all.iter().all(|r| r.header("private-token") == Some(TOKEN)));
    assert_fixture("gitlabmergerequestcomment.json", &all[2].json());

    let srv = Server::start(vec![user, rule("GET", "/notes", 200, &notes)]).await;
    post(&config("gitlabmergerequestcomment", &format!("{}/group/project", srv.base)), &pr_event(Severity::Info)).await;
    let last = srv.requests().pop().unwrap();
    assert_eq!(
        (last.method.as_str(), last.uri.as_str()),
        ("PUT", "/api/v4/projects/group%2Fproject/merge_requests/7/notes/5")
    );
}

#[tokio::test]
async fn gitea_pr_comment_uses_issue_comments_and_the_token_header() {
    let marker = format!("<!-- flux-pr-comment-key:{}/Kustomization/flux-system/apps -->", common::PROVIDER_UID);
    let comments = format!(r#"[{{"id":3,"user":{{"login":"flux-bot"}},"body":"{marker}"}}]"#);
    let user = rule("GET", "/api/v1/user", 200, r#"{"login":"flux-bot"}"#);
    let srv = Server::start(vec![user.clone(), rule("GET", "/comments", 200, "[]")]).await;
    post(&config("giteapullrequestcomment", &format!("{}/owner/repo", srv.base)), &pr_event(Severity::Error)).await;
    let all = srv.requests();
    let calls: Vec<String> = all.iter().map(|r| format!("{} {}", r.method, r.uri)).collect();
    assert_eq!(
        calls,
        [
            "GET /api/v1/repos/owner/repo/issues/7/comments?page=1&limit=100",
            "GET /api/v1/user",
            "POST /api/v1/repos/owner/repo/issues/7/comments",
        ]
    );
    assert!(all.iter().all(|r| r.header("authorization") == Some(format!("token {TOKEN}").as_str())));
    assert_eq!(all[2].json(), serde_json::json!({"body": format!("{marker}\n\n{}", zulip_like_body())}));

    let srv = Server::start(vec![user, rule("GET", "/comments", 200, &comments)]).await;
    post(&config("giteapullrequestcomment", &format!("{}/owner/repo", srv.base)), &pr_event(Severity::Info)).await;
    let last = srv.requests().pop().unwrap();
    assert_eq!((last.method.as_str(), last.uri.as_str()), ("PATCH", "/api/v1/repos/owner/repo/issues/comments/3"));
}

/// The Markdown post of the sample error event (the same text Zulip sends).
fn zulip_like_body() -> String {
    let fixture = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zulip.json")).unwrap();
    serde_json::from_str::<Value>(&fixture).unwrap()["content"].as_str().unwrap().to_string()
}
