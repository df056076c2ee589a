//! Negacyclic NTT over `Z_p[X]/(X^N + 1)`: an adapter over `tfhe-ntt`'s `prime64::Plan` (default) or, with the
//! cargo feature `concrete-ntt`, `concrete-ntt`'s `prime64::Plan` (the same API and algorithm family; chosen at
//! compile time), and a naive reference.
//!
//! The forward transform evaluates `a(X)` at the `N` primitive `2N`-th roots of unity `ψ^{odd}`; `tfhe-ntt`
//! returns them in bit-reversed order. The adapter records, for every output slot `i`, the exponent `e_i`
//! (odd, relative to the root in slot 0) so that Galois automorphisms `X ↦ X^g` become index permutations in
//! the NTT domain (slot `i` of `σ_g(a)` is slot `j` of `a` with `e_j = g·e_i mod 2N`).
//!
//! The inverse includes the `1/N` normalisation, so `inverse(forward(a)) = a`.
//! `concrete-ntt` 0.2 uses AVX2 on stable Rust (its AVX-512/IFMA paths need its `nightly` feature), so
//! `tfhe-ntt` stays the default. Both orders are bit-reversed, and the slot exponents below are computed from
//! whichever plan is compiled in, so automorphisms stay correct with either backend.
//!
//! # Plan selection
//! [`NttPlan::new`] always builds the crate plan above (it defines the root `ψ` and the slot order). On x86-64
//! with AVX2 + FMA, for `p < 2^50`, and when that plan does not use AVX-512 IFMA (`tfhe-ntt`'s
//! `Plan::use_ifma()`; `concrete-ntt` 0.2 has no IFMA on stable Rust), the transforms and
//! [`NttPlan::mul_accumulate`] run instead on the double-precision AVX2 backend of the `fp` submodule, built
//! from the same `ψ` and bit-identical to the crate plan (same order, reduced outputs). Elsewhere (IFMA,
//! larger primes, no AVX2/FMA, other architectures) the crate plan runs. [`NttPlan::backend`] names the choice.

use crate::{Error, Modulus};
#[cfg(feature = "concrete-ntt")]
use concrete_ntt::prime64::Plan;
#[cfg(not(feature = "concrete-ntt"))]
use tfhe_ntt::prime64::Plan;

#[cfg(target_arch = "x86_64")]
mod fp;

/// The NTT crate compiled in: `"tfhe-ntt"` by default, `"concrete-ntt"` with the feature of that name.
pub const NTT_BACKEND: &str = if cfg!(feature = "concrete-ntt") { "concrete-ntt" } else { "tfhe-ntt" };

/// A cached negacyclic NTT for one prime and one ring degree.
#[derive(Clone, Debug)]
pub struct NttPlan {
    plan: Plan,
    /// The AVX2 floating-point transform, where selected (module documentation).
    #[cfg(target_arch = "x86_64")]
    fast: Option<fp::FpNtt>,
    modulus: Modulus,
    degree: usize,
    /// `e_i`: slot `i` holds the evaluation at `ω^{e_i}`, `ω` the root evaluated in slot 0.
    exponents: Vec<u32>,
    /// Inverse of `exponents` on odd values: `slot_of[e / 2] = i`.
    slot_of: Vec<u32>,
}

impl NttPlan {
    /// Builds the plan.
    ///
    /// # Errors
    /// [`Error::InvalidDegree`] unless `degree` is a power of two in `[16, 2^17]`; [`Error::NoNtt`] when the
    /// modulus is not a prime `≡ 1 (mod 2N)` that the NTT backend accepts.
    pub fn new(degree: usize, modulus: Modulus) -> Result<Self, Error> {
        if !degree.is_power_of_two() || !(16..=1 << 17).contains(&degree) {
            return Err(Error::InvalidDegree { degree });
        }
        let no_ntt = Error::NoNtt { modulus: modulus.value(), degree };
        if !crate::prime::is_prime(modulus.value()) || modulus.value() % (2 * degree as u64) != 1 {
            return Err(no_ntt);
        }
        let plan = Plan::try_new(degree, modulus.value()).ok_or(no_ntt.clone())?;
        // Locate each slot's root as a power of the root in slot 0: transform the monomial X.
        let mut x = vec![0u64; degree];
        x[1] = 1;
        plan.fwd(&mut x);
        let omega = x[0];
        let two_n = 2 * degree;
        let mut exponent_of = std::collections::HashMap::with_capacity(degree);
        let mut power = omega;
        for e in (1..two_n).step_by(2) {
            exponent_of.insert(power, e as u32);
            power = modulus.mul(power, modulus.mul(omega, omega));
        }
        let mut exponents = Vec::with_capacity(degree);
        let mut slot_of = vec![0u32; degree];
        for (i, root) in x.iter().enumerate() {
            let e = *exponent_of.get(root).ok_or(no_ntt.clone())?;
            exponents.push(e);
            slot_of[(e / 2) as usize] = i as u32;
        }
        #[cfg(target_arch = "x86_64")]
        let fast = if uses_ifma(&plan) { None } else { fp::FpNtt::new(degree, modulus.value(), omega) };
        Ok(Self {
            plan,
            #[cfg(target_arch = "x86_64")]
            fast,
            modulus,
            degree,
            exponents,
            slot_of,
        })
    }

    /// The transform this plan runs: `"fp-avx2"` (the double-precision AVX2 backend) or [`NTT_BACKEND`].
    pub fn backend(&self) -> &'static str {
        #[cfg(target_arch = "x86_64")]
        if self.fast.is_some() {
            return "fp-avx2";
        }
        NTT_BACKEND
    }

    /// The prime.
    pub const fn modulus(&self) -> &Modulus {
        &self.modulus
    }

    /// The ring degree `N`.
    pub const fn degree(&self) -> usize {
        self.degree
    }

    /// Forward transform in place: coefficients in, evaluations (bit-reversed order) out.
    ///
    /// # Panics
    /// If `buf.len() != N` (a bug in the caller).
    pub fn forward(&self, buf: &mut [u64]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(fast) = &self.fast {
            return fast.forward(buf);
        }
        self.plan.fwd(buf);
    }

    /// Inverse transform in place, normalised by `1/N`.
    ///
    /// # Panics
    /// If `buf.len() != N` (a bug in the caller).
    pub fn inverse(&self, buf: &mut [u64]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(fast) = &self.fast {
            return fast.inverse(buf);
        }
        self.plan.inv(buf);
        self.plan.normalize(buf);
    }

    /// `acc[i] += a[i]·b[i] mod p` on reduced inputs (SIMD in `tfhe-ntt` for `p < 2^62`, or the AVX2
    /// floating-point backend where selected): the pointwise multiply-accumulate of the NTT domain.
    ///
    /// # Panics
    /// If the slices differ in length from `N`.
    pub fn mul_accumulate(&self, acc: &mut [u64], a: &[u64], b: &[u64]) {
        assert!(acc.len() == self.degree && a.len() == self.degree && b.len() == self.degree);
        #[cfg(target_arch = "x86_64")]
        if let Some(fast) = &self.fast {
            return fast.mul_accumulate(acc, a, b);
        }
        self.plan.mul_accumulate(acc, a, b);
    }

    /// Slot permutation of the automorphism `X ↦ X^g` (`g` odd) in this plan's NTT order:
    /// `σ_g(a)[i] = a[perm[i]]`.
    ///
    /// # Panics
    /// If `g` is even (a bug in the caller: Galois elements are odd).
    pub fn galois_permutation(&self, g: usize) -> Vec<u32> {
        assert!(g % 2 == 1, "Galois elements are odd");
        let two_n = 2 * self.degree;
        self.exponents.iter().map(|&e| self.slot_of[(e as usize * g % two_n) / 2]).collect()
    }
}

/// Whether the crate plan runs on AVX-512 IFMA (then it is kept: it is faster than the AVX2 backend).
#[cfg(all(target_arch = "x86_64", not(feature = "concrete-ntt")))]
fn uses_ifma(plan: &Plan) -> bool {
    plan.use_ifma()
}

/// `concrete-ntt` 0.2 uses IFMA only with its `nightly` feature, which this crate does not enable.
#[cfg(all(target_arch = "x86_64", feature = "concrete-ntt"))]
fn uses_ifma(_: &Plan) -> bool {
    false
}

/// Negacyclic product `a·b mod (X^N + 1, p)` by schoolbook multiplication, the `O(N²)` test oracle.
///
/// # Panics
/// If `a` and `b` differ in length.
pub fn naive_negacyclic_mul(a: &[u64], b: &[u64], modulus: &Modulus) -> Vec<u64> {
    assert_eq!(a.len(), b.len());
    let n = a.len();
    let mut out = vec![0u64; n];
    for (i, &ai) in a.iter().enumerate() {
        for (j, &bj) in b.iter().enumerate() {
            let prod = modulus.mul(ai, bj);
            let k = i + j;
            if k < n {
                out[k] = modulus.add(out[k], prod);
            } else {
                out[k - n] = modulus.sub(out[k - n], prod);
            }
        }
    }
    out
}

/// Naive automorphism `a(X) ↦ a(X^g) mod (X^N + 1)` in the coefficient domain (`g` odd).
pub fn naive_automorphism(a: &[u64], g: usize, modulus: &Modulus) -> Vec<u64> {
    let n = a.len();
    let mut out = vec![0u64; n];
    for (i, &ai) in a.iter().enumerate() {
        let k = i * g % (2 * n);
        if k < n {
            out[k] = ai;
        } else {
            out[k - n] = modulus.neg(ai);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prime::ntt_primes;
    use proptest::prelude::*;

    pub(super) fn random_poly(seed: u64, n: usize, p: u64) -> Vec<u64> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s % p
            })
            .collect()
    }

    #[test]
    fn backend_name_follows_the_feature() {
        let want = if cfg!(feature = "concrete-ntt") { "concrete-ntt" } else { "tfhe-ntt" };
        assert_eq!(NTT_BACKEND, want);
    }

    #[test]
    fn avx2_backend_is_selected_for_primes_below_2_pow_50() {
        let n = 1 << 13;
        for (bits, below) in [(40u32, true), (49, true), (50, true), (51, false), (60, false)] {
            let m = ntt_primes(bits, n, 1, &[]).unwrap()[0];
            let plan = NttPlan::new(n, m).unwrap();
            #[cfg(target_arch = "x86_64")]
            let fast = below && pulp::x86::V3::try_new().is_some() && !uses_ifma(&plan.plan);
            #[cfg(not(target_arch = "x86_64"))]
            let fast = false;
            let want = if fast { "fp-avx2" } else { NTT_BACKEND };
            assert_eq!(plan.backend(), want, "{bits}-bit prime");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn ntt_product_equals_naive(log_n in 4u32..9, bits in prop::sample::select(vec![30u32, 40, 49, 55, 60]),
                                    which in 0usize..3, seed: u64) {
            let n = 1usize << log_n;
            let m = ntt_primes(bits, n, 3, &[]).unwrap()[which];
            let plan = NttPlan::new(n, m).unwrap();
            let a = random_poly(seed, n, m.value());
            let b = random_poly(seed.wrapping_add(7), n, m.value());
            let want = naive_negacyclic_mul(&a, &b, &m);
            let (mut fa, mut fb) = (a.clone(), b.clone());
            plan.forward(&mut fa);
            plan.forward(&mut fb);
            let mut prod: Vec<u64> = fa.iter().zip(&fb).map(|(&x, &y)| m.mul(x, y)).collect();
            plan.inverse(&mut prod);
            prop_assert_eq!(prod, want);
            plan.inverse(&mut fa);
            prop_assert_eq!(fa, a);
        }

        #[test]
        fn galois_permutation_matches_coefficient_automorphism(log_n in 4u32..9, g_half in 0usize..256, seed: u64) {
            let n = 1usize << log_n;
            let g = (2 * g_half + 1) % (2 * n);
            let m = ntt_primes(40, n, 1, &[]).unwrap()[0];
            let plan = NttPlan::new(n, m).unwrap();
            let a = random_poly(seed, n, m.value());
            let mut want = naive_automorphism(&a, g, &m);
            plan.forward(&mut want);
            let mut fa = a.clone();
            plan.forward(&mut fa);
            let perm = plan.galois_permutation(g);
            let got: Vec<u64> = perm.iter().map(|&j| fa[j as usize]).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn rejects_bad_inputs() {
        let m = Modulus::new(97).unwrap();
        assert!(NttPlan::new(16, m).is_ok());
        assert!(matches!(NttPlan::new(64, m), Err(Error::NoNtt { .. })));
        assert!(matches!(NttPlan::new(12, m), Err(Error::InvalidDegree { .. })));
    }
}
