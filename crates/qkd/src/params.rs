//! Physical parameters of a QKD link: the system (fibre, detectors, misalignment) and the source (intensities,
//! basis bias), with the two published systems as presets.
//!
//! Notation follows the papers: α fibre attenuation (dB/km), η_Bob detector efficiency including Bob's optics,
//! p_dc dark-count probability per gate **per detector**, p_ap after-pulse probability, e_det misalignment error,
//! Y0 = 1 − (1 − p_dc)² the background yield of the two-detector receiver, f the error-correction efficiency.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, check_range};

/// A QKD system at no particular distance: fibre, receiver and classical efficiency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct System {
    /// Fibre attenuation α in dB/km.
    pub attenuation_db_per_km: f64,
    /// Fixed extra loss (connectors, Bob's optics beyond η_Bob) in dB.
    pub extra_loss_db: f64,
    /// Detector efficiency η_Bob ∈ (0, 1].
    pub detector_efficiency: f64,
    /// Dark-count probability per gate per detector, p_dc ∈ [0, 0.5).
    pub dark_count: f64,
    /// After-pulse probability p_ap ∈ [0, 1): chance that a click causes a spurious click in the next gate.
    pub afterpulse: f64,
    /// Misalignment error e_det ∈ [0, 0.5]: probability a photon reaches the wrong detector when bases match.
    pub misalignment: f64,
    /// Depolarising probability p ∈ [0, 1] of the channel, ρ → (1−p)ρ + p·I/2 (adds QBER p/2).
    pub depolarization: f64,
    /// Error-correction efficiency f ≥ 1 used by the key-rate formulas.
    pub ec_efficiency: f64,
    /// Pulse repetition rate in Hz (for rates per second).
    pub repetition_rate_hz: f64,
}

impl System {
    /// GYS: Gobby, Yuan, Shields, APL 84, 3762 (2004), as tabulated in MQZL (Ma, Qi, Zhao, Lo, PRA 72, 012326
    /// (2005)) Table I: α = 0.21 dB/km, η_Bob = 4.5 %, Y0 = 1.7×10⁻⁶, e_det = 3.3 %, f = 1.22, 2 MHz.
    ///
    /// Y0 is the two-detector background yield, so p_dc = 1 − √(1 − Y0) per detector.
    pub fn gys() -> Self {
        System {
            attenuation_db_per_km: 0.21,
            extra_loss_db: 0.0,
            detector_efficiency: 0.045,
            // p_dc = 1 − √(1 − Y0), in a form without cancellation.
            dark_count: 1.7e-6 / (1.0 + (1.0 - 1.7e-6f64).sqrt()),
            afterpulse: 0.0,
            misalignment: 0.033,
            depolarization: 0.0,
            ec_efficiency: 1.22,
            repetition_rate_hz: 2e6,
        }
    }

    /// The example system of Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014), Sec. IV: α = 0.2 dB/km,
    /// η_Bob = 10 %, p_dc = 6×10⁻⁷, p_ap = 4×10⁻², e_mis = 5×10⁻³, f_EC = 1.16. The paper gives no clock rate;
    /// 1 GHz (the order of their gigahertz-gated detectors) is used for rates per second.
    pub fn lim2014() -> Self {
        System {
            attenuation_db_per_km: 0.2,
            extra_loss_db: 0.0,
            detector_efficiency: 0.10,
            dark_count: 6e-7,
            afterpulse: 4e-2,
            misalignment: 5e-3,
            depolarization: 0.0,
            ec_efficiency: 1.16,
            repetition_rate_hz: 1e9,
        }
    }

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        check_range("attenuation_db_per_km", self.attenuation_db_per_km, 0.0, 10.0, "in [0, 10] dB/km")?;
        check_range("extra_loss_db", self.extra_loss_db, 0.0, 200.0, "in [0, 200] dB")?;
        check_range("detector_efficiency", self.detector_efficiency, f64::MIN_POSITIVE, 1.0, "in (0, 1]")?;
        check_range("dark_count", self.dark_count, 0.0, 0.499, "in [0, 0.5)")?;
        check_range("afterpulse", self.afterpulse, 0.0, 0.999, "in [0, 1)")?;
        check_range("misalignment", self.misalignment, 0.0, 0.5, "in [0, 0.5]")?;
        check_range("depolarization", self.depolarization, 0.0, 1.0, "in [0, 1]")?;
        check_range("ec_efficiency", self.ec_efficiency, 1.0, 10.0, "in [1, 10]")?;
        check_range(
            "repetition_rate_hz",
            self.repetition_rate_hz,
            f64::MIN_POSITIVE,
            1e12,
            "in (0, 1e12] Hz",
        )?;
        Ok(())
    }

    /// Background yield of the two-detector receiver, Y0 = 1 − (1 − p_dc)².
    pub fn y0(&self) -> f64 {
        // = 1 − (1 − p)², without cancellation.
        self.dark_count * (2.0 - self.dark_count)
    }

    /// Channel transmittance 10^(−(αL + extra)/10) at `distance_km`, excluding the detector.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite distance.
    pub fn channel_transmittance(&self, distance_km: f64) -> Result<f64> {
        check_range("distance_km", distance_km, 0.0, 1e5, "in [0, 100000] km")?;
        Ok(10f64.powf(-(self.attenuation_db_per_km * distance_km + self.extra_loss_db) / 10.0))
    }

    /// Overall transmittance η = η_Bob · 10^(−(αL + extra)/10) (MQZL Eq. 1, with the extra loss folded in).
    ///
    /// # Errors
    /// As [`System::channel_transmittance`].
    pub fn transmittance(&self, distance_km: f64) -> Result<f64> {
        Ok(self.detector_efficiency * self.channel_transmittance(distance_km)?)
    }
}

/// The named systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// [`System::gys`].
    Gys,
    /// [`System::lim2014`].
    Lim2014,
}

impl Preset {
    /// The preset's system.
    pub fn system(self) -> System {
        match self {
            Preset::Gys => System::gys(),
            Preset::Lim2014 => System::lim2014(),
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Gys => "gys",
            Preset::Lim2014 => "lim2014",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        [Preset::Gys, Preset::Lim2014]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::UnknownPreset { name: s.to_owned() })
    }
}

/// Which prepare-and-measure protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// BB84 (Bennett, Brassard 1984): two bases, X (key) and Z.
    #[default]
    Bb84,
    /// Six-state (Bruß, PRL 81, 3018 (1998)): three bases.
    SixState,
    /// B92 (Bennett, PRL 68, 3121 (1992)): two non-orthogonal states, conclusive results only.
    B92,
}

impl FromStr for Protocol {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "bb84" => Ok(Protocol::Bb84),
            "six-state" | "sixstate" | "6-state" => Ok(Protocol::SixState),
            "b92" => Ok(Protocol::B92),
            _ => Err(Error::Unsupported { detail: format!("unknown protocol {s:?} (bb84, six-state, b92)") }),
        }
    }
}

/// One intensity class of the source: mean photon number and the probability Alice picks it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Intensity {
    /// Mean photon number μ ≥ 0 (0 = vacuum decoy).
    pub mean: f64,
    /// Probability of choosing this intensity for a pulse.
    pub probability: f64,
}

/// The phase-randomised weak-coherent-pulse source: intensities (signal first) and basis bias.
///
/// Valid by construction: intensities strictly decreasing with the signal first and positive, probabilities
/// positive and summing to 1, q_x ∈ (0, 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    intensities: Vec<Intensity>,
    basis_bias: f64,
}

impl Source {
    /// Builds a source. `intensities[0]` is the signal; the rest are decoys in decreasing order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for μ ≤ 0, a negative decoy, a probability outside (0, 1] or q_x outside
    /// (0, 1); [`Error::DecoyOrder`] unless intensities strictly decrease; [`Error::ProbabilitySum`] unless the
    /// probabilities sum to 1 within 10⁻⁹; [`Error::Unsupported`] for no intensity or more than 8.
    pub fn new(intensities: Vec<Intensity>, basis_bias: f64) -> Result<Self> {
        if intensities.is_empty() || intensities.len() > 8 {
            return Err(Error::Unsupported {
                detail: format!("{} intensities (1 to 8 supported)", intensities.len()),
            });
        }
        check_range("mu", intensities[0].mean, f64::MIN_POSITIVE, 100.0, "in (0, 100]")?;
        for w in intensities.windows(2) {
            check_range("decoy intensity", w[1].mean, 0.0, 100.0, "in [0, 100]")?;
            if w[1].mean >= w[0].mean {
                return Err(Error::DecoyOrder {
                    detail: format!("intensity {} is not below {}", w[1].mean, w[0].mean),
                });
            }
        }
        for i in &intensities {
            check_range("intensity probability", i.probability, f64::MIN_POSITIVE, 1.0, "in (0, 1]")?;
        }
        let sum: f64 = intensities.iter().map(|i| i.probability).sum();
        if (sum - 1.0).abs() > 1e-9 {
            return Err(Error::ProbabilitySum { what: "intensity", sum });
        }
        check_range("basis_bias", basis_bias, f64::MIN_POSITIVE, 1.0 - f64::EPSILON, "in (0, 1)")?;
        Ok(Source { intensities, basis_bias })
    }

    /// The vacuum + weak decoy source of MQZL (Ma, Qi, Zhao, Lo 2005, Sec. V): signal μ, weak decoy ν and vacuum,
    /// chosen with `probabilities` (signal, decoy, vacuum), basis bias q_x.
    ///
    /// # Errors
    /// As [`Source::new`] (e.g. ν ≥ μ, ν ≤ 0, probabilities not summing to 1).
    pub fn vacuum_weak(mu: f64, nu: f64, probabilities: [f64; 3], basis_bias: f64) -> Result<Self> {
        if nu <= 0.0 {
            return Err(Error::DecoyOrder { detail: format!("weak decoy ν = {nu} must be positive") });
        }
        let [p_mu, p_nu, p_vac] = probabilities;
        Source::new(
            vec![
                Intensity { mean: mu, probability: p_mu },
                Intensity { mean: nu, probability: p_nu },
                Intensity { mean: 0.0, probability: p_vac },
            ],
            basis_bias,
        )
    }

    /// A single-intensity source (no decoys) with a symmetric basis choice.
    ///
    /// # Errors
    /// As [`Source::new`].
    pub fn no_decoy(mu: f64) -> Result<Self> {
        Source::new(vec![Intensity { mean: mu, probability: 1.0 }], 0.5)
    }

    /// The intensities, signal first.
    pub fn intensities(&self) -> &[Intensity] {
        &self.intensities
    }

    /// Probability q_x that Alice (and Bob) choose the X (key) basis.
    pub fn basis_bias(&self) -> f64 {
        self.basis_bias
    }

    /// The signal intensity μ.
    pub fn signal(&self) -> f64 {
        self.intensities[0].mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_reproduce_the_papers_numbers() {
        let gys = System::gys();
        gys.validate().unwrap();
        assert!((gys.y0() - 1.7e-6).abs() < 1e-20, "{}", gys.y0());
        // η at 0 km is η_Bob; α L = 21 dB at 100 km.
        assert!((gys.transmittance(0.0).unwrap() - 0.045).abs() < 1e-15);
        assert!((gys.transmittance(100.0).unwrap() - 0.045 * 10f64.powf(-2.1)).abs() < 1e-15);
        System::lim2014().validate().unwrap();
        assert_eq!("GYS".parse::<Preset>().unwrap(), Preset::Gys);
        assert!(matches!("bb84".parse::<Preset>(), Err(Error::UnknownPreset { .. })));
    }

    #[test]
    fn bad_systems_are_rejected_naming_the_field() {
        let mut s = System::gys();
        s.detector_efficiency = 1.5;
        assert!(matches!(s.validate(), Err(Error::InvalidParameter { name: "detector_efficiency", .. })));
        let mut s = System::gys();
        s.misalignment = f64::NAN;
        assert!(matches!(s.validate(), Err(Error::InvalidParameter { name: "misalignment", .. })));
        assert!(matches!(System::gys().transmittance(-1.0), Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn bad_sources_are_rejected() {
        let i = |mean, probability| Intensity { mean, probability };
        assert!(Source::new(vec![i(0.5, 0.8), i(0.1, 0.15), i(0.0, 0.05)], 0.5).is_ok());
        let cases = [
            Source::new(vec![i(0.0, 1.0)], 0.5),
            Source::new(vec![i(-0.5, 1.0)], 0.5),
            Source::new(vec![i(0.5, 0.5), i(0.6, 0.5)], 0.5),
            Source::new(vec![i(0.5, 0.5), i(0.5, 0.5)], 0.5),
            Source::new(vec![i(0.5, 0.5), i(0.1, 0.4)], 0.5),
            Source::new(vec![i(0.5, 1.0)], 1.0),
            Source::new(vec![i(0.5, 1.0)], f64::NAN),
            Source::new(vec![], 0.5),
        ];
        for c in cases {
            assert!(c.is_err(), "{c:?}");
        }
        assert!(matches!(
            Source::new(vec![i(0.5, 0.5), i(0.1, 0.4)], 0.5),
            Err(Error::ProbabilitySum { .. })
        ));
        assert!(matches!(Source::new(vec![i(0.5, 0.5), i(0.6, 0.5)], 0.5), Err(Error::DecoyOrder { .. })));
        let vw = Source::vacuum_weak(0.48, 0.05, [0.8, 0.15, 0.05], 0.5).unwrap();
        assert_eq!(vw, Source::new(vec![i(0.48, 0.8), i(0.05, 0.15), i(0.0, 0.05)], 0.5).unwrap());
        assert!(matches!(
            Source::vacuum_weak(0.48, 0.0, [0.8, 0.15, 0.05], 0.5),
            Err(Error::DecoyOrder { .. })
        ));
        assert!(matches!(
            Source::vacuum_weak(0.48, 0.6, [0.8, 0.15, 0.05], 0.5),
            Err(Error::DecoyOrder { .. })
        ));
    }
}
