//! `quantumacy qkd amplify`: file mode agrees with the naive (modified) Toeplitz definitions on every backend;
//! bad input exits 2 and leaves no file behind.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::path::Path;
use std::process::{Command, Output};

use quantumacy_qkd::BitVec;
use quantumacy_qkd::protocol::amplify::{Backend, modified_toeplitz_naive, toeplitz_naive};

fn quantumacy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantumacy")).args(args).output().unwrap()
}

fn pseudo_random(bits: usize, salt: u64) -> BitVec {
    (0..bits as u64).map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt).count_ones() % 2 == 1).collect()
}

fn amplify(dir: &Path, n: &str, m: &str, extra: &[&str]) -> Output {
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let (k, s, o) = (p("key.bin"), p("seed.bin"), p("out.bin"));
    let mut args =
        vec!["qkd", "amplify", "--key", &k, "--seed", &s, "--input-bits", n, "--output-bits", m, "--out", &o];
    args.extend_from_slice(extra);
    quantumacy(&args)
}

#[test]
fn file_mode_matches_the_naive_definitions() {
    let dir = tempfile::tempdir().unwrap();
    // m > n/2 and neither a multiple of 64.
    let (n, m) = (1001, 633);
    let key = pseudo_random(n, 1);
    let seed = pseudo_random(n + m - 1, 2);
    std::fs::write(dir.path().join("key.bin"), key.to_bytes()).unwrap();
    std::fs::write(dir.path().join("seed.bin"), seed.to_bytes()).unwrap();
    let expected = [
        ("toeplitz", toeplitz_naive(&seed, &key, m).unwrap()),
        ("modified", modified_toeplitz_naive(&seed, &key, m).unwrap()),
    ];
    for (variant, want) in &expected {
        for backend in ["auto", "ntt", "clmul"] {
            if backend == "clmul" && !Backend::Clmul.is_available() {
                continue;
            }
            let out =
                amplify(dir.path(), "1001", "633", &["--variant", variant, "--backend", backend, "--json"]);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["output_bits"], m);
            let written = std::fs::read(dir.path().join("out.bin")).unwrap();
            assert_eq!(written.len(), m.div_ceil(8));
            assert_eq!(&BitVec::from_bytes(&written, m).unwrap(), want, "{variant} on {backend}");
        }
    }
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.bin"), [0xffu8; 100]).unwrap();
    std::fs::write(dir.path().join("seed.bin"), [0x0fu8; 100]).unwrap();
    let cases: [(&str, &str, &[&str]); 7] = [
        ("900", "100", &[]),                        // seed too short (999 > 800 bits)
        ("800", "801", &[]),                        // M > N
        ("800", "0", &[]),                          // M = 0
        ("0", "0", &[]),                            // empty key
        ("801", "100", &[]),                        // key file too short
        ("801", "1", &["--variant", "modified"]),   // key file too short (modified needs only 800 seed bits)
        ("800", "801", &["--variant", "modified"]), // M > N
    ];
    for (n, m, extra) in cases {
        let out = amplify(dir.path(), n, m, extra);
        assert_eq!(out.status.code(), Some(2), "n={n} m={m}: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::write(dir.path().join("key.bin"), []).unwrap();
    let out = amplify(dir.path(), "8", "4", &[]);
    assert_eq!(out.status.code(), Some(2), "empty key file");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "no output or temporary file on failure: {left:?}");
    let missing = quantumacy(&["qkd", "amplify", "--input-bits", "10", "--output-bits", "5"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn a_modified_hash_needs_only_n_minus_1_seed_bits() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.bin"), [0xa5u8; 200]).unwrap();
    std::fs::write(dir.path().join("seed.bin"), [0x3cu8; 100]).unwrap();
    let out = amplify(dir.path(), "801", "500", &["--variant", "modified"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = amplify(dir.path(), "801", "500", &[]);
    assert_eq!(out.status.code(), Some(2), "Toeplitz needs 1300 seed bits");
}

#[test]
fn bench_mode_reports_both_throughputs() {
    for variant in ["toeplitz", "modified"] {
        let out = quantumacy(&[
            "qkd",
            "amplify",
            "--input-bits",
            "10000",
            "--output-bits",
            "5000",
            "--variant",
            variant,
            "--bench",
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["mbit_per_s"].as_f64().unwrap() > 0.0);
        assert!(v["prepared_mbit_per_s"].as_f64().unwrap() > 0.0);
        assert_eq!(v["backend"], Backend::fastest().name());
        assert_eq!(v["variant"], variant);
    }
}
