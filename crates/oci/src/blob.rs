//! Blobs: `GET /v2/<name>/blobs/<digest>` (verified, bounded, optionally streamed to a writer)
//! and monolithic uploads (`POST /v2/<name>/blobs/uploads/` then `PUT <location>?digest=`).

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use tracing::Instrument as _;

use crate::client::{Action, Call, Client, record_outcome};
use crate::digest::{Hasher, sha256_digest};
use crate::error::{Cause, OciError, transport_cause};
use crate::reference::{Repository, validate_digest};

impl Client {
    /// Downloads a blob of at most `limit` bytes and checks it hashes to `digest`.
    pub async fn get_blob(&self, repo: &Repository, digest: &str, limit: u64) -> Result<Vec<u8>, OciError> {
        let mut out = Vec::new();
        self.get_blob_to(repo, digest, &mut out, limit).await?;
        Ok(out)
    }

    /// Streams a blob of at most `limit` bytes into `writer`, hashing as it goes; returns the
    /// byte count. On a digest mismatch or an oversized blob the error comes after (some of)
    /// the bytes were written: the caller discards what it wrote.
    pub async fn get_blob_to<W: AsyncWrite + Unpin>(
        &self,
        repo: &Repository,
        digest: &str,
        writer: &mut W,
        limit: u64,
    ) -> Result<u64, OciError> {
        let call = Call { action: Action::FetchBlob, repo, reference: digest };
        let span = call.span();
        let result = self.get_blob_inner(&call, digest, writer, limit).instrument(span.clone()).await;
        record_outcome(&span, &result);
        result
    }

    async fn get_blob_inner<W: AsyncWrite + Unpin>(
        &self,
        call: &Call<'_>,
        digest: &str,
        writer: &mut W,
        limit: u64,
    ) -> Result<u64, OciError> {
        validate_digest(digest).map_err(|what| call.error(Cause::InvalidResponse(what.into()), None))?;
        let mut hasher = Hasher::for_digest(digest)
            .ok_or_else(|| call.error(Cause::InvalidResponse("unsupported digest algorithm".into()), None))?;
        let url = self.url(call, &format!("blobs/{digest}"))?;
        let response = self.send(call, |http| http.get(url.clone())).await?;
        let mut response = Client::check(call, response, &[StatusCode::OK]).await?;
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(call.error(Cause::TooLarge { limit }, None));
        }
        let mut written = 0u64;
        while let Some(chunk) =
            response.chunk().await.map_err(|e| call.error(transport_cause(&e), Some(Box::new(e))))?
        {
            written += chunk.len() as u64;
            if written > limit {
                return Err(call.error(Cause::TooLarge { limit }, None));
            }
            hasher.update(&chunk);
            writer.write_all(&chunk).await.map_err(|e| call.error(Cause::Write, Some(Box::new(e))))?;
        }
        writer.flush().await.map_err(|e| call.error(Cause::Write, Some(Box::new(e))))?;
        let actual = hasher.finish();
        if actual != digest {
            return Err(call.error(Cause::DigestMismatch { expected: digest.into(), actual }, None));
        }
        Ok(written)
    }

    /// Uploads `bytes` as one blob (skipped when the registry has it); returns its sha256
    /// digest.
    pub async fn push_blob(&self, repo: &Repository, bytes: &[u8]) -> Result<String, OciError> {
        let digest = sha256_digest(bytes);
        self.push_blob_with_digest(repo, &digest, bytes).await?;
        Ok(digest)
    }

    /// Uploads `bytes` claiming `digest` (the registry verifies it: `DIGEST_INVALID`).
    pub async fn push_blob_with_digest(&self, repo: &Repository, digest: &str, bytes: &[u8]) -> Result<(), OciError> {
        let call = Call { action: Action::PushBlob, repo, reference: digest };
        let span = call.span();
        let result = self.push_blob_inner(&call, digest, bytes).instrument(span.clone()).await;
        record_outcome(&span, &result);
        result
    }

    async fn push_blob_inner(&self, call: &Call<'_>, digest: &str, bytes: &[u8]) -> Result<(), OciError> {
        let exists = self.url(call, &format!("blobs/{digest}"))?;
        let response = self.send(call, |http| http.head(exists.clone())).await?;
        if response.status() == StatusCode::OK {
            return Ok(());
        }
        let start = self.url(call, "blobs/uploads/")?;
        let response =
            self.send(call, |http| http.post(start.clone()).header(CONTENT_LENGTH, "0").body(Bytes::new())).await?;
        let response = Client::check(call, response, &[StatusCode::ACCEPTED, StatusCode::CREATED]).await?;
        let mut location = upload_location(&response, &start).map_err(|e| call.error(e, None))?;
        location.query_pairs_mut().append_pair("digest", digest);
        // Cloned per attempt (a 401 retry) without copying the content.
        let body = Bytes::copy_from_slice(bytes);
        let response = self
            .send(call, |http| {
                http.put(location.clone()).header(CONTENT_TYPE, "application/octet-stream").body(body.clone())
            })
            .await?;
        Client::check(call, response, &[StatusCode::CREATED, StatusCode::NO_CONTENT, StatusCode::ACCEPTED]).await?;
        Ok(())
    }
}

/// The upload session's `Location`, resolved against the request URL.
fn upload_location(response: &reqwest::Response, base: &url::Url) -> Result<url::Url, Cause> {
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Cause::InvalidResponse("the upload has no Location".into()))?;
    let url = base.join(location).map_err(|_| Cause::InvalidResponse("the upload Location is not a URL".into()))?;
    if url.origin() != base.origin() {
        return Err(Cause::InvalidResponse("the upload Location points at another host".into()));
    }
    Ok(url)
}
