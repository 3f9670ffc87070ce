//! Commit-status providers against a loopback server: the API paths, auth headers, golden
//! bodies, state mapping and the duplicate-status skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{SHA, Server, TOKEN, assert_fixture, config, event, rule};
use glidepath_notify::{Severity, notifier};

/// The default context for the sample event and Provider UID.
const CONTEXT: &str = "kustomization/apps/0c9c2e41";

#[tokio::test]
async fn github_lists_then_creates_a_status() {
    let srv = Server::start(vec![rule("GET", "/statuses", 200, "[]")]).await;
    let n = notifier(&config("github", &format!("{}/fluxcd/podinfo.git", srv.base))).unwrap();
    n.post(&event(Severity::Info)).await.unwrap();
    let all = srv.requests();
    assert_eq!(
        all.iter().map(|r| format!("{} {}", r.method, r.uri)).collect::<Vec<_>>(),
        [
            format!("GET /api/v3/repos/fluxcd/podinfo/commits/{SHA}/statuses?per_page=50"),
            format!("POST /api/v3/repos/fluxcd/podinfo/statuses/{SHA}"),
        ]
    );
    assert_eq!(all[1].header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_fixture("github.json", &all[1].json());

    // error → failure
    let srv = Server::start(vec![rule("GET", "/statuses", 200, "[]")]).await;
    let n = notifier(&config("github", &format!("{}/fluxcd/podinfo", srv.base))).unwrap();
    n.post(&event(Severity::Error)).await.unwrap();
    assert_eq!(srv.requests()[1].json()["state"], "failure");
}

#[tokio::test]
async fn github_skips_an_identical_status_and_honours_the_commit_status_expression() {
    let existing = format!(r#"[{{"context":"{CONTEXT}","state":"success","description":"reconciliation succeeded"}}]"#);
    let srv = Server::start(vec![rule("GET", "/statuses", 200, &existing)]).await;
    let n = notifier(&config("github", &format!("{}/o/r", srv.base))).unwrap();
    n.post(&event(Severity::Info)).await.unwrap();
    assert_eq!(srv.requests().len(), 1, "only the GET");

    let mut cfg = config("github", &format!("{}/o/r", srv.base));
    cfg.commit_status = Some("flux/prod/apps".into());
    notifier(&cfg).unwrap().post(&event(Severity::Info)).await.unwrap();
    let all = srv.requests();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].json()["context"], "flux/prod/apps");
}

#[tokio::test]
async fn git_providers_prefer_the_commit_metadata_and_need_a_revision() {
    let srv = Server::start(vec![rule("GET", "/statuses", 200, "[]")]).await;
    let n = notifier(&config("github", &format!("{}/o/r", srv.base))).unwrap();
    let mut e = event(Severity::Info);
    e.metadata.insert("commit".into(), "0123456789abcdef0123456789abcdef01234567".into());
    n.post(&e).await.unwrap();
    assert!(srv.requests()[1].uri.ends_with("/statuses/0123456789abcdef0123456789abcdef01234567"));

    e.metadata.clear();
    let err = n.post(&e).await.unwrap_err();
    assert!(err.to_string().contains("missing revision metadata"), "{err}");
    // Progressing events are skipped without a request.
    let before = srv.requests().len();
    let mut p = event(Severity::Info);
    p.reason = "Progressing".into();
    n.post(&p).await.unwrap();
    assert_eq!(srv.requests().len(), before);
}

#[tokio::test]
async fn gitlab_sets_a_status_on_the_encoded_project() {
    let srv = Server::start(vec![rule("GET", "/statuses", 200, "[]")]).await;
    let n = notifier(&config("gitlab", &format!("{}/group/sub/project.git", srv.base))).unwrap();
    n.post(&event(Severity::Error)).await.unwrap();
    let all = srv.requests();
    assert_eq!(all[0].uri, format!("/api/v4/projects/group%2Fsub%2Fproject/repository/commits/{SHA}/statuses"));
    assert_eq!(
        (all[1].method.as_str(), all[1].uri.as_str()),
        ("POST", format!("/api/v4/projects/group%2Fsub%2Fproject/statuses/{SHA}").as_str())
    );
    assert_eq!(all[1].header("private-token"), Some(TOKEN));
    assert_fixture("gitlab.json", &all[1].json());
}

#[tokio::test]
async fn gitea_creates_a_status() {
    let srv = Server::start(vec![rule("GET", "/statuses", 200, "[]")]).await;
    let n = notifier(&config("gitea", &format!("{}/owner/repo", srv.base))).unwrap();
    n.post(&event(Severity::Info)).await.unwrap();
    let all = srv.requests();
    assert_eq!(all[0].uri, format!("/api/v1/repos/owner/repo/commits/{SHA}/statuses?page=0&limit=50"));
    assert_eq!(all[1].uri, format!("/api/v1/repos/owner/repo/statuses/{SHA}"));
    assert_eq!(all[1].header("authorization"), Some(format!("token {TOKEN}").as_str()));
    assert_fixture("gitea.json", &all[1].json());
}

#[tokio::test]
async fn bitbucket_cloud_build_status_with_basic_auth() {
    let srv = Server::start(vec![rule("GET", "/statuses/build/", 404, r#"{"type":"error"}"#)]).await;
    let mut cfg = config("bitbucket", &format!("{}/owner/repo", srv.base));
    cfg.token = "user:app-password".into();
    notifier(&cfg).unwrap().post(&event(Severity::Info)).await.unwrap();
    let all = srv.requests();
    let key = "534add2e1e94c46fbe0f8e657ba36c652fa8d2dd";
    assert_eq!(all[0].uri, format!("/2.0/repositories/owner/repo/commit/{SHA}/statuses/build/{key}"));
    assert_eq!(all[1].uri, format!("/2.0/repositories/owner/repo/commit/{SHA}/statuses/build"));
    assert_eq!(all[1].header("authorization"), Some("Basic dXNlcjphcHAtcGFzc3dvcmQ="));
    assert_fixture("bitbucket.json", &all[1].json());

    // An identical existing status is not posted again.
    let existing = all[1].json().to_string();
    let srv = Server::start(vec![rule("GET", "/statuses/build/", 200, &existing)]).await;
    cfg.address = format!("{}/owner/repo", srv.base);
    notifier(&cfg).unwrap().post(&event(Severity::Info)).await.unwrap();
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test]
async fn bitbucket_server_build_status_under_the_context_path() {
    let srv = Server::start(vec![rule("GET", "/builds", 404, "{}")]).await;
    let address = format!("{}/bitbucket/scm/proj/repo.git", srv.base);
    notifier(&config("bitbucketserver", &address)).unwrap().post(&event(Severity::Error)).await.unwrap();
    let all = srv.requests();
    let path = format!("/bitbucket/rest/api/latest/projects/proj/repos/repo/commits/{SHA}/builds");
    assert_eq!(all[0].uri, format!("{path}?key=534add2e1e94c46fbe0f8e657ba36c652fa8d2dd"));
    assert_eq!((all[1].method.as_str(), all[1].uri.as_str()), ("POST", path.as_str()));
    assert_eq!(all[1].header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(all[1].header("x-atlassian-token"), Some("no-check"));
    let mut body = all[1].json();
    assert_eq!(body["url"], address.as_str());
    body["url"] = "<address>".into();
    assert_fixture("bitbucketserver.json", &body);
}

#[tokio::test]
async fn azuredevops_status_with_the_fluxcd_genre() {
    let srv = Server::start(vec![rule("GET", "/statuses", 200, r#"{"count":0,"value":[]}"#)]).await;
    let n = notifier(&config("azuredevops", &format!("{}/org/proj/_git/repo", srv.base))).unwrap();
    n.post(&event(Severity::Info)).await.unwrap();
    let all = srv.requests();
    let path = format!("/org/proj/_apis/git/repositories/repo/commits/{SHA}/statuses?api-version=6.0");
    assert_eq!(
        all.iter().map(|r| format!("{} {}", r.method, r.uri)).collect::<Vec<_>>(),
        [format!("GET {path}"), format!("POST {path}")]
    );
    assert_eq!(all[1].header("authorization"), Some("Basic OnMzY3IzdC10MGtlbi12YWx1ZQ=="));
    assert_fixture("azuredevops.json", &all[1].json());

    let existing = format!(
        r#"{{"value":[{{"state":"succeeded","description":"reconciliation succeeded","context":{{"genre":"fluxcd","name":"{CONTEXT}"}}}}]}}"#
    );
    let srv = Server::start(vec![rule("GET", "/statuses", 200, &existing)]).await;
    let n = notifier(&config("azuredevops", &format!("{}/org/proj/_git/repo", srv.base))).unwrap();
    n.post(&event(Severity::Info)).await.unwrap();
    assert_eq!(srv.requests().len(), 1);
}
