//! Information leakage bounds of the protocol (Sulimany et al., arXiv:2408.05629 Eqs. 2–3; PRX 15, 041056).
//!
//! Weight leakage: the client's Holevo information χ about the server's coherent states, computed as in CV-QKD
//! from the symplectic eigenvalues ν of the two-mode state with modulation V = 2μ+1, transmissivity T and
//! excess noise ε = g/n + ξ (the authors' `Leak.m`). Data leakage: the Cramér–Rao bound on how well the server
//! estimates one data entry from the returned excess noise (`CCRB1.m`, arXiv v1) or the PRX closed form
//! (`Maps.m`). Conventions are selectable; see [`Convention`].

use serde::{Deserialize, Serialize};

use crate::link::{Convention, Link, returned_excess, snr_per_mu};

/// Symbols in the PRX data-leakage formula: M = 784 + 10 outputs of the two-layer network.
pub const PRX_SYMBOLS: f64 = 794.0;

/// The CV-QKD entropy function G(ν) = ((ν+1)/2)·log2((ν+1)/2) − ((ν−1)/2)·log2((ν−1)/2), with G(1) = 0.
///
/// The von Neumann entropy of a thermal mode with symplectic eigenvalue ν ≥ 1 (Weedbrook et al., Rev. Mod. Phys.
/// 84, 621 (2012), Eq. 52). Values of ν below 1 (rounding) are clamped to 1.
pub fn entropy_g(nu: f64) -> f64 {
    let plus = (nu + 1.0) / 2.0;
    let minus = ((nu - 1.0) / 2.0).max(0.0);
    let xlog = |x: f64| if x > 0.0 { x * x.log2() } else { 0.0 };
    xlog(plus) - xlog(minus)
}

/// Holevo χ (bits per weight symbol) for modulation variance V = 2μ+1, transmissivity T, excess noise ε.
///
/// Sulimany et al. Eq. (2) as coded in `Leak.m`: a = V, b = T(V−1)+1+ε, c = sqrt(T(V²−1)),
/// z = sqrt((a+b)² − 4c²), ν1,2 = (z ± (b−a))/2, ν3 = b − c²/(a+1), χ = G(ν1) + G(ν2) − G(ν3). Zero at ε = 0, T = 1.
pub fn holevo_chi(mu: f64, transmissivity: f64, epsilon: f64) -> f64 {
    let v = 2.0 * mu + 1.0;
    let (a, b) = (v, transmissivity * (v - 1.0) + 1.0 + epsilon);
    let c2 = transmissivity * (v * v - 1.0);
    let z = ((a + b).powi(2) - 4.0 * c2).max(0.0).sqrt();
    let nu1 = (z + b - a) / 2.0;
    let nu2 = (z - (b - a)) / 2.0;
    let nu3 = b - c2 / (a + 1.0);
    (entropy_g(nu1) + entropy_g(nu2) - entropy_g(nu3)).max(0.0)
}

/// Everything the leakage analysis reports for one operating point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Leakage {
    /// Holevo χ per weight symbol (bits).
    pub holevo_chi: f64,
    /// Weight leakage I_w per weight symbol under the chosen convention (bits).
    pub weight_leakage_bits: f64,
    /// Data leakage I_x per data symbol under the chosen convention (bits).
    pub data_leakage_bits: f64,
    /// Homodyne SNR per photon G(G−1)/(2G²−3G+2).
    pub snr_per_mu: f64,
    /// The convention used.
    pub convention: Convention,
}

/// Weight and data leakage of `link` under `convention`.
pub fn leakage(link: &Link, convention: Convention) -> Leakage {
    let chi = holevo_chi(link.mu(), link.transmissivity(), epsilon(link));
    let weight = match convention {
        Convention::ArxivV1 => chi,
        Convention::Prx => chi / 2.0,
    };
    Leakage {
        holevo_chi: chi,
        weight_leakage_bits: weight,
        data_leakage_bits: data_leakage(link, convention),
        snr_per_mu: snr_per_mu(link.gain()),
        convention,
    }
}

/// Excess noise per mode seen by the server: ε = g/n + ξ with g = 2 − 2/G.
pub fn epsilon(link: &Link) -> f64 {
    link.returned_excess() / link.modes() as f64 + link.xi()
}

/// Data leakage I_x (bits per data symbol).
///
/// arXiv v1 (`CCRB1.m`): the server sees per mode variance σ² = 1 + T·g·x² + ξ; the Fisher information about x
/// is (∂σ²/∂x)²/(2σ⁴) = 2T²g²x²/σ⁴ per measurement, n measurements, var = 1/(n·I), and
/// I_x = ½ log2(1 + 2x²/var) at x = 1/√n. With T = 1, ξ = 0 this is the authors' ≈ ½ log2(1 + 4g²/n).
/// PRX (`Maps.m`): I_x = ½ log2(1 + (M/n)·g²/(1+g)) with M = 794, here with g → T·g and 1+g → 1+T·g+ξ (derived here).
pub fn data_leakage(link: &Link, convention: Convention) -> f64 {
    let n = link.modes() as f64;
    let tg = link.transmissivity() * returned_excess(link.gain());
    match convention {
        Convention::ArxivV1 => {
            let x2 = 1.0 / n;
            let var_mode = 1.0 + tg * x2 + link.xi();
            let fisher = 2.0 * tg * tg * x2 / (var_mode * var_mode);
            let var = 1.0 / (n * fisher);
            if var.is_finite() { 0.5 * (1.0 + 2.0 * x2 / var).log2() } else { 0.0 }
        }
        Convention::Prx => 0.5 * (1.0 + (PRX_SYMBOLS / n) * tg * tg / (1.0 + tg + link.xi())).log2(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_is_zero_for_pure_states_and_grows() {
        assert_eq!(entropy_g(1.0), 0.0);
        assert!(entropy_g(3.0) > entropy_g(2.0));
        // G(ν) for ν = 3 (thermal mode with n̄ = 1): 2 bits.
        assert!((entropy_g(3.0) - 2.0).abs() < 1e-12);
    }
}
