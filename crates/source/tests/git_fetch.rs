#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Fetches from real repositories: `file://` and `git http-backend` on 127.0.0.1.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use glidepath_source::{Credentials, FetchOutcome, FetchRequest, GitRef, SourceError, fetch, remote_revision};
use support::{Fixture, GitHttpServer, basic, files, test_pki};

fn req(url: &str, r: GitRef) -> FetchRequest {
    let mut q = FetchRequest::new(url, r);
    q.timeout = Duration::from_secs(30);
    q
}

fn fetched(q: &FetchRequest) -> (String, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("checkout");
    match fetch(q, &dest) {
        Ok(FetchOutcome::Fetched { revision, .. }) => (revision.to_string(), out),
        other => panic!("expected a fetch of {:?}, got {other:?}", q.reference),
    }
}

fn content(dir: &tempfile::TempDir, rel: &str) -> String {
    std::fs::read_to_string(dir.path().join("checkout").join(rel)).unwrap()
}

#[test]
fn file_url_every_ref_kind_gives_flux_revisions() {
    let fx = Fixture::new();
    let url = fx.file_url();
    let cases = [
        (GitRef::Branch("main".into()), format!("main@sha1:{}", fx.c3), "name: v3"),
        (GitRef::Branch("dev".into()), format!("dev@sha1:{}", fx.dev), "name: v1"),
        (GitRef::Tag("v1.0.0".into()), format!("v1.0.0@sha1:{}", fx.c1), "name: v1"),
        (GitRef::Tag("v1.2.0".into()), format!("v1.2.0@sha1:{}", fx.c2), "name: v2"),
        (GitRef::Semver("1.x".into()), format!("v1.2.0@sha1:{}", fx.c2), "name: v2"),
        (GitRef::Semver(">=2.0.0-rc.0".into()), format!("v2.0.0-rc.1@sha1:{}", fx.c3), "name: v3"),
        (GitRef::Name("refs/pull/1/head".into()), format!("refs/pull/1/head@sha1:{}", fx.pr), "name: v2"),
        (GitRef::Name("refs/heads/main".into()), format!("refs/heads/main@sha1:{}", fx.c3), "name: v3"),
        (
            GitRef::Commit { sha: fx.c2.clone(), branch: Some("main".into()) },
            format!("main@sha1:{}", fx.c2),
            "name: v2",
        ),
        (GitRef::Commit { sha: fx.c1.clone(), branch: None }, format!("sha1:{}", fx.c1), "name: v1"),
    ];
    for (reference, want, app) in cases {
        let (rev, dir) = fetched(&req(&url, reference.clone()));
        assert_eq!(rev, want, "{reference:?}");
        assert!(content(&dir, "deploy/app.yaml").contains(app), "{reference:?}");
    }
    let (_, pr) = fetched(&req(&url, GitRef::Name("refs/pull/1/head".into())));
    assert_eq!(content(&pr, "deploy/pr.yaml"), "kind: ConfigMap\nname: pr\n");
    assert!(!pr.path().join("checkout/.git").exists(), "no .git in the checkout");
}

#[test]
fn file_url_checkout_keeps_executable_bit_and_no_git_dir() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    let (_, dir) = fetched(&req(&fx.file_url(), GitRef::Branch("main".into())));
    assert_eq!(files(&dir.path().join("checkout")), ["README.md", "bin/run.sh", "deploy/app.yaml", "logo.png"]);
    let mode = |rel: &str| std::fs::metadata(dir.path().join("checkout").join(rel)).unwrap().permissions().mode();
    assert_ne!(mode("bin/run.sh") & 0o100, 0);
    assert_eq!(mode("README.md") & 0o111, 0);
}

#[test]
fn missing_refs_and_commits_are_named_in_errors() {
    let fx = Fixture::new();
    let url = fx.file_url();
    let out = tempfile::tempdir().unwrap();
    let err = fetch(&req(&url, GitRef::Branch("nope".into())), &out.path().join("a")).unwrap_err();
    assert!(
        matches!(&err, SourceError::ReferenceNotFound { reference, .. } if reference == "refs/heads/nope"),
        "{err}"
    );
    assert_eq!(err.reason(), "GitOperationFailed");
    let err = fetch(&req(&url, GitRef::Semver("9.x".into())), &out.path().join("b")).unwrap_err();
    assert!(matches!(err, SourceError::NoMatchingTag { .. }), "{err}");
    // c3 is on main, not in dev's history.
    let err =
        fetch(&req(&url, GitRef::Commit { sha: fx.c3.clone(), branch: Some("dev".into()) }), &out.path().join("c"))
            .unwrap_err();
    assert!(matches!(err, SourceError::CommitNotFound { .. }), "{err}");
    assert!(!out.path().join("a").exists() && !out.path().join("c").exists(), "nothing written on failure");
}

#[test]
fn invalid_urls_are_url_invalid() {
    for url in ["git@github.com:org/repo.git", "ftp://h/x", "https://", "nonsense"] {
        let err = remote_revision(&req(url, GitRef::default())).unwrap_err();
        assert_eq!(err.reason(), "URLInvalid", "{url}: {err}");
    }
}

#[test]
fn http_fetch_is_shallow_and_unchanged_revision_fetches_nothing() {
    let fx = Fixture::new();
    let server = GitHttpServer::start(&fx.root, None);
    let url = server.url("repo");
    let mut q = req(&url, GitRef::Branch("main".into()));
    let (rev, dir) = fetched(&q);
    assert_eq!(rev, format!("main@sha1:{}", fx.c3));
    assert!(content(&dir, "deploy/app.yaml").contains("v3"));
    assert_eq!(server.fetch_commands(), 1);
    assert!(server.fetch_bodies()[0].contains("deepen 1"), "shallow fetch: {:?}", server.fetch_bodies());

    // Same revision: ls-refs only, nothing fetched, nothing written.
    q.last_observed_revision = Some(rev.clone());
    let out = tempfile::tempdir().unwrap();
    let outcome = fetch(&q, &out.path().join("checkout")).unwrap();
    assert!(matches!(&outcome, FetchOutcome::Unchanged { revision } if revision.to_string() == rev), "{outcome:?}");
    assert_eq!(server.fetch_commands(), 1, "no fetch command for an unchanged remote");
    assert!(!out.path().join("checkout").exists());
    assert_eq!(remote_revision(&q).unwrap().to_string(), rev);

    // A new commit is fetched.
    let c4 = fx.commit_on_main("deploy/new.yaml", "kind: ConfigMap\n");
    let (rev4, dir4) = fetched(&q);
    assert_eq!(rev4, format!("main@sha1:{c4}"));
    assert!(dir4.path().join("checkout/deploy/new.yaml").exists());
    assert_eq!(server.fetch_commands(), 2);
}

#[test]
fn http_ref_kinds_and_semver() {
    let fx = Fixture::new();
    let server = GitHttpServer::start(&fx.root, None);
    let url = server.url("repo");
    let (rev, _) = fetched(&req(&url, GitRef::Semver("~1.0".into())));
    assert_eq!(rev, format!("v1.0.0@sha1:{}", fx.c1), "annotated tag peeled to its commit");
    let (rev, _) = fetched(&req(&url, GitRef::Semver(">=1.0.0 <2.0.0".into())));
    assert_eq!(rev, format!("v1.2.0@sha1:{}", fx.c2));
    let (rev, d) = fetched(&req(&url, GitRef::Name("refs/pull/1/head".into())));
    assert_eq!(rev, format!("refs/pull/1/head@sha1:{}", fx.pr));
    assert!(d.path().join("checkout/deploy/pr.yaml").exists());
    let (rev, d) = fetched(&req(&url, GitRef::Commit { sha: fx.c2.clone(), branch: Some("main".into()) }));
    assert_eq!(rev, format!("main@sha1:{}", fx.c2));
    assert!(content(&d, "deploy/app.yaml").contains("v2"));
    let (rev, _) = fetched(&req(&url, GitRef::Tag("v2.0.0-rc.1".into())));
    assert_eq!(rev, format!("v2.0.0-rc.1@sha1:{}", fx.c3));

    // A pinned commit that was already observed needs no network at all.
    let requests = server.seen.lock().unwrap().len();
    let mut q = req(&url, GitRef::Commit { sha: fx.c2.clone(), branch: Some("main".into()) });
    q.last_observed_revision = Some(format!("main@sha1:{}", fx.c2));
    let outcome = fetch(&q, &tempfile::tempdir().unwrap().path().join("x")).unwrap();
    assert!(matches!(outcome, FetchOutcome::Unchanged { .. }), "{outcome:?}");
    assert_eq!(server.seen.lock().unwrap().len(), requests);
    // Short commit ids are refused with a clear message (go-git needs the full id too).
    let short = GitRef::Commit { sha: fx.c2[..7].to_owned(), branch: Some("main".into()) };
    let err = fetch(&req(&url, short), &tempfile::tempdir().unwrap().path().join("y")).unwrap_err();
    assert!(err.to_string().contains(&fx.c2[..7]) && matches!(err, SourceError::CommitNotFound { .. }), "{err}");
}

#[test]
fn http_basic_auth_and_bearer_token() {
    let fx = Fixture::new();
    let server = GitHttpServer::start(&fx.root, Some(basic("git", "s3cret")));
    let url = server.url("repo");
    let secret = |pairs: &[(&str, &str)]| {
        let data: BTreeMap<String, Vec<u8>> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec())).collect();
        Credentials::from_secret_data(&data).unwrap()
    };
    let mut q = req(&url, GitRef::Branch("main".into()));
    q.credentials = secret(&[("username", "git"), ("password", "s3cret")]);
    let (rev, _) = fetched(&q);
    assert_eq!(rev, format!("main@sha1:{}", fx.c3));

    q.credentials = secret(&[("username", "git"), ("password", "wrong-pass")]);
    let err = fetch(&q, &tempfile::tempdir().unwrap().path().join("x")).unwrap_err();
    assert_eq!(err.reason(), "AuthenticationFailed", "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("wrong-pass"), "secret leaked: {shown}");

    q.credentials = Credentials::default();
    let err = remote_revision(&q).unwrap_err();
    assert_eq!(err.reason(), "AuthenticationFailed", "no credentials: {err:?}");

    let bearer = GitHttpServer::start(&fx.root, Some("Bearer tok-123".into()));
    let mut q = req(&bearer.url("repo"), GitRef::Tag("v1.2.0".into()));
    q.credentials = secret(&[("bearerToken", "tok-123")]);
    assert_eq!(remote_revision(&q).unwrap().to_string(), format!("v1.2.0@sha1:{}", fx.c2));
}

#[test]
fn timeouts_and_unreachable_remotes_fail_fast() {
    // A listener that never answers: the request hangs until the timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/repo", silent.local_addr().unwrap().port());
    let mut q = req(&url, GitRef::default());
    q.timeout = Duration::from_secs(1);
    let start = Instant::now();
    let err = remote_revision(&q).unwrap_err();
    assert!(matches!(err, SourceError::Timeout { .. }), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    drop(silent);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = remote_revision(&req(&format!("http://127.0.0.1:{port}/repo"), GitRef::default())).unwrap_err();
    assert_eq!(err.reason(), "GitOperationFailed", "{err:?}");
}

/// No sshd here: a stand-in `ssh` client runs the remote command (`git-upload-pack '<path>'`)
/// locally, as sshd would, and records the arguments it was given.
#[test]
fn ssh_url_runs_the_ssh_client_with_identity_and_known_hosts() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("args.log");
    let fake = bin.path().join("fake-ssh");
    // Like OpenSSH: options, then the destination, then the remote command words joined by spaces.
    let script = format!(
        "#!/bin/sh\necho \"$@\" > '{0}'\nfor a in \"$@\"; do case \"$a\" in */identity) stat -c %a \"$a\" >> '{0}';; esac; done\n\
         while [ $# -gt 0 ]; do case \"$1\" in git@*) shift; break;; *) shift;; esac; done\nexec sh -c \"$*\"\n",
        log.display()
    );
    std::fs::write(&fake, script).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();

    let data: BTreeMap<String, Vec<u8>> = [
        ("identity".to_owned(), b"-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n".to_vec()),
        ("known_hosts".to_owned(), b"127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA\n".to_vec()),
    ]
    .into();
    let mut q = req(&format!("ssh://git@127.0.0.1{}", fx.repo.display()), GitRef::Tag("v1.2.0".into()));
    q.credentials = Credentials::from_secret_data(&data).unwrap();
    q.ssh_binary = fake;
    let dir = tempfile::tempdir().unwrap();
    let rev = match fetch(&q, &dir.path().join("checkout")) {
        Ok(outcome) => outcome.revision().to_string(),
        Err(e) => panic!("{e:?}; ssh arguments: {:?}", std::fs::read_to_string(&log)),
    };
    assert_eq!(rev, format!("v1.2.0@sha1:{}", fx.c2));
    assert!(content(&dir, "deploy/app.yaml").contains("v2"));
    let args = std::fs::read_to_string(&log).unwrap();
    for want in ["StrictHostKeyChecking=yes", "UserKnownHostsFile=", "IdentitiesOnly=yes", "-i ", "git@127.0.0.1"] {
        assert!(args.contains(want), "{want} missing from ssh arguments: {args}");
    }
    assert!(args.lines().any(|l| l.trim() == "600"), "identity file mode: {args}");
    assert!(!args.contains("fake\n") && !args.contains("BEGIN OPENSSH"), "key material is passed as a file only");
}

#[test]
fn https_needs_the_secret_ca_for_a_private_issuer() {
    let fx = Fixture::new();
    let pki = tempfile::tempdir().unwrap();
    let (ca, chain, key) = test_pki(pki.path());
    let server = GitHttpServer::start_tls(&fx.root, &chain, &key);
    let mut q = req(&server.https_url("repo"), GitRef::Branch("main".into()));
    let err = remote_revision(&q).unwrap_err();
    assert_eq!(err.reason(), "GitOperationFailed", "unknown issuer without ca.crt: {err:?}");

    let data: BTreeMap<String, Vec<u8>> = [("ca.crt".to_owned(), ca)].into();
    q.credentials = Credentials::from_secret_data(&data).unwrap();
    let (rev, dir) = fetched(&q);
    assert_eq!(rev, format!("main@sha1:{}", fx.c3));
    assert!(content(&dir, "deploy/app.yaml").contains("v3"));
}
