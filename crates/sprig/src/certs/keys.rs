//! Private keys as Sprig handles them: generation, Go's PEM encodings (`RSA PRIVATE KEY`
//! PKCS#1, `EC PRIVATE KEY` SEC 1, `PRIVATE KEY` PKCS#8 for Ed25519, `DSA PRIVATE KEY`),
//! `parsePrivateKeyPEM`'s parsing and errors, public key info and certificate signing.

use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _};

use super::der::{self, Reader};

const RSA_ENCRYPTION: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const SHA256_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
const ED25519: &[u64] = &[1, 3, 101, 112];

/// The NIST curves aws-lc-rs signs with (Go also parses P-224 keys; they are refused here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    fn oid(self) -> &'static [u64] {
        match self {
            Curve::P256 => &[1, 2, 840, 10045, 3, 1, 7],
            Curve::P384 => &[1, 3, 132, 0, 34],
            Curve::P521 => &[1, 3, 132, 0, 35],
        }
    }

    /// The curve named by an encoded OID.
    fn from_oid(encoded: &[u8]) -> Option<Curve> {
        [Curve::P256, Curve::P384, Curve::P521].into_iter().find(|c| der::oid(c.oid()) == encoded)
    }

    /// Go signs with the hash matching the curve size.
    fn alg(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            Curve::P521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        }
    }

    fn sig_oid(self) -> &'static [u64] {
        match self {
            Curve::P256 => &[1, 2, 840, 10045, 4, 3, 2],
            Curve::P384 => &[1, 2, 840, 10045, 4, 3, 3],
            Curve::P521 => &[1, 2, 840, 10045, 4, 3, 4],
        }
    }
}

/// A private key of one of the types Sprig generates or parses.
#[derive(Debug)]
pub enum Key {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair, Curve),
    Ed25519(Ed25519KeyPair),
    /// A DSA key (Sprig's `DSAKeyFormat` DER): it prints, but Go cannot sign with it.
    Dsa(Vec<u8>),
}

impl Key {
    /// A new RSA key (Sprig: 4096 bits for `genPrivateKey`, 2048 for certificates).
    pub fn rsa(size: KeySize) -> Result<Key, String> {
        RsaKeyPair::generate(size).map(Key::Rsa).map_err(|e| e.to_string())
    }

    /// A new ECDSA P-256 key.
    pub fn ecdsa() -> Result<Key, String> {
        let kp = EcdsaKeyPair::generate(Curve::P256.alg()).map_err(|e| e.to_string())?;
        Ok(Key::Ec(kp, Curve::P256))
    }

    /// A new Ed25519 key.
    pub fn ed25519() -> Result<Key, String> {
        Ed25519KeyPair::generate().map(Key::Ed25519).map_err(|e| e.to_string())
    }

    /// Sprig's `pemBlockForKey`, encoded.
    pub fn to_pem(&self) -> Result<String, String> {
        let fail = |_: aws_lc_rs::error::Unspecified| "error pem-encoding key".to_string();
        Ok(match self {
            Key::Rsa(kp) => {
                let pkcs8 = kp.as_der().map_err(fail)?;
                der::pem_encode(
                    "RSA PRIVATE KEY",
                    &pkcs1_from_pkcs8(pkcs8.as_ref()).ok_or_else(|| fail(aws_lc_rs::error::Unspecified))?,
                )
            }
            Key::Ec(kp, curve) => {
                let secret = kp.private_key().as_be_bytes().map_err(fail)?;
                let body = der::seq(
                    der::SEQUENCE,
                    &[
                        &der::tlv(der::INTEGER, &[1]),
                        &der::tlv(der::OCTET_STRING, secret.as_ref()),
                        &der::tlv(0xa0, &der::oid(curve.oid())),
                        &der::tlv(0xa1, &der::bits(kp.public_key().as_ref())),
                    ],
                );
                der::pem_encode("EC PRIVATE KEY", &body)
            }
            Key::Ed25519(kp) => {
                // Go's MarshalPKCS8PrivateKey: version 0, no public key (PKCS#8 v1).
                let seed = kp.seed().and_then(|s| s.as_be_bytes()).map_err(fail)?;
                let body = der::seq(
                    der::SEQUENCE,
                    &[
                        &der::tlv(der::INTEGER, &[0]),
                        &der::seq(der::SEQUENCE, &[&der::oid(ED25519)]),
                        &der::tlv(der::OCTET_STRING, &der::tlv(der::OCTET_STRING, seed.as_ref())),
                    ],
                );
                der::pem_encode("PRIVATE KEY", &body)
            }
            Key::Dsa(body) => der::pem_encode("DSA PRIVATE KEY", body),
        })
    }

    /// The DER SubjectPublicKeyInfo and the public key bits inside it (hashed for the
    /// subject key identifier). DSA has none Go can marshal.
    pub fn spki(&self) -> Result<(Vec<u8>, Vec<u8>), String> {
        let (alg, key) = match self {
            Key::Rsa(kp) => (
                der::seq(der::SEQUENCE, &[&der::oid(RSA_ENCRYPTION), &der::tlv(der::NULL, &[])]),
                kp.public_key().as_ref().to_vec(),
            ),
            Key::Ec(kp, curve) => (
                der::seq(der::SEQUENCE, &[&der::oid(EC_PUBLIC_KEY), &der::oid(curve.oid())]),
                kp.public_key().as_ref().to_vec(),
            ),
            Key::Ed25519(kp) => (der::seq(der::SEQUENCE, &[&der::oid(ED25519)]), kp.public_key().as_ref().to_vec()),
            Key::Dsa(_) => return Err("x509: unsupported public key type: *dsa.PublicKey".into()),
        };
        Ok((der::seq(der::SEQUENCE, &[&alg, &der::bits(&key)]), key))
    }

    /// The AlgorithmIdentifier Go signs certificates with for this key.
    pub fn signature_algorithm(&self) -> Result<Vec<u8>, String> {
        match self {
            Key::Rsa(_) => Ok(der::seq(der::SEQUENCE, &[&der::oid(SHA256_WITH_RSA), &der::tlv(der::NULL, &[])])),
            Key::Ec(_, curve) => Ok(der::seq(der::SEQUENCE, &[&der::oid(curve.sig_oid())])),
            Key::Ed25519(_) => Ok(der::seq(der::SEQUENCE, &[&der::oid(ED25519)])),
            Key::Dsa(_) => Err("x509: certificate private key does not implement crypto.Signer".into()),
        }
    }

    /// Signs `msg` (RSA PKCS#1 v1.5 SHA-256, ECDSA ASN.1 with the curve's hash, Ed25519).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        let fail = |e: aws_lc_rs::error::Unspecified| format!("x509: signing failed: {e}");
        match self {
            Key::Rsa(kp) => {
                let mut sig = vec![0; kp.public_modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut sig).map_err(fail)?;
                Ok(sig)
            }
            Key::Ec(kp, _) => Ok(kp.sign(&SystemRandom::new(), msg).map_err(fail)?.as_ref().to_vec()),
            Key::Ed25519(kp) => Ok(kp.sign(msg).as_ref().to_vec()),
            Key::Dsa(_) => Err("x509: certificate private key does not implement crypto.Signer".into()),
        }
    }
}

/// The RSAPrivateKey inside a PKCS#8 PrivateKeyInfo.
fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Option<Vec<u8>> {
    let mut info = Reader(pkcs8).inner(der::SEQUENCE)?;
    info.take(der::INTEGER)?;
    info.take(der::SEQUENCE)?;
    info.body(der::OCTET_STRING).map(<[u8]>::to_vec)
}

/// Sprig's `parsePrivateKeyPEM`, with its error messages.
pub fn parse_pem(pem: &str) -> Result<Key, String> {
    let Some((kind, body)) = der::pem_decode(pem) else { return Err("no PEM data in input".into()) };
    if kind == "PRIVATE KEY" {
        return parse_pkcs8(&body).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(prefix) = kind.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {kind}"));
    };
    match prefix {
        "RSA" => RsaKeyPair::from_der(&body)
            .map(Key::Rsa)
            .map_err(|e| format!("parsing RSA private key from PEM: x509: failed to parse private key: {e}")),
        "EC" => parse_sec1(&body).map_err(|e| format!("parsing EC private key from PEM: {e}")),
        "DSA" => parse_dsa(&body).ok_or_else(|| "parsing DSA private key from PEM: asn1: structure error".to_string()),
        _ => Err(format!("invalid private key type {kind}")),
    }
}

fn parse_pkcs8(body: &[u8]) -> Result<Key, String> {
    let malformed = || "x509: malformed PKCS#8 private key".to_string();
    let mut info = Reader(body).inner(der::SEQUENCE).ok_or_else(malformed)?;
    info.take(der::INTEGER).ok_or_else(malformed)?;
    let mut alg = info.inner(der::SEQUENCE).ok_or_else(malformed)?;
    let oid = alg.take(der::OID).ok_or_else(malformed)?;
    let reject = |e: aws_lc_rs::error::KeyRejected| format!("x509: failed to parse private key: {e}");
    if oid.raw == der::oid(RSA_ENCRYPTION) {
        RsaKeyPair::from_pkcs8(body).map(Key::Rsa).map_err(reject)
    } else if oid.raw == der::oid(EC_PUBLIC_KEY) {
        let curve = alg.take(der::OID).and_then(|c| Curve::from_oid(c.raw)).ok_or("x509: unknown elliptic curve")?;
        EcdsaKeyPair::from_pkcs8(curve.alg(), body).map(|k| Key::Ec(k, curve)).map_err(reject)
    } else if oid.raw == der::oid(ED25519) {
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(body).map(Key::Ed25519).map_err(reject)
    } else {
        Err(format!("x509: PKCS#8 wrapping contained private key with unknown algorithm: {}", oid_string(oid.body)))
    }
}

/// An SEC 1 `ECPrivateKey`, whose `[0]` parameters name the curve.
fn parse_sec1(body: &[u8]) -> Result<Key, String> {
    let malformed = || "x509: failed to parse EC private key".to_string();
    let mut key = Reader(body).inner(der::SEQUENCE).ok_or_else(malformed)?;
    key.take(der::INTEGER).ok_or_else(malformed)?;
    key.take(der::OCTET_STRING).ok_or_else(malformed)?;
    let params = key.inner(0xa0).ok_or("x509: unknown elliptic curve")?.take(der::OID).ok_or_else(malformed)?;
    let curve = Curve::from_oid(params.raw).ok_or("x509: unknown elliptic curve")?;
    EcdsaKeyPair::from_private_key_der(curve.alg(), body)
        .map(|k| Key::Ec(k, curve))
        .map_err(|e| format!("x509: failed to parse EC private key: {e}"))
}

/// Sprig's `DSAKeyFormat`: SEQUENCE of version, P, Q, G, Y, X.
fn parse_dsa(body: &[u8]) -> Option<Key> {
    let mut k = Reader(body).inner(der::SEQUENCE)?;
    for _ in 0..6 {
        k.take(der::INTEGER)?;
    }
    Some(Key::Dsa(body.to_vec()))
}

/// Dotted form of an encoded OID's contents.
fn oid_string(body: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut v = 0u64;
    for b in body {
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (v / 40).min(2);
                arcs.extend([first, v - first * 40]);
            } else {
                arcs.push(v);
            }
            v = 0;
        }
    }
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}
