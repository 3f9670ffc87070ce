//! Repository indexes: parsing (compact, invalid entries dropped as Helm drops them), version
//! selection with Helm's `IndexFile.Get` rules, and chart URLs resolved as Helm resolves them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use glidepath_helm::HelmError;
use glidepath_helm::repo::{Index, parse_index, resolve_url, select};

const INDEX: &str = r#"apiVersion: v1
generated: "2024-05-01T10:00:00.123456789Z"
entries:
  app:
    - name: app
      version: 1.2.0
      appVersion: "1.2"
      description: dropped while parsing
      maintainers: [{name: someone}]
      urls: [charts/app-1.2.0.tgz]
      digest: sha256:120
      created: "2024-03-01T00:00:00Z"
    - name: app
      version: 2.0.0-rc.1
      urls: [https://cdn.example.com/app-2.0.0-rc.1.tgz]
      created: "2024-04-01T00:00:00Z"
    - name: app
      version: 1.10.0
      urls: [app-1.10.0.tgz]
      digest: sha256:1100
      created: 2024-03-15T00:00:00+02:00
      deprecated: true
    - name: app
      version: 0.9.0
      urls: [app-0.9.0.tgz]
      created: "2023-01-01T00:00:00Z"
    - name: app
      version: not-semver
      urls: [bad.tgz]
    - version: 3.0.0
      urls: [nameless.tgz]
    - name: app
      version: 3.1.0
      type: plugin
      urls: [plugin.tgz]
  build:
    - name: build
      version: 1.0.0+build.1
      urls: [b1.tgz]
      created: "2021-01-01T00:00:00Z"
    - name: build
      version: 1.0.0+build.2
      urls: [b2.tgz]
      created: "2022-01-01T00:00:00Z"
    - name: build
      version: 1.0.0+build.0
      urls: [b0.tgz]
      created: "2021-06-01T00:00:00-01:00"
  empty: []
  onlypre:
    - name: onlypre
      version: 0.1.0-alpha
      urls: [p.tgz]
"#;

fn index() -> Index {
    parse_index(INDEX.as_bytes()).unwrap()
}

fn versions(i: &Index, chart: &str) -> Vec<String> {
    i.entries[chart].iter().map(|v| v.version.clone()).collect()
}

#[test]
fn parses_sorted_newest_first_without_invalid_entries() {
    let i = index();
    assert_eq!(i.api_version, "v1");
    assert_eq!(i.generated, "2024-05-01T10:00:00.123456789Z");
    // 1.10.0 above 1.2.0 (semver, not text); `not-semver`, the nameless and the `plugin`
    // entries are dropped.
    assert_eq!(versions(&i, "app"), ["2.0.0-rc.1", "1.10.0", "1.2.0", "0.9.0"]);
    let v = &i.entries["app"][1];
    assert_eq!(v.urls, ["app-1.10.0.tgz"]);
    assert_eq!(v.digest, "sha256:1100");
    assert_eq!(v.created, "2024-03-15T00:00:00+02:00");
    assert!(v.deprecated);
    assert_eq!(i.entries["app"][2].app_version, "1.2");
    assert_eq!(v.semver().minor, 10);
    // Equal versions (build metadata does not count) by the newest `created` first.
    assert_eq!(versions(&i, "build"), ["1.0.0+build.2", "1.0.0+build.0", "1.0.0+build.1"]);
    assert!(i.entries["empty"].is_empty());
}

#[test]
fn selects_as_helm_does() {
    let i = index();
    let pick = |chart: &str, c: &str| select(&i, chart, c).unwrap().version.clone();
    // Empty and `*`: the newest stable version.
    assert_eq!(pick("app", ""), "1.10.0");
    assert_eq!(pick("app", "*"), "1.10.0");
    assert_eq!(pick("app", "^1.0.0"), "1.10.0");
    assert_eq!(pick("app", "~1.2"), "1.2.0");
    assert_eq!(pick("app", "<1.0.0"), "0.9.0");
    // A constraint naming a pre-release lets pre-releases in.
    assert_eq!(pick("app", ">=2.0.0-0"), "2.0.0-rc.1");
    assert_eq!(pick("app", "2.0.0-rc.1"), "2.0.0-rc.1");
    // The constraint's text matching a version exactly wins.
    assert_eq!(pick("build", "1.0.0+build.1"), "1.0.0+build.1");
    assert_eq!(pick("build", "1.0.0"), "1.0.0+build.2");
    assert_eq!(pick("onlypre", ">=0.1.0-0"), "0.1.0-alpha");
}

#[test]
fn selection_errors_are_helms() {
    let i = index();
    let err = |chart: &str, c: &str| {
        let e = select(&i, chart, c).unwrap_err();
        assert!(matches!(e, HelmError::SelectChart { .. }), "{e:?}");
        e.to_string()
    };
    assert_eq!(err("nope", ""), "no chart name found");
    assert_eq!(err("empty", ""), "no chart version found");
    assert_eq!(err("app", "~3.0"), "no chart version found for app-~3.0");
    assert_eq!(err("onlypre", ""), "no chart version found for onlypre-");
    assert!(err("app", "not a constraint").contains("improper constraint"));
}

#[test]
fn load_errors() {
    let source = |data: &str| {
        let e = parse_index(data.as_bytes()).unwrap_err();
        assert!(matches!(e, HelmError::LoadIndex { .. }), "{e:?}");
        assert_eq!(e.to_string(), "load repository index");
        std::error::Error::source(&e).unwrap().to_string()
    };
    assert_eq!(source(""), "empty index.yaml file");
    assert_eq!(source("entries: {}\n"), "no API version specified");
    assert!(!source("apiVersion: v1\nentries: [unclosed\n").is_empty());
}

#[test]
fn reads_json_indexes_and_nulls() {
    let json =
        r#"{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"1.0.0","urls":["a.tgz"],"created":null},null]}}"#;
    let i = parse_index(json.as_bytes()).unwrap();
    assert_eq!(versions(&i, "a"), ["1.0.0"]);
    assert_eq!(i.entries["a"][0].created, "");
    let i = parse_index(b"apiVersion: v1\nentries:\n  a:\n  b: ~\n").unwrap();
    assert!(i.entries["a"].is_empty() && i.entries["b"].is_empty());
}

#[test]
fn parses_large_indexes() {
    // Past serde-saphyr's default budget (250 000 nodes; this one has about 280 000), which is
    // sized for configuration files.
    let mut y = String::from("apiVersion: v1\nentries:\n");
    for c in 0..200 {
        y.push_str(&format!("  chart{c}:\n"));
        for v in 0..100 {
            y.push_str(&format!(
                "    - name: chart{c}\n      version: 1.{v}.0\n      description: a chart\n      keywords: [a, b]\n      urls: [chart{c}-1.{v}.0.tgz]\n      created: \"2024-01-01T00:00:00Z\"\n"
            ));
        }
    }
    let i = parse_index(y.as_bytes()).unwrap();
    assert_eq!(i.entries.len(), 200);
    assert_eq!(select(&i, "chart7", "").unwrap().version, "1.99.0");
}

#[test]
fn resolves_chart_urls_as_helm_does() {
    let r = |base: &str, chart: &str| resolve_url(base, chart).unwrap();
    assert_eq!(r("https://example.com/repo", "https://cdn.example.com/a.tgz"), "https://cdn.example.com/a.tgz");
    assert_eq!(r("https://example.com/repo", "oci://registry/a"), "oci://registry/a");
    assert_eq!(r("https://example.com/repo", "charts/a-1.0.0.tgz"), "https://example.com/repo/charts/a-1.0.0.tgz");
    assert_eq!(r("https://example.com/repo/", "a.tgz"), "https://example.com/repo/a.tgz");
    assert_eq!(r("https://example.com/repo//", "a.tgz"), "https://example.com/repo/a.tgz");
    assert_eq!(r("https://example.com", "a.tgz"), "https://example.com/a.tgz");
    assert_eq!(r("https://example.com/repo", "/top/a.tgz"), "https://example.com/top/a.tgz");
    assert_eq!(r("https://example.com/repo/sub", "../a.tgz"), "https://example.com/repo/a.tgz");
    // The repository's query (a token) goes with relative URLs, replacing the chart's own.
    assert_eq!(r("https://example.com/repo?token=x", "a.tgz?v=1"), "https://example.com/repo/a.tgz?token=x");
    assert_eq!(r("https://example.com/repo", "a.tgz?v=1"), "https://example.com/repo/a.tgz");
    let e = resolve_url("not a url", "a.tgz").unwrap_err();
    assert!(matches!(e, HelmError::ResolveChartUrl { .. }), "{e:?}");
    assert_eq!(e.to_string(), "failed to parse not a url as URL");
}
