//! Keys: ternary secret, public key, and hybrid key-switching keys (relinearization and Galois).
//!
//! Hybrid key switching (Han–Ki, CT-RSA 2020, §3): the data primes are split into
//! `dnum` digits `Q_j` of `α = ⌈(L+1)/dnum⌉` primes. The key for switching from `s'` to `s` holds, for each digit,
//! `(b_j, a_j) ∈ R_{PQ}^2` with `b_j = −a_j·s + e_j + P·[Q̂_j·(Q̂_j^{-1} mod Q_j)]·s'`. In RNS the gadget factor
//! is `P mod q_i` on the digit's own primes and `0` on every other prime, which is what [`gen_switching_key`]
//! writes limb by limb.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use quantumacy_math::sample::{Gaussian, SIGMA, ternary, uniform_poly_from_seed};
use quantumacy_math::{Coeff, Ntt, Poly, RnsBasis};
use rand::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, Parameters};

/// The secret key: a uniform ternary polynomial, kept in the NTT domain over all primes (data and special).
///
/// # Security
/// Zeroized on drop; `Debug` prints nothing secret; not `Serialize` and not `Clone`.
pub struct SecretKey {
    pub(crate) params: Arc<Parameters>,
    pub(crate) coeffs: Vec<i64>,
    pub(crate) ntt: Poly<Ntt>,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

impl Zeroize for SecretKey {
    fn zeroize(&mut self) {
        self.coeffs.zeroize();
        self.ntt.zeroize();
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for SecretKey {}

/// The public key `(b, a) = (−a·s + e, a)` over all primes `Q_L·P` (encryption happens modulo `Q_ℓ·P` and is
/// then divided by `P`, which divides the encryption noise by `P` as in SEAL). `a` is expanded from a 32-byte
/// seed, so the serialized key holds `b` and the seed.
#[derive(Clone, Debug)]
pub struct PublicKey {
    pub(crate) b: Poly<Ntt>,
    pub(crate) a: Poly<Ntt>,
    pub(crate) seed: [u8; 32],
    pub(crate) fingerprint: u64,
}

/// A hybrid key-switching key: one `(b_j, a_j)` pair per digit, over all primes, NTT domain; each `a_j` is
/// expanded from its own 32-byte seed (kept for serialization).
#[derive(Clone, Debug)]
pub struct KeySwitchKey {
    pub(crate) digits: Vec<(Poly<Ntt>, Poly<Ntt>)>,
    pub(crate) seeds: Vec<[u8; 32]>,
    pub(crate) fingerprint: u64,
}

/// Relinearization key: switches `s²` to `s`.
#[derive(Clone, Debug)]
pub struct RelinearizationKey(pub(crate) KeySwitchKey);

/// Galois keys, indexed by Galois element: each switches `σ_g(s)` to `s`.
#[derive(Clone, Debug, Default)]
pub struct GaloisKeys {
    pub(crate) keys: BTreeMap<usize, KeySwitchKey>,
    /// NTT-domain slot permutation of each element, per prime of the full basis.
    pub(crate) perms: BTreeMap<usize, Vec<Vec<u32>>>,
}

impl GaloisKeys {
    /// Galois elements covered.
    pub fn elements(&self) -> impl Iterator<Item = usize> + '_ {
        self.keys.keys().copied()
    }

    pub(crate) fn get(&self, galois_element: usize) -> Result<(&KeySwitchKey, &[Vec<u32>]), Error> {
        match (self.keys.get(&galois_element), self.perms.get(&galois_element)) {
            (Some(k), Some(p)) => Ok((k, p)),
            _ => Err(Error::MissingGaloisKey { galois_element }),
        }
    }
}

pub(crate) fn error_poly<R: CryptoRng + ?Sized>(rng: &mut R, basis: &RnsBasis) -> Poly<Ntt> {
    let e = Gaussian::new(SIGMA).sample_vec(rng, basis.degree());
    Poly::<Coeff>::from_signed(&e, basis).into_ntt(basis)
}

impl SecretKey {
    /// Samples a uniform ternary secret.
    pub fn generate<R: CryptoRng + ?Sized>(params: &Arc<Parameters>, rng: &mut R) -> Self {
        Self::from_coeffs(params, ternary(rng, params.degree()))
    }

    /// The key with the given ternary coefficients (checked by the caller).
    pub(crate) fn from_coeffs(params: &Arc<Parameters>, coeffs: Vec<i64>) -> Self {
        let ntt = Poly::<Coeff>::from_signed(&coeffs, &params.full).into_ntt(&params.full);
        Self { params: Arc::clone(params), coeffs, ntt }
    }

    /// The parameters of this key.
    pub fn params(&self) -> &Arc<Parameters> {
        &self.params
    }

    /// The secret restricted to the first `limbs` primes of the full basis (data primes first).
    pub(crate) fn ntt_prefix(&self, limbs: usize) -> Poly<Ntt> {
        self.ntt.select_limbs(&(0..limbs).collect::<Vec<_>>())
    }

    /// The public key `(−a·s + e, a)` over `Q_L·P`.
    pub fn public_key<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> PublicKey {
        let basis = &self.params.full;
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let a = uniform_poly_from_seed(&seed, basis);
        let mut b = error_poly(rng, basis);
        let mut as_ = a.clone();
        as_.mul_assign(&self.ntt, basis);
        b.sub_assign(&as_, basis);
        PublicKey { b, a, seed, fingerprint: self.params.fingerprint() }
    }

    /// The relinearization key (switching key for `s²`).
    pub fn relinearization_key<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> RelinearizationKey {
        let mut s2 = self.ntt.clone();
        s2.mul_assign(&self.ntt, &self.params.full);
        let key = gen_switching_key(self, &s2, rng);
        s2.zeroize();
        RelinearizationKey(key)
    }

    /// Galois keys for left rotations by each of `steps` (negative: right) and, if `conjugate`, for complex
    /// conjugation.
    pub fn galois_keys<R: CryptoRng + ?Sized>(
        &self,
        steps: &[i64],
        conjugate: bool,
        rng: &mut R,
    ) -> GaloisKeys {
        let mut elements: Vec<usize> = steps.iter().map(|&k| self.params.galois_element(k)).collect();
        if conjugate {
            elements.push(self.params.conjugation_element());
        }
        let mut keys = BTreeMap::new();
        let mut all_perms = BTreeMap::new();
        for g in elements {
            if g == 1 || keys.contains_key(&g) {
                continue;
            }
            let full = &self.params.full;
            let perms: Vec<Vec<u32>> = (0..full.len()).map(|i| full.plan(i).galois_permutation(g)).collect();
            let mut rotated = Poly::<Ntt>::zero(full);
            self.ntt.automorphism_into(&perms, &mut rotated);
            keys.insert(g, gen_switching_key(self, &rotated, rng));
            all_perms.insert(g, perms);
            rotated.zeroize();
        }
        GaloisKeys { keys, perms: all_perms }
    }

    /// Galois keys for rotations by `±2^i` (every power of two below `N/2`) and conjugation.
    pub fn galois_keys_pow2<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> GaloisKeys {
        let mut steps = Vec::new();
        let mut k = 1i64;
        while (k as usize) < self.params.slots() {
            steps.extend([k, -k]);
            k *= 2;
        }
        self.galois_keys(&steps, true, rng)
    }
}

/// A key switching `s_from` (NTT domain over all primes) to the secret `sk` (hybrid, one pair per digit).
pub(crate) fn gen_switching_key<R: CryptoRng + ?Sized>(
    sk: &SecretKey,
    s_from: &Poly<Ntt>,
    rng: &mut R,
) -> KeySwitchKey {
    let params = &sk.params;
    let full = &params.full;
    let n = params.degree();
    let top = &params.levels[params.max_level()];
    let mut digits = Vec::with_capacity(top.digits.len());
    let mut seeds = Vec::with_capacity(top.digits.len());
    for digit in &top.digits {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let a = uniform_poly_from_seed(&seed, full);
        seeds.push(seed);
        let mut b = error_poly(rng, full);
        let mut as_ = a.clone();
        as_.mul_assign(&sk.ntt, full);
        b.sub_assign(&as_, full);
        // At the top level, positions in the extended basis equal positions in the full basis.
        for &t in &digit.group {
            let m = full.moduli()[t];
            let (w, ws) = (params.p_mod_q[t], m.shoup(params.p_mod_q[t]));
            let src = &s_from.as_slice()[t * n..(t + 1) * n];
            for (x, &s) in b.limb_mut(t).iter_mut().zip(src) {
                *x = m.add(*x, m.mul_shoup(s, w, ws));
            }
        }
        digits.push((b, a));
    }
    KeySwitchKey { digits, seeds, fingerprint: params.fingerprint() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Preset;
    use rand::SeedableRng;

    #[test]
    fn secret_key_debug_is_redacted_and_keys_cover_requested_rotations() {
        let params = Parameters::preset(Preset::InsecureTestN1024).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let sk = SecretKey::generate(&params, &mut rng);
        assert_eq!(format!("{sk:?}"), "SecretKey([REDACTED])");
        let gk = sk.galois_keys(&[1, -1, 0], true, &mut rng);
        let want = [params.galois_element(1), params.galois_element(-1), 2 * 1024 - 1];
        assert_eq!(gk.elements().count(), 3);
        assert!(want.iter().all(|g| gk.get(*g).is_ok()));
        assert!(matches!(gk.get(25), Err(Error::MissingGaloisKey { galois_element: 25 })));
        assert_eq!(sk.relinearization_key(&mut rng).0.digits.len(), params.dnum());
    }
}
