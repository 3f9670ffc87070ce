//! Leader election through a Lease on the sandbox: one holder at a time, takeover after
//! expiry, immediate takeover after a release, and no double win in a race.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

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
