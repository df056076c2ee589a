//! Eavesdroppers. An [`Eavesdropper`] sits at Alice's output and acts on each pulse's photons; users add their
//! own by implementing the trait.
//!
//! The three built in:
//! - [`InterceptResend`]: measures a fraction of pulses in a random basis and resends one photon in the state
//!   found (Bennett, Brassard 1984): BB84 QBER p/4 for fraction p, six-state p/3.
//! - [`PhotonNumberSplitting`]: non-demolition photon counting; keeps one photon of every multi-photon pulse it
//!   forwards (over a lossless channel), blocks single photons as far as needed to keep the signal gain at its
//!   honest value (Brassard, Lütkenhaus, Mor, Sanders, PRL 85, 1330 (2000)). Invisible in gain and QBER of
//!   the signal; decoy states expose it (Hwang, PRL 91, 057901 (2003); Lo, Ma, Chen, PRL 94, 230504 (2005)).
//! - [`BeamSplitting`]: replaces the fibre by a lossless one and a beam splitter of the fibre's transmittance,
//!   keeping the reflected photons: Bob's statistics are exactly the honest ones.

use std::fmt;

use rand::{Rng, RngExt};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result, check_range};
use crate::params::Protocol;
use crate::state::{Basis, State, basis_count};

/// The random-number generator the simulator hands to eavesdroppers.
pub type SimRng = ChaCha8Rng;

/// What an eavesdropper knows about the link it attacks.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkContext {
    /// The protocol.
    pub protocol: Protocol,
    /// Fibre (plus extra loss) transmittance, without the detector.
    pub channel_transmittance: f64,
    /// Bob's detector efficiency η_Bob.
    pub detector_efficiency: f64,
    /// Dark-count probability per detector per gate.
    pub dark_count: f64,
    /// The source's intensities, signal first.
    pub intensities: Vec<f64>,
}

impl LinkContext {
    /// Overall photon transmittance of the honest link, η = η_ch·η_Bob.
    pub fn transmittance(&self) -> f64 {
        self.channel_transmittance * self.detector_efficiency
    }
}

/// One pulse as Alice prepared it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pulse {
    /// Index of the intensity class (0 = signal).
    pub intensity: usize,
    /// Photon number.
    pub photons: u32,
    /// The polarisation state.
    pub state: State,
}

/// What leaves the eavesdropper towards Bob's detectors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// Photons sent on.
    pub photons: u32,
    /// Their state.
    pub state: State,
    /// Probability that each of them is detected by Bob (channel after Eve, and detector efficiency).
    pub transmittance: f64,
    /// Eve's guess of the bit after the public basis announcement, if she has one.
    pub eve_bit: Option<bool>,
}

impl Arrival {
    /// The pulse passed on untouched through the honest link.
    pub fn honest(pulse: &Pulse, ctx: &LinkContext) -> Self {
        Arrival {
            photons: pulse.photons,
            state: pulse.state,
            transmittance: ctx.transmittance(),
            eve_bit: None,
        }
    }
}

/// An attack on the quantum channel.
pub trait Eavesdropper: Send + Sync + fmt::Debug {
    /// A short name for reports.
    fn name(&self) -> String;

    /// Called once before a run, with the link attacked (e.g. to tune blocking to the expected gain).
    ///
    /// # Errors
    /// If the attack cannot be mounted on this link.
    fn prepare(&mut self, ctx: &LinkContext) -> Result<()> {
        let _ = ctx;
        Ok(())
    }

    /// Acts on one pulse.
    fn intercept(&self, pulse: &Pulse, ctx: &LinkContext, rng: &mut SimRng) -> Arrival;
}

/// Intercept-resend on a fraction of pulses, in a basis chosen uniformly at random.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InterceptResend {
    fraction: f64,
}

impl InterceptResend {
    /// Attacks each pulse with probability `fraction`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `fraction` ∈ [0, 1].
    pub fn new(fraction: f64) -> Result<Self> {
        Ok(InterceptResend { fraction: check_range("intercept fraction", fraction, 0.0, 1.0, "in [0, 1]")? })
    }
}

impl Eavesdropper for InterceptResend {
    fn name(&self) -> String {
        format!("intercept-resend={}", self.fraction)
    }

    fn intercept(&self, pulse: &Pulse, ctx: &LinkContext, rng: &mut SimRng) -> Arrival {
        if pulse.photons == 0 || !rng.random_bool(self.fraction) {
            return Arrival::honest(pulse, ctx);
        }
        let basis = match rng.random_range(0..basis_count(ctx.protocol)) {
            0 => Basis::X,
            1 => Basis::Z,
            _ => Basis::Y,
        };
        // Eve's ideal detector sees at least one photon; a mismatched basis gives a random outcome.
        let value = if basis == pulse.state.basis { pulse.state.value } else { rng.random_bool(0.5) };
        let found = State { basis, value };
        // Her guess of the key bit: the value she found (B92 key bits are not basis eigenvalues: no guess).
        let eve_bit = match ctx.protocol {
            Protocol::B92 => None,
            _ => Some(value),
        };
        Arrival { photons: 1, state: found, transmittance: ctx.transmittance(), eve_bit }
    }
}

/// Photon-number splitting tuned to keep the signal gain at its honest value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PhotonNumberSplitting {
    /// Probability of forwarding a multi-photon pulse (n − 1 photons, lossless).
    forward_multi: f64,
    /// Probability of forwarding a single photon (lossless).
    forward_single: f64,
}

impl PhotonNumberSplitting {
    /// An attack to be tuned by [`Eavesdropper::prepare`].
    pub fn new() -> Self {
        PhotonNumberSplitting::default()
    }
}

impl Eavesdropper for PhotonNumberSplitting {
    fn name(&self) -> String {
        "pns".to_owned()
    }

    fn prepare(&mut self, ctx: &LinkContext) -> Result<()> {
        let mu =
            *ctx.intensities.first().ok_or_else(|| Error::Unsupported { detail: "no intensity".into() })?;
        let eta_b = ctx.detector_efficiency;
        // Honest photon-induced detection probability of a signal pulse: 1 − e^(−ημ).
        let target = -(-ctx.transmittance() * mu).exp_m1();
        // Detection probability from forwarding all multi-photon pulses' n − 1 photons losslessly.
        let poisson = |n: u32| (-mu).exp() * mu.powi(n as i32) / (1..=n).map(f64::from).product::<f64>();
        let multi: f64 = (2..60).map(|n| poisson(n) * (1.0 - (1.0 - eta_b).powi(n as i32 - 1))).sum();
        if target <= multi {
            *self = PhotonNumberSplitting { forward_multi: target / multi, forward_single: 0.0 };
        } else {
            let single = ((target - multi) / (poisson(1) * eta_b)).min(1.0);
            *self = PhotonNumberSplitting { forward_multi: 1.0, forward_single: single };
        }
        Ok(())
    }

    fn intercept(&self, pulse: &Pulse, ctx: &LinkContext, rng: &mut SimRng) -> Arrival {
        let lossless = |photons, eve_bit| Arrival {
            photons,
            state: pulse.state,
            transmittance: ctx.detector_efficiency,
            eve_bit,
        };
        let blocked = Arrival { photons: 0, state: pulse.state, transmittance: 0.0, eve_bit: None };
        match pulse.photons {
            0 => Arrival::honest(pulse, ctx),
            1 if rng.random_bool(self.forward_single) => lossless(1, None),
            1 => blocked,
            n if rng.random_bool(self.forward_multi) => {
                // She keeps one photon and measures it once the basis is announced.
                let bit = match ctx.protocol {
                    Protocol::B92 => pulse.state.basis == Basis::X,
                    _ => pulse.state.value,
                };
                lossless(n - 1, Some(bit))
            }
            _ => blocked,
        }
    }
}

/// Beam-splitting attack: a lossless fibre and a beam splitter of the honest channel transmittance.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BeamSplitting;

impl Eavesdropper for BeamSplitting {
    fn name(&self) -> String {
        "beam-splitting".to_owned()
    }

    fn intercept(&self, pulse: &Pulse, ctx: &LinkContext, rng: &mut SimRng) -> Arrival {
        let mut to_bob = 0;
        for _ in 0..pulse.photons {
            to_bob += u32::from(rng.random_bool(ctx.channel_transmittance));
        }
        let kept = pulse.photons - to_bob;
        let bit = match ctx.protocol {
            Protocol::B92 => pulse.state.basis == Basis::X,
            _ => pulse.state.value,
        };
        Arrival {
            photons: to_bob,
            state: pulse.state,
            transmittance: ctx.detector_efficiency,
            eve_bit: (kept > 0).then_some(bit),
        }
    }
}

/// Draws a uniformly random bit.
pub(crate) fn coin(rng: &mut impl Rng) -> bool {
    rng.next_u32() & 1 == 1
}
