//! The renderer's own semantics: what it prints, and what it refuses.

use serde_json::{Value, json};

use super::{Chart, Release};

fn render_text(src: &str, values: Value) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!(
        "glidepath-chart-render-{}-{:x}",
        std::process::id(),
        src.len() ^ src.bytes().map(u64::from).sum::<u64>() as usize
    ));
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("Chart.yaml"), "name: t\nversion: 1.2.3\nappVersion: \"9\"\n").unwrap();
    std::fs::write(dir.join("values.yaml"), serde_norway::to_string(&values).unwrap()).unwrap();
    std::fs::write(dir.join("templates/_h.tpl"), "{{- define \"h.x\" -}}\nx: {{ .a }}\n{{- end }}").unwrap();
    std::fs::write(dir.join("templates/t.yaml"), src).unwrap();
    let chart = Chart::load(&dir);
    let out = chart.and_then(|c| c.render(&Release { name: "r".into(), namespace: "n".into() }, &json!({})));
    let _ = std::fs::remove_dir_all(&dir);
    out.map(|docs| docs.iter().map(|d| serde_json::to_string(&d.obj).unwrap()).collect::<Vec<_>>().join("\n"))
}

#[test]
fn renderer_follows_go_template_and_helm_semantics() {
    let v = json!({"m": {"k": "v", "a": 1}, "l": ["x", "y"], "e": {}, "n": 3, "s": "a b"});
    let cases = [
        ("a: {{ .Values.s | quote }}", r#"{"a":"a b"}"#),
        ("a:\n  {{- if .Values.e }} no{{ else }} yes{{ end }}", r#"{"a":"yes"}"#),
        ("a:\n{{- range .Values.l }}\n  - {{ . }}\n{{- end }}", r#"{"a":["x","y"]}"#),
        (
            "a:\n  {{- with .Values.m }}\n  b: {{ .k }}\n  r: {{ $.Release.Name }}\n  {{- end }}",
            r#"{"a":{"b":"v","r":"r"}}"#,
        ),
        ("a:\n  {{- toYaml .Values.m | nindent 2 }}", r#"{"a":{"a":1,"k":"v"}}"#),
        ("a:\n  {{- include \"h.x\" .Values.m | nindent 2 }}", r#"{"a":{"x":1}}"#),
        ("a: {{ gt (int .Values.n) 2 }}\nb: {{ gt .Values.n 3.0 }}", r#"{"a":true,"b":false}"#),
        ("a: {{ or .Values.e .Values.s }}\nb: {{ not .Values.e }}", r#"{"a":"a b","b":true}"#),
        ("a: {{ .Chart.Version }}-{{ .Chart.AppVersion }}-{{ .Release.Namespace }}", r#"{"a":"1.2.3-9-n"}"#),
        ("{{/* comment */}}\na: 1\n---\n\n---\nb: 2", "{\"a\":1}\n{\"b\":2}"),
    ];
    for (src, want) in cases {
        assert_eq!(render_text(src, v.clone()).unwrap_or_else(|e| panic!("{src}: {e}")), want, "{src}");
    }
    let errors = [
        ("a: {{ gt .Values.n 1 }}", "incompatible types"),
        ("a: {{ .Values.missing }}", "missing value .Values.missing"),
        ("a: {{ .Values.m }}", "use toYaml"),
        ("a: {{ default 1 .Values.n }}", "outside the supported subset"),
        ("{{ if .Values.n }}a: 1{{ else if .Values.s }}{{ end }}", "outside the supported subset"),
        ("{{ $x := 1 }}", "outside the supported subset"),
        ("{{ if .Values.n }}a: 1", "missing end"),
        ("a: {{ include \"nope\" . }}", "no template"),
        ("a: [", "not YAML"),
    ];
    for (src, want) in errors {
        let err = render_text(src, v.clone()).expect_err(src);
        assert!(err.contains(want), "{src}: {err}");
    }
}
