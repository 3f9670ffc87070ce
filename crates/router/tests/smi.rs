//! Linkerd and SMI TrafficSplits per API version.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use common::{canary, ctx, golden, release, router, split};
use serde_json::json;

#[test]
fn linkerd_release_writes_v1alpha1_quantities() {
    let c = canary("linkerd", json!({"port": 9898}), json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let r = router(&c);
    let seen = release(r.as_ref(), &ctx(&c), &[10, 20]);
    golden("linkerd-step-10", &seen[1]);
    let split_obj = &seen[1][0];
    assert_eq!(split_obj["apiVersion"], "split.smi-spec.io/v1alpha1");
    assert_eq!(split_obj["spec"]["backends"][0], json!({"service": "podinfo-canary", "weight": "10"}));
    // Weights another writer left as numbers (or Linkerd's own tools) read back too.
    let mut numeric = split_obj.clone();
    numeric["spec"]["backends"][0]["weight"] = json!(10);
    numeric["spec"]["backends"][1]["weight"] = json!(90);
    assert_eq!(r.observed(&ctx(&c), &[numeric]), Some(split(10)));
}

#[test]
fn smi_versions_and_apex_host() {
    for (provider, api_version) in [
        ("smi:v1alpha1", "split.smi-spec.io/v1alpha1"),
        ("smi:v1alpha2", "split.smi-spec.io/v1alpha2"),
        ("smi:v1alpha3", "split.smi-spec.io/v1alpha3"),
        ("osm", "split.smi-spec.io/v1alpha2"),
    ] {
        let c = canary(
            provider,
            json!({"port": 9898, "hosts": ["podinfo.test.svc.cluster.local"]}),
            json!({"interval": "1m", "threshold": 5, "stepWeight": 10}),
        );
        let r = router(&c);
        let seen = release(r.as_ref(), &ctx(&c), &[30]);
        let obj = &seen[1][0];
        assert_eq!(obj["apiVersion"], api_version);
        assert_eq!(obj["spec"]["service"], "podinfo.test.svc.cluster.local", "hosts[0] is the split's service");
        if provider == "smi:v1alpha3" {
            golden("smi-v1alpha3-step-30", &seen[1]);
            assert_eq!(obj["spec"]["backends"][1], json!({"service": "podinfo-primary", "weight": 70}));
        }
    }
}

#[test]
fn osm_writes_the_v1alpha2_split() {
    let c = canary("osm", json!({"port": 9898}), json!({"interval": "1m", "threshold": 5, "stepWeight": 10}));
    let r = router(&c);
    assert_eq!(r.name(), "osm");
    let seen = release(r.as_ref(), &ctx(&c), &[10, 50]);
    golden("osm-init", &seen[0]);
    golden("osm-step-10", &seen[1]);
    golden("osm-canary-100", &seen[3]); // promotion; after it, 100/0 equals init (release)
    assert_eq!(
        seen[1][0]["spec"]["backends"],
        json!([
            {"service": "podinfo-canary", "weight": 10}, {"service": "podinfo-primary", "weight": 90}
        ])
    );
    let ab = canary(
        "osm",
        json!({"port": 9898}),
        json!({"interval": "1m", "threshold": 5, "iterations": 5,
                                                         "match": [{"headers": {"x": {"exact": "1"}}}]}),
    );
    let e = r.desired(&ctx(&ab), glidepath_router::Weights::ALL_CANARY).unwrap_err().to_string();
    assert!(e.contains("spec.analysis.match"), "{e}");
}
