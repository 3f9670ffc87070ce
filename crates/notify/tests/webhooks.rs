//! Chat, webhook and alerting providers against a loopback server: method, path, headers and
//! the golden JSON body per type.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{Server, TOKEN, assert_fixture, config, event, rule};
use glidepath_notify::{Event, ProxyConfig, Severity, hex, hmac_sha256, notifier};

async fn post(cfg: &glidepath_notify::ProviderConfig, e: &Event) {
    let n = notifier(cfg).unwrap();
    n.post(e).await.unwrap();
}

#[tokio::test]
async fn generic_posts_the_event_with_component_and_custom_headers() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("generic", &format!("{}/hook", srv.base));
    cfg.token = String::new();
    cfg.headers.insert("X-Team".into(), "platform".into());
    let e = event(Severity::Info);
    post(&cfg, &e).await;
    let r = srv.single();
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "/hook"));
    assert_eq!(r.header("gotk-component"), Some("kustomize-controller"));
    assert_eq!(r.header("x-team"), Some("platform"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("x-signature").is_none());
    assert_fixture("generic.json", &r.json());
    assert_eq!(serde_json::from_slice::<Event>(&r.body).unwrap(), e);
}

#[tokio::test]
async fn generic_hmac_signs_the_exact_body() {
    let srv = Server::start(vec![]).await;
    post(&config("generic-hmac", &srv.base), &event(Severity::Error)).await;
    let r = srv.single();
    let want = format!("sha256={}", hex(&hmac_sha256(TOKEN.as_bytes(), &r.body)));
    assert_eq!(r.header("x-signature"), Some(want.as_str()));
    assert_eq!(r.header("gotk-component"), Some("kustomize-controller"));
    assert_fixture("generic-hmac.json", &r.json());
}

#[tokio::test]
async fn slack_incoming_webhook() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("slack", &format!("{}/services/T0/B0/XXX", srv.base));
    cfg.token = String::new();
    cfg.channel = "#flux".into();
    post(&cfg, &event(Severity::Error)).await;
    let r = srv.single();
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", "/services/T0/B0/XXX"));
    assert!(r.header("authorization").is_none());
    assert_fixture("slack.json", &r.json());
}

#[tokio::test]
async fn slack_bot_token_checks_the_api_answer() {
    let srv = Server::start(vec![rule("POST", "/api/chat.postMessage", 200, r#"{"ok":true}"#)]).await;
    let mut cfg = config("slack", &format!("{}/api/chat.postMessage", srv.base));
    cfg.channel = "C0123".into();
    cfg.username = "flux".into();
    post(&cfg, &event(Severity::Info)).await;
    let r = srv.single();
    assert_eq!(r.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_fixture("slack-bot.json", &r.json());

    let srv =
        Server::start(vec![rule("POST", "/api/chat.postMessage", 200, r#"{"ok":false,"error":"channel_not_found"}"#)])
            .await;
    let mut cfg = config("slack", &format!("{}/api/chat.postMessage", srv.base));
    cfg.channel = "C0123".into();
    let err = notifier(&cfg).unwrap().post(&event(Severity::Info)).await.unwrap_err();
    assert!(err.to_string().contains("channel_not_found"), "{err}");
}

#[tokio::test]
async fn msteams_workflows_get_an_adaptive_card() {
    let srv = Server::start(vec![]).await;
    post(
        &config("msteams", &format!("{}/workflows/abc/triggers/manual/paths/invoke", srv.base)),
        &event(Severity::Error),
    )
    .await;
    let r = srv.single();
    assert_eq!(r.method, "POST");
    assert_fixture("msteams-adaptive.json", &r.json());
}

/// The legacy connector is chosen by host, so the request goes through a proxy (the loopback
/// server) — which also checks the proxy settings are used.
#[tokio::test]
async fn msteams_office_webhooks_get_a_message_card_through_the_proxy() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("msteams", "http://contoso.webhook.office.com/webhookb2/abc");
    cfg.proxy = Some(ProxyConfig { url: srv.base.clone(), username: Some("px".into()), password: Some("pw".into()) });
    post(&cfg, &event(Severity::Info)).await;
    let r = srv.single();
    assert_eq!(r.uri, "http://contoso.webhook.office.com/webhookb2/abc");
    assert_eq!(r.header("proxy-authorization"), Some("Basic cHg6cHc="));
    assert_fixture("msteams-messagecard.json", &r.json());
}

#[tokio::test]
async fn discord_posts_to_the_slack_compatible_path() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("discord", &format!("{}/api/webhooks/123/abc", srv.base));
    cfg.username = "flux".into();
    cfg.channel = "general".into();
    post(&cfg, &event(Severity::Info)).await;
    let r = srv.single();
    assert_eq!(r.uri, "/api/webhooks/123/abc/slack");
    assert_fixture("discord.json", &r.json());
    // An address that already ends in /slack is kept.
    let srv = Server::start(vec![]).await;
    post(&config("discord", &format!("{}/api/webhooks/123/abc/slack", srv.base)), &event(Severity::Info)).await;
    assert_eq!(srv.single().uri, "/api/webhooks/123/abc/slack");
}

#[tokio::test]
async fn rocket_uses_the_slack_payload_without_a_token() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("rocket", &format!("{}/hooks/abc", srv.base));
    cfg.channel = "#ops".into();
    post(&cfg, &event(Severity::Error)).await;
    let r = srv.single();
    assert!(r.header("authorization").is_none());
    assert_fixture("rocket.json", &r.json());
}

#[tokio::test]
async fn googlechat_card() {
    let srv = Server::start(vec![]).await;
    post(&config("googlechat", &format!("{}/v1/spaces/AAA/messages?key=k", srv.base)), &event(Severity::Error)).await;
    let r = srv.single();
    assert_eq!(r.uri, "/v1/spaces/AAA/messages?key=k");
    assert_fixture("googlechat.json", &r.json());
    // Progressing events are skipped.
    let mut e = event(Severity::Info);
    e.reason = "Progressing".into();
    post(&config("googlechat", &srv.base), &e).await;
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test]
async fn webex_markdown_to_the_room() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("webex", &format!("{}/v1/messages", srv.base));
    cfg.channel = "room-1".into();
    post(&cfg, &event(Severity::Info)).await;
    let r = srv.single();
    assert_eq!(r.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_fixture("webex.json", &r.json());
}

#[tokio::test]
async fn telegram_send_message_with_the_token_in_the_path() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("telegram", &srv.base);
    cfg.channel = "-100123".into();
    post(&cfg, &event(Severity::Error)).await;
    let r = srv.single();
    assert_eq!((r.method.as_str(), r.uri.as_str()), ("POST", format!("/bot{TOKEN}/sendMessage").as_str()));
    assert_fixture("telegram.json", &r.json());
    // `<chat>:<thread>` posts to a forum topic.
    let srv = Server::start(vec![]).await;
    let mut cfg = config("telegram", &srv.base);
    cfg.channel = "-100123:42".into();
    post(&cfg, &event(Severity::Info)).await;
    let body = srv.single().json();
    assert_eq!((body["chat_id"].as_str(), body["message_thread_id"].as_str()), (Some("-100123"), Some("42")));
}

#[tokio::test]
async fn lark_interactive_card() {
    let srv = Server::start(vec![]).await;
    post(&config("lark", &format!("{}/open-apis/bot/v2/hook/abc", srv.base)), &event(Severity::Info)).await;
    assert_fixture("lark.json", &srv.single().json());
}

#[tokio::test]
async fn matrix_puts_an_idempotent_room_message() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("matrix", &srv.base);
    cfg.channel = "!room:example.org".into();
    let e = event(Severity::Info);
    post(&cfg, &e).await;
    post(&cfg, &e).await;
    let all = srv.requests();
    let r = &all[0];
    assert_eq!(r.method, "PUT");
    let txn = r.uri.strip_prefix("/_matrix/client/r0/rooms/!room:example.org/send/m.room.message/").unwrap();
    assert!(txn.len() == 40 && txn.bytes().all(|b| b.is_ascii_hexdigit()), "{txn}");
    assert_eq!(all[1].uri, r.uri, "the same event gets the same transaction id");
    assert_eq!(r.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_fixture("matrix.json", &r.json());
}

#[tokio::test]
async fn alertmanager_firing_alert() {
    let srv = Server::start(vec![]).await;
    post(&config("alertmanager", &format!("{}/api/v2/alerts", srv.base)), &event(Severity::Error)).await;
    let r = srv.single();
    assert_eq!(r.uri, "/api/v2/alerts");
    assert_fixture("alertmanager.json", &r.json());
}

#[tokio::test]
async fn opsgenie_alert_with_genie_key() {
    let srv = Server::start(vec![]).await;
    post(&config("opsgenie", &format!("{}/v2/alerts", srv.base)), &event(Severity::Error)).await;
    let r = srv.single();
    assert_eq!(r.header("authorization"), Some(format!("GenieKey {TOKEN}").as_str()));
    assert_fixture("opsgenie.json", &r.json());
}

#[tokio::test]
async fn pagerduty_triggers_on_error_and_resolves_with_a_change_event_on_info() {
    let srv = Server::start(vec![]).await;
    let mut cfg = config("pagerduty", &format!("{}/ignored/path", srv.base));
    cfg.channel = "routing-key-1".into();
    post(&cfg, &event(Severity::Error)).await;
    let r = srv.single();
    assert_eq!(r.uri, "/v2/enqueue");
    assert_fixture("pagerduty-trigger.json", &r.json());

    let srv = Server::start(vec![]).await;
    cfg.address = srv.base.clone();
    post(&cfg, &event(Severity::Info)).await;
    let all = srv.requests();
    assert_eq!(all.iter().map(|r| r.uri.as_str()).collect::<Vec<_>>(), ["/v2/enqueue", "/v2/change/enqueue"]);
    assert_fixture("pagerduty-resolve.json", &all[0].json());
    assert_fixture("pagerduty-change.json", &all[1].json());
}

#[tokio::test]
async fn grafana_annotation_with_token_or_basic_auth() {
    let srv = Server::start(vec![]).await;
    post(&config("grafana", &format!("{}/api/annotations", srv.base)), &event(Severity::Info)).await;
    let r = srv.single();
    assert_eq!(r.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_fixture("grafana.json", &r.json());

    let srv = Server::start(vec![]).await;
    let mut cfg = config("grafana", &format!("{}/api/annotations", srv.base));
    cfg.token = String::new();
    cfg.username = "admin".into();
    cfg.password = "pw".into();
    post(&cfg, &event(Severity::Info)).await;
    assert_eq!(srv.single().header("authorization"), Some("Basic YWRtaW46cHc="));
}

#[tokio::test]
async fn chat_providers_skip_commit_status_updates_but_generic_does_not() {
    let srv = Server::start(vec![]).await;
    let mut e = event(Severity::Info);
    e.metadata.insert("commit_status".into(), "update".into());
    for kind in
        ["slack", "msteams", "discord", "rocket", "googlechat", "webex", "lark", "alertmanager", "grafana", "opsgenie"]
    {
        post(&config(kind, &srv.base), &e).await;
    }
    assert!(srv.requests().is_empty(), "{:#?}", srv.requests());
    post(&config("generic", &srv.base), &e).await;
    assert_eq!(srv.requests().len(), 1);
}
