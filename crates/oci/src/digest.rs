//! Content digests (`sha256:…`, `sha512:…`): computing and verifying them.

use sha2::{Digest as _, Sha256, Sha512};

/// The `sha256:<hex>` digest of `bytes` (what OCI manifests and blobs are addressed by).
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// A running hash for the algorithm of an expected digest.
#[derive(Debug, Clone)]
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    /// The hasher for `digest`'s algorithm, `None` for an algorithm we cannot compute.
    pub(crate) fn for_digest(digest: &str) -> Option<Self> {
        match digest.split_once(':')?.0 {
            "sha256" => Some(Self::Sha256(Sha256::new())),
            "sha512" => Some(Self::Sha512(Sha512::new())),
            _ => None,
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    pub(crate) fn finish(self) -> String {
        match self {
            Self::Sha256(h) => format!("sha256:{}", hex(&h.finalize())),
            Self::Sha512(h) => format!("sha512:{}", hex(&h.finalize())),
        }
    }
}

/// The digest of `bytes` in the algorithm of `expected` (sha256 when it has none we know).
pub(crate) fn digest_like(expected: &str, bytes: &[u8]) -> String {
    let mut hasher = Hasher::for_digest(expected).unwrap_or(Hasher::Sha256(Sha256::new()));
    hasher.update(bytes);
    hasher.finish()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}
