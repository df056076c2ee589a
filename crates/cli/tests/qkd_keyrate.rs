//! The `quantumacy qkd keyrate` contract: JSON shape, the MQZL/Lim figures through the CLI, the SVG chart, and
//! exit code 2 with a one-line message for every bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::process::{Command, Output};

use serde_json::Value;

fn quantumacy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantumacy")).args(args).output().unwrap()
}

fn keyrate_json(extra: &[&str]) -> Value {
    let mut args = vec!["qkd", "keyrate", "--json"];
    args.extend_from_slice(extra);
    let out = quantumacy(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "no progress bar when stderr is not a terminal");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not one JSON document ({e}): {}", String::from_utf8_lossy(&out.stdout))
    })
}

fn rates(v: &Value) -> Vec<(f64, f64)> {
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["distance_km"].as_f64().unwrap(), p["key_rate_per_pulse"].as_f64().unwrap()))
        .collect()
}

#[test]
fn vacuum_weak_curve_has_the_contract_shape_and_mqzl_reach() {
    let v = keyrate_json(&[
        "--preset",
        "gys",
        "--decoy",
        "vacuum-weak",
        "--mu",
        "0.48",
        "--nu",
        "0.05",
        "--distance-km",
        "0:160:1",
    ]);
    let pts = rates(&v);
    assert_eq!(pts.len(), 161);
    assert_eq!(pts[0].0, 0.0);
    assert_eq!(pts[160].0, 160.0);
    let l = v["max_distance_km"].as_f64().unwrap();
    assert!((l - 140.55).abs() / 140.55 < 0.005, "{l}");
    for (d, r) in &pts {
        assert!(r.is_finite() && *r >= 0.0);
        assert_eq!(*r > 0.0, *d < l, "{d} km: {r}");
    }
    assert!(pts.windows(2).all(|w| w[1].1 <= w[0].1), "rate decreases with distance");
    assert_eq!(v["decoy"], "vacuum-weak");
    assert_eq!(v["mu"], 0.48);
}

#[test]
fn defaults_use_the_eq12_mu_and_gllp_optimises_mu() {
    let v = keyrate_json(&["--distance-km", "50"]);
    assert_eq!(v["decoy"], "infinite");
    let mu = v["mu"].as_f64().unwrap();
    assert!((mu - 0.48).abs() < 0.0048, "{mu}");
    let l = v["max_distance_km"].as_f64().unwrap();
    assert!((l - 142.05).abs() / 142.05 < 0.005, "{l}");

    let v = keyrate_json(&["--decoy", "none", "--distance-km", "0,10,30,60"]);
    assert!(v["mu"].is_null());
    let l = v["max_distance_km"].as_f64().unwrap();
    assert!((20.0..60.0).contains(&l), "{l}");
    let pts = rates(&v);
    assert!(pts[0].1 > 0.0 && pts[3].1 == 0.0);
}

#[test]
fn finite_key_curve_and_svg_chart() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("keyrate.svg");
    let v = keyrate_json(&[
        "--preset",
        "lim2014",
        "--finite-nx",
        "1e6",
        "--distance-km",
        "0:150:50",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(v["decoy"], "three-intensity");
    assert_eq!(v["finite_nx"], 1e6);
    let pts = rates(&v);
    assert!(pts[0].1 > pts[1].1 && pts[1].1 > pts[2].1 && pts[2].1 > 0.0, "{pts:?}");
    let l = v["max_distance_km"].as_f64().unwrap();
    assert!(l > 140.0 && l < 200.0, "{l}");
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg"));
    assert!(chart.contains("distance (km)") && chart.contains("<polyline"));
}

#[test]
fn human_output_lists_points_and_reach() {
    let out = quantumacy(&["qkd", "keyrate", "--distance-km", "0:20:10"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("distance_km") && text.contains("max distance: 142."), "{text}");
    assert_eq!(text.lines().count(), 6, "{text}");
}

#[test]
fn bad_inputs_exit_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["--preset", "nope"],
        &["--distance-km", "-5"],
        &["--distance-km", "-5:10:1"],
        &["--distance-km", "0:10"],
        &["--distance-km", "0:10:0"],
        &["--distance-km", "10:0:1"],
        &["--distance-km", "a:b:c"],
        &["--distance-km", "0:1e9:0.001"],
        &["--mu", "0"],
        &["--mu", "-0.5"],
        &["--decoy", "vacuum-weak", "--mu", "0.3", "--nu", "0.3"],
        &["--decoy", "vacuum-weak", "--mu", "0.3", "--nu", "0.5"],
        &["--decoy", "infinite", "--nu", "0.05"],
        &["--decoy", "three-intensity"],
        &["--finite-nx", "0"],
        &["--finite-nx", "1e20"],
        &["--finite-nx", "nan"],
        &["--finite-nx", "1e6", "--decoy", "infinite"],
        &["--finite-nx", "1e6", "--mu", "0.5"],
        &["--plot", "keyrate.png"],
        &["--plot", "keyrate"],
    ];
    for extra in cases {
        let mut args = vec!["qkd", "keyrate", "--json"];
        args.extend_from_slice(extra);
        let out = quantumacy(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{extra:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("error: ") && err.lines().count() == 1, "{extra:?}: {err}");
        // A NaN may only appear when the user typed one.
        assert!(!err.contains("NaN") || extra.contains(&"nan"), "{extra:?}: {err}");
    }
    // clap's own rejection of an unknown scheme is also a usage error.
    let out = quantumacy(&["qkd", "keyrate", "--decoy", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
}
