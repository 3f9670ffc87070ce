//! Manifests: `HEAD`/`GET`/`PUT /v2/<name>/manifests/<reference>`.

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use tracing::Instrument as _;

use crate::client::{Action, Call, Client, read_limited, record_outcome};
use crate::digest::{Hasher, digest_like, sha256_digest};
use crate::error::{Cause, OciError};
use crate::reference::{Repository, validate_digest};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The media types asked for (go-containerregistry's defaults for images and indexes).
const ACCEPTED: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";
/// distribution's limit on manifest size.
const MAX_MANIFEST: u64 = 4 << 20;

/// What a manifest reference resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    /// `Docker-Content-Digest`.
    pub digest: String,
    /// `Content-Type`.
    pub media_type: String,
    /// `Content-Length`.
    pub size: u64,
}

/// A fetched manifest: its bytes as served, media type and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: String,
}

impl Client {
    /// Resolves a tag or digest without downloading the manifest (`HEAD`). A registry that
    /// answers HEAD without `Docker-Content-Digest` (or refuses HEAD with 405) is asked with
    /// `GET`, and the digest computed from the bytes.
    pub async fn head_manifest(&self, repo: &Repository, reference: &str) -> Result<Descriptor, OciError> {
        let call = Call { action: Action::HeadManifest, repo, reference };
        let span = call.span();
        let result = self.head_manifest_inner(&call, reference).instrument(span.clone()).await;
        record_outcome(&span, &result);
        result
    }

    async fn head_manifest_inner(&self, call: &Call<'_>, reference: &str) -> Result<Descriptor, OciError> {
        let url = self.url(call, &format!("manifests/{reference}"))?;
        let response = self.send(call, |http| http.head(url.clone()).header(ACCEPT, ACCEPTED)).await?;
        let response = Client::check(call, response, &[StatusCode::OK, StatusCode::METHOD_NOT_ALLOWED]).await?;
        let headers = response.headers();
        let Some(digest) = header(headers, "docker-content-digest").filter(|_| response.status() == StatusCode::OK)
        else {
            let fetch = Call { action: Action::FetchManifest, ..*call };
            let manifest = self.get_manifest_inner(&fetch, reference).await?;
            let size = manifest.bytes.len() as u64;
            return Ok(Descriptor { digest: manifest.digest, media_type: manifest.media_type, size });
        };
        validate_digest(&digest).map_err(|what| call.error(Cause::InvalidResponse(what.into()), None))?;
        if is_digest(reference) && digest != reference {
            return Err(call.error(Cause::DigestMismatch { expected: reference.into(), actual: digest }, None));
        }
        let size = header(headers, CONTENT_LENGTH.as_str()).and_then(|s| s.parse().ok()).unwrap_or(0);
        Ok(Descriptor { digest, media_type: header(headers, CONTENT_TYPE.as_str()).unwrap_or_default(), size })
    }

    /// Downloads a manifest. For a digest reference the bytes must hash to it; for a tag the
    /// digest is the bytes' sha256 (and must match `Docker-Content-Digest` when sent).
    pub async fn get_manifest(&self, repo: &Repository, reference: &str) -> Result<Manifest, OciError> {
        let call = Call { action: Action::FetchManifest, repo, reference };
        let span = call.span();
        let result = self.get_manifest_inner(&call, reference).instrument(span.clone()).await;
        record_outcome(&span, &result);
        result
    }

    async fn get_manifest_inner(&self, call: &Call<'_>, reference: &str) -> Result<Manifest, OciError> {
        let url = self.url(call, &format!("manifests/{reference}"))?;
        let response = self.send(call, |http| http.get(url.clone()).header(ACCEPT, ACCEPTED)).await?;
        let response = Client::check(call, response, &[StatusCode::OK]).await?;
        let media_type = header(response.headers(), CONTENT_TYPE.as_str()).unwrap_or_default();
        let served = header(response.headers(), "docker-content-digest");
        let bytes = read_limited(response, MAX_MANIFEST).await.map_err(|(c, s)| call.error(c, s))?;
        // A served digest in an algorithm we cannot compute is not checked (nor trusted).
        let served = served.filter(|d| Hasher::for_digest(d).is_some());
        let expected = if is_digest(reference) { Some(reference.to_string()) } else { served };
        let digest = match expected {
            Some(expected) => {
                let actual = digest_like(&expected, &bytes);
                if actual != expected {
                    return Err(call.error(Cause::DigestMismatch { expected, actual }, None));
                }
                expected
            }
            None => sha256_digest(&bytes),
        };
        Ok(Manifest { bytes, media_type, digest })
    }

    /// Uploads a manifest under a tag or its digest; returns its digest.
    pub async fn put_manifest(
        &self,
        repo: &Repository,
        reference: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<String, OciError> {
        let call = Call { action: Action::PushManifest, repo, reference };
        let span = call.span();
        let result = async {
            let digest = sha256_digest(bytes);
            if is_digest(reference) && digest_like(reference, bytes) != reference {
                return Err(call.error(Cause::DigestMismatch { expected: reference.into(), actual: digest }, None));
            }
            let url = self.url(&call, &format!("manifests/{reference}"))?;
            let body = Bytes::copy_from_slice(bytes);
            let response = self
                .send(&call, |http| http.put(url.clone()).header(CONTENT_TYPE, media_type).body(body.clone()))
                .await?;
            Client::check(&call, response, &[StatusCode::CREATED, StatusCode::OK, StatusCode::ACCEPTED]).await?;
            Ok(digest)
        }
        .instrument(span.clone())
        .await;
        record_outcome(&span, &result);
        result
    }
}

pub(crate) fn is_digest(reference: &str) -> bool {
    reference.contains(':')
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}
