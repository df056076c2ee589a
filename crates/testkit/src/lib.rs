//! Helpers shared by quantumacy's tests: seeded, reproducible RNGs and assertions for floating-point and
//! statistical results. Not published; only dev-dependencies use it.
//!
//! Statistical assertions take their tolerance in standard deviations of the quantity under test, so every
//! tolerance says how unlikely a false failure is (4σ: about 6 in 10⁵ for a Gaussian estimate).

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

/// A ChaCha20 RNG seeded with `seed`: the same stream on every platform and run.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// A ChaCha20 RNG whose 32-byte seed is SHA-256(`label`): give each test its own stream by naming it.
pub fn rng_for(label: &str) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(Sha256::digest(label.as_bytes()).into())
}

/// `n` distinct seeds derived from `label`, for "holds over seeds" tests.
pub fn seeds(label: &str, n: usize) -> Vec<u64> {
    (0..n as u64)
        .map(|i| {
            let d = Sha256::digest(format!("{label}/{i}").as_bytes());
            u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
        })
        .collect()
}

/// Asserts `|actual − expected| ≤ abs_tol + rel_tol·|expected|`.
///
/// # Panics
/// When the bound is exceeded or either value is NaN, with both values and the bound in the message.
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, abs_tol: f64, rel_tol: f64) {
    let bound = abs_tol + rel_tol * expected.abs();
    let diff = (actual - expected).abs();
    assert!(
        diff <= bound,
        "|{actual} − {expected}| = {diff:e} exceeds {bound:e} (abs {abs_tol:e}, rel {rel_tol:e})"
    );
}

/// Asserts element-wise [`assert_close`] on two slices of equal length.
///
/// # Panics
/// When lengths differ or any element is out of bound (the first offending index is reported).
#[track_caller]
pub fn assert_all_close(actual: &[f64], expected: &[f64], abs_tol: f64, rel_tol: f64) {
    assert_eq!(actual.len(), expected.len(), "length mismatch");
    if let Some((i, (a, e))) = actual
        .iter()
        .zip(expected)
        .enumerate()
        .find(|(_, (a, e))| (*a - *e).abs().is_nan() || (*a - *e).abs() > abs_tol + rel_tol * e.abs())
    {
        panic!("element {i}: |{a} − {e}| = {:e} exceeds abs {abs_tol:e} + rel {rel_tol:e}", (a - e).abs());
    }
}

/// Asserts that an estimate lies within `k` standard deviations `sigma` of the expected value.
///
/// # Panics
/// When `|observed − expected| > k·sigma`, when `sigma` is not positive and finite, or on NaN.
#[track_caller]
pub fn assert_within_sigma(observed: f64, expected: f64, sigma: f64, k: f64) {
    assert!(sigma.is_finite() && sigma > 0.0, "σ = {sigma} must be positive and finite");
    let z = (observed - expected) / sigma;
    assert!(
        z.abs() <= k,
        "observed {observed} is {z:+.2}σ from expected {expected} (σ = {sigma:e}, limit {k}σ)"
    );
}

/// Standard deviation of the fraction of successes in `n` Bernoulli(`p`) trials: √(p(1−p)/n).
pub fn binomial_sigma(p: f64, n: u64) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

/// Bits of precision of `actual` against `expected`: −log2 of the largest absolute error (∞ when exact).
///
/// The CKKS literature reports precision this way (e.g. SEAL's 27 bits fresh at Δ = 2⁴⁰).
pub fn precision_bits(actual: &[f64], expected: &[f64]) -> f64 {
    let max_err = actual.iter().zip(expected).map(|(a, e)| (a - e).abs()).fold(0.0, f64::max);
    -max_err.log2()
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    #[test]
    fn rngs_are_reproducible_and_distinct() {
        assert_eq!(rng(5).next_u64(), rng(5).next_u64());
        assert_ne!(rng(5).next_u64(), rng(6).next_u64());
        assert_eq!(rng_for("a").next_u64(), rng_for("a").next_u64());
        assert_ne!(rng_for("a").next_u64(), rng_for("b").next_u64());
        let s = seeds("t", 50);
        let mut sorted = s.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 50);
        assert_eq!(s, seeds("t", 50));
    }

    #[test]
    fn close_assertions_accept_within_and_reject_outside() {
        assert_close(1.0 + 1e-10, 1.0, 1e-9, 0.0);
        assert_close(101.0, 100.0, 0.0, 0.011);
        assert_all_close(&[1.0, 2.0], &[1.0, 2.0 + 1e-12], 1e-9, 0.0);
        assert!(std::panic::catch_unwind(|| assert_close(1.1, 1.0, 0.05, 0.0)).is_err());
        assert!(std::panic::catch_unwind(|| assert_close(f64::NAN, 1.0, 1.0, 1.0)).is_err());
        assert!(std::panic::catch_unwind(|| assert_all_close(&[1.0], &[1.0, 2.0], 1.0, 0.0)).is_err());
        assert!(std::panic::catch_unwind(|| assert_all_close(&[1.0, 3.0], &[1.0, 2.0], 0.5, 0.0)).is_err());
        assert!(std::panic::catch_unwind(|| assert_all_close(&[f64::NAN], &[1.0], 0.5, 0.0)).is_err());
    }

    #[test]
    fn sigma_assertions() {
        assert_within_sigma(0.52, 0.5, 0.01, 4.0);
        assert!(std::panic::catch_unwind(|| assert_within_sigma(0.6, 0.5, 0.01, 4.0)).is_err());
        assert!(std::panic::catch_unwind(|| assert_within_sigma(0.5, 0.5, 0.0, 4.0)).is_err());
        assert!((binomial_sigma(0.5, 100) - 0.05).abs() < 1e-15);
    }

    #[test]
    fn precision_bits_is_minus_log2_of_the_worst_error() {
        assert_eq!(precision_bits(&[1.0, 2.0 + 2f64.powi(-20)], &[1.0, 2.0]), 20.0);
        assert_eq!(precision_bits(&[1.0], &[1.0]), f64::INFINITY);
    }
}
