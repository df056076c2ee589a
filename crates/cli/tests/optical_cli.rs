//! The `quantumacy optical` contract: JSON fields, the paper's regression values, exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn quantumacy(args: &[&str]) -> Output {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    Command::new(env!("CARGO_BIN_EXE_quantumacy")).args(args).arg("--data-dir").arg(data).output().unwrap()
}

fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn leakage_json_matches_the_reference() {
    let v =
        json(&quantumacy(&["optical", "leakage", "--mu", "4", "--gain", "1.3", "--modes", "392", "--json"]));
    assert!((v["holevo_chi"].as_f64().unwrap() - 0.04568).abs() < 1e-4);
    assert_eq!(v["weight_leakage_bits"], v["holevo_chi"]);
    assert!((v["data_leakage_bits"].as_f64().unwrap() - 0.00156).abs() < 1e-5);
    assert!((v["snr_per_mu"].as_f64().unwrap() - 0.2635).abs() < 1e-4);
    let prx = json(&quantumacy(&[
        "optical",
        "leakage",
        "--mu",
        "4",
        "--gain",
        "1.3",
        "--convention",
        "prx",
        "--loss-db",
        "0",
        "--xi",
        "0",
        "--json",
    ]));
    assert!(
        (prx["weight_leakage_bits"].as_f64().unwrap() * 2.0 - v["holevo_chi"].as_f64().unwrap()).abs()
            < 1e-12
    );
}

#[test]
fn mnist_json_reports_accuracy_and_leakage() {
    let v = json(&quantumacy(&[
        "optical", "mnist", "--mu", "7.6", "--gain", "1.43", "--limit", "2000", "--json",
    ]));
    for key in ["accuracy", "noise_free_accuracy", "F", "weight_leakage_bits", "data_leakage_bits"] {
        assert!(v[key].is_number(), "{key} missing: {v}");
    }
    assert_eq!(v["mapping"], "authors");
    assert_eq!(v["convention"], "arxiv-v1");
    assert!(v["accuracy"].as_f64().unwrap() > 0.9);
    let m = json(&quantumacy(&[
        "optical",
        "mnist",
        "--mu",
        "7.6",
        "--gain",
        "1.43",
        "--engine",
        "mode",
        "--mapping",
        "physics",
        "--limit",
        "50",
        "--json",
    ]));
    assert_eq!(m["engine"], "mode");
    assert!(
        (m["F"].as_f64().unwrap() - 4.0 * 7.6 * 1.43 * 0.43 / (2.0 * 1.43 * 1.43 - 3.0 * 1.43 + 2.0)).abs()
            < 1e-9
    );
}

#[test]
fn operating_point_and_sweep_plot() {
    let v = json(&quantumacy(&["optical", "operating-point", "--repeats", "1", "--json"]));
    assert!(v["weight_leakage_bits"].as_f64().unwrap() < 0.1);
    assert!(v["data_leakage_bits"].as_f64().unwrap() < 0.01);
    assert!(v["accuracy"].as_f64().unwrap() >= 0.95, "{v}");
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("accuracy.svg");
    let map = dir.path().join("map.svg");
    let s = json(&quantumacy(&[
        "optical",
        "sweep",
        "--points",
        "3",
        "--json",
        "--plot",
        plot.to_str().unwrap(),
        "--map-plot",
        map.to_str().unwrap(),
    ]));
    assert_eq!(s["accuracy_vs_f"].as_array().unwrap().len(), 3);
    assert!(std::fs::read_to_string(&plot).unwrap().starts_with("<svg"));
    assert!(std::fs::read_to_string(&map).unwrap().contains("<rect"));
}

#[test]
fn bad_parameters_exit_2() {
    for args in [
        &["optical", "leakage", "--mu", "0", "--gain", "1.3"][..],
        &["optical", "leakage", "--mu", "1", "--gain", "0.9"],
        &["optical", "leakage", "--mu", "1", "--gain", "1.3", "--modes", "0"],
        &["optical", "mnist", "--mu", "-1", "--gain", "1.3"],
        &["optical", "mnist", "--mu", "1", "--gain", "1.0", "--engine", "mode"],
        &["optical", "leakage", "--mu", "1"],
        &["optical", "mnist", "--mu", "1", "--gain", "1.3", "--convention", "v9"],
    ] {
        let out = quantumacy(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty());
    }
}
