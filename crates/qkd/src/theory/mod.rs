//! Key-rate theory for weak-coherent-pulse BB84: asymptotic rates (GLLP without decoys, infinite decoys,
//! vacuum + weak decoys), the finite-key rate of Lim et al. (2014) with a parameter optimiser, and the maximum
//! distance of each by root finding.
//!
//! Notation follows the papers: η overall transmittance, μ signal intensity, ν weak decoy, Y0 background yield,
//! e_det misalignment, f error-correction efficiency, q sifting factor, H2 binary entropy.
//!
//! * [`asymptotic`] — Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005) (MQZL); Gottesman, Lo, Lütkenhaus, Preskill,
//!   QIC 4, 325 (2004) (GLLP); Lo, Ma, Chen, PRL 94, 230504 (2005).
//! * [`finite`] — Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014).
//! * [`optimize`] — the numerical tools: Nelder–Mead, golden-section search, bracketing bisection.

pub mod asymptotic;
pub mod finite;
pub mod optimize;

pub use asymptotic::{
    Asymptotic, SIFT_FACTOR, Scheme, e1, gain, gllp_optimal_mu, optimal_mu_small_eta, q1, qber, y1,
};
pub use finite::{Finite, FiniteConfig, FiniteKey, Security, Settings};

/// Binary entropy H2(x) = −x log2 x − (1 − x) log2(1 − x), with H2(0) = H2(1) = 0; `x` is clamped to [0, 1]
/// (NaN gives NaN).
pub fn h2(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    let term = |p: f64| if p > 0.0 { -p * p.log2() } else { 0.0 };
    term(x) + term(1.0 - x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_entropy_values() {
        assert_eq!(h2(0.0), 0.0);
        assert_eq!(h2(1.0), 0.0);
        assert!((h2(0.5) - 1.0).abs() < 1e-15);
        assert!((h2(0.11) - 0.499_915_958).abs() < 1e-8);
        assert_eq!(h2(-0.2), 0.0);
        assert!((h2(0.3) - h2(0.7)).abs() < 1e-15);
    }
}
