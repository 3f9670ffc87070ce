//! Basic auth (the registry's htpasswd mode) and the Bearer token flow (the registry's `silly`
//! mode, whose challenge points at a token server the test runs).

use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use glidepath_oci::{Cause, Credentials, OciError};
use tracing_subscriber::fmt::format::FmtSpan;

use crate::support::{Image, Registry, client, free_port, serve};

const PASSWORD: &str = "s3cret-pw";
/// What the token server issues.
const TOKEN: &str = "tok-xyz-secret";

fn htpasswd_registry() -> Registry {
    Registry::start_with(|dir| {
        let out = std::process::Command::new("htpasswd").args(["-Bbn", "alice", PASSWORD]).output().expect("htpasswd");
        assert!(out.status.success());
        let path = dir.join("htpasswd");
        std::fs::write(&path, out.stdout).unwrap();
        format!("auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n", path.display())
    })
}

/// Every message and Debug rendering of `err`, its sources included.
fn rendered(err: &OciError) -> String {
    let mut text = format!("{err} {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    text
}

#[tokio::test]
async fn basic_auth_from_a_docker_config() {
    let registry = htpasswd_registry();
    let repo = registry.repo("private/app");
    let anonymous = client(Credentials::Anonymous).list_tags(&repo, None).await.unwrap_err();
    assert!(matches!(anonymous.cause(), Some(Cause::Unauthorized { status: 401, .. })), "{anonymous:?}");

    let config =
        format!(r#"{{"auths":{{"http://{}":{{"username":"alice","password":"{PASSWORD}"}}}}}}"#, registry.addr);
    let creds = Credentials::from_dockerconfigjson(config.as_bytes(), &registry.addr).unwrap();
    let client = client(creds);
    let digest = Image::new("basic").push(&client, &repo, "v1").await;
    assert_eq!(client.list_tags(&repo, None).await.unwrap(), ["v1"]);
    assert_eq!(client.head_manifest(&repo, "v1").await.unwrap().digest, digest);
}

#[tokio::test]
async fn a_wrong_password_names_the_registry_and_not_the_password() {
    let registry = htpasswd_registry();
    let repo = registry.repo("private/app");
    let wrong = "wrong-horse-battery";
    let client = client(Credentials::Basic { username: "alice".into(), password: wrong.into() });
    let err = client.list_tags(&repo, None).await.unwrap_err();
    assert!(matches!(err, OciError::ListTags { .. }), "{err:?}");
    assert_eq!(err.status(), Some(401));
    assert!(err.to_string().contains(&registry.addr), "{err}");
    assert!(err.to_string().contains("private/app"), "{err}");
    let text = rendered(&err);
    assert!(!text.contains(wrong) && !text.contains(PASSWORD), "{text}");
    assert!(!format!("{client:?}").contains(wrong));
}

/// What the token server was asked: (query string, Authorization header).
type Asked = Arc<Mutex<Vec<(String, String)>>>;

async fn token_server(field: &'static str) -> (String, Asked) {
    token_server_expiring(field, 300).await
}

async fn token_server_expiring(field: &'static str, expires_in: u64) -> (String, Asked) {
    let asked: Asked = Arc::default();
    let router = axum::Router::new()
        .route(
            "/token",
            get(move |State(asked): State<Asked>, Query(q): Query<Vec<(String, String)>>, headers: HeaderMap| async move {
                let query = q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
                let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                asked.lock().unwrap().push((query, auth));
                axum::Json(serde_json::json!({ field: TOKEN, "expires_in": expires_in }))
            })
            .post(|State(asked): State<Asked>, body: String| async move {
                asked.lock().unwrap().push((body, "POST".into()));
                axum::Json(serde_json::json!({ "access_token": TOKEN }))
            }),
        )
        .with_state(asked.clone());
    let addr = serve(router).await;
    (format!("http://{addr}/token"), asked)
}

fn silly_registry(realm: &str) -> Registry {
    let realm = realm.to_string();
    Registry::start_with(move |_| format!("auth:\n  silly:\n    realm: {realm}\n    service: glidepath-test\n"))
}

#[tokio::test]
async fn bearer_challenges_fetch_a_token_per_scope_with_basic_credentials() {
    let (realm, asked) = token_server("token").await;
    let registry = silly_registry(&realm);
    let repo = registry.repo("demo/app");
    let client = client(Credentials::Basic { username: "bob".into(), password: "pw".into() });

    let digest = Image::new("bearer").push(&client, &repo, "1.0").await;
    assert_eq!(client.list_tags(&repo, None).await.unwrap(), ["1.0"]);
    assert_eq!(client.head_manifest(&repo, "1.0").await.unwrap().digest, digest);
    client.get_manifest(&repo, "1.0").await.unwrap();

    // One token per scope: the push scope once, the pull scope once, then cached.
    let asked = asked.lock().unwrap().clone();
    let basic = "Basic Ym9iOnB3"; // bob:pw
    assert_eq!(
        asked,
        [
            ("service=glidepath-test&scope=repository:demo/app:pull,push".to_string(), basic.to_string()),
            ("service=glidepath-test&scope=repository:demo/app:pull".to_string(), basic.to_string()),
        ]
    );
}

#[tokio::test]
async fn tokens_are_fetched_again_when_they_expire() {
    let (realm, asked) = token_server_expiring("token", 4).await;
    let registry = silly_registry(&realm);
    let repo = registry.repo("demo/app");
    let client = client(Credentials::Anonymous);
    Image::new("expiry").push(&client, &repo, "1").await;
    client.list_tags(&repo, None).await.unwrap();
    client.list_tags(&repo, None).await.unwrap();
    assert_eq!(asked.lock().unwrap().len(), 2, "push and pull scopes, each once");
    // Kept for half of its 4 s life: gone after 2.2 s.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    client.list_tags(&repo, None).await.unwrap();
    assert_eq!(asked.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn access_token_responses_and_anonymous_token_requests_work() {
    let (realm, asked) = token_server("access_token").await;
    let registry = silly_registry(&realm);
    let repo = registry.repo("public");
    let client = client(Credentials::Anonymous);
    let err = client.list_tags(&repo, None).await.unwrap_err();
    // Authenticated but nothing pushed yet: the registry's own 404, not a 401.
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(err.is_not_found());
    assert_eq!(
        asked.lock().unwrap().as_slice(),
        [("service=glidepath-test&scope=repository:public:pull".into(), String::new())]
    );
}

#[tokio::test]
async fn a_token_server_that_is_down_is_a_token_error() {
    let realm = format!("http://127.0.0.1:{}/token", free_port());
    let registry = silly_registry(&realm);
    let repo = registry.repo("demo/app");
    let err = client(Credentials::Basic { username: "bob".into(), password: "hunter22".into() })
        .list_tags(&repo, None)
        .await
        .unwrap_err();
    match &err {
        OciError::FetchToken { registry: r, realm: got, scope, cause: Cause::Connect, .. } => {
            assert_eq!(r, &registry.addr);
            assert_eq!(got, &realm);
            assert_eq!(scope, "repository:demo/app:pull");
        }
        other => panic!("{other:?}"),
    }
    assert!(!rendered(&err).contains("hunter22"));
}

#[tokio::test]
async fn identity_tokens_are_exchanged_by_post_as_refresh_tokens() {
    let (realm, asked) = token_server("token").await;
    let registry = silly_registry(&realm);
    let repo = registry.repo("demo/app");
    let config = format!(r#"{{"auths":{{"{}":{{"identitytoken":"refresh-me"}}}}}}"#, registry.addr);
    let creds = Credentials::from_dockerconfigjson(config.as_bytes(), &registry.addr).unwrap();
    let client = client(creds);
    let err = client.list_tags(&repo, None).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}"); // authenticated; the repository is empty
    assert_eq!(
        asked.lock().unwrap().as_slice(),
        [(
            "grant_type=refresh_token&client_id=glidepath&refresh_token=refresh-me\
             &scope=repository%3Ademo%2Fapp%3Apull&service=glidepath-test"
                .to_string(),
            "POST".to_string()
        )]
    );
}

/// A `tracing` writer into memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Everything the test binary's calls log, from the first test that asks. A global subscriber:
/// a thread-scoped one misses callsites whose interest other test threads cached first.
fn captured_logs() -> &'static Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(captured.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    })
}

#[tokio::test]
async fn spans_name_the_registry_and_outcome_and_never_a_secret() {
    let captured = captured_logs();
    let (realm, _) = token_server("token").await;
    let bearer = silly_registry(&realm);
    let client_with_password = client(Credentials::Basic { username: "bob".into(), password: "pw-in-logs?".into() });
    Image::new("logs").push(&client_with_password, &bearer.repo("demo/app"), "1").await;
    let basic = htpasswd_registry();
    let wrong = client(Credentials::Basic { username: "alice".into(), password: "wrong-in-logs?".into() });
    wrong.list_tags(&basic.repo("private/app"), None).await.unwrap_err();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("oci.call") && logs.contains("oci.token"), "{logs}");
    assert!(logs.contains(&format!("registry={}", bearer.addr)) && logs.contains("repository=demo/app"), "{logs}");
    assert!(logs.contains("outcome=ok"), "{logs}");
    assert!(logs.contains(&format!("registry={}", basic.addr)) && logs.contains("outcome=unauthorized"), "{logs}");
    for secret in ["pw-in-logs?", "wrong-in-logs?", TOKEN, PASSWORD, "Ym9iOnB3LWluLWxvZ3M"] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}

#[tokio::test]
async fn a_token_server_refusing_the_credentials_is_unauthorized_without_them() {
    let router = axum::Router::new().route(
        "/token",
        get(|| async {
            (
                axum::http::StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})),
            )
        }),
    );
    let realm = format!("http://{}/token", serve(router).await);
    let registry = silly_registry(&realm);
    let client = client(Credentials::Basic { username: "bob".into(), password: "refused-pw".into() });
    let err = client.list_tags(&registry.repo("demo/app"), None).await.unwrap_err();
    assert!(matches!(err, OciError::FetchToken { .. }), "{err:?}");
    assert_eq!(err.status(), Some(401));
    assert!(
        err.to_string().contains("UNAUTHORIZED: bad credentials") && err.to_string().contains(&registry.addr),
        "{err}"
    );
    assert!(!rendered(&err).contains("refused-pw"));
}
