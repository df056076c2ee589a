//! Server-side verification (Sulimany et al., "security against a malicious client"): the server homodynes the
//! q quadrature of every returned mode against the amplitude it sent, pools the excess noise over K shots and
//! aborts if it differs from what an honest client leaves (T·(2 − 2/G) summed over modes, plus ξ per quadrature).
//! The test is two-sided: a client that taps more than 1 − 1/G returns *less* noise (and less amplitude), so
//! too little excess noise is as much a deviation from the protocol as too much.
//!
//! Per shot the statistic S = Σ_i (r_i² − 1) over n measured quadratures has variance Σ_i 2σ_i⁴ with
//! σ_i² = 1 + T·g·x̂_i² + ξ, bounded by 2n(1+ξ)² + 4g(1+ξ) + 2g² (using Σx̂⁴ ≤ 1); the K-shot mean has standard
//! error ≈ sqrt(2n/K) (0.89 at n = 392, K = 10³; 0.089 at K = 10⁵). The acceptance band is honest ± z·σ/√K; sizing
//! K so that a cheater's excess g′ is z_reject standard errors above the threshold gives
//! K = Var(S)·(z_accept + z_reject)²/(g′ − g)².

use serde::{Deserialize, Serialize};

use crate::error::{Result, check_range};

/// Pooled per-shot excess-noise statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ExcessTally {
    shots: u64,
    sum: f64,
    sum_sq: f64,
}

impl ExcessTally {
    /// Adds one shot's statistic S.
    pub fn push(&mut self, s: f64) {
        self.shots += 1;
        self.sum += s;
        self.sum_sq += s * s;
    }

    /// Pools another tally into this one.
    pub fn merge(&mut self, other: &ExcessTally) {
        self.shots += other.shots;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    /// Shots pooled.
    pub fn shots(&self) -> u64 {
        self.shots
    }

    /// The excess-noise estimate: mean of S over shots (summed over modes, SNU).
    pub fn estimate(&self) -> f64 {
        self.sum / self.shots as f64
    }

    /// Empirical standard error of [`estimate`](Self::estimate).
    pub fn std_error(&self) -> f64 {
        let k = self.shots as f64;
        ((self.sum_sq / k - self.estimate().powi(2)) / (k - 1.0)).sqrt()
    }
}

/// The server's accept/abort decision with the numbers behind it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the client passed (estimate within honest ± z·σ/√K).
    pub accepted: bool,
    /// Pooled excess-noise estimate.
    pub estimate: f64,
    /// Upper acceptance threshold (the lower one is symmetric about the honest value).
    pub threshold: f64,
}

/// The server's excess-noise test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verifier {
    quadratures: usize,
    honest: f64,
    xi: f64,
    z: f64,
}

impl Verifier {
    /// A verifier for `quadratures` measured quadratures per shot, honest summed excess `honest`, technical
    /// noise `xi` and tolerance `z` standard errors (one-sided false-reject rate Φ(−z)).
    ///
    /// # Errors
    /// [`Error::Parameter`](crate::Error::Parameter) for zero quadratures, negative `honest`/`xi` or z ≤ 0.
    pub fn new(quadratures: usize, honest: f64, xi: f64, z: f64) -> Result<Self> {
        check_range("n", quadratures as f64, 1.0, true, f64::INFINITY, "at least one quadrature")?;
        check_range("g", honest, 0.0, true, f64::MAX, "honest excess >= 0")?;
        check_range("xi", xi, 0.0, true, f64::MAX, "xi >= 0")?;
        check_range("z", z, 0.0, false, f64::MAX, "z > 0")?;
        Ok(Verifier { quadratures, honest, xi, z })
    }

    /// Upper bound on the per-shot standard deviation of S for an honest client.
    pub fn shot_sigma(&self) -> f64 {
        let (n, g, v) = (self.quadratures as f64, self.honest, 1.0 + self.xi);
        (2.0 * n * v * v + 4.0 * g * v + 2.0 * g * g).sqrt()
    }

    /// Upper acceptance threshold after `shots` shots (the band is symmetric about the honest value).
    pub fn threshold(&self, shots: u64) -> f64 {
        self.honest + self.z * self.shot_sigma() / (shots as f64).sqrt()
    }

    /// Accept if the pooled estimate lies within honest ± z·σ/√K.
    pub fn verify(&self, tally: &ExcessTally) -> Verdict {
        let threshold = self.threshold(tally.shots());
        let estimate = tally.estimate();
        let accepted = tally.shots() > 0 && (estimate - self.honest).abs() <= threshold - self.honest;
        Verdict { accepted, estimate, threshold }
    }

    /// Shots needed so that a client leaving summed excess `cheat` is `z_reject` standard errors above the
    /// threshold (false-accept rate ≈ Φ(−z_reject)).
    pub fn shots_needed(&self, cheat: f64, z_reject: f64) -> u64 {
        let gap = (cheat - self.honest).abs();
        if gap == 0.0 || gap.is_nan() {
            return u64::MAX;
        }
        ((self.shot_sigma() * (self.z + z_reject) / gap).powi(2)).ceil() as u64
    }
}
