//! ImageUpdateAutomation end to end: a real `docker-registry` with pushed tags, the image
//! controllers in-process, and a bare Git repository served by `git http-backend` (smart HTTP
//! push, Basic auth) or `file://`. A new tag becomes a commit that changes only the marked
//! scalar; a push that loses a race is retried on top of the concurrent commit; a separate
//! push branch is created, then continued; bad input stops on the object that has it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::{Path, PathBuf};

use crate::git_http::{GitHttpServer, basic};
use crate::image_reflector::wait_image as wait;
use crate::oci_registry::{Image, Registry, client};
use crate::sync_env::{self, NS, apply, get, git, ready};
use glidepath_oci::Credentials;
use serde_json::{Value, json};

const IMAGE_V1: &str = "image.toolkit.fluxcd.io/v1";

const DEPLOY: &str = "# the web tier\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web   # keep\n  namespace: app\nspec:\n  template:\n    spec:\n      containers:\n        -   name: web\n            image: \"REG/app:1.0.0\" # {\"$imagepolicy\": \"flux-system:app\"}\n            args: [ --port,   '8080' ]\n";

/// A bare repository `root/app.git` seeded with `files` on `main`, pushable over HTTP.
struct Remote {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    bare: PathBuf,
}

impl Remote {
    fn new(files: &[(&str, &str)]) -> Remote {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let bare = root.join("app.git");
        std::fs::create_dir(&bare).unwrap();
        git(&bare, &["init", "-q", "--bare", "-b", "main"]);
        git(&bare, &["config", "http.receivepack", "true"]);
        let seed = root.join("seed");
        std::fs::create_dir(&seed).unwrap();
        git(&seed, &["init", "-q", "-b", "main"]);
        for (rel, content) in files {
            let p = seed.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        git(&seed, &["add", "-A"]);
        git(&seed, &["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "seed"]);
        git(&seed, &["push", "-q", bare.to_str().unwrap(), "main"]);
        Remote { _tmp: tmp, root, bare }
    }

    fn file_url(&self) -> String {
        format!("file://{}", self.bare.display())
    }

    fn head(&self, branch: &str) -> String {
        git(&self.bare, &["rev-parse", &format!("refs/heads/{branch}")])
    }

    fn show(&self, rev: &str, path: &str) -> String {
        let out = std::process::Command::new("git")
            .args(["--git-dir", self.bare.to_str().unwrap(), "show", &format!("{rev}:{path}")])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    fn log(&self, rev: &str, format: &str) -> String {
        git(&self.bare, &["log", "-1", &format!("--format={format}"), rev])
    }
}

async fn object(c: &kube::Client, api_version: &str, kind: &str, name: &str, spec: Value) {
    let obj =
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": NS}, "spec": spec});
    apply(c, &obj, "test").await;
}

async fn push_tags(registry: &Registry, tags: &[&str]) {
    let c = client(Credentials::Anonymous);
    for tag in tags {
        Image::new(&format!("app-{tag}")).push(&c, &registry.repo("app"), tag).await;
    }
}

/// ImageRepository + semver ImagePolicy `app` over the registry's `app`.
async fn policy(c: &kube::Client, registry: &Registry) {
    let image = format!("{}/app", registry.addr);
    object(c, IMAGE_V1, "ImageRepository", "app", json!({"image": image, "interval": "1h", "insecure": true})).await;
    let spec = json!({"imageRepositoryRef": {"name": "app"}, "policy": {"semver": {"range": ">=1.0.0"}}});
    object(c, IMAGE_V1, "ImagePolicy", "app", spec).await;
}

fn automation(push_branch: &str, template: &str) -> Value {
    json!({
        "interval": "1h",
        "sourceRef": {"kind": "GitRepository", "name": "app"},
        "git": {
            "checkout": {"ref": {"branch": "main"}},
            "commit": {"author": {"name": "Fluxbot", "email": "flux@example.com"}, "messageTemplate": template},
            "push": {"branch": push_branch},
        },
        "update": {"path": "./apps", "strategy": "Setters"},
    })
}

fn pushed(o: &Value) -> Option<&str> {
    o["status"]["lastPushCommit"].as_str()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_tag_is_committed_over_smart_http_changing_only_the_marked_scalar() {
    let registry = Registry::start();
    push_tags(&registry, &["1.0.0", "1.1.0"]).await;
    let deploy = DEPLOY.replace("REG", &registry.addr);
    let remote =
        Remote::new(&[("apps/web.yaml", &deploy), ("apps/notes.yaml", "a:   1\n"), ("other/web.yaml", &deploy)]);
    let server = GitHttpServer::start(&remote.root, Some(basic("bot", "pa55word")));
    let env = sync_env::env_with(|s| {
        s.image_reflector = true;
        s.image_automation = true;
    })
    .await;
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "git-auth", "namespace": NS},
                        "stringData": {"username": "bot", "password": "pa55word"}});
    apply(&env.client, &secret, "test").await;
    let url = server.url("app.git");
    let repo = json!({"url": url, "interval": "1h", "ref": {"branch": "main"}, "secretRef": {"name": "git-auth"}});
    object(&env.client, "source.toolkit.fluxcd.io/v1", "GitRepository", "app", repo).await;
    policy(&env.client, &registry).await;
    let template =
        "Automation {{ .AutomationObject }}\n{{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}\n{{ end }}";
    object(&env.client, IMAGE_V1, "ImageUpdateAutomation", "app", automation("main", template)).await;

    let auto = wait(&env.client, "ImageUpdateAutomation", "app", "a push", |o| pushed(o).is_some()).await;
    let commit = pushed(&auto).unwrap().to_owned();
    assert_eq!(remote.head("main"), commit, "the push landed on main");
    let after = remote.show(&commit, "apps/web.yaml");
    assert_eq!(after, deploy.replace("app:1.0.0", "app:1.1.0"), "only the marked scalar changed, quotes kept");
    assert_eq!(remote.show(&commit, "other/web.yaml"), deploy, "outside update.path");
    assert_eq!(remote.log(&commit, "%an <%ae>"), "Fluxbot <flux@example.com>");
    let app = format!("{}/app", registry.addr);
    assert_eq!(remote.log(&commit, "%B").trim_end(), format!("Automation flux-system/app\n{app}:1.0.0 -> {app}:1.1.0"));
    let status = &auto["status"];
    assert_eq!(status["observedPolicies"]["app"], json!({"name": app, "tag": "1.1.0"}));
    assert_eq!(status["observedSourceRevision"], format!("main@sha1:{commit}"));
    assert!(status["lastPushTime"].is_string() && status["lastAutomationRunTime"].is_string());
    assert_eq!(ready(&auto).unwrap(), ("True".into(), "Succeeded".into(), "repository up-to-date".into()));
    assert!(auto["metadata"]["finalizers"].as_array().unwrap().contains(&json!("finalizers.fluxcd.io")));
    assert!(!status.to_string().contains("pa55word"), "no credential in the status");

    // A new tag: the policy moves, the automation follows on top of its own commit.
    push_tags(&registry, &["1.2.0"]).await;
    sync_env::reconcile_now_kind(&env.client, IMAGE_V1, "ImageRepository", "app", "scan-2").await;
    let auto =
        wait(&env.client, "ImageUpdateAutomation", "app", "a second push", |o| pushed(o).is_some_and(|c| c != commit))
            .await;
    let second = pushed(&auto).unwrap();
    assert_eq!(remote.log(second, "%P"), commit, "parent is the first automation commit");
    assert_eq!(remote.show(second, "apps/web.yaml"), deploy.replace("app:1.0.0", "app:1.2.0"));

    // Nothing moved: a requested run clones nothing and pushes nothing.
    let fetches = server.fetch_commands();
    let again = sync_env::reconcile_now_kind(&env.client, IMAGE_V1, "ImageUpdateAutomation", "app", "idle").await;
    assert_eq!(pushed(&again), Some(second));
    assert_eq!(server.fetch_commands(), fetches, "no fetch when neither policies nor the branch moved");

    // The flux CLI's habits for the image kinds.
    let kubeconfig = remote.root.join("kubeconfig");
    env.sandbox.write_kubeconfig(&kubeconfig).unwrap();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_glidepath"))
            .args(args)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (table, _) = cli(&["get", "images", "all"]);
    let lines: Vec<&str> = table.lines().map(str::trim_end).collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("LAST SCAN"), "{table}");
    assert!(lines.iter().any(|l| l.starts_with("imagepolicy/app") && l.contains(&format!("{app}:1.2.0"))), "{table}");
    assert!(lines.iter().any(|l| l.contains("LAST RUN")), "{table}");
    assert!(lines.iter().any(|l| l.starts_with("imageupdateautomation/app") && l.contains("repository up-to-date")));
    let (_, progress) = cli(&["reconcile", "image", "update", "app"]);
    assert!(progress.contains(&format!("last push commit {second}")), "{progress}");
}

/// A pre-receive hook that, on the first push only, lands a concurrent commit on `main` and
/// refuses the push, as a lost race does.
fn race_once(bare: &Path) {
    let hook = bare.join("hooks/pre-receive");
    let script = r#"#!/bin/sh
cat >/dev/null
[ -e "$GIT_DIR/raced" ] && exit 0
touch "$GIT_DIR/raced"
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
export GIT_INDEX_FILE="$GIT_DIR/race-index" GIT_AUTHOR_NAME=dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=dev GIT_COMMITTER_EMAIL=dev@example.com
git read-tree refs/heads/main
blob=$(echo "from a developer" | git hash-object -w --stdin)
git update-index --add --cacheinfo 100644,$blob,apps/concurrent.txt
tree=$(git write-tree)
c=$(echo "concurrent" | git commit-tree $tree -p refs/heads/main)
git update-ref refs/heads/main $c
echo "rejected: main moved (concurrent commit)" >&2
exit 1
"#;
    std::fs::write(&hook, script).unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_that_loses_a_race_is_retried_on_top_of_the_concurrent_commit() {
    let registry = Registry::start();
    push_tags(&registry, &["1.0.0", "2.0.0"]).await;
    let deploy = DEPLOY.replace("REG", &registry.addr);
    let remote = Remote::new(&[("apps/web.yaml", &deploy)]);
    race_once(&remote.bare);
    let env = sync_env::env_with(|s| {
        s.image_reflector = true;
        s.image_automation = true;
    })
    .await;
    let repo = json!({"url": remote.file_url(), "interval": "1h", "ref": {"branch": "main"}});
    object(&env.client, "source.toolkit.fluxcd.io/v1", "GitRepository", "app", repo).await;
    policy(&env.client, &registry).await;
    object(&env.client, IMAGE_V1, "ImageUpdateAutomation", "app", automation("main", "")).await;
    let auto = wait(&env.client, "ImageUpdateAutomation", "app", "a push", |o| pushed(o).is_some()).await;
    assert!(remote.bare.join("raced").exists(), "the first push was refused by the hook");
    let commit = pushed(&auto).unwrap();
    assert_eq!(remote.head("main"), commit);
    assert_eq!(remote.log(&format!("{commit}^"), "%s"), "concurrent", "retried on top of the concurrent commit");
    assert_eq!(remote.show(commit, "apps/concurrent.txt"), "from a developer\n");
    assert_eq!(remote.show(commit, "apps/web.yaml"), deploy.replace("app:1.0.0", "app:2.0.0"));
    assert_eq!(remote.log(commit, "%s"), "Update from image update automation");
    assert_eq!(ready(&auto).unwrap().0, "True");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_separate_push_branch_is_created_then_continued_and_bad_input_stops_on_its_object() {
    let registry = Registry::start();
    push_tags(&registry, &["1.0.0", "1.1.0"]).await;
    let deploy = DEPLOY.replace("REG", &registry.addr);
    let remote = Remote::new(&[("apps/web.yaml", &deploy)]);
    let main = remote.head("main");
    let env = sync_env::env_with(|s| {
        s.image_reflector = true;
        s.image_automation = true;
    })
    .await;
    let repo = json!({"url": remote.file_url(), "interval": "1h", "ref": {"branch": "main"}});
    object(&env.client, "source.toolkit.fluxcd.io/v1", "GitRepository", "app", repo).await;
    policy(&env.client, &registry).await;
    object(&env.client, IMAGE_V1, "ImageUpdateAutomation", "app", automation("auto", "")).await;
    let auto = wait(&env.client, "ImageUpdateAutomation", "app", "a push", |o| pushed(o).is_some()).await;
    let first = pushed(&auto).unwrap().to_owned();
    assert_eq!(remote.head("auto"), first);
    assert_eq!(remote.head("main"), main, "main untouched");
    assert_eq!(remote.log(&first, "%P"), main, "the push branch starts at the checkout");
    assert_eq!(auto["status"]["observedSourceRevision"], format!("main@sha1:{main}"), "the checkout is observed");

    push_tags(&registry, &["1.2.0"]).await;
    sync_env::reconcile_now_kind(&env.client, IMAGE_V1, "ImageRepository", "app", "scan-2").await;
    let auto =
        wait(&env.client, "ImageUpdateAutomation", "app", "a second push", |o| pushed(o).is_some_and(|c| c != first))
            .await;
    assert_eq!(remote.log(pushed(&auto).unwrap(), "%P"), first, "continued on the existing push branch");

    // Bad input: each on its own object, the working one unaffected.
    let mut missing = automation("main", "");
    missing["sourceRef"]["name"] = json!("nowhere");
    object(&env.client, IMAGE_V1, "ImageUpdateAutomation", "missing", missing).await;
    let mut signed = automation("main", "");
    signed["git"]["commit"]["signingKey"] = json!({"secretRef": {"name": "gpg"}});
    object(&env.client, IMAGE_V1, "ImageUpdateAutomation", "signed", signed).await;
    let mut tag_only = automation("main", "");
    tag_only["git"] = json!({"checkout": {"ref": {"tag": "v1"}}, "commit": {"author": {"email": "a@b.c"}}});
    object(&env.client, IMAGE_V1, "ImageUpdateAutomation", "tag-only", tag_only).await;
    let mut bad_template = automation("main", "{{ .Updated.Images }}");
    bad_template["update"]["path"] = json!("apps");
    object(&env.client, IMAGE_V1, "ImageUpdateAutomation", "old-template", bad_template).await;
    let not_ready = |o: &Value| ready(o).is_some_and(|r| r.0 == "False");
    let m = wait(&env.client, "ImageUpdateAutomation", "missing", "a failure", not_ready).await;
    assert_eq!(ready(&m).unwrap().1, "SourceManagerFailed");
    assert!(ready(&m).unwrap().2.contains("GitRepository 'flux-system/nowhere' not found"), "{:?}", ready(&m));
    let s = wait(&env.client, "ImageUpdateAutomation", "signed", "a failure", not_ready).await;
    assert!(ready(&s).unwrap().2.contains("could not find signing key secret 'flux-system/gpg'"), "{:?}", ready(&s));
    let t = wait(&env.client, "ImageUpdateAutomation", "tag-only", "a refusal", not_ready).await;
    assert_eq!(ready(&t).unwrap().1, "InvalidSourceConfig");
    let o = wait(&env.client, "ImageUpdateAutomation", "old-template", "a failure", not_ready).await;
    assert!(ready(&o).unwrap().2.contains("template uses removed '.Updated' field"), "{:?}", ready(&o));
    let ok = get(&env.client, IMAGE_V1, "ImageUpdateAutomation", Some(NS), "app").await.unwrap();
    assert_eq!(ready(&ok).unwrap().0, "True");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_always_refused_gives_up_within_the_budget_and_changes_nothing() {
    let registry = Registry::start();
    push_tags(&registry, &["1.0.0", "1.1.0"]).await;
    let deploy = DEPLOY.replace("REG", &registry.addr);
    let remote = Remote::new(&[("apps/web.yaml", &deploy)]);
    let hook = remote.bare.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\ncat >/dev/null\necho \"protected branch: pushes refused\" >&2\nexit 1\n")
        .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let main = remote.head("main");
    let env = sync_env::env_with(|s| {
        s.image_reflector = true;
        s.image_automation = true;
    })
    .await;
    let repo = json!({"url": remote.file_url(), "interval": "1h", "ref": {"branch": "main"}});
    object(&env.client, "source.toolkit.fluxcd.io/v1", "GitRepository", "app", repo).await;
    policy(&env.client, &registry).await;
    // A 10 s interval leaves a 5 s retry budget: one retry after 2-3 s, then it gives up.
    let mut spec = automation("main", "");
    spec["interval"] = json!("10s");
    object(&env.client, IMAGE_V1, "ImageUpdateAutomation", "app", spec).await;
    let failed = |o: &Value| ready(o).is_some_and(|r| r.0 == "False" && r.2.contains("giving up"));
    let auto = wait(&env.client, "ImageUpdateAutomation", "app", "a refused push", failed).await;
    let (_, reason, message) = ready(&auto).unwrap();
    assert_eq!(reason, "GitOperationFailed");
    assert!(message.starts_with("failed to update source: giving up after 2 attempts:"), "{message}");
    assert!(message.contains("protected branch: pushes refused"), "git's words reach the status: {message}");
    assert_eq!(remote.head("main"), main, "nothing landed");
    assert!(auto["status"]["lastPushCommit"].is_null());
    assert_eq!(sync_env::condition(&auto, "Reconciling").unwrap()["reason"], "ProgressingWithRetry");
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = std::process::Command::new(args[0])
        .args(&args[1..])
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_are_signed_with_the_openpgp_key_of_the_secret() {
    let registry = Registry::start();
    push_tags(&registry, &["1.0.0", "1.1.0"]).await;
    let deploy = DEPLOY.replace("REG", &registry.addr);
    let remote = Remote::new(&[("apps/web.yaml", &deploy)]);
    let keys = remote.root.join("keys");
    std::fs::create_dir(&keys).unwrap();
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let home = keys.to_str().unwrap().to_owned();
    let gpg = |extra: &[&str]| {
        let mut a =
            vec!["gpg", "--homedir", &home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "pgp-pass"];
        a.extend(extra);
        run(&remote.root, &a, &[])
    };
    gpg(&["--quick-gen-key", "Fluxbot <flux@example.com>", "ed25519", "sign", "never"]);
    let armored = gpg(&["--armor", "--export-secret-keys"]);
    let env = sync_env::env_with(|s| {
        s.image_reflector = true;
        s.image_automation = true;
    })
    .await;
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "signing", "namespace": NS},
                        "stringData": {"git.asc": armored, "passphrase": "pgp-pass"}});
    apply(&env.client, &secret, "test").await;
    let repo = json!({"url": remote.file_url(), "interval": "1h", "ref": {"branch": "main"}});
    object(&env.client, "source.toolkit.fluxcd.io/v1", "GitRepository", "app", repo).await;
    policy(&env.client, &registry).await;
    let mut spec = automation("main", "");
    spec["git"]["commit"]["signingKey"] = json!({"secretRef": {"name": "signing"}});
    object(&env.client, IMAGE_V1, "ImageUpdateAutomation", "app", spec).await;
    let auto = wait(&env.client, "ImageUpdateAutomation", "app", "a push", |o| pushed(o).is_some()).await;
    let commit = pushed(&auto).unwrap();
    let bare = remote.bare.to_str().unwrap();
    run(&remote.root, &["git", "--git-dir", bare, "verify-commit", commit], &[("GNUPGHOME", &home)]);
    let trust = run(
        &remote.root,
        &["git", "--git-dir", bare, "log", "-1", "--format=%G? %GS", commit],
        &[("GNUPGHOME", &home)],
    );
    assert_eq!(trust.trim(), "G Fluxbot <flux@example.com>", "a good signature by the Secret's key");
    assert!(!auto["status"].to_string().contains("pgp-pass"));
    let _ = std::process::Command::new("gpgconf").args(["--homedir", &home, "--kill", "gpg-agent"]).status();
}
