//! `quantumacy`: the command-line front end of the quantumacy workspace.
//!
//! Exit codes: 0 success, 1 failure (one-line message on stderr), 2 usage error (bad arguments or
//! configuration). With `--json` a command prints exactly one JSON document on stdout and nothing else there;
//! progress bars go to stderr and are hidden when stderr is not a terminal or with `--quiet`.

mod bench;
mod ckks;
mod data;
mod demo;
mod fl;
mod optical;
mod output;
mod pqc;
mod qkd;
mod qkd_amplify;
mod qkd_keyrate;
mod qkd_reconcile;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::{Failure, Output};

/// Quantum-safe collaborative analysis of sensitive medical data.
#[derive(Debug, Parser)]
#[command(name = "quantumacy", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, clap::Args)]
struct GlobalArgs {
    /// Print one JSON document on stdout instead of human-readable text.
    #[arg(long, global = true)]
    json: bool,
    /// Hide progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// The data directory (default: $QUANTUMACY_DATA, else the repository's data/).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The end-to-end pipeline on the bundled data: QKD keys, a sealed record, federated learning with sealed
    /// updates, CKKS-encrypted inference, optical MPC.
    Demo(demo::DemoArgs),
    /// The bundled datasets: list them, verify their checksums.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Quantum key distribution: link simulation.
    #[command(subcommand)]
    Qkd(qkd::QkdCommand),
    /// Post-quantum keys, encapsulation and signatures (ML-KEM, ML-DSA) on files of raw bytes.
    #[command(subcommand)]
    Pqc(pqc::PqcCommand),
    /// Federated learning across hospitals.
    #[command(subcommand)]
    Fl(fl::FlCommand),
    /// Optical quantum-secure MPC: leakage, noisy MNIST, sweeps, operating point, verification.
    #[command(subcommand)]
    Optical(optical::OpticalCommand),
    /// Approximate homomorphic encryption (RNS-CKKS): encrypted logistic-regression inference.
    #[command(subcommand)]
    Ckks(ckks::CkksCommand),
    /// Operation costs measured in-process.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.global.json, cli.global.quiet);
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args, &cli.global, &out),
        Command::Data(cmd) => data::run(cmd, &cli.global, &out),
        Command::Qkd(cmd) => qkd::run_command(cmd, &cli.global, &out),
        Command::Pqc(cmd) => pqc::run(cmd, &out),
        Command::Fl(cmd) => fl::run(cmd, &cli.global, &out),
        Command::Optical(cmd) => optical::run(cmd, &cli.global, &out),
        Command::Ckks(cmd) => ckks::run(cmd, &cli.global, &out),
        Command::Bench(cmd) => bench::run(cmd, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => out.fail(&failure),
    }
}

impl GlobalArgs {
    /// The data directory chosen by `--data-dir`, or located by the data crate's rules.
    fn data_dir(&self) -> Result<quantumacy_data::DataDir, Failure> {
        match &self.data_dir {
            Some(dir) => quantumacy_data::DataDir::new(dir).map_err(Failure::usage),
            None => quantumacy_data::DataDir::locate().map_err(Failure::failed),
        }
    }
}
