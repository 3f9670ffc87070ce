//! Release storage against real Helm 4.2.3 records (`tests/data/release-secrets/`, made by
//! `make.sh` there): decoding them, re-encoding them losslessly, building the same record from
//! our own render, Secret labels, and the history rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::PathBuf;

use base64::Engine as _;
use glidepath_helm::storage::{
    self, RecordMeta, ReleaseRecord, Stamp, Status, custom_labels, decode, encode, secret_labels, secret_name,
};
use glidepath_helm::{Chart, File, Release, TemplateOptions, render_release};
use serde_json::{Value as Json, json};

fn data_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/release-secrets"))
}

/// A fixture Secret as `kubectl get secret -o json` printed it.
fn secret_file(name: &str) -> Json {
    serde_json::from_str(&std::fs::read_to_string(data_dir().join(name)).unwrap()).unwrap()
}

fn secret(version: i64) -> Json {
    secret_file(&format!("pod1.v{version}.json"))
}

/// `data.release` inside the Kubernetes base64 layer: the bytes the codec reads.
fn stored_bytes(secret: &Json) -> Vec<u8> {
    let wire = secret["data"]["release"].as_str().unwrap();
    base64::engine::general_purpose::STANDARD.decode(wire).unwrap()
}

/// The JSON Helm wrote, decoded by hand (base64, gunzip).
fn raw_json(secret: &Json) -> Json {
    let zipped = base64::engine::general_purpose::STANDARD.decode(stored_bytes(secret)).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(zipped.as_slice()).read_to_string(&mut text).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn labels_of(secret: &Json) -> BTreeMap<String, String> {
    serde_json::from_value(secret["metadata"]["labels"].clone()).unwrap()
}

fn record(version: i64) -> ReleaseRecord {
    let s = secret(version);
    let mut r = decode(&stored_bytes(&s)).unwrap();
    r.labels = custom_labels(&labels_of(&s));
    r
}

#[test]
fn decodes_helm_records() {
    let expected = [(1, Status::Superseded, 1), (2, Status::Deployed, 2), (3, Status::Failed, 3)];
    for (version, status, replicas) in expected {
        let r = record(version);
        assert_eq!(r.name, "pod1");
        assert_eq!(r.namespace, "default");
        assert_eq!(r.version, version);
        assert_eq!(r.info.status, status, "v{version}");
        assert_eq!(r.chart.metadata.name, "podinfo");
        assert_eq!(r.chart.metadata.version, "6.14.1");
        assert_eq!(r.chart.metadata.app_version, "6.14.1");
        assert_eq!(r.config["replicaCount"], json!(replicas));
        assert_eq!(r.apply_method, "ssa");
        assert!(r.manifest.starts_with("---\n# Source: podinfo/templates/service.yaml\n"));
        assert!(r.info.notes.contains("kubectl -n default port-forward deploy/pod1-podinfo"));
        assert!(r.chart.templates.iter().any(|t| t.name == "templates/deployment.yaml"));
        assert!(r.chart.schema.is_none());
        let tests: Vec<&str> = r.hooks.iter().filter(|h| h.events == ["test"]).map(|h| h.path.as_str()).collect();
        assert_eq!(tests.len(), 3, "v{version}: {tests:?}");
        for h in r.hooks.iter().filter(|h| h.events == ["test"]) {
            assert_eq!(h.kind, "Pod");
            assert_eq!(h.last_run.phase, "");
            assert!(h.last_run.started_at.is_none());
        }
    }
    assert_eq!(record(1).labels, BTreeMap::new());
    assert_eq!(record(2).labels, BTreeMap::from([("team".to_string(), "web".to_string())]));
    assert_eq!(record(1).info.description, "Install complete");
    assert_eq!(record(2).info.description, "Upgrade complete");
    assert_eq!(record(2).info.first_deployed, record(1).info.first_deployed);
    // The failed upgrade ran its post-upgrade hook: last_run is filled in.
    let v3 = record(3);
    let job = v3.hooks.iter().find(|h| h.events == ["post-upgrade"]).unwrap();
    assert_eq!((job.kind.as_str(), job.name.as_str()), ("Job", "pod1-podinfo-post-upgrade"));
    assert_eq!(job.delete_policies, ["hook-succeeded", "hook-failed"]);
    assert_eq!(job.last_run.phase, "Failed");
    assert!(job.last_run.started_at.is_some() && job.last_run.completed_at.is_some());
    assert_eq!(v3.config["hooks"], json!({"postUpgrade": {"job": {"enabled": true}}}));
}

#[test]
fn round_trips_losslessly() {
    for file in ["pod1.v1.json", "pod1.v2.json", "pod1.v3.json", "chk.v1.json"] {
        let s = secret_file(file);
        let raw = raw_json(&s);
        let r = decode(&stored_bytes(&s)).unwrap();
        assert_eq!(serde_json::to_value(&r).unwrap(), raw, "{file}: decode → JSON");
        let again = decode(&encode(&r).unwrap()).unwrap();
        assert_eq!(again, r, "{file}: encode → decode");
        assert_eq!(serde_json::to_value(&again).unwrap(), raw);
    }
}

#[test]
fn keeps_unknown_fields_and_reads_plain_json() {
    let mut raw = raw_json(&secret(2));
    raw["future"] = json!({"a": 1});
    raw["info"]["future"] = json!("x");
    raw["chart"]["metadata"]["future"] = json!([1]);
    raw["hooks"][0]["last_run"]["future"] = json!(true);
    // Helm reads records stored before it compressed them: plain JSON, base64'd.
    let plain = base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&raw).unwrap());
    let r = decode(plain.as_bytes()).unwrap();
    assert_eq!(serde_json::to_value(&r).unwrap(), raw);
    assert_eq!(r.extra["future"], json!({"a": 1}));
}

#[test]
fn decode_errors_name_the_action() {
    for bad in [&b"not base64!"[..], b"bm90IGpzb24=", b"H4sIAAAAAAAA"] {
        let e = decode(bad).unwrap_err();
        assert!(matches!(e, glidepath_helm::HelmError::DecodeRelease { .. }), "{e:?}");
        assert_eq!(e.to_string(), "decode release");
        assert!(std::error::Error::source(&e).is_some());
    }
}

#[test]
fn status_strings() {
    for s in [
        "unknown",
        "deployed",
        "uninstalled",
        "superseded",
        "failed",
        "uninstalling",
        "pending-install",
        "pending-upgrade",
        "pending-rollback",
    ] {
        let st = Status::parse(s);
        assert!(!matches!(st, Status::Other(_)), "{s}");
        assert_eq!(st.as_str(), s);
        assert_eq!(serde_json::to_value(&st).unwrap(), json!(s));
        assert_eq!(st.is_pending(), s.starts_with("pending-"));
    }
    assert_eq!(Status::parse("later"), Status::Other("later".into()));
}

/// The chart Helm stored, as chart files again: its templates and files, Chart.yaml and
/// values.yaml written as JSON (which is YAML).
fn chart_from_record(r: &ReleaseRecord) -> Chart {
    let file = |name: &str, data: Vec<u8>| File { name: name.to_string(), data: data.into() };
    let mut files = vec![
        file("Chart.yaml", serde_json::to_vec(&r.chart.metadata).unwrap()),
        file("values.yaml", serde_json::to_vec(&r.chart.values).unwrap()),
    ];
    for f in r.chart.templates.iter().chain(&r.chart.files) {
        files.push(file(&f.name, f.data.clone()));
    }
    Chart::from_files(files).unwrap()
}

/// Our record for the render Helm did for `helm`'s revision.
fn ours_for(helm: &ReleaseRecord) -> ReleaseRecord {
    ours_for_chart(&chart_from_record(helm), helm)
}

fn ours_for_chart(chart: &Chart, helm: &ReleaseRecord) -> ReleaseRecord {
    let opts = TemplateOptions {
        release: Release {
            name: helm.name.clone(),
            namespace: helm.namespace.clone(),
            revision: helm.version,
            is_install: helm.version == 1,
            is_upgrade: helm.version > 1,
        },
        values: helm.config.clone(),
        sprig: glidepath_sprig::Options::fixed(0, 1),
        ..Default::default()
    };
    let rendered = render_release(chart, &opts).unwrap();
    let meta = RecordMeta {
        name: helm.name.clone(),
        namespace: helm.namespace.clone(),
        version: helm.version,
        now: helm.info.last_deployed.clone().unwrap(),
        first_deployed: helm.info.first_deployed.clone(),
        status: helm.info.status.clone(),
        description: helm.info.description.clone(),
        labels: helm.labels.clone(),
        modtime: None,
    };
    ReleaseRecord::new(chart, helm.config.clone(), &rendered, meta).unwrap()
}

/// Replays on `ours` the hook runs Helm recorded in `helm` (what a controller running the hooks
/// records), so the whole records compare.
fn replay_hook_runs(ours: &mut ReleaseRecord, helm: &ReleaseRecord) {
    assert_eq!(ours.hooks.len(), helm.hooks.len());
    for (o, h) in ours.hooks.iter_mut().zip(&helm.hooks) {
        if let Some(at) = &h.last_run.started_at {
            o.start(at);
            if let Some(done) = &h.last_run.completed_at {
                o.finish(done, h.last_run.phase == "Succeeded");
            }
        }
    }
}

/// Leaves out what differs by nature: file times (ours has none) and the random suffix
/// podinfo's test pods get from `randAlphaNum 5`.
fn comparable(r: &ReleaseRecord) -> Json {
    let mut r = r.clone();
    r.chart.modtime = None;
    r.chart.schemamodtime = None;
    for f in r.chart.templates.iter_mut().chain(r.chart.files.iter_mut()) {
        f.modtime = None;
    }
    let text = serde_json::to_string(&r).unwrap();
    let masked = regex::Regex::new(r"-test-[a-z0-9]{5}\b").unwrap().replace_all(&text, "-test-XXXXX");
    serde_json::from_str(&masked).unwrap()
}

#[test]
fn our_record_is_helms() {
    for version in 1..=3 {
        let helm = record(version);
        let mut ours = ours_for(&helm);
        replay_hook_runs(&mut ours, &helm);
        let (h, o) = (comparable(&helm), comparable(&ours));
        for key in ["chart", "config", "manifest", "hooks", "info", "name", "namespace", "version", "apply_method"] {
            assert_eq!(o[key], h[key], "v{version}: {key}");
        }
        assert_eq!(o, h, "v{version}");
        assert!(h["manifest"].as_str().unwrap().len() > 1000 && h["chart"]["templates"].as_array().unwrap().len() > 10);
        assert_eq!(h["hooks"].as_array().unwrap().len(), if version == 3 { 4 } else { 3 });
        assert_ne!(ours.hooks[0].name, helm.hooks[0].name, "the random suffixes differ before masking");
        assert_eq!(ours.labels, helm.labels);
    }
}

/// `storagecheck/` loaded from disk, as Helm loaded it: dependencies (one disabled by a tag,
/// one importing values), Chart.lock, a schema, metadata Helm sanitizes, hooks with weights,
/// several events, output-log and delete policies, floats in values and config.
#[test]
fn our_record_of_a_chart_with_dependencies_is_helms() {
    let s = secret_file("chk.v1.json");
    let mut helm = decode(&stored_bytes(&s)).unwrap();
    helm.labels = custom_labels(&labels_of(&s));
    let chart = glidepath_helm::load_chart(&data_dir().join("storagecheck")).unwrap();
    let mut ours = ours_for_chart(&chart, &helm);
    replay_hook_runs(&mut ours, &helm);
    let (h, o) = (comparable(&helm), comparable(&ours));
    for key in ["metadata", "lock", "templates", "values", "schema", "files"] {
        assert_eq!(o["chart"][key], h["chart"][key], "chart.{key}");
    }
    for key in ["config", "manifest", "hooks", "info"] {
        assert_eq!(o[key], h[key], "{key}");
    }
    assert_eq!(o, h);
    // Helm stores the schema's time; ours is Go's zero time without a modtime.
    assert_eq!(ours.chart.schemamodtime.as_deref(), Some(storage::GO_ZERO_TIME));
    assert!(helm.chart.schemamodtime.is_some_and(|t| t != storage::GO_ZERO_TIME));
    assert_eq!(helm.chart.metadata.dependencies.len(), 1, "the disabled dependency is not stored");
    assert_eq!(helm.hooks[0].output_log_policies, ["hook-failed", "hook-succeeded"]);
}

#[test]
fn secret_names_types_and_labels() {
    for version in 1..=3 {
        let s = secret(version);
        let r = record(version);
        assert_eq!(secret_name(&r.name, r.version), s["metadata"]["name"].as_str().unwrap());
        assert_eq!(storage::SECRET_TYPE, s["type"].as_str().unwrap());
        let labels = labels_of(&s);
        let at: i64 = labels["modifiedAt"].parse().unwrap();
        // Helm's last write of each was an Update (status changes): modifiedAt, no createdAt.
        assert_eq!(secret_labels(&r, Stamp::Modified, at), labels, "v{version}");
    }
    let mut r = record(2);
    r.labels.insert("name".into(), "spoofed".into());
    r.labels.insert("modifiedAt".into(), "1".into());
    let created = secret_labels(&r, Stamp::Created, 1_796_656_000);
    let want: BTreeMap<String, String> = [
        ("createdAt", "1796656000"),
        ("name", "pod1"),
        ("owner", "helm"),
        ("status", "deployed"),
        ("team", "web"),
        ("version", "2"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(created, want);
}

fn rec(version: i64, status: Status) -> ReleaseRecord {
    let mut r = ReleaseRecord { name: "web".into(), version, ..Default::default() };
    r.info.status = status;
    r
}

fn history(statuses: &[&str]) -> Vec<ReleaseRecord> {
    // Shuffled on purpose: the Secrets come back from a list in no particular order.
    let mut out: Vec<ReleaseRecord> =
        statuses.iter().enumerate().map(|(i, s)| rec(i as i64 + 1, Status::parse(s))).collect();
    out.reverse();
    out.swap(0, statuses.len() / 2);
    out
}

#[test]
fn latest_deployed_and_pending() {
    let h = history(&["superseded", "deployed", "failed"]);
    assert_eq!(storage::latest(&h).unwrap().version, 3);
    assert_eq!(storage::last_deployed(&h).unwrap().version, 2);
    assert!(storage::pending(&h).is_none());
    // Concurrent writes can leave two deployed: the latest counts.
    let h = history(&["deployed", "deployed", "pending-upgrade"]);
    assert_eq!(storage::last_deployed(&h).unwrap().version, 2);
    assert_eq!(storage::pending(&h).unwrap().version, 3);
    // Only the latest revision can be the stuck operation.
    let h = history(&["pending-install", "deployed"]);
    assert!(storage::pending(&h).is_none());
    assert!(storage::latest(&[]).is_none() && storage::last_deployed(&history(&["failed"])).is_none());
}

#[test]
fn prune_keeps_the_newest_and_the_deployed() {
    let h = history(&["superseded", "superseded", "deployed", "failed"]);
    assert_eq!(storage::prune(&h, 2), vec![1, 2]);
    assert_eq!(storage::prune(&h, 4), Vec::<i64>::new());
    assert_eq!(storage::prune(&h, 10), Vec::<i64>::new());
    assert_eq!(storage::prune(&h, 0), Vec::<i64>::new(), "0 is unlimited");
    // The deployed revision is skipped, the next oldest go instead.
    let h = history(&["deployed", "failed", "failed", "failed"]);
    assert_eq!(storage::prune(&h, 2), vec![2, 3]);
    let h = history(&["superseded", "deployed", "failed"]);
    assert_eq!(storage::prune(&h, 1), vec![1, 3]);
    // Without a deployed revision, plain oldest first.
    let h = history(&["failed", "failed", "failed"]);
    assert_eq!(storage::prune(&h, 1), vec![1, 2]);
    // Before a write Helm makes room for the new revision.
    let h = history(&["superseded", "superseded", "deployed", "failed"]);
    assert_eq!(storage::prune_before_create(&h, 3), vec![1, 2]);
    assert_eq!(storage::prune_before_create(&h, 1), vec![1, 2, 4]);
    assert_eq!(storage::prune_before_create(&h, 0), Vec::<i64>::new());
}
