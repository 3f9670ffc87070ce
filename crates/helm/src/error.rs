//! The crate's errors, named after the failed action. Display texts are Helm's where Helm's
//! users know them (`validation: chart.metadata.name is required`, `parse error at (...)`).

use std::path::PathBuf;

/// What went wrong while loading or rendering a chart.
#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    /// A file or directory of the chart could not be read.
    #[error("read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The chart archive is not a readable gzipped tar.
    #[error("read chart archive {path}")]
    Archive {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The chart is malformed (Helm's loader and validation messages).
    #[error("{0}")]
    Invalid(String),
    /// A YAML file of the chart (Chart.yaml, values.yaml, a values file) does not parse.
    #[error("{context}: {message}")]
    Yaml { context: String, message: String },
    /// Values do not satisfy the charts' values.schema.json.
    #[error("values don't meet the specifications of the schema(s) in the following chart(s):\n{0}")]
    Schema(String),
    /// A template does not parse or fails to execute (Helm's wording, with file and line).
    #[error("{0}")]
    Render(String),
    /// A rendered manifest is not YAML (`YAML parse error on <file>: ...`).
    #[error("YAML parse error on {file}: {message}")]
    Manifest { file: String, message: String },
    /// A `--set` family expression is malformed.
    #[error("{0}")]
    Set(String),
    /// A release record could not be encoded for its Secret.
    #[error("encode release")]
    EncodeRelease {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A release Secret's `data.release` is not base64(gzip(JSON)) of a release record.
    #[error("decode release")]
    DecodeRelease {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A repository's `index.yaml` could not be read (Helm's texts: `empty index.yaml file`,
    /// `no API version specified`, or the parser's).
    #[error("load repository index")]
    LoadIndex {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No version of a chart in an index matches (Helm's `no chart name found`,
    /// `no chart version found for NAME-CONSTRAINT`, or the constraint's parse error).
    #[error("{message}")]
    SelectChart { message: String },
    /// A chart or repository URL does not parse.
    #[error("failed to parse {url} as URL")]
    ResolveChartUrl {
        url: String,
        #[source]
        source: url::ParseError,
    },
    /// An error after which Helm still prints what it rendered (`--debug`): `output` goes to
    /// stdout before the error.
    #[error("{error}")]
    WithOutput { output: String, error: Box<HelmError> },
}
