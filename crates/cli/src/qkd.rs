//! `quantumacy qkd`: simulate a decoy-state BB84 link; key-rate theory (`qkd_keyrate`).

use std::fmt::Write as _;

use anyhow::anyhow;
use clap::{Args, Subcommand};
use quantumacy_qkd::eve::{BeamSplitting, Eavesdropper, InterceptResend, PhotonNumberSplitting};
use quantumacy_qkd::link::{LinkReport, LinkRun, run};
use quantumacy_qkd::postprocess::PostConfig;
use quantumacy_qkd::protocol::{EstimationConfig, KeyLengthMode};
use quantumacy_qkd::sim::{Engine, LinkConfig};
use quantumacy_qkd::theory::{Finite, FiniteConfig, Security};
use quantumacy_qkd::{Intensity, Preset, Protocol, Source, System};

use crate::GlobalArgs;
use crate::output::{Failure, Output};

#[derive(Debug, Subcommand)]
pub(crate) enum QkdCommand {
    /// Simulate a QKD link: transmission, sifting and parameter estimation.
    Simulate(Box<SimulateArgs>),
    /// Secret key rate per pulse versus distance (asymptotic or finite-key theory) and the maximum distance.
    Keyrate(Box<crate::qkd_keyrate::KeyrateArgs>),
    /// Privacy amplification by (modified) Toeplitz hashing of a key file, or a throughput benchmark (--bench).
    Amplify(crate::qkd_amplify::AmplifyArgs),
    /// Cascade reconciliation of simulated frames: efficiency, channel uses, frame error rate, throughput.
    Reconcile(crate::qkd_reconcile::ReconcileArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum KeyLengthArg {
    /// Finite-key length (Lim et al. 2014, Eq. 1), ε_sec = 1e-10, ε_cor = 1e-15.
    Finite,
    /// Asymptotic (GLLP / MQZL decoy) length on the measured data.
    Asymptotic,
}

impl From<KeyLengthArg> for KeyLengthMode {
    fn from(a: KeyLengthArg) -> Self {
        match a {
            KeyLengthArg::Finite => KeyLengthMode::Finite,
            KeyLengthArg::Asymptotic => KeyLengthMode::Asymptotic,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DecoyScheme {
    /// Signal only.
    None,
    /// Signal, weak decoy ν and vacuum (Ma, Qi, Zhao, Lo 2005).
    VacuumWeak,
    /// Three intensities μ1 > μ2 > μ3 (Lim et al. 2014).
    ThreeIntensity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum EngineArg {
    /// Geometric skipping for an honest channel, per-pulse with an eavesdropper.
    Auto,
    /// Per-pulse always (the oracle).
    PerPulse,
}

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// System preset: gys (Gobby–Yuan–Shields 2004) or lim2014 (Lim et al. 2014, Sec. IV).
    #[arg(long, default_value = "gys")]
    preset: String,
    /// Fibre length in km.
    #[arg(long, default_value_t = 50.0, allow_negative_numbers = true)]
    distance_km: f64,
    /// Pulses to send (scientific notation accepted, e.g. 1e9).
    #[arg(long, default_value = "1e8", allow_negative_numbers = true)]
    pulses: String,
    /// Decoy scheme.
    #[arg(long, value_enum, default_value_t = DecoyScheme::VacuumWeak)]
    decoy: DecoyScheme,
    /// Signal intensity μ (μ1 for three-intensity). Default: see --key-length; else 0.48 (0.5 for three-intensity).
    #[arg(long, allow_negative_numbers = true)]
    mu: Option<f64>,
    /// Weak decoy intensity ν (μ2 for three-intensity). Default: see --key-length; else 0.05 (0.1 for
    /// three-intensity).
    #[arg(long, allow_negative_numbers = true)]
    nu: Option<f64>,
    /// Third intensity μ3 for three-intensity. Default 2e-4 (Lim et al.).
    #[arg(long, allow_negative_numbers = true)]
    mu3: Option<f64>,
    /// Intensity probabilities, comma-separated, signal first. Default: see --key-length; else 0.8,0.15,0.05
    /// (1 without decoys).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    probabilities: Option<Vec<f64>>,
    /// Probability q_x of the key basis for Alice and Bob. Default: see --key-length; else 0.5.
    #[arg(long, allow_negative_numbers = true)]
    qx: Option<f64>,
    /// Key-length formula: finite (Lim et al. 2014 Eq. 1 with the leakage measured) or asymptotic. With
    /// decoys, finite and none of --mu/--nu/--probabilities/--qx given, the source settings are those that
    /// maximise the finite key for this distance and pulse count (theory module, Lim 2014 optimiser).
    #[arg(long, value_enum, default_value_t = KeyLengthArg::Finite)]
    key_length: KeyLengthArg,
    /// Protocol: bb84, six-state or b92.
    #[arg(long, default_value = "bb84")]
    protocol: String,
    /// Eavesdropper: none, intercept-resend=FRACTION, pns or beam-splitting.
    #[arg(long, default_value = "none")]
    eve: String,
    /// Extra fixed loss in dB.
    #[arg(long, allow_negative_numbers = true)]
    extra_loss_db: Option<f64>,
    /// Override the preset's detector efficiency η_Bob.
    #[arg(long, allow_negative_numbers = true)]
    eta_bob: Option<f64>,
    /// Override the preset's dark-count probability per gate per detector.
    #[arg(long, allow_negative_numbers = true)]
    dark_count: Option<f64>,
    /// Override the preset's misalignment error e_det.
    #[arg(long, allow_negative_numbers = true)]
    misalignment: Option<f64>,
    /// Override the preset's after-pulse probability.
    #[arg(long, allow_negative_numbers = true)]
    afterpulse: Option<f64>,
    /// Override the preset's fibre attenuation in dB/km.
    #[arg(long, allow_negative_numbers = true)]
    attenuation_db_per_km: Option<f64>,
    /// Channel depolarisation probability p (adds QBER p/2).
    #[arg(long, allow_negative_numbers = true)]
    depolarization: Option<f64>,
    /// Fraction of key-basis bits also disclosed for testing (the other basis is always disclosed in full, so
    /// a small sample suffices).
    #[arg(long, default_value_t = 0.02, allow_negative_numbers = true)]
    sample_fraction: f64,
    /// Cascade variant of the error correction.
    #[arg(long, value_enum, default_value_t = crate::qkd_reconcile::VariantArg::Best)]
    variant: crate::qkd_reconcile::VariantArg,
    /// Target Cascade frame length in bits (frames are reconciled in parallel).
    #[arg(long, default_value_t = 1 << 16)]
    frame_bits: usize,
    /// Stop after parameter estimation (raw keys only: no reconciliation, amplification or authentication).
    #[arg(long)]
    raw_only: bool,
    /// Abort above this signal QBER.
    #[arg(long, default_value_t = 0.11, allow_negative_numbers = true)]
    qber_threshold: f64,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulation engine.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    engine: EngineArg,
}

pub(crate) fn run_command(cmd: QkdCommand, global: &GlobalArgs, out: &Output) -> Result<(), Failure> {
    match cmd {
        QkdCommand::Simulate(args) => simulate(*args, out),
        QkdCommand::Keyrate(args) => crate::qkd_keyrate::run(*args, global, out),
        QkdCommand::Amplify(args) => crate::qkd_amplify::amplify(&args, out),
        QkdCommand::Reconcile(args) => crate::qkd_reconcile::run(&args, out),
    }
}

fn source(args: &SimulateArgs, system: &System, pulses: u64) -> Result<Source, quantumacy_qkd::Error> {
    let unset = args.mu.is_none() && args.nu.is_none() && args.probabilities.is_none() && args.qx.is_none();
    if unset && args.key_length == KeyLengthArg::Finite && args.decoy != DecoyScheme::None {
        // Too few pulses for any finite key: the fixed defaults below (the run will then abort with a reason).
        if let Some(source) = finite_optimum(args, system, pulses)? {
            return Ok(source);
        }
    }
    let means = match args.decoy {
        DecoyScheme::None => vec![args.mu.unwrap_or(0.48)],
        DecoyScheme::VacuumWeak => vec![args.mu.unwrap_or(0.48), args.nu.unwrap_or(0.05), 0.0],
        DecoyScheme::ThreeIntensity => {
            vec![args.mu.unwrap_or(0.5), args.nu.unwrap_or(0.1), args.mu3.unwrap_or(2e-4)]
        }
    };
    let probs = args.probabilities.clone().unwrap_or_else(|| match means.len() {
        1 => vec![1.0],
        _ => vec![0.8, 0.15, 0.05],
    });
    if probs.len() != means.len() {
        return Err(quantumacy_qkd::Error::Unsupported {
            detail: format!("{} probabilities for {} intensities", probs.len(), means.len()),
        });
    }
    let intensities =
        means.into_iter().zip(probs).map(|(mean, probability)| Intensity { mean, probability }).collect();
    Source::new(intensities, args.qx.unwrap_or(0.5))
}

/// The three-intensity settings (μ3 = 0 for vacuum + weak) that maximise the Lim 2014 finite key for this
/// system, distance and pulse budget; `None` if even the optimum has no key.
fn finite_optimum(
    args: &SimulateArgs,
    system: &System,
    pulses: u64,
) -> Result<Option<Source>, quantumacy_qkd::Error> {
    let mu3 = match args.decoy {
        DecoyScheme::VacuumWeak => 0.0,
        _ => args.mu3.unwrap_or(2e-4),
    };
    let defaults = EstimationConfig::default();
    let config = FiniteConfig {
        n_x: 1e6,
        mu3,
        eps_cor: defaults.eps_cor,
        security: Security::Fixed(defaults.eps_sec),
    };
    Finite::new(*system, config)?.optimal_source(args.distance_km, pulses as f64)
}

fn eavesdropper(spec: &str) -> anyhow::Result<Option<Box<dyn Eavesdropper>>> {
    Ok(match spec.split_once('=') {
        None if spec == "none" => None,
        None if spec == "pns" => Some(Box::new(PhotonNumberSplitting::new())),
        None if spec == "beam-splitting" => Some(Box::new(BeamSplitting)),
        Some(("intercept-resend", f)) => {
            let fraction: f64 =
                f.parse().map_err(|_| anyhow!("intercept-resend fraction {f:?} is not a number"))?;
            Some(Box::new(InterceptResend::new(fraction)?))
        }
        _ => {
            return Err(anyhow!(
                "unknown eavesdropper {spec:?} (none, intercept-resend=F, pns, beam-splitting)"
            ));
        }
    })
}

/// Parses a pulse count such as `1e9` or `250000000`, which must be a positive integer.
fn pulse_count(text: &str) -> anyhow::Result<u64> {
    let v: f64 = text.parse().map_err(|_| anyhow!("pulses {text:?} is not a number"))?;
    if !(v >= 1.0 && v <= quantumacy_qkd::sim::MAX_PULSES as f64 && v.fract() == 0.0) {
        return Err(anyhow!("pulses must be a whole number in [1, 2^48], got {text}"));
    }
    Ok(v as u64)
}

fn simulate(args: SimulateArgs, out: &Output) -> Result<(), Failure> {
    let preset: Preset = args.preset.parse().map_err(Failure::usage)?;
    let mut system = preset.system();
    if let Some(db) = args.extra_loss_db {
        system.extra_loss_db = db;
    }
    let overrides = [
        (args.depolarization, &mut system.depolarization),
        (args.eta_bob, &mut system.detector_efficiency),
        (args.dark_count, &mut system.dark_count),
        (args.misalignment, &mut system.misalignment),
        (args.afterpulse, &mut system.afterpulse),
        (args.attenuation_db_per_km, &mut system.attenuation_db_per_km),
    ];
    for (value, field) in overrides {
        if let Some(v) = value {
            *field = v;
        }
    }
    let protocol: Protocol = args.protocol.parse().map_err(Failure::usage)?;
    let pulses = pulse_count(&args.pulses).map_err(Failure::usage)?;
    let source = source(&args, &system, pulses).map_err(Failure::usage)?;
    let link = LinkConfig::new(system, args.distance_km, source, protocol).map_err(Failure::usage)?;
    let mut eve = eavesdropper(&args.eve).map_err(Failure::usage)?;
    let estimation = EstimationConfig {
        qber_threshold: args.qber_threshold,
        ec_efficiency: system.ec_efficiency,
        key_length: args.key_length.into(),
        ..EstimationConfig::default()
    };
    let engine = match args.engine {
        EngineArg::Auto => Engine::Auto,
        EngineArg::PerPulse => Engine::PerPulse,
    };
    let bar = out.progress(1, "simulating");
    let outcome = run(LinkRun {
        link,
        pulses,
        seed: args.seed,
        eve: match eve.as_mut() {
            Some(e) => Some(e.as_mut() as &mut dyn Eavesdropper),
            None => None,
        },
        engine,
        sample_fraction: args.sample_fraction,
        estimation,
        post: (!args.raw_only).then(|| PostConfig {
            variant: args.variant.into(),
            frame_bits: args.frame_bits,
            ..PostConfig::default()
        }),
        channel: None,
    })
    .map_err(|e| match e {
        quantumacy_qkd::Error::InvalidParameter { .. } | quantumacy_qkd::Error::Unsupported { .. } => {
            Failure::usage(e)
        }
        other => Failure::failed(other),
    })?;
    bar.finish_and_clear();
    out.emit(&SimulateReport::from(outcome.report), human)
}

/// The JSON document: the library's report plus the machine's parallelism.
#[derive(serde::Serialize)]
struct SimulateReport {
    #[serde(flatten)]
    report: LinkReport,
    threads: usize,
}

impl From<LinkReport> for SimulateReport {
    fn from(report: LinkReport) -> Self {
        SimulateReport { report, threads: rayon_threads() }
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

fn human(r: &SimulateReport) -> String {
    let l = &r.report;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:?} over {} km, {} pulses: {} detections ({} double clicks), {} sifted, {} raw key bits",
        l.link.protocol(),
        l.link.distance_km(),
        l.pulses_sent,
        l.detections,
        l.double_clicks,
        l.sifted_bits,
        l.raw_key_bits
    );
    let _ = writeln!(
        s,
        "{:>10} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "intensity", "sent", "gain", "theory", "QBER", "theory"
    );
    for (m, t) in l.per_intensity.iter().zip(&l.theory.per_intensity) {
        let q = m.qber.map_or("-".to_owned(), |q| format!("{:.4}", q));
        let _ = writeln!(
            s,
            "{:>10.4} {:>12} {:>12.4e} {:>12.4e} {:>10} {:>10.4}",
            m.mean, m.sent, m.gain, t.gain, q, t.qber
        );
    }
    if let (Some(y1), Some(e1), Some(q1)) = (l.estimates.y1_lower, l.estimates.e1_upper, l.estimates.q1_lower)
    {
        let _ = writeln!(s, "decoy bounds: Y1 ≥ {y1:.4e}, e1 ≤ {e1:.4}, Q1 ≥ {q1:.4e}");
    }
    if let Some(eve) = &l.eve {
        let _ = writeln!(
            s,
            "eavesdropper {}: holds {:.1} % of key-basis signal bits",
            eve.name,
            eve.known_fraction * 100.0
        );
    }
    match &l.abort_reason {
        Some(reason) => {
            let _ = writeln!(s, "ABORTED: {reason}");
        }
        None => {
            let _ = writeln!(
                s,
                "design estimate before error correction (asymptotic, signal bits, f = {}): {:.3e} per pulse",
                l.link.system().ec_efficiency,
                l.key_rate_per_pulse_estimate.unwrap_or(0.0)
            );
        }
    }
    if let Some(ec) = &l.ec {
        let _ = writeln!(
            s,
            "Cascade {}: {} errors corrected in {} frames, {} bits disclosed, f = {:.3}, {} round trips, {} \
             frames discarded",
            ec.variant.name(),
            ec.errors_corrected,
            ec.frames,
            ec.leaked_bits,
            ec.efficiency,
            ec.channel_uses,
            ec.frame_errors
        );
    }
    if let Some(kl) = &l.key_length {
        let _ = writeln!(
            s,
            "key length ({:?}): single photons ≥ {:.0}, phase error ≤ {:.4}, leaked {}, security {:.0} → {} bits",
            kl.mode, kl.single_photon_bits, kl.phase_error, kl.leaked_bits, kl.security_bits, kl.secret_bits
        );
    }
    if let (Some(pa), Some(auth)) = (&l.pa, &l.auth) {
        let theory =
            l.theory.finite_key_rate_per_pulse.map_or(String::new(), |t| format!(" (theory {t:.3e})"));
        let _ = writeln!(
            s,
            "privacy amplification {} → {} bits; keys equal: {}; authentication used {} pool bits, net key {} bits",
            pa.input_bits, pa.output_bits, l.keys_equal, auth.key_bits_consumed, l.net_key_bits
        );
        let _ = writeln!(
            s,
            "secret key rate {:.3e} per pulse{theory}, {:.0} bits/s",
            l.secret_key_rate_per_pulse, l.secret_bits_per_second
        );
    }
    let _ = write!(s, "{:.3} s, {:.3e} pulses/s on {} threads", l.elapsed_s, l.pulses_per_second, r.threads);
    s
}
