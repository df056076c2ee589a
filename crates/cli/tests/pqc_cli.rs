//! The `quantumacy pqc` contract: raw-byte files in FIPS 203/204 encodings (checked against NIST ACVP keys),
//! exit codes (0 ok / valid, 1 failure / invalid, 2 usage), one JSON document with `--json`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn quantumacy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantumacy")).args(args).output().unwrap()
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
}

fn kat(name: &str) -> Value {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/kat").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn first_test(v: &Value, set: &str) -> Value {
    let g = v["testGroups"].as_array().unwrap().iter().find(|g| g["parameterSet"] == set).unwrap();
    g["tests"][0].clone()
}

fn unhex(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn kem_round_trip_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (level, ek_len, ct_len) in [("512", 800, 768), ("768", 1184, 1088), ("1024", 1568, 1568)] {
        ok(&quantumacy(&[
            "pqc",
            "kem",
            "keygen",
            "--ek",
            &p(d, "ek"),
            "--dk",
            &p(d, "dk"),
            "--level",
            level,
        ]));
        let out = quantumacy(&[
            "pqc",
            "kem",
            "encaps",
            "--ek",
            &p(d, "ek"),
            "--ct",
            &p(d, "ct"),
            "--ss",
            &p(d, "ss1"),
            "--level",
            level,
            "--json",
        ]);
        ok(&out);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["parameter_set"], format!("ML-KEM-{level}"));
        ok(&quantumacy(&[
            "pqc",
            "kem",
            "decaps",
            "--dk",
            &p(d, "dk"),
            "--ct",
            &p(d, "ct"),
            "--ss",
            &p(d, "ss2"),
            "--level",
            level,
        ]));
        assert_eq!(std::fs::read(d.join("ek")).unwrap().len(), ek_len);
        assert_eq!(std::fs::read(d.join("ct")).unwrap().len(), ct_len);
        assert_eq!(std::fs::read(d.join("dk")).unwrap().len(), 64);
        assert_eq!(std::fs::read(d.join("ss1")).unwrap(), std::fs::read(d.join("ss2")).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(d.join("dk")).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}

#[test]
fn kem_files_interoperate_with_acvp_keys() {
    // An ACVP ML-KEM-768 key pair: ek as published, dk as the FIPS 203 seed d ‖ z.
    let t = first_test(&kat("ml-kem-keygen.json"), "ML-KEM-768");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ek"), unhex(&t["ek"])).unwrap();
    std::fs::write(d.join("dk"), [unhex(&t["d"]), unhex(&t["z"])].concat()).unwrap();
    ok(&quantumacy(&[
        "pqc",
        "kem",
        "encaps",
        "--ek",
        &p(d, "ek"),
        "--ct",
        &p(d, "ct"),
        "--ss",
        &p(d, "ss1"),
    ]));
    ok(&quantumacy(&[
        "pqc",
        "kem",
        "decaps",
        "--dk",
        &p(d, "dk"),
        "--ct",
        &p(d, "ct"),
        "--ss",
        &p(d, "ss2"),
    ]));
    assert_eq!(std::fs::read(d.join("ss1")).unwrap(), std::fs::read(d.join("ss2")).unwrap());
}

#[test]
fn sign_and_verify_with_acvp_keys_and_contexts() {
    let t = first_test(&kat("ml-dsa-keygen.json"), "ML-DSA-65");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("sk"), unhex(&t["seed"])).unwrap();
    std::fs::write(d.join("vk"), unhex(&t["pk"])).unwrap();
    std::fs::write(d.join("m"), b"round 3 update").unwrap();
    ok(&quantumacy(&[
        "pqc",
        "sign",
        "--sk",
        &p(d, "sk"),
        "--msg",
        &p(d, "m"),
        "--sig",
        &p(d, "sig"),
        "--context",
        "fl",
    ]));
    assert_eq!(std::fs::read(d.join("sig")).unwrap().len(), 3309);
    let verify = |ctx: &str, msg: &str| {
        quantumacy(&[
            "pqc",
            "verify",
            "--vk",
            &p(d, "vk"),
            "--msg",
            &p(d, msg),
            "--sig",
            &p(d, "sig"),
            "--context",
            ctx,
        ])
    };
    ok(&verify("fl", "m"));
    assert_eq!(verify("other", "m").status.code(), Some(1), "wrong context must be invalid");
    std::fs::write(d.join("m2"), b"round 3 updatf").unwrap();
    let out = verify("fl", "m2");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid"));
    // Deterministic signing repeats.
    ok(&quantumacy(&[
        "pqc",
        "sign",
        "--sk",
        &p(d, "sk"),
        "--msg",
        &p(d, "m"),
        "--sig",
        &p(d, "s1"),
        "--deterministic",
    ]));
    ok(&quantumacy(&[
        "pqc",
        "sign",
        "--sk",
        &p(d, "sk"),
        "--msg",
        &p(d, "m"),
        "--sig",
        &p(d, "s2"),
        "--deterministic",
    ]));
    assert_eq!(std::fs::read(d.join("s1")).unwrap(), std::fs::read(d.join("s2")).unwrap());
}

#[test]
fn sign_keygen_levels_and_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&quantumacy(&["pqc", "sign", "keygen", "--vk", &p(d, "vk"), "--sk", &p(d, "sk"), "--level", "87"]));
    assert_eq!(std::fs::read(d.join("vk")).unwrap().len(), 2592);
    std::fs::write(d.join("m"), b"x").unwrap();
    // A level-87 key read as level 65: wrong length, exit 1 with the file named.
    let out = quantumacy(&["pqc", "verify", "--vk", &p(d, "vk"), "--msg", &p(d, "m"), "--sig", &p(d, "m")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected 1952 bytes, got 2592"));
    // A truncated signature is invalid, not a crash.
    ok(&quantumacy(&[
        "pqc",
        "sign",
        "--sk",
        &p(d, "sk"),
        "--msg",
        &p(d, "m"),
        "--sig",
        &p(d, "sig"),
        "--level",
        "87",
    ]));
    let sig = std::fs::read(d.join("sig")).unwrap();
    std::fs::write(d.join("short"), &sig[..100]).unwrap();
    let out = quantumacy(&[
        "pqc",
        "verify",
        "--vk",
        &p(d, "vk"),
        "--msg",
        &p(d, "m"),
        "--sig",
        &p(d, "short"),
        "--level",
        "87",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // Usage errors: missing arguments, unknown level, over-long context.
    assert_eq!(quantumacy(&["pqc", "sign", "--sk", &p(d, "sk")]).status.code(), Some(2));
    assert_eq!(
        quantumacy(&["pqc", "kem", "keygen", "--ek", "a", "--dk", "b", "--level", "999"]).status.code(),
        Some(2)
    );
    let long = "c".repeat(256);
    let out = quantumacy(&[
        "pqc",
        "sign",
        "--sk",
        &p(d, "sk"),
        "--msg",
        &p(d, "m"),
        "--sig",
        &p(d, "x"),
        "--level",
        "87",
        "--context",
        &long,
    ]);
    assert_eq!(out.status.code(), Some(2));
    // A missing file is a failure naming the path.
    let out =
        quantumacy(&["pqc", "kem", "decaps", "--dk", &p(d, "nope"), "--ct", &p(d, "m"), "--ss", &p(d, "ss")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}
