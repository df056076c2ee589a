//! `quantumacy bench ckks` and `quantumacy ckks infer`: JSON contract, precision, encrypted = plaintext.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{json, quantumacy};
use serde_json::Value;

const OPS: [&str; 12] = [
    "encode+encrypt",
    "decrypt+decode",
    "add",
    "mul_plain+rescale",
    "mul+relin+rescale",
    "rotate",
    "serialize",
    "deserialize",
    "deserialize_seeded",
    "ntt_forward",
    "lr_single_e2e_d1024",
    "lr_batched_eval_per_patient_d784",
];

#[test]
fn bench_ckks_json_has_every_op_precision_and_sizes() {
    let v = json(&quantumacy(&["bench", "ckks", "--json", "--threads", "1", "--reps", "1"]));
    let rows = v["rows"].as_array().unwrap();
    let ops: Vec<&str> = rows.iter().map(|r| r["op"].as_str().unwrap()).collect();
    assert_eq!(ops, OPS);
    for r in rows {
        let ms = r["median_ms"].as_f64().unwrap();
        assert!(ms.is_finite() && ms > 0.0, "{r}");
        assert_eq!(r["reps"], 1);
    }
    let p = &v["params"];
    assert_eq!(p["n"], 8192);
    assert_eq!(p["chain_bits"], serde_json::json!([49, 40, 40, 40]));
    assert_eq!(p["special_bits"], serde_json::json!([49]));
    assert_eq!(p["threads"], 1);
    assert_eq!(p["limbs"], 4);
    let fresh = v["precision_bits"]["fresh"].as_f64().unwrap();
    let seeded = v["precision_bits"]["fresh_seeded"].as_f64().unwrap();
    let after = v["precision_bits"]["after_mul"].as_f64().unwrap();
    // Public-key encryption: max error over 4096 slots lands at 26.5–27.1 bits depending on the keys (SEAL
    // 4.1: 26.8); symmetric encryption has no key-dependent term and stays above 27.
    assert!(fresh >= 26.0, "fresh {fresh}");
    assert!(seeded >= 27.0, "fresh seeded {seeded}");
    assert!(after >= 23.0 && after < fresh + 1.0, "after mul {after}");
    // Serialized: 2 · 8192 · (49 + 40 + 40 + 40) / 8 bytes of residues + 68 bytes of envelope and fields;
    // seeded: one packed polynomial, the 32-byte seed and 65 bytes.
    assert_eq!(v["ciphertext_bytes"]["public_key"], 346_112 + 68);
    assert_eq!(v["ciphertext_bytes"]["seeded"], 173_056 + 32 + 65);
    assert_eq!(v["ciphertext_bytes"]["limbs"], 4);
    assert!(v["ciphertext_bytes"]["format"].as_str().unwrap().contains("wire format v1"));
}

#[test]
fn bench_ckks_rejects_zero_reps_and_bad_limbs() {
    assert_eq!(quantumacy(&["bench", "ckks", "--reps", "0"]).status.code(), Some(2));
    assert_eq!(quantumacy(&["bench", "ckks", "--limbs", "1"]).status.code(), Some(2));
    assert_eq!(quantumacy(&["bench", "ckks", "--limbs", "5"]).status.code(), Some(2));
}

fn check_infer(v: &Value, patients: u64) {
    assert_eq!(v["test_examples"], patients);
    assert_eq!(v["features"], 784);
    let dp = v["max_abs_dp_batched"].as_f64().unwrap();
    assert!(dp <= 1e-3, "batched |Δp| {dp}");
    let single = v["max_abs_dp_single"].as_f64().unwrap();
    assert!(single <= 1e-3, "single |Δp| {single}");
    assert_eq!(v["labels_identical"], true);
    assert_eq!(v["label_agreement"], 1.0);
    assert_eq!(v["acceptance"], true);
    let (plain, enc) =
        (v["plaintext_poly_accuracy"].as_f64().unwrap(), v["encrypted_accuracy"].as_f64().unwrap());
    assert_eq!(plain, enc);
    assert!(v["logits_outside_range"].as_u64().unwrap() <= patients);
    for key in ["train_ms", "keygen_ms", "batch_encrypt_ms", "batch_eval_ms", "batch_decrypt_ms"] {
        assert!(v["timings"][key].as_f64().unwrap() > 0.0, "{key}");
    }
}

/// Few patients and a short training run: the whole pipeline (train, keygen, 784 column encryptions, batched
/// and single-vector evaluation) in seconds.
#[test]
fn infer_pneumoniamnist_few_patients_matches_the_plaintext_polynomial() {
    let v = json(&quantumacy(&[
        "ckks",
        "infer",
        "--dataset",
        "pneumoniamnist",
        "--epochs",
        "5",
        "--patients",
        "16",
        "--single",
        "2",
        "--json",
    ]));
    check_infer(&v, 16);
    assert_eq!(v["single_patients"], 2);
    assert!(v["plaintext_accuracy"].as_f64().unwrap() > 0.5);
}

/// The full test set with the default training run (≈ 8 s in the dev profile: the 784 column encryptions
/// dominate, and the CKKS crates are optimised there too).
#[test]
fn infer_pneumoniamnist_full_test_set() {
    let v = json(&quantumacy(&["ckks", "infer", "--dataset", "pneumoniamnist", "--json"]));
    let n = v["test_examples"].as_u64().unwrap();
    // The bundled balanced PneumoniaMNIST subset holds 468 test images.
    assert_eq!(n, 468);
    check_infer(&v, n);
    assert!(v["plaintext_accuracy"].as_f64().unwrap() > 0.8);
    // Default training (200 GD epochs, η = 0.005, λ = 1) keeps all but a handful of logits in [−5, 5].
    assert!(v["logits_outside_range"].as_u64().unwrap() <= 10, "{}", v["logits_outside_range"]);
}

#[test]
fn infer_rejects_unknown_and_multiclass_datasets() {
    assert_eq!(quantumacy(&["ckks", "infer", "--dataset", "nope"]).status.code(), Some(2));
    assert_eq!(
        quantumacy(&["ckks", "infer", "--dataset", "mnist", "--patients", "1"]).status.code(),
        Some(2)
    );
}
