//! Sprig's key and certificate functions: `genPrivateKey`, `genCA`, `genCAWithKey`,
//! `genSelfSignedCert`, `genSelfSignedCertWithKey`, `genSignedCert`,
//! `genSignedCertWithKey` and `buildCustomCert`, returning Sprig's `certificate` struct
//! (`.Cert` and `.Key`, PEM strings; `%v` prints `{CERT KEY}` as Go does).
//!
//! Keys come from aws-lc-rs (OS-seeded; not from [`crate::Options::rng`], as Sprig uses
//! `crypto/rand`), DSA keys from `dsa`; certificates are DER built here to Go's layout (see
//! `x509`), serials from the OS, timestamps from [`crate::Options::clock`].
//!
//! Differences from Go:
//! - Keys passed in must be RSA of 2048 to 8192 bits or EC on P-256, P-384 or P-521
//!   (aws-lc-rs's limits; Go also takes smaller RSA keys and P-224).
//! - A malformed key or certificate gets the same message prefix as Go but not the
//!   `asn1: structure error: ...` detail, and certificates are checked structurally only
//!   (Go's `ParseCertificate` also validates names, keys and extension contents).
//! - A non-certificate passed as the CA fails inside the call (`error calling
//!   genSignedCert: wrong type for value; expected sprig.certificate; got ...`) where Go
//!   fails while converting the argument (same message, no `error calling` prefix).
//! - `toJson` / `toYaml` of a certificate print its `%v` text (the template engine's rule
//!   for opaque values), where Go marshals `{"Cert": ..., "Key": ...}`.
mod der;
mod dsa;
mod keys;
mod x509;

use std::net::IpAddr;
use std::sync::Arc;

use aws_lc_rs::rsa::KeySize;
use glidepath_gotmpl::{Func, FuncMap, Opaque, Param, Value};

use crate::Clock;
use crate::conv::{arg_int, arg_str};
use keys::Key;

/// Sprig's `certificate` struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub cert: String,
    pub key: String,
}

impl Opaque for Certificate {
    fn type_name(&self) -> String {
        "sprig.certificate".into()
    }

    fn display(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::from(self.cert.as_str())),
            "Key" => Some(Value::from(self.key.as_str())),
            _ => None,
        }
    }
}

fn value(c: Certificate) -> Value {
    Value::Opaque(Arc::new(c))
}

/// Sprig's `generatePrivateKey`: errors are the returned text.
fn gen_private_key(typ: &str) -> String {
    let key = match typ {
        "" | "rsa" => Key::rsa(KeySize::Rsa4096),
        "dsa" => match dsa::generate() {
            Ok(der) => Ok(Key::Dsa(der)),
            Err(e) => return format!("failed to generate dsa params: {e}"),
        },
        "ecdsa" => Key::ecdsa(),
        "ed25519" => Key::ed25519(),
        _ => return format!("Unknown type {typ}"),
    };
    match key.and_then(|k| k.to_pem()) {
        Ok(pem) => pem,
        Err(e) => format!("failed to generate private key: {e}"),
    }
}

/// Sprig's `getNetIPs` and `getAlternateDNSStrs` on a `[]interface{}` argument.
fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    let items = v.as_list().map(<[Value]>::to_vec).unwrap_or_default();
    items
        .iter()
        .map(|item| {
            item.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("error {what}: {} is not a string", glidepath_gotmpl::fmt::print_value(item)))
        })
        .collect()
}

fn ips(v: &Value) -> Result<Vec<IpAddr>, String> {
    let parsed = strings(v, "parsing ip")?;
    parsed.iter().map(|s| s.parse().map_err(|_| format!("error parsing ip: {s}"))).collect()
}

/// The certificate argument: Sprig's functions take a `certificate` struct.
fn certificate(v: &Value) -> Result<Certificate, String> {
    match v {
        Value::Opaque(o) => {
            if let Some(c) = o.as_any().downcast_ref::<Certificate>() {
                return Ok(c.clone());
            }
        }
        Value::Nil | Value::Invalid => return Err("cannot assign nil to sprig.certificate".into()),
        _ => {}
    }
    Err(format!("wrong type for value; expected sprig.certificate; got {}", v.type_name()))
}

/// A certificate request: Sprig's base template, then who signs it.
struct Request<'a> {
    clock: &'a Clock,
    cn: &'a str,
    ips: &'a Value,
    dns: &'a Value,
    days: i64,
    is_ca: bool,
}

impl Request<'_> {
    /// Sprig's `getBaseCertTemplate`: IPs, then DNS names, then the serial.
    fn template(&self) -> Result<x509::Template, String> {
        let ips = ips(self.ips)?;
        let dns = strings(self.dns, "processing alternate dns name")?;
        let mut serial = [0u8; 16];
        getrandom::fill(&mut serial).map_err(|e| e.to_string())?;
        let now = self.clock.now();
        // time.Duration(days) * 24h wraps on overflow, as in Go.
        let total = i128::from(now.nanos) + i128::from(self.days.wrapping_mul(86_400_000_000_000));
        let after = (now.secs + total.div_euclid(1_000_000_000) as i64, total.rem_euclid(1_000_000_000) as u32);
        Ok(x509::Template {
            cn: self.cn.to_string(),
            ips,
            dns,
            not_before: (now.secs, now.nanos),
            not_after: after,
            serial,
            is_ca: self.is_ca,
        })
    }

    /// Self-signed with `key` (Sprig's `getCertAndKey(template, priv, template, priv)`).
    fn self_signed(&self, key: &Key) -> Result<Certificate, String> {
        let t = self.template()?;
        finish(x509::create(&t, key, None, key), key)
    }

    /// Signed by `ca` (Sprig's `generateSignedCertificateWithKeyInternal`).
    fn signed(&self, ca: &Certificate, key: &Key) -> Result<Certificate, String> {
        let Some((_, ca_der)) = der::pem_decode(&ca.cert) else { return Err("unable to decode certificate".into()) };
        let parent =
            x509::parse(&ca_der).map_err(|e| format!("error parsing certificate: decodedSignerCert.Bytes: {e}"))?;
        let signer = keys::parse_pem(&ca.key).map_err(|e| format!("error parsing private key: {e}"))?;
        let t = self.template()?;
        finish(x509::create(&t, key, Some(&parent), &signer), key)
    }
}

fn finish(cert: Result<Vec<u8>, String>, key: &Key) -> Result<Certificate, String> {
    let der = cert.map_err(|e| format!("error creating certificate: {e}"))?;
    Ok(Certificate { cert: der::pem_encode("CERTIFICATE", &der), key: key.to_pem()? })
}

/// The 2048-bit key Sprig's certificate functions generate when given none.
fn new_rsa() -> Result<Key, String> {
    Key::rsa(KeySize::Rsa2048).map_err(|e| format!("error generating rsa key: {e}"))
}

fn pem_key(pem: &str) -> Result<Key, String> {
    keys::parse_pem(pem).map_err(|e| format!("parsing private key: {e}"))
}

/// Sprig's `buildCustomCertificate`.
fn build_custom(b64cert: &str, b64key: &str) -> Result<Certificate, String> {
    let cert = der::b64decode(b64cert).ok_or("unable to decode base64 certificate")?;
    let key = der::b64decode(b64key).ok_or("unable to decode base64 private key")?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let Some((_, der)) = der::pem_decode(&cert) else { return Err("unable to decode certificate".into()) };
    x509::parse(&der).map_err(|e| format!("error parsing certificate: decodedCert.Bytes: {e}"))?;
    keys::parse_pem(&key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(Certificate { cert, key })
}

pub fn register(m: &mut FuncMap, clock: &Clock) {
    use Param::{Any, Int, List, String as S};
    m.insert("genPrivateKey", Func::pure(&[S], |a| Ok(Value::from(gen_private_key(arg_str(a, 0))))));
    m.insert("buildCustomCert", Func::pure(&[S, S], |a| build_custom(arg_str(a, 0), arg_str(a, 1)).map(value)));
    let c = clock.clone();
    let ca = move |a: &[Value], key: Option<&str>| {
        let nil = Value::Nil;
        let r = Request { clock: &c, cn: arg_str(a, 0), ips: &nil, dns: &nil, days: arg_int(a, 1), is_ca: true };
        let key = match key {
            Some(pem) => pem_key(pem)?,
            None => new_rsa()?,
        };
        r.self_signed(&key).map(value)
    };
    let ca2 = ca.clone();
    m.insert("genCA", Func::pure(&[S, Int], move |a| ca(a, None)));
    m.insert("genCAWithKey", Func::pure(&[S, Int, S], move |a| ca2(a, Some(arg_str(a, 2)))));
    // (cn, ips, dns, days[, ca][, key]): `signed` says whether a CA argument comes at 4.
    let leaf = |clock: Clock, signed: bool, with_key: bool| {
        move |a: &[Value]| {
            let r =
                Request { clock: &clock, cn: arg_str(a, 0), ips: &a[1], dns: &a[2], days: arg_int(a, 3), is_ca: false };
            // Go converts the CA argument before the call, so its type error comes first.
            let ca = if signed { Some(certificate(&a[4])?) } else { None };
            let key = if with_key { pem_key(arg_str(a, if signed { 5 } else { 4 }))? } else { new_rsa()? };
            match ca {
                Some(ca) => r.signed(&ca, &key),
                None => r.self_signed(&key),
            }
            .map(value)
        }
    };
    let base = [S, List, List, Int];
    m.insert("genSelfSignedCert", Func::pure(&base, leaf(clock.clone(), false, false)));
    m.insert("genSelfSignedCertWithKey", Func::pure(&[S, List, List, Int, S], leaf(clock.clone(), false, true)));
    m.insert("genSignedCert", Func::pure(&[S, List, List, Int, Any], leaf(clock.clone(), true, false)));
    m.insert("genSignedCertWithKey", Func::pure(&[S, List, List, Int, Any, S], leaf(clock.clone(), true, true)));
}
