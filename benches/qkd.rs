//! Criterion benches of the QKD link simulator: `qkd/simulate/<distance>` sends 10⁸ pulses (GYS, vacuum+weak
//! decoys) and reports pulses per second; `qkd/toeplitz/<n>` hashes n bits to n/2 (seed preparation included),
//! with variants for a prepared seed, the NTT backend and the modified Toeplitz hash;
//! `qkd/cascade/<variant>/<n>/<qber>` reconciles one n-bit frame with round(Q·n) errors (both parties, one
//! thread, verification hash included; frame prepared).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use quantumacy_qkd::sim::{Engine, LinkConfig, simulate};
use quantumacy_qkd::{Protocol, Source, System};

fn simulate_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("qkd/simulate");
    group.sample_size(10);
    let pulses = 100_000_000u64;
    group.throughput(Throughput::Elements(pulses));
    #[expect(clippy::unwrap_used, reason = "constant, valid source")]
    let source = Source::vacuum_weak(0.48, 0.05, [0.8, 0.15, 0.05], 0.5).unwrap();
    for km in [0u32, 25, 50, 100] {
        #[expect(clippy::unwrap_used, reason = "valid constant configuration")]
        let link = LinkConfig::new(System::gys(), f64::from(km), source.clone(), Protocol::Bb84).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(km), &link, |b, link| {
            b.iter(|| simulate(link, None, pulses, 7, Engine::Auto))
        });
    }
    group.finish();
}

fn toeplitz_bench(c: &mut Criterion) {
    use quantumacy_qkd::BitVec;
    use quantumacy_qkd::protocol::amplify::{Backend, ModifiedToeplitzHash, ToeplitzHash};
    let bits = |len: usize, salt: u64| -> BitVec {
        (0..len as u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt).count_ones() % 2 == 1)
            .collect()
    };
    // `qkd/toeplitz/<n>`: the fastest backend, fresh seed per block (preparation timed);
    // `qkd/toeplitz-prepared/<n>` and `qkd/toeplitz-ntt/<n>`: seed prepared, fastest backend and the NTT;
    // `qkd/toeplitz-modified/<n>`: (I | T′), n − 1 seed bits, preparation timed.
    for n in [100_000usize, 1_000_000] {
        let m = n / 2;
        let (seed, key) = (bits(n + m - 1, 1), bits(n, 2));
        let mut group = c.benchmark_group("qkd/toeplitz");
        group.sample_size(10).throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &key, |b, key| {
            b.iter(|| ToeplitzHash::new(&seed, n, m).and_then(|h| h.hash(key)))
        });
        group.finish();
        for (id, backend) in
            [("qkd/toeplitz-prepared", Backend::fastest()), ("qkd/toeplitz-ntt", Backend::Ntt)]
        {
            #[expect(clippy::unwrap_used, reason = "valid constant dimensions")]
            let hash = ToeplitzHash::with_backend(&seed, n, m, backend).unwrap();
            let mut group = c.benchmark_group(id);
            group.sample_size(10).throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::from_parameter(n), &key, |b, key| b.iter(|| hash.hash(key)));
            group.finish();
        }
        let mut group = c.benchmark_group("qkd/toeplitz-modified");
        group.sample_size(10).throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &key, |b, key| {
            b.iter(|| ModifiedToeplitzHash::new(&seed, n, m).and_then(|h| h.hash(key)))
        });
        group.finish();
    }
}

fn cascade_bench(c: &mut Criterion) {
    use quantumacy_qkd::protocol::reconcile::{ReconcileConfig, Variant, frame_pair, reconcile_with};
    let mut group = c.benchmark_group("qkd/cascade");
    group.sample_size(20);
    let n = 10_000usize;
    let config = ReconcileConfig { frame_bits: n, ..ReconcileConfig::default() };
    for (variant, q) in
        [(Variant::Original, 0.03), (Variant::Best, 0.03), (Variant::Original, 0.01), (Variant::Best, 0.01)]
    {
        #[expect(clippy::unwrap_used, reason = "valid constant sizes")]
        let (alice, bob) = frame_pair(n, (q * n as f64).round() as usize, 1).unwrap();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(
            BenchmarkId::new(variant.name(), format!("{n}/{q}")),
            &(alice, bob),
            |b, (alice, bob)| b.iter(|| reconcile_with(alice, bob, q, variant, 7, &config)),
        );
    }
    group.finish();
}

criterion_group!(benches, simulate_bench, toeplitz_bench, cascade_bench);
criterion_main!(benches);
