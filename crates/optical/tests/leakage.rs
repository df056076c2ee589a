//! Leakage formulas against the regression values of the reference (authors' `Leak.m`, `CCRB1.m`, `Maps.m`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use quantumacy_optical::leakage::{data_leakage, entropy_g, holevo_chi};
use quantumacy_optical::link::{returned_excess, snr_per_mu};
use quantumacy_optical::{Convention, Link, Mapping, leakage};
use quantumacy_testkit::assert_close;

#[test]
fn holevo_chi_matches_regression_values_at_g_1_3() {
    for (mu, chi) in [(1.0, 0.01314), (4.0, 0.04568), (10.0, 0.1009)] {
        let link = Link::new(mu, 1.3, 392).unwrap();
        let l = leakage(&link, Convention::ArxivV1);
        assert_close(l.holevo_chi, chi, 1e-4, 0.0);
        assert_eq!(l.weight_leakage_bits, l.holevo_chi);
        assert_eq!(leakage(&link, Convention::Prx).weight_leakage_bits, l.holevo_chi / 2.0);
    }
}

#[test]
fn data_leakage_v1_and_snr_match_regression_values() {
    let link = Link::new(4.0, 1.3, 392).unwrap();
    assert_close(data_leakage(&link, Convention::ArxivV1), 0.00156, 1e-5, 0.0);
    // ≈ ½ log2(1 + 4g²/n), the authors' closed form.
    let g = returned_excess(1.3);
    assert_close(
        data_leakage(&link, Convention::ArxivV1),
        0.5 * (1.0 + 4.0 * g * g / 392.0).log2(),
        1e-5,
        0.0,
    );
    let prx = 0.5 * (1.0 + (794.0 / 392.0) * g * g / (1.0 + g)).log2();
    assert_close(data_leakage(&link, Convention::Prx), prx, 1e-12, 0.0);
    assert_close(snr_per_mu(1.3), 0.2635, 1e-4, 0.0);
}

#[test]
fn chi_vanishes_without_excess_noise_and_is_monotone() {
    for mu in [0.1, 1.0, 10.0, 100.0] {
        assert!(holevo_chi(mu, 1.0, 0.0).abs() < 1e-9, "χ(μ={mu}, ε=0) must be 0");
    }
    let mut last = 0.0;
    for mu in [0.5, 1.0, 2.0, 4.0, 8.0, 16.0] {
        let chi = holevo_chi(mu, 1.0, 0.01);
        assert!(chi > last);
        last = chi;
    }
    let mut last = 0.0;
    for eps in [0.001, 0.002, 0.005, 0.01, 0.05] {
        let chi = holevo_chi(4.0, 1.0, eps);
        assert!(chi > last);
        last = chi;
    }
    // Loss attributed to the adversary raises the weight leakage steeply.
    let lossless = Link::new(4.0, 1.3, 392).unwrap();
    let lossy = lossless.with_loss_db(1.0).unwrap();
    assert!(
        leakage(&lossy, Convention::ArxivV1).holevo_chi
            > 2.0 * leakage(&lossless, Convention::ArxivV1).holevo_chi
    );
    // Leakage falls roughly as 1/n (χ ∝ ε·log(1/ε), so a little slower: ×7.4 for ×10 modes).
    let big = Link::new(4.0, 1.3, 3920).unwrap();
    let ratio =
        leakage(&lossless, Convention::ArxivV1).holevo_chi / leakage(&big, Convention::ArxivV1).holevo_chi;
    assert!((6.0..10.0).contains(&ratio), "ratio {ratio}");
    assert!(entropy_g(1.0) == 0.0);
}

#[test]
fn snr_per_mu_peaks_at_two_plus_root_two() {
    let g_star = 2.0 + 2f64.sqrt();
    assert_close(snr_per_mu(g_star), 0.5469, 1e-4, 0.0);
    for g in [1.0, 1.5, 2.0, 3.0, 3.3, 3.5, 5.0, 100.0] {
        assert!(snr_per_mu(g) <= snr_per_mu(g_star) + 1e-15);
    }
    assert_eq!(snr_per_mu(1.0), 0.0);
    assert_close(snr_per_mu(1e9), 0.5, 1e-8, 0.0);
}

#[test]
fn mappings() {
    let link = Link::new(7.6, 1.43, 392).unwrap();
    let r = snr_per_mu(1.43);
    assert_close(link.snr(Mapping::Authors), (7.6 * r).sqrt(), 1e-15, 0.0);
    assert_close(link.snr(Mapping::Physics), 4.0 * 7.6 * r, 1e-15, 0.0);
}

#[test]
fn bad_parameters_are_typed_errors() {
    for (mu, g) in [(0.0, 1.3), (-1.0, 1.3), (f64::NAN, 1.3), (1.0, 0.99), (1.0, f64::INFINITY)] {
        assert!(Link::new(mu, g, 392).is_err(), "μ={mu} G={g}");
    }
    assert!(Link::new(1.0, 1.3, 0).is_err());
    assert!(Link::new(1.0, 1.3, 392).unwrap().with_loss_db(-1.0).is_err());
    assert!(Link::new(1.0, 1.3, 392).unwrap().with_xi(-0.1).is_err());
    assert_eq!(Link::new(0.0, 1.3, 392).unwrap_err().to_string(), "parameter mu = 0 is out of range: mu > 0");
}
