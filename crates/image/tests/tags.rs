use glidepath_image::tags::{DEFAULT_EXCLUSION, adler32};
use glidepath_image::*;

#[test]
fn adler32_known_values() {
    // RFC 1950 / Go's hash/adler32 test vectors.
    assert_eq!(adler32(b""), 1);
    assert_eq!(adler32(b"a"), 0x0062_0062);
    assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    assert_eq!(adler32(&vec![0xff; 100_000]), adler32_slow(&vec![0xff; 100_000]));
}

fn adler32_slow(d: &[u8]) -> u32 {
    let (mut a, mut b) = (1u64, 0u64);
    for &x in d {
        a = (a + u64::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    ((b << 16) | a) as u32
}

#[test]
fn revision_is_adler32_of_go_json() {
    let set = TagSet::new(["1.0.0", "1.0.1", "latest"], &Exclusions::default());
    assert_eq!(set.to_json(), r#"["1.0.0","1.0.1","latest"]"#);
    assert_eq!(set.revision(), adler32(br#"["1.0.0","1.0.1","latest"]"#).to_string());
    // Go's HTML escaping.
    let odd = TagSet::new(["a<b>&c\"\\"], &Exclusions::new(Some(&[])).unwrap());
    assert_eq!(odd.to_json(), r#"["a\u003cb\u003e\u0026c\"\\"]"#);
    // Registry order counts.
    let swapped = TagSet::new(["1.0.1", "1.0.0", "latest"], &Exclusions::default());
    assert_ne!(set.revision(), swapped.revision());
}

#[test]
fn exclusions_default_and_limits() {
    let set = TagSet::new(["1.0", "sha256-abc.sig", "1.1", "x.sig.bak"], &Exclusions::default());
    assert_eq!(set.iter().collect::<Vec<_>>(), ["1.0", "1.1", "x.sig.bak"]);
    assert!(Exclusions::new(None).unwrap().excludes("a.sig"));
    assert!(!Exclusions::new(Some(&[])).unwrap().excludes("a.sig"));
    let custom = Exclusions::new(Some(&["^dev-".to_string(), "rc".to_string()])).unwrap();
    let set = TagSet::new(["dev-1", "1.0-rc1", "1.0", "a.sig"], &custom);
    assert_eq!(set.iter().collect::<Vec<_>>(), ["1.0", "a.sig"]);
    let many: Vec<String> = (0..26).map(|i| format!("^{i}$")).collect();
    assert!(Exclusions::new(Some(&many[..25])).is_ok());
    assert!(Exclusions::new(Some(&many)).is_err());
    let e = Exclusions::new(Some(&["(".to_string()])).unwrap_err();
    assert_eq!(e.to_string(), "failed to compile regex (");
    assert_eq!(DEFAULT_EXCLUSION, r"^.*\.sig$");
}

#[test]
fn latest_tags_are_ten_descending() {
    let tags: Vec<String> = (0..30).map(|i| format!("v{i:02}")).collect();
    let set = TagSet::new(&tags, &Exclusions::default());
    assert_eq!(set.len(), 30);
    assert_eq!(set.latest_tags(), ["v29", "v28", "v27", "v26", "v25", "v24", "v23", "v22", "v21", "v20"]);
    let few = TagSet::new(["b", "a", "C"], &Exclusions::default());
    assert_eq!(few.latest_tags(), ["b", "a", "C"]);
}

#[test]
fn stored_form_round_trips() {
    let set = TagSet::new(["1", "2", "three"], &Exclusions::default());
    let back = TagSet::from_json(set.to_json().as_bytes()).unwrap();
    assert_eq!(back, set);
    assert_eq!(back.get(2), Some("three"));
    assert_eq!(back.get(3), None);
    assert!(TagSet::from_json(b"null").unwrap().is_empty());
    assert!(TagSet::from_json(b"{").is_err());
}

#[test]
fn ten_thousand_tags_are_compact() {
    let tags: Vec<String> = (0..10_000).map(|i| format!("1.{}.{}-build.{i}", i / 100, i % 100)).collect();
    let set = TagSet::new(&tags, &Exclusions::default());
    let strings: usize = tags.iter().map(|t| t.capacity() + std::mem::size_of::<String>()).sum();
    let bytes: usize = tags.iter().map(String::len).sum();
    println!("10k tags: TagSet {} bytes, Vec<String> {} bytes", set.heap_bytes(), strings);
    assert_eq!(set.heap_bytes(), bytes + 4 * 10_000);
    assert!(set.heap_bytes() * 2 < strings);
}
