//! Samplers for RLWE: uniform residues, ternary secrets, discrete Gaussian errors, seeded uniform polynomials.
//!
//! Randomness always comes in explicitly. The Gaussian uses σ = 3.2 as the HomomorphicEncryption.org standard
//! (Albrecht et al., 2018, §2.1) and is sampled by inversion of a cumulative distribution table (CDT) over
//! `|x| ≤ 6σ` with 64-bit probabilities (Peikert, CRYPTO 2010, §4.1); the truncated tail has mass `< 2^-28`.

use rand::{CryptoRng, Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::{Coeff, Modulus, Ntt, Poly, RnsBasis};

/// Standard deviation of the RLWE error.
pub const SIGMA: f64 = 3.2;

/// A uniform residue modulo `m` by rejection sampling on the modulus' bit length.
pub fn uniform_mod<R: Rng + ?Sized>(rng: &mut R, m: &Modulus) -> u64 {
    let mask = u64::MAX >> (64 - m.bits());
    loop {
        let x = rng.next_u64() & mask;
        if x < m.value() {
            return x;
        }
    }
}

/// `n` coefficients uniform in `{−1, 0, 1}`.
pub fn ternary<R: CryptoRng + ?Sized>(rng: &mut R, n: usize) -> Vec<i64> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        // 252 = 3·84: reject the top four byte values to stay exactly uniform.
        for byte in rng.next_u64().to_le_bytes() {
            if byte < 252 && out.len() < n {
                out.push(i64::from(byte % 3) - 1);
            }
        }
    }
    out
}

/// Discrete Gaussian sampler of standard deviation σ, truncated at `6σ`, by CDT inversion.
#[derive(Clone, Debug)]
pub struct Gaussian {
    /// `cdf[k]` = P(X ≤ k − bound)·2^64, saturating; `bound = ⌈6σ⌉`.
    cdf: Vec<u64>,
    bound: i64,
}

impl Gaussian {
    /// The table for σ (use [`SIGMA`] for RLWE). A non-finite or non-positive σ gives the point mass at 0.
    pub fn new(sigma: f64) -> Self {
        if !(sigma.is_finite() && sigma > 0.0) {
            return Self { cdf: vec![u64::MAX], bound: 0 };
        }
        let bound = (6.0 * sigma).ceil() as i64;
        let weights: Vec<f64> =
            (-bound..=bound).map(|x| (-((x * x) as f64) / (2.0 * sigma * sigma)).exp()).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let mut cdf: Vec<u64> = weights
            .iter()
            .map(|w| {
                acc += w / total;
                // 2^64·acc, saturating (`as` saturates floats).
                (acc * 18_446_744_073_709_551_616.0) as u64
            })
            .collect();
        if let Some(last) = cdf.last_mut() {
            *last = u64::MAX;
        }
        Self { cdf, bound }
    }

    /// One sample.
    pub fn sample<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> i64 {
        let u = rng.next_u64();
        let k = self.cdf.partition_point(|&c| c < u);
        k.min(self.cdf.len() - 1) as i64 - self.bound
    }

    /// `n` samples.
    pub fn sample_vec<R: CryptoRng + ?Sized>(&self, rng: &mut R, n: usize) -> Vec<i64> {
        (0..n).map(|_| self.sample(rng)).collect()
    }
}

/// A uniform polynomial over `basis`, drawn directly in the NTT domain (the NTT is a bijection).
pub fn uniform_poly<R: CryptoRng + ?Sized>(rng: &mut R, basis: &RnsBasis) -> Poly<Ntt> {
    let mut p = Poly::<Ntt>::zero(basis);
    for (i, m) in basis.moduli().iter().enumerate() {
        for x in p.limb_mut(i) {
            *x = uniform_mod(rng, m);
        }
    }
    p
}

/// The uniform polynomial determined by a 32-byte seed: ChaCha20 (RFC 8439 core, `rand_chacha` word order)
/// keyed by `seed`, residues drawn limb by limb, coefficient by coefficient, by rejection on the bit length.
///
/// Bit-identical on every platform; parties sharing `seed` (multiparty CKKS, seeded ciphertexts) obtain the
/// same polynomial. Drawing over a prefix of a basis yields the prefix of the polynomial.
pub fn uniform_poly_from_seed(seed: &[u8; 32], basis: &RnsBasis) -> Poly<Ntt> {
    let mut p = Poly::<Ntt>::zero(basis);
    for (i, m) in basis.moduli().iter().enumerate() {
        // One stream per limb, so a prefix basis reproduces the prefix limbs.
        let mut rng = ChaCha20Rng::from_seed(*seed);
        rng.set_stream(i as u64);
        for x in p.limb_mut(i) {
            *x = uniform_mod(&mut rng, m);
        }
    }
    p
}

/// A polynomial with small signed coefficients, reduced into every limb (coefficient domain).
pub fn small_poly(coeffs: &[i64], basis: &RnsBasis) -> Poly<Coeff> {
    Poly::from_signed(coeffs, basis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prime::ntt_prime_chain;

    fn rng(seed: u64) -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(seed)
    }

    #[test]
    fn gaussian_moments_within_five_sigma_of_estimate() {
        let g = Gaussian::new(SIGMA);
        let n = 200_000;
        let xs = g.sample_vec(&mut rng(1), n);
        let mean = xs.iter().sum::<i64>() as f64 / n as f64;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        // sd(mean) = σ/√n ≈ 0.0072; sd(var) ≈ σ²·√(2/n) ≈ 0.032.
        assert!(mean.abs() < 5.0 * 0.0072, "mean {mean}");
        assert!((var - SIGMA * SIGMA).abs() < 5.0 * 0.032, "var {var}");
        assert!(xs.iter().all(|x| x.abs() <= 20));
        assert_eq!(Gaussian::new(f64::NAN).sample(&mut rng(2)), 0);
    }

    #[test]
    fn ternary_is_balanced() {
        let xs = ternary(&mut rng(3), 90_000);
        for v in -1..=1 {
            let c = xs.iter().filter(|&&x| x == v).count() as f64;
            // Binomial(90000, 1/3): sd ≈ 141.
            assert!((c - 30_000.0).abs() < 5.0 * 141.0, "{v}: {c}");
        }
    }

    #[test]
    fn uniform_residues_cover_range_and_stay_below_modulus() {
        let m = Modulus::new(1_000_003).unwrap();
        let mut r = rng(4);
        let xs: Vec<u64> = (0..100_000).map(|_| uniform_mod(&mut r, &m)).collect();
        assert!(xs.iter().all(|&x| x < m.value()));
        let mean = xs.iter().sum::<u64>() as f64 / xs.len() as f64;
        // sd(mean) = p/√12/√n ≈ 913.
        assert!((mean - 500_001.0).abs() < 5.0 * 913.0);
    }

    #[test]
    fn seeded_expansion_is_pinned() {
        let basis = RnsBasis::from_moduli(16, &ntt_prime_chain(&[40, 50], 16).unwrap()).unwrap();
        let seed = [7u8; 32];
        let a = uniform_poly_from_seed(&seed, &basis);
        assert_eq!(a, uniform_poly_from_seed(&seed, &basis));
        let prefix = uniform_poly_from_seed(&seed, &basis.select(&[0]));
        assert_eq!(prefix.limb(0), a.limb(0));
        // Golden values: any change to the expansion breaks seeded ciphertexts and multiparty keys.
        assert_eq!(&a.limb(0)[..2], &[GOLDEN[0], GOLDEN[1]]);
        assert_eq!(&a.limb(1)[..2], &[GOLDEN[2], GOLDEN[3]]);
        let _ = uniform_poly(&mut rng(5), &basis);
    }

    const GOLDEN: [u64; 4] = [375_684_989_172, 741_861_356_820, 486_641_428_036_717, 435_514_858_159_327];
}
