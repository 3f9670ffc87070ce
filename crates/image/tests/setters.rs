use std::collections::BTreeMap;

use glidepath_image::*;

const DIGEST: &str = "sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be";

/// The policies of Flux's `internal/update/update_test.go` setters case.
fn policies() -> BTreeMap<String, ImageRef> {
    let mut m = BTreeMap::new();
    m.insert("automation-ns:policy".into(), ImageRef::parse("index.repo.fake/updated:v1.0.1").unwrap());
    m.insert("automation-ns:unchanged".into(), ImageRef::parse("image:v1.0.0").unwrap());
    m.insert(
        "automation-ns:policy-with-digest".into(),
        ImageRef { name: "image".into(), tag: "v1.0.0".into(), digest: DIGEST.into() },
    );
    m
}

fn edit(text: &str) -> Edit {
    apply(text, &policies()).unwrap().expect("an edit")
}

// Flux's testdata/setters/{original,expected}/marked.yaml.
const MARKED: &str = "---\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: foo\n  namespace: bar\nspec:\n  schedule: \"*/1 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n            image: image:v1.0.0 # {\"$imagepolicy\": \"automation-ns:policy\"}\n          - name: d\n            image: image:v1.0.0 # {\"$imagepolicy\": \"automation-ns:unchanged\"}\n";

#[test]
fn flux_marked_cronjob() {
    let e = edit(MARKED);
    assert_eq!(e.text, MARKED.replacen("image: image:v1.0.0", "image: index.repo.fake/updated:v1.0.1", 1));
    let change = Change {
        old_value: "image:v1.0.0".into(),
        new_value: "index.repo.fake/updated:v1.0.1".into(),
        setter: "automation-ns:policy".into(),
    };
    assert_eq!(e.changes, vec![change.clone()]);
    let id = ObjectId {
        api_version: "batch/v1beta1".into(),
        kind: "CronJob".into(),
        namespace: "bar".into(),
        name: "foo".into(),
    };
    assert_eq!(e.objects, vec![(id, vec![change])]);
}

// Flux's testdata/setters/{original,expected}/kustomization.yml: name, tag and digest
// setters, a full setter with a digest, and a block scalar holding `- op:` lines (flux2#3284).
const KUSTOMIZATION: &str = r#"# This is not intended to be a working kustomization
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - unimportant.yaml
images:
  - name: container
    newName: replaced # {"$imagepolicy": "automation-ns:policy:name"}
    newTag: v1 # {"$imagepolicy": "automation-ns:policy:tag"}
    newDigest: sha256:1234567890abcdef # {"$imagepolicy": "automation-ns:policy-with-digest:digest"}
# Prove fix for https://github.com/fluxcd/flux2/issues/3284
patches:
  - patch: |
      - op: replace
        path: /spec/template/spec/containers/0/volumeMounts
        value:
          - mountPath: /usr/share/wildfly/wildfly/standalone/log
            name: wildfly-standalone-log
    target:
      kind: Deployment
      name: sxxxxdadminservice
      image: image # {"$imagepolicy": "automation-ns:policy-with-digest"}
"#;

#[test]
fn flux_kustomization_parts_and_digest() {
    let e = edit(KUSTOMIZATION);
    let expected = KUSTOMIZATION
        .replace("newName: replaced", "newName: index.repo.fake/updated")
        .replace("newTag: v1 ", "newTag: v1.0.1 ")
        .replace("newDigest: sha256:1234567890abcdef", &format!("newDigest: {DIGEST}"))
        .replace("image: image #", &format!("image: image:v1.0.0@{DIGEST} #"));
    assert_eq!(e.text, expected);
    let setters: Vec<&str> = e.changes.iter().map(|c| c.setter.as_str()).collect();
    assert_eq!(
        setters,
        [
            "automation-ns:policy:name",
            "automation-ns:policy:tag",
            "automation-ns:policy-with-digest:digest",
            "automation-ns:policy-with-digest"
        ]
    );
    assert_eq!(e.objects.len(), 1);
    assert_eq!(e.objects[0].0.kind, "Kustomization");
    assert_eq!(e.objects[0].0.name, "");
    assert_eq!(e.objects[0].1.len(), 4);
}

#[test]
fn files_without_the_token_are_not_parsed() {
    // Not even valid YAML: never looked at.
    assert!(apply("{{{ image: x # $imagepolicy", &policies()).unwrap().is_none());
    assert!(apply(MARKED.replace("\"$imagepolicy\"", "\"$other\"").as_str(), &policies()).unwrap().is_none());
}

#[test]
fn unknown_policies_and_unchanged_values_are_no_edit() {
    let text = "image: a:1 # {\"$imagepolicy\": \"automation-ns:missing\"}\nother: image:v1.0.0 # {\"$imagepolicy\": \"automation-ns:unchanged\"}\n";
    assert!(apply(text, &policies()).unwrap().is_none());
}

#[test]
fn quote_styles_are_kept_and_other_bytes_unchanged() {
    let text = "kind: Deployment\nmetadata:\n  name: app   # the name\nspec:\n  # a comment: {\"$imagepolicy\": \"automation-ns:policy\"}\n  a: 'old:1' # {\"$imagepolicy\": \"automation-ns:policy\"}\n  b: \"old:1\"   #   {\"$imagepolicy\": \"automation-ns:policy:tag\"}\n  c:\told # {\"$imagepolicy\":\"automation-ns:policy:name\"}\n  list:\n      -   old # {\"$imagepolicy\": \"automation-ns:policy\"}\n      - \"x\" # {\"$imagepolicy\": \"automation-ns:policy:tag\"}\n";
    let e = edit(text);
    let expected = "kind: Deployment\nmetadata:\n  name: app   # the name\nspec:\n  # a comment: {\"$imagepolicy\": \"automation-ns:policy\"}\n  a: 'index.repo.fake/updated:v1.0.1' # {\"$imagepolicy\": \"automation-ns:policy\"}\n  b: \"v1.0.1\"   #   {\"$imagepolicy\": \"automation-ns:policy:tag\"}\n  c:\tindex.repo.fake/updated # {\"$imagepolicy\":\"automation-ns:policy:name\"}\n  list:\n      -   index.repo.fake/updated:v1.0.1 # {\"$imagepolicy\": \"automation-ns:policy\"}\n      - \"v1.0.1\" # {\"$imagepolicy\": \"automation-ns:policy:tag\"}\n";
    assert_eq!(e.text, expected);
    assert_eq!(e.changes.len(), 5);
    assert_eq!(e.changes[0].old_value, "old:1");
    assert_eq!(e.changes[4].old_value, "x");
}

#[test]
fn crlf_multi_documents_anchors_and_flow_style() {
    let text = "apiVersion: v1\r\nkind: A\r\nmetadata:\r\n  name: one\r\nimage: &img old # {\"$imagepolicy\": \"automation-ns:policy\"}\r\nalias: *img # {\"$imagepolicy\": \"automation-ns:policy\"}\r\n---\r\napiVersion: v2\r\nkind: B\r\nmetadata: {name: two, namespace: ns}\r\nflow: {image: old} # {\"$imagepolicy\": \"automation-ns:policy\"}\r\nimage: !!str old # {\"$imagepolicy\": \"automation-ns:policy\"}\r\n";
    let e = edit(text);
    let new = "index.repo.fake/updated:v1.0.1";
    let expected =
        text.replacen("&img old", &format!("&img {new}"), 1).replacen("!!str old", &format!("!!str {new}"), 1);
    assert_eq!(e.text, expected);
    assert_eq!(e.changes.len(), 2);
    let kinds: Vec<(&str, &str, &str)> =
        e.objects.iter().map(|(o, _)| (o.kind.as_str(), o.name.as_str(), o.namespace.as_str())).collect();
    assert_eq!(kinds, [("A", "one", ""), ("B", "two", "ns")]);
}

#[test]
fn digests_in_old_values_and_block_scalars_left_alone() {
    let text = format!(
        "kind: K\nscript: |\n  image: x # {{\"$imagepolicy\": \"automation-ns:policy\"}}\nimage: ghcr.io/a/b:1.0@{DIGEST} # {{\"$imagepolicy\": \"automation-ns:policy\"}}\n"
    );
    let e = edit(&text);
    assert_eq!(e.changes.len(), 1);
    assert_eq!(e.changes[0].old_value, format!("ghcr.io/a/b:1.0@{DIGEST}"));
    assert!(e.text.contains("  image: x # "));
    assert!(e.text.contains("\nimage: index.repo.fake/updated:v1.0.1 # "));
}

#[test]
fn hash_inside_quotes_is_not_a_comment() {
    let text = "kind: K\nimage: \"a # b\" # {\"$imagepolicy\": \"automation-ns:policy:tag\"}\n";
    let e = edit(text);
    assert_eq!(e.text, "kind: K\nimage: \"v1.0.1\" # {\"$imagepolicy\": \"automation-ns:policy:tag\"}\n");
    assert_eq!(e.changes[0].old_value, "a # b");
}

#[test]
fn a_digest_setter_without_a_digest_is_left_alone() {
    let text = "kind: K\nd: old # {\"$imagepolicy\": \"automation-ns:policy:digest\"}\n";
    assert!(apply(text, &policies()).unwrap().is_none());
}

#[test]
fn broken_yaml_around_a_marker_fails_with_the_document() {
    let text = "kind: [K\nimage: a # {\"$imagepolicy\": \"automation-ns:policy\"}\n";
    let err = apply(text, &policies()).unwrap_err();
    assert!(matches!(err, ImageError::ParseDocument { document: 0, .. }), "{err}");
}

#[test]
fn sequence_item_mappings_and_values_a_plain_scalar_cannot_hold() {
    let mut p = policies();
    p.insert("ns:odd".into(), ImageRef { name: "@weird".into(), tag: "1: x".into(), digest: String::new() });
    let text = "kind: K\ncontainers:\n- image: old # {\"$imagepolicy\": \"automation-ns:policy\"}\n  tag: old # {\"$imagepolicy\": \"ns:odd:tag\"}\n";
    let e = apply(text, &p).unwrap().unwrap();
    assert_eq!(
        e.text,
        "kind: K\ncontainers:\n- image: index.repo.fake/updated:v1.0.1 # {\"$imagepolicy\": \"automation-ns:policy\"}\n  tag: \"1: x\" # {\"$imagepolicy\": \"ns:odd:tag\"}\n"
    );
}
