//! `fl/aggregate/<params>/<clients>`: FedAvg of validated updates (timed: folding the owned updates into the
//! mean; the clones it consumes are made outside the timed region, and `FedAvg` frees large ones on a background
//! task); `fl/validate/<params>`: parsing one update (the NaN/∞ scan); `fl/round/wdbc/<clients>`: one full round
//! of the WDBC reference setup.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use quantumacy_data::DataDir;
use quantumacy_fl::{
    AggregateExt, ClientId, ClientUpdate, FederatedConfig, Federation, FlDataset, Model, Partition, prepare,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn aggregate(c: &mut Criterion) {
    let mut group = c.benchmark_group("fl/aggregate");
    for &(params, clients) in &[(31usize, 3usize), (16_384, 10), (1_000_000, 10)] {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let updates: Vec<ClientUpdate> = (0..clients)
            .map(|k| {
                let d: Vec<f64> = (0..params).map(|_| rng.random::<f64>() - 0.5).collect();
                ClientUpdate::new(ClientId(k as u32), 100 + k as u64, d).unwrap()
            })
            .collect();
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{params}/{clients}")),
            &updates,
            |b, u| {
                b.iter_batched(
                    || u.clone(),
                    |u| black_box(u.into_iter().aggregate().unwrap()),
                    criterion::BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("fl/validate");
    let d: Vec<f64> = (0..1_000_000).map(|i| f64::from(i) * 1e-6).collect();
    group.bench_function("1000000", |b| {
        b.iter_batched(
            || d.clone(),
            |d| black_box(ClientUpdate::new(ClientId(0), 1, d).unwrap()),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn round(c: &mut Criterion) {
    let dir = DataDir::locate().unwrap();
    let data = FlDataset::Wdbc.load(&dir, 42).unwrap();
    let mut group = c.benchmark_group("fl/round/wdbc");
    for clients in [3usize, 10] {
        let prepared = prepare(&data, Partition::Iid, clients, 42).unwrap();
        let model = Model::logistic(30).unwrap();
        let config = FederatedConfig { rounds: usize::MAX, ..FederatedConfig::default() };
        let mut fed = Federation::new(model, prepared.hospitals, prepared.test, config).unwrap();
        group.bench_function(BenchmarkId::from_parameter(clients), |b| {
            b.iter(|| black_box(fed.run_round().unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, aggregate, round);
criterion_main!(benches);
