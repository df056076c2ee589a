//! Exact expected rates of the physical model the simulator samples, for an honest channel.
//!
//! Model (per pulse, intensity μ_k): Poisson photon number (phase-randomised weak coherent pulse); each photon
//! reaches Bob's detectors with probability η = η_Bob·10^(−(αL+extra)/10); a photon whose basis matches Bob's
//! goes to the wrong detector with probability e = (1−p)·e_det + p/2 (misalignment e_det, depolarisation p),
//! otherwise each detector with probability ½. By Poisson thinning the photon counts at the two detectors are
//! independent Poisson variables, so detector i clicks with c_i = 1 − (1 − p_dc)·e^(−m_i). A double click is
//! assigned a random bit (squashing). A click triggers an after-pulse in the next gate with probability p_ap, on
//! a random detector; after-pulses themselves trigger after-pulses.
//!
//! With p_ap = 0 the gain is exactly MQZL's Q_μ = Y0 + (1−Y0)(1 − e^(−ημ)) (Ma, Qi, Zhao, Lo, PRA 72, 012326
//! (2005), Eq. 4 with Y0 = 1 − (1 − p_dc)²), and the error rate agrees with MQZL Eq. 6,
//! E_μ Q_μ = e0 Y0 + e_det(1−Y0)(1 − e^(−ημ)), to first order in ημ: the linear formula counts a multi-photon pulse
//! as one error with probability e_det, whereas two threshold detectors see its photons split.

use serde::Serialize;

use crate::error::Result;
use crate::params::{Source, System};

/// Expected per-pulse rates for one intensity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExpectedRates {
    /// The intensity μ_k.
    pub mean: f64,
    /// Gain Q_k: probability that a pulse of this intensity produces at least one click (after-pulses included).
    pub gain: f64,
    /// Error rate E_k among clicks whose bases match (BB84, six-state).
    pub qber: f64,
}

/// Click probabilities of the two-detector receiver for mean photon numbers `m_right`, `m_wrong`.
pub(crate) fn click_probabilities(dark: f64, m_right: f64, m_wrong: f64) -> (f64, f64) {
    // 1 − (1 − p)e^(−m) = p + (1 − p)(1 − e^(−m)), written to keep precision when both terms are tiny.
    let c = |m: f64| dark + (1.0 - dark) * (-(-m).exp_m1());
    (c(m_right), c(m_wrong))
}

/// The wrong-detector probability for a photon whose basis matches Bob's: e = (1−p)·e_det + p/2.
pub(crate) fn effective_misalignment(system: &System) -> f64 {
    (1.0 - system.depolarization) * system.misalignment + system.depolarization / 2.0
}

/// Probability that a click from a natural (photon or dark) detection happens, per intensity: D_k.
pub(crate) fn natural_click(system: &System, eta: f64, mean: f64) -> f64 {
    // 1 − (1 − p)² e^(−ημ), without cancellation at long distance.
    -(2.0 * (-system.dark_count).ln_1p() - eta * mean).exp_m1()
}

/// Stationary probability that an after-pulse lands in a gate: a = p_ap·C with C = D̄ / (1 − p_ap(1 − D̄)) the
/// click probability per gate (D̄ the natural click probability averaged over intensities).
pub(crate) fn afterpulse_rate(system: &System, eta: f64, source: &Source) -> f64 {
    let d_bar: f64 =
        source.intensities().iter().map(|i| i.probability * natural_click(system, eta, i.mean)).sum();
    let clicks = d_bar / (1.0 - system.afterpulse * (1.0 - d_bar));
    system.afterpulse * clicks
}

/// Expected gain and basis-matched error rate of every intensity of `source` at `distance_km`.
///
/// # Errors
/// Invalid system or distance.
pub fn expected_rates(system: &System, source: &Source, distance_km: f64) -> Result<Vec<ExpectedRates>> {
    system.validate()?;
    let eta = system.transmittance(distance_km)?;
    let e = effective_misalignment(system);
    let a = afterpulse_rate(system, eta, source);
    Ok(source
        .intensities()
        .iter()
        .map(|i| {
            let m = eta * i.mean;
            let (c_r, c_w) = click_probabilities(system.dark_count, m * (1.0 - e), m * e);
            // 1 − (1 − D)(1 − a), written without cancellation.
            let d = natural_click(system, eta, i.mean);
            let gain = d + a * (1.0 - d);
            // Error: only the wrong detector, or a double click resolved to the wrong bit.
            let natural_err = c_w * (1.0 - c_r) + 0.5 * c_w * c_r;
            // An after-pulse on the right detector makes any wrong click a double; on the wrong one, an error
            // unless the right detector also clicked (then a double).
            let ap_err = 0.5 * (0.5 * c_w) + 0.5 * ((1.0 - c_r) + 0.5 * c_r);
            let err = (1.0 - a) * natural_err + a * ap_err;
            ExpectedRates { mean: i.mean, gain, qber: err / gain }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Intensity;

    #[test]
    fn gain_is_mqzl_and_qber_agrees_to_first_order() {
        let sys = System::gys();
        let source = Source::new(vec![Intensity { mean: 0.48, probability: 1.0 }], 0.5).unwrap();
        for d in [0.0, 25.0, 50.0, 100.0, 140.0] {
            let eta = sys.transmittance(d).unwrap();
            let r = expected_rates(&sys, &source, d).unwrap()[0];
            let (y0, mu) = (sys.y0(), 0.48);
            let q = y0 + (1.0 - y0) * -(-eta * mu).exp_m1();
            let eq = 0.5 * y0 + sys.misalignment * (1.0 - y0) * -(-eta * mu).exp_m1();
            // Identical algebra, different rounding.
            assert!((r.gain - q).abs() < 1e-12 * q, "gain at {d} km: {} vs {q}", r.gain);
            // Relative difference is O(ημ(1 − e_det)/2).
            let rel = (r.qber - eq / q).abs() / (eq / q);
            assert!(rel < eta * mu, "qber at {d} km: {} vs {} (rel {rel})", r.qber, eq / q);
        }
    }

    #[test]
    fn afterpulses_raise_gain_and_errors() {
        let mut sys = System::lim2014();
        let source = Source::no_decoy(0.5).unwrap();
        let with = expected_rates(&sys, &source, 50.0).unwrap()[0];
        sys.afterpulse = 0.0;
        let without = expected_rates(&sys, &source, 50.0).unwrap()[0];
        assert!(with.gain > without.gain * 1.03 && with.gain < without.gain * 1.05);
        assert!(with.qber > without.qber);
    }
}
