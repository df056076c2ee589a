//! The key-length step on simulated data: finite-key (Lim 2014 Eq. 1) against the theory module, asymptotic
//! above finite, and typed aborts when the leakage or the source leaves no key.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use quantumacy_qkd::protocol::{Alice, Bob, Disclosure, Estimates, EstimationConfig, KeyLengthMode, Leakage};
use quantumacy_qkd::sim::{Engine, LinkConfig, simulate};
use quantumacy_qkd::theory::finite::{Finite, FiniteConfig, Security, Settings};
use quantumacy_qkd::theory::h2;
use quantumacy_qkd::{AbortReason, Error, Protocol, Source, System};

const KM: f64 = 25.0;

/// Signal, weak decoy and vacuum at the finite-key optimum of the theory module for n_X ≈ 10⁶ at 25 km
/// (`Finite::optimise` with μ3 = 0, f = 1.1, ε_sec = 10⁻¹⁰): few signal pulses, a strong decoy, biased bases.
const SETTINGS: Settings = Settings { q_x: 0.76, p_mu1: 0.17, p_mu2: 0.57, mu1: 0.39, mu2: 0.18 };

fn source() -> Source {
    let s = SETTINGS;
    Source::vacuum_weak(s.mu1, s.mu2, [s.p_mu1, s.p_mu2, 1.0 - s.p_mu1 - s.p_mu2], s.q_x).unwrap()
}

/// Sifting, disclosure and estimation of a GYS link at 25 km under `mode`.
fn session(
    mode: KeyLengthMode,
    source: Source,
    pulses: u64,
) -> (Alice, Disclosure, Estimates, EstimationConfig) {
    session_at(KM, mode, source, pulses)
}

fn session_at(
    km: f64,
    mode: KeyLengthMode,
    source: Source,
    pulses: u64,
) -> (Alice, Disclosure, Estimates, EstimationConfig) {
    let link = LinkConfig::new(System::gys(), km, source, Protocol::Bb84).unwrap();
    let tx = simulate(&link, None, pulses, 11, Engine::Auto).unwrap();
    let mut alice = Alice::new(Protocol::Bb84, link.source().clone(), tx.alice).with_key_length(mode);
    let mut bob = Bob::new(Protocol::Bb84, tx.bob);
    let reply = alice.sift(&bob.detection_report()).unwrap();
    bob.apply_sift(&reply).unwrap();
    let disclosure = bob.disclose(0.02, 5).unwrap();
    let config = EstimationConfig { key_length: mode, ..EstimationConfig::default() };
    let estimates = alice.estimate(&disclosure, &config).unwrap();
    (alice, disclosure, estimates, config)
}

/// Leakage of an error correction at efficiency f on n bits at the measured signal QBER.
fn leakage(n: u64, qber: f64, f: f64) -> Leakage {
    Leakage { ec_bits: (f * n as f64 * h2(qber)).ceil() as u64, verification_bits: 128 }
}

#[test]
fn finite_key_length_agrees_with_the_theory_module_at_the_same_block_size() {
    let (alice, disclosure, est, config) = session(KeyLengthMode::Finite, source(), 800_000_000);
    assert!(est.abort.is_none(), "{:?}", est.abort);
    let raw = alice.raw_key(&disclosure).unwrap().len() as u64;
    let qber = est.signal().qber.unwrap();
    let f = 1.1;
    let kl = alice.key_length(&disclosure, &est, leakage(raw, qber, f), &config).unwrap();
    assert_eq!(kl.input_bits, raw, "the key length counts exactly the raw-key bits");
    assert!(kl.secret_bits > 0 && kl.secret_bits < raw / 2, "{kl:?}");

    // Theory (Lim 2014 with the GYS model, same intensities, block size and f).
    let system = System { ec_efficiency: f, ..System::gys() };
    let cfg = FiniteConfig { n_x: raw as f64, mu3: 0.0, eps_cor: 1e-15, security: Security::Fixed(1e-10) };
    let theory = Finite::new(system, cfg).unwrap().evaluate(KM, &SETTINGS).unwrap();
    let ratio = kl.secret_bits as f64 / theory.key_length;
    println!("measured ℓ {} vs theory {} (ratio {ratio:.3})", kl.secret_bits, theory.key_length);
    assert!(
        (ratio - 1.0).abs() < 0.1,
        "measured ℓ {} vs theory {} (ratio {ratio:.3})",
        kl.secret_bits,
        theory.key_length
    );
}

#[test]
fn asymptotic_exceeds_finite_and_both_shrink_with_leakage() {
    let (alice, disclosure, est, config) = session(KeyLengthMode::Finite, source(), 400_000_000);
    let raw = alice.raw_key(&disclosure).unwrap().len() as u64;
    let qber = est.signal().qber.unwrap();
    let finite = alice.key_length(&disclosure, &est, leakage(raw, qber, 1.1), &config).unwrap();
    let asym_config = EstimationConfig { key_length: KeyLengthMode::Asymptotic, ..config };
    let asym = alice.key_length(&disclosure, &est, leakage(raw, qber, 1.1), &asym_config).unwrap();
    assert!(asym.secret_bits > finite.secret_bits, "{asym:?} vs {finite:?}");
    assert!(finite.security_bits > 200.0 && asym.security_bits == 0.0);
    let more = alice.key_length(&disclosure, &est, leakage(raw, qber, 1.3), &config).unwrap();
    let extra = leakage(raw, qber, 1.3).total() - leakage(raw, qber, 1.1).total();
    assert_eq!(finite.secret_bits - more.secret_bits, extra, "every leaked bit costs one key bit");
}

#[test]
fn too_much_leakage_aborts_with_a_reason() {
    let (alice, disclosure, est, config) = session(KeyLengthMode::Finite, source(), 50_000_000);
    let raw = alice.raw_key(&disclosure).unwrap().len() as u64;
    let r = alice.key_length(&disclosure, &est, Leakage { ec_bits: raw, verification_bits: 128 }, &config);
    match r {
        Err(Error::Aborted(AbortReason::NoPositiveKeyLength { detail })) => {
            assert!(detail.contains("leaked"), "{detail}")
        }
        other => panic!("expected an abort, got {other:?}"),
    }
}

#[test]
fn finite_mode_keys_from_every_intensity_and_asymptotic_from_the_signal_only() {
    let (fa, fd, _, _) = session(KeyLengthMode::Finite, source(), 20_000_000);
    let (aa, ad, _, _) = session(KeyLengthMode::Asymptotic, source(), 20_000_000);
    let (finite_raw, asym_raw) = (fa.raw_key(&fd).unwrap().len(), aa.raw_key(&ad).unwrap().len());
    // Expected ratio of all X detections to the signal's: 1 + (p_μ2·μ2)/(p_μ1·μ1) ≈ 2.55 (dark counts aside).
    let s = SETTINGS;
    let expected = 1.0 + s.p_mu2 * s.mu2 / (s.p_mu1 * s.mu1);
    let ratio = finite_raw as f64 / asym_raw as f64;
    assert!((ratio / expected - 1.0).abs() < 0.05, "{finite_raw} vs {asym_raw}: {ratio} vs {expected}");
}

#[test]
fn finite_mode_without_decoys_is_unsupported_but_asymptotic_works() {
    // GLLP without decoys reaches only tens of km, with μ of the order of the transmittance.
    let src = Source::no_decoy(0.02).unwrap();
    let (alice, disclosure, est, config) = session_at(0.0, KeyLengthMode::Finite, src.clone(), 40_000_000);
    let leak = Leakage { ec_bits: 10, verification_bits: 128 };
    assert!(matches!(alice.key_length(&disclosure, &est, leak, &config), Err(Error::Unsupported { .. })));
    let (alice, disclosure, est, config) = session_at(0.0, KeyLengthMode::Asymptotic, src, 40_000_000);
    assert!(est.abort.is_none(), "{:?}", est.abort);
    let raw = alice.raw_key(&disclosure).unwrap().len() as u64;
    let qber = est.signal().qber.unwrap();
    let kl = alice.key_length(&disclosure, &est, leakage(raw, qber, 1.1), &config).unwrap();
    assert!(kl.secret_bits > 0 && kl.secret_bits < raw);
}
