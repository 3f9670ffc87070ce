//! The parts of Go's `crypto/x509` Sprig's certificate functions reach: `CreateCertificate`
//! for Sprig's template (extensions in Go's order and encoding, Go 1.25's truncated SHA-256
//! subject key identifier for CAs, the parent's key identifier as authority key identifier)
//! and enough of `ParseCertificate` to sign with a parsed CA.

use std::net::IpAddr;

use super::der::{self, Reader};
use super::keys::Key;

const COMMON_NAME: &[u64] = &[2, 5, 4, 3];
const KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];
const BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const SUBJECT_KEY_ID: &[u64] = &[2, 5, 29, 14];
const AUTHORITY_KEY_ID: &[u64] = &[2, 5, 29, 35];
const SUBJECT_ALT_NAME: &[u64] = &[2, 5, 29, 17];
const SERVER_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 1];
const CLIENT_AUTH: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 2];

/// Sprig's `getBaseCertTemplate` (plus `IsCA` and the CA key usage for `genCA`).
#[derive(Debug, Clone)]
pub struct Template {
    pub cn: String,
    pub ips: Vec<IpAddr>,
    pub dns: Vec<String>,
    /// Seconds and nanoseconds past the Unix epoch.
    pub not_before: (i64, u32),
    pub not_after: (i64, u32),
    pub serial: [u8; 16],
    pub is_ca: bool,
}

/// What signing needs from a parsed certificate.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The subject Name, as encoded.
    pub subject: Vec<u8>,
    /// The SubjectPublicKeyInfo, as encoded.
    pub spki: Vec<u8>,
    /// The subject key identifier extension's value.
    pub skid: Option<Vec<u8>>,
}

/// Go's `isPrintable` as `encoding/asn1` marshals untyped strings (no `*`, no `&`).
fn printable(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b))
}

fn name(cn: &str) -> Vec<u8> {
    if cn.is_empty() {
        return der::tlv(der::SEQUENCE, &[]);
    }
    let tag = if printable(cn) { der::PRINTABLE_STRING } else { der::UTF8_STRING };
    let atv = der::seq(der::SEQUENCE, &[&der::oid(COMMON_NAME), &der::tlv(tag, cn.as_bytes())]);
    der::seq(der::SEQUENCE, &[&der::tlv(der::SET, &atv)])
}

/// Civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `encoding/asn1`'s time: UTCTime for 1950..2049, GeneralizedTime otherwise.
fn time(secs: i64) -> Result<Vec<u8>, String> {
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let hms = format!("{:02}{:02}{:02}Z", s / 3600, s / 60 % 60, s % 60);
    if (1950..2050).contains(&y) {
        Ok(der::tlv(der::UTC_TIME, format!("{:02}{mo:02}{d:02}{hms}", y % 100).as_bytes()))
    } else if (0..=9999).contains(&y) {
        Ok(der::tlv(der::GENERALIZED_TIME, format!("{y:04}{mo:02}{d:02}{hms}").as_bytes()))
    } else {
        Err("asn1: structure error: cannot represent time as GeneralizedTime".into())
    }
}

fn extension(id: &[u64], critical: bool, value: &[u8]) -> Vec<u8> {
    let flag = if critical { der::tlv(der::BOOLEAN, &[0xff]) } else { Vec::new() };
    der::seq(der::SEQUENCE, &[&der::oid(id), &flag, &der::tlv(der::OCTET_STRING, value)])
}

/// Go's `marshalSANs`: DNS names, then IPs (IPv4 and IPv4-mapped as 4 bytes).
fn sans(t: &Template) -> Result<Vec<u8>, String> {
    let mut names = Vec::new();
    for dns in &t.dns {
        if !dns.is_ascii() {
            return Err(format!("x509: {} cannot be encoded as an IA5String", glidepath_gotmpl::fmt::quote(dns)));
        }
        names.extend(der::tlv(0x82, dns.as_bytes()));
    }
    for ip in &t.ips {
        let bytes = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or_else(|| v6.octets().to_vec(), |v4| v4.octets().to_vec()),
        };
        names.extend(der::tlv(0x87, &bytes));
    }
    Ok(der::tlv(der::SEQUENCE, &names))
}

/// Go's `buildCertExtensions` for Sprig's templates.
fn extensions(t: &Template, empty_subject: bool, akid: Option<&[u8]>, skid: Option<&[u8]>) -> Result<Vec<u8>, String> {
    // KeyUsage bits reversed into a BIT STRING: DigitalSignature|KeyEncipherment (+CertSign).
    let usage: &[u8] = if t.is_ca { &[0x03, 0x02, 0x02, 0xa4] } else { &[0x03, 0x02, 0x05, 0xa0] };
    let mut exts = vec![
        extension(KEY_USAGE, true, usage),
        extension(EXT_KEY_USAGE, false, &der::seq(der::SEQUENCE, &[&der::oid(SERVER_AUTH), &der::oid(CLIENT_AUTH)])),
        extension(BASIC_CONSTRAINTS, true, &der::seq(der::SEQUENCE, &[if t.is_ca { &[1, 1, 0xff] } else { &[] }])),
    ];
    if let Some(id) = skid {
        exts.push(extension(SUBJECT_KEY_ID, false, &der::tlv(der::OCTET_STRING, id)));
    }
    if let Some(id) = akid {
        exts.push(extension(AUTHORITY_KEY_ID, false, &der::tlv(der::SEQUENCE, &der::tlv(0x80, id))));
    }
    if !t.dns.is_empty() || !t.ips.is_empty() {
        // RFC 5280: the SAN extension is critical when the subject is empty.
        exts.push(extension(SUBJECT_ALT_NAME, empty_subject, &sans(t)?));
    }
    Ok(der::tlv(0xa3, &der::tlv(der::SEQUENCE, &exts.concat())))
}

/// Go's `CreateCertificate(rand, template, parent, subjectKey.Public(), signer)`, DER; a
/// `None` parent is the template itself (self-signed). Errors are Go's.
pub fn create(t: &Template, subject_key: &Key, parent: Option<&Parsed>, signer: &Key) -> Result<Vec<u8>, String> {
    let sig_alg = signer.signature_algorithm()?;
    let (spki, public_bits) = subject_key.spki()?;
    let subject = name(&t.cn);
    let issuer = parent.map_or_else(|| subject.clone(), |p| p.subject.clone());
    let akid = parent.filter(|_| issuer != subject).and_then(|p| p.skid.as_deref());
    let skid = t.is_ca.then(|| {
        let h = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &public_bits);
        h.as_ref()[..20].to_vec()
    });
    if let Some(p) = parent
        && signer.spki()?.0 != p.spki
    {
        return Err("x509: provided PrivateKey doesn't match parent's PublicKey".into());
    }
    let exts = extensions(t, subject == name(""), akid, skid.as_deref())?;
    let validity = der::seq(der::SEQUENCE, &[&time(t.not_before.0)?, &time(t.not_after.0)?]);
    let tbs = der::seq(
        der::SEQUENCE,
        &[
            &der::tlv(0xa0, &der::tlv(der::INTEGER, &[2])),
            &der::uint(&t.serial),
            &sig_alg,
            &issuer,
            &validity,
            &subject,
            &spki,
            &exts,
        ],
    );
    let signature = signer.sign(&tbs)?;
    Ok(der::seq(der::SEQUENCE, &[&tbs, &sig_alg, &der::bits(&signature)]))
}

/// A Go-style structural parse of a DER certificate (`x509.ParseCertificate`'s errors for
/// the parts read).
pub fn parse(cert: &[u8]) -> Result<Parsed, String> {
    let bad = |what: &str| format!("x509: malformed {what}");
    let mut outer = Reader(cert);
    let mut c = outer.inner(der::SEQUENCE).ok_or_else(|| bad("certificate"))?;
    if !outer.is_empty() {
        return Err("x509: trailing data".into());
    }
    let mut tbs = c.inner(der::SEQUENCE).ok_or_else(|| bad("tbs certificate"))?;
    let outer_alg = c.take(der::SEQUENCE).ok_or_else(|| bad("algorithm identifier"))?;
    c.take(der::BIT_STRING).ok_or_else(|| bad("signature"))?;
    if let Some(v) = tbs.take(0xa0) {
        let n = Reader(v.body).body(der::INTEGER).ok_or_else(|| bad("version"))?;
        if !matches!(n, [0..=2]) {
            return Err(format!("x509: invalid version {}", n.first().copied().unwrap_or(0)));
        }
    }
    tbs.take(der::INTEGER).ok_or_else(|| bad("serial number"))?;
    let inner_alg = tbs.take(der::SEQUENCE).ok_or_else(|| bad("signature algorithm identifier"))?;
    if inner_alg.raw != outer_alg.raw {
        return Err("x509: inner and outer signature algorithm identifiers don't match".into());
    }
    tbs.take(der::SEQUENCE).ok_or_else(|| bad("issuer"))?;
    tbs.take(der::SEQUENCE).ok_or_else(|| bad("validity"))?;
    let subject = tbs.take(der::SEQUENCE).ok_or_else(|| bad("subject"))?.raw.to_vec();
    let spki = tbs.take(der::SEQUENCE).ok_or_else(|| bad("spki"))?.raw.to_vec();
    tbs.take(0x81);
    tbs.take(0x82);
    let mut skid = None;
    if let Some(exts) = tbs.take(0xa3) {
        let mut list = Reader(exts.body).inner(der::SEQUENCE).ok_or_else(|| bad("extensions"))?;
        while !list.is_empty() {
            let mut ext = list.inner(der::SEQUENCE).ok_or_else(|| bad("extension"))?;
            let id = ext.take(der::OID).ok_or_else(|| bad("extension OID"))?;
            ext.take(der::BOOLEAN);
            let value = ext.body(der::OCTET_STRING).ok_or_else(|| bad("extension value"))?;
            if id.raw == der::oid(SUBJECT_KEY_ID) {
                skid =
                    Some(Reader(value).body(der::OCTET_STRING).ok_or_else(|| bad("subject key identifier"))?.to_vec());
            }
        }
    }
    if !tbs.is_empty() {
        return Err(bad("tbs certificate"));
    }
    Ok(Parsed { subject, spki, skid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_names() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(20_454), (2026, 1, 1));
        assert_eq!(time(1_700_000_000).ok(), Some(der::tlv(der::UTC_TIME, b"231114221320Z")));
        assert_eq!(time(2_524_608_000).ok(), Some(der::tlv(der::GENERALIZED_TIME, b"20500101000000Z")));
        assert!(time(-70_000_000_000).is_err());
        assert_eq!(name("a*b")[11], der::UTF8_STRING);
        assert_eq!(name("my-ca")[11], der::PRINTABLE_STRING);
    }
}
