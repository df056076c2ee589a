//! Three hospitals train a breast-cancer classifier (WDBC) without sharing rows: IID and label-skewed
//! partitions, FedAvg, FedProx and FedAdam, then client-level differential privacy with its ε.
//!
//! Run with `cargo run --release -p quantumacy-fl --example federated_hospitals`.

use quantumacy_data::DataDir;
use quantumacy_fl::{
    Algorithm, DpConfig, DpMode, FederatedConfig, Federation, FlDataset, Model, Partition, ServerOptimizer,
    prepare,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = FlDataset::Wdbc.load(&DataDir::locate()?, 42)?;
    println!(
        "WDBC: {} training rows shared among 3 hospitals, {} test rows\n",
        data.train.len(),
        data.test.len()
    );
    println!(
        "{:<30} {:<18} {:>9} {:>7} {:>9}  ε (δ = 1e-5)",
        "partition", "algorithm", "accuracy", "AUC", "ms/round"
    );

    let runs: [(Partition, &str, Algorithm, ServerOptimizer, Option<DpConfig>); 6] = [
        (Partition::Iid, "FedAvg", Algorithm::FedAvg, ServerOptimizer::FEDAVG, None),
        (Partition::Dirichlet { alpha: 0.3 }, "FedAvg", Algorithm::FedAvg, ServerOptimizer::FEDAVG, None),
        (
            Partition::Dirichlet { alpha: 0.3 },
            "FedProx μ=0.1",
            Algorithm::FedProx { mu: 0.1 },
            ServerOptimizer::FEDAVG,
            None,
        ),
        (
            Partition::Dirichlet { alpha: 0.3 },
            "FedAdam η=0.05",
            Algorithm::FedAvg,
            ServerOptimizer::adam(0.05),
            None,
        ),
        (Partition::Quantity { alpha: 0.5 }, "FedAvg", Algorithm::FedAvg, ServerOptimizer::FEDAVG, None),
        (
            Partition::Iid,
            "FedAvg + DP z=1.1",
            Algorithm::FedAvg,
            ServerOptimizer::FEDAVG,
            Some(DpConfig {
                clip: 1.0,
                noise_multiplier: 1.1,
                delta: 1e-5,
                epsilon_budget: None,
                mode: DpMode::Central,
            }),
        ),
    ];
    for (partition, name, algorithm, server, dp) in runs {
        // Each hospital shares only Σx, Σx² and its row count; the server standardizes with the totals.
        let prepared = prepare(&data, partition, 3, 42)?;
        let sizes: Vec<usize> = prepared.hospitals.iter().map(|h| h.len()).collect();
        let config = FederatedConfig { algorithm, server, dp, ..FederatedConfig::default() };
        let mut fed = Federation::new(Model::logistic(30)?, prepared.hospitals, prepared.test, config)?;
        let rounds = fed.run()?;
        let last = &rounds[rounds.len() - 1].test;
        let mut ms: Vec<f64> = rounds.iter().map(|r| r.elapsed.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "{:<30} {:<18} {:>9.4} {:>7.4} {:>9.3}  {}",
            format!("{partition} {sizes:?}"),
            name,
            last.accuracy,
            last.auc.unwrap_or(f64::NAN),
            ms[ms.len() / 2],
            fed.epsilon().map_or("—".to_owned(), |e| format!("{e:.2}")),
        );
    }
    Ok(())
}
