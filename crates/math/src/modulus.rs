//! Word-size modular arithmetic: Barrett reduction of 128-bit values and Shoup multiplication.
//!
//! Barrett: with `mu = ⌊2^128 / p⌋`, `q = ⌊x·mu / 2^128⌋` underestimates `⌊x/p⌋` by at most one, so one
//! conditional subtraction finishes the reduction (Barrett, CRYPTO 1986; Menezes et al., HAC Alg. 14.42).
//! Shoup: for a fixed multiplicand `w`, `w' = ⌊w·2^64 / p⌋` turns `a·w mod p` into two word multiplications
//! and one conditional subtraction (Harvey 2014, Alg. 2).

use crate::Error;

/// Exact integer arithmetic in `f64`, shared by the AVX2 paths (`Modulus::sub_mul_assign`, the single-prime base
/// conversion and the `fp-avx2` NTT).
pub(crate) mod exact_f64 {
    /// `1.5·2^52`: `fl(z + ROUND) − ROUND` is `z` rounded to the nearest integer for `|z| ≤ 2^51`.
    pub(crate) const ROUND: f64 = 6_755_399_441_055_744.0;
    /// `2^52`, and its bit pattern: `from_bits(x | TWO52_BITS) − 2^52 = x` for integers `0 ≤ x < 2^52`.
    pub(crate) const TWO52: f64 = 4_503_599_627_370_496.0;
    /// The bit pattern of [`TWO52`].
    pub(crate) const TWO52_BITS: u64 = 0x4330_0000_0000_0000;

    /// `a < 2^52` as an exact `f64`.
    #[inline(always)]
    pub(crate) fn from_u52(a: u64) -> f64 {
        f64::from_bits(a | TWO52_BITS) - TWO52
    }

    /// An integer `0 ≤ r < 2^52` held in an `f64`, as a word.
    #[inline(always)]
    pub(crate) fn to_u52(r: f64) -> u64 {
        (r + TWO52).to_bits() - TWO52_BITS
    }

    /// Runs `body` compiled with AVX2 + FMA where the CPU has them (`pulp`'s safe runtime dispatch inlines the
    /// `FnOnce` into a `#[target_feature]` frame, so its plain loops vectorise), and as is elsewhere.
    #[inline(always)]
    #[allow(
        clippy::redundant_closure,
        reason = "the `#[inline(always)]` wrapper keeps `body` inlined into the AVX2 frame; passing `body` itself \
                  leaves inlining to LLVM"
    )]
    pub(crate) fn with_avx2_fma(body: impl FnOnce()) {
        #[cfg(target_arch = "x86_64")]
        if let Some(simd) = pulp::x86::V3::try_new() {
            simd.vectorize(
                #[inline(always)]
                move || body(),
            );
            return;
        }
        body();
    }
}

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

    /// `acc[i] = (acc[i] − b[i])·w mod p` for reduced `acc`, `b` and `w` (the last step of ModDown and
    /// rescale: subtract the converted part, multiply by an inverse).
    ///
    /// For `p < 2^50` it runs in `f64` (van der Hoeven–Lecerf–Quintin, *Modular SIMD arithmetic in
    /// Mathemagix*, ACM TOMS 43(1), 2016, §3), vectorised with AVX2 + FMA where the CPU has them (`pulp`'s
    /// safe runtime dispatch): `x = acc − b` is exact with `|x| < p`; `h = fl(x·w)`, `l = x·w − h` (one FMA,
    /// exact); `k = round(fl(x·fl(w/p)))` is within `1/2 + 2^−2` of `x·w/p` because `|x·w/p| < 2^50`; and
    /// `r = fma(−k, p, h) + l = x·w − k·p` is exact (an integer below `2^51`) and lies in `(−p, p)`, so one
    /// conditional `+p` reduces it. Other moduli use Shoup multiplication.
    ///
    /// # Panics
    /// If the slices differ in length (a bug in the caller).
    pub fn sub_mul_assign(&self, acc: &mut [u64], b: &[u64], w: u64) {
        assert_eq!(acc.len(), b.len());
        let p = self.p;
        if p >= 1 << 50 {
            let ws = self.shoup(w);
            for (a, &b) in acc.iter_mut().zip(b) {
                *a = self.mul_shoup(self.sub(*a, b), w, ws);
            }
            return;
        }
        use exact_f64::{ROUND, from_u52, to_u52, with_avx2_fma};
        let (pf, wf) = (p as f64, w as f64);
        let wq = wf / pf;
        with_avx2_fma(move || {
            for (a, &b) in acc.iter_mut().zip(b) {
                let x = from_u52(*a) - from_u52(b);
                let h = x * wf;
                let l = x.mul_add(wf, -h);
                let k = x.mul_add(wq, ROUND) - ROUND;
                let r = (-k).mul_add(pf, h) + l;
                let r = if r < 0.0 { r + pf } else { r };
                *a = to_u52(r);
            }
        });
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
        /// The f64 path (p < 2^50) and the Shoup path against u128 arithmetic, extremes included.
        #[test]
        fn sub_mul_assign_equals_u128_arithmetic(
            bits in prop::sample::select(vec![17u32, 30, 40, 49, 50, 55, 61]),
            seed in any::<u64>(),
        ) {
            let p = crate::prime::ntt_prime_chain(&[bits], 16).unwrap()[0];
            let v = p.value();
            let draw = |i: u64| (seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xff51_afd7_ed55_8ccd) % v;
            let mut acc: Vec<u64> = (0..64).map(draw).collect();
            let mut b: Vec<u64> = (64..128).map(draw).collect();
            acc[..4].copy_from_slice(&[0, v - 1, 0, v - 1]);
            b[..4].copy_from_slice(&[v - 1, 0, 0, v - 1]);
            for w in [draw(999), 0, 1, v - 1] {
                let mut got = acc.clone();
                p.sub_mul_assign(&mut got, &b, w);
                for ((&a, &bb), &g) in acc.iter().zip(&b).zip(&got) {
                    let want = ((u128::from(a) + u128::from(v) - u128::from(bb)) * u128::from(w) % u128::from(v)) as u64;
                    prop_assert_eq!(g, want);
                }
            }
        }
    }

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
