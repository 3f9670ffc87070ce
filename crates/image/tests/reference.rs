use glidepath_image::*;

#[test]
fn canonical_names_as_go_containerregistry() {
    let cases = [
        ("alpine", "index.docker.io/library/alpine"),
        ("alpine:3.19", "index.docker.io/library/alpine"),
        ("docker.io/alpine", "index.docker.io/library/alpine"),
        ("docker.io/library/alpine", "index.docker.io/library/alpine"),
        ("index.docker.io/fluxcd/flux", "index.docker.io/fluxcd/flux"),
        ("fluxcd/flux:v1", "index.docker.io/fluxcd/flux"),
        ("ghcr.io/stefanprodan/podinfo", "ghcr.io/stefanprodan/podinfo"),
        ("localhost:5000/app:1.0", "localhost:5000/app"),
        // No `.` or `:` in the first part: it is a path, on Docker Hub.
        ("localhost/app", "index.docker.io/localhost/app"),
        ("registry.example.com:443/team/app/sub", "registry.example.com:443/team/app/sub"),
    ];
    for (input, want) in cases {
        assert_eq!(canonical_name(input).unwrap(), want, "{input}");
    }
}

#[test]
fn parts_tags_and_digests() {
    let d = "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be";
    let r = Reference::parse("alpine").unwrap();
    assert_eq!((r.registry.as_str(), r.repository.as_str()), ("index.docker.io", "library/alpine"));
    assert_eq!(r.tag.as_deref(), Some("latest"));
    let r = Reference::parse(&format!("ghcr.io/a/b:1.0@{d}")).unwrap();
    assert_eq!((r.registry.as_str(), r.repository.as_str()), ("ghcr.io", "a/b"));
    assert_eq!((r.tag, r.digest.as_deref()), (None, Some(d)));
    let r = Reference::parse("localhost:5000/app").unwrap();
    assert_eq!((r.registry.as_str(), r.tag.as_deref()), ("localhost:5000", Some("latest")));
}

#[test]
fn bad_names_fail_with_go_containerregistry_messages() {
    assert_eq!(Reference::parse("").unwrap_err().to_string(), "could not parse reference: ");
    assert!(Reference::parse("UPPER/case").is_err());
    assert!(Reference::parse("a").is_err(), "repositories need two characters");
    assert!(canonical_name("ghcr.io/app@sha256:abc").is_err());
    assert!(canonical_name("app:bad/tag!").is_err());
}

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
