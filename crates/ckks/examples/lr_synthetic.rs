//! Encrypted logistic-regression inference on synthetic data at the N = 8192 depth-3 preset: single vector
//! (d = 1024) and batched (d = 784, 4096 patients column-packed). Prints the largest deviation from the plaintext
//! cubic-sigmoid model, label agreement, and median timings.
//!
//! Run: `cargo run --release -p quantumacy-ckks --example lr_synthetic`

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "example")]

use std::time::Instant;

use quantumacy_ckks::lr::LogisticModel;
use quantumacy_ckks::{Encoder, Error, Evaluator, Parameters, Preset, SecretKey};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Error> {
    let params = Parameters::preset(Preset::N8192Depth3)?;
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let t = Instant::now();
    let sk = SecretKey::generate(&params, &mut rng);
    let pk = sk.public_key(&mut rng);
    let rlk = sk.relinearization_key(&mut rng);
    let (enc, eval) = (Encoder::new(&params), Evaluator::new(&params));
    let w: Vec<f64> = (0..1024).map(|_| rng.random_range(-0.1..0.1)).collect();
    let model = LogisticModel::new(w, -0.2)?;
    let gk = sk.galois_keys(&model.rotation_steps(), false, &mut rng);
    println!(
        "keygen (sk, pk, rlk, {} Galois keys): {:.1} ms",
        model.rotation_steps().len(),
        t.elapsed().as_secs_f64() * 1e3
    );

    let (mut times, mut max_dev, mut agree) = (Vec::new(), 0.0f64, 0);
    let reps = 9;
    for _ in 0..reps {
        let x: Vec<f64> = (0..1024).map(|_| rng.random_range(0.0..1.0)).collect();
        let t = Instant::now();
        let ct = model.encrypt_single(&params, &enc, &pk, &x, &mut rng)?;
        let out = model.eval_single(&eval, &enc, &ct, &rlk, &gk)?;
        let p = enc.decode_real(&params, &sk.decrypt(&out)?)?[0];
        times.push(t.elapsed().as_secs_f64() * 1e3);
        let want = model.probability(&x);
        max_dev = max_dev.max((p - want).abs());
        agree += usize::from((p > 0.5) == (want > 0.5));
    }
    println!(
        "single d=1024: encrypt+eval+decrypt median {:.2} ms over {reps}; max |Δp| {max_dev:.2e}; labels {agree}/{reps}",
        median(times)
    );

    let d = 784;
    let w: Vec<f64> = (0..d).map(|_| rng.random_range(-0.02..0.02)).collect();
    let model = LogisticModel::new(w, 0.1)?;
    let patients: Vec<Vec<f64>> =
        (0..params.slots()).map(|_| (0..d).map(|_| rng.random_range(0.0..1.0)).collect()).collect();
    let t = Instant::now();
    let cts = model.encrypt_batch(&params, &enc, &pk, &patients, &mut rng)?;
    println!(
        "batched: encrypt {d} columns of {} patients: {:.0} ms",
        patients.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..5 {
        let t = Instant::now();
        out = Some(model.eval_batch(&eval, &cts, &rlk)?);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let probs = enc.decode_real(&params, &sk.decrypt(&out.expect("five runs"))?)?;
    let mut max_dev = 0.0f64;
    let mut agree = 0;
    for (x, p) in patients.iter().zip(&probs) {
        let want = model.probability(x);
        max_dev = max_dev.max((p - want).abs());
        agree += usize::from((*p > 0.5) == (want > 0.5));
    }
    let m = median(times);
    println!(
        "batched d={d}: eval median {m:.1} ms = {:.2} µs/patient; max |Δp| {max_dev:.2e}; labels {agree}/{}",
        m * 1e3 / patients.len() as f64,
        patients.len()
    );
    Ok(())
}
