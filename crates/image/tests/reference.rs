use glidepath_image::*;

#[test]
fn image_ref_round_trips() {
    let d = "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be";
    let cases = [
        ("ghcr.io/a/b:1.0", ImageRef { name: "ghcr.io/a/b".into(), tag: "1.0".into(), digest: String::new() }),
        ("localhost:5000/app:v1", ImageRef { name: "localhost:5000/app".into(), tag: "v1".into(), digest: "".into() }),
    ];
    for (s, want) in cases {
        let r = ImageRef::parse(s).unwrap();
        assert_eq!(r, want);
        assert_eq!(r.to_string(), s);
    }
    let s = format!("app:1@{d}");
    let r = ImageRef::parse(&s).unwrap();
    assert_eq!((r.name.as_str(), r.tag.as_str(), r.digest.as_str()), ("app", "1", d));
    assert_eq!(r.to_string(), s);
    // Status JSON: `digest` omitted when empty, as Flux's `omitempty`.
    let json = serde_json::to_string(&ImageRef::parse("a/b:1").unwrap()).unwrap();
    assert_eq!(json, r#"{"name":"a/b","tag":"1"}"#);
}
