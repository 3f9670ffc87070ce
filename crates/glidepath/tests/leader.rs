//! Leader election through a Lease on the sandbox: one holder at a time, takeover after
//! expiry, immediate takeover after a release, and no double win in a race.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::support;

use std::time::Duration;

use glidepath::controller::leader::{Elector, LeaseConfig};
use k8s_openapi::api::coordination::v1::Lease;
use kube::Client;
use kube::api::Api;

fn config(identity: &str) -> LeaseConfig {
    LeaseConfig {
        lease_duration: Duration::from_secs(1),
        renew_deadline: Duration::from_millis(500),
        retry: Duration::from_millis(100),
        ..LeaseConfig::new("default", identity)
    }
}

async fn holder(client: &Client) -> Option<String> {
    let api: Api<Lease> = Api::namespaced(client.clone(), "default");
    api.get("glidepath-leader-election").await.unwrap().spec.unwrap().holder_identity
}

#[tokio::test]
async fn one_leader_at_a_time_with_takeover() {
    let sandbox = glidepath_sandbox::Sandbox::start(glidepath_sandbox::Config::default()).await.unwrap();
    let client = Client::try_from(kube::Config::new(sandbox.url().parse().unwrap())).unwrap();
    let a = Elector::new(client.clone(), config("a"));
    let b = Elector::new(client.clone(), config("b"));

    assert!(a.try_acquire_or_renew().await.unwrap(), "a creates the lease");
    assert!(!b.try_acquire_or_renew().await.unwrap(), "b waits while a holds it");
    assert!(a.try_acquire_or_renew().await.unwrap(), "a renews");
    assert_eq!(holder(&client).await.as_deref(), Some("a"));

    // a stops renewing (it died): b takes over once the lease expired.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(b.try_acquire_or_renew().await.unwrap(), "b takes an expired lease");
    assert!(!a.try_acquire_or_renew().await.unwrap(), "a comes back as a follower");
    let api: Api<Lease> = Api::namespaced(client.clone(), "default");
    assert_eq!(api.get("glidepath-leader-election").await.unwrap().spec.unwrap().lease_transitions, Some(1));

    // A release hands over at once.
    b.release().await;
    assert!(a.try_acquire_or_renew().await.unwrap(), "a takes a released lease without waiting");
    a.release().await;

    // Racing candidates: exactly one wins each round.
    for _ in 0..5 {
        let (x, y) = tokio::join!(a.try_acquire_or_renew(), b.try_acquire_or_renew());
        assert!(x.unwrap() ^ y.unwrap(), "exactly one winner");
        let winner = holder(&client).await.unwrap();
        if winner == "a" { a.release().await } else { b.release().await }
    }
    sandbox.shutdown().await.unwrap();
}

/// Two `glidepath controller --leader-elect` processes; the leader is killed (SIGKILL, no
/// Lease release) in the middle of a release: the follower takes over once the Lease expires
/// and finishes the release from where it was, calling no hook twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_takes_over_a_release_when_the_leader_is_killed() {
    use glidepath_api::flagger::Canary;
    use support::{apply, deployment, env, image, recorder};

    let env = env().await;
    let (hooks, calls) = recorder().await;
    let dir = std::env::temp_dir().join(format!("glidepath-leader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    env.sandbox.write_kubeconfig(&kubeconfig).unwrap();
    let start = |identity: &str| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_glidepath"))
            .args(["controller", "--leader-elect", "--leader-election-namespace", "test", "--listen", "127.0.0.1:0"])
            .args(["--mesh-provider", "kubernetes", "--speed", "20", "--leader-election-lease-duration", "2s"])
            .args(["--leader-election-renew-deadline", "1s", "--leader-election-retry-period", "200ms"])
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .env("HOSTNAME", identity)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    apply(&env.client, &deployment("podinfo:1")).await;
    apply(&env.client, &support::kubernetes_canary(support::hooked_analysis(&hooks, 8))).await;
    let mut a = start("a");
    let leases: Api<Lease> = Api::namespaced(env.client.clone(), "test");
    let holder =
        || async { leases.get_opt("glidepath-leader-election").await.unwrap().and_then(|l| l.spec?.holder_identity) };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !holder().await.is_some_and(|h| h.starts_with("a_")) {
        assert!(tokio::time::Instant::now() < deadline, "a never led");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _b = start("b");
    let mut seen = Vec::new();
    support::wait_phase(&env.client, "Initialized", Duration::from_secs(30), &mut seen).await;
    apply(&env.client, &deployment("podinfo:2")).await;
    let canaries: Api<Canary> = Api::namespaced(env.client.clone(), "test");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let s = canaries.get("podinfo").await.unwrap().status.unwrap_or_default();
        if s.phase.as_str() == "Progressing" && s.iterations.unwrap_or(0) >= 3 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{s:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill().await.unwrap();
    let killed_at = canaries.get("podinfo").await.unwrap().status.unwrap().iterations.unwrap();
    support::wait_phase(&env.client, "Succeeded", Duration::from_secs(60), &mut seen).await;
    assert!(holder().await.is_some_and(|h| h.starts_with("b_")), "b leads now");
    assert_eq!(leases.get("glidepath-leader-election").await.unwrap().spec.unwrap().lease_transitions, Some(1));
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.iter().filter(|(p, _)| p == "pre").count(), 1, "pre-rollout not repeated: {calls:?}");
    assert_eq!(calls.iter().filter(|(p, _)| p == "post").count(), 1, "{calls:?}");
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(env.client.clone(), "test");
    assert_eq!(image(&deployments.get("podinfo-primary").await.unwrap()), "podinfo:2");
    assert!(killed_at < 8, "killed mid-analysis (iteration {killed_at} of 8)");
    std::fs::remove_dir_all(&dir).unwrap();
}
