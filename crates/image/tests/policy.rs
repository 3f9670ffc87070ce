use glidepath_image::policy::{EMPTY_LIST, NO_MATCH, NO_TAGS, parse_version};
use glidepath_image::*;

fn semver(range: &str) -> Policy {
    Policy::Semver { range: range.into() }
}

fn err(r: Result<String, ImageError>) -> String {
    r.unwrap_err().to_string()
}

// Flux's internal/policy/semver_test.go TestNewSemVer.
#[test]
fn semver_ranges_flux_accepts_and_rejects() {
    for ok in ["1.0.x", "^1.0", "=1.0.0", "~1.0", ">=1.0", ">0,<2.0"] {
        assert_eq!(latest(&["1.0.0"], &semver(ok), None).unwrap(), "1.0.0", "{ok}");
    }
    for bad in ["1.0.0p", "1x", "x1", "-1", "a", ""] {
        let e = err(latest(&["1.0.0"], &semver(bad), None));
        assert!(e.starts_with(&format!("invalid semver range '{bad}'")), "{bad}: {e}");
        // Also with no tags at all: the range is checked first.
        assert!(matches!(select(&[] as &[&str], &semver(bad), None), Err(ImageError::InvalidPolicy { .. })));
    }
}

// Flux's TestSemVer_Latest.
#[test]
fn semver_latest_flux_cases() {
    let tags = ["1.0.0", "1.0.0.1", "1.0.0p", "1.0.1", "1.2.0", "0.1.0"];
    assert_eq!(latest(&tags, &semver("1.0.x"), None).unwrap(), "1.0.1");
    assert_eq!(latest(&["v1.2.3", "v1.0.0", "v0.1.0"], &semver("1.0.x"), None).unwrap(), "v1.0.0");
    assert_eq!(err(latest(&["b1.2.3", "b1.0.0", "b0.1.0"], &semver("1.0.x"), None)), NO_MATCH);
    assert_eq!(err(latest(&[] as &[&str], &semver("1.0.x"), None)), NO_TAGS);
    assert_eq!(err(latest(&["1.2.0"], &semver("1.0.x"), None)), NO_MATCH);
    assert_eq!(select(&["1.2.0"], &semver("1.0.x"), None).unwrap(), None);
}

#[test]
fn parse_version_is_strict_with_one_v() {
    for ok in ["1.2.3", "v1.2.3", "1.2.3-rc.1", "1.2.3+build.5", "0.0.0"] {
        assert!(parse_version(ok).is_some(), "{ok}");
    }
    for bad in ["1.2", "1", "vv1.2.3", "01.2.3", "1.02.3", "1.2.03", "1.2.3-01", "1.2.3.4", "V1.2.3", "latest"] {
        assert!(parse_version(bad).is_none(), "{bad}");
    }
    assert_eq!(parse_version("v1.2.3").unwrap().original, "v1.2.3");
}

#[test]
fn prereleases_only_when_the_range_names_one() {
    let tags = ["1.0.0", "1.1.0-rc.1", "1.0.1-beta"];
    assert_eq!(latest(&tags, &semver(">=1.0.0"), None).unwrap(), "1.0.0");
    assert_eq!(latest(&tags, &semver(">=1.0.0-0"), None).unwrap(), "1.1.0-rc.1");
}

#[test]
fn semver_highest_wins_first_of_equals_and_original_string_returned() {
    assert_eq!(latest(&["v2.0.0", "2.0.0", "1.9.9"], &semver("*"), None).unwrap(), "v2.0.0");
    assert_eq!(latest(&["1.10.0", "1.9.0", "1.2.0"], &semver("^1"), None).unwrap(), "1.10.0");
}

// alphabetical_test.go semantics: ASC picks the last in byte order, DESC the first.
#[test]
fn alphabetical_orders() {
    let tags = ["xenial", "yakkety", "zesty", "artful", "bionic"];
    let asc = Policy::Alphabetical { order: Order::Asc };
    let desc = Policy::Alphabetical { order: Order::parse("desc").unwrap() };
    assert_eq!(latest(&tags, &asc, None).unwrap(), "zesty");
    assert_eq!(latest(&tags, &desc, None).unwrap(), "artful");
    // Byte order: upper case sorts before lower case, "10" before "9".
    assert_eq!(latest(&["a", "B", "9", "10"], &asc, None).unwrap(), "a");
    assert_eq!(err(latest(&[] as &[&str], &asc, None)), NO_TAGS);
    assert_eq!(Order::parse("").unwrap(), Order::Asc);
    assert_eq!(
        Order::parse("up").unwrap_err().to_string(),
        "invalid order argument provided: 'UP', must be one of: ASC, DESC"
    );
}

// numerical_test.go: ParseFloat, and any non-number fails the policy.
#[test]
fn numerical_orders_and_failures() {
    let asc = Policy::Numerical { order: Order::Asc };
    let desc = Policy::Numerical { order: Order::Desc };
    let tags = ["1", "10", "9", "-5", "2.5", "1e1"];
    assert_eq!(latest(&tags, &asc, None).unwrap(), "1e1", "equal values: the later wins");
    assert_eq!(latest(&tags, &desc, None).unwrap(), "-5");
    assert_eq!(err(latest(&["1", "2", "v3"], &asc, None)), "failed to parse invalid numeric value 'v3'");
    assert_eq!(err(latest(&["1_000"], &asc, None)), "failed to parse invalid numeric value '1_000'");
}

#[test]
fn filter_extracts_and_maps_back() {
    let tags = ["main-abc123-100", "main-def456-99", "feature-zzz-1000", "main-bad-x"];
    let filter = TagFilter { pattern: r"^main-[a-f0-9]+-(?P<ts>[0-9]+)".into(), extract: "$ts".into() };
    let pick = latest(&tags, &Policy::Numerical { order: Order::Asc }, Some(&filter)).unwrap();
    assert_eq!(pick, "main-abc123-100");
    // No extract: the matching tags themselves.
    let filter = TagFilter { pattern: "^main-".into(), extract: String::new() };
    let pick = latest(&tags, &Policy::Alphabetical { order: Order::Asc }, Some(&filter)).unwrap();
    assert_eq!(pick, "main-def456-99");
    // Nothing matches: the empty list error.
    let filter = TagFilter { pattern: "^release-".into(), extract: String::new() };
    assert_eq!(err(latest(&tags, &semver("*"), Some(&filter))), EMPTY_LIST);
}

#[test]
fn extract_expands_like_go() {
    let filter = |extract: &str| TagFilter { pattern: r"^v(?P<maj>\d+)\.(\d+)-(\w+)$".into(), extract: extract.into() };
    let alpha = Policy::Alphabetical { order: Order::Asc };
    let tags = ["v1.2-rc"];
    // The picked tag maps back to the original whatever the template gives.
    for t in ["$1", "${1}", "$maj", "${maj}.$2", "$$", "$1x", "${3}", "$9"] {
        assert_eq!(latest(&tags, &alpha, Some(&filter(t))).unwrap(), "v1.2-rc", "{t}");
    }
    // Semver on an extracted value: `$1.$2.0` is `${1}` then `.`, as in Go.
    let f = TagFilter { pattern: r"^v(\d+)\.(\d+)-\w+$".into(), extract: "$1.$2.0".into() };
    assert_eq!(latest(&["v1.2-rc", "v1.10-rc", "v2.0-x"], &semver("1.x"), Some(&f)).unwrap(), "v1.10-rc");
    // `$2x` names group "2x" (empty), so nothing parses as a version.
    let f = TagFilter { pattern: r"^v(\d+)\.(\d+)-\w+$".into(), extract: "$2x.0.0".into() };
    assert_eq!(err(latest(&["v1.2-rc"], &semver("*"), Some(&f))), NO_MATCH);
}

#[test]
fn same_extracted_value_maps_to_the_last_tag() {
    let f = TagFilter { pattern: r"^(\d+)-".into(), extract: "$1".into() };
    let pick = latest(&["5-a", "5-b", "3-c"], &Policy::Numerical { order: Order::Asc }, Some(&f)).unwrap();
    assert_eq!(pick, "5-b");
}

#[test]
fn invalid_pattern_is_named() {
    let f = TagFilter { pattern: "^(main".into(), extract: String::new() };
    let e = latest(&["main"], &semver("*"), Some(&f)).unwrap_err();
    assert_eq!(e.to_string(), "invalid regular expression pattern '^(main'");
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn no_tags_is_flux_no_tags_in_database_and_select_none() {
    let alpha = Policy::Alphabetical { order: Order::Asc };
    assert_eq!(select(&[] as &[&str], &alpha, None).unwrap(), None);
    let f = TagFilter { pattern: "^x".into(), extract: String::new() };
    assert_eq!(select(&["a"], &alpha, Some(&f)).unwrap(), None);
    assert_eq!(select(&["a", "b"], &alpha, None).unwrap().as_deref(), Some("b"));
}
