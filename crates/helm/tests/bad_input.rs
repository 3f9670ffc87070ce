//! Bad charts and values: each gets a clear error naming the chart, file or flag — never a
//! panic, a hang or unbounded memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::Write;
use std::path::{Path, PathBuf};

use glidepath_helm::command::{TemplateCommand, run_template_with};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("glidepath-helm-bad-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const CHART: &str = "apiVersion: v2\nname: bad\nversion: 0.1.0\n";

fn template(args: &[&str]) -> Result<String, String> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let cmd = TemplateCommand::from_args(&args).map_err(|e| e.to_string())?;
    run_template_with(&cmd, &glidepath_sprig::Options::fixed(0, 1)).map_err(|e| {
        let mut s = e.to_string();
        let mut cur = std::error::Error::source(&e);
        while let Some(x) = cur {
            s.push_str(&format!(": {x}"));
            cur = x.source();
        }
        s
    })
}

fn chart(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let d = tmp(name);
    write(&d, &[("Chart.yaml", CHART)]);
    write(&d, files);
    d
}

#[test]
fn recursive_include_stops_with_helms_message() {
    let d =
        chart("include", &[("templates/a.yaml", r#"{{ define "r" }}{{ include "r" . }}{{ end }}{{ include "r" . }}"#)]);
    let e = template(&[d.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("rendering template has a nested reference name: r"), "{e}");
}

#[test]
fn recursive_tpl_is_bounded() {
    let d =
        chart("tpl", &[("templates/a.yaml", "{{ tpl .Values.t . }}"), ("values.yaml", "t: '{{ tpl .Values.t . }}'\n")]);
    let e = template(&[d.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("bad/templates/a.yaml"), "{e}");
    assert!(e.contains("depth") || e.contains("exceeded"), "{e}");
}

#[test]
fn endless_loop_and_huge_output_are_bounded() {
    let d = chart("loop", &[("templates/a.yaml", "{{ range until 10000000 }}{{ printf \"%01000d\" 1 }}{{ end }}")]);
    let e = template(&[d.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("bad/templates/a.yaml") && (e.contains("exceeds") || e.contains("limit")), "{e}");
}

#[test]
fn a_map_containing_itself_neither_panics_nor_hangs() {
    let d = chart(
        "cycle",
        &[(
            "templates/a.yaml",
            "{{ $d := dict }}{{ $_ := set $d \"self\" $d }}a: {{ toYaml $d | quote }}\nb: {{ toJson $d | quote }}\nc: {{ len (printf \"%v\" $d) | quote }}\n",
        )],
    );
    let out = template(&[d.to_str().unwrap()]).unwrap();
    assert!(out.contains("a: \"\"") && out.contains("b: \"\""), "{out}");
}

#[test]
fn syntax_errors_name_file_and_line() {
    let d = chart("syntax", &[("templates/x.yaml", "a: 1\nb: {{ .Values.x \n")]);
    let e = template(&[d.to_str().unwrap()]).unwrap_err();
    // Helm 4.2's words, hint included (checked against the oracle).
    assert_eq!(
        e,
        "parse error at (bad/templates/x.yaml:3): unclosed action started at bad/templates/x.yaml:2\n\nUse --debug flag to render out invalid YAML"
    );
}

#[test]
fn missing_required_value() {
    let d = chart("required", &[("templates/x.yaml", "a: {{ required \"set .Values.image\" .Values.image }}\n")]);
    let e = template(&[d.to_str().unwrap()]).unwrap_err();
    assert_eq!(
        e,
        "execution error at (bad/templates/x.yaml:1:6): set .Values.image\n\nUse --debug flag to render out invalid YAML"
    );
}

fn tgz(entries: &[(&str, &[u8], tar::EntryType)]) -> Vec<u8> {
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    for (name, data, kind) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        if *kind == tar::EntryType::Symlink {
            h.set_link_name("../../etc/passwd").unwrap();
        }
        // Raw names: the builder would refuse `..` itself.
        let bytes = name.as_bytes();
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[test]
fn archives_with_paths_out_of_the_chart_or_links_are_refused() {
    let d = tmp("archives");
    let reg = tar::EntryType::Regular;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "escape.tgz",
            tgz(&[("bad/Chart.yaml", CHART.as_bytes(), reg), ("bad/../../x", b"x", reg)]),
            "chart illegally references parent directory",
        ),
        (
            "abs.tgz",
            tgz(&[("bad/Chart.yaml", CHART.as_bytes(), reg), ("bad//etc/x", b"x", reg)]),
            "chart illegally contains absolute paths",
        ),
        (
            "link.tgz",
            tgz(&[("bad/Chart.yaml", CHART.as_bytes(), reg), ("bad/templates/l.yaml", b"", tar::EntryType::Symlink)]),
            "contains a link",
        ),
        ("top.tgz", tgz(&[("Chart.yaml", CHART.as_bytes(), reg)]), "chart yaml not in base directory"),
    ];
    for (name, data, want) in cases {
        let p = d.join(name);
        std::fs::write(&p, data).unwrap();
        let e = template(&[p.to_str().unwrap()]).unwrap_err();
        assert!(e.contains(want), "{name}: {e}");
    }
    let p = d.join("garbage.tgz");
    std::fs::write(&p, b"not gzip").unwrap();
    let e = template(&[p.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("garbage.tgz"), "{e}");
}

#[test]
fn symlinks_out_of_a_chart_directory_are_refused() {
    let d = chart("symlink", &[("templates/a.yaml", "a: 1\n")]);
    let outside = tmp("symlink-outside");
    write(&outside, &[("secret.txt", "s3cr3t")]);
    std::os::unix::fs::symlink(outside.join("secret.txt"), d.join("templates/leak.yaml")).unwrap();
    let e = template(&[d.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("templates/leak.yaml") && e.contains("outside the chart"), "{e}");
    assert!(!e.contains("s3cr3t"));
}

#[test]
fn a_link_loop_in_a_chart_directory_is_refused() {
    let d = chart("linkloop", &[("templates/a.yaml", "a: 1\n")]);
    std::os::unix::fs::symlink(&d, d.join("files-loop")).unwrap();
    let e = template(&[d.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("files-loop") && e.contains("link loop"), "{e}");
}

#[test]
fn dependencies_nested_without_end_are_refused() {
    // A chain of 70 charts, each the only dependency of the one before (as a cycle of
    // archives would unroll).
    let mut inner: Option<Vec<u8>> = None;
    for i in (0..70).rev() {
        let name = format!("c{i}");
        let meta = format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n");
        let mut entries: Vec<(String, Vec<u8>)> = vec![(format!("{name}/Chart.yaml"), meta.into_bytes())];
        if let Some(data) = inner.take() {
            entries.push((format!("{name}/charts/c{}.tgz", i + 1), data));
        }
        let refs: Vec<(&str, &[u8], tar::EntryType)> =
            entries.iter().map(|(n, d)| (n.as_str(), d.as_slice(), tar::EntryType::Regular)).collect();
        inner = Some(tgz(&refs));
    }
    let d = tmp("nested");
    let p = d.join("c0.tgz");
    std::fs::write(&p, inner.unwrap()).unwrap();
    let e = template(&[p.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("nest deeper"), "{e}");
}

#[test]
fn an_oversized_values_file_is_refused_before_it_is_parsed() {
    let d = chart("bigvalues", &[("templates/a.yaml", "a: 1\n")]);
    let p = d.join("big.yaml");
    let mut f = std::fs::File::create(&p).unwrap();
    let line = format!("k: {}\n", "x".repeat(1 << 20));
    for _ in 0..100 {
        f.write_all(line.as_bytes()).unwrap();
    }
    drop(f);
    let e = template(&[d.to_str().unwrap(), "-f", p.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("big.yaml") && e.contains("larger than"), "{e}");
}

#[test]
fn bad_metadata_and_flags_name_what_is_wrong() {
    let d = tmp("meta");
    write(&d, &[("Chart.yaml", "apiVersion: v2\nname: bad\n")]);
    assert_eq!(template(&[d.to_str().unwrap()]).unwrap_err(), "validation: chart.metadata.version is required");
    write(&d, &[("Chart.yaml", "apiVersion: v2\nname: bad\nversion: one\n")]);
    assert_eq!(template(&[d.to_str().unwrap()]).unwrap_err(), "validation: chart.metadata.version \"one\" is invalid");
    let e = template(&[d.to_str().unwrap(), "--frobnicate"]).unwrap_err();
    assert_eq!(e, "unknown flag: --frobnicate");
    let e = template(&["/nonexistent/chart"]).unwrap_err();
    assert!(e.contains("/nonexistent/chart"), "{e}");
}
