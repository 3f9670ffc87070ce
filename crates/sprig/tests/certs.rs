//! Sprig's key and certificate functions. Output is random, so the tests decode the PEM and
//! DER and check structure (names, validity, extensions, key types) and signatures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use crate::common;

use aws_lc_rs::signature::{self, UnparsedPublicKey};

/// A DER TLV: tag and contents.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tlv<'a>(u8, &'a [u8]);

/// Splits DER into its TLVs.
fn tlvs(mut d: &[u8]) -> Vec<Tlv<'_>> {
    let mut out = Vec::new();
    while !d.is_empty() {
        let tag = d[0];
        let (len, hl) = if d[1] < 0x80 {
            (d[1] as usize, 2)
        } else {
            let n = (d[1] & 0x7f) as usize;
            (d[2..2 + n].iter().fold(0, |a, b| a << 8 | *b as usize), 2 + n)
        };
        out.push(Tlv(tag, &d[hl..hl + len]));
        d = &d[hl + len..];
    }
    out
}

fn raw(t: Tlv<'_>) -> Vec<u8> {
    let mut v = vec![t.0];
    let n = t.1.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let b: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|x| *x == 0).collect();
        v.push(0x80 | b.len() as u8);
        v.extend(b);
    }
    v.extend_from_slice(t.1);
    v
}

fn b64(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut out, mut acc, mut n) = (Vec::new(), 0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        acc = acc << 6 | A.iter().position(|x| *x == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((acc >> n) as u8);
        }
    }
    out
}

/// The single PEM block of `s`: type and DER. Checks Go's framing (64-column lines).
fn pem(s: &str) -> (String, Vec<u8>) {
    let first = s.lines().next().unwrap();
    let kind = first.strip_prefix("-----BEGIN ").unwrap().strip_suffix("-----").unwrap().to_string();
    assert!(s.ends_with(&format!("-----END {kind}-----\n")), "{s}");
    let body: Vec<&str> = s.lines().skip(1).take_while(|l| !l.starts_with("-----")).collect();
    assert!(body.iter().rev().skip(1).all(|l| l.len() == 64));
    (kind, b64(&body.concat()))
}

const CN: [u8; 3] = [0x55, 4, 3];
const KEY_USAGE: [u8; 3] = [0x55, 29, 15];
const EXT_KEY_USAGE: [u8; 3] = [0x55, 29, 37];
const BASIC: [u8; 3] = [0x55, 29, 19];
const SKID: [u8; 3] = [0x55, 29, 14];
const AKID: [u8; 3] = [0x55, 29, 35];
const SAN: [u8; 3] = [0x55, 29, 17];

/// A decoded certificate.
#[derive(Debug)]
struct Cert {
    tbs: Vec<u8>,
    serial: Vec<u8>,
    sig_alg: Vec<u8>,
    issuer: Vec<u8>,
    subject: Vec<u8>,
    not_before: String,
    not_after: String,
    spki_alg: Vec<u8>,
    public_key: Vec<u8>,
    /// (OID, critical, value) in order.
    exts: Vec<(Vec<u8>, bool, Vec<u8>)>,
    signature: Vec<u8>,
}

impl Cert {
    fn parse(pem_text: &str) -> Cert {
        let (kind, der) = pem(pem_text);
        assert_eq!(kind, "CERTIFICATE");
        let top = tlvs(&der);
        assert_eq!(top.len(), 1);
        let c = tlvs(top[0].1);
        let t = tlvs(c[0].1);
        assert_eq!(raw(c[1]), raw(t[2]), "inner and outer algorithms");
        assert_eq!(raw(t[0]), [0xa0, 3, 2, 1, 2], "version 3");
        let validity = tlvs(t[4].1);
        let spki = tlvs(t[6].1);
        assert_eq!(spki[1].1[0], 0, "no unused bits");
        let exts = tlvs(tlvs(t[7].1)[0].1)
            .into_iter()
            .map(|e| {
                let f = tlvs(e.1);
                let critical = f.len() == 3 && f[1] == Tlv(1, &[0xff]);
                (f[0].1.to_vec(), critical, f[f.len() - 1].1.to_vec())
            })
            .collect();
        Cert {
            tbs: raw(c[0]),
            serial: t[1].1.to_vec(),
            sig_alg: raw(t[2]),
            issuer: raw(t[3]),
            subject: raw(t[5]),
            not_before: String::from_utf8(validity[0].1.to_vec()).unwrap(),
            not_after: String::from_utf8(validity[1].1.to_vec()).unwrap(),
            spki_alg: raw(spki[0]),
            public_key: spki[1].1[1..].to_vec(),
            exts,
            signature: c[2].1[1..].to_vec(),
        }
    }

    fn ext(&self, id: [u8; 3]) -> Option<(bool, Vec<u8>)> {
        self.exts.iter().find(|e| e.0 == id).map(|e| (e.1, e.2.clone()))
    }

    fn ext_ids(&self) -> Vec<u8> {
        self.exts.iter().map(|e| e.0[2]).collect()
    }

    /// The subject's common name (the whole Name must be that one attribute).
    fn cn(name: &[u8]) -> Option<String> {
        let rdns = tlvs(tlvs(name)[0].1);
        let atv = tlvs(tlvs(rdns.first()?.1)[0].1);
        assert_eq!(atv[0].1, CN);
        Some(String::from_utf8(atv[1].1.to_vec()).unwrap())
    }

    fn verify_by(&self, issuer: &Cert) {
        let alg: &dyn signature::VerificationAlgorithm = match issuer.spki_alg.len() {
            15 => &signature::RSA_PKCS1_2048_8192_SHA256,
            21 => &signature::ECDSA_P256_SHA256_ASN1,
            7 => &signature::ED25519,
            n => panic!("unexpected algorithm length {n}"),
        };
        UnparsedPublicKey::new(alg, &issuer.public_key).verify(&self.tbs, &self.signature).unwrap();
    }
}

/// Runs `tpl` and splits its output on `|`.
fn parts(tpl: &str) -> Vec<String> {
    common::run(tpl).unwrap().split('|').map(str::to_string).collect()
}

const RSA_SHA256: [u8; 15] = [0x30, 13, 6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11, 5, 0];
const ECDSA_SHA256: [u8; 12] = [0x30, 10, 6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 2];
const ED25519_ALG: [u8; 7] = [0x30, 5, 6, 3, 0x2b, 101, 112];
/// The clock of `common::run` is fixed at 1_700_000_000: 2023-11-14T22:13:20Z.
const NOW: &str = "231114221320Z";

fn sha256_20(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref()[..20].to_vec()
}

/// The RSA modulus length in bytes of a PKCS#1 key or public key DER.
fn rsa_modulus_len(der: &[u8]) -> usize {
    let fields = tlvs(tlvs(der)[0].1);
    let n = if fields.len() == 2 { fields[0].1 } else { fields[1].1 };
    n.len() - usize::from(n[0] == 0)
}

#[test]
fn gen_ca() {
    let p =
        parts(r#"{{ $ca := genCA "my-ca" 365 }}{{ $ca.Cert }}|{{ $ca.Key }}|{{ typeOf $ca }}|{{ printf "%v" $ca }}"#);
    let ca = Cert::parse(&p[0]);
    assert_eq!(Cert::cn(&ca.subject).as_deref(), Some("my-ca"));
    assert_eq!(ca.issuer, ca.subject);
    assert_eq!(ca.subject[11], 0x13, "PrintableString");
    assert_eq!((ca.not_before.as_str(), ca.not_after.as_str()), (NOW, "241113221320Z"));
    assert!(ca.serial.len() <= 17 && (ca.serial.len() < 17 || ca.serial[0] == 0));
    assert_eq!(ca.sig_alg, RSA_SHA256);
    assert_eq!(ca.ext_ids(), [15, 37, 19, 14]);
    assert_eq!(ca.ext(KEY_USAGE), Some((true, vec![3, 2, 2, 0xa4])));
    assert_eq!(ca.ext(BASIC), Some((true, vec![0x30, 3, 1, 1, 0xff])));
    let eku = [0x30, 0x14, 6, 8, 0x2b, 6, 1, 5, 5, 7, 3, 1, 6, 8, 0x2b, 6, 1, 5, 5, 7, 3, 2];
    assert_eq!(ca.ext(EXT_KEY_USAGE), Some((false, eku.to_vec())));
    let mut skid = vec![4, 20];
    skid.extend(sha256_20(&ca.public_key));
    assert_eq!(ca.ext(SKID), Some((false, skid)));
    assert_eq!(rsa_modulus_len(&ca.public_key), 256);
    ca.verify_by(&ca);
    let (kind, key) = pem(&p[1]);
    assert_eq!(kind, "RSA PRIVATE KEY");
    assert_eq!(tlvs(tlvs(&key)[0].1).len(), 9, "PKCS#1: version, n, e, d, p, q, dp, dq, qinv");
    assert_eq!(rsa_modulus_len(&key), 256);
    assert_eq!(p[2], "sprig.certificate");
    assert_eq!(p[3], format!("{{{} {}}}", p[0], p[1]), "Go's %v of the struct");
}

#[test]
fn validity_encoding() {
    // GeneralizedTime from 2050; Go's `time.Duration(days) * 24h` wraps past 106751 days.
    let p = parts(r#"{{ (genCA "x" 40000).Cert }}|{{ (genSelfSignedCert "x" nil nil 200000).Cert }}"#);
    assert_eq!(Cert::parse(&p[0]).not_after, "21330521221320Z");
    assert_eq!(Cert::parse(&p[1]).not_after, "861124223846Z");
}

#[test]
fn gen_signed_cert() {
    let tpl = r#"{{ $ca := genCA "my-ca" 10 }}{{ $c := genSignedCert "leaf.example" (list "10.0.0.1" "::ffff:1.2.3.4" "2001:db8::1") (list "a.example" "b.example") 30 $ca }}{{ $ca.Cert }}|{{ $c.Cert }}|{{ $c.Key }}|{{ (genSignedCert "my-ca" nil nil 1 $ca).Cert }}"#;
    let p = parts(tpl);
    let (ca, leaf) = (Cert::parse(&p[0]), Cert::parse(&p[1]));
    assert_eq!(Cert::cn(&leaf.subject).as_deref(), Some("leaf.example"));
    assert_eq!(leaf.issuer, ca.subject);
    assert_eq!((leaf.not_before.as_str(), leaf.not_after.as_str()), (NOW, "231214221320Z"));
    assert_eq!(leaf.ext_ids(), [15, 37, 19, 35, 17]);
    assert_eq!(leaf.ext(KEY_USAGE), Some((true, vec![3, 2, 5, 0xa0])));
    assert_eq!(leaf.ext(BASIC), Some((true, vec![0x30, 0])));
    let ca_skid = ca.ext(SKID).unwrap().1;
    let mut akid = vec![0x30, 22, 0x80, 20];
    akid.extend(&ca_skid[2..]);
    assert_eq!(leaf.ext(AKID), Some((false, akid)));
    let (critical, san) = leaf.ext(SAN).unwrap();
    assert!(!critical);
    let names: Vec<(u8, Vec<u8>)> = tlvs(tlvs(&san)[0].1).iter().map(|t| (t.0, t.1.to_vec())).collect();
    let mut v6 = vec![0x20, 1, 0xd, 0xb8];
    v6.extend([0; 11]);
    v6.push(1);
    let want = vec![
        (0x82, b"a.example".to_vec()),
        (0x82, b"b.example".to_vec()),
        (0x87, vec![10, 0, 0, 1]),
        (0x87, vec![1, 2, 3, 4]),
        (0x87, v6),
    ];
    assert_eq!(names, want);
    leaf.verify_by(&ca);
    assert_ne!(leaf.public_key, ca.public_key);
    assert_eq!(pem(&p[2]).0, "RSA PRIVATE KEY");
    // Go sets the authority key id only when issuer and subject differ.
    let same = Cert::parse(&p[3]);
    assert_eq!((same.issuer == same.subject, same.ext(AKID)), (true, None));
    same.verify_by(&ca);
}

#[test]
fn gen_self_signed_cert() {
    let p = parts(
        r#"{{ $s := genSelfSignedCert "" nil (list "x.y") 1 }}{{ $s.Cert }}|{{ $t := genSelfSignedCert "héllo" (list "127.0.0.1") nil 0 }}{{ $t.Cert }}"#,
    );
    let s = Cert::parse(&p[0]);
    assert_eq!(s.subject, [0x30, 0]);
    assert_eq!(s.issuer, [0x30, 0]);
    assert_eq!(s.ext_ids(), [15, 37, 19, 17]);
    assert_eq!(s.ext(SAN), Some((true, vec![0x30, 5, 0x82, 3, b'x', b'.', b'y'])), "critical: empty subject");
    assert_eq!(s.not_after, "231115221320Z");
    s.verify_by(&s);
    let t = Cert::parse(&p[1]);
    assert_eq!(Cert::cn(&t.subject).as_deref(), Some("héllo"));
    assert_eq!(t.subject[11], 0x0c, "UTF8String");
    assert_eq!(t.ext(SAN), Some((false, vec![0x30, 6, 0x87, 4, 127, 0, 0, 1])));
    assert_eq!(t.not_after, NOW);
    assert_eq!(t.ext(AKID), None);
    t.verify_by(&t);
}

#[test]
fn gen_private_key() {
    let p = parts(
        r#"{{ genPrivateKey "ecdsa" }}|{{ genPrivateKey "ed25519" }}|{{ genPrivateKey "foo" }}|{{ genPrivateKey "rsa" }}"#,
    );
    let (kind, ec) = pem(&p[0]);
    assert_eq!(kind, "EC PRIVATE KEY");
    let f = tlvs(tlvs(&ec)[0].1);
    assert_eq!(f[0], Tlv(2, &[1]));
    assert_eq!(f[1].1.len(), 32);
    assert_eq!(raw(tlvs(f[2].1)[0]), [6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7], "prime256v1");
    assert_eq!(tlvs(f[3].1)[0].1.len(), 66, "uncompressed point");
    let (kind, ed) = pem(&p[1]);
    assert_eq!(kind, "PRIVATE KEY");
    assert_eq!(ed.len(), 48);
    assert_eq!(ed[..16], [0x30, 46, 2, 1, 0, 0x30, 5, 6, 3, 0x2b, 101, 112, 4, 34, 4, 32]);
    assert_eq!(p[2], "Unknown type foo");
    let (kind, rsa) = pem(&p[3]);
    assert_eq!(kind, "RSA PRIVATE KEY");
    assert_eq!(rsa_modulus_len(&rsa), 512);
}

#[test]
fn with_keys() {
    let tpl = r#"{{ $ek := genPrivateKey "ecdsa" }}{{ $dk := genPrivateKey "ed25519" }}{{ $ca := genCAWithKey "ed-ca" 5 $dk }}{{ $c := genSignedCertWithKey "leaf" nil (list "l") 5 $ca $ek }}{{ $s := genSelfSignedCertWithKey "self" nil nil 5 $ek }}{{ $ca.Cert }}|{{ $c.Cert }}|{{ $s.Cert }}|{{ eq $ca.Key $dk }}|{{ eq $c.Key $ek }}|{{ eq $s.Key $ek }}"#;
    let p = parts(tpl);
    let (ca, leaf, s) = (Cert::parse(&p[0]), Cert::parse(&p[1]), Cert::parse(&p[2]));
    assert_eq!(ca.sig_alg, ED25519_ALG);
    assert_eq!(ca.spki_alg, ED25519_ALG);
    ca.verify_by(&ca);
    assert_eq!(leaf.sig_alg, ED25519_ALG, "signed by the Ed25519 CA");
    assert_eq!(leaf.public_key.len(), 65, "the ECDSA key");
    leaf.verify_by(&ca);
    assert_eq!(s.sig_alg, ECDSA_SHA256);
    s.verify_by(&s);
    assert_eq!(&p[3..], ["true", "true", "true"]);
}

#[test]
fn build_custom_cert() {
    let tpl = r#"{{ $ca := genCAWithKey "x" 1 (genPrivateKey "ecdsa") }}{{ $c := buildCustomCert ($ca.Cert | b64enc) ($ca.Key | b64enc) }}{{ eq $c.Cert $ca.Cert }} {{ eq $c.Key $ca.Key }} {{ typeOf $c }}"#;
    assert_eq!(common::run(tpl).unwrap(), "true true sprig.certificate");
    let resign = r#"{{ $ca := genCA "x" 1 }}{{ $c := buildCustomCert ($ca.Cert | b64enc) ($ca.Key | b64enc) }}{{ $l := genSignedCert "l" nil nil 1 $c }}{{ $ca.Cert }}|{{ $l.Cert }}"#;
    let p = parts(resign);
    Cert::parse(&p[1]).verify_by(&Cert::parse(&p[0]));
}

#[test]
fn errors() {
    let ec = r#"{{ $k := genPrivateKey "ecdsa" }}"#;
    let cases: Vec<(String, &str)> = [
        (r#"{{ genSelfSignedCert "x" (list "1.2.3") nil 1 }}"#, "ERR:error calling genSelfSignedCert: error parsing ip: 1.2.3"),
        (r#"{{ genSelfSignedCert "x" (list "fe80::1%eth0") nil 1 }}"#, "ERR:error parsing ip: fe80::1%eth0"),
        (r#"{{ genSelfSignedCert "x" (list 1) nil 1 }}"#, "ERR:error parsing ip: 1 is not a string"),
        (r#"{{ genSelfSignedCert "x" nil (list true) 1 }}"#, "ERR:error processing alternate dns name: true is not a string"),
        (r#"{{ genSelfSignedCert "x" nil (list "é.example") 1 }}"#, "ERR:error creating certificate: x509: \"é.example\" cannot be encoded as an IA5String"),
        (r#"{{ genSelfSignedCert "x" "a" nil 1 }}"#, "ERR:can't handle \"a\" for arg of type []interface {}"),
        (r#"{{ genSignedCert "x" nil nil 1 (dict "Cert" "a" "Key" "b") }}"#, "ERR:wrong type for value; expected sprig.certificate; got map[string]interface {}"),
        (r#"{{ genSignedCert "x" nil nil 1 nil }}"#, "ERR:cannot assign nil to sprig.certificate"),
        (r#"{{ genCA "x" "1" }}"#, "ERR:expected integer; found \"1\""),
        (r#"{{ genCAWithKey "x" 1 "garbage" }}"#, "ERR:error calling genCAWithKey: parsing private key: no PEM data in input"),
        (r#"{{ $ca := genCA "x" 1 }}{{ genCAWithKey "x" 1 $ca.Cert }}"#, "ERR:parsing private key: no private key data in PEM block of type CERTIFICATE"),
        (r#"{{ genCAWithKey "x" 1 "-----BEGIN FOO PRIVATE KEY-----\nAAAA\n-----END FOO PRIVATE KEY-----\n" }}"#, "ERR:parsing private key: invalid private key type FOO PRIVATE KEY"),
        (r#"{{ genCAWithKey "x" 1 "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }}"#, "ERR:parsing private key: decoding PEM as PKCS#8: "),
        (r#"{{ genCAWithKey "x" 1 "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n" }}"#, "ERR:parsing private key: parsing RSA private key from PEM: "),
        (r#"{{ genCAWithKey "x" 1 "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n" }}"#, "ERR:parsing private key: parsing EC private key from PEM: "),
        (r#"{{ $ca := genCA "x" 1 }}{{ $o := genCA "y" 1 }}{{ genSignedCert "l" nil nil 1 (buildCustomCert ($ca.Cert | b64enc) ($o.Key | b64enc)) }}"#, "ERR:error creating certificate: x509: provided PrivateKey doesn't match parent's PublicKey"),
        (r#"{{ buildCustomCert "!" "" }}"#, "ERR:error calling buildCustomCert: unable to decode base64 certificate"),
        (r#"{{ buildCustomCert "" "!" }}"#, "ERR:unable to decode base64 private key"),
        (r#"{{ buildCustomCert ("x" | b64enc) "" }}"#, "ERR:unable to decode certificate"),
        (r#"{{ buildCustomCert ("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n" | b64enc) "" }}"#, "ERR:error parsing certificate: decodedCert.Bytes: x509: malformed tbs certificate"),
        (r#"{{ $ca := genCA "x" 1 }}{{ buildCustomCert ($ca.Cert | b64enc) ("x" | b64enc) }}"#, "ERR:error parsing private key: no PEM data in input"),
        (r#"{{ $ca := genCA "x" 1 }}{{ genSignedCert "l" nil nil 1 (buildCustomCert ($ca.Cert | b64enc) ($ca.Key | b64enc)) | typeOf }}"#, "sprig.certificate"),
        (r#"{{ (genCA "x" 1).Foo }}"#, "ERR:can't evaluate field Foo"),
    ]
    .into_iter()
    .map(|(t, w)| (t.to_string(), w))
    .chain([(format!(r#"{ec}{{{{ genSignedCertWithKey "l" nil nil 1 (dict) $k }}}}"#), "ERR:expected sprig.certificate")])
    .collect();
    let cases: Vec<(&str, &str)> = cases.iter().map(|(t, w)| (t.as_str(), *w)).collect();
    common::table("certs errors", &cases);
}

/// Slow in debug builds (a 2048-bit prime search: 3 to 20 s), so one key only.
#[test]
fn gen_dsa_key() {
    let out = common::run(r#"{{ genPrivateKey "dsa" }}"#).unwrap();
    let (kind, der) = pem(&out);
    assert_eq!(kind, "DSA PRIVATE KEY");
    let f = tlvs(tlvs(&der)[0].1);
    assert_eq!(f[0], Tlv(2, &[0]));
    let lens: Vec<usize> = f.iter().map(|t| t.1.len() - usize::from(t.1[0] == 0)).collect();
    assert_eq!((lens.len(), lens[1], lens[2]), (6, 256, 32), "version, P (2048 bits), Q (256), G, Y, X");
    assert!(f[1].1[f[1].1.len() - 1] & 1 == 1, "P is odd");
    // Go parses DSA keys but cannot certify them (messages checked against Helm 4).
    let q = format!("{out:?}");
    let tpls = [
        format!(r#"{{{{ genCAWithKey "x" 1 {q} }}}}"#),
        format!(r#"{{{{ genSignedCertWithKey "x" nil nil 1 (genCA "c" 1) {q} }}}}"#),
        format!(
            r#"{{{{ $c := genCA "c" 1 }}}}{{{{ eq (buildCustomCert ($c.Cert | b64enc) ({q} | b64enc)).Key {q} }}}}"#
        ),
    ];
    let cases = [
        (
            tpls[0].as_str(),
            "ERR:error creating certificate: x509: certificate private key does not implement crypto.Signer",
        ),
        (tpls[1].as_str(), "ERR:error creating certificate: x509: unsupported public key type: *dsa.PublicKey"),
        (tpls[2].as_str(), "true"),
    ];
    common::table("dsa keys", &cases);
}

/// Output of Helm 4 (Go's Sprig): `genCA "go-rsa-ca" 3650` (cert, key), `genCAWithKey
/// "go-ec-ca" 3650 (genPrivateKey "ecdsa")` (cert, key) and `genPrivateKey "ed25519"`.
const GO_PEMS: &str = r#"-----BEGIN CERTIFICATE-----
MIIDEzCCAfugAwIBAgIQKgNxWxkT6kzIqFAInKOwkzANBgkqhkiG9w0BAQsFADAU
MRIwEAYDVQQDEwlnby1yc2EtY2EwHhcNMjYxMjA3MDE1NDE2WhcNMzYxMjA0MDE1
NDE2WjAUMRIwEAYDVQQDEwlnby1yc2EtY2EwggEiMA0GCSqGSIb3DQEBAQUAA4IB
DwAwggEKAoIBAQDWi/zSomzkLJASPi+KWE9578b2cEcz2nkIOdrMHS2P8NN14NKs
W6rErNi+VLShkKCKbwwoE0DaSg3W2/WKA0zcBBFasfKQQBLWWTQDswTJk/OsDYGQ
D5SE5QvREz6jDm1o0pR0ykg0+PJ8Osy3V5wHMUyxE8XK0Kj6YVVby0IwpyjEgv85
6c3vRugmg2tOAiFw+UgnhhWPrWO0pPJlGsB6JPdSHELX3DO0VeRQAP4+5gDCAjqo
cq5ElDNhpKX2xfy1pn8yHLs24cLX8p/a0U8Cb4AHLC8PDqdoP27jt2kyxT4SVCeF
WCYCtJZWTq/eeMJWz2ifHAYJ21ONe13vye3dAgMBAAGjYTBfMA4GA1UdDwEB/wQE
AwICpDAdBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwDwYDVR0TAQH/BAUw
AwEB/zAdBgNVHQ4EFgQUgusPKWsxMIL2UkkagDYw12g5aQIwDQYJKoZIhvcNAQEL
BQADggEBANCgRh1IuLJEtvJpT+IWpBT+B+eLL7cRDt79sYg7oKXHpShbiVes24RQ
hcx/Slyv1FdVZnEiWHnP3o8AFR6fhu9pU23KM65ZjQRLQQsFpLVMpE5GlB/78XwI
z+yGtTyLtkNbTirQ7pBsdSwtJi6c1KGFgvI7x7ED/sIPhtifqpxU4jjXtXVd8qjF
WjC8NryEDQvrQKv1DvD7WeinZmiYDFMV6Jb/5H/DSClS5iBRXcbenZE4baoRI2AH
sFgT/31XSiESI7I0eQu3PNOtxFxITA5fDwiYYTZk9G9+dy+V/ufrBcJ05AXFZXJn
un9MayTCkvZvakmhMgXGOzDTJ2/p7R4=
-----END CERTIFICATE-----
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEA1ov80qJs5CyQEj4vilhPee/G9nBHM9p5CDnazB0tj/DTdeDS
rFuqxKzYvlS0oZCgim8MKBNA2koN1tv1igNM3AQRWrHykEAS1lk0A7MEyZPzrA2B
kA+UhOUL0RM+ow5taNKUdMpINPjyfDrMt1ecBzFMsRPFytCo+mFVW8tCMKcoxIL/
OenN70boJoNrTgIhcPlIJ4YVj61jtKTyZRrAeiT3UhxC19wztFXkUAD+PuYAwgI6
qHKuRJQzYaSl9sX8taZ/Mhy7NuHC1/Kf2tFPAm+ABywvDw6naD9u47dpMsU+ElQn
hVgmArSWVk6v3njCVs9onxwGCdtTjXtd78nt3QIDAQABAoIBAEUt5lvU29/HLr1z
J8koKJhc5H7aPVtO+u/YF+DxF5vuP4Em+UdyV2ILief1UDk4dUut+vGBI8w/TK8X
Rdk2rzXSafYgouI4htpu8QKwWr7U4iF8SWa2X2FqqaDE39Gb+VNvc0clYpsSGr5M
B26m5Ty8fMosYf6/wXzanbd3luQwqthKhD6VCpmHVLIDJwd0xluFGHpeERoytMce
VvXPimIrJWMvbWN0yPfMqJiJEZqNux1JOROhIrRbKJVvieTvdO26LeT/TQYdmUId
PKiTB3mMtRnw+vEXhDS5Xh7xqpugOI4gAiKibRLzR7kKYg1/65r0bflx/wEPfIYd
xqRWXdECgYEA+aGRo9SwXKSTaWuANykLrcVSq7ioySxpJtdse3KqLoLY/2ks4lHL
fbPHLX1IcOYjS6NsaqK8ubJwijXNqI4d+c7MyaR7smgjcoA8VN5cVVsk2fjNn7CF
Wvu87cfK52hgNGpCP5595zlfGYoh42WlRyYkLehHWMhbbjQgarbLJy8CgYEA3AVF
OuprAAQTURFEtJK4jMSQg7nxROwQWjUJMY3osYoamISFihCs4jyTjhrBu60uaGxn
UDrj3Vd7vq3Za72JglSFJ9+/7PnWsgk6vdtEeAXtMNqwS/0PEs4h2JIdI6u8Qjnr
bXdxPeXGKrT8pKQ4TrhM64+IQQ/lyE2/AVi4+LMCgYBQSz/lSoxPwEAKMKHVHEa9
ZjLpOURRMQ/BhplGO+OxgjT6MoJVaanijOkMILgkWGIR+kbtJds+f77jNdso1E2g
BHyqf1WqVQTR152QTtW0PtTjp7u8GbNLSJ3Effct58zKD0Ov4vLsZO/J7zxnQFKh
SAtrGMOaMxf1op6qtJEz0QKBgHqy5bzJZgqIO02GV85r1EeMhxsu4wIQs73avdnI
ze/UmKhdnyszyXYRWihxe4DyP2M0sRjo/pI9a2EXCp0vAjSQdgGaoinB2p1G0F94
nGJiy7fm/VIjOfi+w9lHAsEV0NMOAeD2L0zZiv3eGNaoTk54MU1cqhu+heKCmPZj
SCRJAoGBAMxDrX9EBNQXxeUA5mL7duz9n2fZYL8RNAkdRRIKFdGrvpOHbXumb5ns
PpeOPVhyzKb1g2D5yMSabCF3eWoL+qfggg3vGrA1g14WCHs006jliUEGHWqB0xMr
GFS1zFglInnPQqK3jBIK3Dx3ENnsbyEM/jAjko8x6x5IR/TvYtf4
-----END RSA PRIVATE KEY-----
-----BEGIN CERTIFICATE-----
MIIBhzCCASygAwIBAgIRAP3FMdc95jGG4CUUH10W4/MwCgYIKoZIzj0EAwIwEzER
MA8GA1UEAxMIZ28tZWMtY2EwHhcNMjYxMjA3MDE1NDE2WhcNMzYxMjA0MDE1NDE2
WjATMREwDwYDVQQDEwhnby1lYy1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA
BMkzR7xHaNCP3Png00pVZpGvPFBtxbZj+1GX3eetghwni9O/loeTngdiDRu5ys3H
04Ux8mjiYSf9Qnb1QQFTsTCjYTBfMA4GA1UdDwEB/wQEAwICpDAdBgNVHSUEFjAU
BggrBgEFBQcDAQYIKwYBBQUHAwIwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQU
dnDbuxILDsQ7og9o9DHidjKKpYswCgYIKoZIzj0EAwIDSQAwRgIhAPgd0/UAhWaS
W7gvdI9GmcxMZ1SP5S0tXEqFTUJJ6CscAiEA/hguA1PQqpDZaLjM5+khcCMRnne9
zSchFoLTgEmFfJk=
-----END CERTIFICATE-----
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIBfxEecEDmA0dpjhX1c6tO9FpU9yb0W1mV+bny8abnzHoAoGCCqGSM49
AwEHoUQDQgAEyTNHvEdo0I/c+eDTSlVmka88UG3FtmP7UZfd562CHCeL07+Wh5Oe
B2ING7nKzcfThTHyaOJhJ/1CdvVBAVOxMA==
-----END EC PRIVATE KEY-----
-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEICpesE8d6IsMk7U67Z6o04eS+9XVVq9ZjJaDxtXWmsOa
-----END PRIVATE KEY-----
"#;

fn go_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let mut cur = String::new();
    for line in GO_PEMS.lines() {
        cur.push_str(line);
        cur.push('\n');
        if line.starts_with("-----END") {
            blocks.push(std::mem::take(&mut cur));
        }
    }
    blocks
}

#[test]
fn go_generated_inputs() {
    let b = go_blocks();
    assert_eq!(b.len(), 5);
    let (rsa_ca, ec_ca) = (Cert::parse(&b[0]), Cert::parse(&b[2]));
    for (cert, key) in [(&b[0], &b[1]), (&b[2], &b[3])] {
        let tpl = format!(
            r#"{{{{ $ca := buildCustomCert ({cert:?} | b64enc) ({key:?} | b64enc) }}}}{{{{ (genSignedCert "l" nil (list "l") 1 $ca).Cert }}}}|{{{{ $again := genCAWithKey "again" 1 {key:?} }}}}{{{{ $again.Cert }}}}|{{{{ eq $again.Key {key:?} }}}}"#
        );
        let p = parts(&tpl);
        let (ca, leaf, again) = (Cert::parse(cert), Cert::parse(&p[0]), Cert::parse(&p[1]));
        leaf.verify_by(&ca);
        assert_eq!(leaf.issuer, ca.subject);
        assert_eq!(leaf.ext(AKID).unwrap().1[4..], ca.ext(SKID).unwrap().1[2..], "authority key id is Go's");
        assert_eq!(again.public_key, ca.public_key);
        assert_eq!(again.ext(SKID), ca.ext(SKID), "same subject key id rule as Go");
        assert_eq!(p[2], "true", "the key prints back byte for byte");
    }
    assert_eq!(rsa_ca.sig_alg, RSA_SHA256);
    assert_eq!(ec_ca.sig_alg, ECDSA_SHA256);
    let ed = &b[4];
    let p = parts(&format!(
        r#"{{{{ $c := genSelfSignedCertWithKey "ed" nil nil 1 {ed:?} }}}}{{{{ $c.Cert }}}}|{{{{ eq $c.Key {ed:?} }}}}"#
    ));
    let c = Cert::parse(&p[0]);
    c.verify_by(&c);
    assert_eq!(p[1], "true");
}
