//! `quantumacy bench`: operation costs measured in-process (medians of wall-clock repetitions).
//!
//! `bench ckks` times the RNS-CKKS engine (`quantumacy-ckks`, preset `N8192Depth3`) on the operations that
//! `benches/ckks_seal.py` measures with Microsoft SEAL, so the two columns can be compared op by op.

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use anyhow::anyhow;
use clap::{Args, Subcommand};
use quantumacy_ckks::lr::LogisticModel;
use quantumacy_ckks::{
    Ciphertext, Encoder, Error as CkksError, Evaluator, FORMAT_VERSION, Parameters, Preset, SecretKey,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use crate::output::{Failure, Output};

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// CKKS (N = 8192, depth 3): encrypt, decrypt, add, products, rotation, NTT, logistic-regression inference.
    Ckks(CkksBenchArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CkksBenchArgs {
    /// Worker threads (rayon pool; the RNS limbs are transformed in parallel when > 1).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Repetitions per operation (the median is reported).
    #[arg(long, default_value_t = 20)]
    reps: usize,
    /// Data limbs of the operands of the basic operations (2–4; 4 = fresh, top level). The LR rows always
    /// start from fresh ciphertexts.
    #[arg(long, default_value_t = 4)]
    limbs: usize,
}

/// One timed operation.
#[derive(Debug, Serialize)]
pub(crate) struct Row {
    op: &'static str,
    median_ms: f64,
    reps: usize,
}

#[derive(Debug, Serialize)]
struct ParamsReport {
    preset: &'static str,
    n: usize,
    slots: usize,
    chain_bits: Vec<u32>,
    special_bits: Vec<u32>,
    log2_qp: f64,
    scale_bits: f64,
    /// Data limbs of the operands of the basic operations.
    limbs: usize,
    threads: usize,
}

#[derive(Debug, Serialize)]
struct PrecisionBits {
    /// `−log2 max |error|` over all slots of a fresh public-key ciphertext, inputs U[−1, 1].
    fresh: f64,
    /// The same for a fresh symmetric (seeded) ciphertext.
    fresh_seeded: f64,
    /// The same after one ciphertext × ciphertext product, relinearization and rescale.
    after_mul: f64,
}

/// Serialized sizes of fresh ciphertexts at the operands' level (`--limbs`), in the wire format of
/// `quantumacy-ckks` (envelope + residues bit-packed at each prime's width; a seeded symmetric ciphertext stores
/// `c_0` and the 32-byte seed of `c_1`).
#[derive(Debug, Serialize)]
struct CiphertextBytes {
    seeded: usize,
    public_key: usize,
    limbs: usize,
    format: String,
}

#[derive(Debug, Serialize)]
struct CkksBenchReport {
    params: ParamsReport,
    rows: Vec<Row>,
    precision_bits: PrecisionBits,
    ciphertext_bytes: CiphertextBytes,
}

pub(crate) fn run(cmd: BenchCommand, out: &Output) -> Result<(), Failure> {
    match cmd {
        BenchCommand::Ckks(args) => {
            if args.threads == 0 || args.reps == 0 {
                return Err(Failure::usage(anyhow!("--threads and --reps must be at least 1")));
            }
            if !(2..=4).contains(&args.limbs) {
                return Err(Failure::usage(anyhow!(
                    "--limbs must be 2 to 4 (4 data primes; a rescale needs a limb to drop)"
                )));
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(args.threads)
                .build()
                .map_err(|e| Failure::failed(anyhow!("cannot start {} worker threads: {e}", args.threads)))?;
            let report = pool.install(|| bench_ckks(&args, out)).map_err(Failure::failed)?;
            out.emit(&report, human)
        }
    }
}

/// Median of `reps` wall-clock timings of `f`, in milliseconds.
pub(crate) fn median_ms<T>(
    reps: usize,
    mut f: impl FnMut() -> Result<T, CkksError>,
) -> Result<f64, CkksError> {
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        black_box(f()?);
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    Ok(median(&mut times))
}

/// Median of a non-empty sample (mean of the two middle values for an even count).
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { values[n / 2] } else { 0.5 * (values[n / 2 - 1] + values[n / 2]) }
}

fn bits(modulus: u64) -> u32 {
    u64::BITS - modulus.leading_zeros()
}

fn precision_bits(got: &[f64], want: &[f64]) -> f64 {
    let err = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    -err.log2()
}

fn bench_ckks(args: &CkksBenchArgs, out: &Output) -> Result<CkksBenchReport, CkksError> {
    let reps = args.reps;
    let params: Arc<Parameters> = Parameters::preset(Preset::N8192Depth3)?;
    let n = params.degree();
    let top = params.max_level();
    let level = args.limbs - 1;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let progress = out.progress(14, "ckks");
    let sk = SecretKey::generate(&params, &mut rng);
    let pk = sk.public_key(&mut rng);
    let rlk = sk.relinearization_key(&mut rng);
    let enc = Encoder::new(&params);
    let eval = Evaluator::new(&params);
    let x: Vec<f64> = (0..params.slots()).map(|_| rng.random_range(-1.0..1.0)).collect();
    let y: Vec<f64> = (0..params.slots()).map(|_| rng.random_range(-1.0..1.0)).collect();
    let gk = sk.galois_keys(&[1], false, &mut rng);
    progress.inc(1);

    let mut rows = Vec::new();
    let mut row = |op: &'static str, median_ms: f64, reps: usize| {
        rows.push(Row { op, median_ms, reps });
        progress.inc(1);
    };
    row(
        "encode+encrypt",
        median_ms(reps, || {
            let pt = enc.encode_real(&params, &x, params.scale(), level)?;
            pk.encrypt(&params, &pt, &mut rng)
        })?,
        reps,
    );
    let pt = enc.encode_real(&params, &x, params.scale(), level)?;
    let ct = pk.encrypt(&params, &pt, &mut rng)?;
    row("decrypt+decode", median_ms(reps, || enc.decode_real(&params, &sk.decrypt(&ct)?))?, reps);
    row("add", median_ms(reps, || eval.add(&ct, &ct))?, reps);
    row(
        "mul_plain+rescale",
        median_ms(reps, || {
            let mut r = eval.mul_plain(&ct, &pt)?;
            eval.rescale(&mut r)?;
            Ok(r)
        })?,
        reps,
    );
    row("mul+relin+rescale", median_ms(reps, || eval.multiply_rescale(&ct, &ct, &rlk))?, reps);
    row("rotate", median_ms(reps, || eval.rotate(&ct, 1, &gk))?, reps);
    let pk_bytes = ct.to_bytes(&params)?;
    let seeded_bytes = sk.encrypt(&pt, &mut rng)?.to_bytes(&params)?;
    row("serialize", median_ms(reps, || ct.to_bytes(&params))?, reps);
    row("deserialize", median_ms(reps, || Ciphertext::from_bytes(&pk_bytes, &params, pk_bytes.len()))?, reps);
    row(
        "deserialize_seeded",
        median_ms(reps, || Ciphertext::from_bytes(&seeded_bytes, &params, seeded_bytes.len()))?,
        reps,
    );
    let basis = params.basis(0);
    let mut buf: Vec<u64> = (0..n as u64).collect();
    // One NTT is ~0.1–0.3 ms: time batches of 10 so the clock's resolution does not matter.
    let ntt = median_ms(reps, || {
        for _ in 0..10 {
            basis.plan(0).forward(black_box(&mut buf));
        }
        Ok(())
    })? / 10.0;
    row("ntt_forward", ntt, reps);

    // Precision, on fresh top-level ciphertexts (before the LR setup, which draws from the same generator).
    let pt = enc.encode_real(&params, &x, params.scale(), top)?;
    let ct = pk.encrypt(&params, &pt, &mut rng)?;
    let pt_y = enc.encode_real(&params, &y, params.scale(), top)?;
    let cy = pk.encrypt(&params, &pt_y, &mut rng)?;
    let fresh = precision_bits(&enc.decode_real(&params, &sk.decrypt(&ct)?)?, &x);
    let fresh_seeded =
        precision_bits(&enc.decode_real(&params, &sk.decrypt(&sk.encrypt(&pt, &mut rng)?)?)?, &x);
    let mut prod = eval.multiply(&ct, &cy, &rlk)?;
    eval.rescale(&mut prod)?;
    let want: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a * b).collect();
    let after_mul = precision_bits(&enc.decode_real(&params, &sk.decrypt(&prod)?)?, &want);

    // Logistic regression, single vector: encrypt (pk) + evaluate + decrypt one patient, d = 1024.
    let w: Vec<f64> = (0..1024).map(|_| rng.random_range(-0.05..0.05)).collect();
    let model = LogisticModel::new(w, 0.1)?;
    let gk_lr = sk.galois_keys(&model.rotation_steps(), false, &mut rng);
    let xs: Vec<f64> = (0..1024).map(|_| rng.random_range(0.0..1.0)).collect();
    let single = median_ms(reps, || {
        let c = model.encrypt_single(&params, &enc, &pk, &xs, &mut rng)?;
        let o = model.eval_single(&eval, &enc, &c, &rlk, &gk_lr)?;
        Ok(enc.decode_real(&params, &sk.decrypt(&o)?)?[0])
    })?;
    row("lr_single_e2e_d1024", single, reps);

    // Batched: 784 column ciphertexts (symmetric, as the key-holding hospital sends them) of N/2 patients.
    let d = 784;
    let w: Vec<f64> = (0..d).map(|_| rng.random_range(-0.05..0.05)).collect();
    let model = LogisticModel::new(w, 0.1)?;
    let patients = params.slots();
    let mut column = vec![0.0; patients];
    let mut cts = Vec::with_capacity(d);
    for _ in 0..d {
        column.iter_mut().for_each(|c| *c = rng.random_range(0.0..1.0));
        cts.push(sk.encrypt(&enc.encode_real(&params, &column, params.scale(), top)?, &mut rng)?);
    }
    let batched = median_ms(reps, || model.eval_batch(&eval, &cts, &rlk))?;
    drop(cts);
    row("lr_batched_eval_per_patient_d784", batched / patients as f64, reps);
    progress.finish_and_clear();

    let chain_bits: Vec<u32> = params.chain().iter().map(|q| bits(q.value())).collect();
    let special_bits: Vec<u32> = params.special().iter().map(|q| bits(q.value())).collect();
    Ok(CkksBenchReport {
        params: ParamsReport {
            preset: "N8192Depth3",
            n,
            slots: params.slots(),
            chain_bits,
            special_bits,
            log2_qp: params.log_qp(),
            scale_bits: params.scale().log2(),
            limbs: args.limbs,
            threads: args.threads,
        },
        rows,
        precision_bits: PrecisionBits { fresh, fresh_seeded, after_mul },
        ciphertext_bytes: CiphertextBytes {
            seeded: seeded_bytes.len(),
            public_key: pk_bytes.len(),
            limbs: args.limbs,
            format: format!(
                "quantumacy-ckks wire format v{FORMAT_VERSION} (bit-packed residues, seeded c_1)"
            ),
        },
    })
}

fn human(r: &CkksBenchReport) -> String {
    let p = &r.params;
    let mut text = format!(
        "CKKS {} (N = {}, chain {:?} + special {:?}, log2 QP = {:.1}, Δ = 2^{}), {} limb(s), {} thread(s)\n",
        p.preset, p.n, p.chain_bits, p.special_bits, p.log2_qp, p.scale_bits, p.limbs, p.threads
    );
    let _ = writeln!(text, "{:<36} {:>12} {:>6}", "op", "median ms", "reps");
    for row in &r.rows {
        let _ = writeln!(text, "{:<36} {:>12.4} {:>6}", row.op, row.median_ms, row.reps);
    }
    let _ = writeln!(
        text,
        "precision bits: fresh (pk) {:.2}, fresh (seeded) {:.2}, after one mul {:.2}",
        r.precision_bits.fresh, r.precision_bits.fresh_seeded, r.precision_bits.after_mul
    );
    let _ = writeln!(
        text,
        "ciphertext bytes ({} limbs, {}): public-key {}, seeded {}",
        r.ciphertext_bytes.limbs,
        r.ciphertext_bytes.format,
        r.ciphertext_bytes.public_key,
        r.ciphertext_bytes.seeded
    );
    text
}
