//! Encrypted logistic-regression inference: features encrypted, model in the clear (`ckks.md`, "the seed
//! workload").
//!
//! The sigmoid is replaced by an odd cubic `σ(y) ≈ 0.5 + a·y + b·y³`: by default [`SIGMOID3`]
//! `0.5 + 0.197·y − 0.004·y³`, the one of the TenSEAL tutorial (≈ the least-squares fit on `[−5, 5]`,
//! [`sigmoid3_fit`]`(5)` = `0.198·y − 0.00447·y³`), or the least-squares fit on any `[−R, R]`
//! ([`sigmoid3_fit`], [`LogisticModel::with_sigmoid`]; Kim et al., "Logistic regression model training based
//! on the approximate homomorphic encryption", BMC Med. Genomics 11 (2018), use `R = 8`:
//! `0.5 + 0.15·y − 0.0015·y³`). The cubic tracks the sigmoid only on its interval and its sign of `p − 0.5`
//! flips back beyond `|y| = √(a/|b|)` ≈ 1.2–1.3 R, so `R` must cover the model's logits. Depth 3: one for the
//! weights, two for the cubic.
//! - Single vector: one patient's `d` features in the slots; `⟨w, x⟩` by a plaintext product, one rescale and
//!   `log2 d` rotate-and-adds (`d` padded to a power of two).
//! - Batched: `d` ciphertexts, ciphertext `j` holding feature `j` of up to `N/2` patients; `y = Σ_j w_j·ct_j`
//!   with integer constants per limb and a single lazy rescale, then the cubic slot-wise.

use rand::CryptoRng;

use crate::{
    Ciphertext, Encoder, Error, Evaluator, GaloisKeys, Parameters, PublicKey, RelinearizationKey,
    rotate_and_sum_steps,
};

/// Coefficients `[c_0, c_1, c_2, c_3]` of the degree-3 sigmoid approximation.
pub const SIGMOID3: [f64; 4] = [0.5, 0.197, 0.0, -0.004];

/// The cubic sigmoid approximation evaluated in the clear (the reference the encrypted result must match).
pub fn sigmoid3(y: f64) -> f64 {
    cubic(&SIGMOID3, y)
}

fn cubic(c: &[f64; 4], y: f64) -> f64 {
    c[0] + y * (c[1] + y * (c[2] + y * c[3]))
}

/// The least-squares odd cubic `0.5 + a·y + b·y³` to the sigmoid on `[−radius, radius]`: `(a, b)` solve the
/// normal equations `[m₂ m₄; m₄ m₆]·(a, b) = (g₁, g₃)` with `m_k = ∫ y^k dy` in closed form and
/// `g_k = ∫ y^k (σ(y) − ½) dy` by composite Simpson (4,096 panels; the integrands are smooth).
///
/// # Errors
/// [`Error::InvalidParameters`] unless `0 < radius ≤ 64`.
pub fn sigmoid3_fit(radius: f64) -> Result<[f64; 4], Error> {
    if !(radius > 0.0 && radius <= 64.0) {
        return Err(Error::InvalidParameters { reason: "sigmoid fit radius must be in (0, 64]" });
    }
    const PANELS: usize = 4096;
    let h = radius / PANELS as f64;
    let centred = |y: f64| 1.0 / (1.0 + (-y).exp()) - 0.5;
    // Both integrands are even: twice the integral over [0, R].
    let (mut g1, mut g3) = (0.0, 0.0);
    for i in 0..=PANELS {
        let y = i as f64 * h;
        let w = if i == 0 || i == PANELS {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let s = centred(y);
        g1 += w * y * s;
        g3 += w * y * y * y * s;
    }
    let (g1, g3) = (2.0 * g1 * h / 3.0, 2.0 * g3 * h / 3.0);
    let m = |k: i32| 2.0 * radius.powi(k + 1) / f64::from(k + 1);
    let (m2, m4, m6) = (m(2), m(4), m(6));
    let det = m2 * m6 - m4 * m4;
    Ok([0.5, (g1 * m6 - g3 * m4) / det, 0.0, (m2 * g3 - m4 * g1) / det])
}

/// A plaintext logistic-regression model `p(x) = σ(⟨w, x⟩ + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticModel {
    weights: Vec<f64>,
    bias: f64,
    sigmoid: [f64; 4],
    radix: usize,
}

/// Default radix of the single-vector rotate-and-sum ([`Evaluator::rotate_and_sum_radix`]); see
/// [`LogisticModel::with_rotation_radix`].
pub const DEFAULT_ROTATION_RADIX: usize = 4;

impl LogisticModel {
    /// A model with `d = weights.len()` features.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] for an empty or non-finite model.
    pub fn new(weights: Vec<f64>, bias: f64) -> Result<Self, Error> {
        if weights.is_empty() || !weights.iter().chain([&bias]).all(|w| w.is_finite()) {
            return Err(Error::InvalidParameters { reason: "model needs finite weights" });
        }
        Ok(Self { weights, bias, sigmoid: SIGMOID3, radix: DEFAULT_ROTATION_RADIX })
    }

    /// The same model with another cubic sigmoid `[c₀, c₁, c₂, c₃]` (e.g. [`sigmoid3_fit`] on the range of
    /// the model's logits).
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] for non-finite coefficients.
    pub fn with_sigmoid(mut self, coefficients: [f64; 4]) -> Result<Self, Error> {
        if !coefficients.iter().all(|c| c.is_finite()) {
            return Err(Error::InvalidParameters { reason: "sigmoid coefficients must be finite" });
        }
        self.sigmoid = coefficients;
        Ok(self)
    }

    /// The same model summing the slots of a single-vector evaluation in stages of radix `r` (a power of two
    /// ≥ 2): `⌈log_r(d)⌉` hoisted stages of `r − 1` rotations each, with keys for
    /// [`LogisticModel::rotation_steps`]. Radix 2 is the classic `log2(d)` rotate-and-add with the fewest keys;
    /// a larger radix runs fewer NTTs and needs more keys.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] unless `r` is a power of two ≥ 2.
    pub fn with_rotation_radix(mut self, r: usize) -> Result<Self, Error> {
        if !r.is_power_of_two() || r < 2 {
            return Err(Error::InvalidParameters {
                reason: "rotate-and-sum radix must be a power of two ≥ 2",
            });
        }
        self.radix = r;
        Ok(self)
    }

    /// The radix of the single-vector rotate-and-sum.
    pub fn rotation_radix(&self) -> usize {
        self.radix
    }

    /// The cubic sigmoid the model evaluates.
    pub fn sigmoid(&self) -> [f64; 4] {
        self.sigmoid
    }

    /// Number of features `d`.
    pub fn features(&self) -> usize {
        self.weights.len()
    }

    /// `d` rounded up to a power of two (the rotate-and-sum width).
    pub fn padded_features(&self) -> usize {
        self.weights.len().next_power_of_two()
    }

    /// Rotation steps the single-vector evaluation needs ([`rotate_and_sum_steps`] of the padded width and the
    /// radix; `1, 2, 4, …, padded/2` for radix 2).
    pub fn rotation_steps(&self) -> Vec<i64> {
        // Cannot fail: the width is a power of two and the radix was checked.
        rotate_and_sum_steps(self.padded_features(), self.radix).unwrap_or_default()
    }

    /// `⟨w, x⟩ + b`.
    pub fn logit(&self, x: &[f64]) -> f64 {
        self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>() + self.bias
    }

    /// The plaintext reference: the model's cubic sigmoid of the logit.
    pub fn probability(&self, x: &[f64]) -> f64 {
        self.probability_of_logit(self.logit(x))
    }

    /// The model's cubic sigmoid of a logit `y`.
    pub fn probability_of_logit(&self, y: f64) -> f64 {
        cubic(&self.sigmoid, y)
    }

    /// Encrypts one patient's features (slots `0..d`) with the public key at the top level.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] when `x` has the wrong length or does not fit the slots; encoding errors.
    pub fn encrypt_single<R: CryptoRng + ?Sized>(
        &self,
        params: &Parameters,
        encoder: &Encoder,
        pk: &PublicKey,
        x: &[f64],
        rng: &mut R,
    ) -> Result<Ciphertext, Error> {
        if x.len() != self.features() || self.padded_features() > params.slots() {
            return Err(Error::InvalidParameters { reason: "feature vector length" });
        }
        let pt = encoder.encode_real(params, x, params.scale(), params.max_level())?;
        pk.encrypt(params, &pt, rng)
    }

    /// Evaluates the model on an encrypted feature vector; the probability is in slot 0 of the result.
    ///
    /// # Errors
    /// [`Error::MissingGaloisKey`] without the keys for [`LogisticModel::rotation_steps`]; level errors when the
    /// parameters have fewer than three levels.
    pub fn eval_single(
        &self,
        eval: &Evaluator,
        encoder: &Encoder,
        ct: &Ciphertext,
        rlk: &RelinearizationKey,
        gk: &GaloisKeys,
    ) -> Result<Ciphertext, Error> {
        let params = eval.params();
        let q = params.chain()[ct.level()].value() as f64;
        // Weights encoded at scale q_ℓ: after the rescale, y keeps the ciphertext's scale exactly.
        let w = encoder.encode_real(params, &self.weights, q, ct.level())?;
        let mut y = eval.mul_plain(ct, &w)?;
        eval.rescale(&mut y)?;
        let y = eval.rotate_and_sum_radix(&y, self.padded_features(), self.radix, gk)?;
        let y = eval.add_const(&y, self.bias)?;
        eval.cubic(&y, self.sigmoid, rlk)
    }

    /// Column-packs patients: ciphertext `j` holds feature `j` of every patient (at most `N/2` patients).
    ///
    /// # Errors
    /// [`Error::TooManyValues`], [`Error::InvalidParameters`] for ragged rows; encryption errors.
    pub fn encrypt_batch<R: CryptoRng + ?Sized>(
        &self,
        params: &Parameters,
        encoder: &Encoder,
        pk: &PublicKey,
        patients: &[Vec<f64>],
        rng: &mut R,
    ) -> Result<Vec<Ciphertext>, Error> {
        if patients.len() > params.slots() {
            return Err(Error::TooManyValues { got: patients.len(), slots: params.slots() });
        }
        if patients.iter().any(|p| p.len() != self.features()) {
            return Err(Error::InvalidParameters { reason: "feature vector length" });
        }
        let mut column = vec![0.0; patients.len()];
        (0..self.features())
            .map(|j| {
                for (c, p) in column.iter_mut().zip(patients) {
                    *c = p[j];
                }
                let pt = encoder.encode_real(params, &column, params.scale(), params.max_level())?;
                pk.encrypt(params, &pt, rng)
            })
            .collect()
    }

    /// Evaluates the model on column-packed ciphertexts; slot `i` of the result is patient `i`'s probability.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] when the number of ciphertexts differs from `d`; level/scale errors.
    pub fn eval_batch(
        &self,
        eval: &Evaluator,
        cts: &[Ciphertext],
        rlk: &RelinearizationKey,
    ) -> Result<Ciphertext, Error> {
        if cts.len() != self.features() {
            return Err(Error::InvalidParameters { reason: "one ciphertext per feature" });
        }
        let level = cts[0].level();
        let q = eval.params().chain()[level].value() as f64;
        // Weight scale q_ℓ: the single lazy rescale returns y to the inputs' scale.
        let mut y = eval.weighted_sum(cts, &self.weights, q)?;
        eval.rescale(&mut y)?;
        y.set_scale(cts[0].scale());
        let y = eval.add_const(&y, self.bias)?;
        eval.cubic(&y, self.sigmoid, rlk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Preset, SecretKey};
    use rand::{RngExt, SeedableRng};

    /// The fits reproduce the published cubics: TenSEAL's `0.197y − 0.004y³` is the `[−5, 5]` fit to 2 ‰ / 0.5 ‰,
    /// Kim et al. 2018's `[−8, 8]` cubic `0.15y − 0.0015y³` to 1 ‰ / 0.1 ‰.
    #[test]
    fn sigmoid_fits_match_published_cubics() {
        let five = sigmoid3_fit(5.0).unwrap();
        assert!((five[1] - 0.197).abs() < 2e-3 && (five[3] + 0.004).abs() < 5e-4, "{five:?}");
        let eight = sigmoid3_fit(8.0).unwrap();
        assert!((eight[1] - 0.15).abs() < 1e-3 && (eight[3] + 0.0015).abs() < 1e-4, "{eight:?}");
        assert_eq!((eight[0], eight[2]), (0.5, 0.0));
        // Least squares: no better cubic on a grid of perturbations.
        let err = |c: &[f64; 4]| {
            (0..=1000)
                .map(|i| -8.0 + 0.016 * f64::from(i))
                .map(|y| (cubic(c, y) - 1.0 / (1.0 + (-y).exp())).powi(2))
                .sum::<f64>()
        };
        for (da, db) in [(1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-5), (0.0, -1e-5)] {
            assert!(err(&eight) < err(&[0.5, eight[1] + da, 0.0, eight[3] + db]));
        }
        for bad in [0.0, -1.0, f64::NAN, 65.0] {
            assert!(matches!(sigmoid3_fit(bad), Err(Error::InvalidParameters { .. })));
        }
        let model = LogisticModel::new(vec![1.0], 0.0).unwrap();
        assert!(model.clone().with_sigmoid([0.5, f64::INFINITY, 0.0, 0.0]).is_err());
        let wide = model.with_sigmoid(eight).unwrap();
        assert_eq!(wide.probability(&[9.0]), cubic(&eight, 9.0));
        assert!(wide.probability(&[9.0]) > 0.5 && sigmoid3(9.0) < 0.5);
    }

    #[test]
    fn single_and_batched_match_the_plaintext_polynomial() {
        let params = Parameters::preset(Preset::InsecureTestN1024).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(21);
        let d = 60;
        let weights: Vec<f64> = (0..d).map(|_| rng.random_range(-0.3..0.3)).collect();
        let model = LogisticModel::new(weights, 0.25).unwrap();
        let sk = SecretKey::generate(&params, &mut rng);
        let pk = sk.public_key(&mut rng);
        let rlk = sk.relinearization_key(&mut rng);
        let gk = sk.galois_keys(&model.rotation_steps(), false, &mut rng);
        let (enc, eval) = (Encoder::new(&params), Evaluator::new(&params));
        let patients: Vec<Vec<f64>> =
            (0..20).map(|_| (0..d).map(|_| rng.random_range(0.0..1.0)).collect()).collect();
        for x in &patients[..3] {
            let ct = model.encrypt_single(&params, &enc, &pk, x, &mut rng).unwrap();
            let out = model.eval_single(&eval, &enc, &ct, &rlk, &gk).unwrap();
            let p = enc.decode_real(&params, &sk.decrypt(&out).unwrap()).unwrap()[0];
            assert!((p - model.probability(x)).abs() < 1e-3, "{p} vs {}", model.probability(x));
        }
        let cts = model.encrypt_batch(&params, &enc, &pk, &patients, &mut rng).unwrap();
        let out = model.eval_batch(&eval, &cts, &rlk).unwrap();
        assert_eq!(out.level(), 0);
        let probs = enc.decode_real(&params, &sk.decrypt(&out).unwrap()).unwrap();
        for (x, p) in patients.iter().zip(&probs) {
            assert!((p - model.probability(x)).abs() < 1e-3);
            assert_eq!(*p > 0.5, model.probability(x) > 0.5);
        }
        // Another sigmoid: the encrypted evaluation follows the model's cubic, not the default one.
        let wide = model.clone().with_sigmoid(sigmoid3_fit(12.0).unwrap()).unwrap();
        let out = wide.eval_batch(&eval, &cts, &rlk).unwrap();
        let probs = enc.decode_real(&params, &sk.decrypt(&out).unwrap()).unwrap();
        let mut apart = 0.0f64;
        for (x, p) in patients.iter().zip(&probs) {
            assert!((p - wide.probability(x)).abs() < 1e-3);
            apart = apart.max((wide.probability(x) - model.probability(x)).abs());
        }
        assert!(apart > 1e-2, "{apart}");
        assert!(LogisticModel::new(vec![], 0.0).is_err());
        assert!(model.eval_batch(&eval, &cts[..2], &rlk).is_err());
    }
}
