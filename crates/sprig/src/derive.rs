//! `derivePassword`: the Master Password algorithm as Sprig implements it (scrypt N=32768,
//! r=8, p=2 over the master password and user, HMAC-SHA256 over the site and counter, then
//! a template of character classes).

use sha2::{Digest, Sha256};

const SEED: &[u8] = b"com.lyndir.masterpassword";

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn chars(class: u8) -> &'static [u8] {
    match class {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// PBKDF2-HMAC-SHA256 with one iteration (all scrypt needs).
fn pbkdf2_1(password: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut i = 1u32;
    while out.len() < len {
        let mut msg = salt.to_vec();
        msg.extend_from_slice(&i.to_be_bytes());
        out.extend_from_slice(&hmac(password, &msg));
        i += 1;
    }
    out.truncate(len);
    out
}

fn salsa8(b: &mut [u32; 16]) {
    let mut x = *b;
    for _ in 0..4 {
        for (a, bb, c, d) in [(0, 4, 8, 12), (5, 9, 13, 1), (10, 14, 2, 6), (15, 3, 7, 11)] {
            x[bb] ^= x[a].wrapping_add(x[d]).rotate_left(7);
            x[c] ^= x[bb].wrapping_add(x[a]).rotate_left(9);
            x[d] ^= x[c].wrapping_add(x[bb]).rotate_left(13);
            x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
        }
        for (a, bb, c, d) in [(0, 1, 2, 3), (5, 6, 7, 4), (10, 11, 8, 9), (15, 12, 13, 14)] {
            x[bb] ^= x[a].wrapping_add(x[d]).rotate_left(7);
            x[c] ^= x[bb].wrapping_add(x[a]).rotate_left(9);
            x[d] ^= x[c].wrapping_add(x[bb]).rotate_left(13);
            x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
        }
    }
    b.iter_mut().zip(x).for_each(|(v, y)| *v = v.wrapping_add(y));
}

/// scrypt's BlockMix over `2r` 64-byte blocks (as 16-word chunks).
fn block_mix(b: &[u32], out: &mut [u32], r: usize) {
    let mut x: [u32; 16] = std::array::from_fn(|i| b[(2 * r - 1) * 16 + i]);
    for i in 0..2 * r {
        x.iter_mut().zip(&b[i * 16..i * 16 + 16]).for_each(|(a, c)| *a ^= c);
        salsa8(&mut x);
        let dst = if i % 2 == 0 { i / 2 } else { r + i / 2 };
        out[dst * 16..dst * 16 + 16].copy_from_slice(&x);
    }
}

fn ro_mix(block: &mut [u8], n: usize, r: usize) {
    let words = 32 * r;
    let mut x: Vec<u32> = block.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    let mut v = vec![0u32; words * n];
    let mut y = vec![0u32; words];
    for i in 0..n {
        v[i * words..(i + 1) * words].copy_from_slice(&x);
        block_mix(&x, &mut y, r);
        std::mem::swap(&mut x, &mut y);
    }
    for _ in 0..n {
        let j = x[(2 * r - 1) * 16] as usize % n;
        x.iter_mut().zip(&v[j * words..(j + 1) * words]).for_each(|(a, b)| *a ^= b);
        block_mix(&x, &mut y, r);
        std::mem::swap(&mut x, &mut y);
    }
    for (c, w) in block.chunks_mut(4).zip(x) {
        c.copy_from_slice(&w.to_le_bytes());
    }
}

/// scrypt (RFC 7914).
pub fn scrypt(password: &[u8], salt: &[u8], n: usize, r: usize, p: usize, len: usize) -> Vec<u8> {
    let mut b = pbkdf2_1(password, salt, p * 128 * r);
    for chunk in b.chunks_mut(128 * r) {
        ro_mix(chunk, n, r);
    }
    pbkdf2_1(password, &b, len)
}

/// Sprig's `derivePassword`.
pub fn derive(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    let Some(templates) = templates(kind) else { return format!("cannot find password template {kind}") };
    let mut salt = SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let key = scrypt(password.as_bytes(), &salt, 32768, 8, 2, 64);
    let mut msg = SEED.to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let seed = hmac(&key, &msg);
    let template = templates[seed[0] as usize % templates.len()];
    template
        .bytes()
        .enumerate()
        .map(|(i, class)| {
            let set = chars(class);
            char::from(set[seed[i + 1] as usize % set.len()])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7914_vector() {
        let out = scrypt(b"password", b"NaCl", 1024, 8, 16, 64);
        let hex: String = out[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "fdbabe1c9d3472007856e7190d01e9fe");
    }
}
