//! The `quantumacy qkd simulate` contract: JSON fields, eavesdroppers, and exit code 2 for bad configuration.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::process::{Command, Output};

use serde_json::Value;

fn quantumacy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantumacy")).args(args).output().unwrap()
}

fn simulate_json(extra: &[&str]) -> Value {
    let mut args = vec!["qkd", "simulate", "--json", "--seed", "7"];
    args.extend_from_slice(extra);
    let out = quantumacy(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_has_the_contract_fields() {
    let v = simulate_json(&[
        "--preset",
        "gys",
        "--distance-km",
        "50",
        "--pulses",
        "2e7",
        "--decoy",
        "vacuum-weak",
    ]);
    for key in [
        "pulses_sent",
        "detections",
        "sifted_bits",
        "gain",
        "qber",
        "theory",
        "estimates",
        "aborted",
        "abort_reason",
        "elapsed_s",
        "pulses_per_second",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    for key in ["y1_lower", "e1_upper", "q1_lower"] {
        assert!(v["estimates"].get(key).is_some(), "missing estimates.{key}");
    }
    assert_eq!(v["pulses_sent"], 20_000_000);
    let (gain, theory) = (v["gain"].as_f64().unwrap(), v["theory"]["gain"].as_f64().unwrap());
    let sigma = (theory / (0.8 * 2e7)).sqrt();
    assert!((gain - theory).abs() < 4.0 * sigma, "{gain} vs {theory}");
    assert!(v["pulses_per_second"].as_f64().unwrap() > 1e7);
}

#[test]
fn full_intercept_resend_aborts_and_is_reported() {
    let v = simulate_json(&["--distance-km", "10", "--pulses", "2e6", "--eve", "intercept-resend=1"]);
    assert_eq!(v["aborted"], true);
    assert!(v["abort_reason"].as_str().unwrap().contains("QBER"));
    assert!(v["eve"]["known_fraction"].as_f64().unwrap() > 0.5);
    let q = v["qber"].as_f64().unwrap();
    assert!(q > 0.2 && q < 0.32, "{q}");
}

#[test]
fn protocols_and_attacks_run() {
    for extra in [
        &["--protocol", "six-state", "--decoy", "none", "--mu", "0.1"][..],
        &["--protocol", "b92", "--decoy", "none", "--mu", "0.2"],
        &["--eve", "pns"],
        &["--eve", "beam-splitting"],
        &["--decoy", "three-intensity", "--preset", "lim2014"],
        &["--eta-bob", "0.2", "--dark-count", "1e-7", "--misalignment", "0.01", "--afterpulse", "0.02"],
    ] {
        let mut args = vec!["--distance-km", "20", "--pulses", "1e6"];
        args.extend_from_slice(extra);
        let v = simulate_json(&args);
        assert!(v["detections"].as_u64().unwrap() > 0, "{extra:?}");
    }
}

#[test]
fn bad_configuration_exits_2_without_output() {
    for extra in [
        &["--distance-km", "-5"][..],
        &["--mu", "0"],
        &["--mu", "-0.5"],
        &["--nu", "0.6"],
        &["--probabilities", "0.5,0.3,0.1"],
        &["--probabilities", "0.5,0.5"],
        &["--pulses", "0"],
        &["--pulses", "1.5"],
        &["--pulses", "lots"],
        &["--preset", "toshiba"],
        &["--protocol", "e91"],
        &["--eve", "intercept-resend=2"],
        &["--eve", "trojan-horse"],
        &["--qx", "1"],
        &["--depolarization", "1.5"],
        &["--eta-bob", "1.5"],
        &["--eta-bob", "0"],
        &["--dark-count", "-1e-6"],
        &["--misalignment", "0.7"],
        &["--afterpulse", "1"],
        &["--attenuation-db-per-km", "nan"],
        &["--sample-fraction", "0"],
        &["--decoy", "infinite"],
    ] {
        let mut args = vec!["qkd", "simulate", "--json", "--pulses", "1e5"];
        args.extend_from_slice(extra);
        let out = quantumacy(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{extra:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        // One typed line (it may echo the user's own "nan"); never a panic.
        assert!(!stderr.contains("panicked") && stderr.starts_with("error: "), "{stderr}");
    }
}

#[test]
fn full_post_processing_gives_equal_keys_and_reports_every_stage() {
    let v = simulate_json(&["--distance-km", "25", "--pulses", "4e8"]);
    assert_eq!(v["aborted"], false, "{v}");
    assert_eq!(v["keys_equal"], true);
    for key in ["variant", "leaked_bits", "efficiency", "channel_uses", "frame_errors"] {
        assert!(v["ec"].get(key).is_some(), "missing ec.{key}");
    }
    assert_eq!(v["ec"]["variant"], "best");
    let f = v["ec"]["efficiency"].as_f64().unwrap();
    assert!(f > 1.0 && f < 1.1, "{f}");
    let final_bits = v["final_key_bits"].as_u64().unwrap();
    assert_eq!(v["pa"]["output_bits"].as_u64().unwrap(), final_bits);
    assert_eq!(v["pa"]["input_bits"], v["raw_key_bits"]);
    assert!(v["auth"]["key_bits_consumed"].as_u64().unwrap() > 0);
    let rate = v["secret_key_rate_per_pulse"].as_f64().unwrap();
    assert!((rate - final_bits as f64 / 4e8).abs() < 1e-12);
    let theory = v["theory"]["finite_key_rate_per_pulse"].as_f64().unwrap();
    assert!((rate / theory - 1.0).abs() < 0.25, "{rate} vs {theory}");
    assert!(v["secret_bits_per_second"].as_f64().unwrap() > 0.0);
}

#[test]
fn eleven_percent_qber_aborts_with_a_reason() {
    let v = simulate_json(&["--distance-km", "25", "--pulses", "2e8", "--depolarization", "0.152"]);
    assert_eq!(v["aborted"], true);
    assert_eq!(v["final_key_bits"], 0);
    assert_eq!(v["keys_equal"], false);
    assert!(!v["abort_reason"].as_str().unwrap().is_empty());
}
