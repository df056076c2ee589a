//! Criterion benches of the QKD link simulator: `qkd/simulate/<distance>` sends 10⁸ pulses (GYS, vacuum+weak
//! decoys) and reports pulses per second.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quantumacy_qkd::sim::{Engine, LinkConfig, simulate};
use quantumacy_qkd::{Intensity, Protocol, Source, System};

fn simulate_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("qkd/simulate");
    group.sample_size(10);
    let pulses = 100_000_000u64;
    group.throughput(Throughput::Elements(pulses));
    #[expect(clippy::unwrap_used, reason = "constant, valid source")]
    let source = Source::new(
        vec![
            Intensity { mean: 0.48, probability: 0.8 },
            Intensity { mean: 0.05, probability: 0.15 },
            Intensity { mean: 0.0, probability: 0.05 },
        ],
        0.5,
    )
    .unwrap();
    for km in [0u32, 25, 50, 100] {
        #[expect(clippy::unwrap_used, reason = "valid constant configuration")]
        let link = LinkConfig::new(System::gys(), f64::from(km), source.clone(), Protocol::Bb84).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(km), &link, |b, link| {
            b.iter(|| simulate(link, None, pulses, 7, Engine::Auto))
        });
    }
    group.finish();
}

criterion_group!(benches, simulate_bench);
criterion_main!(benches);
