//! The federated training loop: sample hospitals, train locally, aggregate deltas, step the server model.
//!
//! * FedAvg: McMahan et al., AISTATS 2017, Algorithm 1 (server step `w ← w + Δ̄`).
//! * FedProx: Li et al., MLSys 2020 — FedAvg aggregation, proximal term in the local loss (see [`mod@crate::train`]).
//! * FedAdam / FedYogi: Reddi et al., ICLR 2021, Algorithm 2 — the aggregate delta is a pseudo-gradient for a
//!   server-side Adam/Yogi step `w ← w + η m / (√v + τ)`.
//!
//! Each round's time covers local training, aggregation, the server step and server-side evaluation on the
//! test set (as Flower's `evaluate_fn` does).

use std::time::{Duration, Instant};

use quantumacy_data::Dataset;
use rand::seq::index::sample;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::aggregate::{Aggregate, Aggregator, ClientId, ClientUpdate, FedAvg};
use crate::error::{Error, Result, invalid};
use crate::metrics::{Evaluation, evaluate};
use crate::model::Model;
use crate::privacy::{DpConfig, DpMode, GaussianSum, RdpAccountant, add_gaussian_noise, clip_delta};
use crate::train::{LocalConfig, check_data, train_checked};

/// Work (rows × features × epochs, summed over clients) above which clients train on rayon's pool.
const PARALLEL_WORK: usize = 2_000_000;

/// The client-side algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub enum Algorithm {
    /// Plain local training.
    FedAvg,
    /// Local training with proximal coefficient μ.
    FedProx {
        /// μ ≥ 0.
        mu: f64,
    },
}

impl std::str::FromStr for Algorithm {
    type Err = Error;

    /// Parses `fedavg` or `fedprox=μ`.
    fn from_str(s: &str) -> Result<Self> {
        match s.split_once('=') {
            None if s == "fedavg" => Ok(Algorithm::FedAvg),
            Some(("fedprox", v)) => match v.parse::<f64>() {
                Ok(mu) if mu.is_finite() && mu >= 0.0 => Ok(Algorithm::FedProx { mu }),
                _ => Err(invalid("algorithm", format!("fedprox μ = {v:?}; must be a number ≥ 0"))),
            },
            _ => Err(invalid("algorithm", format!("{s:?} (expected fedavg or fedprox=μ)"))),
        }
    }
}

/// The server's update rule for the aggregated delta `Δ̄`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub enum ServerOptimizer {
    /// `w ← w + η Δ̄` (η = 1 is FedAvg).
    Sgd {
        /// Server learning rate η.
        lr: f64,
    },
    /// FedAdam: `v ← β₂v + (1−β₂)Δ̄²`.
    Adam {
        /// η.
        lr: f64,
        /// β₁.
        beta1: f64,
        /// β₂.
        beta2: f64,
        /// Adaptivity τ.
        tau: f64,
    },
    /// FedYogi: `v ← v − (1−β₂)Δ̄² sign(v − Δ̄²)`.
    Yogi {
        /// η.
        lr: f64,
        /// β₁.
        beta1: f64,
        /// β₂.
        beta2: f64,
        /// Adaptivity τ.
        tau: f64,
    },
}

impl ServerOptimizer {
    /// FedAvg's server step (η = 1).
    pub const FEDAVG: ServerOptimizer = ServerOptimizer::Sgd { lr: 1.0 };

    /// FedAdam with Reddi et al.'s β₁ = 0.9, β₂ = 0.99, τ = 10⁻³.
    pub fn adam(lr: f64) -> Self {
        ServerOptimizer::Adam { lr, beta1: 0.9, beta2: 0.99, tau: 1e-3 }
    }

    /// FedYogi with Reddi et al.'s β₁ = 0.9, β₂ = 0.99, τ = 10⁻³.
    pub fn yogi(lr: f64) -> Self {
        ServerOptimizer::Yogi { lr, beta1: 0.9, beta2: 0.99, tau: 1e-3 }
    }
}

/// Everything a federated run needs besides data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FederatedConfig {
    /// Communication rounds.
    pub rounds: usize,
    /// Local training per round.
    pub local: LocalConfig,
    /// Client algorithm.
    pub algorithm: Algorithm,
    /// Server update rule.
    pub server: ServerOptimizer,
    /// Fraction `q ∈ (0, 1]` of hospitals asked per round (Poisson sampling under central DP).
    pub sample_fraction: f64,
    /// A round fails unless at least this many valid updates arrive.
    pub min_clients: usize,
    /// Probability that an asked hospital drops out mid-round (its update never arrives).
    pub dropout: f64,
    /// Differential privacy, if any.
    pub dp: Option<DpConfig>,
    /// Seed for sampling, dropout, local shuffles and DP noise.
    pub seed: u64,
}

impl Default for FederatedConfig {
    /// The FL reference setup: 20 rounds of [`LocalConfig::default`], FedAvg, every hospital every round.
    fn default() -> Self {
        FederatedConfig {
            rounds: 20,
            local: LocalConfig::default(),
            algorithm: Algorithm::FedAvg,
            server: ServerOptimizer::FEDAVG,
            sample_fraction: 1.0,
            min_clients: 1,
            dropout: 0.0,
            dp: None,
            seed: 0,
        }
    }
}

impl FederatedConfig {
    fn validate(&self, clients: usize) -> Result<()> {
        self.local.validate()?;
        if self.rounds == 0 {
            return Err(invalid("rounds", "0; must be ≥ 1"));
        }
        if !(self.sample_fraction > 0.0 && self.sample_fraction <= 1.0) {
            return Err(invalid("sample fraction", format!("{}; must be in (0, 1]", self.sample_fraction)));
        }
        if self.min_clients == 0 || self.min_clients > clients {
            return Err(invalid("min clients", format!("{}; must be in 1..={clients}", self.min_clients)));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(invalid("dropout", format!("{}; must be in [0, 1)", self.dropout)));
        }
        if let Algorithm::FedProx { mu } = self.algorithm
            && !(mu.is_finite() && mu >= 0.0)
        {
            return Err(invalid("fedprox mu", format!("{mu}; must be ≥ 0")));
        }
        let check = |lr: f64, b1: f64, b2: f64, tau: f64| {
            if lr.is_finite() && lr > 0.0 && (0.0..1.0).contains(&b1) && (0.0..1.0).contains(&b2) && tau > 0.0
            {
                Ok(())
            } else {
                Err(invalid("server optimizer", format!("η {lr}, β₁ {b1}, β₂ {b2}, τ {tau}")))
            }
        };
        match self.server {
            ServerOptimizer::Sgd { lr } => check(lr, 0.0, 0.0, 1.0)?,
            ServerOptimizer::Adam { lr, beta1, beta2, tau }
            | ServerOptimizer::Yogi { lr, beta1, beta2, tau } => {
                check(lr, beta1, beta2, tau)?;
            }
        }
        if let Some(dp) = &self.dp {
            dp.validate()?;
        }
        Ok(())
    }
}

/// A client whose update was refused, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// The client.
    pub client: ClientId,
    /// The error's message.
    pub reason: String,
}

/// What one round did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundReport {
    /// 1-based round number.
    pub round: usize,
    /// Clients whose updates were aggregated.
    pub aggregated: Vec<ClientId>,
    /// Sampled clients that dropped out.
    pub dropped: Vec<ClientId>,
    /// Updates refused (NaN/∞, wrong length, …).
    pub rejected: Vec<Rejection>,
    /// Server-side evaluation of the new global model on the test set.
    pub test: Evaluation,
    /// Wall time of the round.
    pub elapsed: Duration,
    /// Privacy spent so far, at the configured δ (with DP on).
    pub epsilon: Option<f64>,
}

/// A federation of hospitals holding their own (already standardized) data, and the global model.
#[derive(Debug)]
pub struct Federation {
    model: Model,
    hospitals: Vec<Dataset>,
    test: Dataset,
    config: FederatedConfig,
    global: Vec<f64>,
    round: usize,
    accountant: RdpAccountant,
    server_m: Vec<f64>,
    server_v: Vec<f64>,
}

impl Federation {
    /// Hospital `k` (0-based) gets [`ClientId`]`(k)`.
    ///
    /// # Errors
    /// [`Error::NoClients`] for no hospitals, [`Error::EmptyPartition`] for a hospital without rows,
    /// [`Error::Shape`] if a dataset does not fit the model, [`Error::InvalidParameter`] for a bad configuration.
    pub fn new(
        model: Model,
        hospitals: Vec<Dataset>,
        test: Dataset,
        config: FederatedConfig,
    ) -> Result<Self> {
        if hospitals.is_empty() {
            return Err(Error::NoClients);
        }
        if let Some(client) = hospitals.iter().position(Dataset::is_empty) {
            return Err(Error::EmptyPartition { client });
        }
        for h in hospitals.iter().chain([&test]) {
            check_data(&model, h)?;
        }
        config.validate(hospitals.len())?;
        let p = model.n_params();
        Ok(Federation {
            model,
            hospitals,
            test,
            config,
            global: model.zeros(),
            round: 0,
            accountant: RdpAccountant::new(),
            server_m: vec![0.0; p],
            server_v: vec![0.0; p],
        })
    }

    /// The global model's parameters.
    pub fn global(&self) -> &[f64] {
        &self.global
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Rounds completed.
    pub fn rounds_done(&self) -> usize {
        self.round
    }

    /// `ε` spent so far at the configured δ (`None` without DP).
    pub fn epsilon(&self) -> Option<f64> {
        let dp = self.config.dp?;
        self.accountant.epsilon(dp.delta).ok().map(|(e, _)| e)
    }

    /// Runs every configured round and returns their reports.
    ///
    /// # Errors
    /// The first round error (see [`Federation::run_round`]).
    pub fn run(&mut self) -> Result<Vec<RoundReport>> {
        (self.round..self.config.rounds).map(|_| self.run_round()).collect()
    }

    /// Runs one round.
    ///
    /// # Errors
    /// [`Error::BudgetExhausted`] if the round would exceed the ε budget (nothing runs);
    /// [`Error::TooFewClients`] if fewer than `min_clients` valid updates arrive (the model is unchanged).
    pub fn run_round(&mut self) -> Result<RoundReport> {
        self.run_round_with(|_, _| {})
    }

    /// Runs one round, passing every update through `channel` on its way to the server — the hook where a
    /// transport (or a test) can corrupt, truncate or replace it.
    ///
    /// # Errors
    /// As [`Federation::run_round`].
    pub fn run_round_with(
        &mut self,
        mut channel: impl FnMut(ClientId, &mut Vec<f64>),
    ) -> Result<RoundReport> {
        self.run_round_over(|client, mut delta| {
            channel(client, &mut delta);
            Ok::<_, std::convert::Infallible>(delta)
        })
    }

    /// Runs one round, sending every update through a fallible `transport` (e.g. seal, serialize, open): it
    /// takes a client's update delta and returns what arrives at the server, or an error, which rejects that
    /// client's update (recorded in [`RoundReport::rejected`] with the error's message) while the round goes
    /// on with the others.
    ///
    /// # Errors
    /// As [`Federation::run_round`].
    pub fn run_round_over<E: std::fmt::Display>(
        &mut self,
        mut transport: impl FnMut(ClientId, Vec<f64>) -> std::result::Result<Vec<f64>, E>,
    ) -> Result<RoundReport> {
        let start = Instant::now();
        let round = self.round + 1;
        let cfg = self.config;
        let k = self.hospitals.len();
        let mut rng = ChaCha20Rng::seed_from_u64(mix(cfg.seed, round as u64, u64::MAX));

        // Privacy: refuse before anything is released.
        let mut accountant = self.accountant.clone();
        let mut epsilon = None;
        if let Some(dp) = cfg.dp {
            let (q, z) = match dp.mode {
                DpMode::Central => (cfg.sample_fraction, dp.noise_multiplier),
                DpMode::Local => (1.0, dp.noise_multiplier / 2.0),
            };
            accountant.compose_subsampled_gaussian(q, z, 1)?;
            let (eps, _) = accountant.epsilon(dp.delta)?;
            if let Some(budget) = dp.epsilon_budget
                && eps > budget
            {
                return Err(Error::BudgetExhausted { round, epsilon: eps, budget, delta: dp.delta });
            }
            epsilon = Some(eps);
        }

        // Sampling and dropout.
        let central_dp = matches!(cfg.dp, Some(DpConfig { mode: DpMode::Central, .. }));
        let asked: Vec<usize> = if central_dp && cfg.sample_fraction < 1.0 {
            (0..k).filter(|_| rng.random::<f64>() < cfg.sample_fraction).collect()
        } else {
            let m = ((cfg.sample_fraction * k as f64).ceil() as usize).clamp(cfg.min_clients, k);
            let mut idx = sample(&mut rng, k, m).into_vec();
            idx.sort_unstable();
            idx
        };
        let (mut present, mut dropped) = (Vec::new(), Vec::new());
        for h in asked {
            if cfg.dropout > 0.0 && rng.random::<f64>() < cfg.dropout {
                dropped.push(client_id(h));
            } else {
                present.push(h);
            }
        }

        // Local training.
        let local = LocalConfig {
            prox_mu: match cfg.algorithm {
                Algorithm::FedAvg => cfg.local.prox_mu,
                Algorithm::FedProx { mu } => mu,
            },
            ..cfg.local
        };
        let train_one = |&h: &usize| -> (usize, Vec<f64>) {
            let data = &self.hospitals[h];
            let mut crng = ChaCha20Rng::seed_from_u64(mix(cfg.seed, round as u64, h as u64));
            let w = train_checked(
                &self.model,
                &self.global,
                data.features().view(),
                data.labels(),
                &local,
                &mut crng,
            );
            let mut delta: Vec<f64> = w.iter().zip(&self.global).map(|(a, b)| a - b).collect();
            if let Some(dp @ DpConfig { mode: DpMode::Local, .. }) = cfg.dp {
                clip_delta(&mut delta, dp.clip);
                // std > 0 is guaranteed by DpConfig::validate.
                let _ = add_gaussian_noise(&mut delta, dp.noise_multiplier * dp.clip, &mut crng);
            }
            (h, delta)
        };
        let work: usize =
            present.iter().map(|&h| self.hospitals[h].features().len()).sum::<usize>() * local.epochs;
        let deltas: Vec<(usize, Vec<f64>)> = if work >= PARALLEL_WORK {
            present.par_iter().map(train_one).collect()
        } else {
            present.iter().map(train_one).collect()
        };

        // Aggregation: parse each update, fold it in, keep going past bad ones.
        let p = self.model.n_params();
        let (aggregate, rejected) = match cfg.dp {
            Some(dp) if dp.mode == DpMode::Central => {
                let noise_rng = ChaCha20Rng::seed_from_u64(mix(cfg.seed, round as u64, u64::MAX - 1));
                let denominator = cfg.sample_fraction * k as f64;
                let agg = GaussianSum::new(p, dp.clip, dp.noise_multiplier, denominator, noise_rng)?;
                self.collect(agg, deltas, &mut transport)
            }
            _ => self.collect(FedAvg::new(p), deltas, &mut transport),
        };
        let accepted = aggregate.as_ref().map_or(0, |a| a.clients.len());
        let aggregate = match aggregate {
            Ok(a) if accepted >= cfg.min_clients => a,
            Ok(_) | Err(Error::NoUpdates) => {
                return Err(Error::TooFewClients { round, accepted, required: cfg.min_clients });
            }
            Err(e) => return Err(e),
        };

        self.server_step(&aggregate.delta);
        self.accountant = accountant;
        self.round = round;
        let test = evaluate(&self.model, &self.global, &self.test)?;
        Ok(RoundReport {
            round,
            aggregated: aggregate.clients,
            dropped,
            rejected,
            test,
            elapsed: start.elapsed(),
            epsilon,
        })
    }

    fn collect<A, E: std::fmt::Display>(
        &self,
        mut agg: A,
        deltas: Vec<(usize, Vec<f64>)>,
        transport: &mut impl FnMut(ClientId, Vec<f64>) -> std::result::Result<Vec<f64>, E>,
    ) -> (Result<Aggregate>, Vec<Rejection>)
    where
        A: Aggregator<Update = ClientUpdate, Output = Aggregate>,
    {
        let mut rejected = Vec::new();
        for (h, delta) in deltas {
            let client = client_id(h);
            let delta = match transport(client, delta) {
                Ok(delta) => delta,
                Err(e) => {
                    rejected.push(Rejection {
                        client,
                        reason: format!("update from client {} lost in transport: {e}", client.0),
                    });
                    continue;
                }
            };
            let n = self.hospitals[h].len() as u64;
            if let Err(e) = ClientUpdate::new(client, n, delta).and_then(|u| agg.add(u)) {
                rejected.push(Rejection { client, reason: e.to_string() });
            }
        }
        (agg.finish(), rejected)
    }

    fn server_step(&mut self, delta: &[f64]) {
        match self.config.server {
            ServerOptimizer::Sgd { lr } => {
                for (w, d) in self.global.iter_mut().zip(delta) {
                    *w += if lr == 1.0 { *d } else { lr * d };
                }
            }
            ServerOptimizer::Adam { lr, beta1, beta2, tau }
            | ServerOptimizer::Yogi { lr, beta1, beta2, tau } => {
                let yogi = matches!(self.config.server, ServerOptimizer::Yogi { .. });
                for (((w, d), m), v) in
                    self.global.iter_mut().zip(delta).zip(&mut self.server_m).zip(&mut self.server_v)
                {
                    *m = beta1 * *m + (1.0 - beta1) * d;
                    let d2 = d * d;
                    *v = if yogi {
                        *v - (1.0 - beta2) * d2 * (*v - d2).signum()
                    } else {
                        beta2 * *v + (1.0 - beta2) * d2
                    };
                    *w += lr * *m / (v.sqrt() + tau);
                }
            }
        }
    }
}

fn client_id(h: usize) -> ClientId {
    ClientId(u32::try_from(h).unwrap_or(u32::MAX))
}

/// A per-(seed, round, client) stream seed: SplitMix64 finaliser over the mixed inputs.
fn mix(seed: u64, round: u64, client: u64) -> u64 {
    let mut z = seed ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ client.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
