//! Criterion benches: matrix–vector products with both engines (`optical/mvm/<engine>/<n>`, throughput in
//! mode-samples = n² per product) and noisy inference of the 10,000 t10k images with the bundled MLP.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array1, Array2};
use quantumacy_data::{DataDir, mnist};
use quantumacy_optical::network::mnist_inputs;
use quantumacy_optical::{Engine, GaussianEngine, ModeEngine, Packing, pretrained};

fn mvm(c: &mut Criterion) {
    let mut group = c.benchmark_group("optical/mvm");
    for n in [64usize, 256, 784] {
        let w = Array2::from_shape_fn((n, n), |(i, j)| ((i * 31 + j * 17) % 23) as f32 / 11.0 - 1.0);
        let x: Array1<f32> = (0..n).map(|i| (i % 13) as f32 / 13.0 + 0.1).collect();
        group.throughput(Throughput::Elements((n * n) as u64));
        let gauss = GaussianEngine::new(1.0).unwrap_or_else(|e| panic!("{e}"));
        group.bench_with_input(BenchmarkId::new("gaussian", n), &n, |b, _| {
            b.iter(|| black_box(gauss.matvec(w.view(), x.view(), 1)))
        });
        let mode = ModeEngine::new(1.0, 1.43, Packing::Complex).unwrap_or_else(|e| panic!("{e}"));
        group.bench_with_input(BenchmarkId::new("mode", n), &n, |b, _| {
            b.iter(|| black_box(mode.matvec(w.view(), x.view(), 1)))
        });
    }
    group.finish();
}

fn mode_single_core(c: &mut Criterion) {
    // 784 × 784 weights against 16 data vectors; run with RAYON_NUM_THREADS=1 for the per-core rate.
    let (n, batch) = (784, 16);
    let w = Array2::from_shape_fn((n, n), |(i, j)| ((i * 31 + j * 17) % 23) as f32 / 11.0 - 1.0);
    let x: Array2<f32> = Array2::from_shape_fn((batch, n), |(b, i)| ((i + b) % 13) as f32 / 13.0 + 0.1);
    let mode = ModeEngine::new(1.0, 1.43, Packing::Complex).unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("optical/mode-samples");
    group.throughput(Throughput::Elements((batch * n * n) as u64));
    group.bench_function("784x16", |b| b.iter(|| black_box(mode.matmul(w.view(), x.view(), 3))));
    group.finish();
}

fn mnist_inference(c: &mut Criterion) {
    let Ok(dir) = DataDir::locate() else { return };
    let (Ok(test), Ok(net)) = (mnist::load_test(&dir), pretrained::mlp(&dir)) else { return };
    let Ok(x) = mnist_inputs(test.images()) else { return };
    let gauss = GaussianEngine::new(1.6).unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("optical/mnist");
    group.sample_size(10);
    group.bench_function("gaussian/10000", |b| {
        b.iter(|| black_box(net.accuracy(&gauss, x.view(), test.labels(), 5)))
    });
    group.finish();
}

criterion_group!(benches, mvm, mode_single_core, mnist_inference);
criterion_main!(benches);
