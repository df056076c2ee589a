//! Asymptotic (infinitely long key) rates of weak-coherent-pulse BB84 per sent pulse.
//!
//! Channel and detection model of MQZL (Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005)) Sec. II, with η the overall
//! transmittance (fibre × η_Bob), Y0 the background yield, e0 = ½ and e_d the misalignment:
//!
//! * Y_n = Y0 + η_n − Y0·η_n, η_n = 1 − (1 − η)ⁿ; single photons Y1 = Y0 + η − Y0·η,
//!   e1 = (e0·Y0 + e_d·η)/Y1, Q1 = Y1·μe^(−μ);
//! * Q_μ = Y0 + (1 − Y0)(1 − e^(−ημ)), E_μ·Q_μ = e0·Y0 + e_d·(1 − Y0)(1 − e^(−ημ)).
//!
//! A depolarising channel ρ → (1 − p)ρ + p·I/2 enters as the effective misalignment e_d = (1 − p)·e_det + p/2.
//! After-pulses (probability p_ap, zero in the GYS preset) enter [`gain`] and [`qber`] to first order as in
//! Lim et al., PRA 89, 022307 (2014) Sec. IV: Q → Q·(1 + p_ap), with the after-pulse clicks random (error ½);
//! Y1 and e1 are the single-photon quantities without them.
//!
//! Key rate per pulse (GLLP, with decoys as in MQZL Eq. 1): R = q·{−Q_μ·f·H2(E_μ) + Q1·[1 − H2(e1)]}, q = ½.

use serde::Serialize;

use super::h2;
use super::optimize::{golden_max, max_distance};
use crate::decoy::{E0, VacuumWeakObservations};
use crate::error::{Error, Result, check_range};
use crate::params::System;

/// Sifting factor q of BB84 with a symmetric basis choice: half the detections survive sifting.
pub const SIFT_FACTOR: f64 = 0.5;

/// Largest distance the maximum-distance search considers, in km.
const SEARCH_LIMIT_KM: f64 = 5000.0;

fn check_eta(eta: f64) -> Result<f64> {
    check_range("transmittance", eta, 0.0, 1.0, "in [0, 1]")
}

fn check_mu(mu: f64) -> Result<f64> {
    check_range("mu", mu, 0.0, 100.0, "in [0, 100]")
}

/// Misalignment including the depolarising channel: (1 − p)·e_det + p/2.
fn misalignment(system: &System) -> f64 {
    (1.0 - system.depolarization) * system.misalignment + 0.5 * system.depolarization
}

/// Gain without after-pulses, Y0 + (1 − Y0)(1 − e^(−ημ)), and its signal part (1 − Y0)(1 − e^(−ημ)).
fn gain_parts(system: &System, eta: f64, mu: f64) -> Result<(f64, f64)> {
    let (eta, mu) = (check_eta(eta)?, check_mu(mu)?);
    let y0 = system.y0();
    let signal = (1.0 - y0) * -(-eta * mu).exp_m1();
    Ok((y0 + signal, signal))
}

/// Gain Q_μ = [Y0 + (1 − Y0)(1 − e^(−ημ))]·(1 + p_ap): probability that a pulse of intensity μ gives a
/// detection (MQZL Sec. II; after-pulse factor as in Lim 2014 Sec. IV, 1 for GYS).
///
/// # Errors
/// [`Error::InvalidParameter`] for η outside [0, 1] or μ outside [0, 100].
pub fn gain(system: &System, eta: f64, mu: f64) -> Result<f64> {
    Ok(gain_parts(system, eta, mu)?.0 * (1.0 + system.afterpulse))
}

/// Quantum bit error rate E_μ = [e0·Y0 + e_d·(1 − Y0)(1 − e^(−ημ)) + p_ap·Q⁰_μ/2]/Q_μ (MQZL Sec. II, with
/// Q⁰_μ the gain without after-pulses); ½ when the gain is 0.
///
/// # Errors
/// As [`gain`].
pub fn qber(system: &System, eta: f64, mu: f64) -> Result<f64> {
    let (q0, signal) = gain_parts(system, eta, mu)?;
    let q = q0 * (1.0 + system.afterpulse);
    let errors = E0 * system.y0() + misalignment(system) * signal + E0 * system.afterpulse * q0;
    Ok(if q > 0.0 { errors / q } else { E0 })
}

/// Single-photon yield Y1 = Y0 + η − Y0·η (MQZL Sec. II, Y_n with n = 1).
///
/// # Errors
/// [`Error::InvalidParameter`] for η outside [0, 1].
pub fn y1(system: &System, eta: f64) -> Result<f64> {
    let eta = check_eta(eta)?;
    let y0 = system.y0();
    Ok(y0 + eta - y0 * eta)
}

/// Single-photon error rate e1 = (e0·Y0 + e_d·η)/Y1 (MQZL Sec. II); ½ when Y1 = 0.
///
/// # Errors
/// As [`y1`].
pub fn e1(system: &System, eta: f64) -> Result<f64> {
    let y = y1(system, eta)?;
    Ok(if y > 0.0 { (E0 * system.y0() + misalignment(system) * eta) / y } else { E0 })
}

/// Single-photon gain Q1 = Y1·μe^(−μ) (MQZL Sec. II).
///
/// # Errors
/// As [`gain`].
pub fn q1(system: &System, eta: f64, mu: f64) -> Result<f64> {
    let mu = check_mu(mu)?;
    Ok(y1(system, eta)? * mu * (-mu).exp())
}

/// The small-η optimal signal intensity of MQZL Eq. 12, the root μ ∈ (0, 1) of
/// (1 − μ)e^(−μ) = f·H2(e_det)/(1 − H2(e_det)) (from ∂R/∂μ = 0 with infinite decoys and Y0 → 0).
///
/// # Errors
/// [`Error::InvalidParameter`] for an invalid system; [`Error::NoSolution`] when f·H2(e_d) ≥ 1 − H2(e_d)
/// (misalignment too high for any key).
pub fn optimal_mu_small_eta(system: &System) -> Result<f64> {
    system.validate()?;
    let h = h2(misalignment(system));
    let rhs = system.ec_efficiency * h / (1.0 - h);
    if rhs.is_nan() || rhs >= 1.0 {
        return Err(Error::NoSolution {
            detail: format!("(1 − μ)e^(−μ) = {rhs:.4} has no root in (0, 1): misalignment too high"),
        });
    }
    // (1 − μ)e^(−μ) decreases from 1 to 0 on [0, 1]: bisection.
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if (1.0 - mid) * (-mid).exp() > rhs {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// Which asymptotic key-rate formula.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "scheme", rename_all = "kebab-case")]
pub enum Scheme {
    /// No decoys: GLLP, all multi-photon pulses assumed insecure (GLLP; MQZL Sec. V):
    /// Δ = P_multi/Q_μ, P_multi = 1 − (1 + μ)e^(−μ),
    /// R = q·Q_μ·{−f·H2(E_μ) + (1 − Δ)[1 − H2(E_μ/(1 − Δ))]}.
    /// `mu = None` maximises R over μ at each transmittance.
    NoDecoy {
        /// Signal intensity, or `None` to optimise it per point.
        mu: Option<f64>,
    },
    /// Infinitely many decoys: the true Y1 and e1 enter R (MQZL Eq. 1).
    InfiniteDecoy {
        /// Signal intensity μ.
        mu: f64,
    },
    /// One weak decoy ν and the vacuum: Y1 ≥ Y1^L (MQZL Eq. 34), e1 ≤ e1^U (Eq. 37), evaluated on the
    /// expected Q_μ, Q_ν, E_ν and Y0.
    VacuumWeak {
        /// Signal intensity μ.
        mu: f64,
        /// Weak decoy intensity ν < μ.
        nu: f64,
    },
}

/// A validated system and scheme: the asymptotic key rate as a function of distance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Asymptotic {
    system: System,
    scheme: Scheme,
}

impl Asymptotic {
    /// Checks the system and the scheme's intensities.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid system or μ, ν outside (0, 100];
    /// [`Error::DecoyOrder`] unless ν < μ.
    pub fn new(system: System, scheme: Scheme) -> Result<Self> {
        system.validate()?;
        let positive = |name, v| check_range(name, v, f64::MIN_POSITIVE, 100.0, "in (0, 100]");
        match scheme {
            Scheme::NoDecoy { mu: None } => {}
            Scheme::NoDecoy { mu: Some(mu) } | Scheme::InfiniteDecoy { mu } => {
                positive("mu", mu)?;
            }
            Scheme::VacuumWeak { mu, nu } => {
                positive("mu", mu)?;
                positive("nu", nu)?;
                if nu >= mu {
                    return Err(Error::DecoyOrder {
                        detail: format!("weak decoy nu = {nu} is not below mu = {mu}"),
                    });
                }
            }
        }
        Ok(Asymptotic { system, scheme })
    }

    /// The system.
    pub fn system(&self) -> &System {
        &self.system
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The key rate per pulse at overall transmittance η, before flooring at 0 (negative: no key).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for η outside [0, 1].
    pub fn signed_rate_at_transmittance(&self, eta: f64) -> Result<f64> {
        let sys = &self.system;
        let f = sys.ec_efficiency;
        match self.scheme {
            Scheme::NoDecoy { mu: Some(mu) } => gllp_rate(sys, eta, mu),
            Scheme::NoDecoy { mu: None } => Ok(gllp_optimal_mu(sys, eta)?.1),
            Scheme::InfiniteDecoy { mu } => {
                let (q, e) = (gain(sys, eta, mu)?, qber(sys, eta, mu)?);
                let single = q1(sys, eta, mu)? * (1.0 - h2(e1(sys, eta)?.min(0.5)));
                Ok(SIFT_FACTOR * (single - q * f * h2(e)))
            }
            Scheme::VacuumWeak { mu, nu } => {
                let (q, e) = (gain(sys, eta, mu)?, qber(sys, eta, mu)?);
                let b = VacuumWeakObservations {
                    mu,
                    nu,
                    gain_mu: q,
                    gain_nu: gain(sys, eta, nu)?,
                    qber_nu: qber(sys, eta, nu)?,
                    y0: sys.y0(),
                }
                .bounds()?;
                let single = b.q1_lower * (1.0 - h2(b.e1_upper.min(0.5)));
                Ok(SIFT_FACTOR * (single - q * f * h2(e)))
            }
        }
    }

    /// The key rate per pulse at `distance_km`, before flooring at 0.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite distance.
    pub fn signed_rate(&self, distance_km: f64) -> Result<f64> {
        self.signed_rate_at_transmittance(self.system.transmittance(distance_km)?)
    }

    /// The secret key rate per pulse at `distance_km`, max(R, 0).
    ///
    /// # Errors
    /// As [`Asymptotic::signed_rate`].
    pub fn key_rate(&self, distance_km: f64) -> Result<f64> {
        Ok(self.signed_rate(distance_km)?.max(0.0))
    }

    /// The distance where the key rate reaches zero, to 10⁻⁶ km.
    ///
    /// # Errors
    /// [`Error::NoSolution`] if there is no key at 0 km or still a key at 5000 km.
    pub fn max_distance(&self) -> Result<f64> {
        max_distance(|d| self.signed_rate(d), 50.0, SEARCH_LIMIT_KM, 1e-6)
    }
}

/// GLLP key rate per pulse without decoys at a fixed μ (see [`Scheme::NoDecoy`]).
fn gllp_rate(system: &System, eta: f64, mu: f64) -> Result<f64> {
    let (q, e) = (gain(system, eta, mu)?, qber(system, eta, mu)?);
    let p_multi = -(-mu).exp_m1() - mu * (-mu).exp();
    let delta = if q > 0.0 { p_multi / q } else { 1.0 };
    let secure = if delta < 1.0 { (1.0 - delta) * (1.0 - h2((e / (1.0 - delta)).min(0.5))) } else { 0.0 };
    Ok(SIFT_FACTOR * q * (secure - system.ec_efficiency * h2(e)))
}

/// The μ that maximises the GLLP no-decoy rate at transmittance η, and that rate (before flooring at 0).
///
/// A 60-point scan of log10 μ ∈ [−7, 0] followed by a golden-section search around the best point.
///
/// # Errors
/// [`Error::InvalidParameter`] for η outside [0, 1].
pub fn gllp_optimal_mu(system: &System, eta: f64) -> Result<(f64, f64)> {
    check_eta(eta)?;
    // η and μ are validated, so the rate below cannot fail; NEG_INFINITY keeps the search total anyway.
    let rate = |log_mu: f64| gllp_rate(system, eta, 10f64.powf(log_mu)).unwrap_or(f64::NEG_INFINITY);
    const N: i32 = 60;
    let grid = |i: i32| -7.0 + 7.0 * f64::from(i) / f64::from(N);
    let best = (0..=N).map(|i| (i, rate(grid(i)))).max_by(|a, b| a.1.total_cmp(&b.1)).map_or(0, |b| b.0);
    let (log_mu, r) = golden_max(rate, grid((best - 1).max(0)), grid((best + 1).min(N)), 1e-9);
    Ok((10f64.powf(log_mu), r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_and_qber_limits() {
        let s = System::gys();
        assert!((gain(&s, 0.0, 0.5).unwrap() - s.y0()).abs() < 1e-20);
        assert!((qber(&s, 0.0, 0.5).unwrap() - 0.5).abs() < 1e-12);
        // Bright, lossless: QBER → e_det.
        assert!((qber(&s, 1.0, 50.0).unwrap() - 0.033).abs() < 1e-5);
        assert!(gain(&s, 1.5, 0.5).is_err());
        assert!(gain(&s, 0.1, -0.5).is_err());
        assert!(e1(&s, f64::NAN).is_err());
    }

    #[test]
    fn afterpulses_add_random_clicks() {
        let s = System::lim2014();
        let (eta, mu) = (s.transmittance(0.0).unwrap(), 0.5);
        // Lim 2014 Sec. IV: R_k = D_k(1 + p_ap), e_k = p_dc + e_mis(1 − e^(−η k)) + p_ap D_k/2, Y0 ≈ 2 p_dc.
        let d = 1.0 - (1.0 - 2.0 * s.dark_count) * (-eta * mu).exp();
        let e_k = s.dark_count + s.misalignment * -(-eta * mu).exp_m1() + s.afterpulse * d / 2.0;
        assert!((gain(&s, eta, mu).unwrap() / (d * 1.04) - 1.0).abs() < 1e-6);
        assert!((qber(&s, eta, mu).unwrap() / (e_k / (d * 1.04)) - 1.0).abs() < 1e-4);
    }

    #[test]
    fn depolarisation_adds_half_its_probability_to_the_error_rate() {
        let mut s = System::gys();
        s.misalignment = 0.0;
        s.depolarization = 0.1;
        assert!((qber(&s, 1.0, 50.0).unwrap() - 0.05).abs() < 1e-5);
    }

    #[test]
    fn scheme_validation() {
        let s = System::gys();
        assert!(Asymptotic::new(s, Scheme::InfiniteDecoy { mu: 0.0 }).is_err());
        assert!(matches!(
            Asymptotic::new(s, Scheme::VacuumWeak { mu: 0.48, nu: 0.48 }),
            Err(Error::DecoyOrder { .. })
        ));
        assert!(Asymptotic::new(s, Scheme::NoDecoy { mu: Some(f64::NAN) }).is_err());
        let a = Asymptotic::new(s, Scheme::InfiniteDecoy { mu: 0.48 }).unwrap();
        assert!(a.key_rate(-1.0).is_err());
    }
}
