//! One QKD link run end to end in process: transmission, then Alice and Bob exchanging the sifting and
//! estimation messages of [`crate::protocol`]. The report is what `quantumacy qkd simulate --json` prints.

use serde::Serialize;

use crate::bits::BitVec;
use crate::error::Result;
use crate::eve::Eavesdropper;
use crate::model::{ExpectedRates, expected_rates};
use crate::protocol::{Alice, Bob, DecoyEstimates, Estimates, EstimationConfig, IntensityStats};
use crate::sim::{Engine, LinkConfig, simulate};

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
}

/// The outcome: the report, and both parties' raw keys (equal length; they differ where the channel erred).
#[derive(Debug)]
pub struct LinkOutcome {
    /// The report.
    pub report: LinkReport,
    /// Alice's raw key.
    pub alice_key: BitVec,
    /// Bob's raw key.
    pub bob_key: BitVec,
    /// Alice's estimates, as sent to Bob.
    pub estimates: Estimates,
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
    let mut alice =
        Alice::new(protocol, source.clone(), tx.alice.clone()).with_key_length(run.estimation.key_length);
    let mut bob = Bob::new(protocol, tx.bob.clone());

    let report = bob.detection_report();
    let reply = alice.sift(&report)?;
    bob.apply_sift(&reply)?;
    let disclosure = bob.disclose(run.sample_fraction, run.seed ^ 0x5eed_d15c_1050_0e00)?;
    let estimates = alice.estimate(&disclosure, &run.estimation)?;
    let (alice_key, bob_key) = (alice.raw_key(&disclosure)?, bob.raw_key()?);

    let theory = expected_rates(run.link.system(), &source, run.link.distance_km())?;
    let eve = eve_name.map(|name| EveReport { name, known_fraction: eve_known_fraction(&tx) });
    let signal = estimates.signal().clone();
    let sifted_bits = estimates.per_intensity.iter().map(|s| s.sifted).sum();
    let decoy: Option<&DecoyEstimates> = estimates.decoy.as_ref();
    let report = LinkReport {
        pulses_sent: tx.alice.pulses_sent(),
        detections: tx.bob.detections() as u64,
        double_clicks: tx.bob.double_clicks() as u64,
        sifted_bits,
        raw_key_bits: alice_key.len() as u64,
        gain: signal.gain,
        qber: signal.qber,
        theory: TheoryReport { gain: theory[0].gain, qber: theory[0].qber, per_intensity: theory },
        per_intensity: estimates.per_intensity.clone(),
        estimates: EstimatesReport {
            y1_lower: decoy.map(|d| d.y1_lower),
            e1_upper: decoy.map(|d| d.e1_upper),
            q1_lower: decoy.map(|d| d.q1_lower),
            method: decoy.map(|d| d.method),
        },
        key_rate_per_pulse_estimate: estimates.key_rate_per_pulse.filter(|r| r.is_finite()),
        aborted: estimates.abort.is_some(),
        abort_reason: estimates.abort.as_ref().map(ToString::to_string),
        eve,
        elapsed_s: start.elapsed().as_secs_f64(),
        pulses_per_second: tx.alice.pulses_sent() as f64 / tx.elapsed_s.max(1e-9),
        link: run.link,
    };
    Ok(LinkOutcome { report, alice_key, bob_key, estimates })
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
