//! The physical operating point of one optical inner product: photons per weight symbol μ, client gain G,
//! channel transmissivity T and technical noise ξ, and the maps from (μ, G) to the network's signal-to-noise F.
//!
//! Notation follows Sulimany et al., "Quantum-secure multiparty deep learning", arXiv:2408.05629 /
//! Phys. Rev. X 15, 041056 (2025). Quadratures are in shot-noise units (vacuum variance 1).

use serde::{Deserialize, Serialize};

use crate::error::{Result, check_range};

/// How (μ, G) map to the per-layer signal-to-noise F of the abstract Gaussian model y = s·(W x̂) + N(0, I).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Mapping {
    /// The authors' conservative map F = sqrt(μ·G(G−1)/(2G²−3G+2)) (their `neurons_and_loss.m`).
    #[default]
    Authors,
    /// First principles: F = 4μ·G(G−1)/(2G²−3G+2), μ photons per real weight symbol, homodyne on the tap.
    Physics,
}

/// Which paper version's leakage formulas to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Convention {
    /// arXiv:2408.05629v1: I_w = χ, I_x from the Cramér–Rao bound of `CCRB1.m`.
    #[default]
    ArxivV1,
    /// Phys. Rev. X 15, 041056: I_w = χ/2, I_x = ½ log2(1 + (M/n)·g²/(1+g)) of `Maps.m`.
    Prx,
}

/// A validated operating point: μ > 0, G ≥ 1, 0 < T ≤ 1, ξ ≥ 0, n ≥ 1 modes per inner product.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Link {
    mu: f64,
    gain: f64,
    modes: usize,
    transmissivity: f64,
    xi: f64,
}

impl Link {
    /// A lossless, noiseless link with `mu` photons per weight symbol, client gain `gain` and `modes` modes.
    ///
    /// # Errors
    /// [`Error::Parameter`](crate::Error::Parameter) for μ ≤ 0, G < 1, non-finite values, or `modes` = 0.
    pub fn new(mu: f64, gain: f64, modes: usize) -> Result<Self> {
        let mu = check_range("mu", mu, 0.0, false, f64::INFINITY, "mu > 0")?;
        let gain = check_range("G", gain, 1.0, true, f64::INFINITY, "G >= 1")?;
        check_range("n", modes as f64, 1.0, true, f64::INFINITY, "at least one mode")?;
        Ok(Link { mu, gain, modes, transmissivity: 1.0, xi: 0.0 })
    }

    /// The same link with channel loss `loss_db` (T = 10^(−loss/10)), attributed to the adversary.
    ///
    /// # Errors
    /// [`Error::Parameter`](crate::Error::Parameter) for a negative or non-finite loss.
    pub fn with_loss_db(mut self, loss_db: f64) -> Result<Self> {
        check_range("loss_db", loss_db, 0.0, true, f64::INFINITY, "loss in dB >= 0")?;
        self.transmissivity = 10f64.powf(-loss_db / 10.0);
        Ok(self)
    }

    /// The same link with technical (excess) noise ξ in shot-noise units.
    ///
    /// # Errors
    /// [`Error::Parameter`](crate::Error::Parameter) for ξ < 0 or non-finite.
    pub fn with_xi(mut self, xi: f64) -> Result<Self> {
        self.xi = check_range("xi", xi, 0.0, true, f64::INFINITY, "xi >= 0")?;
        Ok(self)
    }

    /// Mean photon number per weight symbol μ.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// The client's amplifier gain G.
    pub fn gain(&self) -> f64 {
        self.gain
    }

    /// Modes per inner product n.
    pub fn modes(&self) -> usize {
        self.modes
    }

    /// Channel transmissivity T.
    pub fn transmissivity(&self) -> f64 {
        self.transmissivity
    }

    /// Technical noise ξ (SNU).
    pub fn xi(&self) -> f64 {
        self.xi
    }

    /// The returned excess noise g = 2 − 2/G summed over all modes of one inner product.
    pub fn returned_excess(&self) -> f64 {
        returned_excess(self.gain)
    }

    /// The network signal-to-noise F under `mapping`.
    pub fn snr(&self, mapping: Mapping) -> f64 {
        let r = snr_per_mu(self.gain);
        match mapping {
            Mapping::Authors => (self.mu * r).sqrt(),
            Mapping::Physics => 4.0 * self.mu * r,
        }
    }
}

/// Excess noise g = 2 − 2/G that the amplify-tap-reinject sequence leaves on mode 1 (and, after U_x̂^†, summed
/// over all returned modes).
pub fn returned_excess(gain: f64) -> f64 {
    2.0 - 2.0 / gain
}

/// Homodyne noise variance (2G² − 3G + 2)/G of the tapped output (SNU).
pub fn homodyne_variance(gain: f64) -> f64 {
    (2.0 * gain * gain - 3.0 * gain + 2.0) / gain
}

/// SNR per photon G(G−1)/(2G²−3G+2): 0 at G = 1, maximal (0.5469) at G = 2+√2, → ½ as G → ∞.
pub fn snr_per_mu(gain: f64) -> f64 {
    gain * (gain - 1.0) / (2.0 * gain * gain - 3.0 * gain + 2.0)
}
