//! Releasing decrypted values: noise flooding against CPA^D key recovery.
//!
//! A CKKS decryption is `Δ·m + e`, and `e` depends on the secret key. Li and Micciancio ("On the security of
//! homomorphic encryption on approximate numbers", EUROCRYPT 2021) show that handing decryptions of
//! evaluated ciphertexts to another party (IND-CPA^D) lets it solve for the key with linear algebra. Two ways out:
//!
//! - **Noise flooding** ([`flood_plaintext`] before decoding, or [`flood_ciphertext`] on the result before it
//!   goes back to the key holder): add fresh noise much wider than `e`, so the released value is statistically
//!   almost independent of `e`. Li, Micciancio, Schultz and Sorrell ("Securing approximate homomorphic
//!   encryption using differential privacy", CRYPTO 2022) show that Gaussian flooding whose width is about
//!   `2^{s/2}·√t` times the noise bound `E` (in the same units) keeps `s` bits of security against key recovery
//!   over `t` released decryptions; choose σ from that bound with margin, with `E` measured or estimated for the
//!   circuit that produced the ciphertext. The price is precision: the released slots carry noise of standard
//!   deviation `σ·√(N/2)/Δ`, so flooding for 64-bit security at Δ = 2^40 leaves a few bits. This is the
//!   mitigation with a proof; use it whenever the decrypted values leave the key holder and an adversary could
//!   choose or observe the ciphertexts (a server that computes on them, an analyst who asks queries).
//! - **Rounding** ([`crate::round_for_release`]): drop the low-order bits of the decoded values. Cheap and
//!   keeps the useful precision, but it is a heuristic without a security proof (rounding a value near a
//!   boundary still leaks); acceptable only when the released values are coarse (labels, a few decimals) and the
//!   ciphertexts were not chosen by the recipient.
//!
//! Flooding noise is sampled as a rounded continuous Gaussian (Box–Muller on 53-bit uniforms; for σ ≫ 1 its
//! statistical distance to the discrete Gaussian of the same σ is negligible for flooding) or as a uniform
//! integer in `[−B, B]` (the classical smudging lemma: statistical distance at most `N·E/B` for noise `‖e‖_∞ ≤ E`),
//! in coefficient units (the unit of `e`), added to every RNS limb of the coefficient representation.

use quantumacy_math::{Ntt, Poly, RnsBasis};
use rand::CryptoRng;

use crate::encoding::Plaintext;
use crate::{Ciphertext, Error, Parameters};

/// Distribution of the flooding noise, in coefficient units (the unit of the decryption noise `e`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Flooding {
    /// Rounded Gaussian of standard deviation `sigma` (LMSS 2022).
    Gaussian {
        /// Standard deviation, `> 0`.
        sigma: f64,
    },
    /// Uniform integer in `[−bound, bound]` (smudging lemma).
    Uniform {
        /// Half-width, `≥ 1`.
        bound: f64,
    },
}

impl Flooding {
    /// A bound that every sample stays below with overwhelming probability: `bound` for the uniform, `12·σ` for
    /// the Gaussian (probability `< 2^-100` per coefficient).
    pub fn tail_bound(self) -> f64 {
        match self {
            Self::Gaussian { sigma } => 12.0 * sigma,
            Self::Uniform { bound } => bound.floor(),
        }
    }

    fn check(self, basis: &RnsBasis) -> Result<(), Error> {
        let width = match self {
            Self::Gaussian { sigma } => sigma,
            Self::Uniform { bound } => bound,
        };
        let positive = match self {
            Self::Gaussian { .. } => width > 0.0,
            Self::Uniform { .. } => width >= 1.0,
        };
        if !width.is_finite() || !positive {
            return Err(Error::InvalidFlooding {
                width,
                reason: "width must be finite and positive (uniform: ≥ 1)",
            });
        }
        // The noise must stay far below Q_ℓ/2 (and fit an i64) or it would wrap around the modulus.
        let limit = 2f64.powf(basis.log2_product() - 8.0).min(2f64.powi(60));
        if self.tail_bound() >= limit {
            return Err(Error::InvalidFlooding {
                width,
                reason: "noise would wrap around the modulus at this level",
            });
        }
        Ok(())
    }

    fn sample<R: CryptoRng + ?Sized>(self, rng: &mut R, n: usize) -> Vec<i64> {
        match self {
            Self::Gaussian { sigma } => {
                let mut out = Vec::with_capacity(n + 1);
                while out.len() < n {
                    // Box–Muller (Box and Muller, Ann. Math. Statist. 1958): two normals per pair of uniforms.
                    let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) * 2f64.powi(-53); // (0, 1]
                    let u2 = (rng.next_u64() >> 11) as f64 * 2f64.powi(-53);
                    let r = sigma * (-2.0 * u1.ln()).sqrt();
                    let t = 2.0 * std::f64::consts::PI * u2;
                    out.extend([(r * t.cos()).round() as i64, (r * t.sin()).round() as i64]);
                }
                out.truncate(n);
                out
            }
            Self::Uniform { bound } => {
                let b = bound.floor() as u64;
                let span = 2 * b + 1;
                // Rejection on the next power of two: exactly uniform.
                let mask = span.next_power_of_two() - 1;
                (0..n)
                    .map(|_| {
                        loop {
                            let x = rng.next_u64() & mask;
                            if x < span {
                                break x as i64 - b as i64;
                            }
                        }
                    })
                    .collect()
            }
        }
    }
}

/// Adds flooding noise to a decrypted plaintext (before [`crate::Encoder::decode`]).
///
/// # Errors
/// [`Error::ParametersMismatch`] for a plaintext of other parameters; [`Error::InvalidFlooding`] for a zero,
/// negative or non-finite width, or one so large that the noise would wrap around `Q_ℓ`.
pub fn flood_plaintext<R: CryptoRng + ?Sized>(
    params: &Parameters,
    pt: &mut Plaintext,
    noise: Flooding,
    rng: &mut R,
) -> Result<(), Error> {
    if pt.fingerprint != params.fingerprint() {
        return Err(Error::ParametersMismatch);
    }
    add_noise(params.basis(pt.level), &mut pt.poly, noise, rng)
}

/// Adds flooding noise to `c_0` of a ciphertext (the party that evaluated it floods the result before sending it
/// to the key holder; the decryption then carries the flooding noise on top of `e`).
///
/// # Errors
/// As [`flood_plaintext`].
pub fn flood_ciphertext<R: CryptoRng + ?Sized>(
    params: &Parameters,
    ct: &mut Ciphertext,
    noise: Flooding,
    rng: &mut R,
) -> Result<(), Error> {
    if ct.fingerprint != params.fingerprint() {
        return Err(Error::ParametersMismatch);
    }
    ct.seed = None;
    add_noise(params.basis(ct.level), &mut ct.c0, noise, rng)
}

fn add_noise<R: CryptoRng + ?Sized>(
    basis: &RnsBasis,
    poly: &mut Poly<Ntt>,
    noise: Flooding,
    rng: &mut R,
) -> Result<(), Error> {
    noise.check(basis)?;
    let e = noise.sample(rng, basis.degree());
    let e = Poly::from_signed(&e, basis).into_ntt(basis);
    poly.add_assign(&e, basis);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    use super::*;
    use crate::{Encoder, Preset, SecretKey};

    fn setup() -> (std::sync::Arc<Parameters>, SecretKey, Encoder, ChaCha20Rng, Ciphertext, Vec<f64>) {
        let params = Parameters::preset(Preset::InsecureTestN1024).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(23);
        let sk = SecretKey::generate(&params, &mut rng);
        let enc = Encoder::new(&params);
        let x: Vec<f64> = (0..params.slots()).map(|_| rng.random_range(-1.0..1.0)).collect();
        let pt = enc.encode_real(&params, &x, params.scale(), 1).unwrap();
        let ct = sk.encrypt(&pt, &mut rng).unwrap();
        (params, sk, enc, rng, ct, x)
    }

    fn sd(xs: &[f64]) -> f64 {
        (xs.iter().map(|x| x * x).sum::<f64>() / xs.len() as f64).sqrt()
    }

    #[test]
    fn gaussian_flooding_moves_each_slot_by_the_stated_spread() {
        let (params, sk, enc, mut rng, ct, _) = setup();
        let plain = enc.decode_real(&params, &sk.decrypt(&ct).unwrap()).unwrap();
        let sigma = 2f64.powi(20);
        let mut pt = sk.decrypt(&ct).unwrap();
        flood_plaintext(&params, &mut pt, Flooding::Gaussian { sigma }, &mut rng).unwrap();
        let flooded = enc.decode_real(&params, &pt).unwrap();
        let d: Vec<f64> = flooded.iter().zip(&plain).map(|(a, b)| a - b).collect();
        // Real part of a slot: Σ_k e_k·cos(·)/Δ, standard deviation σ·√(N/2)/Δ. The sample sd of 512 slots has
        // relative sd 1/√(2·512) ≈ 3 %: 5 sd = 16 %. Every slot within 6 sd (P(miss) < 1e-6 for 512 slots).
        let want = sigma * (params.degree() as f64 / 2.0).sqrt() / params.scale();
        let got = sd(&d);
        assert!((got / want - 1.0).abs() < 0.16, "slot sd {got:e} vs {want:e}");
        assert!(d.iter().all(|x| x.abs() < 6.0 * want));
        // The same noise added to the ciphertext by the evaluating party.
        let mut flooded_ct = ct.clone();
        flood_ciphertext(&params, &mut flooded_ct, Flooding::Gaussian { sigma }, &mut rng).unwrap();
        assert!(flooded_ct.seed().is_none());
        let d2: Vec<f64> = enc
            .decode_real(&params, &sk.decrypt(&flooded_ct).unwrap())
            .unwrap()
            .iter()
            .zip(&plain)
            .map(|(a, b)| a - b)
            .collect();
        assert!((sd(&d2) / want - 1.0).abs() < 0.16, "ciphertext flooding sd {:e}", sd(&d2));
    }

    #[test]
    fn uniform_flooding_stays_within_its_bound_in_coefficients() {
        let (params, sk, _, mut rng, ct, _) = setup();
        let basis = params.basis(ct.level);
        let before = sk.decrypt(&ct).unwrap().poly.into_coeff(basis);
        let bound = 1000.0;
        let mut pt = sk.decrypt(&ct).unwrap();
        flood_plaintext(&params, &mut pt, Flooding::Uniform { bound }, &mut rng).unwrap();
        let after = pt.poly.into_coeff(basis);
        let m = basis.moduli()[0];
        let diffs: Vec<i64> = after
            .limb(0)
            .iter()
            .zip(before.limb(0))
            .map(|(&a, &b)| {
                let d = m.sub(a, b);
                if d > m.value() / 2 { d as i64 - m.value() as i64 } else { d as i64 }
            })
            .collect();
        assert!(diffs.iter().all(|d| d.abs() <= 1000));
        // 1024 draws from 2001 values: the extremes of the sample reach beyond ±900 except with prob. ≈ e^-51.
        assert!(diffs.iter().any(|&d| d > 900) && diffs.iter().any(|&d| d < -900));
        assert!(diffs.iter().any(|&d| d != 0));
    }

    #[test]
    fn degenerate_or_oversized_widths_are_typed_errors() {
        let (params, sk, _, mut rng, ct, _) = setup();
        let mut pt = sk.decrypt(&ct).unwrap();
        let bad = [
            Flooding::Gaussian { sigma: 0.0 },
            Flooding::Gaussian { sigma: -1.0 },
            Flooding::Gaussian { sigma: f64::NAN },
            Flooding::Gaussian { sigma: f64::INFINITY },
            Flooding::Uniform { bound: 0.5 },
            Flooding::Uniform { bound: -3.0 },
            Flooding::Uniform { bound: f64::NAN },
            // Level 1 of the N = 1024 preset has Q ≈ 2^90: noise of 2^85 would wrap.
            Flooding::Gaussian { sigma: 2f64.powi(85) },
        ];
        let reference = pt.poly.clone();
        for noise in bad {
            assert!(
                matches!(
                    flood_plaintext(&params, &mut pt, noise, &mut rng),
                    Err(Error::InvalidFlooding { .. })
                ),
                "{noise:?}"
            );
            let mut c = ct.clone();
            assert!(matches!(
                flood_ciphertext(&params, &mut c, noise, &mut rng),
                Err(Error::InvalidFlooding { .. })
            ));
        }
        assert_eq!(pt.poly, reference, "a refused call leaves the plaintext untouched");
        let other = Parameters::preset(Preset::InsecureTestN4096).unwrap();
        assert_eq!(
            flood_plaintext(&other, &mut pt, Flooding::Gaussian { sigma: 8.0 }, &mut rng),
            Err(Error::ParametersMismatch)
        );
    }
}
