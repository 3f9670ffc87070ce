//! Helm's release storage, natively: the release v1 record Helm 4 keeps in Secrets
//! `sh.helm.release.v1.<name>.v<N>` ([`ReleaseRecord`], lossless for records Helm wrote), its
//! encoding into the Secret ([`encode`], [`decode`], [`secret_name`], [`secret_labels`]),
//! building one from Glidepath's render ([`ReleaseRecord::new`]) so that Helm reads what the
//! controllers write, and the history decisions Helm's storage makes ([`latest`],
//! [`last_deployed`], [`pending`], [`prune`]).
//!
//! No cluster access and no clock: callers read and write the Secrets and pass times in.

mod build;
mod codec;
mod history;
mod record;

pub use build::{GO_ZERO_TIME, RecordMeta, go_numbers};
pub use codec::{
    DATA_KEY, MAX_DECODED_SIZE, SECRET_TYPE, SYSTEM_LABELS, Stamp, custom_labels, decode, encode, secret_labels,
    secret_name,
};
pub use history::{last_deployed, latest, pending, prune, prune_before_create};
pub use record::{ChartMetadata, ChartRecord, FileRecord, HookExecution, HookRecord, Info, ReleaseRecord, Status};
