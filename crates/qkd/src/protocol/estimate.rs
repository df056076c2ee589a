//! Parameter estimation from the disclosed test bits: gains Q_k and error rates E_k per intensity with Wilson
//! confidence intervals, decoy-state bounds on the single-photon yield and error, a key-rate estimate from the
//! measured data, and the decision to abort.
//!
//! Notation of MQZL (Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005)): Q_k gain and E_k error rate of intensity k;
//! Y1, e1, Q1 = Y1·μe^(−μ) the single-photon yield, error and gain.

use serde::Serialize;

use super::sift::{Alice, Disclosure, check_positions, protocol_err};
use crate::decoy::{BasisCounts, ThreeIntensity, VacuumWeakObservations, lim2014};
use crate::error::{AbortReason, Result, check_range};
use crate::params::Source;
use crate::theory::h2;

/// Which decoy-state estimator a source calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecoyMethod {
    /// One intensity: GLLP with every multi-photon pulse tagged.
    None,
    /// Signal, weak decoy, vacuum: MQZL Eqs. 34 and 37 on the measured gains and decoy error rate; key from
    /// signal pulses only.
    VacuumWeak,
    /// Three positive intensities μ1 > μ2 + μ3: Lim et al. 2014 Eqs. 1–5 with finite-size corrections; key
    /// from the key basis at every intensity, the other basis fully disclosed.
    Lim2014,
}

impl DecoyMethod {
    /// The method that fits the source's intensities (anything else is estimated as [`DecoyMethod::None`]).
    pub fn for_source(source: &Source) -> Self {
        match source.intensities() {
            [_, _, v] if v.mean == 0.0 => DecoyMethod::VacuumWeak,
            [a, b, c] if a.mean > b.mean + c.mean => DecoyMethod::Lim2014,
            _ => DecoyMethod::None,
        }
    }

    /// Whether key-basis bits of every intensity form the key.
    pub fn key_all_intensities(self) -> bool {
        self == DecoyMethod::Lim2014
    }
}

/// Settings of the estimation step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EstimationConfig {
    /// Abort when the signal QBER exceeds this (default 11 %, the BB84 one-way threshold 1 − 2h(Q) = 0).
    pub qber_threshold: f64,
    /// z-score of the reported confidence intervals (default 1.96, i.e. 95 %).
    pub z: f64,
    /// Error-correction efficiency f used in the key-rate estimate.
    pub ec_efficiency: f64,
    /// Secrecy parameter ε_sec of the finite-size bounds (Lim 2014).
    pub eps_sec: f64,
    /// Correctness parameter ε_cor of the finite-key length (Lim 2014 Eq. 1).
    pub eps_cor: f64,
    /// Formula of the final key length (finite-key by default).
    pub key_length: super::keylength::KeyLengthMode,
}

impl Default for EstimationConfig {
    fn default() -> Self {
        EstimationConfig {
            qber_threshold: 0.11,
            z: 1.96,
            ec_efficiency: 1.22,
            eps_sec: 1e-10,
            eps_cor: 1e-15,
            key_length: super::keylength::KeyLengthMode::Finite,
        }
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
    pub method: DecoyMethod,
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
        // The MQZL and GLLP estimates describe a key of key-basis signal bits (whatever the finite-key protocol
        // later keys from).
        let key_sifted =
            (0..sifted.bits.len()).filter(|&i| sifted.basis_code(i) == 0 && sifted.intensity(i) == 0).count();
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
        let method = DecoyMethod::for_source(self.source());
        let (rate, decoy, why) = match method {
            DecoyMethod::None => (
                self.gllp_rate(signal, e_mu, key_sifted, sent_total, config),
                None,
                "the GLLP rate without decoys is not positive (multi-photon pulses may all be tagged)",
            ),
            DecoyMethod::VacuumWeak => {
                let (rate, bounds) = self.vacuum_weak_rate(&per_intensity, key_sifted, sent_total, config)?;
                (
                    rate,
                    bounds,
                    "the decoy-state rate is not positive (too few single photons, or too many errors)",
                )
            }
            DecoyMethod::Lim2014 => {
                let (rate, bounds) = self.lim_rate(sifted, disclosure, sent_total, config)?;
                (rate, bounds, "the finite-key length (Lim et al. 2014, Eq. 1) is not positive")
            }
        };
        est.decoy = decoy;
        est.key_rate_per_pulse = Some(rate);
        if let Some(d) = &est.decoy
            && d.y1_lower <= 0.0
        {
            est.abort = Some(AbortReason::NoPositiveKeyLength {
                detail: format!("the decoy-state lower bound on the single-photon yield is {}", d.y1_lower),
            });
        } else if rate.is_nan() || rate <= 0.0 {
            est.abort = Some(AbortReason::NoPositiveKeyLength { detail: why.into() });
        }
        Ok(est)
    }
}

impl Alice {
    /// GLLP without decoys (GLLP, QIC 4, 325 (2004); MQZL Eq. 8): every multi-photon pulse may be tagged,
    /// Δ = P_multi / Q_μ; rate = (key bits / pulses) × [−f h(E_μ) + (1 − Δ)(1 − h(E_μ / (1 − Δ)))].
    fn gllp_rate(
        &self,
        signal: &IntensityStats,
        e_mu: f64,
        key: usize,
        sent: u64,
        c: &EstimationConfig,
    ) -> f64 {
        let mu = signal.mean;
        let delta = (1.0 - (1.0 + mu) * (-mu).exp()) / signal.gain;
        if signal.gain > 0.0 && delta < 1.0 {
            key as f64 / sent.max(1) as f64
                * (-c.ec_efficiency * h2(e_mu) + (1.0 - delta) * (1.0 - h2(e_mu / (1.0 - delta))))
        } else {
            f64::NEG_INFINITY
        }
    }

    /// MQZL vacuum + weak decoy: Y1^L (Eq. 34) and e1^U (Eq. 37) from the measured Q_μ, Q_ν, E_ν and Y0 (the
    /// vacuum gain); rate = (key bits / pulses) × [−f h(E_μ) + (Q1^L / Q_μ)(1 − h(e1^U))] (MQZL Eq. 1).
    fn vacuum_weak_rate(
        &self,
        stats: &[IntensityStats],
        key: usize,
        sent: u64,
        c: &EstimationConfig,
    ) -> Result<(f64, Option<DecoyEstimates>)> {
        let (s, w, v) = (&stats[0], &stats[1], &stats[2]);
        let (Some(e_mu), Some(e_nu)) = (s.qber, w.qber) else {
            return Ok((f64::NEG_INFINITY, None));
        };
        let b = VacuumWeakObservations {
            mu: s.mean,
            nu: w.mean,
            gain_mu: s.gain,
            gain_nu: w.gain,
            qber_nu: e_nu,
            y0: v.gain,
        }
        .bounds()?;
        let rate = if s.gain > 0.0 {
            key as f64 / sent.max(1) as f64
                * (-c.ec_efficiency * h2(e_mu) + b.q1_lower / s.gain * (1.0 - h2(b.e1_upper)))
        } else {
            f64::NEG_INFINITY
        };
        let d = DecoyEstimates {
            method: DecoyMethod::VacuumWeak,
            y1_lower: b.y1_lower,
            e1_upper: b.e1_upper,
            q1_lower: b.q1_lower,
        };
        Ok((rate, Some(d)))
    }

    /// Lim 2014 Eqs. 2–5 from the X-basis detections and the (fully disclosed) Z-basis detections and errors per
    /// intensity; key length Eq. 1 with λ_EC = f·n_X·h(E_X) from the tested key bits. Y1^L = s_X,1 / (N q_x² τ1),
    /// e1^U = φ_X.
    fn lim_rate(
        &self,
        sifted: &super::sift::Sifted,
        disclosure: &Disclosure,
        sent: u64,
        c: &EstimationConfig,
    ) -> Result<(f64, Option<DecoyEstimates>)> {
        let src = self.source().intensities();
        let three = ThreeIntensity::new(
            [src[0].mean, src[1].mean, src[2].mean],
            [src[0].probability, src[1].probability, src[2].probability],
        )?;
        let mut x = BasisCounts { detections: [0.0; 3], errors: [0.0; 3] };
        let mut z = BasisCounts { detections: [0.0; 3], errors: [0.0; 3] };
        for i in 0..sifted.bits.len() {
            let counts = if sifted.basis_code(i) == 0 { &mut x } else { &mut z };
            counts.detections[sifted.intensity(i)] += 1.0;
        }
        let (mut x_tested, mut x_errors) = (0u64, 0u64);
        for (j, &p) in disclosure.positions.iter().enumerate() {
            let i = p as usize;
            let err = sifted.bits.get(i) != disclosure.bits.get(j);
            if sifted.basis_code(i) == 0 {
                x_tested += 1;
                x_errors += u64::from(err);
            } else {
                z.errors[sifted.intensity(i)] += f64::from(u8::from(err));
            }
        }
        let bounds = lim2014(&three, &x, &z, c.eps_sec)?;
        let n_x: f64 = x.detections.iter().sum();
        let e_x = if x_tested > 0 { x_errors as f64 / x_tested as f64 } else { 0.5 };
        let length = bounds.key_length(c.ec_efficiency * n_x * h2(e_x), c.eps_cor)?;
        let q_x = self.source().basis_bias();
        let y1_lower = bounds.s_x1 / (sent.max(1) as f64 * q_x * q_x * three.tau(1));
        let mu1 = src[0].mean;
        let d = DecoyEstimates {
            method: DecoyMethod::Lim2014,
            y1_lower,
            e1_upper: bounds.phi_x,
            q1_lower: y1_lower * mu1 * (-mu1).exp(),
        };
        Ok((length.floor() / sent.max(1) as f64, Some(d)))
    }
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
}
