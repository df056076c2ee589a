//! Parameter estimation from the disclosed test bits: gains Q_k and error rates E_k per intensity with Wilson
//! confidence intervals, decoy-state bounds on the single-photon yield and error, a key-rate estimate from the
//! measured data, and the decision to abort.
//!
//! Notation of MQZL (Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005)): Q_k gain and E_k error rate of intensity k;
//! Y1, e1, Q1 = Y1·μe^(−μ) the single-photon yield, error and gain.

use serde::Serialize;

use super::sift::{Alice, Disclosure, check_positions, protocol_err};
use crate::error::{AbortReason, Result, check_range};

/// Settings of the estimation step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EstimationConfig {
    /// Abort when the signal QBER exceeds this (default 11 %, the BB84 one-way threshold 1 − 2h(Q) = 0).
    pub qber_threshold: f64,
    /// z-score of the reported confidence intervals (default 1.96, i.e. 95 %).
    pub z: f64,
    /// Error-correction efficiency f used in the key-rate estimate.
    pub ec_efficiency: f64,
}

impl Default for EstimationConfig {
    fn default() -> Self {
        EstimationConfig { qber_threshold: 0.11, z: 1.96, ec_efficiency: 1.22 }
    }
}

/// Measured statistics of one intensity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntensityStats {
    /// Mean photon number.
    pub mean: f64,
    /// Pulses sent.
    pub sent: u64,
    /// Pulses with at least one click.
    pub detections: u64,
    /// Gain Q_k = detections / sent.
    pub gain: f64,
    /// Wilson interval of the gain.
    pub gain_interval: [f64; 2],
    /// Sifted (basis-matched) pulses.
    pub sifted: u64,
    /// Sifted bits disclosed for testing.
    pub tested: u64,
    /// Errors among the tested bits.
    pub errors: u64,
    /// Error rate E_k among tested bits (`None` when none were tested).
    pub qber: Option<f64>,
    /// Wilson interval of the error rate.
    pub qber_interval: Option<[f64; 2]>,
}

/// Decoy-state estimates of the single-photon contribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecoyEstimates {
    /// Which bounds were used.
    pub method: &'static str,
    /// Lower bound on the single-photon yield Y1.
    pub y1_lower: f64,
    /// Upper bound on the single-photon error rate e1.
    pub e1_upper: f64,
    /// Lower bound on the single-photon gain of the signal, Q1 = Y1·μe^(−μ).
    pub q1_lower: f64,
}

/// Alice's estimates, sent to Bob.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimates {
    /// Per intensity, signal first.
    pub per_intensity: Vec<IntensityStats>,
    /// Decoy bounds, when the source has decoys.
    pub decoy: Option<DecoyEstimates>,
    /// Asymptotic secret-key rate per pulse from the measured values (GLLP with decoy bounds when available).
    pub key_rate_per_pulse: Option<f64>,
    /// Why the protocol stops, if it does.
    pub abort: Option<AbortReason>,
}

impl Estimates {
    /// The signal intensity's statistics.
    pub fn signal(&self) -> &IntensityStats {
        &self.per_intensity[0]
    }
}

impl Alice {
    /// Step 4: estimates the channel from Bob's disclosed bits and decides whether to go on.
    ///
    /// # Errors
    /// [`crate::Error::Protocol`] before sifting or with a malformed disclosure; [`crate::Error::InvalidParameter`]
    /// for a bad configuration.
    pub fn estimate(&self, disclosure: &Disclosure, config: &EstimationConfig) -> Result<Estimates> {
        check_range("qber_threshold", config.qber_threshold, 0.0, 0.5, "in [0, 0.5]")?;
        check_range("z", config.z, 0.0, 10.0, "in [0, 10]")?;
        check_range("ec_efficiency", config.ec_efficiency, 1.0, 10.0, "in [1, 10]")?;
        let sifted = self.sifted.as_ref().ok_or_else(|| protocol_err("estimation before sifting".into()))?;
        check_positions(&disclosure.positions, sifted.bits.len())?;
        if disclosure.bits.len() != disclosure.positions.len() {
            return Err(protocol_err(format!(
                "{} disclosed bits for {} positions",
                disclosure.bits.len(),
                disclosure.positions.len()
            )));
        }
        let k_count = self.source().intensities().len();
        let (mut sifted_k, mut tested, mut errors) =
            (vec![0u64; k_count], vec![0u64; k_count], vec![0u64; k_count]);
        for i in 0..sifted.bits.len() {
            sifted_k[sifted.intensity(i)] += 1;
        }
        for (j, &p) in disclosure.positions.iter().enumerate() {
            let i = p as usize;
            let k = sifted.intensity(i);
            tested[k] += 1;
            errors[k] += u64::from(sifted.bits.get(i) != disclosure.bits.get(j));
        }
        let per_intensity: Vec<IntensityStats> = (0..k_count)
            .map(|k| {
                let (sent, det) = (self.sent_per_intensity()[k], self.detections[k]);
                let gain = if sent > 0 { det as f64 / sent as f64 } else { 0.0 };
                let qber = (tested[k] > 0).then(|| errors[k] as f64 / tested[k] as f64);
                IntensityStats {
                    mean: self.source().intensities()[k].mean,
                    sent,
                    detections: det,
                    gain,
                    gain_interval: wilson_interval(det, sent, config.z),
                    sifted: sifted_k[k],
                    tested: tested[k],
                    errors: errors[k],
                    qber,
                    qber_interval: qber.map(|_| wilson_interval(errors[k], tested[k], config.z)),
                }
            })
            .collect();

        let sent_total: u64 = self.sent_per_intensity().iter().sum();
        let key_sifted = (0..sifted.bits.len()).filter(|&i| sifted.is_key_candidate(i)).count();
        let signal = &per_intensity[0];
        let mut est = Estimates {
            per_intensity: per_intensity.clone(),
            decoy: None,
            key_rate_per_pulse: None,
            abort: None,
        };
        let Some(e_mu) = signal.qber else {
            est.abort =
                Some(AbortReason::InsufficientStatistics { detail: "no signal bits were tested".into() });
            return Ok(est);
        };
        if e_mu > config.qber_threshold {
            est.abort =
                Some(AbortReason::QberAboveThreshold { qber: e_mu, threshold: config.qber_threshold });
            return Ok(est);
        }
        // Key-rate estimate per pulse: (key-basis signal sifted / pulses) × the GLLP bracket (GLLP, QIC 4, 325
        // (2004); MQZL Eq. 1 and Eq. 8 without decoys) with the measured Q_μ and E_μ.
        let mu = signal.mean;
        let f = config.ec_efficiency;
        let fraction = key_sifted as f64 / sent_total.max(1) as f64;
        let rate = if signal.gain > 0.0 {
            // No decoys: every multi-photon pulse is assumed tagged, Δ = P_multi / Q_μ.
            let p_multi = 1.0 - (1.0 + mu) * (-mu).exp();
            let delta = p_multi / signal.gain;
            if delta < 1.0 {
                fraction * (-f * h2(e_mu) + (1.0 - delta) * (1.0 - h2(e_mu / (1.0 - delta))))
            } else {
                f64::NEG_INFINITY
            }
        } else {
            f64::NEG_INFINITY
        };
        est.key_rate_per_pulse = Some(rate);
        if rate.is_nan() || rate <= 0.0 {
            est.abort = Some(AbortReason::NoPositiveKeyLength {
                detail:
                    "the GLLP rate without decoys is not positive (multi-photon pulses may all be tagged)"
                        .into(),
            });
        }
        Ok(est)
    }
}

/// Binary entropy h(x) = −x log2 x − (1−x) log2(1−x), with h(0) = h(1) = 0; NaN outside [0, 1].
pub(crate) fn h2(x: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 {
        return if x == 0.0 || x == 1.0 { 0.0 } else { f64::NAN };
    }
    -x * x.log2() - (1.0 - x) * (1.0 - x).log2()
}

/// Wilson score interval for `successes` out of `trials` at z-score `z` (Wilson, JASA 22, 209 (1927)).
/// `[0, 1]` when there are no trials.
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> [f64; 2] {
    if trials == 0 {
        return [0.0, 1.0];
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    [(centre - half).max(0.0), (centre + half).min(1.0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_a_textbook_value() {
        // 8 of 10 at 95 %: Wilson (1927) interval [0.4902, 0.9433] (e.g. Agresti & Coull, Am. Stat. 52 (1998)).
        let [lo, hi] = wilson_interval(8, 10, 1.959_964);
        assert!((lo - 0.4902).abs() < 1e-4 && (hi - 0.9433).abs() < 1e-4, "{lo} {hi}");
        assert_eq!(wilson_interval(0, 0, 1.96), [0.0, 1.0]);
    }

    #[test]
    fn binary_entropy() {
        assert_eq!(h2(0.0), 0.0);
        assert!((h2(0.5) - 1.0).abs() < 1e-15);
        assert!((h2(0.11) - 0.4999).abs() < 1e-4);
        assert!(h2(-0.1).is_nan());
    }
}
