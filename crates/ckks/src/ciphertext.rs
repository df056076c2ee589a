//! Ciphertexts, encryption (public key and seeded symmetric) and decryption.
//!
//! RNS-CKKS (Cheon–Han–Kim–Kim–Song, SAC 2018, §3.2): a ciphertext at level `ℓ` is `(c_0, c_1) ∈ R_{Q_ℓ}^2`
//! with `c_0 + c_1·s ≈ Δ·m`. Public-key encryption: `(v·b + e_0 + m, v·a + e_1)` with ternary `v` and Gaussian
//! `e_0, e_1`. Symmetric encryption: `(−a·s + e + m, a)` where `a` is expanded from a fresh 32-byte seed, so a
//! serialized fresh ciphertext needs only `c_0` and the seed (half the size).
//!
//! Public-key encryption runs modulo `Q_ℓ·P` with the public key over all primes and then divides by `P` with
//! rounding (ModDown, as SEAL's `encrypt_zero_asymmetric` + `divide_and_round_q_last`), so `v·e + e_0 + e_1·s`
//! shrinks by `P` and the fresh noise is the rounding term `r_0 + r_1·s`, `r_i` uniform in `[−1/2, 1/2]`:
//! variance `(1 + h)/12 ≈ N/18` per coefficient for a ternary secret of Hamming weight `h ≈ 2N/3` (pinned by a
//! test). That is the floor of this construction: at `N = 8192`, Δ = 2^40 the worst slot of 4096 is 26.55–27.25
//! bits (the slot error is a product `r̂_1·ŝ`, heavier-tailed than a Gaussian), against 30.4 bits for seeded
//! symmetric encryption whose noise is `e` alone (σ = 3.2).
//!
//! # Security (CPA^D)
//! Decrypted CKKS values carry secret-dependent noise; publishing them exactly enables key recovery (Li–Micciancio,
//! EUROCRYPT 2021). Noise-flood ([`crate::flood_plaintext`], [`crate::flood_ciphertext`]) or, for coarse outputs,
//! round ([`round_for_release`]) anything that leaves the key holder; `release` module docs say which when.

use quantumacy_math::sample::{Gaussian, SIGMA, ternary, uniform_poly_from_seed};
use quantumacy_math::{Coeff, Ntt, Poly};
use rand::CryptoRng;

use crate::encoding::Plaintext;
use crate::keys::{PublicKey, SecretKey, error_poly};
use crate::keyswitch::mod_down_with_noise;
use crate::{Error, Parameters};

/// A CKKS ciphertext `(c_0, c_1)` in the NTT domain, with level and scale.
#[derive(Clone, Debug)]
pub struct Ciphertext {
    pub(crate) c0: Poly<Ntt>,
    pub(crate) c1: Poly<Ntt>,
    pub(crate) level: usize,
    pub(crate) scale: f64,
    pub(crate) fingerprint: u64,
    /// For fresh symmetric ciphertexts: the seed `c_1` was expanded from.
    pub(crate) seed: Option<[u8; 32]>,
}

impl Ciphertext {
    /// Level `ℓ` (the ciphertext lives modulo `q_0 ⋯ q_ℓ`).
    pub const fn level(&self) -> usize {
        self.level
    }

    /// Scale Δ of the encrypted message.
    pub const fn scale(&self) -> f64 {
        self.scale
    }

    /// Seed of `c_1` if this is an unmodified fresh symmetric ciphertext.
    pub const fn seed(&self) -> Option<&[u8; 32]> {
        self.seed.as_ref()
    }

    /// Overrides the recorded scale (e.g. to absorb a known constant factor). The encrypted polynomial is
    /// unchanged, so the decoded values are multiplied by `old / scale`.
    pub const fn set_scale(&mut self, scale: f64) {
        self.scale = scale;
    }
}

impl PublicKey {
    /// Encrypts a plaintext (at its level) with the public key.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] when the plaintext or key belongs to other parameters.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &self,
        params: &Parameters,
        pt: &Plaintext,
        rng: &mut R,
    ) -> Result<Ciphertext, Error> {
        if pt.fingerprint != params.fingerprint() || self.fingerprint != params.fingerprint() {
            return Err(Error::ParametersMismatch);
        }
        // Encrypt zero modulo Q_ℓ·P, divide by P (noise / P + rounding), then add the message.
        let ld = &params.levels[pt.level];
        let ext = &ld.ext;
        let v = Poly::<Coeff>::from_signed(&ternary(rng, params.degree()), ext).into_ntt(ext);
        let gauss = Gaussian::new(SIGMA);
        let [mut c0, c1] = [&self.b, &self.a].map(|key| {
            let mut x = Poly::<Ntt>::zero(ext);
            x.add_mul_assign(&v, &key.select_limbs(&ld.ext_index), ext);
            // The Gaussian error enters in the coefficient domain inside ModDown (no NTT of its own).
            let e = gauss.sample_vec(rng, params.degree());
            mod_down_with_noise(params, pt.level, x.as_slice().to_vec(), Some(&e))
        });
        c0.add_assign(&pt.poly, &ld.basis);
        Ok(Ciphertext {
            c0,
            c1,
            level: pt.level,
            scale: pt.scale,
            fingerprint: params.fingerprint(),
            seed: None,
        })
    }
}

impl SecretKey {
    /// Symmetric encryption with `c_1` expanded from a fresh seed drawn from `rng`.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] when the plaintext belongs to other parameters.
    pub fn encrypt<R: CryptoRng + ?Sized>(&self, pt: &Plaintext, rng: &mut R) -> Result<Ciphertext, Error> {
        let params = &self.params;
        if pt.fingerprint != params.fingerprint() {
            return Err(Error::ParametersMismatch);
        }
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let basis = params.basis(pt.level);
        let c1 = uniform_poly_from_seed(&seed, basis);
        let mut c0 = error_poly(rng, basis);
        let mut as_ = c1.clone();
        as_.mul_assign(&self.ntt_prefix(basis.len()), basis);
        c0.sub_assign(&as_, basis);
        c0.add_assign(&pt.poly, basis);
        Ok(Ciphertext {
            c0,
            c1,
            level: pt.level,
            scale: pt.scale,
            fingerprint: params.fingerprint(),
            seed: Some(seed),
        })
    }

    /// Decrypts to a plaintext `c_0 + c_1·s` at the ciphertext's level and scale.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] when the ciphertext belongs to other parameters.
    pub fn decrypt(&self, ct: &Ciphertext) -> Result<Plaintext, Error> {
        let params = &self.params;
        if ct.fingerprint != params.fingerprint() {
            return Err(Error::ParametersMismatch);
        }
        let basis = params.basis(ct.level);
        let mut m = ct.c0.clone();
        m.add_mul_assign(&ct.c1, &self.ntt_prefix(basis.len()), basis);
        Ok(Plaintext { poly: m, level: ct.level, scale: ct.scale, fingerprint: ct.fingerprint })
    }
}

/// Rounds decrypted values to a multiple of `2^-bits` before release, removing the low-order noise bits an
/// attacker would use against CPA^D (Li–Micciancio 2021). Choose `bits` below the measured precision. A
/// heuristic without a proof: prefer [`crate::flood_plaintext`] when the recipient may have chosen the inputs.
pub fn round_for_release(values: &[f64], bits: u32) -> Vec<f64> {
    let s = 2f64.powi(bits as i32);
    values.iter().map(|x| (x * s).round() / s).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::{Encoder, Preset};
    use rand::SeedableRng;

    /// Per-coefficient variance of the decryption noise of an encryption of zero (top level, limb 0 lifted).
    fn noise_variance(sk: &SecretKey, ct: &Ciphertext) -> f64 {
        let params = &sk.params;
        let pt = sk.decrypt(ct).unwrap();
        let coeff = pt.poly.into_coeff(params.basis(ct.level));
        let m = params.chain()[0].value();
        let xs: Vec<f64> =
            coeff.limb(0).iter().map(|&x| if x > m / 2 { x as f64 - m as f64 } else { x as f64 }).collect();
        xs.iter().map(|x| x * x).sum::<f64>() / xs.len() as f64
    }

    #[test]
    fn public_key_noise_is_the_mod_down_rounding_floor() {
        let params = Parameters::preset(Preset::N8192Depth3).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let sk = SecretKey::generate(&params, &mut rng);
        let pk = sk.public_key(&mut rng);
        let zero =
            Encoder::new(&params).encode_real(&params, &[], params.scale(), params.max_level()).unwrap();
        let v_pk = noise_variance(&sk, &pk.encrypt(&params, &zero, &mut rng).unwrap());
        let v_sk = noise_variance(&sk, &sk.encrypt(&zero, &mut rng).unwrap());
        // ModDown leaves r_0 + r_1·s with r_i uniform in [−1/2, 1/2]: variance (1 + h)/12 for a secret of
        // Hamming weight h; e_0 + v·e + e_1·s is divided by P (≈ 2^49) and vanishes. The sample variance of
        // N = 8192 near-Gaussian values has relative sd √(2/N) ≈ 1.6 %: 5 sd = 8 %.
        let h = sk.coeffs.iter().filter(|&&c| c != 0).count() as f64;
        let floor = (1.0 + h) / 12.0;
        assert!((v_pk / floor - 1.0).abs() < 0.08, "pk noise variance {v_pk} vs rounding floor {floor}");
        // Symmetric: the Gaussian error alone, σ² = 3.2².
        assert!((v_sk / (SIGMA * SIGMA) - 1.0).abs() < 0.08, "sk noise variance {v_sk}");
    }
}
