//! Opaque values with fields and methods, as Helm's `.Capabilities` and `.Files` will be:
//! Go's method-call rules (methods with the command's arguments, zero-argument methods in the
//! middle of a chain, fields refusing arguments) and error texts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::collections::BTreeMap;
use std::sync::Arc;

use glidepath_gotmpl::{Func, Opaque, Param, Template, Value};

#[derive(Debug)]
struct Versions(Vec<&'static str>);

impl Opaque for Versions {
    fn type_name(&self) -> String {
        "chartutil.VersionSet".into()
    }
    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn method(&self, name: &str) -> Option<Func> {
        let list = self.0.clone();
        (name == "Has").then(|| {
            Func::pure(&[Param::String], move |a| Ok(Value::Bool(list.contains(&a[0].as_str().unwrap_or("")))))
        })
    }
}

#[derive(Debug)]
struct Capabilities;

impl Opaque for Capabilities {
    fn type_name(&self) -> String {
        "*chartutil.Capabilities".into()
    }
    fn display(&self) -> String {
        "&{...}".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "APIVersions" => Some(Value::Opaque(Arc::new(Versions(vec!["v1", "apps/v1"])))),
            "KubeVersion" => Some(Value::str("v1.30.0")),
            _ => None,
        }
    }
    fn method(&self, name: &str) -> Option<Func> {
        (name == "Self").then(|| Func::pure(&[], |_| Ok(Value::Opaque(Arc::new(Capabilities)))))
    }
}

fn run(text: &str) -> Result<String, String> {
    let mut m = BTreeMap::new();
    m.insert("Capabilities".to_string(), Value::Opaque(Arc::new(Capabilities)));
    let mut t = Template::new("caps");
    t.parse(text).map_err(|e| e.to_string())?;
    t.execute(&Value::map(m)).map_err(|e| e.to_string())
}

#[test]
fn fields_and_methods() {
    assert_eq!(run(r#"{{ .Capabilities.APIVersions.Has "apps/v1" }}"#).unwrap(), "true");
    assert_eq!(run(r#"{{ .Capabilities.APIVersions.Has "batch/v9" }}"#).unwrap(), "false");
    assert_eq!(run(r#"{{ "v1" | .Capabilities.APIVersions.Has }}"#).unwrap(), "true");
    assert_eq!(run(r#"{{ if .Capabilities.APIVersions.Has "v1" }}yes{{ end }}"#).unwrap(), "yes");
    assert_eq!(run("{{ .Capabilities.KubeVersion }} {{ .Capabilities.APIVersions }}").unwrap(), "v1.30.0 [v1 apps/v1]");
    assert_eq!(run("{{ .Capabilities.Self.KubeVersion }}").unwrap(), "v1.30.0");
    assert_eq!(run("{{ with $c := .Capabilities }}{{ $c.KubeVersion }}{{ end }}").unwrap(), "v1.30.0");
    assert_eq!(run("{{ (.Capabilities).KubeVersion }}").unwrap(), "v1.30.0");
    assert_eq!(run("{{ printf \"%T\" .Capabilities }}").unwrap(), "*chartutil.Capabilities");
}

#[test]
fn method_and_field_errors() {
    let e = run("{{ .Capabilities.APIVersions.Has }}").unwrap_err();
    assert_eq!(
        e,
        r#"template: caps:1:16: executing "caps" at <.Capabilities.APIVersions.Has>: wrong number of args for Has: want 1 got 0"#
    );
    let e = run("{{ .Capabilities.APIVersions.Has 1 }}").unwrap_err();
    assert!(e.ends_with("expected string; found 1"), "{e}");
    let e = run("{{ .Capabilities.KubeVersion 1 }}").unwrap_err();
    assert!(e.ends_with("KubeVersion has arguments but cannot be invoked as function"), "{e}");
    let e = run("{{ .Capabilities.Nope }}").unwrap_err();
    assert!(e.ends_with("can't evaluate field Nope in type interface {}"), "{e}");
    let e = run("{{ with .Capabilities }}{{ .Nope }}{{ end }}").unwrap_err();
    assert!(e.ends_with("can't evaluate field Nope in type *chartutil.Capabilities"), "{e}");
    let e = run("{{ .Capabilities.APIVersions.Has.X \"v1\" }}").unwrap_err();
    assert!(e.ends_with("wrong number of args for Has: want 1 got 0"), "{e}");
}
