//! The secret key length after reconciliation: how many bits privacy amplification may output, given the
//! parameter estimates and the information **actually** disclosed (Cascade parities plus the verification tag).
//!
//! * [`KeyLengthMode::Finite`] (default) — Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014), Eq. 1:
//!   ℓ = ⌊ s_X,0 + s_X,1 − s_X,1·h(φ_X) − λ_EC − 6 log2(21/ε_sec) − log2(2/ε_cor) ⌋, with s_X,0, s_X,1 (Eqs. 2–3)
//!   from the per-intensity counts of the raw-key bits and φ_X (Eqs. 4–5) from the fully disclosed Z basis.
//!   λ_EC is the leakage the run measured, *including* the verification tag, so the tag is charged on top of the
//!   log2(2/ε_cor) term of Eq. 1 (conservative by ≈ 50 bits). Needs three intensities μ1 > μ2 + μ3, μ2 > μ3 ≥ 0
//!   (the vacuum + weak source qualifies with μ3 = 0) and the key drawn from the X basis of every intensity; BB84
//!   only.
//! * [`KeyLengthMode::Asymptotic`] — infinite-size formulas on the measured data, no statistical corrections:
//!   GLLP + decoy (MQZL Eq. 1; Lo, Ma, Chen PRL 94, 230504 (2005)): ℓ = ⌊ n·(Q1/Q_μ)(1 − h(e1)) − λ_EC ⌋ with the
//!   vacuum + weak bounds Q1^L and e1^U (MQZL Eqs. 34, 37); without decoys GLLP with Δ = P_multi/Q_μ:
//!   ℓ = ⌊ n·(1 − Δ)(1 − h(E_μ/(1 − Δ))) − λ_EC ⌋; three positive intensities: Lim Eq. 1 without its ε terms.
//!
//! A non-positive or non-finite length is never returned: the step aborts with the reason.

use serde::{Deserialize, Serialize};

use super::estimate::{DecoyMethod, Estimates, EstimationConfig};
use super::sift::{Alice, Disclosure, Sifted, check_positions, protocol_err};
use crate::decoy::{BasisCounts, ThreeIntensity, lim2014};
use crate::error::{AbortReason, Error, Result};
use crate::params::{Protocol, Source};
use crate::theory::h2;

/// How the secret key length is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyLengthMode {
    /// Lim et al. 2014 Eq. 1 with finite-size (Hoeffding) corrections and the ε_sec, ε_cor of the configuration.
    #[default]
    Finite,
    /// Infinite-size formulas (GLLP / MQZL decoy) evaluated on the measured data.
    Asymptotic,
}

impl KeyLengthMode {
    /// Whether the raw key, under this mode, takes the key-basis bits of every intensity (the finite-key protocol
    /// of Lim 2014) rather than the signal's only (MQZL).
    pub fn key_all_intensities(self, source: &Source) -> bool {
        DecoyMethod::for_source(source).key_all_intensities()
            || (self == KeyLengthMode::Finite && lim_applicable(source))
    }
}

/// Whether Lim 2014's three-intensity analysis applies: μ1 > μ2 + μ3 and μ2 > μ3 ≥ 0.
fn lim_applicable(source: &Source) -> bool {
    matches!(source.intensities(), [a, b, c] if a.mean > b.mean + c.mean && b.mean > c.mean && c.mean >= 0.0)
}

/// Information about the key disclosed after sifting, in bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Leakage {
    /// Parities (or syndrome bits) disclosed by error correction.
    pub ec_bits: u64,
    /// Bits of the verification hash (correctness check).
    pub verification_bits: u64,
}

impl Leakage {
    /// All disclosed bits: λ_EC of Lim 2014 Eq. 1 as measured.
    pub fn total(&self) -> u64 {
        self.ec_bits + self.verification_bits
    }
}

/// The computed key length with its terms (the report's `key_length` object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyLength {
    /// Which formula.
    pub mode: KeyLengthMode,
    /// Raw-key bits going into privacy amplification (n).
    pub input_bits: u64,
    /// The secret key length ℓ (> 0).
    pub secret_bits: u64,
    /// Lower bound on raw-key bits from vacuum pulses (s_X,0; 0 where the formula has no such term).
    pub vacuum_bits: f64,
    /// Lower bound on raw-key bits from single photons (s_X,1, or n·Q1/Q_μ).
    pub single_photon_bits: f64,
    /// Upper bound on their phase-error rate (φ_X, or e1^U).
    pub phase_error: f64,
    /// λ_EC as disclosed (parities + verification tag).
    pub leaked_bits: u64,
    /// The finite-size security terms 6 log2(21/ε_sec) + log2(2/ε_cor) (0 in asymptotic mode).
    pub security_bits: f64,
}

impl Alice {
    /// Computes the secret key length from the estimates and the leakage actually disclosed. Alice announces the
    /// result to Bob with the privacy-amplification seed.
    ///
    /// # Errors
    /// [`Error::Aborted`] with [`AbortReason::NoPositiveKeyLength`] if the formula gives ℓ ≤ 0 (or no finite
    /// value), or if the estimates already aborted; [`Error::Unsupported`] for finite mode with a source or
    /// protocol Lim 2014 does not cover (use asymptotic mode); [`Error::Protocol`] before sifting or with a
    /// malformed disclosure.
    pub fn key_length(
        &self,
        disclosure: &Disclosure,
        estimates: &Estimates,
        leakage: Leakage,
        config: &EstimationConfig,
    ) -> Result<KeyLength> {
        let sifted = self.sifted.as_ref().ok_or_else(|| protocol_err("key length before sifting".into()))?;
        check_positions(&disclosure.positions, sifted.bits.len())?;
        if disclosure.bits.len() != disclosure.positions.len() {
            return Err(protocol_err("disclosure has a different number of bits and positions".into()));
        }
        let mode = config.key_length;
        if mode == KeyLengthMode::Finite && (self.protocol() != Protocol::Bb84 || !sifted.key_all_intensities)
        {
            return Err(Error::Unsupported {
                detail: "the finite-key length (Lim et al. 2014) covers BB84 with three intensities \
                         μ1 > μ2 + μ3, μ2 > μ3 ≥ 0 (e.g. signal, weak decoy, vacuum); use the asymptotic \
                         mode for other sources and protocols"
                    .into(),
            });
        }
        if let Some(reason) = &estimates.abort {
            return Err(Error::Aborted(reason.clone()));
        }
        let counts = Counts::new(sifted, disclosure, self.source().intensities().len());
        let n = counts.key_bits.iter().sum::<u64>();
        let leaked = leakage.total();
        let (vacuum, single, phase, security) = match mode {
            KeyLengthMode::Finite => {
                let b = lim2014(&self.three_intensity()?, &counts.x(), &counts.z(), config.eps_sec)?;
                let security = 6.0 * (21.0 / config.eps_sec).log2() + (2.0 / config.eps_cor).log2();
                (b.s_x0, b.s_x1, b.phi_x, security)
            }
            KeyLengthMode::Asymptotic => self.asymptotic_terms(sifted, &counts, estimates, n)?,
        };
        let ell = vacuum + single * (1.0 - h2(phase)) - leaked as f64 - security;
        if !ell.is_finite() || ell < 1.0 {
            return Err(Error::Aborted(AbortReason::NoPositiveKeyLength {
                detail: format!(
                    "{mode:?} key length {ell:.0} bits: vacuum {vacuum:.0} + single-photon {single:.0} × \
                     (1 − h({phase:.4})) − leaked {leaked} − security {security:.0}"
                ),
            }));
        }
        Ok(KeyLength {
            mode,
            input_bits: n,
            // Never more than the raw key (the bounds cannot exceed it, but floor the float safely).
            secret_bits: (ell.floor() as u64).min(n),
            vacuum_bits: vacuum,
            single_photon_bits: single,
            phase_error: phase,
            leaked_bits: leaked,
            security_bits: security,
        })
    }

    fn three_intensity(&self) -> Result<ThreeIntensity> {
        let i = self.source().intensities();
        ThreeIntensity::new(
            [i[0].mean, i[1].mean, i[2].mean],
            [i[0].probability, i[1].probability, i[2].probability],
        )
    }

    /// (vacuum, single-photon bits, phase error, 0) of the asymptotic formulas.
    fn asymptotic_terms(
        &self,
        sifted: &Sifted,
        counts: &Counts,
        estimates: &Estimates,
        n: u64,
    ) -> Result<(f64, f64, f64, f64)> {
        let signal = estimates.signal();
        let no_estimate =
            || Error::Aborted(AbortReason::InsufficientStatistics { detail: "no signal error rate".into() });
        let e_mu = signal.qber.ok_or_else(no_estimate)?;
        if sifted.key_all_intensities {
            // Three positive intensities: Lim's bounds, taken without their ε terms at ε_sec → 1.
            let b = lim2014(&self.three_intensity()?, &counts.x(), &counts.z(), 1.0 - 1e-9)?;
            return Ok((b.s_x0, b.s_x1, b.phi_x, 0.0));
        }
        match &estimates.decoy {
            Some(d) if signal.gain > 0.0 => Ok((0.0, n as f64 * d.q1_lower / signal.gain, d.e1_upper, 0.0)),
            _ => {
                let mu = signal.mean;
                let delta = (1.0 - (1.0 + mu) * (-mu).exp()) / signal.gain;
                if !(signal.gain > 0.0 && delta < 1.0) {
                    return Err(Error::Aborted(AbortReason::NoPositiveKeyLength {
                        detail: "every detection may come from a multi-photon pulse (GLLP Δ ≥ 1)".into(),
                    }));
                }
                Ok((0.0, n as f64 * (1.0 - delta), (e_mu / (1.0 - delta)).min(0.5), 0.0))
            }
        }
    }
}

/// Per-intensity counts of the raw-key bits (X basis, undisclosed) and of the Z basis (disclosed).
struct Counts {
    key_bits: Vec<u64>,
    z_detections: Vec<u64>,
    z_errors: Vec<u64>,
}

impl Counts {
    /// `disclosure` must have passed [`check_positions`] and hold one bit per position.
    fn new(sifted: &Sifted, disclosure: &Disclosure, intensities: usize) -> Counts {
        let mut c = Counts {
            key_bits: vec![0; intensities],
            z_detections: vec![0; intensities],
            z_errors: vec![0; intensities],
        };
        let mut d = disclosure.positions.iter().enumerate().peekable();
        for i in 0..sifted.bits.len() {
            let k = sifted.intensity(i).min(intensities.saturating_sub(1));
            let disclosed = d.next_if(|&(_, &p)| p as usize == i).map(|(j, _)| j);
            match disclosed {
                None if sifted.is_key_candidate(i) => c.key_bits[k] += 1,
                Some(j) if sifted.basis_code(i) != 0 => {
                    c.z_detections[k] += 1;
                    c.z_errors[k] += u64::from(sifted.bits.get(i) != disclosure.bits.get(j));
                }
                _ => {}
            }
        }
        c
    }

    fn x(&self) -> BasisCounts {
        let f = |v: &[u64], k: usize| v.get(k).copied().unwrap_or(0) as f64;
        BasisCounts { detections: std::array::from_fn(|k| f(&self.key_bits, k)), errors: [0.0; 3] }
    }

    fn z(&self) -> BasisCounts {
        let f = |v: &[u64], k: usize| v.get(k).copied().unwrap_or(0) as f64;
        BasisCounts {
            detections: std::array::from_fn(|k| f(&self.z_detections, k)),
            errors: std::array::from_fn(|k| f(&self.z_errors, k)),
        }
    }
}
