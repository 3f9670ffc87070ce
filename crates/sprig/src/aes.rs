//! `encryptAES` / `decryptAES`: Sprig's AES-256-CBC with the password zero-padded (or cut)
//! to 32 bytes as the key, PKCS#7 padding, a random IV prepended, base64 output. The
//! block cipher is FIPS-197 AES, tables computed at first use.

use std::sync::{LazyLock, Mutex};

use crate::rng::Rng;

struct Tables {
    sbox: [u8; 256],
    inv: [u8; 256],
}

fn xtime(x: u8) -> u8 {
    (x << 1) ^ if x & 0x80 != 0 { 0x1b } else { 0 }
}

fn gmul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        a = xtime(a);
        b >>= 1;
    }
    p
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut sbox = [0u8; 256];
    let mut inv = [0u8; 256];
    for x in 0..=255u8 {
        let i = if x == 0 { 0 } else { (1..=255u8).find(|y| gmul(x, *y) == 1).unwrap_or(0) };
        let s = i ^ i.rotate_left(1) ^ i.rotate_left(2) ^ i.rotate_left(3) ^ i.rotate_left(4) ^ 0x63;
        sbox[x as usize] = s;
        inv[s as usize] = x;
    }
    Tables { sbox, inv }
});

/// The 15 round keys of AES-256.
fn expand(key: &[u8; 32]) -> [[u8; 16]; 15] {
    let t = &*TABLES;
    let mut w = [[0u8; 4]; 60];
    for (i, c) in key.chunks(4).enumerate() {
        w[i] = [c[0], c[1], c[2], c[3]];
    }
    let mut rcon = 1u8;
    for i in 8..60 {
        let mut x = w[i - 1];
        if i % 8 == 0 {
            x = [t.sbox[x[1] as usize] ^ rcon, t.sbox[x[2] as usize], t.sbox[x[3] as usize], t.sbox[x[0] as usize]];
            rcon = xtime(rcon);
        } else if i % 8 == 4 {
            x = x.map(|b| t.sbox[b as usize]);
        }
        w[i] = [w[i - 8][0] ^ x[0], w[i - 8][1] ^ x[1], w[i - 8][2] ^ x[2], w[i - 8][3] ^ x[3]];
    }
    let mut rk = [[0u8; 16]; 15];
    for (r, k) in rk.iter_mut().enumerate() {
        for j in 0..4 {
            k[j * 4..j * 4 + 4].copy_from_slice(&w[r * 4 + j]);
        }
    }
    rk
}

fn add(s: &mut [u8; 16], k: &[u8; 16]) {
    s.iter_mut().zip(k).for_each(|(a, b)| *a ^= b);
}

fn shift(s: &mut [u8; 16], inverse: bool) {
    let old = *s;
    for c in 0..4 {
        for r in 0..4 {
            let from = if inverse { (c + 4 - r) % 4 } else { (c + r) % 4 };
            s[c * 4 + r] = old[from * 4 + r];
        }
    }
}

fn mix(s: &mut [u8; 16], m: [u8; 4]) {
    for c in s.chunks_mut(4) {
        let a = [c[0], c[1], c[2], c[3]];
        for r in 0..4 {
            c[r] = (0..4).fold(0, |acc, k| acc ^ gmul(m[(k + 4 - r) % 4], a[k]));
        }
    }
}

fn encrypt_block(rk: &[[u8; 16]; 15], s: &mut [u8; 16]) {
    let t = &*TABLES;
    add(s, &rk[0]);
    for (r, k) in rk.iter().enumerate().skip(1) {
        s.iter_mut().for_each(|b| *b = t.sbox[*b as usize]);
        shift(s, false);
        if r != 14 {
            mix(s, [2, 3, 1, 1]);
        }
        add(s, k);
    }
}

fn decrypt_block(rk: &[[u8; 16]; 15], s: &mut [u8; 16]) {
    let t = &*TABLES;
    add(s, &rk[14]);
    for r in (0..14).rev() {
        shift(s, true);
        s.iter_mut().for_each(|b| *b = t.inv[*b as usize]);
        add(s, &rk[r]);
        if r != 0 {
            mix(s, [14, 11, 13, 9]);
        }
    }
}

fn key(password: &str) -> [u8; 32] {
    let mut k = [0u8; 32];
    let p = password.as_bytes();
    let n = p.len().min(32);
    k[..n].copy_from_slice(&p[..n]);
    k
}

/// Sprig's `encryptAES`: base64(IV ‖ CBC(PKCS#7(plaintext))); "" for "".
pub fn encrypt(rng: &Mutex<Rng>, password: &str, plaintext: &str) -> Result<Vec<u8>, String> {
    if plaintext.is_empty() {
        return Ok(Vec::new());
    }
    let rk = expand(&key(password));
    let mut data = plaintext.as_bytes().to_vec();
    let pad = 16 - data.len() % 16;
    data.extend(std::iter::repeat_n(pad as u8, pad));
    let iv = rng.lock().map_err(|_| "random source poisoned".to_string())?.bytes(16);
    let mut out = iv.clone();
    let mut prev: [u8; 16] = iv.try_into().map_err(|_| "iv".to_string())?;
    for chunk in data.chunks(16) {
        let mut block = [0u8; 16];
        block.copy_from_slice(chunk);
        add(&mut block, &prev);
        encrypt_block(&rk, &mut block);
        out.extend_from_slice(&block);
        prev = block;
    }
    Ok(out)
}

/// Sprig's `decryptAES` of the decoded bytes.
pub fn decrypt(password: &str, data: &[u8]) -> Result<String, String> {
    if data.len() < 16 {
        return Err("ciphertext too short".into());
    }
    if !data.len().is_multiple_of(16) {
        return Err("crypto/cipher: input not full blocks".into());
    }
    let rk = expand(&key(password));
    let mut out = Vec::with_capacity(data.len());
    for i in (16..data.len()).step_by(16) {
        let mut block = [0u8; 16];
        block.copy_from_slice(&data[i..i + 16]);
        decrypt_block(&rk, &mut block);
        data[i - 16..i].iter().zip(block.iter_mut()).for_each(|(p, b)| *b ^= p);
        out.extend_from_slice(&block);
    }
    let pad = out.last().copied().unwrap_or(0) as usize;
    if pad > out.len() {
        return Err(format!("runtime error: slice bounds out of range [:{}]", out.len() as i64 - pad as i64));
    }
    out.truncate(out.len() - pad);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fips197_aes256() {
        let k: [u8; 32] = std::array::from_fn(|i| i as u8);
        let mut s: [u8; 16] = std::array::from_fn(|i| (i as u8) * 0x11);
        let rk = expand(&k);
        encrypt_block(&rk, &mut s);
        let hex: String = s.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "8ea2b7ca516745bfeafc49904b496089");
        decrypt_block(&rk, &mut s);
        assert_eq!(s, std::array::from_fn(|i| (i as u8) * 0x11));
    }
}
