//! DSA key generation for `genPrivateKey "dsa"`: Go's `dsa.GenerateParameters` with
//! L2048N256 and `dsa.GenerateKey`, encoded as Sprig's `DSAKeyFormat` (version, P, Q, G,
//! Y, X). aws-lc-rs has no DSA, so this carries a small unsigned bignum with Montgomery
//! exponentiation; it only generates (Go cannot sign certificates with DSA keys either).

use super::der;

/// Little-endian 64-bit limbs.
type Limbs = Vec<u64>;

const L: usize = 2048;
const N: usize = 256;
/// Miller-Rabin rounds with random bases. The candidates are random, not adversarial, so
/// this many bounds the error far below 2^-100 (FIPS 186-5 appendix B.3).
const ROUNDS: usize = 16;

fn from_be(b: &[u8]) -> Limbs {
    let mut out: Limbs = b.rchunks(8).map(|c| c.iter().fold(0u64, |a, x| (a << 8) | u64::from(*x))).collect();
    trim(&mut out);
    out
}

fn to_be(a: &[u64]) -> Vec<u8> {
    a.iter().rev().flat_map(|l| l.to_be_bytes()).collect()
}

fn trim(a: &mut Limbs) {
    while a.last() == Some(&0) {
        a.pop();
    }
}

fn bit_len(a: &[u64]) -> usize {
    a.iter().rposition(|l| *l != 0).map_or(0, |i| i * 64 + 64 - a[i].leading_zeros() as usize)
}

fn bit(a: &[u64], i: usize) -> bool {
    a.get(i / 64).is_some_and(|l| l >> (i % 64) & 1 == 1)
}

fn cmp(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .rev()
        .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// `a -= b` for `a >= b`.
fn sub_assign(a: &mut [u64], b: &[u64]) {
    let mut borrow = false;
    for (i, x) in a.iter_mut().enumerate() {
        let (d, b1) = x.overflowing_sub(*b.get(i).unwrap_or(&0));
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        *x = d;
        borrow = b1 || b2;
    }
}

fn small(v: u64) -> Limbs {
    let mut a = vec![v];
    trim(&mut a);
    a
}

/// Quotient and remainder, bit by bit (used a few times per key, on at most 4096 bits).
fn divrem(a: &[u64], m: &[u64]) -> (Limbs, Limbs) {
    let mut q = vec![0u64; a.len()];
    let mut r: Limbs = vec![0; m.len() + 1];
    for i in (0..bit_len(a)).rev() {
        let mut carry = u64::from(bit(a, i));
        for l in r.iter_mut() {
            let next = *l >> 63;
            *l = (*l << 1) | carry;
            carry = next;
        }
        if cmp(&r, m).is_ge() {
            sub_assign(&mut r, m);
            q[i / 64] |= 1 << (i % 64);
        }
    }
    trim(&mut q);
    trim(&mut r);
    (q, r)
}

/// `a mod d` for `d < 2^32`, in 32-bit steps (native 64-bit division; u128's is slow).
fn rem_small(a: &[u64], d: u64) -> u64 {
    a.iter().rev().fold(0u64, |r, l| {
        let r = ((r << 32) | (l >> 32)) % d;
        ((r << 32) | (l & 0xffff_ffff)) % d
    })
}

/// `a·b + c + d`, which cannot overflow 128 bits; wrapping operations skip the debug
/// build's overflow checks, which dominate its big-number time.
fn mac(a: u64, b: u64, c: u64, d: u64) -> u128 {
    u128::from(a).wrapping_mul(u128::from(b)).wrapping_add(u128::from(c)).wrapping_add(u128::from(d))
}

/// Montgomery arithmetic modulo an odd `m` (R = 2^(64·n)).
struct Mont {
    m: Limbs,
    inv: u64,
    r2: Limbs,
}

impl Mont {
    fn new(m: &[u64]) -> Mont {
        let m = m.to_vec();
        // -m^-1 mod 2^64 by Newton's iteration.
        let mut inv = 1u64;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        let mut r2_in = vec![0u64; 2 * m.len()];
        r2_in.push(1);
        let r2 = divrem(&r2_in, &m).1;
        Mont { m, inv: inv.wrapping_neg(), r2 }
    }

    /// Montgomery product `a·b·R⁻¹ mod m` (CIOS). Inputs shorter than `m` are zero-padded;
    /// the loops run over slices of one length so debug builds stay usable.
    fn mul(&self, a: &[u64], b: &[u64]) -> Limbs {
        let n = self.m.len();
        let pad = |x: &[u64]| {
            let mut v = x.to_vec();
            v.resize(n, 0);
            v
        };
        let (a, b, m) = (pad(a), pad(b), &self.m);
        let mut t = vec![0u64; n + 2];
        for &bi in &b {
            let mut c = 0u64;
            for (tj, &aj) in t[..n].iter_mut().zip(&a) {
                let s = mac(aj, bi, *tj, c);
                *tj = s as u64;
                c = (s >> 64) as u64;
            }
            let (v, carry) = t[n].overflowing_add(c);
            t[n] = v;
            t[n + 1] = u64::from(carry);
            // Add u·m (making t[0] zero), then shift t down a limb.
            let u = t[0].wrapping_mul(self.inv);
            let mut c = 0u64;
            for (tj, &mj) in t[..n].iter_mut().zip(m) {
                let s = mac(u, mj, *tj, c);
                *tj = s as u64;
                c = (s >> 64) as u64;
            }
            let (v, carry) = t[n].overflowing_add(c);
            t[n] = v;
            t[n + 1] += u64::from(carry);
            t.copy_within(1.., 0);
            t[n + 1] = 0;
        }
        t.truncate(n + 1);
        if cmp(&t, &self.m).is_ge() {
            sub_assign(&mut t, &self.m);
        }
        t.truncate(n);
        t
    }

    /// `base^exp mod m`, for `base < m`, with 4-bit windows.
    fn pow(&self, base: &[u64], exp: &[u64]) -> Limbs {
        let b = self.mul(base, &self.r2);
        let mut table = vec![self.mul(&[1], &self.r2)];
        for i in 1..16 {
            table.push(self.mul(&table[i - 1], &b));
        }
        let mut acc = table[0].clone();
        for w in (0..bit_len(exp).div_ceil(4)).rev() {
            for _ in 0..4 {
                acc = self.mul(&acc, &acc);
            }
            let idx = (0..4).fold(0, |v, k| v | usize::from(bit(exp, w * 4 + k)) << k);
            if idx != 0 {
                acc = self.mul(&acc, &table[idx]);
            }
        }
        let mut out = self.mul(&acc, &[1]);
        trim(&mut out);
        out
    }
}

fn random(bytes: usize) -> Result<Vec<u8>, String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| e.to_string())?;
    Ok(b)
}

const SMALL_PRIMES: [u64; 53] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109,
    113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233, 239,
    241, 251,
];

/// Trial division, then Miller-Rabin with random bases.
fn probably_prime(n: &[u64]) -> Result<bool, String> {
    if n.first().is_none_or(|l| l & 1 == 0) {
        return Ok(false);
    }
    if SMALL_PRIMES.iter().any(|p| rem_small(n, *p) == 0) || (1000..1500).any(|k| rem_small(n, 2 * k + 1) == 0) {
        return Ok(false);
    }
    let mont = Mont::new(n);
    let mut n1 = n.to_vec();
    sub_assign(&mut n1, &[1]);
    let s = (0..).find(|i| bit(&n1, *i)).unwrap_or(0);
    let d: Limbs = divrem(&n1, &{
        let mut p = vec![0u64; s / 64 + 1];
        p[s / 64] = 1 << (s % 64);
        p
    })
    .0;
    let one = small(1);
    'rounds: for _ in 0..ROUNDS {
        let a = divrem(&from_be(&random(n.len() * 8)?), &n1).1;
        if cmp(&a, &small(2)).is_lt() {
            continue;
        }
        let mut x = mont.pow(&a, &d);
        if cmp(&x, &one).is_eq() || cmp(&x, &n1).is_eq() {
            continue;
        }
        for _ in 1..s {
            x = mont.pow(&x, &[2]);
            if cmp(&x, &n1).is_eq() {
                continue 'rounds;
            }
        }
        return Ok(false);
    }
    Ok(true)
}

/// FIPS 186-3 parameters as Go generates them: Q a random 256-bit prime, P a 2048-bit
/// prime with P ≡ 1 (mod Q), G = h^((P-1)/Q) mod P for the first h from 2 with G ≠ 1.
fn parameters() -> Result<(Limbs, Limbs, Limbs), String> {
    loop {
        let mut qb = random(N / 8)?;
        qb[N / 8 - 1] |= 1;
        qb[0] |= 0x80;
        let q = from_be(&qb);
        if !probably_prime(&q)? {
            continue;
        }
        for _ in 0..4 * L {
            let mut pb = random(L / 8)?;
            pb[L / 8 - 1] |= 1;
            pb[0] |= 0x80;
            let mut p = from_be(&pb);
            let rem = divrem(&p, &q).1;
            // Go's p - (p mod q - 1), as p - (p mod q) + 1.
            sub_assign(&mut p, &rem);
            let mut i = 0;
            while let Some(l) = p.get_mut(i) {
                let (v, carry) = l.overflowing_add(1);
                *l = v;
                if !carry {
                    break;
                }
                i += 1;
            }
            trim(&mut p);
            if bit_len(&p) < L || !probably_prime(&p)? {
                continue;
            }
            let mut pm1 = p.clone();
            sub_assign(&mut pm1, &[1]);
            let e = divrem(&pm1, &q).0;
            let mont = Mont::new(&p);
            let g = (2..).map(|h| mont.pow(&[h], &e)).find(|g| cmp(g, &[1]).is_ne()).unwrap_or_default();
            return Ok((p, q, g));
        }
    }
}

/// A new DSA key as the DER Sprig's `pemBlockForKey` writes.
pub fn generate() -> Result<Vec<u8>, String> {
    let (p, q, g) = parameters()?;
    let x = loop {
        let x = from_be(&random(N / 8)?);
        if !x.is_empty() && cmp(&x, &q).is_lt() {
            break x;
        }
    };
    let y = Mont::new(&p).pow(&g, &x);
    let ints: Vec<Vec<u8>> = [small(0), p, q, g, y, x].iter().map(|v| der::uint(&to_be(v))).collect();
    let parts: Vec<&[u8]> = ints.iter().map(Vec::as_slice).collect();
    Ok(der::seq(der::SEQUENCE, &parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        let mont = Mont::new(&small(1_000_000_007));
        assert_eq!(mont.pow(&small(2), &small(1_000_000_006)), small(1));
        assert_eq!(mont.pow(&small(3), &small(200)), modpow_ref(3, 200, 1_000_000_007));
        // 2^127 - 1 is a Mersenne prime (Fermat holds); 2^128 + 1 is not prime.
        let m127 = [u64::MAX, u64::MAX >> 1];
        let mut e = m127.to_vec();
        sub_assign(&mut e, &[1]);
        assert_eq!(Mont::new(&m127).pow(&small(3), &e), small(1));
        assert_eq!(probably_prime(&m127), Ok(true));
        assert_eq!(probably_prime(&[1, 0, 1]), Ok(false));
        let a: u128 = 0x1234_5678_9abc_def0_1122_3344_5566_7788;
        let (q, r) = divrem(&[a as u64, (a >> 64) as u64], &[1_000_003]);
        assert_eq!(q, [(a / 1_000_003) as u64, ((a / 1_000_003) >> 64) as u64]);
        assert_eq!(r, small((a % 1_000_003) as u64));
        assert_eq!(to_be(&from_be(&[1, 2, 3, 4, 5, 6, 7, 8, 9])), [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    fn modpow_ref(b: u64, e: u64, m: u64) -> Limbs {
        let (mut r, mut b, mut e) = (1u128, u128::from(b), e);
        while e > 0 {
            if e & 1 == 1 {
                r = r * b % u128::from(m);
            }
            b = b * b % u128::from(m);
            e >>= 1;
        }
        small(r as u64)
    }
}
