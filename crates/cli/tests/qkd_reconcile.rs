//! `quantumacy qkd reconcile`: the JSON contract, published efficiency of `original`, bad input exits 2.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::process::{Command, Output};

fn quantumacy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantumacy")).args(args).output().unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = quantumacy(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_contract_and_published_efficiency() {
    let v = json(&[
        "qkd",
        "reconcile",
        "--bits",
        "10000",
        "--qber",
        "0.03",
        "--variant",
        "original",
        "--runs",
        "40",
        "--seed",
        "1",
        "--json",
    ]);
    for key in ["efficiency_mean", "efficiency_std", "channel_uses_mean", "frame_error_rate", "mbit_per_s"] {
        assert!(v[key].as_f64().is_some(), "missing {key}: {v}");
    }
    // Published f = 1.17 at Q = 3 % (Martinez-Mateo et al. 2015); σ_f ≈ 0.006, so 40 frames give ±0.001.
    let f = v["efficiency_mean"].as_f64().unwrap();
    assert!((f - 1.17).abs() < 0.02, "{v}");
    let uses = v["channel_uses_mean"].as_f64().unwrap();
    assert!((35.0..60.0).contains(&uses), "{v}");
    assert_eq!(v["frame_error_rate"].as_f64(), Some(0.0));
    assert_eq!(v["errors_per_frame"].as_u64(), Some(300));
    assert!(v["mbit_per_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn every_variant_runs() {
    for variant in ["original", "biconf", "yanetal", "option3", "best"] {
        let v = json(&[
            "qkd",
            "reconcile",
            "--bits",
            "2000",
            "--qber",
            "0.05",
            "--variant",
            variant,
            "--runs",
            "5",
            "--json",
        ]);
        assert_eq!(v["variant"].as_str(), Some(variant));
        assert_eq!(v["undetected_frame_errors"].as_u64(), Some(0));
        let f = v["efficiency_mean"].as_f64().unwrap();
        assert!(f > 1.0 && f < 1.5, "{variant}: {v}");
    }
}

#[test]
fn bad_input_exits_2() {
    for args in [
        &["--qber", "0"][..],
        &["--qber", "0.5"],
        &["--qber", "-0.1"],
        &["--qber", "nan"],
        &["--bits", "0"],
        &["--runs", "0"],
        &["--variant", "turbo"],
    ] {
        let mut full = vec!["qkd", "reconcile", "--json"];
        full.extend_from_slice(args);
        let out = quantumacy(&full);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
