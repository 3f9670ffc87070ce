//! Chart archives as `helm package` lays them out: every file under `<chart name>/`, gzip'd tar.
//! Used to package charts from Git and to repackage pulled charts whose values `valuesFiles`
//! replaced.

use std::io::Write;

use glidepath_helm::File;

/// A `.tgz` of `files` (paths relative to the chart root) under `name/`.
pub fn archive(name: &str, files: &[File]) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut sorted: Vec<&File> = files.iter().collect();
    // Deterministic: the same chart packs to the same bytes (and digest).
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for f in sorted {
        let mut header = tar::Header::new_gnu();
        header.set_size(f.data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        tar.append_data(&mut header, format!("{name}/{}", f.name), &*f.data)?;
    }
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()
}

/// `files` with `values.yaml` replaced by `values` (Helm's YAML).
pub fn with_values(files: &[File], values: &serde_json::Map<String, serde_json::Value>) -> Vec<File> {
    let text = glidepath_helm::yaml::to_yaml(&serde_json::Value::Object(values.clone()));
    let mut out: Vec<File> = files.iter().filter(|f| f.name != "values.yaml").cloned().collect();
    out.push(File { name: "values.yaml".into(), data: std::sync::Arc::from(text.into_bytes()) });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, data: &str) -> File {
        File { name: name.into(), data: std::sync::Arc::from(data.as_bytes().to_vec()) }
    }

    #[test]
    fn archives_load_back_as_the_same_chart_and_are_deterministic() {
        let files = vec![
            file("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 1.2.3\n"),
            file("values.yaml", "a: 1\n"),
            file("templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"),
        ];
        let tgz = archive("demo", &files).unwrap();
        assert_eq!(tgz, archive("demo", &files).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo-1.2.3.tgz");
        std::fs::write(&path, &tgz).unwrap();
        let chart = glidepath_helm::load_chart(&path).unwrap();
        assert_eq!(chart.metadata.version, "1.2.3");
        assert_eq!(chart.templates.len(), 1);
        let replaced = with_values(&files, &serde_json::json!({"b": 2}).as_object().unwrap().clone());
        std::fs::write(&path, archive("demo", &replaced).unwrap()).unwrap();
        let chart = glidepath_helm::load_chart(&path).unwrap();
        assert_eq!(serde_json::Value::Object(chart.values), serde_json::json!({"b": 2.0}));
    }
}
