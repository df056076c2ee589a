//! One QKD link run end to end in process: transmission, then Alice and Bob running the classical session of
//! [`crate::postprocess`] — sifting, estimation, Cascade, key length, privacy amplification, all over an
//! authenticated channel. The report is what `quantumacy qkd simulate --json` prints.

use serde::Serialize;

use crate::bits::BitVec;
use crate::error::Result;
use crate::eve::Eavesdropper;
use crate::model::{ExpectedRates, expected_rates};
use crate::postprocess::{AuthReport, ClassicalChannel, EcReport, Honest, PaReport, PostConfig, Session};
use crate::protocol::{
    Alice, Bob, DecoyEstimates, Estimates, EstimationConfig, IntensityStats, KeyLength, KeyLengthMode,
};
use crate::sim::{Engine, LinkConfig, simulate};
use crate::theory::{Finite, FiniteConfig, Security, Settings};

/// What to run.
#[derive(Debug)]
pub struct LinkRun<'a> {
    /// The link.
    pub link: LinkConfig,
    /// Pulses to send.
    pub pulses: u64,
    /// Seed of every random choice (transmission and test sampling).
    pub seed: u64,
    /// The eavesdropper, if any.
    pub eve: Option<&'a mut dyn Eavesdropper>,
    /// Engine choice.
    pub engine: Engine,
    /// Fraction of key-basis signal bits disclosed for testing.
    pub sample_fraction: f64,
    /// Estimation settings.
    pub estimation: EstimationConfig,
    /// Reconciliation, privacy amplification and authentication; `None` stops after estimation (raw keys only).
    pub post: Option<PostConfig>,
    /// The classical channel (`None`: delivered unchanged).
    pub channel: Option<&'a dyn ClassicalChannel>,
}

/// The outcome: the report, both parties' raw keys (equal length; they differ where the channel erred) and
/// their final secret keys (empty unless post-processing ran and produced a key).
#[derive(Debug)]
pub struct LinkOutcome {
    /// The report.
    pub report: LinkReport,
    /// Alice's raw key.
    pub alice_key: BitVec,
    /// Bob's raw key.
    pub bob_key: BitVec,
    /// Alice's final secret key.
    pub alice_secret: BitVec,
    /// Bob's final secret key.
    pub bob_secret: BitVec,
    /// Alice's estimates, as sent to Bob (absent if authentication failed before).
    pub estimates: Option<Estimates>,
}

/// Theory values for the signal intensity (the simulated model's exact expectations).
#[derive(Debug, Clone, Serialize)]
pub struct TheoryReport {
    /// Expected gain Q_μ.
    pub gain: f64,
    /// Expected error rate E_μ.
    pub qber: f64,
    /// Per intensity.
    pub per_intensity: Vec<ExpectedRates>,
    /// Finite-key rate per pulse of the theory module (Lim 2014, same source, block size n_X = the raw-key
    /// bits of this run, f = the measured Cascade efficiency); finite mode with three intensities only.
    pub finite_key_rate_per_pulse: Option<f64>,
}

/// Decoy estimates as reported (null fields when the source has no decoys).
#[derive(Debug, Clone, Default, Serialize)]
pub struct EstimatesReport {
    /// Lower bound on Y1.
    pub y1_lower: Option<f64>,
    /// Upper bound on e1.
    pub e1_upper: Option<f64>,
    /// Lower bound on Q1.
    pub q1_lower: Option<f64>,
    /// Which bounds.
    pub method: Option<crate::protocol::DecoyMethod>,
}

/// What Eve achieved (only when there is one).
#[derive(Debug, Clone, Serialize)]
pub struct EveReport {
    /// The attack.
    pub name: String,
    /// Fraction of key-basis signal detections with matching bases for which Eve holds the correct bit.
    pub known_fraction: f64,
}

/// The report of one run (the `qkd simulate` JSON contract).
#[derive(Debug, Clone, Serialize)]
pub struct LinkReport {
    /// The link.
    pub link: LinkConfig,
    /// Pulses sent.
    pub pulses_sent: u64,
    /// Gates with at least one click.
    pub detections: u64,
    /// Double clicks among them.
    pub double_clicks: u64,
    /// Basis-matched pulses.
    pub sifted_bits: u64,
    /// Raw-key bits left after disclosure.
    pub raw_key_bits: u64,
    /// Measured signal gain.
    pub gain: f64,
    /// Measured signal QBER (tested bits).
    pub qber: Option<f64>,
    /// Theory for the same model.
    pub theory: TheoryReport,
    /// Measured statistics per intensity.
    pub per_intensity: Vec<IntensityStats>,
    /// Decoy bounds.
    pub estimates: EstimatesReport,
    /// Key rate per pulse estimated from the measured data (asymptotic).
    pub key_rate_per_pulse_estimate: Option<f64>,
    /// Whether the protocol aborted.
    pub aborted: bool,
    /// Why, in words.
    pub abort_reason: Option<String>,
    /// Eve's success, when attacked.
    pub eve: Option<EveReport>,
    /// Error correction (Cascade).
    pub ec: Option<EcReport>,
    /// The key-length decision.
    pub key_length: Option<KeyLength>,
    /// Privacy amplification.
    pub pa: Option<PaReport>,
    /// Authentication of the classical channel.
    pub auth: Option<AuthReport>,
    /// Secret bits out of privacy amplification (0 without a key).
    pub final_key_bits: u64,
    /// Secret bits left after repaying the authentication key pool.
    pub net_key_bits: u64,
    /// Whether Alice's and Bob's final keys are equal (compared in constant time).
    pub keys_equal: bool,
    /// Final key bits per pulse sent.
    pub secret_key_rate_per_pulse: f64,
    /// Final key bits per second of wall time of the whole run.
    pub secret_bits_per_second: f64,
    /// Wall time of the whole run in seconds.
    pub elapsed_s: f64,
    /// Pulses simulated per second of transmission wall time.
    pub pulses_per_second: f64,
}

/// Runs the link.
///
/// # Errors
/// Invalid parameters, or a protocol message rejected (which would be a bug here, since both parties are ours).
pub fn run(run: LinkRun<'_>) -> Result<LinkOutcome> {
    let start = std::time::Instant::now();
    let eve_name = run.eve.as_ref().map(|e| e.name());
    let tx = simulate(&run.link, run.eve, run.pulses, run.seed, run.engine)?;
    let (protocol, source) = (run.link.protocol(), run.link.source().clone());
    let alice =
        Alice::new(protocol, source.clone(), tx.alice.clone()).with_key_length(run.estimation.key_length);
    let bob = Bob::new(protocol, tx.bob.clone());
    let session = Session {
        estimation: run.estimation,
        sample_fraction: run.sample_fraction,
        seed: run.seed,
        post: run.post,
        channel: run.channel.unwrap_or(&Honest),
    };
    let s = session.run(alice, bob)?;

    let theory = expected_rates(run.link.system(), &source, run.link.distance_km())?;
    let eve = eve_name.map(|name| EveReport { name, known_fraction: eve_known_fraction(&tx) });
    let empty = Estimates { per_intensity: vec![], decoy: None, key_rate_per_pulse: None, abort: None };
    let estimates = s.estimates.as_ref().unwrap_or(&empty);
    let signal = estimates.per_intensity.first();
    let sifted_bits = estimates.per_intensity.iter().map(|s| s.sifted).sum();
    let decoy: Option<&DecoyEstimates> = estimates.decoy.as_ref();
    let (alice_key, bob_key) = s.raw;
    let post = s.post;
    let final_key_bits = post.as_ref().filter(|_| s.abort.is_none()).map_or(0, |p| p.final_key_bits);
    let (alice_secret, bob_secret, keys_equal) = match post.as_ref() {
        Some(p) if s.abort.is_none() => (p.alice_key.clone(), p.bob_key.clone(), p.keys_equal),
        _ => (BitVec::new(), BitVec::new(), false),
    };
    let ec = post.as_ref().and_then(|p| p.ec.clone());
    let finite_key_rate_per_pulse =
        theory_finite_rate(&run.link, &run.estimation, &source, alice_key.len(), ec.as_ref());
    let pulses = tx.alice.pulses_sent();
    let elapsed_s = start.elapsed().as_secs_f64();
    let report = LinkReport {
        pulses_sent: pulses,
        detections: tx.bob.detections() as u64,
        double_clicks: tx.bob.double_clicks() as u64,
        sifted_bits,
        raw_key_bits: alice_key.len() as u64,
        gain: signal.map_or(0.0, |s| s.gain),
        qber: signal.and_then(|s| s.qber),
        theory: TheoryReport {
            gain: theory[0].gain,
            qber: theory[0].qber,
            per_intensity: theory,
            finite_key_rate_per_pulse,
        },
        per_intensity: estimates.per_intensity.clone(),
        estimates: EstimatesReport {
            y1_lower: decoy.map(|d| d.y1_lower),
            e1_upper: decoy.map(|d| d.e1_upper),
            q1_lower: decoy.map(|d| d.q1_lower),
            method: decoy.map(|d| d.method),
        },
        key_rate_per_pulse_estimate: estimates.key_rate_per_pulse.filter(|r| r.is_finite()),
        aborted: s.abort.is_some(),
        abort_reason: s.abort.as_ref().map(ToString::to_string),
        eve,
        ec,
        key_length: post.as_ref().and_then(|p| p.key_length.clone()),
        pa: post.as_ref().and_then(|p| p.pa.clone()),
        auth: run.post.map(|_| s.auth),
        final_key_bits,
        net_key_bits: alice_secret.len() as u64,
        keys_equal,
        secret_key_rate_per_pulse: final_key_bits as f64 / pulses.max(1) as f64,
        secret_bits_per_second: final_key_bits as f64 / elapsed_s.max(1e-9),
        elapsed_s,
        pulses_per_second: pulses as f64 / tx.elapsed_s.max(1e-9),
        link: run.link,
    };
    Ok(LinkOutcome { report, alice_key, bob_key, alice_secret, bob_secret, estimates: s.estimates })
}

/// The theory module's finite-key rate for this run's source and block size (see [`TheoryReport`]).
fn theory_finite_rate(
    link: &LinkConfig,
    estimation: &EstimationConfig,
    source: &crate::params::Source,
    raw_bits: usize,
    ec: Option<&EcReport>,
) -> Option<f64> {
    let [s1, s2, s3] = source.intensities() else { return None };
    if estimation.key_length != KeyLengthMode::Finite || raw_bits == 0 {
        return None;
    }
    let mut system = *link.system();
    if let Some(ec) = ec.filter(|e| e.efficiency.is_finite() && e.efficiency >= 1.0) {
        system.ec_efficiency = ec.efficiency;
    }
    let config = FiniteConfig {
        n_x: raw_bits as f64,
        mu3: s3.mean,
        eps_cor: estimation.eps_cor,
        security: Security::Fixed(estimation.eps_sec),
    };
    let settings = Settings {
        q_x: source.basis_bias(),
        p_mu1: s1.probability,
        p_mu2: s2.probability,
        mu1: s1.mean,
        mu2: s2.mean,
    };
    Finite::new(system, config).ok()?.evaluate(link.distance_km(), &settings).ok().map(|k| k.rate_per_pulse)
}

/// Fraction of raw-key bits whose value Eve holds (from the simulator's ground truth, never seen by the parties).
fn eve_known_fraction(tx: &crate::sim::Transmission) -> f64 {
    if tx.eve_bits.is_empty() {
        return 0.0;
    }
    // Over all detection events that are key-basis signal pulses with matching bases (BB84, six-state).
    let mut known = 0usize;
    let mut total = 0usize;
    for (i, (&a, &b)) in tx.alice.choices.iter().zip(&tx.bob.outcomes).enumerate() {
        let (k, a_basis, bit) = (a >> 3, (a >> 1) & 3, a & 1 == 1);
        if k == 0 && a_basis == 0 && (b >> 1) & 3 == 0 {
            total += 1;
            known += usize::from(tx.eve_bits[i] == Some(bit));
        }
    }
    if total == 0 { 0.0 } else { known as f64 / total as f64 }
}
