//! The `quantumacy demo` contract: one JSON document with every stage, human text naming every stage, and a
//! one-line error with exit code 1 when the data is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::process::{Command, Output};

use serde_json::Value;

fn quantumacy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantumacy")).args(args).output().unwrap()
}

#[test]
fn quick_json_has_every_stage() {
    let out = quantumacy(&["demo", "--quick", "--json", "--seed", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "no progress bar when stderr is not a terminal");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["seed"].as_u64(), v["quick"].as_bool()), (Some(3), Some(true)));
    let links = v["keys"]["links"].as_array().unwrap();
    assert_eq!(links.len(), 3);
    assert!(links.iter().all(|l| l["keys_equal"] == true && l["final_key_bits"].as_u64().unwrap() > 0));
    assert_eq!(v["record"]["tampered_rejected"], true);
    assert_eq!(v["record"]["replay_rejected"], true);
    assert!(v["federated"][0]["final_test_accuracy"].as_f64().unwrap() >= 0.95);
    assert_eq!(v["federated"][1]["partition"], "by-subject");
    assert_eq!(v["encrypted"]["labels_identical"], true);
    assert!(v["optical"]["accuracy"].as_f64().unwrap() >= 0.90);
    let stages: Vec<&str> =
        v["stage_seconds"].as_array().unwrap().iter().map(|s| s[0].as_str().unwrap()).collect();
    assert_eq!(stages, ["keys", "record", "federated", "encrypted", "optical"]);
}

#[test]
fn quick_text_names_every_stage() {
    let out = quantumacy(&["demo", "--quick"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "1. QKD keys",
        "2. Sealed health record",
        "3. Federated learning",
        "4. Encrypted inference",
        "5. Optical MPC",
        "total",
    ] {
        assert!(text.contains(heading), "{heading} missing from:\n{text}");
    }
}

#[test]
fn missing_data_exits_1_with_one_line() {
    let empty = tempfile::tempdir().unwrap();
    let out = quantumacy(&["demo", "--quick", "--data-dir", empty.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: ") && err.contains("wdbc"), "{err}");
    assert!(out.stdout.is_empty());
}
