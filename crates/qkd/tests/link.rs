//! The simulator against its theory, its two engines against each other, and the eavesdroppers' signatures.
//!
//! Statistical tolerances are 4σ of the binomial (or of the two-sample difference) — a false failure has
//! probability ≈ 6×10⁻⁵ per comparison; seeds are fixed, so a run either always passes or always fails.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use quantumacy_qkd::eve::{BeamSplitting, Eavesdropper, InterceptResend, PhotonNumberSplitting};
use quantumacy_qkd::link::{LinkOutcome, LinkRun, run};
use quantumacy_qkd::model::expected_rates;
use quantumacy_qkd::protocol::EstimationConfig;
use quantumacy_qkd::sim::{Engine, LinkConfig};
use quantumacy_qkd::{Intensity, Protocol, Source, System};
use quantumacy_testkit::{assert_within_sigma, binomial_sigma, seeds};

fn vacuum_weak(mu: f64, nu: f64) -> Source {
    Source::vacuum_weak(mu, nu, [0.8, 0.15, 0.05], 0.5).unwrap()
}

#[expect(clippy::too_many_arguments, reason = "one call site per scenario reads best flat")]
fn go(
    system: System,
    km: f64,
    source: Source,
    protocol: Protocol,
    pulses: u64,
    seed: u64,
    eve: Option<&mut dyn Eavesdropper>,
    engine: Engine,
) -> LinkOutcome {
    run(LinkRun {
        link: LinkConfig::new(system, km, source, protocol).unwrap(),
        pulses,
        seed,
        eve,
        engine,
        sample_fraction: 1.0,
        estimation: EstimationConfig { qber_threshold: 0.5, ..EstimationConfig::default() },
        post: None,
        channel: None,
    })
    .unwrap()
}

/// Every intensity's gain and QBER within 4σ of the model's expectation.
fn assert_matches_theory(out: &LinkOutcome, system: &System, source: &Source, km: f64) {
    let theory = expected_rates(system, source, km).unwrap();
    for (s, t) in out.report.per_intensity.iter().zip(&theory) {
        assert_within_sigma(s.gain, t.gain, binomial_sigma(t.gain, s.sent), 4.0);
        if s.tested > 0 {
            let sigma = binomial_sigma(t.qber, s.tested);
            assert_within_sigma(s.qber.unwrap(), t.qber, sigma, 4.0);
        }
    }
}

#[test]
fn monte_carlo_agrees_with_theory_at_0_25_50_100_km_over_seeds() {
    let system = System::gys();
    let source = vacuum_weak(0.48, 0.05);
    for km in [0.0, 25.0, 50.0, 100.0] {
        let pulses = if km < 50.0 { 20_000_000 } else { 200_000_000 };
        for seed in seeds(&format!("mc-vs-theory-{km}"), 3) {
            let out = go(system, km, source.clone(), Protocol::Bb84, pulses, seed, None, Engine::Auto);
            assert_matches_theory(&out, &system, &source, km);
            assert_eq!(out.report.pulses_sent, pulses);
            assert_eq!(out.alice_key.len(), out.bob_key.len());
        }
    }
}

#[test]
fn afterpulses_and_depolarisation_follow_the_model() {
    let mut system = System::lim2014();
    system.depolarization = 0.04;
    let source = vacuum_weak(0.5, 0.1);
    let out = go(system, 20.0, source.clone(), Protocol::Bb84, 20_000_000, 11, None, Engine::Auto);
    assert_matches_theory(&out, &system, &source, 20.0);
}

#[test]
fn fast_and_per_pulse_engines_draw_from_the_same_distribution() {
    let system = System::lim2014();
    let source = vacuum_weak(0.5, 0.1);
    let fast = go(system, 10.0, source.clone(), Protocol::Bb84, 4_000_000, 1, None, Engine::Auto);
    let slow = go(system, 10.0, source.clone(), Protocol::Bb84, 4_000_000, 2, None, Engine::PerPulse);
    for (a, b) in fast.report.per_intensity.iter().zip(&slow.report.per_intensity) {
        let p = (a.detections + b.detections) as f64 / (a.sent + b.sent) as f64;
        let sigma = (p * (1.0 - p) * (1.0 / a.sent as f64 + 1.0 / b.sent as f64)).sqrt();
        assert_within_sigma(a.gain - b.gain, 0.0, sigma, 4.0);
        let e = (a.errors + b.errors) as f64 / (a.tested + b.tested) as f64;
        let sigma = (e * (1.0 - e) * (1.0 / a.tested as f64 + 1.0 / b.tested as f64)).sqrt();
        assert_within_sigma(a.qber.unwrap() - b.qber.unwrap(), 0.0, sigma, 4.0);
    }
    assert_matches_theory(&slow, &system, &source, 10.0);
}

#[test]
fn results_depend_on_the_seed_only_not_on_threads() {
    let system = System::gys();
    let source = vacuum_weak(0.48, 0.05);
    let once = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            go(system, 25.0, source.clone(), Protocol::Bb84, 30_000_000, seed, None, Engine::Auto)
        })
    };
    let (a, b) = (once(1, 5), once(2, 5));
    assert_eq!(a.alice_key, b.alice_key);
    assert_eq!(a.bob_key, b.bob_key);
    assert_eq!(a.report.detections, b.report.detections);
    assert_ne!(once(2, 6).report.detections, a.report.detections);
}

fn ideal() -> System {
    let mut s = System::gys();
    s.misalignment = 0.0;
    s.dark_count = 0.0;
    s
}

#[test]
fn full_intercept_resend_gives_25_percent_bb84_and_one_third_six_state() {
    for (protocol, expected) in [(Protocol::Bb84, 0.25), (Protocol::SixState, 1.0 / 3.0)] {
        let mut eve = InterceptResend::new(1.0).unwrap();
        let out = go(
            ideal(),
            5.0,
            Source::no_decoy(0.5).unwrap(),
            protocol,
            3_000_000,
            3,
            Some(&mut eve),
            Engine::Auto,
        );
        let s = &out.report.per_intensity[0];
        assert_within_sigma(s.qber.unwrap(), expected, binomial_sigma(expected, s.tested), 4.0);
        // Eve knows the bit whenever her basis was right: 1/2 (BB84), 1/3 (six-state), plus a lucky half of the rest.
        assert!(out.report.eve.as_ref().unwrap().known_fraction > 0.6);
    }
    // Attacking a fraction p of pulses gives QBER (share of detections that were attacked) / 4. Eve resends one
    // photon per non-empty pulse, detected with η; an honest pulse is detected with 1 − e^(−ημ).
    let (p, mu) = (0.4f64, 0.5f64);
    let eta = ideal().transmittance(5.0).unwrap();
    let attacked = p * (1.0 - (-mu).exp()) * eta;
    let honest = (1.0 - p) * (1.0 - (-eta * mu).exp());
    let expected = attacked / (attacked + honest) / 4.0;
    let mut eve = InterceptResend::new(p).unwrap();
    let out = go(
        ideal(),
        5.0,
        Source::no_decoy(mu).unwrap(),
        Protocol::Bb84,
        3_000_000,
        4,
        Some(&mut eve),
        Engine::Auto,
    );
    let s = &out.report.per_intensity[0];
    assert_within_sigma(s.qber.unwrap(), expected, binomial_sigma(expected, s.tested), 4.0);
}

#[test]
fn full_intercept_resend_aborts_at_the_default_threshold() {
    let mut eve = InterceptResend::new(1.0).unwrap();
    let out = run(LinkRun {
        link: LinkConfig::new(System::gys(), 10.0, vacuum_weak(0.48, 0.05), Protocol::Bb84).unwrap(),
        pulses: 3_000_000,
        seed: 9,
        eve: Some(&mut eve),
        engine: Engine::Auto,
        sample_fraction: 0.2,
        estimation: EstimationConfig::default(),
        post: None,
        channel: None,
    })
    .unwrap();
    assert!(out.report.aborted);
    assert!(out.report.abort_reason.unwrap().contains("exceeds the threshold"));
}

#[test]
fn pns_keeps_signal_gain_and_qber_but_not_the_decoy_gain() {
    let system = System::gys();
    let source = vacuum_weak(0.48, 0.05);
    let km = 40.0;
    let mut eve = PhotonNumberSplitting::new();
    let out = go(system, km, source.clone(), Protocol::Bb84, 40_000_000, 21, Some(&mut eve), Engine::Auto);
    let theory = expected_rates(&system, &source, km).unwrap();
    let (sig, weak) = (&out.report.per_intensity[0], &out.report.per_intensity[1]);
    // Signal: honest gain and QBER within 4σ.
    assert_within_sigma(sig.gain, theory[0].gain, binomial_sigma(theory[0].gain, sig.sent), 4.0);
    assert_within_sigma(sig.qber.unwrap(), theory[0].qber, binomial_sigma(theory[0].qber, sig.tested), 4.0);
    // Weak decoy: Eve cannot tell it from a signal pulse with the same photon number, so its gain collapses.
    let z = (weak.gain - theory[1].gain) / binomial_sigma(theory[1].gain, weak.sent);
    assert!(z < -10.0, "weak-decoy gain only {z:.1}σ from honest");
    assert!(out.report.eve.unwrap().known_fraction > 0.5, "Eve holds a copy of most signal bits");
    // The decoy estimate of Y1 exposes her: far below the honest single-photon yield, and no key.
    let y1_true = system.y0() + system.transmittance(km).unwrap() * (1.0 - system.y0());
    let y1 = out.report.estimates.y1_lower.unwrap();
    assert!(y1 < 0.75 * y1_true, "Y1^L {y1} vs true {y1_true}");
    assert!(out.report.aborted, "PNS must abort");
}

#[test]
fn decoy_estimates_bound_the_true_single_photon_values_and_give_a_key() {
    let system = System::gys();
    let km = 40.0;
    let y1_true = system.y0() + system.transmittance(km).unwrap() * (1.0 - system.y0());
    let e1_true = (0.5 * system.y0() + system.misalignment * system.transmittance(km).unwrap()) / y1_true;
    let out = go(system, km, vacuum_weak(0.48, 0.05), Protocol::Bb84, 300_000_000, 5, None, Engine::Auto);
    let e = &out.report.estimates;
    let (y1, e1) = (e.y1_lower.unwrap(), e.e1_upper.unwrap());
    // MQZL at ν = 0.05: Y1^L a few % below, e1^U a few % above the truth (statistical error ≈ 1 %).
    assert!(y1 < y1_true * 1.02 && y1 > y1_true * 0.9, "Y1^L {y1} vs {y1_true}");
    assert!(e1 > e1_true * 0.95 && e1 < e1_true * 1.3, "e1^U {e1} vs {e1_true}");
    assert!(!out.report.aborted, "{:?}", out.report.abort_reason);
    assert!(out.report.key_rate_per_pulse_estimate.unwrap() > 0.0);
}

#[test]
fn three_intensity_finite_key_mode_keys_from_every_intensity() {
    let system = System::lim2014();
    let i = |mean, probability| Intensity { mean, probability };
    // Balanced bases: with q_x = 0.8 the Z basis is too thin at μ3 for the after-pulse background (a flat
    // ≈ 5×10⁻⁴ per gate here, not proportional to D_k as in Lim's model) and φ_X leaves no key.
    let source = Source::new(vec![i(0.5, 0.8), i(0.1, 0.15), i(2e-4, 0.05)], 0.5).unwrap();
    // Finite size: at 3×10⁸ pulses the Z-basis statistics bound φ_X at ≈ 0.19 (no key); at 10⁹, ≈ 0.08.
    let out = run(LinkRun {
        link: LinkConfig::new(system, 25.0, source, Protocol::Bb84).unwrap(),
        pulses: 1_000_000_000,
        seed: 3,
        eve: None,
        engine: Engine::Auto,
        sample_fraction: 0.1,
        estimation: EstimationConfig::default(),
        post: None,
        channel: None,
    })
    .unwrap();
    let e = &out.report.estimates;
    assert_eq!(e.method, Some(quantumacy_qkd::protocol::DecoyMethod::Lim2014));
    assert!(!out.report.aborted, "{:?}", out.report.abort_reason);
    // Raw key: X-basis bits of all intensities, so more than the signal's X-basis share alone.
    let signal_x = out.report.per_intensity[0].sifted as f64 / 2.0 * 0.9;
    assert!(out.report.raw_key_bits as f64 > signal_x, "{} vs {signal_x}", out.report.raw_key_bits);
}

#[test]
fn beam_splitting_is_invisible_to_bob_and_reads_the_multi_photon_pulses() {
    let system = System::gys();
    let source = vacuum_weak(0.48, 0.05);
    let mut eve = BeamSplitting;
    let out = go(system, 25.0, source.clone(), Protocol::Bb84, 10_000_000, 8, Some(&mut eve), Engine::Auto);
    assert_matches_theory(&out, &system, &source, 25.0);
    // Eve holds a photon whenever ≥ 1 photon was reflected: close to the multi-photon share of detections.
    let known = out.report.eve.unwrap().known_fraction;
    assert!(known > 0.15 && known < 0.35, "{known}");
}

#[test]
fn b92_and_six_state_run_end_to_end() {
    for protocol in [Protocol::B92, Protocol::SixState] {
        let out = go(
            System::gys(),
            10.0,
            Source::no_decoy(0.3).unwrap(),
            protocol,
            5_000_000,
            2,
            None,
            Engine::Auto,
        );
        assert!(out.report.sifted_bits > 1000);
        let q = out.report.qber.unwrap();
        assert!(q > 0.0 && q < 0.1, "{protocol:?}: {q}");
    }
}
