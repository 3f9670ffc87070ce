//! Encodings, digests and the crypto Sprig offers without certificates: `b64enc`/`b64dec`,
//! `b32enc`/`b32dec`, `sha1sum`, `sha256sum`, `adler32sum`, `uuidv4`, `randBytes`,
//! `encryptAES`/`decryptAES`, `derivePassword`, `bcrypt`, `htpasswd` (bcrypt, or `{SHA}`
//! with Sprig 3.3's optional `"sha"` third argument). A failed decode returns Go's error
//! text as the result (`illegal base64 data at input byte 4`), as Sprig does.

use glidepath_gotmpl::{Func, FuncMap, Param, Value};
use sha2::Digest;

use crate::Options;
use crate::conv::{arg_int, arg_str};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Padded encoding of `bits`-bit groups (6: base64, 5: base32).
fn encode(data: &[u8], abc: &[u8], bits: u32) -> String {
    let group = if bits == 6 { 4 } else { 8 };
    let (mut out, mut acc, mut n) = (String::new(), 0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        n += 8;
        while n >= bits {
            n -= bits;
            out.push(char::from(abc[((acc >> n) & ((1 << bits) - 1)) as usize]));
        }
    }
    if n > 0 {
        out.push(char::from(abc[((acc << (bits - n)) & ((1 << bits) - 1)) as usize]));
    }
    while !out.len().is_multiple_of(group) {
        out.push('=');
    }
    out
}

/// Strict padded decoding, reporting Go's `illegal base64 data at input byte N`.
fn decode(s: &str, abc: &[u8], bits: u32, name: &str) -> Result<Vec<u8>, String> {
    let group = if bits == 6 { 4 } else { 8 };
    let bad = |i: usize| format!("illegal {name} data at input byte {i}");
    let b = s.as_bytes();
    let body_len = b.iter().rposition(|c| *c != b'=').map_or(0, |p| p + 1);
    let (mut out, mut acc, mut n) = (Vec::new(), 0u32, 0u32);
    for (i, c) in b[..body_len].iter().enumerate() {
        let Some(v) = abc.iter().position(|x| x == c) else { return Err(bad(i)) };
        acc = (acc << bits) | v as u32;
        n += bits;
        if n >= 8 {
            n -= 8;
            out.push((acc >> n) as u8);
        }
    }
    let rem = body_len % group;
    let valid_rem: &[usize] = if bits == 6 { &[0, 2, 3] } else { &[0, 2, 4, 5, 7] };
    if !valid_rem.contains(&rem) {
        return Err(bad(body_len - rem));
    }
    if !b.len().is_multiple_of(group) || (rem == 0 && body_len != b.len()) {
        return Err(bad(body_len.min(b.len())));
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-1 (aws-lc-rs).
fn sha1(data: &[u8]) -> [u8; 20] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    let mut out = [0u8; 20];
    out.copy_from_slice(d.as_ref());
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn uuid_v4(bytes: &mut [u8]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex(bytes);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn str_fn(f: fn(&str) -> String) -> Func {
    Func::pure(&[Param::String], move |a| Ok(Value::from(f(arg_str(a, 0)))))
}

fn lossy(r: Result<Vec<u8>, String>) -> String {
    r.map_or_else(|e| e, |b| String::from_utf8_lossy(&b).into_owned())
}

pub fn register(m: &mut FuncMap, options: &Options) {
    m.insert("b64enc", str_fn(|s| encode(s.as_bytes(), B64, 6)));
    m.insert("b64dec", str_fn(|s| lossy(decode(s, B64, 6, "base64"))));
    m.insert("b32enc", str_fn(|s| encode(s.as_bytes(), B32, 5)));
    m.insert("b32dec", str_fn(|s| lossy(decode(s, B32, 5, "base32"))));
    m.insert("sha1sum", str_fn(|s| hex(&sha1(s.as_bytes()))));
    m.insert("sha256sum", str_fn(|s| hex(&sha2::Sha256::digest(s.as_bytes()))));
    m.insert(
        "sha512sum",
        str_fn(|s| hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, s.as_bytes()).as_ref())),
    );
    m.insert("adler32sum", str_fn(|s| adler32(s.as_bytes()).to_string()));
    let rng = options.rng.clone();
    m.insert(
        "uuidv4",
        Func::pure(&[], move |_| {
            let mut b = rng.lock().map_err(|_| "random source poisoned".to_string())?.bytes(16);
            Ok(Value::from(uuid_v4(&mut b)))
        }),
    );
    let rng = options.rng.clone();
    m.insert(
        "encryptAES",
        Func::pure(&[Param::String, Param::String], move |a| {
            Ok(Value::from(encode(&crate::aes::encrypt(&rng, arg_str(a, 0), arg_str(a, 1))?, B64, 6)))
        }),
    );
    m.insert(
        "decryptAES",
        Func::pure(&[Param::String, Param::String], |a| {
            let data = decode(arg_str(a, 1), B64, 6, "base64")?;
            crate::aes::decrypt(arg_str(a, 0), &data).map(Value::from)
        }),
    );
    m.insert(
        "derivePassword",
        Func::pure(&[Param::Int, Param::String, Param::String, Param::String, Param::String], |a| {
            let counter = a[0].as_int().unwrap_or(0) as u32;
            Ok(Value::from(crate::derive::derive(counter, arg_str(a, 1), arg_str(a, 2), arg_str(a, 3), arg_str(a, 4))))
        }),
    );
    let rng = options.rng.clone();
    m.insert(
        "bcrypt",
        Func::pure(&[Param::String], move |a| Ok(Value::from(crate::bcrypt::bcrypt(&rng, arg_str(a, 0))))),
    );
    let rng = options.rng.clone();
    m.insert(
        "htpasswd",
        Func::variadic(&[Param::String, Param::String], Param::String, move |a| {
            let (user, password) = (arg_str(a, 0), arg_str(a, 1));
            if user.contains(':') {
                return Ok(Value::from(format!("invalid username: {user}")));
            }
            let hash = match a.get(2).and_then(Value::as_str) {
                Some("sha") => format!("{{SHA}}{}", encode(&sha1(password.as_bytes()), B64, 6)),
                _ => crate::bcrypt::bcrypt(&rng, password),
            };
            Ok(Value::from(format!("{user}:{hash}")))
        }),
    );
    let rng = options.rng.clone();
    m.insert(
        "randBytes",
        Func::pure(&[Param::Int], move |a| {
            let n =
                usize::try_from(arg_int(a, 0)).map_err(|_| "runtime error: makeslice: len out of range".to_string())?;
            let b = rng.lock().map_err(|_| "random source poisoned".to_string())?.bytes(n);
            Ok(Value::from(encode(&b, B64, 6)))
        }),
    );
}
