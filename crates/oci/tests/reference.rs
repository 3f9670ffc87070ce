//! Reference parsing (go-containerregistry's defaults) and docker config credentials.

use glidepath_oci::{Credentials, Reference, Repository};

fn parts(input: &str) -> (String, String, Option<String>, Option<String>) {
    let r = Reference::parse(input).unwrap();
    (r.repository.registry, r.repository.name, r.tag, r.digest)
}

#[test]
fn docker_hub_names_get_the_default_registry_and_library() {
    assert_eq!(parts("alpine"), ("index.docker.io".into(), "library/alpine".into(), None, None));
    assert_eq!(Reference::parse("alpine").unwrap().identifier(), "latest");
    assert_eq!(parts("docker.io/alpine:3.20").0, "index.docker.io");
    assert_eq!(parts("docker.io/alpine:3.20").1, "library/alpine");
    assert_eq!(parts("fluxcd/flux:v2").1, "fluxcd/flux");
    assert_eq!(Reference::parse("alpine").unwrap().to_string(), "index.docker.io/library/alpine");
}

#[test]
fn hosts_with_dots_or_ports_are_registries() {
    assert_eq!(parts("localhost:5000/x:1"), ("localhost:5000".into(), "x".into(), Some("1".into()), None));
    // go-containerregistry (so Flux) has no `localhost` rule, unlike Docker's parser.
    assert_eq!(parts("localhost/x"), ("index.docker.io".into(), "localhost/x".into(), None, None));
    assert_eq!(parts("127.0.0.1:5055/a/b").0, "127.0.0.1:5055");
    assert_eq!(parts("ghcr.io/org/app").1, "org/app");
    let digest = format!("sha256:{}", "a".repeat(64));
    let r = Reference::parse(&format!("oci://ghcr.io/org/app:1.2.3@{digest}")).unwrap();
    assert_eq!(r.tag.as_deref(), Some("1.2.3"));
    assert_eq!(r.identifier(), digest);
    assert_eq!(r.to_string(), format!("ghcr.io/org/app:1.2.3@{digest}"));
    assert_eq!(Repository::parse("ghcr.io/org/app").unwrap().to_string(), "ghcr.io/org/app");
}

#[test]
fn malformed_references_are_rejected() {
    for bad in ["", "UPPER/case", "ghcr.io/", "a/b:", "a/b:-x", "a@sha256:12", "a@md5:abc", "ghcr.io/a//b"] {
        assert!(Reference::parse(bad).is_err(), "{bad:?} parsed");
    }
    assert!(Repository::parse("ghcr.io/a:1").is_err());
}

#[test]
fn docker_config_keys_match_as_docker_does() {
    let config = br#"{"auths":{
        "https://index.docker.io/v1/":{"auth":"aHViOmh1YnB3"},
        "https://ghcr.io":{"username":"gh","password":"ghpw"},
        "http://127.0.0.1:5000/v2/":{"auth":"bG9jYWw6bG9jYWxwdw=="},
        "quay.io":{"identitytoken":"refresh"}
    }}"#;
    let basic = |u: &str, p: &str| Credentials::Basic { username: u.into(), password: p.into() };
    assert_eq!(Credentials::from_dockerconfigjson(config, "index.docker.io").unwrap(), basic("hub", "hubpw"));
    assert_eq!(Credentials::from_dockerconfigjson(config, "ghcr.io").unwrap(), basic("gh", "ghpw"));
    assert_eq!(Credentials::from_dockerconfigjson(config, "127.0.0.1:5000").unwrap(), basic("local", "localpw"));
    assert_eq!(
        Credentials::from_dockerconfigjson(config, "quay.io").unwrap(),
        Credentials::IdentityToken("refresh".into())
    );
    assert_eq!(Credentials::from_dockerconfigjson(config, "gcr.io").unwrap(), Credentials::Anonymous);
    // Docker Hub under its other spellings.
    let alias = br#"{"auths":{"docker.io":{"auth":"aHViOmh1YnB3"}}}"#;
    assert_eq!(Credentials::from_dockerconfigjson(alias, "index.docker.io").unwrap(), basic("hub", "hubpw"));
}

#[test]
fn credentials_never_show_their_secrets() {
    let bad = br#"{"auths":{"r.io":{"auth":"bm9jb2xvbg=="}}}"#; // "nocolon"
    let err = Credentials::from_dockerconfigjson(bad, "r.io").unwrap_err();
    assert!(!format!("{err} {err:?}").contains("nocolon"), "{err:?}");
    assert!(Credentials::from_dockerconfigjson(b"not json", "r.io").is_err());
    let creds = Credentials::Basic { username: "u".into(), password: "hunter2".into() };
    assert!(!format!("{creds:?}").contains("hunter2"));
    assert!(!format!("{:?}", Credentials::IdentityToken("tok-secret".into())).contains("tok-secret"));
}
