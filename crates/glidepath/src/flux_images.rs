//! The columns `flux get images …` prints for the image kinds, which differ from the
//! revision/suspended pair of the source and sync kinds: `LAST SCAN`, `LATEST IMAGE`,
//! `LAST RUN` (flux2 `cmd/flux/get_image_*.go`).

use anyhow::bail;
use serde_json::Value;

use crate::flux_ops::Kind;

/// `repository` / `policy` / `update` after `image(s)`.
pub fn image_kind(sub: &str) -> anyhow::Result<Kind> {
    Ok(match sub {
        "repository" | "repositories" => Kind::ImageRepository,
        "policy" | "policies" => Kind::ImagePolicy,
        "update" | "updates" => Kind::ImageUpdateAutomation,
        other => bail!("image {other}: expected `repository`, `policy`, `update` (or `all` after `get images`)"),
    })
}

/// The table's header for `kind` (without the namespace column).
pub fn header(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::ImageRepository => vec!["NAME", "LAST SCAN", "SUSPENDED", "READY", "MESSAGE"],
        Kind::ImagePolicy => vec!["NAME", "LATEST IMAGE", "READY", "MESSAGE"],
        Kind::ImageUpdateAutomation => vec!["NAME", "LAST RUN", "SUSPENDED", "READY", "MESSAGE"],
        _ => vec!["NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"],
    }
}

/// The cells between the name and the ready column for the image kinds; `None` for the
/// others (revision, suspended).
pub fn middle(kind: Kind, obj: &Value) -> Option<Vec<String>> {
    let suspended = if obj["spec"]["suspend"] == true { "True" } else { "False" }.to_owned();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    match kind {
        Kind::ImageRepository => Some(vec![text(&obj["status"]["lastScanResult"]["scanTime"]), suspended]),
        Kind::ImagePolicy => Some(vec![latest_image(obj)]),
        Kind::ImageUpdateAutomation => Some(vec![text(&obj["status"]["lastAutomationRunTime"]), suspended]),
        _ => None,
    }
}

/// `status.latestRef` as `name:tag` (`@digest` when reflected), as Flux's `ImageRef.String()`.
pub fn latest_image(obj: &Value) -> String {
    let r = &obj["status"]["latestRef"];
    let (Some(name), Some(tag)) = (r["name"].as_str(), r["tag"].as_str()) else { return String::new() };
    match r["digest"].as_str().filter(|d| !d.is_empty()) {
        Some(d) => format!("{name}:{tag}@{d}"),
        None => format!("{name}:{tag}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn image_rows_carry_flux_columns() {
        let pol = json!({"status": {"latestRef": {"name": "ghcr.io/org/app", "tag": "1.2.0", "digest": "sha256:ab"}}});
        assert_eq!(middle(Kind::ImagePolicy, &pol).unwrap(), ["ghcr.io/org/app:1.2.0@sha256:ab"]);
        let repo =
            json!({"spec": {"suspend": true}, "status": {"lastScanResult": {"scanTime": "2026-12-08T00:00:00Z"}}});
        assert_eq!(middle(Kind::ImageRepository, &repo).unwrap(), ["2026-12-08T00:00:00Z", "True"]);
        assert_eq!(middle(Kind::GitRepository, &repo), None);
        assert_eq!(header(Kind::ImagePolicy), ["NAME", "LATEST IMAGE", "READY", "MESSAGE"]);
        assert_eq!(latest_image(&json!({})), "");
        assert!(image_kind("automation").is_err());
    }
}
