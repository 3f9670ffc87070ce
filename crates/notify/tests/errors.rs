//! Failures: HTTP errors, timeouts, refused connections and bad configs become `NotifyError`s
//! that never show the address, token, password or proxy. Also the event JSON shape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use std::time::{Duration, Instant};

use common::{Server, TOKEN, assert_fixture, config, event, rule};
use glidepath_notify::{Event, NotifyError, ProviderConfig, ProxyConfig, SUPPORTED_TYPES, Severity, notifier};

/// Every type, pointed at `base`, with what it needs to be built.
fn configs(base: &str) -> Vec<ProviderConfig> {
    SUPPORTED_TYPES
        .iter()
        .map(|t| {
            let address = match *t {
                "bitbucketserver" => format!("{base}/scm/proj/repo.git"),
                "azuredevops" => format!("{base}/org/proj/_git/repo"),
                "bitbucket"
                | "github"
                | "gitlab"
                | "gitea"
                | "githubdispatch"
                | "githubpullrequestcomment"
                | "gitlabmergerequestcomment"
                | "giteapullrequestcomment" => {
                    format!("{base}/owner/repo")
                }
                "sentry" => format!("http://{TOKEN}@{}/42", base.trim_start_matches("http://")),
                _ => format!("{base}/hook/{TOKEN}"),
            };
            let mut cfg = config(t, &address);
            cfg.channel = if *t == "zulip" { "room/topic".into() } else { "room".into() };
            cfg.password = "hunter2-password".into();
            if *t == "bitbucket" {
                cfg.token = format!("user:{TOKEN}");
            }
            cfg
        })
        .collect()
}

/// An error event every type sends (the change-request types need `change_request`).
fn sent_event() -> Event {
    let mut e = event(Severity::Error);
    e.metadata.insert("change_request".into(), "7".into());
    e
}

fn assert_clean(err: &NotifyError, cfg: &ProviderConfig) {
    let text = format!("{err} {err:?}");
    for secret in [cfg.address.as_str(), TOKEN, "hunter2-password", "127.0.0.1"].into_iter().filter(|s| !s.is_empty()) {
        assert!(!text.contains(secret), "{}: error shows {secret:?}: {text}", cfg.provider_type);
    }
}

#[tokio::test]
async fn http_errors_are_rejections_without_secrets() {
    // The server echoes the token and its own host back, as some APIs do.
    let echo = format!(r#"{{"message":"bad token {TOKEN} from 127.0.0.1"}}"#);
    let srv = Server::start(["GET", "POST", "PUT"].into_iter().map(|m| rule(m, "/", 500, &echo)).collect()).await;
    for cfg in configs(&srv.base) {
        let err = notifier(&cfg).unwrap().post(&sent_event()).await.unwrap_err();
        assert_eq!(err.status(), Some(500), "{}: {err}", cfg.provider_type);
        assert!(err.to_string().contains("*****"), "{}: {err}", cfg.provider_type);
        assert_clean(&err, &cfg);
    }
}

#[tokio::test]
async fn client_errors_are_rejections_too() {
    let srv = Server::start(vec![rule("POST", "/", 403, "forbidden")]).await;
    let cfg = config("generic", &srv.base);
    let err = notifier(&cfg).unwrap().post(&event(Severity::Info)).await.unwrap_err();
    assert!(matches!(&err, NotifyError::RequestRejected { status: 403, body, .. } if body == "forbidden"), "{err:?}");
}

#[tokio::test]
async fn the_timeout_is_honoured() {
    let srv = Server::start_with_delay(vec![], Duration::from_secs(3)).await;
    for mut cfg in configs(&srv.base).into_iter().take(4) {
        cfg.timeout = Duration::from_millis(200);
        let started = Instant::now();
        let err = notifier(&cfg).unwrap().post(&sent_event()).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "{}: took {:?}", cfg.provider_type, started.elapsed());
        assert!(err.is_timeout(), "{}: {err:?}", cfg.provider_type);
        assert_clean(&err, &cfg);
    }
}

#[tokio::test]
async fn refused_connections_do_not_show_the_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    for cfg in configs(&base) {
        let err = tokio::time::timeout(Duration::from_secs(5), notifier(&cfg).unwrap().post(&sent_event()))
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, NotifyError::SendRequest { timeout: false, .. }), "{}: {err:?}", cfg.provider_type);
        assert_clean(&err, &cfg);
    }
}

#[test]
fn bad_configs_fail_at_creation_without_secrets() {
    let bad = |kind: &str, f: &dyn Fn(&mut ProviderConfig)| {
        let mut cfg = config(kind, &format!("https://hooks.example.invalid/{TOKEN}"));
        f(&mut cfg);
        let err = notifier(&cfg).err().unwrap_or_else(|| panic!("{kind}: built"));
        assert_clean(&err, &cfg);
        err
    };
    assert!(matches!(bad("nats", &|_| {}), NotifyError::CreateUnsupportedType(t) if t == "nats"));
    assert!(matches!(
        bad("slack", &|c| c.address = format!("not a url {TOKEN}")),
        NotifyError::CreateInvalidConfig { .. }
    ));
    assert!(matches!(bad("generic", &|c| c.address.clear()), NotifyError::CreateInvalidConfig { .. }));
    assert!(matches!(bad("generic-hmac", &|c| c.token.clear()), NotifyError::CreateInvalidConfig { .. }));
    assert!(matches!(bad("github", &|c| c.token.clear()), NotifyError::CreateInvalidConfig { .. }));
    assert!(matches!(bad("bitbucket", &|_| {}), NotifyError::CreateInvalidConfig { .. }), "token without ':'");
    assert!(matches!(bad("azuredevops", &|_| {}), NotifyError::CreateInvalidConfig { .. }), "not an _git path");
    assert!(matches!(bad("bitbucketserver", &|_| {}), NotifyError::CreateInvalidConfig { .. }), "no /scm/");
    let garbage = |c: &mut ProviderConfig| {
        c.ca_pem = Some(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n".to_vec())
    };
    assert!(matches!(bad("generic", &garbage), NotifyError::CreateClient { .. }));
    assert!(matches!(bad("generic", &|c| c.client_cert_pem = Some(b"x".to_vec())), NotifyError::CreateClient { .. }));
    let proxy =
        |c: &mut ProviderConfig| c.proxy = Some(ProxyConfig { url: format!("::{TOKEN}"), ..Default::default() });
    assert!(matches!(bad("generic", &proxy), NotifyError::CreateClient { .. }));
}

#[test]
fn debug_output_hides_secrets() {
    let mut cfg = config("generic", &format!("https://hooks.example.invalid/{TOKEN}"));
    cfg.password = "hunter2-password".into();
    cfg.proxy = Some(ProxyConfig { url: "http://proxy.invalid".into(), username: None, password: Some("pp".into()) });
    let text = format!("{cfg:?}");
    assert!(!text.contains(TOKEN) && !text.contains("hunter2") && !text.contains("proxy.invalid"), "{text}");
}

#[test]
fn event_json_matches_flux() {
    let e = event(Severity::Info);
    let json = serde_json::to_value(&e).unwrap();
    assert_fixture("event.json", &json);
    // Empty optional fields are omitted, as Go's omitempty does.
    let mut bare = e.clone();
    bare.metadata.clear();
    bare.reporting_instance.clear();
    bare.involved_object.uid.clear();
    let v = serde_json::to_value(&bare).unwrap();
    assert!(v.get("metadata").is_none() && v.get("reportingInstance").is_none());
    assert!(v["involvedObject"].get("uid").is_none() && v["involvedObject"].get("fieldPath").is_none());
    // A Flux event decodes, unknown severities do not.
    let flux = r#"{"involvedObject":{"kind":"GitRepository","namespace":"flux-system","name":"podinfo",
        "uid":"u","apiVersion":"source.toolkit.fluxcd.io/v1"},"severity":"error","timestamp":"2026-01-02T03:04:05Z",
        "message":"m","reason":"GitOperationFailed","reportingController":"source-controller"}"#;
    let decoded: Event = serde_json::from_str(flux).unwrap();
    assert_eq!(decoded.severity, Severity::Error);
    assert_eq!(decoded.involved_object.group(), "source.toolkit.fluxcd.io");
    assert!(serde_json::from_str::<Event>(&flux.replace("\"error\"", "\"fatal\"")).is_err());
}

#[test]
fn metadata_helpers_and_default_commit_status_id() {
    let mut e = event(Severity::Info);
    e.metadata.insert("kustomize.toolkit.fluxcd.io/token".into(), "t".into());
    assert!(e.has_metadata("revision") && e.has_metadata("token") && !e.has_metadata("commit"));
    assert_eq!(e.metadata_value("token"), Some("t"));
    assert!(!e.is_commit_status_update());
    e.metadata.insert("kustomize.toolkit.fluxcd.io/commit_status".into(), "update".into());
    assert!(e.is_commit_status_update());
    assert_eq!(glidepath_notify::default_commit_status_id(common::PROVIDER_UID, &e), "kustomization/apps/0c9c2e41");
}
