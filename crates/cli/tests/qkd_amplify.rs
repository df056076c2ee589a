//! `quantumacy qkd amplify`: file mode agrees with the naive Toeplitz definition; bad input exits 2.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::process::{Command, Output};

use quantumacy_qkd::BitVec;
use quantumacy_qkd::protocol::amplify::toeplitz_naive;

fn quantumacy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantumacy")).args(args).output().unwrap()
}

fn pseudo_random(bits: usize, salt: u64) -> BitVec {
    (0..bits as u64).map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt).count_ones() % 2 == 1).collect()
}

#[test]
fn file_mode_matches_the_naive_definition() {
    let dir = tempfile::tempdir().unwrap();
    let (n, m) = (1001, 433);
    let key = pseudo_random(n, 1);
    let seed = pseudo_random(n + m - 1, 2);
    let (kp, sp, op) = (dir.path().join("key.bin"), dir.path().join("seed.bin"), dir.path().join("out.bin"));
    std::fs::write(&kp, key.to_bytes()).unwrap();
    std::fs::write(&sp, seed.to_bytes()).unwrap();
    let (n_s, m_s) = (n.to_string(), m.to_string());
    let args = [
        "qkd",
        "amplify",
        "--key",
        kp.to_str().unwrap(),
        "--seed",
        sp.to_str().unwrap(),
        "--input-bits",
        &n_s,
        "--output-bits",
        &m_s,
        "--out",
        op.to_str().unwrap(),
        "--json",
    ];
    let out = quantumacy(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let written = BitVec::from_bytes(&std::fs::read(&op).unwrap(), m).unwrap();
    assert_eq!(written, toeplitz_naive(&seed, &key, m).unwrap());
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (kp, sp, op) = (dir.path().join("key.bin"), dir.path().join("seed.bin"), dir.path().join("out.bin"));
    std::fs::write(&kp, [0xffu8; 100]).unwrap();
    std::fs::write(&sp, [0x0fu8; 100]).unwrap();
    let (k, s, o) = (kp.to_str().unwrap(), sp.to_str().unwrap(), op.to_str().unwrap());
    for (n, m) in [("900", "100"), ("800", "801"), ("800", "0"), ("0", "0"), ("801", "100")] {
        let out = quantumacy(&[
            "qkd",
            "amplify",
            "--key",
            k,
            "--seed",
            s,
            "--input-bits",
            n,
            "--output-bits",
            m,
            "--out",
            o,
        ]);
        assert_eq!(out.status.code(), Some(2), "n={n} m={m}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!op.exists(), "no output file on failure");
    }
    let missing = quantumacy(&["qkd", "amplify", "--input-bits", "10", "--output-bits", "5"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn bench_mode_reports_throughput() {
    let out = quantumacy(&[
        "qkd",
        "amplify",
        "--input-bits",
        "10000",
        "--output-bits",
        "5000",
        "--bench",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["mbit_per_s"].as_f64().unwrap() > 0.0);
}
