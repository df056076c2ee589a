//! A decoy-state BB84 link over 25 km of fibre (GYS system), honest and under attack, with the full classical
//! post-processing: sifting, estimation, Cascade, finite-key length, Toeplitz privacy amplification, all over a
//! Wegman–Carter-authenticated channel.
//!
//! Run: `cargo run --release --example qkd_link`

use quantumacy::qkd::eve::{Eavesdropper, InterceptResend, PhotonNumberSplitting};
use quantumacy::qkd::link::{LinkRun, run};
use quantumacy::qkd::postprocess::PostConfig;
use quantumacy::qkd::protocol::EstimationConfig;
use quantumacy::qkd::sim::{Engine, LinkConfig};
use quantumacy::qkd::theory::{Finite, FiniteConfig, Security};
use quantumacy::qkd::{Intensity, Protocol, Source, System};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (system, km, pulses) = (System::gys(), 25.0, 1_000_000_000u64);
    // Signal, weak decoy and vacuum at the settings that maximise the finite key for this budget.
    let config = FiniteConfig { n_x: 1e6, mu3: 0.0, eps_cor: 1e-15, security: Security::Fixed(1e-10) };
    let s = Finite::new(system, config)?.optimise_for_pulses(km, pulses as f64)?.settings;
    let i = |mean, probability| Intensity { mean, probability };
    let source =
        Source::new(vec![i(s.mu1, s.p_mu1), i(s.mu2, s.p_mu2), i(0.0, 1.0 - s.p_mu1 - s.p_mu2)], s.q_x)?;
    let link = LinkConfig::new(system, km, source, Protocol::Bb84)?;
    let mut attacks: Vec<(&str, Option<Box<dyn Eavesdropper>>)> = vec![
        ("no eavesdropper", None),
        ("intercept-resend on 20 % of pulses", Some(Box::new(InterceptResend::new(0.2)?))),
        ("photon-number splitting", Some(Box::new(PhotonNumberSplitting::new()))),
    ];
    println!(
        "{:<36} {:>10} {:>10} {:>10} {:>8} {:>12}  outcome",
        "channel", "gain μ1", "QBER", "Y1 ≥", "f", "final bits"
    );
    for (name, eve) in &mut attacks {
        let out = run(LinkRun {
            link: link.clone(),
            pulses,
            seed: 7,
            eve: eve.as_mut().map(|e| e.as_mut() as &mut dyn Eavesdropper),
            engine: Engine::Auto,
            sample_fraction: 0.02,
            estimation: EstimationConfig::default(),
            post: Some(PostConfig::default()),
            channel: None,
        })?;
        let r = &out.report;
        let y1 = r.estimates.y1_lower.map_or("-".to_owned(), |y| format!("{y:.2e}"));
        let f = r.ec.as_ref().map_or("-".to_owned(), |e| format!("{:.3}", e.efficiency));
        let outcome = r.abort_reason.clone().unwrap_or_else(|| format!("keys equal: {}", r.keys_equal));
        println!(
            "{name:<36} {:>10.3e} {:>10.4} {y1:>10} {f:>8} {:>12}  {outcome}",
            r.gain,
            r.qber.unwrap_or(f64::NAN),
            r.final_key_bits
        );
    }
    Ok(())
}
