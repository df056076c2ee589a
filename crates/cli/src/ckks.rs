//! `quantumacy ckks infer`: plaintext-trained logistic regression scored on CKKS-encrypted test images.
//!
//! The model is trained in the clear (`quantumacy-fl`, full-batch gradient descent on standardized features);
//! the test set is then encrypted by the key holder and scored by a server that sees only ciphertexts and the
//! model: batched (column packing, `LogisticModel::eval_batch`) for every test image and single-vector
//! (`LogisticModel::eval_single`, rotate-and-sum) for the first few. The sigmoid is the cubic
//! `0.5 + 0.197y − 0.004y³` (`quantumacy_ckks::lr`), so the reference for the encrypted probabilities is that
//! polynomial evaluated in the clear; it tracks the true sigmoid only for `|y| ≲ 5` (and is not even monotone
//! beyond `|y| ≈ 4.05`, turning back across 0.5 at `|y| ≈ 7.0`), hence the count of test logits outside `[−5, 5]`.

use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Instant;

use anyhow::anyhow;
use clap::{Args, Subcommand};
use quantumacy_ckks::lr::{LogisticModel, sigmoid3};
use quantumacy_ckks::{Encoder, Evaluator, Parameters, Preset, SecretKey};
use quantumacy_fl::{FlDataset, LocalConfig, Model, Optimizer, Partition, fit, prepare};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use crate::GlobalArgs;
use crate::bench::median;
use crate::output::{Failure, Output};

/// Logits beyond this magnitude are outside the range where the cubic approximates the sigmoid.
const LOGIT_RANGE: f64 = 5.0;
/// Acceptance bound on |encrypted − plaintext polynomial| per probability.
const MAX_ABS_DP: f64 = 1e-3;

#[derive(Debug, Subcommand)]
pub(crate) enum CkksCommand {
    /// Train logistic regression in the clear, then score the test set encrypted and compare.
    Infer(InferArgs),
}

#[derive(Debug, Args)]
pub(crate) struct InferArgs {
    /// A two-class dataset: pneumoniamnist | wdbc | parkinsons
    #[arg(long, default_value = "pneumoniamnist")]
    dataset: String,
    /// Full-batch gradient-descent epochs.
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Step size (small: 784 correlated standardized pixels make large steps overshoot to huge logits).
    #[arg(long, default_value_t = 0.005)]
    learning_rate: f64,
    /// L2 coefficient on the weights (strong, to keep the logits inside the cubic's useful range).
    #[arg(long, default_value_t = 1.0)]
    l2: f64,
    /// Score only the first N test images (default: all of them).
    #[arg(long, value_name = "N")]
    patients: Option<usize>,
    /// How many of those images are also scored one at a time (single-vector packing).
    #[arg(long, default_value_t = 4)]
    single: usize,
    /// Seed of training (and of the split for the tabular datasets). CKKS keys always come from the OS.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Debug, Serialize)]
struct Timings {
    train_ms: f64,
    keygen_ms: f64,
    /// Encoding and symmetric encryption of the column ciphertexts (key holder).
    batch_encrypt_ms: f64,
    /// `eval_batch` over all batches (server).
    batch_eval_ms: f64,
    batch_eval_per_patient_ms: f64,
    /// Decryption and decoding of the result ciphertexts (key holder).
    batch_decrypt_ms: f64,
    /// Median over the single-vector patients of encrypt (public key) + evaluate + decrypt.
    single_e2e_median_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
struct InferReport {
    dataset: FlDataset,
    train_examples: usize,
    test_examples: usize,
    features: usize,
    epochs: usize,
    learning_rate: f64,
    l2: f64,
    ckks_preset: &'static str,
    batches: usize,
    /// Accuracy of the plaintext model with the exact sigmoid (label = logit > 0).
    plaintext_accuracy: f64,
    /// Accuracy of the plaintext cubic polynomial (label = p > 0.5).
    plaintext_poly_accuracy: f64,
    /// Accuracy of the encrypted batched probabilities (label = p > 0.5).
    encrypted_accuracy: f64,
    /// max |p_encrypted − p_poly| over the batched test images.
    max_abs_dp_batched: f64,
    /// max |p_encrypted − p_poly| over the single-vector images.
    max_abs_dp_single: Option<f64>,
    single_patients: usize,
    /// Fraction of test images whose encrypted label equals the plaintext polynomial's.
    label_agreement: f64,
    labels_identical: bool,
    /// Test logits with |y| > 5, where the cubic no longer follows the sigmoid.
    logits_outside_range: usize,
    logit_range: f64,
    logit_min: f64,
    logit_max: f64,
    /// Every encrypted probability within 1e-3 of the plaintext polynomial and identical labels.
    acceptance: bool,
    timings: Timings,
}

pub(crate) fn run(cmd: CkksCommand, global: &GlobalArgs, out: &Output) -> Result<(), Failure> {
    match cmd {
        CkksCommand::Infer(args) => infer(&args, global, out),
    }
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

fn infer(args: &InferArgs, global: &GlobalArgs, out: &Output) -> Result<(), Failure> {
    let dataset = FlDataset::from_str(&args.dataset).map_err(Failure::usage)?;
    if args.patients == Some(0) {
        return Err(Failure::usage(anyhow!("--patients must be at least 1")));
    }
    let dir = global.data_dir()?;
    let data = dataset.load(&dir, args.seed).map_err(Failure::failed)?;
    if data.train.n_classes() != 2 {
        return Err(Failure::usage(anyhow!(
            "{dataset} has {} classes; encrypted inference runs binary logistic regression",
            data.train.n_classes()
        )));
    }
    // One "hospital" holding the whole training set: `prepare` standardizes with training statistics only.
    let prepared = prepare(&data, Partition::Iid, 1, args.seed).map_err(Failure::failed)?;
    let train = &prepared.hospitals[0];
    let d = train.n_features();
    let model = Model::logistic(d).map_err(Failure::failed)?;
    let config = LocalConfig {
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        l2: args.l2,
        optimizer: Optimizer::Gd,
        prox_mu: 0.0,
    };
    let start = Instant::now();
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let theta = fit(&model, train, &config, &mut rng).map_err(Failure::usage)?;
    let train_ms = ms(start);
    let lr = LogisticModel::new(theta[..d].to_vec(), theta[d]).map_err(Failure::failed)?;

    let test_all = &prepared.test;
    let count = args.patients.map_or(test_all.len(), |p| p.min(test_all.len()));
    let rows: Vec<Vec<f64>> = (0..count).map(|i| test_all.features().row(i).to_vec()).collect();
    let labels = &test_all.labels()[..count];
    let logits: Vec<f64> = rows.iter().map(|x| lr.logit(x)).collect();
    let poly: Vec<f64> = logits.iter().map(|&y| sigmoid3(y)).collect();
    let accuracy = |predicted: &mut dyn Iterator<Item = bool>| {
        predicted.zip(labels).filter(|(p, l)| u8::from(*p) == **l).count() as f64 / count as f64
    };
    let plaintext_accuracy = accuracy(&mut logits.iter().map(|&y| y > 0.0));
    let plaintext_poly_accuracy = accuracy(&mut poly.iter().map(|&p| p > 0.5));

    // CKKS: the key holder (hospital) generates keys and encrypts; the server evaluates.
    let params = Parameters::preset(Preset::N8192Depth3).map_err(Failure::failed)?;
    let mut key_rng = crate::pqc::os_rng()?;
    let start = Instant::now();
    let sk = SecretKey::generate(&params, &mut key_rng);
    let pk = sk.public_key(&mut key_rng);
    let rlk = sk.relinearization_key(&mut key_rng);
    let single = args.single.min(count);
    let gk = (single > 0).then(|| sk.galois_keys(&lr.rotation_steps(), false, &mut key_rng));
    let keygen_ms = ms(start);
    let (enc, eval) = (Encoder::new(&params), Evaluator::new(&params));
    let level = params.max_level();

    let progress = out.progress(count.div_ceil(params.slots()) as u64 + single as u64, "ckks infer");
    let (mut batch_encrypt_ms, mut batch_eval_ms, mut batch_decrypt_ms) = (0.0, 0.0, 0.0);
    let mut encrypted = Vec::with_capacity(count);
    let batches = rows.chunks(params.slots()).len();
    for chunk in rows.chunks(params.slots()) {
        let start = Instant::now();
        let mut column = vec![0.0; chunk.len()];
        let cts = (0..d)
            .map(|j| {
                for (c, x) in column.iter_mut().zip(chunk) {
                    *c = x[j];
                }
                sk.encrypt(&enc.encode_real(&params, &column, params.scale(), level)?, &mut key_rng)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(Failure::failed)?;
        batch_encrypt_ms += ms(start);
        let start = Instant::now();
        let result = lr.eval_batch(&eval, &cts, &rlk).map_err(Failure::failed)?;
        batch_eval_ms += ms(start);
        let start = Instant::now();
        let probs =
            sk.decrypt(&result).and_then(|pt| enc.decode_real(&params, &pt)).map_err(Failure::failed)?;
        batch_decrypt_ms += ms(start);
        encrypted.extend_from_slice(&probs[..chunk.len()]);
        progress.inc(1);
    }

    let mut single_dp: Option<f64> = None;
    let mut single_times = Vec::with_capacity(single);
    if let Some(gk) = &gk {
        for (x, p) in rows.iter().zip(&poly).take(single) {
            let start = Instant::now();
            let got = lr
                .encrypt_single(&params, &enc, &pk, x, &mut key_rng)
                .and_then(|ct| lr.eval_single(&eval, &enc, &ct, &rlk, gk))
                .and_then(|ct| sk.decrypt(&ct))
                .and_then(|pt| enc.decode_real(&params, &pt))
                .map_err(Failure::failed)?[0];
            single_times.push(ms(start));
            single_dp = Some(single_dp.unwrap_or(0.0).max((got - p).abs()));
            progress.inc(1);
        }
    }
    progress.finish_and_clear();

    let max_abs_dp_batched = encrypted.iter().zip(&poly).map(|(e, p)| (e - p).abs()).fold(0.0, f64::max);
    let agree = encrypted.iter().zip(&poly).filter(|(e, p)| (**e > 0.5) == (**p > 0.5)).count();
    let encrypted_accuracy = accuracy(&mut encrypted.iter().map(|&p| p > 0.5));
    let labels_identical = agree == count;
    let acceptance =
        labels_identical && max_abs_dp_batched <= MAX_ABS_DP && single_dp.is_none_or(|dp| dp <= MAX_ABS_DP);
    let report = InferReport {
        dataset,
        train_examples: train.len(),
        test_examples: count,
        features: d,
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        l2: args.l2,
        ckks_preset: "N8192Depth3",
        batches,
        plaintext_accuracy,
        plaintext_poly_accuracy,
        encrypted_accuracy,
        max_abs_dp_batched,
        max_abs_dp_single: single_dp,
        single_patients: single,
        label_agreement: agree as f64 / count as f64,
        labels_identical,
        logits_outside_range: logits.iter().filter(|y| y.abs() > LOGIT_RANGE).count(),
        logit_range: LOGIT_RANGE,
        logit_min: logits.iter().copied().fold(f64::INFINITY, f64::min),
        logit_max: logits.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        acceptance,
        timings: Timings {
            train_ms,
            keygen_ms,
            batch_encrypt_ms,
            batch_eval_ms,
            batch_eval_per_patient_ms: batch_eval_ms / count as f64,
            batch_decrypt_ms,
            single_e2e_median_ms: (!single_times.is_empty()).then(|| median(&mut single_times)),
        },
    };
    out.emit(&report, human)
}

fn human(r: &InferReport) -> String {
    let mut text = format!(
        "{}: trained on {} images ({} features, {} GD epochs, l2 {}), scored {} test images under CKKS {}\n",
        r.dataset, r.train_examples, r.features, r.epochs, r.l2, r.test_examples, r.ckks_preset
    );
    let _ = writeln!(
        text,
        "accuracy: plaintext sigmoid {:.4}, plaintext cubic {:.4}, encrypted {:.4}",
        r.plaintext_accuracy, r.plaintext_poly_accuracy, r.encrypted_accuracy
    );
    let single = r.max_abs_dp_single.map_or_else(|| "-".to_owned(), |v| format!("{v:.2e}"));
    let _ = writeln!(
        text,
        "max |p_enc − p_poly|: batched {:.2e}, single-vector ({} images) {single}; label agreement {:.4}",
        r.max_abs_dp_batched, r.single_patients, r.label_agreement
    );
    let _ = writeln!(
        text,
        "logits in [{:.2}, {:.2}]; {} outside ±{}",
        r.logit_min, r.logit_max, r.logits_outside_range, r.logit_range
    );
    let t = &r.timings;
    let single_ms = t.single_e2e_median_ms.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    let _ = writeln!(
        text,
        "ms: train {:.0}, keygen {:.0}, encrypt {:.0}, eval {:.1} ({:.4}/image), decrypt {:.1}, single e2e {single_ms}",
        t.train_ms,
        t.keygen_ms,
        t.batch_encrypt_ms,
        t.batch_eval_ms,
        t.batch_eval_per_patient_ms,
        t.batch_decrypt_ms
    );
    let _ = writeln!(
        text,
        "acceptance (|Δp| ≤ 1e-3, identical labels): {}",
        if r.acceptance { "PASS" } else { "FAIL" }
    );
    text
}
