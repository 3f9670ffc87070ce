//! `bcrypt` and `htpasswd`: OpenBSD bcrypt (`$2a$`, Go's `x/crypto/bcrypt` with its default
//! cost 10) over Blowfish, whose initial P-array and S-boxes (the hex digits of π) are
//! computed at first use with Machin's formula instead of being tabled.

use std::sync::{LazyLock, Mutex};

use crate::rng::Rng;

const WORDS: usize = 18 + 4 * 256;

/// Fixed-point numbers: limb 0 is the integer part, then base-2³² fraction limbs.
type Fixed = Vec<u32>;

fn div_small(a: &mut Fixed, d: u32) {
    let mut rem = 0u64;
    for limb in a.iter_mut() {
        let cur = (rem << 32) | u64::from(*limb);
        *limb = (cur / u64::from(d)) as u32;
        rem = cur % u64::from(d);
    }
}

fn mul_small(a: &mut Fixed, m: u32) {
    let mut carry = 0u64;
    for limb in a.iter_mut().rev() {
        let cur = u64::from(*limb) * u64::from(m) + carry;
        *limb = cur as u32;
        carry = cur >> 32;
    }
}

fn add_sub(a: &mut Fixed, b: &Fixed, sub: bool) {
    let mut carry = 0i64;
    for (x, y) in a.iter_mut().zip(b).rev() {
        let cur = i64::from(*x) + carry + if sub { -i64::from(*y) } else { i64::from(*y) };
        *x = cur.rem_euclid(1 << 32) as u32;
        carry = cur.div_euclid(1 << 32);
    }
}

fn arctan_inv(x: u32, limbs: usize) -> Fixed {
    let mut sum = vec![0u32; limbs];
    let mut power = vec![0u32; limbs];
    power[0] = 1;
    div_small(&mut power, x);
    let mut k = 0u32;
    while power.iter().any(|l| *l != 0) {
        let mut term = power.clone();
        div_small(&mut term, 2 * k + 1);
        add_sub(&mut sum, &term, k % 2 == 1);
        div_small(&mut power, x * x);
        k += 1;
    }
    sum
}

/// The first [`WORDS`] 32-bit words of π's fractional part.
static PI_WORDS: LazyLock<Vec<u32>> = LazyLock::new(|| {
    let limbs = WORDS + 4;
    let mut a = arctan_inv(5, limbs);
    mul_small(&mut a, 16);
    let mut b = arctan_inv(239, limbs);
    mul_small(&mut b, 4);
    add_sub(&mut a, &b, true);
    a[1..=WORDS].to_vec()
});

struct Blowfish {
    p: [u32; 18],
    s: Vec<u32>,
}

impl Blowfish {
    fn new() -> Blowfish {
        let w = &*PI_WORDS;
        let mut p = [0u32; 18];
        p.copy_from_slice(&w[..18]);
        Blowfish { p, s: w[18..].to_vec() }
    }

    fn f(&self, x: u32) -> u32 {
        let s = &self.s;
        let (a, b, c, d) =
            ((x >> 24) as usize, (x >> 16 & 0xff) as usize, (x >> 8 & 0xff) as usize, (x & 0xff) as usize);
        (s[a].wrapping_add(s[256 + b]) ^ s[512 + c]).wrapping_add(s[768 + d])
    }

    fn encrypt(&self, l: u32, r: u32) -> (u32, u32) {
        let (mut xl, mut xr) = (l ^ self.p[0], r);
        for i in (1..=16).step_by(2) {
            xr ^= self.f(xl) ^ self.p[i];
            xl ^= self.f(xr) ^ self.p[i + 1];
        }
        (xr ^ self.p[17], xl)
    }

    /// Blowfish's key schedule, mixing `salt` (empty: none) into the chained blocks.
    fn expand(&mut self, key: &[u8], salt: &[u8]) {
        let mut j = 0;
        for i in 0..18 {
            self.p[i] ^= next_word(key, &mut j);
        }
        let (mut l, mut r, mut js) = (0u32, 0u32, 0usize);
        for i in (0..18 + 1024).step_by(2) {
            if !salt.is_empty() {
                l ^= next_word(salt, &mut js);
                r ^= next_word(salt, &mut js);
            }
            (l, r) = self.encrypt(l, r);
            if i < 18 {
                (self.p[i], self.p[i + 1]) = (l, r);
            } else {
                (self.s[i - 18], self.s[i - 17]) = (l, r);
            }
        }
    }
}

fn next_word(b: &[u8], j: &mut usize) -> u32 {
    let mut w = 0u32;
    for _ in 0..4 {
        w = (w << 8) | u32::from(b[*j]);
        *j = (*j + 1) % b.len();
    }
    w
}

const ABC: &[u8; 64] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn b64(data: &[u8]) -> String {
    let (mut out, mut acc, mut n) = (String::new(), 0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        n += 8;
        while n >= 6 {
            n -= 6;
            out.push(char::from(ABC[((acc >> n) & 63) as usize]));
        }
    }
    if n > 0 {
        out.push(char::from(ABC[((acc << (6 - n)) & 63) as usize]));
    }
    out
}

fn unb64(s: &str) -> Option<Vec<u8>> {
    let (mut out, mut acc, mut n) = (Vec::new(), 0u32, 0u32);
    for c in s.bytes() {
        acc = (acc << 6) | ABC.iter().position(|x| *x == c)? as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((acc >> n) as u8);
        }
    }
    Some(out)
}

/// The `$2a$` hash of `password` with `cost` and a 22-character bcrypt-base64 `salt`.
pub fn hash_with_salt(password: &[u8], cost: u32, salt: &str) -> Result<String, String> {
    if password.len() > 72 {
        return Err("bcrypt: password length exceeds 72 bytes".into());
    }
    let csalt = unb64(salt).filter(|s| s.len() >= 16).ok_or("bcrypt: invalid salt")?;
    let csalt = &csalt[..16];
    let mut key = password.to_vec();
    key.push(0);
    let mut bf = Blowfish::new();
    bf.expand(&key, csalt);
    for _ in 0..1u64 << cost {
        bf.expand(&key, &[]);
        bf.expand(csalt, &[]);
    }
    let mut data: Vec<u8> = b"OrpheanBeholderScryDoubt".to_vec();
    for block in data.chunks_mut(8) {
        let (mut l, mut r) = (
            u32::from_be_bytes([block[0], block[1], block[2], block[3]]),
            u32::from_be_bytes([block[4], block[5], block[6], block[7]]),
        );
        for _ in 0..64 {
            (l, r) = bf.encrypt(l, r);
        }
        block[..4].copy_from_slice(&l.to_be_bytes());
        block[4..].copy_from_slice(&r.to_be_bytes());
    }
    Ok(format!("$2a${cost:02}${}{}", &b64(csalt)[..22], b64(&data[..23])))
}

/// Sprig's `bcrypt`: cost 10, a random salt; errors become the result text.
pub fn bcrypt(rng: &Mutex<Rng>, password: &str) -> String {
    let salt = match rng.lock() {
        Ok(mut r) => b64(&r.bytes(16)),
        Err(_) => return "failed to encrypt string with bcrypt: random source poisoned".into(),
    };
    hash_with_salt(password.as_bytes(), 10, &salt)
        .unwrap_or_else(|e| format!("failed to encrypt string with bcrypt: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pi_and_vectors() {
        assert_eq!(&PI_WORDS[..2], &[0x243F_6A88, 0x85A3_08D3]);
        assert_eq!(PI_WORDS[18], 0xD131_0BA6);
        assert_eq!(PI_WORDS[WORDS - 1], 0x3AC3_72E6);
        assert_eq!(
            hash_with_salt(b"U*U", 5, "CCCCCCCCCCCCCCCCCCCCC.").unwrap(),
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        );
    }
}
