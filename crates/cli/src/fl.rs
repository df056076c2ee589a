//! `quantumacy fl train`: federated logistic/softmax regression across simulated hospitals.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use quantumacy_fl::{
    Algorithm, DpConfig, DpMode, FederatedConfig, Federation, FlDataset, LocalConfig, Model, Optimizer,
    Partition, RoundReport, ServerOptimizer, prepare,
};
use serde::Serialize;

use crate::GlobalArgs;
use crate::output::{Failure, Output};

#[derive(Debug, Subcommand)]
pub(crate) enum FlCommand {
    /// Train a model federated across hospitals and report test metrics per round.
    Train(Box<TrainArgs>),
}

#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// wdbc | parkinsons | pneumoniamnist | mnist
    #[arg(long)]
    dataset: String,
    /// Number of hospitals.
    #[arg(long, default_value_t = 3)]
    clients: usize,
    /// Communication rounds.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Local epochs per round.
    #[arg(long, default_value_t = 5)]
    local_epochs: usize,
    /// Local learning rate.
    #[arg(long, default_value_t = 0.5)]
    learning_rate: f64,
    /// L2 coefficient on the weights.
    #[arg(long, default_value_t = 1e-3)]
    l2: f64,
    /// iid | dirichlet=α | quantity=α | by-subject
    #[arg(long, default_value = "iid")]
    partition: String,
    /// Seed of the train/test split and of the partition.
    #[arg(long, default_value_t = 42)]
    split_seed: u64,
    /// fedavg | fedprox=μ
    #[arg(long, default_value = "fedavg")]
    algorithm: String,
    /// Server step: fedavg | fedadam=η | fedyogi=η
    #[arg(long, default_value = "fedavg")]
    server: String,
    /// Local optimiser: gd | sgd=BATCH | adam=BATCH
    #[arg(long, default_value = "gd")]
    optimizer: String,
    /// Fraction of hospitals asked each round.
    #[arg(long, default_value_t = 1.0)]
    sample_fraction: f64,
    /// Minimum valid updates for a round.
    #[arg(long, default_value_t = 1)]
    min_clients: usize,
    /// Probability that an asked hospital drops out mid-round.
    #[arg(long, default_value_t = 0.0)]
    dropout: f64,
    /// Client-level DP: clip=C,noise=z,delta=δ[,budget=ε][,mode=central|local]
    #[arg(long)]
    dp: Option<String>,
    /// Seed for sampling, dropout, shuffles and DP noise.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write an SVG of test accuracy and loss per round.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct RoundRow {
    round: usize,
    test_accuracy: f64,
    test_loss: f64,
    test_auc: Option<f64>,
    elapsed_ms: f64,
    clients: usize,
    rejected: Vec<quantumacy_fl::Rejection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    epsilon: Option<f64>,
}

#[derive(Debug, Serialize)]
struct TrainReport {
    dataset: FlDataset,
    model: Model,
    clients: usize,
    hospital_sizes: Vec<usize>,
    test_examples: usize,
    partition: String,
    config: FederatedConfig,
    rounds: Vec<RoundRow>,
    final_test_accuracy: f64,
    final_test_loss: f64,
    final_test_auc: Option<f64>,
    final_confusion: Vec<Vec<usize>>,
    final_ece: f64,
    /// Median wall time of a round (local training, aggregation, server step, evaluation).
    ms_per_round: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    epsilon: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plot: Option<String>,
}

pub(crate) fn run(cmd: FlCommand, global: &GlobalArgs, out: &Output) -> Result<(), Failure> {
    match cmd {
        FlCommand::Train(args) => train(&args, global, out),
    }
}

fn train(args: &TrainArgs, global: &GlobalArgs, out: &Output) -> Result<(), Failure> {
    let dataset: FlDataset = args.dataset.parse().map_err(Failure::usage)?;
    let partition: Partition = args.partition.parse().map_err(Failure::usage)?;
    let algorithm: Algorithm = args.algorithm.parse().map_err(Failure::usage)?;
    let server = parse_server(&args.server).map_err(Failure::usage)?;
    let optimizer = parse_optimizer(&args.optimizer).map_err(Failure::usage)?;
    let dp = args.dp.as_deref().map(parse_dp).transpose().map_err(Failure::usage)?;
    let config = FederatedConfig {
        rounds: args.rounds,
        local: LocalConfig {
            epochs: args.local_epochs,
            learning_rate: args.learning_rate,
            l2: args.l2,
            optimizer,
            prox_mu: 0.0,
        },
        algorithm,
        server,
        sample_fraction: args.sample_fraction,
        min_clients: args.min_clients,
        dropout: args.dropout,
        dp,
        seed: args.seed,
    };

    let dir = global.data_dir()?;
    let data = dataset.load(&dir, args.split_seed).map_err(Failure::failed)?;
    let prepared = prepare(&data, partition, args.clients, args.split_seed).map_err(Failure::usage)?;
    let model = Model::for_data(data.train.n_features(), data.train.n_classes()).map_err(Failure::failed)?;
    let hospital_sizes = prepared.hospitals.iter().map(quantumacy_data::Dataset::len).collect();
    let test_examples = prepared.test.len();
    let mut fed =
        Federation::new(model, prepared.hospitals, prepared.test, config).map_err(Failure::usage)?;

    let bar = out.progress(args.rounds as u64, "rounds");
    let mut reports: Vec<RoundReport> = Vec::with_capacity(args.rounds);
    for _ in 0..args.rounds {
        reports.push(fed.run_round().map_err(Failure::failed)?);
        bar.inc(1);
    }
    bar.finish_and_clear();

    let rounds: Vec<RoundRow> = reports
        .iter()
        .map(|r| RoundRow {
            round: r.round,
            test_accuracy: r.test.accuracy,
            test_loss: r.test.log_loss,
            test_auc: r.test.auc,
            elapsed_ms: r.elapsed.as_secs_f64() * 1e3,
            clients: r.aggregated.len(),
            rejected: r.rejected.clone(),
            epsilon: r.epsilon,
        })
        .collect();
    let last = &reports.last().ok_or_else(|| Failure::usage(anyhow!("--rounds must be at least 1")))?.test;
    let mut times: Vec<f64> = rounds.iter().map(|r| r.elapsed_ms).collect();
    times.sort_by(f64::total_cmp);
    let ms_per_round = median(&times);
    if let Some(path) = &args.plot {
        plot(path, &rounds, &format!("{dataset}, {} hospitals ({partition})", args.clients))
            .with_context(|| format!("writing {}", path.display()))
            .map_err(Failure::failed)?;
    }
    let report = TrainReport {
        dataset,
        model,
        clients: args.clients,
        hospital_sizes,
        test_examples,
        partition: partition.to_string(),
        config,
        final_test_accuracy: last.accuracy,
        final_test_loss: last.log_loss,
        final_test_auc: last.auc,
        final_confusion: last.confusion.clone(),
        final_ece: last.ece,
        ms_per_round,
        epsilon: fed.epsilon(),
        delta: dp.map(|d| d.delta),
        plot: args.plot.as_ref().map(|p| p.display().to_string()),
        rounds,
    };
    out.emit(&report, human)
}

fn human(r: &TrainReport) -> String {
    let mut s = format!(
        "{} · {} hospitals {:?} · {} test rows · {}\n round  accuracy  log-loss      ms\n",
        r.dataset, r.clients, r.hospital_sizes, r.test_examples, r.partition
    );
    for row in &r.rounds {
        let _ = writeln!(
            s,
            "{:>6}  {:>8.4}  {:>8.4}  {:>6.3}",
            row.round, row.test_accuracy, row.test_loss, row.elapsed_ms
        );
        for rej in &row.rejected {
            let _ = writeln!(s, "        rejected: {}", rej.reason);
        }
    }
    let _ = write!(
        s,
        "final test accuracy {:.4}, AUC {}, {:.3} ms/round (median)",
        r.final_test_accuracy,
        r.final_test_auc.map_or("n/a".to_owned(), |a| format!("{a:.4}")),
        r.ms_per_round
    );
    if let (Some(e), Some(d)) = (r.epsilon, r.delta) {
        let _ = write!(s, ", (ε = {e:.3}, δ = {d:e})-DP");
    }
    s
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]),
    }
}

fn parse_server(s: &str) -> anyhow::Result<ServerOptimizer> {
    let lr = |v: &str| -> anyhow::Result<f64> {
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| anyhow!("invalid server η {v:?}"))
    };
    match s.split_once('=') {
        None if s == "fedavg" => Ok(ServerOptimizer::FEDAVG),
        Some(("fedadam", v)) => Ok(ServerOptimizer::adam(lr(v)?)),
        Some(("fedyogi", v)) => Ok(ServerOptimizer::yogi(lr(v)?)),
        _ => Err(anyhow!("invalid --server {s:?} (expected fedavg, fedadam=η or fedyogi=η)")),
    }
}

fn parse_optimizer(s: &str) -> anyhow::Result<Optimizer> {
    let batch = |v: &str| -> anyhow::Result<usize> {
        v.parse::<usize>().ok().filter(|&b| b > 0).ok_or_else(|| anyhow!("invalid batch size {v:?}"))
    };
    match s.split_once('=') {
        None if s == "gd" => Ok(Optimizer::Gd),
        Some(("sgd", v)) => Ok(Optimizer::Sgd { batch_size: batch(v)? }),
        Some(("adam", v)) => Ok(Optimizer::adam(batch(v)?)),
        _ => Err(anyhow!("invalid --optimizer {s:?} (expected gd, sgd=BATCH or adam=BATCH)")),
    }
}

fn parse_dp(s: &str) -> anyhow::Result<DpConfig> {
    let (mut clip, mut noise, mut delta, mut budget, mut mode) = (None, None, None, None, DpMode::Central);
    for part in s.split(',') {
        let (k, v) =
            part.split_once('=').ok_or_else(|| anyhow!("invalid --dp item {part:?} (expected key=value)"))?;
        let num = || v.parse::<f64>().map_err(|_| anyhow!("invalid --dp {k} value {v:?}"));
        match k {
            "clip" => clip = Some(num()?),
            "noise" => noise = Some(num()?),
            "delta" => delta = Some(num()?),
            "budget" => budget = Some(num()?),
            "mode" => {
                mode = match v {
                    "central" => DpMode::Central,
                    "local" => DpMode::Local,
                    _ => return Err(anyhow!("invalid --dp mode {v:?} (expected central or local)")),
                }
            }
            _ => return Err(anyhow!("unknown --dp key {k:?} (expected clip, noise, delta, budget, mode)")),
        }
    }
    let need = |x: Option<f64>, k: &str| x.ok_or_else(|| anyhow!("--dp needs {k}=…"));
    let config = DpConfig {
        clip: need(clip, "clip")?,
        noise_multiplier: need(noise, "noise")?,
        delta: need(delta, "delta")?,
        epsilon_budget: budget,
        mode,
    };
    config.validate()?;
    Ok(config)
}

/// A named line: label, points, colour.
type Series<'a> = (&'a str, Vec<(f64, f64)>, plotters::style::RGBColor);

fn plot(path: &Path, rounds: &[RoundRow], title: &str) -> anyhow::Result<()> {
    use plotters::prelude::*;

    let root = SVGBackend::new(path, (800, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 20))?;
    let panels = root.split_evenly((2, 1));
    let n = rounds.len() as f64;
    let series: [Series<'_>; 2] = [
        ("test accuracy", rounds.iter().map(|r| (r.round as f64, r.test_accuracy)).collect(), BLUE),
        ("test log-loss", rounds.iter().map(|r| (r.round as f64, r.test_loss)).collect(), RED),
    ];
    for (area, (name, points, colour)) in panels.iter().zip(series) {
        let (lo, hi) =
            points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &(_, y)| (a.min(y), b.max(y)));
        let pad = ((hi - lo) * 0.1).max(1e-3);
        let mut chart = ChartBuilder::on(area)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(0.5..n + 0.5, (lo - pad)..(hi + pad))?;
        chart.configure_mesh().x_desc("round").y_desc(name).draw()?;
        chart.draw_series(LineSeries::new(points.iter().copied(), &colour))?;
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
    }
    root.present()?;
    Ok(())
}
