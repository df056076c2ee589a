//! `quantumacy optical`: leakage bounds, noisy MNIST inference, sweeps and the operating-point search of the
//! optical quantum-secure MPC engine (Sulimany et al., arXiv:2408.05629 / PRX 15, 041056).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use quantumacy_data::mnist;
use quantumacy_optical::client::{InterceptResend, LargerTap};
use quantumacy_optical::network::mnist_inputs;
use quantumacy_optical::sweep::{self, AccuracyPoint, Budget};
use quantumacy_optical::{
    Client, Convention, Engine, GaussianEngine, Link, Mapping, ModeEngine, Network, Packing, Verifier,
    leakage, plot, pretrained,
};
use serde::Serialize;

use crate::GlobalArgs;
use crate::output::{Failure, Output};

/// The paper's published accuracy-vs-F points (held-out split of the training set).
const PUBLISHED: [(f64, f64); 5] =
    [(0.218, 0.508), (0.965, 0.901), (2.32, 0.960), (3.65, 0.970), (30.0, 0.980)];

#[derive(Debug, Subcommand)]
pub(crate) enum OpticalCommand {
    /// Weight and data leakage (Holevo χ, Cramér–Rao) of one operating point.
    Leakage {
        /// Mean photons per weight symbol μ.
        #[arg(long)]
        mu: f64,
        /// Client amplifier gain G.
        #[arg(long)]
        gain: f64,
        /// Modes per inner product n.
        #[arg(long, default_value_t = 392)]
        modes: usize,
        /// Channel loss attributed to the adversary (dB).
        #[arg(long, default_value_t = 0.0)]
        loss_db: f64,
        /// Technical noise ξ (shot-noise units).
        #[arg(long, default_value_t = 0.0)]
        xi: f64,
        #[arg(long, value_enum, default_value_t = ConventionArg::ArxivV1)]
        convention: ConventionArg,
    },
    /// Noisy MNIST inference on t10k with the bundled MLP at one operating point.
    Mnist {
        /// Mean photons per weight symbol μ.
        #[arg(long)]
        mu: f64,
        /// Client amplifier gain G.
        #[arg(long)]
        gain: f64,
        #[arg(long, value_enum, default_value_t = EngineArg::Gaussian)]
        engine: EngineArg,
        #[arg(long, value_enum, default_value_t = ConventionArg::ArxivV1)]
        convention: ConventionArg,
        #[arg(long, value_enum, default_value_t = MappingArg::Authors)]
        mapping: MappingArg,
        /// Use the linear 784 → 10 model instead of the MLP.
        #[arg(long)]
        linear: bool,
        /// Evaluate only the first N test images.
        #[arg(long)]
        limit: Option<usize>,
        /// Noise seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Accuracy vs F (Gaussian engine) and the (μ, G) accuracy/leakage map; optional SVG plots.
    Sweep {
        /// Write the accuracy-vs-F plot here (SVG).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Write the (μ, G) map with contours here (SVG).
        #[arg(long)]
        map_plot: Option<PathBuf>,
        /// Points on the log-spaced F grid from 0.01 to 100.
        #[arg(long, default_value_t = 25)]
        points: usize,
        /// Noise seeds averaged per point.
        #[arg(long, default_value_t = 1)]
        repeats: u64,
        #[arg(long, value_enum, default_value_t = ConventionArg::ArxivV1)]
        convention: ConventionArg,
        #[arg(long, value_enum, default_value_t = MappingArg::Authors)]
        mapping: MappingArg,
    },
    /// The most accurate (μ, G) with I_w < 0.1 and I_x < 0.01, and its measured t10k accuracy.
    OperatingPoint {
        /// Bound on weight leakage (bits per symbol).
        #[arg(long, default_value_t = 0.1)]
        max_weight_bits: f64,
        /// Bound on data leakage (bits per symbol).
        #[arg(long, default_value_t = 0.01)]
        max_data_bits: f64,
        #[arg(long, default_value_t = 392)]
        modes: usize,
        #[arg(long, value_enum, default_value_t = ConventionArg::ArxivV1)]
        convention: ConventionArg,
        #[arg(long, value_enum, default_value_t = MappingArg::Authors)]
        mapping: MappingArg,
        /// Noise seeds averaged for the accuracy.
        #[arg(long, default_value_t = 5)]
        repeats: u64,
    },
    /// Server verification against honest and cheating clients: measured false-accept/false-reject rates.
    Verify {
        /// Agreed gain G.
        #[arg(long, default_value_t = 1.3)]
        gain: f64,
        /// Complex modes per inner product n (data dimension 2n).
        #[arg(long, default_value_t = 392)]
        modes: usize,
        #[arg(long, value_enum, default_value_t = CheaterArg::Gain2)]
        cheater: CheaterArg,
        /// Tolerance in standard errors on each side (false-reject and false-accept).
        #[arg(long, default_value_t = 4.0)]
        z: f64,
        /// Shots K per verification (default: the sizing rule).
        #[arg(long)]
        shots: Option<u64>,
        /// Verification runs per client.
        #[arg(long, default_value_t = 20)]
        runs: u64,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ConventionArg {
    ArxivV1,
    Prx,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum MappingArg {
    Authors,
    Physics,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum EngineArg {
    Gaussian,
    Mode,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum CheaterArg {
    /// Gain 2G instead of G.
    Gain2,
    /// Taps (1 − 1/G) + 0.3 of the amplified mode.
    Tap,
    /// Intercept-resends 1 % of the modes.
    InterceptResend,
}

impl From<ConventionArg> for Convention {
    fn from(c: ConventionArg) -> Self {
        match c {
            ConventionArg::ArxivV1 => Convention::ArxivV1,
            ConventionArg::Prx => Convention::Prx,
        }
    }
}

impl From<MappingArg> for Mapping {
    fn from(m: MappingArg) -> Self {
        match m {
            MappingArg::Authors => Mapping::Authors,
            MappingArg::Physics => Mapping::Physics,
        }
    }
}

pub(crate) fn run(cmd: OpticalCommand, global: &GlobalArgs, out: &Output) -> Result<(), Failure> {
    match cmd {
        OpticalCommand::Leakage { mu, gain, modes, loss_db, xi, convention } => {
            let link = Link::new(mu, gain, modes)
                .and_then(|l| l.with_loss_db(loss_db))
                .and_then(|l| l.with_xi(xi))
                .map_err(Failure::usage)?;
            let report = leakage(&link, convention.into());
            out.emit(&report, |r| {
                format!(
                    "Holevo chi      {:.6} bits\nweight leakage  {:.6} bits/symbol ({:?})\ndata leakage    {:.6} bits/symbol\nSNR per photon  {:.6}",
                    r.holevo_chi, r.weight_leakage_bits, r.convention, r.data_leakage_bits, r.snr_per_mu
                )
            })
        }
        OpticalCommand::Mnist { mu, gain, engine, convention, mapping, linear, limit, seed } => {
            mnist_cmd(global, out, MnistArgs { mu, gain, engine, convention, mapping, linear, limit, seed })
        }
        OpticalCommand::Sweep { plot, map_plot, points, repeats, convention, mapping } => {
            sweep_cmd(global, out, plot, map_plot, points, repeats, convention.into(), mapping.into())
        }
        OpticalCommand::OperatingPoint {
            max_weight_bits,
            max_data_bits,
            modes,
            convention,
            mapping,
            repeats,
        } => {
            let budget = Budget {
                weight_bits: max_weight_bits,
                data_bits: max_data_bits,
                modes,
                convention: convention.into(),
                mapping: mapping.into(),
            };
            operating_point_cmd(global, out, &budget, repeats)
        }
        OpticalCommand::Verify { gain, modes, cheater, z, shots, runs } => {
            verify_cmd(out, gain, modes, cheater, z, shots, runs)
        }
    }
}

struct TestSet {
    inputs: ndarray::Array2<f32>,
    labels: Vec<u8>,
}

fn test_set(global: &GlobalArgs, limit: Option<usize>) -> Result<TestSet, Failure> {
    let dir = global.data_dir()?;
    let test = mnist::load_test(&dir).map_err(Failure::failed)?;
    let inputs = mnist_inputs(test.images()).map_err(Failure::failed)?;
    let n = limit.unwrap_or(inputs.nrows()).min(inputs.nrows());
    if n == 0 {
        return Err(Failure::usage(anyhow::anyhow!("--limit must be at least 1")));
    }
    Ok(TestSet {
        inputs: inputs.select(ndarray::Axis(0), &(0..n).collect::<Vec<_>>()),
        labels: test.labels()[..n].to_vec(),
    })
}

fn model(global: &GlobalArgs, linear: bool) -> Result<Network, Failure> {
    let dir = global.data_dir()?;
    if linear { pretrained::linear(&dir) } else { pretrained::mlp(&dir) }.map_err(Failure::failed)
}

struct MnistArgs {
    mu: f64,
    gain: f64,
    engine: EngineArg,
    convention: ConventionArg,
    mapping: MappingArg,
    linear: bool,
    limit: Option<usize>,
    seed: u64,
}

#[derive(Serialize)]
struct MnistReport {
    accuracy: f64,
    noise_free_accuracy: f64,
    #[serde(rename = "F")]
    snr: f64,
    weight_leakage_bits: f64,
    data_leakage_bits: f64,
    mu: f64,
    gain: f64,
    engine: &'static str,
    mapping: Mapping,
    convention: Convention,
    model: &'static str,
    images: usize,
    seconds: f64,
}

fn mnist_cmd(global: &GlobalArgs, out: &Output, a: MnistArgs) -> Result<(), Failure> {
    let link = Link::new(a.mu, a.gain, 392).map_err(Failure::usage)?;
    let (mapping, convention) = (Mapping::from(a.mapping), Convention::from(a.convention));
    let snr = link.snr(mapping);
    let engine: Box<dyn Engine> = match a.engine {
        EngineArg::Gaussian => Box::new(GaussianEngine::new(snr).map_err(Failure::usage)?),
        EngineArg::Mode => Box::new(ModeEngine::new(snr, a.gain, Packing::Complex).map_err(Failure::usage)?),
    };
    let net = model(global, a.linear)?;
    let data = test_set(global, a.limit)?;
    let bar = out.progress(1, "inferring");
    let start = std::time::Instant::now();
    let accuracy =
        net.accuracy(engine.as_ref(), data.inputs.view(), &data.labels, a.seed).map_err(Failure::failed)?;
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let clean = net.accuracy_clean(data.inputs.view(), &data.labels).map_err(Failure::failed)?;
    let l = leakage(&link, convention);
    let report = MnistReport {
        accuracy,
        noise_free_accuracy: clean,
        snr,
        weight_leakage_bits: l.weight_leakage_bits,
        data_leakage_bits: l.data_leakage_bits,
        mu: a.mu,
        gain: a.gain,
        engine: match a.engine {
            EngineArg::Gaussian => "gaussian",
            EngineArg::Mode => "mode",
        },
        mapping,
        convention,
        model: if a.linear { "linear-784-10" } else { "mlp-784-784-10" },
        images: data.labels.len(),
        seconds,
    };
    out.emit(&report, |r| {
        format!(
            "{} engine, {} on {} t10k images, mu = {}, G = {}, F = {:.4} ({:?} mapping)\naccuracy {:.4} (noise-free {:.4}) in {:.2}s\nweight leakage {:.5} bits, data leakage {:.5} bits ({:?})",
            r.engine, r.model, r.images, r.mu, r.gain, r.snr, r.mapping, r.accuracy, r.noise_free_accuracy, r.seconds,
            r.weight_leakage_bits, r.data_leakage_bits, r.convention
        )
    })
}

#[derive(Serialize)]
struct SweepReport {
    mapping: Mapping,
    convention: Convention,
    noise_free_accuracy: f64,
    accuracy_vs_f: Vec<AccuracyPoint>,
    map: Vec<sweep::MapCell>,
}

#[allow(clippy::too_many_arguments, reason = "one CLI command's options")]
fn sweep_cmd(
    global: &GlobalArgs,
    out: &Output,
    plot_path: Option<PathBuf>,
    map_path: Option<PathBuf>,
    points: usize,
    repeats: u64,
    convention: Convention,
    mapping: Mapping,
) -> Result<(), Failure> {
    if points < 2 {
        return Err(Failure::usage(anyhow::anyhow!("--points must be at least 2")));
    }
    let net = model(global, false)?;
    let data = test_set(global, None)?;
    let fs = sweep::log_space(0.01, 100.0, points);
    let bar = out.progress(1, "sweeping");
    let curve = sweep::accuracy_vs_snr(&net, data.inputs.view(), &data.labels, &fs, repeats, 7)
        .map_err(Failure::failed)?;
    bar.finish_and_clear();
    let mus: Vec<f64> = (1..=30).map(|i| f64::from(i) * 0.5).collect();
    let gains: Vec<f64> = (0..=30).map(|i| 1.05 + f64::from(i) * 0.05).collect();
    let map = sweep::map(&curve, &mus, &gains, 392, mapping, convention).map_err(Failure::failed)?;
    let budget = Budget { convention, mapping, ..Budget::default() };
    if let Some(p) = &plot_path {
        let svg = plot::accuracy_vs_snr_svg(&curve, &PUBLISHED).map_err(Failure::failed)?;
        std::fs::write(p, svg)
            .with_context(|| format!("writing {}", p.display()))
            .map_err(Failure::failed)?;
    }
    if let Some(p) = &map_path {
        let svg = plot::map_svg(&map, &curve, &budget).map_err(Failure::failed)?;
        std::fs::write(p, svg)
            .with_context(|| format!("writing {}", p.display()))
            .map_err(Failure::failed)?;
    }
    let clean = net.accuracy_clean(data.inputs.view(), &data.labels).map_err(Failure::failed)?;
    let report = SweepReport { mapping, convention, noise_free_accuracy: clean, accuracy_vs_f: curve, map };
    out.emit(&report, |r| {
        let mut s = format!("noise-free accuracy {:.4}\n       F  accuracy\n", r.noise_free_accuracy);
        for p in &r.accuracy_vs_f {
            s.push_str(&format!("{:>8.3}  {:.4}\n", p.snr, p.accuracy));
        }
        s
    })
}

#[derive(Serialize)]
struct OperatingReport {
    #[serde(flatten)]
    point: sweep::OperatingPoint,
    accuracy: f64,
    noise_free_accuracy: f64,
    mapping: Mapping,
    convention: Convention,
    max_weight_bits: f64,
    max_data_bits: f64,
}

fn operating_point_cmd(
    global: &GlobalArgs,
    out: &Output,
    budget: &Budget,
    repeats: u64,
) -> Result<(), Failure> {
    if repeats == 0 {
        return Err(Failure::usage(anyhow::anyhow!("--repeats must be at least 1")));
    }
    let point = sweep::operating_point(budget).map_err(Failure::usage)?;
    let net = model(global, false)?;
    let data = test_set(global, None)?;
    let curve = sweep::accuracy_vs_snr(&net, data.inputs.view(), &data.labels, &[point.snr], repeats, 11)
        .map_err(Failure::failed)?;
    let clean = net.accuracy_clean(data.inputs.view(), &data.labels).map_err(Failure::failed)?;
    let report = OperatingReport {
        point,
        accuracy: curve[0].accuracy,
        noise_free_accuracy: clean,
        mapping: budget.mapping,
        convention: budget.convention,
        max_weight_bits: budget.weight_bits,
        max_data_bits: budget.data_bits,
    };
    out.emit(&report, |r| {
        format!(
            "mu = {:.3}, G = {:.3}, F = {:.4}: accuracy {:.4} (noise-free {:.4})\nweight leakage {:.5} < {}, data leakage {:.5} < {} ({:?}, {:?} mapping)",
            r.point.mu, r.point.gain, r.point.snr, r.accuracy, r.noise_free_accuracy, r.point.weight_leakage_bits,
            r.max_weight_bits, r.point.data_leakage_bits, r.max_data_bits, r.convention, r.mapping
        )
    })
}

#[derive(Serialize)]
struct VerifyReport {
    gain: f64,
    modes: usize,
    cheater: String,
    shots: u64,
    threshold: f64,
    honest_expected: f64,
    runs: u64,
    honest_rejected: u64,
    cheater_accepted: u64,
    false_reject_rate: f64,
    false_accept_rate: f64,
    honest_estimates: Vec<f64>,
    cheater_estimates: Vec<f64>,
}

fn verify_cmd(
    out: &Output,
    gain: f64,
    modes: usize,
    cheater: CheaterArg,
    z: f64,
    shots: Option<u64>,
    runs: u64,
) -> Result<(), Failure> {
    if runs == 0 {
        return Err(Failure::usage(anyhow::anyhow!("--runs must be at least 1")));
    }
    let engine = ModeEngine::new(1.0, gain, Packing::Complex).map_err(Failure::usage)?;
    let d = 2 * modes;
    let honest = engine.honest_excess(d);
    let verifier = Verifier::new(modes, honest, 0.0, z).map_err(Failure::usage)?;
    let (name, cheat_excess) = match cheater {
        CheaterArg::Gain2 => ("gain 2G".to_owned(), 2.0 - 1.0 / gain),
        // Noise part only (2(G−1)(1−t)); the lost amplitude adds to the signal, so this sizing is conservative.
        CheaterArg::Tap => ("tap + 0.3".to_owned(), 2.0 * (gain - 1.0) * (1.0 / gain - 0.3).max(0.0)),
        CheaterArg::InterceptResend => {
            ("intercept-resend 1 %".to_owned(), honest + 0.01 * 2.0 * modes as f64)
        }
    };
    let k = shots.unwrap_or_else(|| verifier.shots_needed(cheat_excess, z));
    let w: ndarray::Array1<f32> = (0..d).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
    let x: ndarray::Array1<f32> = (0..d).map(|i| ((i * 53 % 97) as f32) / 97.0).collect();
    let bar = out.progress(2 * runs, "verifying");
    let run_one = |e: &dyn Fn(u64) -> Result<quantumacy_optical::ExcessTally, quantumacy_optical::Error>,
                   seed| {
        bar.inc(1);
        e(seed).map(|t| verifier.verify(&t))
    };
    let honest_run = |seed| engine.repeat(w.view(), x.view(), k, seed).map(|s| s.excess());
    let cheat_run = |seed| -> Result<_, quantumacy_optical::Error> {
        let tally = match cheater {
            CheaterArg::Gain2 => {
                with(&engine, quantumacy_optical::client::Honest { gain: 2.0 * gain }, &w, &x, k, seed)
            }
            CheaterArg::Tap => {
                with(&engine, LargerTap { gain, tap: 1.0 - 1.0 / gain + 0.3 }, &w, &x, k, seed)
            }
            CheaterArg::InterceptResend => {
                with(&engine, InterceptResend { gain, fraction: 0.01 }, &w, &x, k, seed)
            }
        }?;
        Ok(tally)
    };
    let mut hv = Vec::new();
    let mut cv = Vec::new();
    for r in 0..runs {
        hv.push(run_one(&honest_run, 1000 + r).map_err(Failure::failed)?);
        cv.push(run_one(&cheat_run, 5000 + r).map_err(Failure::failed)?);
    }
    bar.finish_and_clear();
    let honest_rejected = hv.iter().filter(|v| !v.accepted).count() as u64;
    let cheater_accepted = cv.iter().filter(|v| v.accepted).count() as u64;
    let report = VerifyReport {
        gain,
        modes,
        cheater: name,
        shots: k,
        threshold: verifier.threshold(k),
        honest_expected: honest,
        runs,
        honest_rejected,
        cheater_accepted,
        false_reject_rate: honest_rejected as f64 / runs as f64,
        false_accept_rate: cheater_accepted as f64 / runs as f64,
        honest_estimates: hv.iter().map(|v| v.estimate).collect(),
        cheater_estimates: cv.iter().map(|v| v.estimate).collect(),
    };
    out.emit(&report, |r| {
        format!(
            "G = {}, n = {}, K = {} shots, threshold {:.4} (honest {:.4})\nhonest rejected {}/{} (false reject {:.3}); {} accepted {}/{} (false accept {:.3})",
            r.gain, r.modes, r.shots, r.threshold, r.honest_expected, r.honest_rejected, r.runs, r.false_reject_rate,
            r.cheater, r.cheater_accepted, r.runs, r.false_accept_rate
        )
    })
}

fn with<C: Client>(
    engine: &ModeEngine,
    client: C,
    w: &ndarray::Array1<f32>,
    x: &ndarray::Array1<f32>,
    k: u64,
    seed: u64,
) -> Result<quantumacy_optical::ExcessTally, quantumacy_optical::Error> {
    engine.clone().with_client(client).repeat(w.view(), x.view(), k, seed).map(|s| s.excess())
}
