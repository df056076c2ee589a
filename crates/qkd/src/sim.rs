//! The link simulator: Alice's weak-coherent-pulse source, the fibre, an optional eavesdropper and Bob's
//! two-detector receiver, sampled exactly in distribution (see [`crate::model`] for the physical model).
//!
//! Two engines draw from the same model:
//! - **fast** (honest channel): the probability that a pulse clicks does not depend on bases or bits, so the
//!   gaps between clicking pulses are geometric. The engine jumps from click to click, then draws the pulse's
//!   intensity from its posterior p_k·D_k / D̄, the bases and bit, and which detectors clicked given that one did.
//!   Pulses that did not click only matter through their count per intensity, drawn as a multinomial over the
//!   posterior p_k(1 − D_k)/(1 − D̄). Cost is per click, not per pulse.
//! - **per-pulse** (any eavesdropper): every pulse gets a Poisson photon number, the eavesdropper acts on the
//!   photons, and each photon is transmitted, routed and detected. It is the oracle the fast engine is tested
//!   against.
//!
//! Pulses are split into blocks simulated in parallel (rayon), each with its own ChaCha8 stream
//! (`seed`, stream = block index), so results depend on the seed only, not on the thread count. An after-pulse
//! triggered in the last gate of a block is dropped (a relative effect of p_ap / block size ≈ 10⁻⁸).

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Result, check_range};
use crate::eve::{Arrival, Eavesdropper, LinkContext, Pulse, SimRng, coin};
use crate::model::{click_probabilities, effective_misalignment, natural_click};
use crate::params::{Protocol, Source, System};
use crate::state::{Basis, State, basis_probabilities, encode};

/// Largest number of pulses one run accepts (2⁴⁸ ≈ 2.8×10¹⁴).
pub const MAX_PULSES: u64 = 1 << 48;
/// Pulses per parallel block.
pub const BLOCK_PULSES: u64 = 1 << 22;

/// A validated link: system, distance, source and protocol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkConfig {
    system: System,
    distance_km: f64,
    source: Source,
    protocol: Protocol,
}

impl LinkConfig {
    /// Checks the system and distance.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for an out-of-range system field or distance.
    pub fn new(system: System, distance_km: f64, source: Source, protocol: Protocol) -> Result<Self> {
        system.validate()?;
        system.transmittance(distance_km)?;
        Ok(LinkConfig { system, distance_km, source, protocol })
    }

    /// The system.
    pub fn system(&self) -> &System {
        &self.system
    }

    /// Fibre length in km.
    pub fn distance_km(&self) -> f64 {
        self.distance_km
    }

    /// The source.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// What an eavesdropper sees of this link.
    pub fn context(&self) -> LinkContext {
        LinkContext {
            protocol: self.protocol,
            // Validated in `new`.
            channel_transmittance: self.system.channel_transmittance(self.distance_km).unwrap_or(0.0),
            detector_efficiency: self.system.detector_efficiency,
            dark_count: self.system.dark_count,
            intensities: self.source.intensities().iter().map(|i| i.mean).collect(),
        }
    }
}

/// Which engine to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// Fast without an eavesdropper, per-pulse with one.
    #[default]
    Auto,
    /// Per-pulse even for an honest channel (the oracle; ~50× slower).
    PerPulse,
}

/// Alice's record of the pulses Bob reported as detected: intensity, basis and bit, in pulse order.
///
/// Alice knows her choice for every pulse; the simulator hands her only those Bob will report, plus her count of
/// pulses sent per intensity, which is all the protocol ever asks of the others.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AliceRecord {
    pub(crate) sent_per_intensity: Vec<u64>,
    pub(crate) indices: Vec<u64>,
    /// `intensity << 3 | basis << 1 | bit`.
    pub(crate) choices: Vec<u8>,
}

impl AliceRecord {
    /// Pulses sent with each intensity.
    pub fn sent_per_intensity(&self) -> &[u64] {
        &self.sent_per_intensity
    }

    /// Total pulses sent.
    pub fn pulses_sent(&self) -> u64 {
        self.sent_per_intensity.iter().sum()
    }
}

/// Bob's detections: pulse index, his basis, and the bit he assigned (double clicks get a random bit).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BobRecord {
    pub(crate) indices: Vec<u64>,
    /// `double << 3 | basis << 1 | bit`.
    pub(crate) outcomes: Vec<u8>,
}

impl BobRecord {
    /// Number of detection events (gates with at least one click).
    pub fn detections(&self) -> usize {
        self.indices.len()
    }

    /// Number of double clicks.
    pub fn double_clicks(&self) -> usize {
        self.outcomes.iter().filter(|&&o| o & 8 != 0).count()
    }
}

/// The outcome of sending pulses: each party's private record, and what Eve learned (for reports only — the
/// protocol never reads it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transmission {
    /// Alice's side.
    pub alice: AliceRecord,
    /// Bob's side.
    pub bob: BobRecord,
    /// Per detection event, Eve's guess of the bit (`None` when she has none); empty for an honest channel.
    pub eve_bits: Vec<Option<bool>>,
    /// Wall time of the simulation in seconds.
    pub elapsed_s: f64,
}

/// Sends `pulses` pulses over `link`, attacked by `eve` if given.
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for zero or more than [`MAX_PULSES`] pulses; whatever `eve.prepare` returns.
pub fn simulate(
    link: &LinkConfig,
    eve: Option<&mut dyn Eavesdropper>,
    pulses: u64,
    seed: u64,
    engine: Engine,
) -> Result<Transmission> {
    check_range("pulses", pulses as f64, 1.0, MAX_PULSES as f64, "in [1, 2^48]")?;
    let start = Instant::now();
    let plan = Plan::new(link);
    let ctx = link.context();
    let eve: Option<&dyn Eavesdropper> = match eve {
        Some(e) => {
            e.prepare(&ctx)?;
            Some(e)
        }
        None => None,
    };
    let blocks = pulses.div_ceil(BLOCK_PULSES);
    let outs: Vec<BlockOut> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b);
            let (lo, hi) = (b * BLOCK_PULSES, ((b + 1) * BLOCK_PULSES).min(pulses));
            match (eve, engine) {
                (None, Engine::Auto) => plan.fast_block(lo, hi, &mut rng),
                (eve, _) => plan.pulse_block(lo, hi, eve, &ctx, &mut rng),
            }
        })
        .collect();
    let mut t = Transmission {
        alice: AliceRecord { sent_per_intensity: vec![0; plan.means.len()], ..Default::default() },
        ..Default::default()
    };
    let events: usize = outs.iter().map(|o| o.indices.len()).sum();
    for v in [&mut t.alice.indices, &mut t.bob.indices] {
        v.reserve_exact(events);
    }
    for o in outs {
        for (s, n) in t.alice.sent_per_intensity.iter_mut().zip(&o.sent) {
            *s += n;
        }
        t.alice.indices.extend_from_slice(&o.indices);
        t.bob.indices.extend(o.indices);
        t.alice.choices.extend(o.alice);
        t.bob.outcomes.extend(o.bob);
        if eve.is_some() {
            t.eve_bits.extend(o.eve);
        }
    }
    t.elapsed_s = start.elapsed().as_secs_f64();
    Ok(t)
}

/// Per-run constants.
struct Plan {
    protocol: Protocol,
    means: Vec<f64>,
    /// Cumulative p_k.
    cdf_prior: Vec<f64>,
    /// Cumulative p_k D_k / D̄.
    cdf_click: Vec<f64>,
    /// p_k (1 − D_k) / (1 − D̄), not cumulative.
    post_noclick: Vec<f64>,
    /// The same, cumulative.
    cdf_noclick: Vec<f64>,
    d_bar: f64,
    ln_no_click: f64,
    eta: f64,
    e: f64,
    dark: f64,
    afterpulse: f64,
    basis_cdf: [f64; 3],
}

struct BlockOut {
    sent: Vec<u64>,
    indices: Vec<u64>,
    alice: Vec<u8>,
    bob: Vec<u8>,
    eve: Vec<Option<bool>>,
}

impl BlockOut {
    fn new(intensities: usize) -> Self {
        BlockOut { sent: vec![0; intensities], indices: vec![], alice: vec![], bob: vec![], eve: vec![] }
    }
}

/// A uniform draw in [0, 1) with 53 random bits.
fn uniform(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn pick(cdf: &[f64], u: f64) -> usize {
    cdf.iter().position(|&c| u < c).unwrap_or(cdf.len() - 1)
}

fn cumulative(v: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    let mut out: Vec<f64> = v
        .into_iter()
        .map(|x| {
            acc += x;
            acc
        })
        .collect();
    // Normalise away rounding so the last bucket always catches u < 1.
    let total = acc;
    for c in &mut out {
        *c /= total;
    }
    out
}

impl Plan {
    fn new(link: &LinkConfig) -> Self {
        let sys = link.system;
        let eta = sys.transmittance(link.distance_km).unwrap_or(0.0);
        let means: Vec<f64> = link.source.intensities().iter().map(|i| i.mean).collect();
        let priors: Vec<f64> = link.source.intensities().iter().map(|i| i.probability).collect();
        let d: Vec<f64> = means.iter().map(|&m| natural_click(&sys, eta, m)).collect();
        let d_bar: f64 = priors.iter().zip(&d).map(|(p, d)| p * d).sum();
        let bp = basis_probabilities(link.protocol, link.source.basis_bias());
        Plan {
            protocol: link.protocol,
            cdf_prior: cumulative(priors.iter().copied()),
            cdf_click: cumulative(priors.iter().zip(&d).map(|(p, d)| p * d)),
            post_noclick: priors.iter().zip(&d).map(|(p, d)| p * (1.0 - d) / (1.0 - d_bar)).collect(),
            cdf_noclick: cumulative(priors.iter().zip(&d).map(|(p, d)| p * (1.0 - d))),
            means,
            d_bar,
            ln_no_click: (-d_bar).ln_1p(),
            eta,
            e: effective_misalignment(&sys),
            dark: sys.dark_count,
            afterpulse: sys.afterpulse,
            basis_cdf: [bp[0], bp[0] + bp[1], 1.0],
        }
    }

    fn basis(&self, rng: &mut impl Rng) -> Basis {
        match pick(&self.basis_cdf, uniform(rng)) {
            0 => Basis::X,
            1 => Basis::Z,
            _ => Basis::Y,
        }
    }

    /// Alice's basis and bit, and the state she sends.
    fn alice(&self, rng: &mut impl Rng) -> (Basis, bool, State) {
        let bit = coin(rng);
        let basis = self.basis(rng);
        let state = encode(self.protocol, basis, bit);
        (if self.protocol == Protocol::B92 { state.basis } else { basis }, bit, state)
    }

    /// Mean photon numbers reaching detectors 0 and 1 for `m` detected photons on average.
    fn detector_means(&self, m: f64, state: State, bob: Basis) -> [f64; 2] {
        if state.basis == bob {
            let (right, wrong) = (m * (1.0 - self.e), m * self.e);
            if state.value { [wrong, right] } else { [right, wrong] }
        } else {
            [m / 2.0, m / 2.0]
        }
    }

    fn fast_block(&self, lo: u64, hi: u64, rng: &mut ChaCha8Rng) -> BlockOut {
        let mut out = BlockOut::new(self.means.len());
        let mut t = lo;
        let mut afterpulse = false;
        loop {
            let natural = if afterpulse {
                if t >= hi {
                    break;
                }
                uniform(rng) < self.d_bar
            } else {
                // Failures before the next natural click: ⌊ln U / ln(1 − D̄)⌋, U ∈ (0, 1].
                let gap = ((1.0 - uniform(rng)).ln() / self.ln_no_click).floor();
                if gap >= (hi - t) as f64 {
                    break;
                }
                t += gap as u64;
                true
            };
            let k = if natural {
                pick(&self.cdf_click, uniform(rng))
            } else {
                pick(&self.cdf_noclick, uniform(rng))
            };
            let (a_basis, bit, state) = self.alice(rng);
            let b_basis = self.basis(rng);
            let mut clicks = [false; 2];
            if natural {
                let [m0, m1] = self.detector_means(self.eta * self.means[k], state, b_basis);
                let (c0, c1) = click_probabilities(self.dark, m0, m1);
                let (only0, only1) = (c0 * (1.0 - c1), (1.0 - c0) * c1);
                let u = uniform(rng) * (1.0 - (1.0 - c0) * (1.0 - c1));
                clicks = if u < only0 {
                    [true, false]
                } else if u < only0 + only1 {
                    [false, true]
                } else {
                    [true, true]
                };
            }
            if afterpulse {
                clicks[usize::from(coin(rng))] = true;
            }
            out.sent[k] += 1;
            self.record(&mut out, t, k, a_basis, bit, b_basis, clicks, None, rng);
            afterpulse = self.afterpulse > 0.0 && uniform(rng) < self.afterpulse;
            t += 1;
        }
        // Pulses without a click: multinomial over the no-click posterior.
        let mut rest = (hi - lo) - out.indices.len() as u64;
        let mut mass = 1.0;
        for (k, &p) in self.post_noclick.iter().enumerate() {
            let n = if k + 1 == self.post_noclick.len() || mass <= 0.0 {
                rest
            } else {
                Binomial::new(rest, (p / mass).clamp(0.0, 1.0)).map_or(0, |b| b.sample(rng))
            };
            out.sent[k] += n;
            rest -= n;
            mass -= p;
        }
        out
    }

    fn pulse_block(
        &self,
        lo: u64,
        hi: u64,
        eve: Option<&dyn Eavesdropper>,
        ctx: &LinkContext,
        rng: &mut SimRng,
    ) -> BlockOut {
        let mut out = BlockOut::new(self.means.len());
        let mut afterpulse = false;
        for t in lo..hi {
            let k = pick(&self.cdf_prior, uniform(rng));
            out.sent[k] += 1;
            let (a_basis, bit, state) = self.alice(rng);
            let pulse = Pulse { intensity: k, photons: poisson(self.means[k], rng), state };
            let arrival = match eve {
                Some(e) => e.intercept(&pulse, ctx, rng),
                None => Arrival::honest(&pulse, ctx),
            };
            let b_basis = self.basis(rng);
            let mut clicks = [false; 2];
            for _ in 0..arrival.photons {
                if uniform(rng) < arrival.transmittance {
                    let wrong =
                        if arrival.state.basis == b_basis { uniform(rng) < self.e } else { coin(rng) };
                    clicks[usize::from(arrival.state.value ^ wrong)] = true;
                }
            }
            for c in &mut clicks {
                *c |= self.dark > 0.0 && uniform(rng) < self.dark;
            }
            if afterpulse {
                clicks[usize::from(coin(rng))] = true;
            }
            afterpulse = false;
            if clicks[0] || clicks[1] {
                self.record(&mut out, t, k, a_basis, bit, b_basis, clicks, eve.map(|_| arrival.eve_bit), rng);
                afterpulse = self.afterpulse > 0.0 && uniform(rng) < self.afterpulse;
            }
        }
        out
    }

    #[expect(clippy::too_many_arguments, reason = "one event's fields, recorded in one place")]
    fn record(
        &self,
        out: &mut BlockOut,
        t: u64,
        k: usize,
        a_basis: Basis,
        bit: bool,
        b_basis: Basis,
        clicks: [bool; 2],
        eve: Option<Option<bool>>,
        rng: &mut impl Rng,
    ) {
        let double = clicks[0] && clicks[1];
        let value = if double { coin(rng) } else { clicks[1] };
        out.indices.push(t);
        // k < 8 by Source's construction.
        out.alice.push(((k as u8) << 3) | ((a_basis as u8) << 1) | u8::from(bit));
        out.bob.push((u8::from(double) << 3) | ((b_basis as u8) << 1) | u8::from(value));
        if let Some(e) = eve {
            out.eve.push(e);
        }
    }
}

/// Poisson draw by inversion (exact to floating-point rounding; O(μ) per draw, μ is small here).
fn poisson(mean: f64, rng: &mut impl Rng) -> u32 {
    let u = uniform(rng);
    let mut p = (-mean).exp();
    let mut cdf = p;
    let mut n = 0u32;
    while u >= cdf && n < 10_000 {
        n += 1;
        p *= mean / f64::from(n);
        cdf += p;
        if p == 0.0 {
            break;
        }
    }
    n
}
