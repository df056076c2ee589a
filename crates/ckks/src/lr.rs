//! Encrypted logistic-regression inference: features encrypted, model in the clear (`ckks.md`, "the seed
//! workload").
//!
//! The sigmoid is replaced by the cubic `σ(y) ≈ 0.5 + 0.197·y − 0.004·y³` (least-squares fit on `[−8, 8]`
//! used by the TenSEAL tutorial; Kim et al., "Logistic regression model training based on the approximate
//! homomorphic encryption", BMC Med. Genomics 2018, use the same family). Depth 3: one for the weights, two
//! for the cubic.
//! - Single vector: one patient's `d` features in the slots; `⟨w, x⟩` by a plaintext product, one rescale and
//!   `log2 d` rotate-and-adds (`d` padded to a power of two).
//! - Batched: `d` ciphertexts, ciphertext `j` holding feature `j` of up to `N/2` patients; `y = Σ_j w_j·ct_j`
//!   with integer constants per limb and a single lazy rescale, then the cubic slot-wise.

use rand::CryptoRng;

use crate::{Ciphertext, Encoder, Error, Evaluator, GaloisKeys, Parameters, PublicKey, RelinearizationKey};

/// Coefficients `[c_0, c_1, c_2, c_3]` of the degree-3 sigmoid approximation.
pub const SIGMOID3: [f64; 4] = [0.5, 0.197, 0.0, -0.004];

/// The cubic sigmoid approximation evaluated in the clear (the reference the encrypted result must match).
pub fn sigmoid3(y: f64) -> f64 {
    SIGMOID3[0] + SIGMOID3[1] * y + SIGMOID3[2] * y * y + SIGMOID3[3] * y * y * y
}

/// A plaintext logistic-regression model `p(x) = σ(⟨w, x⟩ + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticModel {
    weights: Vec<f64>,
    bias: f64,
}

impl LogisticModel {
    /// A model with `d = weights.len()` features.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] for an empty or non-finite model.
    pub fn new(weights: Vec<f64>, bias: f64) -> Result<Self, Error> {
        if weights.is_empty() || !weights.iter().chain([&bias]).all(|w| w.is_finite()) {
            return Err(Error::InvalidParameters { reason: "model needs finite weights" });
        }
        Ok(Self { weights, bias })
    }

    /// Number of features `d`.
    pub fn features(&self) -> usize {
        self.weights.len()
    }

    /// `d` rounded up to a power of two (the rotate-and-sum width).
    pub fn padded_features(&self) -> usize {
        self.weights.len().next_power_of_two()
    }

    /// Rotation steps the single-vector evaluation needs: `1, 2, 4, …, padded/2`.
    pub fn rotation_steps(&self) -> Vec<i64> {
        (0..self.padded_features().trailing_zeros()).map(|i| 1i64 << i).collect()
    }

    /// `⟨w, x⟩ + b`.
    pub fn logit(&self, x: &[f64]) -> f64 {
        self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>() + self.bias
    }

    /// The plaintext reference: the cubic sigmoid of the logit.
    pub fn probability(&self, x: &[f64]) -> f64 {
        sigmoid3(self.logit(x))
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
        let y = eval.rotate_and_sum(&y, self.padded_features(), gk)?;
        let y = eval.add_const(&y, self.bias)?;
        eval.cubic(&y, SIGMOID3, rlk)
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
        eval.cubic(&y, SIGMOID3, rlk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Preset, SecretKey};
    use rand::{RngExt, SeedableRng};

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
        assert!(LogisticModel::new(vec![], 0.0).is_err());
        assert!(model.eval_batch(&eval, &cts[..2], &rlk).is_err());
    }
}
