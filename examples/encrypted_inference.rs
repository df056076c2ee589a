//! Encrypted logistic-regression inference on PneumoniaMNIST, over the CKKS wire format.
//!
//! A hospital holds the CKKS secret key and a few chest X-rays (28×28 = 784 standardized pixels each); a server
//! holds a logistic-regression model trained in the clear. The hospital encrypts each patient (seeded symmetric
//! encryption: `c_0` plus a 32-byte seed), serializes the ciphertexts and the evaluation keys, the server
//! deserializes them under a size limit against the parameters it expects, evaluates `σ₃(w·x + b)` (rotate-and-sum
//! and the cubic sigmoid `0.5 + 0.197y − 0.004y³`), and sends back one serialized ciphertext per patient. The
//! hospital decrypts and compares with the same model evaluated in the clear.
//!
//! The probabilities never leave the hospital, so no CPA^D mitigation is needed here; a hospital that publishes
//! them would flood them first (`quantumacy::ckks::flood_plaintext`).
//!
//! Run: `cargo run --release --example encrypted_inference`

use std::time::Instant;

use quantumacy::ckks::lr::LogisticModel;
use quantumacy::ckks::{
    Ciphertext, Encoder, Evaluator, GaloisKeys, Parameters, Preset, RelinearizationKey, SecretKey,
};
use quantumacy::data::DataDir;
use quantumacy::fl::{FlDataset, LocalConfig, Model, Optimizer, Partition, fit, prepare};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// Patients scored: the first `PATIENTS / 2` test images of each class.
const PATIENTS: usize = 4;
/// The server refuses any ciphertext larger than this (a fresh N = 8192, 4-limb ciphertext is 346 kB in full).
const CIPHERTEXT_LIMIT: usize = 400_000;
/// And any key bundle larger than this.
const KEY_LIMIT: usize = 16_000_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The model, trained in the clear on the training split (as `quantumacy ckks infer` does).
    let start = Instant::now();
    let data = FlDataset::PneumoniaMnist.load(&DataDir::locate()?, 0)?;
    let prepared = prepare(&data, Partition::Iid, 1, 0)?;
    let train = &prepared.hospitals[0];
    let d = train.n_features();
    let config =
        LocalConfig { epochs: 200, learning_rate: 0.005, l2: 1.0, optimizer: Optimizer::Gd, prox_mu: 0.0 };
    let theta = fit(&Model::logistic(d)?, train, &config, &mut ChaCha20Rng::seed_from_u64(0))?;
    let model = LogisticModel::new(theta[..d].to_vec(), theta[d])?;
    println!("model: {d} features, trained on {} images in {:.0} ms", train.len(), ms(start));

    // Hospital: keys (from a seeded generator so the run repeats; use the OS generator in practice).
    let params = Parameters::preset(Preset::N8192Depth3)?;
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let start = Instant::now();
    let sk = SecretKey::generate(&params, &mut rng);
    let rlk = sk.relinearization_key(&mut rng);
    let gk = sk.galois_keys(&model.rotation_steps(), false, &mut rng);
    let keygen_ms = ms(start);
    let (rlk_bytes, gk_bytes) = (rlk.to_bytes(&params)?, gk.to_bytes(&params)?);
    println!(
        "hospital: keys in {keygen_ms:.0} ms; relinearization key {} B, {} Galois keys {} B (seeded halves)",
        rlk_bytes.len(),
        gk.elements().count(),
        gk_bytes.len()
    );

    let encoder = Encoder::new(&params);
    let labels = prepared.test.labels();
    let chosen: Vec<usize> = [0u8, 1]
        .iter()
        .flat_map(|&class| (0..labels.len()).filter(move |&i| labels[i] == class).take(PATIENTS / 2))
        .collect();
    let patients: Vec<Vec<f64>> = chosen.iter().map(|&i| prepared.test.features().row(i).to_vec()).collect();
    let start = Instant::now();
    let uploads = patients
        .iter()
        .map(|x| {
            let pt = encoder.encode_real(&params, x, params.scale(), params.max_level())?;
            sk.encrypt(&pt, &mut rng)?.to_bytes(&params)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let encrypt_ms = ms(start);
    println!(
        "hospital: {PATIENTS} patients encrypted and serialized in {encrypt_ms:.1} ms, {} B each",
        uploads[0].len()
    );

    // Server: knows the parameters and the model, sees only bytes.
    let start = Instant::now();
    let rlk = RelinearizationKey::from_bytes(&rlk_bytes, &params, KEY_LIMIT)?;
    let gk = GaloisKeys::from_bytes(&gk_bytes, &params, KEY_LIMIT)?;
    let eval = Evaluator::new(&params);
    let replies = uploads
        .iter()
        .map(|bytes| {
            let ct = Ciphertext::from_bytes(bytes, &params, CIPHERTEXT_LIMIT)?;
            model.eval_single(&eval, &encoder, &ct, &rlk, &gk)?.to_bytes(&params)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let server_ms = ms(start);
    println!(
        "server: keys + {PATIENTS} ciphertexts deserialized, evaluated, results serialized in {server_ms:.0} ms \
         ({:.0} ms/patient); reply {} B (level {})",
        server_ms / PATIENTS as f64,
        replies[0].len(),
        Ciphertext::from_bytes(&replies[0], &params, CIPHERTEXT_LIMIT)?.level()
    );

    // Hospital: decrypt, compare with the model in the clear.
    let start = Instant::now();
    let mut max_dp = 0.0f64;
    println!("{:>8} {:>6} {:>12} {:>12} {:>10}", "image", "label", "clear σ₃(y)", "encrypted", "|Δp|");
    for ((&i, bytes), x) in chosen.iter().zip(&replies).zip(&patients) {
        let ct = Ciphertext::from_bytes(bytes, &params, CIPHERTEXT_LIMIT)?;
        let p = encoder.decode_real(&params, &sk.decrypt(&ct)?)?[0];
        let want = model.probability(x);
        max_dp = max_dp.max((p - want).abs());
        println!("{i:>8} {:>6} {want:>12.6} {p:>12.6} {:>10.2e}", labels[i], (p - want).abs());
        if (p > 0.5) != (want > 0.5) {
            return Err(format!("image {i}: encrypted and plaintext labels differ").into());
        }
    }
    println!("hospital: decrypted in {:.1} ms; max |Δp| = {max_dp:.1e}, labels identical", ms(start));
    if max_dp > 1e-3 {
        return Err(format!("max |Δp| = {max_dp} above 1e-3").into());
    }
    Ok(())
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}
