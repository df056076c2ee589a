//! Ciphertexts, encryption (public key and seeded symmetric) and decryption.
//!
//! RNS-CKKS (Cheon–Han–Kim–Kim–Song, SAC 2018, §3.2): a ciphertext at level `ℓ` is `(c_0, c_1) ∈ R_{Q_ℓ}^2`
//! with `c_0 + c_1·s ≈ Δ·m`. Public-key encryption: `(v·b + e_0 + m, v·a + e_1)` with ternary `v` and Gaussian
//! `e_0, e_1`. Symmetric encryption: `(−a·s + e + m, a)` where `a` is expanded from a fresh 32-byte seed, so a
//! serialized fresh ciphertext needs only `c_0` and the seed (half the size).
//!
//! # Security (CPA^D)
//! Decrypted CKKS values carry secret-dependent noise; publishing them exactly enables key recovery (Li–Micciancio,
//! EUROCRYPT 2021). Round or noise-flood anything that leaves the key holder (see [`round_for_release`]).

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
        let mut buf = vec![0u64; ext.len() * params.degree()];
        let [mut c0, c1] = [&self.b, &self.a].map(|key| {
            let mut x = Poly::<Ntt>::zero(ext);
            x.add_mul_assign(&v, &key.select_limbs(&ld.ext_index), ext);
            // The Gaussian error enters in the coefficient domain inside ModDown (no NTT of its own).
            let e = gauss.sample_vec(rng, params.degree());
            mod_down_with_noise(params, pt.level, x.as_slice().to_vec(), &mut buf, Some(&e))
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
/// attacker would use against CPA^D (Li–Micciancio 2021). Choose `bits` below the measured precision.
pub fn round_for_release(values: &[f64], bits: u32) -> Vec<f64> {
    let s = 2f64.powi(bits as i32);
    values.iter().map(|x| (x * s).round() / s).collect()
}
