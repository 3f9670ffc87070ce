//! The random source: ChaCha20 (RFC 8439 block function) as a stream generator, keyed from
//! the OS (`getrandom`) by default, or from a seed for deterministic tests.

/// A ChaCha20 generator. Sprig's random functions read Go's `crypto/rand`; templates render
/// secrets with them (`randAlphaNum`, `bcrypt` salts, AES IVs), so the default key comes from
/// the OS. [`Rng::seeded`] is for tests: its output is predictable from the seed.
#[derive(Debug, Clone)]
pub struct Rng {
    key: [u32; 8],
    counter: u64,
    buf: Vec<u8>,
}

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// The ChaCha20 block for `key`, 32-bit `counter` and `nonce`.
fn block(key: &[u32; 8], counter: u32, nonce: [u32; 3]) -> [u8; 64] {
    let mut init = [0u32; 16];
    init[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
    init[4..12].copy_from_slice(key);
    init[12] = counter;
    init[13..].copy_from_slice(&nonce);
    let mut s = init;
    for _ in 0..10 {
        quarter(&mut s, 0, 4, 8, 12);
        quarter(&mut s, 1, 5, 9, 13);
        quarter(&mut s, 2, 6, 10, 14);
        quarter(&mut s, 3, 7, 11, 15);
        quarter(&mut s, 0, 5, 10, 15);
        quarter(&mut s, 1, 6, 11, 12);
        quarter(&mut s, 2, 7, 8, 13);
        quarter(&mut s, 3, 4, 9, 14);
    }
    let mut out = [0u8; 64];
    for (i, (x, y)) in s.iter().zip(init).enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.wrapping_add(y).to_le_bytes());
    }
    out
}

impl Rng {
    fn from_key(bytes: [u8; 32]) -> Rng {
        let key = std::array::from_fn(|i| {
            u32::from_le_bytes([bytes[i * 4], bytes[i * 4 + 1], bytes[i * 4 + 2], bytes[i * 4 + 3]])
        });
        Rng { key, counter: 0, buf: Vec::new() }
    }

    /// A generator whose sequence is fixed by `seed`.
    pub fn seeded(seed: u64) -> Rng {
        let mut k = [0u8; 32];
        k[..8].copy_from_slice(&seed.to_le_bytes());
        Rng::from_key(k)
    }

    /// A generator keyed from the OS random source (falling back to the process' hash keys
    /// and the time if the OS refuses).
    pub fn from_entropy() -> Rng {
        let mut k = [0u8; 32];
        if getrandom::fill(&mut k).is_err() {
            use std::hash::{BuildHasher, Hasher};
            for chunk in k.chunks_mut(8) {
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
                h.write_u128(t);
                chunk.copy_from_slice(&h.finish().to_le_bytes());
            }
        }
        Rng::from_key(k)
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            let c = self.counter;
            self.counter = self.counter.wrapping_add(1);
            self.buf.extend_from_slice(&block(&self.key, c as u32, [(c >> 32) as u32, 0, 0]));
        }
        self.buf.drain(..n).collect()
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let b = self.bytes(8);
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    }

    /// A number in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8439_block() {
        let key: [u32; 8] = std::array::from_fn(|i| u32::from_le_bytes(std::array::from_fn(|j| (i * 4 + j) as u8)));
        let out = block(&key, 1, [0x0900_0000, 0x4a00_0000, 0]);
        let hex: String = out[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "10f1e7e4d13b5915500fdd1fa32071c4");
    }
}
