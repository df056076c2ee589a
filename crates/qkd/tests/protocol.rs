//! Malformed or tampered protocol messages are rejected with typed errors; well-formed ones give equal-length keys.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use quantumacy_qkd::protocol::{Alice, Bob, EstimationConfig};
use quantumacy_qkd::sim::{Engine, LinkConfig, simulate};
use quantumacy_qkd::{Error, Protocol, Source, System};

fn parties() -> (Alice, Bob) {
    parties_with(0.5, 200_000)
}

fn parties_with(mu: f64, pulses: u64) -> (Alice, Bob) {
    let link = LinkConfig::new(System::gys(), 10.0, Source::no_decoy(mu).unwrap(), Protocol::Bb84).unwrap();
    let tx = simulate(&link, None, pulses, 1, Engine::Auto).unwrap();
    (Alice::new(Protocol::Bb84, link.source().clone(), tx.alice), Bob::new(Protocol::Bb84, tx.bob))
}

fn is_protocol_error<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::Protocol { .. }))
}

#[test]
fn without_decoys_a_bright_source_has_no_key_and_a_dim_one_has() {
    // GLLP: every multi-photon pulse may be tagged; at μ = 0.5 and 10 km, P_multi = 0.090 exceeds the gain
    // Q ≈ 0.014, so Δ > 1 and no key is possible. At μ = 0.03 (≈ η) the rate is positive.
    for (mu, pulses, key) in [(0.5, 200_000, false), (0.03, 5_000_000, true)] {
        let (mut alice, mut bob) = parties_with(mu, pulses);
        let reply = alice.sift(&bob.detection_report()).unwrap();
        bob.apply_sift(&reply).unwrap();
        let est = alice.estimate(&bob.disclose(0.1, 7).unwrap(), &EstimationConfig::default()).unwrap();
        assert_eq!(est.abort.is_none(), key, "μ = {mu}: {:?}", est.abort);
        assert_eq!(est.key_rate_per_pulse.unwrap() > 0.0, key);
    }
}

#[test]
fn honest_exchange_gives_equal_length_keys_with_the_measured_error_rate() {
    let (mut alice, mut bob) = parties();
    let report = bob.detection_report();
    let reply = alice.sift(&report).unwrap();
    bob.apply_sift(&reply).unwrap();
    let disclosure = bob.disclose(0.1, 7).unwrap();
    let est = alice.estimate(&disclosure, &EstimationConfig::default()).unwrap();
    assert!(est.signal().qber.unwrap() < 0.06);
    let (ka, kb) = (alice.raw_key(&disclosure).unwrap(), bob.raw_key().unwrap());
    assert_eq!(ka.len(), kb.len());
    // Key bits: X-basis matches (q_x² = ¼ of ≈ 2700 detections), less the 10 % sample.
    assert!(ka.len() > 500, "{}", ka.len());
    let qber = ka.hamming_distance(&kb) as f64 / ka.len() as f64;
    assert!(qber > 0.01 && qber < 0.06, "{qber}");
}

#[test]
fn tampered_detection_reports_are_rejected() {
    let (mut alice, mut bob) = parties();
    let report = bob.detection_report();

    let mut short = report.clone();
    short.bases.pop();
    assert!(is_protocol_error(alice.sift(&short)));

    let mut unsorted = report.clone();
    unsorted.indices.swap(0, 1);
    assert!(is_protocol_error(alice.sift(&unsorted)));

    let mut invented = report.clone();
    invented.indices[0] = invented.indices[1] - 1;
    if invented.indices[0] != report.indices[0] {
        assert!(is_protocol_error(alice.sift(&invented)));
    }
    let mut beyond = report.clone();
    *beyond.indices.last_mut().unwrap() = u64::MAX;
    assert!(is_protocol_error(alice.sift(&beyond)));
}

#[test]
fn tampered_replies_and_disclosures_are_rejected() {
    let (mut alice, mut bob) = parties();
    assert!(is_protocol_error(bob.disclose(0.1, 1)), "disclosure before sifting");
    assert!(is_protocol_error(bob.raw_key()));
    let report = bob.detection_report();
    let reply = alice.sift(&report).unwrap();

    let mut truncated = reply.clone();
    truncated.intensities.pop();
    assert!(is_protocol_error(bob.apply_sift(&truncated)));
    let mut bad_basis = reply.clone();
    bad_basis.bases[0] = 9;
    assert!(is_protocol_error(bob.apply_sift(&bad_basis)));

    bob.apply_sift(&reply).unwrap();
    assert!(matches!(bob.disclose(0.0, 1), Err(Error::InvalidParameter { .. })));
    assert!(matches!(bob.disclose(1.5, 1), Err(Error::InvalidParameter { .. })));
    let disclosure = bob.disclose(0.1, 1).unwrap();
    let config = EstimationConfig::default();

    let mut fewer_bits = disclosure.clone();
    fewer_bits.positions.push(fewer_bits.positions.last().unwrap() + 1);
    assert!(is_protocol_error(alice.estimate(&fewer_bits, &config)));
    let mut unsorted = disclosure.clone();
    unsorted.positions.swap(0, 1);
    assert!(is_protocol_error(alice.estimate(&unsorted, &config)));
    let mut beyond = disclosure.clone();
    *beyond.positions.last_mut().unwrap() = u32::MAX;
    assert!(is_protocol_error(alice.estimate(&beyond, &config)));
    assert!(is_protocol_error(alice.raw_key(&beyond)));
    let bad_config = EstimationConfig { qber_threshold: 0.7, ..config };
    assert!(matches!(alice.estimate(&disclosure, &bad_config), Err(Error::InvalidParameter { .. })));
}

#[test]
fn bad_configurations_are_typed_errors() {
    let src = || Source::no_decoy(0.5).unwrap();
    assert!(matches!(
        LinkConfig::new(System::gys(), -1.0, src(), Protocol::Bb84),
        Err(Error::InvalidParameter { name: "distance_km", .. })
    ));
    assert!(matches!(
        LinkConfig::new(System::gys(), f64::NAN, src(), Protocol::Bb84),
        Err(Error::InvalidParameter { .. })
    ));
    let mut eta = System::gys();
    eta.detector_efficiency = 1.2;
    assert!(matches!(
        LinkConfig::new(eta, 10.0, src(), Protocol::Bb84),
        Err(Error::InvalidParameter { name: "detector_efficiency", .. })
    ));
    let link = LinkConfig::new(System::gys(), 10.0, src(), Protocol::Bb84).unwrap();
    assert!(matches!(
        simulate(&link, None, 0, 1, Engine::Auto),
        Err(Error::InvalidParameter { name: "pulses", .. })
    ));
    assert!(quantumacy_qkd::eve::InterceptResend::new(1.5).is_err());
    assert!("bb85".parse::<Protocol>().is_err());
}

#[test]
fn error_messages_are_pinned() {
    let e = Error::InvalidParameter { name: "mu", value: -1.0, expected: "in (0, 100]" };
    assert_eq!(e.to_string(), "invalid mu = -1: must be in (0, 100]");
    assert_eq!(
        Error::ProbabilitySum { what: "intensity", sum: 0.9 }.to_string(),
        "intensity probabilities sum to 0.9, not 1"
    );
    let abort = quantumacy_qkd::AbortReason::QberAboveThreshold { qber: 0.25, threshold: 0.11 };
    assert_eq!(
        Error::Aborted(abort).to_string(),
        "protocol aborted: QBER 25.00 % exceeds the threshold 11.00 %"
    );
}
