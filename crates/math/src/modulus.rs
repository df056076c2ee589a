//! Word-size modular arithmetic: Barrett reduction of 128-bit values and Shoup multiplication.
//!
//! Barrett: with `mu = ⌊2^128 / p⌋`, `q = ⌊x·mu / 2^128⌋` underestimates `⌊x/p⌋` by at most one, so one
//! conditional subtraction finishes the reduction (Barrett, CRYPTO 1986; Menezes et al., HAC Alg. 14.42).
//! Shoup: for a fixed multiplicand `w`, `w' = ⌊w·2^64 / p⌋` turns `a·w mod p` into two word multiplications
//! and one conditional subtraction (Harvey 2014, Alg. 2).

use crate::Error;

/// An odd or even modulus `p` in `[2, 2^62)` with its Barrett constant.
///
/// The `2^62` bound leaves two bits of headroom so sums of a few residues never overflow a word and sixteen
/// 124-bit products fit in a `u128` accumulator (lazy reduction).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Modulus {
    p: u64,
    mu_hi: u64,
    mu_lo: u64,
}

impl Modulus {
    /// Largest supported modulus (exclusive).
    pub const MAX: u64 = 1 << 62;

    /// Builds the modulus.
    ///
    /// # Errors
    /// [`Error::InvalidModulus`] when `p < 2` or `p ≥ 2^62`.
    pub fn new(p: u64) -> Result<Self, Error> {
        if !(2..Self::MAX).contains(&p) {
            return Err(Error::InvalidModulus { modulus: p });
        }
        // ⌊2^128 / p⌋ = ⌊(2^128 − 1) / p⌋ unless p divides 2^128, i.e. p is a power of two.
        let mu =
            if p.is_power_of_two() { (u128::MAX / u128::from(p)) + 1 } else { u128::MAX / u128::from(p) };
        Ok(Self { p, mu_hi: (mu >> 64) as u64, mu_lo: mu as u64 })
    }

    /// The modulus value.
    #[inline]
    pub const fn value(&self) -> u64 {
        self.p
    }

    /// Bit length of the modulus.
    #[inline]
    pub const fn bits(&self) -> u32 {
        64 - self.p.leading_zeros()
    }

    /// `x mod p` for any `x < p·2^64` (in particular every product of two residues).
    #[inline]
    pub fn reduce_u128(&self, x: u128) -> u64 {
        let x0 = x as u64;
        let x1 = (x >> 64) as u64;
        let lo_lo = (u128::from(x0) * u128::from(self.mu_lo)) >> 64;
        let mid1 = u128::from(x0) * u128::from(self.mu_hi);
        let mid2 = u128::from(x1) * u128::from(self.mu_lo);
        let carry = (lo_lo + (mid1 & u128::from(u64::MAX)) + (mid2 & u128::from(u64::MAX))) >> 64;
        let q = (u128::from(x1) * u128::from(self.mu_hi) + (mid1 >> 64) + (mid2 >> 64) + carry) as u64;
        let r = x0.wrapping_sub(q.wrapping_mul(self.p));
        if r >= self.p { r - self.p } else { r }
    }

    /// `x mod p` for a word.
    #[inline]
    pub fn reduce(&self, x: u64) -> u64 {
        self.reduce_u128(u128::from(x))
    }

    /// `x mod p` for a signed value, in `[0, p)`.
    #[inline]
    pub fn reduce_i64(&self, x: i64) -> u64 {
        let a = x.unsigned_abs();
        let r = if a < self.p { a } else { self.reduce(a) };
        if x < 0 { self.neg(r) } else { r }
    }

    /// `a + b mod p` for residues.
    #[inline]
    pub const fn add(&self, a: u64, b: u64) -> u64 {
        let s = a + b;
        if s >= self.p { s - self.p } else { s }
    }

    /// `a − b mod p` for residues.
    #[inline]
    pub const fn sub(&self, a: u64, b: u64) -> u64 {
        if a >= b { a - b } else { a + self.p - b }
    }

    /// `−a mod p` for a residue.
    #[inline]
    pub const fn neg(&self, a: u64) -> u64 {
        if a == 0 { 0 } else { self.p - a }
    }

    /// `a·b mod p` for residues (Barrett).
    #[inline]
    pub fn mul(&self, a: u64, b: u64) -> u64 {
        self.reduce_u128(u128::from(a) * u128::from(b))
    }

    /// Shoup's precomputed quotient `⌊w·2^64 / p⌋` for a fixed residue `w`.
    #[inline]
    pub fn shoup(&self, w: u64) -> u64 {
        ((u128::from(w) << 64) / u128::from(self.p)) as u64
    }

    /// `a·w mod p` given `w_shoup = self.shoup(w)`; `a` may be any word below `2^64`.
    #[inline]
    pub const fn mul_shoup(&self, a: u64, w: u64, w_shoup: u64) -> u64 {
        let q = ((a as u128 * w_shoup as u128) >> 64) as u64;
        let r = a.wrapping_mul(w).wrapping_sub(q.wrapping_mul(self.p));
        if r >= self.p { r - self.p } else { r }
    }

    /// `a^e mod p` by square-and-multiply.
    pub fn pow(&self, a: u64, mut e: u64) -> u64 {
        let mut base = self.reduce(a);
        let mut acc = self.reduce(1);
        while e > 0 {
            if e & 1 == 1 {
                acc = self.mul(acc, base);
            }
            base = self.mul(base, base);
            e >>= 1;
        }
        acc
    }

    /// Multiplicative inverse of `a` modulo `p`, or `None` when `gcd(a, p) ≠ 1` (extended Euclid).
    pub fn inv(&self, a: u64) -> Option<u64> {
        let (mut r0, mut r1) = (i128::from(self.p), i128::from(self.reduce(a)));
        let (mut t0, mut t1) = (0i128, 1i128);
        while r1 != 0 {
            let q = r0 / r1;
            (r0, r1) = (r1, r0 - q * r1);
            (t0, t1) = (t1, t0 - q * t1);
        }
        if r0 != 1 {
            return None;
        }
        Some(t0.rem_euclid(i128::from(self.p)) as u64)
    }

    /// Centered representative of a residue, in `(−p/2, p/2]`.
    #[inline]
    pub const fn center(&self, a: u64) -> i64 {
        if a > self.p / 2 { a as i64 - self.p as i64 } else { a as i64 }
    }
}

#[cfg(test)]
mod tests {
    use super::Modulus;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn mul_matches_u128(p in 2u64..(1u64 << 62), a: u64, b: u64) {
            let m = Modulus::new(p).unwrap();
            let (a, b) = (a % p, b % p);
            let want = ((u128::from(a) * u128::from(b)) % u128::from(p)) as u64;
            prop_assert_eq!(m.mul(a, b), want);
            prop_assert_eq!(m.mul_shoup(a, b, m.shoup(b)), want);
        }

        #[test]
        fn reduce_wide(p in 2u64..(1u64 << 62), hi in 0u64.., lo: u64) {
            let m = Modulus::new(p).unwrap();
            let x = (u128::from(hi % p) << 64) | u128::from(lo);
            prop_assert_eq!(m.reduce_u128(x), (x % u128::from(p)) as u64);
        }

        #[test]
        fn inverse_and_pow(a in 1u64..1_000_000) {
            let p = (1u64 << 61) - 1; // Mersenne prime
            let m2 = Modulus::new(p).unwrap();
            let inv = m2.inv(a).unwrap();
            prop_assert_eq!(m2.mul(a, inv), 1);
            prop_assert_eq!(m2.pow(a, p - 1), 1);
        }
    }

    #[test]
    fn rejects_out_of_range_and_handles_powers_of_two() {
        assert!(Modulus::new(0).is_err());
        assert!(Modulus::new(1).is_err());
        assert!(Modulus::new(1 << 62).is_err());
        let m = Modulus::new(1 << 40).unwrap();
        assert_eq!(m.reduce_u128((1u128 << 100) + 5), 5);
        assert_eq!(m.inv(2), None);
        assert_eq!(Modulus::new(97).unwrap().center(96), -1);
        assert_eq!(Modulus::new(97).unwrap().reduce_i64(-3), 94);
    }
}
