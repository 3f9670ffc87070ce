//! How a release record sits in its Secret (Helm's `pkg/storage/driver/util.go` and
//! `secrets.go`): `data.release` holds base64(gzip(JSON)); the Secret is named
//! `sh.helm.release.v1.<name>.v<version>`, typed `helm.sh/release.v1`, and labelled with the
//! release's name, owner, status and version plus the time it was created or last written.
//!
//! Kubernetes base64-encodes every Secret `data` value once more on the wire. The functions
//! here work on the value *inside* that layer: the bytes a client library hands out as
//! `secret.data["release"]` (which are themselves base64 text).

use std::collections::BTreeMap;
use std::io::Read as _;

use base64::Engine as _;

use super::record::ReleaseRecord;
use crate::HelmError;

/// The Secret `type` Helm 3 and 4 give release Secrets.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";

/// The key of the Secret's `data` that holds the record.
pub const DATA_KEY: &str = "release";

/// A record is refused when it inflates past this (Helm sets no limit; a Secret holds at most
/// 1 MiB, and a chart at most 100 MiB, so this is generous).
pub const MAX_DECODED_SIZE: u64 = 256 << 20;

const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// The Secret's name for a revision (Helm's `makeKey`).
pub fn secret_name(name: &str, version: i64) -> String {
    format!("sh.helm.release.v1.{name}.v{version}")
}

/// Which write a Secret's labels are for: Helm's `Create` stamps `createdAt`, `Update` stamps
/// `modifiedAt` (and, replacing the labels, drops `createdAt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Created,
    Modified,
}

/// The labels Helm manages on a release Secret; everything else is a custom release label.
pub const SYSTEM_LABELS: [&str; 6] = ["name", "owner", "status", "version", "createdAt", "modifiedAt"];

/// The Secret's labels for `record` written at `unix_secs`: the record's custom labels first,
/// then the stamp, then `name`, `owner=helm`, `status` and `version`, which win over custom
/// labels of the same key (the order Helm's `Create`/`Update` and `newSecretsObject` set them).
pub fn secret_labels(record: &ReleaseRecord, stamp: Stamp, unix_secs: i64) -> BTreeMap<String, String> {
    let mut labels = custom_labels(&record.labels);
    let key = match stamp {
        Stamp::Created => "createdAt",
        Stamp::Modified => "modifiedAt",
    };
    labels.insert(key.into(), unix_secs.to_string());
    labels.insert("name".into(), record.name.clone());
    labels.insert("owner".into(), "helm".into());
    labels.insert("status".into(), record.info.status.as_str().to_string());
    labels.insert("version".into(), record.version.to_string());
    labels
}

/// A Secret's labels without Helm's own (what Helm reads back as the release's `Labels`).
pub fn custom_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels.iter().filter(|(k, _)| !SYSTEM_LABELS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The bytes to store under `data.release`: the base64 text of gzip(JSON), gzip at its best
/// compression as Helm writes it.
pub fn encode(record: &ReleaseRecord) -> Result<Vec<u8>, HelmError> {
    let json = serde_json::to_vec(record).map_err(|source| HelmError::EncodeRelease { source: source.into() })?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &json).map_err(|source| HelmError::EncodeRelease { source: source.into() })?;
    let zipped = gz.finish().map_err(|source| HelmError::EncodeRelease { source: source.into() })?;
    Ok(base64::engine::general_purpose::STANDARD.encode(zipped).into_bytes())
}

/// Reads `data.release` (the base64 text; Helm's `decodeRelease`). The decoded bytes are
/// gunzipped when they start with gzip's magic, else taken as JSON, as Helm does for records
/// written before it compressed them. Custom labels are not in the JSON: set
/// `record.labels` from [`custom_labels`] of the Secret's labels.
pub fn decode(data: &[u8]) -> Result<ReleaseRecord, HelmError> {
    // Go's decoder skips line breaks in base64 text; so does this.
    let text: Vec<u8> = data.iter().copied().filter(|b| !matches!(b, b'\r' | b'\n')).collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .map_err(|source| HelmError::DecodeRelease { source: source.into() })?;
    let json = if raw.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(MAX_DECODED_SIZE + 1)
            .read_to_end(&mut out)
            .map_err(|source| HelmError::DecodeRelease { source: source.into() })?;
        if out.len() as u64 > MAX_DECODED_SIZE {
            let message = format!("release record inflates past {MAX_DECODED_SIZE} bytes");
            return Err(HelmError::DecodeRelease { source: message.into() });
        }
        out
    } else {
        raw
    };
    serde_json::from_slice(&json).map_err(|source| HelmError::DecodeRelease { source: source.into() })
}
