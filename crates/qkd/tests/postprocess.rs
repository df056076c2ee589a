//! The whole classical session end to end: equal secret keys at the theory's finite-key rate, aborts under
//! attack, and every tampered, replayed or mangled classical message rejected before a key exists.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::sync::Mutex;

use quantumacy_qkd::eve::{Eavesdropper, InterceptResend};
use quantumacy_qkd::link::{LinkOutcome, LinkRun, run};
use quantumacy_qkd::postprocess::{ClassicalChannel, MessageId, Phase, PostConfig};
use quantumacy_qkd::protocol::authenticate::Role;
use quantumacy_qkd::protocol::{EstimationConfig, reconcile::Variant};
use quantumacy_qkd::sim::{Engine, LinkConfig};
use quantumacy_qkd::theory::{Finite, FiniteConfig, Security};
use quantumacy_qkd::{Intensity, Protocol, Source, System};

const KM: f64 = 25.0;
const PULSES: u64 = 400_000_000;

/// Signal, weak decoy and vacuum optimised for the finite key at this budget (theory module).
fn source(system: System) -> Source {
    let config = FiniteConfig { n_x: 1e6, mu3: 0.0, eps_cor: 1e-15, security: Security::Fixed(1e-10) };
    let s = Finite::new(system, config).unwrap().optimise_for_pulses(KM, PULSES as f64).unwrap().settings;
    let i = |mean, probability| Intensity { mean, probability };
    Source::new(vec![i(s.mu1, s.p_mu1), i(s.mu2, s.p_mu2), i(0.0, 1.0 - s.p_mu1 - s.p_mu2)], s.q_x).unwrap()
}

fn session<'a>(
    system: System,
    pulses: u64,
    eve: Option<&'a mut dyn Eavesdropper>,
    channel: Option<&'a dyn ClassicalChannel>,
) -> LinkOutcome {
    run(LinkRun {
        link: LinkConfig::new(system, KM, source(System::gys()), Protocol::Bb84).unwrap(),
        pulses,
        seed: 5,
        eve,
        engine: Engine::Auto,
        sample_fraction: 0.02,
        estimation: EstimationConfig::default(),
        post: Some(PostConfig::default()),
        channel,
    })
    .unwrap()
}

#[test]
fn honest_link_gives_equal_keys_at_the_finite_key_rate_of_the_theory() {
    let out = session(System::gys(), PULSES, None, None);
    let r = &out.report;
    assert!(!r.aborted, "{:?}", r.abort_reason);
    assert!(r.keys_equal);
    assert_eq!(out.alice_secret, out.bob_secret);
    assert!(r.final_key_bits > 50_000, "{}", r.final_key_bits);
    let ec = r.ec.as_ref().unwrap();
    assert_eq!(ec.variant, Variant::Best);
    assert_eq!(ec.frame_errors, 0);
    assert_eq!(ec.errors_corrected, ec.errors_initial, "every error found");
    assert!(ec.efficiency > 1.0 && ec.efficiency < 1.1, "f = {}", ec.efficiency);
    assert_eq!(ec.leaked_bits, ec.parity_bits + ec.hash_bits);
    // The key-length step charged exactly what Cascade disclosed.
    let kl = r.key_length.as_ref().unwrap();
    assert_eq!(kl.leaked_bits, ec.leaked_bits);
    assert_eq!(r.pa.as_ref().unwrap().output_bits, r.final_key_bits);
    assert_eq!(r.pa.as_ref().unwrap().input_bits, r.raw_key_bits);
    // Authentication: hash key + 5 message tags + 2 transcript tags, repaid from the new key.
    let auth = r.auth.as_ref().unwrap();
    assert_eq!(auth.key_bits_consumed, 8 * 128);
    assert_eq!(auth.key_bits_replenished, 8 * 128);
    assert_eq!(r.net_key_bits, r.final_key_bits - 8 * 128);
    assert_eq!(out.alice_secret.len() as u64, r.net_key_bits);
    // Within 25 % of the theory module's finite-key rate for the same block size and f.
    let theory = r.theory.finite_key_rate_per_pulse.unwrap();
    let ratio = r.secret_key_rate_per_pulse / theory;
    assert!(
        (ratio - 1.0).abs() < 0.25,
        "rate {} vs theory {theory} ({ratio:.3})",
        r.secret_key_rate_per_pulse
    );
    // The final key is balanced (a failed hash would not be).
    let ones = out.alice_secret.count_ones() as f64 / out.alice_secret.len() as f64;
    assert!((ones - 0.5).abs() < 0.01, "{ones}");
}

#[test]
fn eleven_percent_qber_and_full_intercept_resend_abort_with_a_reason() {
    // Depolarisation p adds QBER p/2: 3.4 % + 7.6 % ≈ 11 %.
    let noisy = System { depolarization: 0.152, ..System::gys() };
    let out = session(noisy, 100_000_000, None, None);
    assert!(out.report.aborted && out.report.final_key_bits == 0 && !out.report.keys_equal);
    let reason = out.report.abort_reason.clone().unwrap();
    assert!(reason.contains("QBER") || reason.contains("key length"), "{reason}");
    assert!(out.alice_secret.is_empty() && out.bob_secret.is_empty());

    let mut eve = InterceptResend::new(1.0).unwrap();
    let out = session(System::gys(), 20_000_000, Some(&mut eve), None);
    assert!(out.report.aborted);
    assert!(out.report.abort_reason.unwrap().contains("exceeds the threshold"));
}

/// Flips one bit of the message `target` (or replays the previous message of the same sender in its place).
#[derive(Debug)]
struct Tamper {
    target: MessageId,
    replay: bool,
    previous: Mutex<Option<Vec<u8>>>,
    hit: Mutex<bool>,
}

impl Tamper {
    fn flip(target: MessageId) -> Self {
        Tamper { target, replay: false, previous: Mutex::new(None), hit: Mutex::new(false) }
    }
}

impl ClassicalChannel for Tamper {
    fn carry(&self, id: MessageId, message: &mut Vec<u8>) {
        let same_stream =
            id.phase == self.target.phase && id.from == self.target.from && id.frame == self.target.frame;
        if id == self.target {
            *self.hit.lock().unwrap() = true;
            if self.replay {
                if let Some(prev) = self.previous.lock().unwrap().clone() {
                    *message = prev;
                }
            } else {
                let mid = message.len() / 2;
                message[mid] ^= 0x10;
            }
        } else if same_stream && id.step + 1 == self.target.step {
            *self.previous.lock().unwrap() = Some(message.clone());
        }
    }
}

fn id(phase: Phase, from: Role, frame: u32, step: u32) -> MessageId {
    MessageId { phase, from, frame, step }
}

#[test]
fn tampered_or_replayed_messages_abort_before_any_key_exists() {
    let targets = [
        ("detection report", id(Phase::Sifting, Role::Bob, 0, 0), false),
        ("sift reply", id(Phase::Sifting, Role::Alice, 0, 0), false),
        ("disclosure", id(Phase::Sifting, Role::Bob, 0, 1), false),
        ("decision", id(Phase::Sifting, Role::Alice, 0, 1), false),
        ("Cascade query", id(Phase::Reconciliation, Role::Bob, 0, 2), false),
        ("Cascade answer", id(Phase::Reconciliation, Role::Alice, 3, 1), false),
        ("replayed Cascade query", id(Phase::Reconciliation, Role::Bob, 1, 3), true),
        ("Bob's transcript tag", id(Phase::TranscriptTag, Role::Bob, 0, 0), false),
        ("Alice's transcript tag", id(Phase::TranscriptTag, Role::Alice, 0, 0), false),
        ("amplification seed", id(Phase::Amplification, Role::Alice, 0, 0), false),
    ];
    for (name, target, replay) in targets {
        let mut channel = Tamper::flip(target);
        channel.replay = replay;
        let out = session(System::gys(), PULSES, None, Some(&channel));
        assert!(*channel.hit.lock().unwrap(), "{name}: message never sent");
        let r = &out.report;
        assert!(r.aborted, "{name}: not rejected");
        assert_eq!(
            r.abort_reason.as_deref(),
            Some("authentication of the classical channel failed"),
            "{name}"
        );
        assert!(out.alice_secret.is_empty() && out.bob_secret.is_empty() && r.final_key_bits == 0, "{name}");
    }
}
