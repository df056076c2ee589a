//! A decoy-state BB84 link over 25 km of fibre (GYS system), honest and under attack.
//!
//! Run: `cargo run --release --example qkd_link`

use quantumacy::qkd::eve::{Eavesdropper, InterceptResend, PhotonNumberSplitting};
use quantumacy::qkd::link::{LinkRun, run};
use quantumacy::qkd::protocol::EstimationConfig;
use quantumacy::qkd::sim::{Engine, LinkConfig};
use quantumacy::qkd::{Protocol, Source, System};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let source = Source::vacuum_weak(0.48, 0.05, [0.8, 0.15, 0.05], 0.5)?;
    let link = LinkConfig::new(System::gys(), 25.0, source, Protocol::Bb84)?;
    let mut attacks: Vec<(&str, Option<Box<dyn Eavesdropper>>)> = vec![
        ("no eavesdropper", None),
        ("intercept-resend on 20 % of pulses", Some(Box::new(InterceptResend::new(0.2)?))),
        ("photon-number splitting", Some(Box::new(PhotonNumberSplitting::new()))),
    ];
    println!("{:<36} {:>10} {:>10} {:>12} {:>10}  outcome", "channel", "gain μ", "QBER μ", "gain ν", "Y1 ≥");
    for (name, eve) in &mut attacks {
        let out = run(LinkRun {
            link: link.clone(),
            pulses: 20_000_000,
            seed: 7,
            eve: eve.as_mut().map(|e| e.as_mut() as &mut dyn Eavesdropper),
            engine: Engine::Auto,
            sample_fraction: 0.1,
            estimation: EstimationConfig::default(),
        })?;
        let r = &out.report;
        let y1 = r.estimates.y1_lower.map_or("-".to_owned(), |y| format!("{y:.2e}"));
        let outcome = r.abort_reason.clone().unwrap_or_else(|| format!("{} raw key bits", r.raw_key_bits));
        println!(
            "{name:<36} {:>10.3e} {:>10.4} {:>12.3e} {y1:>10}  {outcome}",
            r.gain,
            r.qber.unwrap_or(f64::NAN),
            r.per_intensity[1].gain
        );
    }
    Ok(())
}
