use std::collections::BTreeMap;

use glidepath_image::message::FileChanges;
use glidepath_image::*;

fn change(old: &str, new: &str, setter: &str) -> Change {
    Change { old_value: old.into(), new_value: new.into(), setter: setter.into() }
}

fn id(kind: &str, name: &str) -> ObjectId {
    ObjectId { api_version: "apps/v1".into(), kind: kind.into(), namespace: "default".into(), name: name.into() }
}

fn files() -> FileChanges {
    let mut f = BTreeMap::new();
    f.insert(
        "deploy/app.yaml".to_string(),
        vec![
            (id("Deployment", "web"), vec![change("web:1.0.0", "web:1.0.1", "flux-system:web")]),
            (id("Deployment", "api"), vec![change("1.0.0", "1.1.0", "flux-system:api:tag")]),
        ],
    );
    f.insert(
        "deploy/cron.yaml".to_string(),
        vec![(id("CronJob", "job"), vec![change("web:1.0.0", "web:1.0.1", "flux-system:web")])],
    );
    f
}

fn automation() -> AutomationObject {
    AutomationObject { namespace: "flux-system".into(), name: "auto".into() }
}

fn render(t: &str) -> Result<String, ImageError> {
    let values = BTreeMap::from([("env".to_string(), "prod".to_string())]);
    commit_message(t, &automation(), &files(), &values)
}

#[test]
fn default_message() {
    assert_eq!(render("").unwrap(), DEFAULT_MESSAGE);
    assert_eq!(DEFAULT_MESSAGE, "Update from image update automation");
}

// The example of Flux's imageupdateautomations.md "Message template".
#[test]
fn flux_documented_template() {
    let t = r#"Automated image update

Automation name: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind }} {{ $resource.Name }}
  Changes:
{{- range $_, $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
"#;
    let want = "Automated image update

Automation name: flux-system/auto

Files:
- deploy/app.yaml
- deploy/cron.yaml
Objects:
- CronJob job
  Changes:
    - web:1.0.0 -> web:1.0.1
- Deployment api
  Changes:
    - 1.0.0 -> 1.1.0
- Deployment web
  Changes:
    - web:1.0.0 -> web:1.0.1
";
    assert_eq!(render(t).unwrap(), want);
}

#[test]
fn nested_file_changes_changes_and_values() {
    let t = "{{ range $file, $objs := .Changed.FileChanges }}{{ $file }}:{{ range $obj, $ch := $objs }} {{ $obj.Kind }}/{{ $obj.Namespace }}/{{ $obj.Name }}={{ len $ch }}{{ end }};{{ end }}";
    assert_eq!(
        render(t).unwrap(),
        "deploy/app.yaml: Deployment/default/api=1 Deployment/default/web=1;deploy/cron.yaml: CronJob/default/job=1;"
    );
    let t = "{{ range .Changed.Changes }}{{ .Setter }} {{ end }}| {{ .Values.env }} {{ .AutomationObject.Name }} {{ upper .AutomationObject.Namespace }}";
    assert_eq!(render(t).unwrap(), "flux-system:api:tag flux-system:web | prod auto FLUX-SYSTEM");
    assert_eq!(render("{{ len .Changed.Changes }} {{ len .Changed.Objects }}").unwrap(), "2 3");
}

#[test]
fn removed_fields_are_refused_with_flux_text() {
    assert_eq!(
        render("{{ range .Updated.Images }}{{ . }}{{ end }}").unwrap_err().to_string(),
        "template uses removed '.Updated' field. Please use '.Changed' instead. See: https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template"
    );
    assert_eq!(
        render("{{ .Changed.ImageResult }}").unwrap_err().to_string(),
        "template uses removed '.Changed.ImageResult' field. Please use '.Changed.FileChanges' or '.Changed.Objects' instead. See: https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template"
    );
}

#[test]
fn parse_and_run_errors_are_wrapped_as_flux_does() {
    let e = render("{{ if }}").unwrap_err().to_string();
    assert!(e.starts_with("unable to create commit message template from spec: "), "{e}");
    let e = render("{{ .Nope }}").unwrap_err().to_string();
    assert!(e.starts_with("failed to run template from spec: "), "{e}");
    let e = render("{{ now }}").unwrap_err().to_string();
    assert!(e.contains("function \"now\" not defined"), "{e}");
}
