//! CKKS operation costs, ids `ckks/<op>/<N>/<limbs>` (limbs = data primes of the operands).
//!
//! Run: `cargo bench -p quantumacy-ckks --bench ckks`. `ckks/ntt_{forward,inverse,mul_acc}_raw/8192/1` are
//! `tfhe-ntt` alone on the same 49-bit prime; `ckks/ntt_{forward,inverse,mul_acc}/8192/1` the engine's
//! `NttPlan` (its backend, e.g. `fp-avx2`, is printed), measured in the same run.
//! `cargo bench -p quantumacy-ckks --bench ckks -- ntt_` runs just these.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use quantumacy_ckks::lr::LogisticModel;
use quantumacy_ckks::{Encoder, Evaluator, Parameters, Preset, SecretKey};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn ops(c: &mut Criterion) {
    let params = Parameters::preset(Preset::N8192Depth3).unwrap();
    let n = params.degree();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let sk = SecretKey::generate(&params, &mut rng);
    let pk = sk.public_key(&mut rng);
    let rlk = sk.relinearization_key(&mut rng);
    let gk = sk.galois_keys(&[1], false, &mut rng);
    let enc = Encoder::new(&params);
    let eval = Evaluator::new(&params);
    let x: Vec<f64> = (0..params.slots()).map(|_| rng.random_range(-1.0..1.0)).collect();
    let mut group = c.benchmark_group("ckks");
    group.sample_size(20).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));

    let plan = tfhe_ntt::prime64::Plan::try_new(n, params.chain()[0].value()).unwrap();
    let basis = params.basis(0);
    let ours = basis.plan(0);
    eprintln!("NttPlan backend: {} (tfhe-ntt IFMA: {})", ours.backend(), plan.use_ifma());
    let p = params.chain()[0].value();
    let input: Vec<u64> = (0..n as u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % p).collect();
    let nid = |op: &str| BenchmarkId::new(op.to_string(), format!("{n}/1"));
    let mut buf = input.clone();
    group.bench_function(nid("ntt_forward_raw"), |b| b.iter(|| plan.fwd(black_box(&mut buf))));
    let mut buf = input.clone();
    group.bench_function(nid("ntt_forward"), |b| b.iter(|| ours.forward(black_box(&mut buf))));
    let mut buf = input.clone();
    group.bench_function(nid("ntt_inverse_raw"), |b| {
        b.iter(|| {
            plan.inv(black_box(&mut buf));
            plan.normalize(&mut buf);
        })
    });
    let mut buf = input.clone();
    group.bench_function(nid("ntt_inverse"), |b| b.iter(|| ours.inverse(black_box(&mut buf))));
    let rhs: Vec<u64> = input.iter().map(|&x| (x * 3 + 1) % p).collect();
    let mut acc = input.clone();
    group.bench_function(nid("ntt_mul_acc_raw"), |b| {
        b.iter(|| plan.mul_accumulate(black_box(&mut acc), &input, &rhs))
    });
    let mut acc = input.clone();
    group.bench_function(nid("ntt_mul_acc"), |b| {
        b.iter(|| ours.mul_accumulate(black_box(&mut acc), &input, &rhs))
    });

    for level in [2usize, 3] {
        let limbs = level + 1;
        let id = |op: &str| BenchmarkId::new(op.to_string(), format!("{n}/{limbs}"));
        group.bench_function(id("encode+encrypt"), |b| {
            b.iter(|| {
                let pt = enc.encode_real(&params, &x, params.scale(), level).unwrap();
                black_box(pk.encrypt(&params, &pt, &mut rng).unwrap())
            })
        });
        group.bench_function(id("encode+encrypt_sk"), |b| {
            b.iter(|| {
                let pt = enc.encode_real(&params, &x, params.scale(), level).unwrap();
                black_box(sk.encrypt(&pt, &mut rng).unwrap())
            })
        });
        let pt = enc.encode_real(&params, &x, params.scale(), level).unwrap();
        let ct = pk.encrypt(&params, &pt, &mut rng).unwrap();
        group.bench_function(id("decrypt+decode"), |b| {
            b.iter(|| black_box(enc.decode_real(&params, &sk.decrypt(&ct).unwrap()).unwrap()))
        });
        group.bench_function(id("add"), |b| b.iter(|| black_box(eval.add(&ct, &ct).unwrap())));
        group.bench_function(id("mul_plain+rescale"), |b| {
            b.iter(|| {
                let mut r = eval.mul_plain(&ct, &pt).unwrap();
                eval.rescale(&mut r).unwrap();
                black_box(r)
            })
        });
        group.bench_function(id("mul+relin+rescale"), |b| {
            b.iter(|| black_box(eval.multiply_rescale(&ct, &ct, &rlk).unwrap()))
        });
        group.bench_function(id("rotate"), |b| b.iter(|| black_box(eval.rotate(&ct, 1, &gk).unwrap())));
    }
    group.finish();
}

/// `ckks/lr_single_e2e_d1024/8192/4`: encrypt one patient (pk), evaluate, decrypt and decode slot 0.
/// `ckks/lr_batched_eval_d784/8192/4`: evaluation on 784 column-packed ciphertexts of 4096 patients; divide by
/// 4096 for the per-patient figure.
fn lr(c: &mut Criterion) {
    let params = Parameters::preset(Preset::N8192Depth3).unwrap();
    let n = params.degree();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let sk = SecretKey::generate(&params, &mut rng);
    let pk = sk.public_key(&mut rng);
    let rlk = sk.relinearization_key(&mut rng);
    let enc = Encoder::new(&params);
    let eval = Evaluator::new(&params);
    let mut group = c.benchmark_group("ckks");
    group.sample_size(10).measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_millis(500));
    let limbs = params.max_level() + 1;

    let w: Vec<f64> = (0..1024).map(|_| rng.random_range(-0.05..0.05)).collect();
    let model = LogisticModel::new(w, 0.1).unwrap();
    let gk = sk.galois_keys(&model.rotation_steps(), false, &mut rng);
    let x: Vec<f64> = (0..1024).map(|_| rng.random_range(0.0..1.0)).collect();
    group.bench_function(BenchmarkId::new("lr_single_e2e_d1024", format!("{n}/{limbs}")), |b| {
        b.iter(|| {
            let ct = model.encrypt_single(&params, &enc, &pk, &x, &mut rng).unwrap();
            let out = model.eval_single(&eval, &enc, &ct, &rlk, &gk).unwrap();
            black_box(enc.decode_real(&params, &sk.decrypt(&out).unwrap()).unwrap()[0])
        })
    });

    // The slot sum of the single-vector path alone, at each radix (ModUp/ModDown NTTs against key inner
    // products): `ckks/rotate_and_sum_d1024_radix<r>/8192/3`.
    let ct = model.encrypt_single(&params, &enc, &pk, &x, &mut rng).unwrap();
    let mut ct3 = ct.clone();
    eval.mod_drop_to(&mut ct3, 2).unwrap();
    for radix in [2usize, 4, 8, 32] {
        let steps = quantumacy_ckks::rotate_and_sum_steps(1024, radix).unwrap();
        let gk = sk.galois_keys(&steps, false, &mut rng);
        group.bench_function(
            BenchmarkId::new(format!("rotate_and_sum_d1024_radix{radix}"), format!("{n}/3")),
            |b| b.iter(|| black_box(eval.rotate_and_sum_radix(&ct3, 1024, radix, &gk).unwrap())),
        );
    }

    let w: Vec<f64> = (0..784).map(|_| rng.random_range(-0.05..0.05)).collect();
    let model = LogisticModel::new(w, 0.1).unwrap();
    let patients: Vec<Vec<f64>> =
        (0..params.slots()).map(|_| (0..784).map(|_| rng.random_range(0.0..1.0)).collect()).collect();
    // Setup: 784 symmetric encryptions (the column ciphertexts a hospital would send).
    let cts: Vec<_> = (0..784)
        .map(|j| {
            let col: Vec<f64> = patients.iter().map(|p| p[j]).collect();
            sk.encrypt(&enc.encode_real(&params, &col, params.scale(), params.max_level()).unwrap(), &mut rng)
                .unwrap()
        })
        .collect();
    group.bench_function(BenchmarkId::new("lr_batched_eval_d784", format!("{n}/{limbs}")), |b| {
        b.iter(|| black_box(model.eval_batch(&eval, &cts, &rlk).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, ops, lr);
criterion_main!(benches);
