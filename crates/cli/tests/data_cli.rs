//! The `quantumacy data` contract: JSON shape, exit codes, and a damaged file named in the message.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers outside #[test] fns")]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn quantumacy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quantumacy")).args(args).output().unwrap()
}

fn bundled() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not one JSON document ({e}): {}", String::from_utf8_lossy(&out.stdout))
    })
}

#[test]
fn verify_json_lists_every_file_ok() {
    let out = quantumacy(&["data", "verify", "--json", "--data-dir", bundled().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "no progress bar when stderr is not a terminal");
    let v = json(&out);
    assert_eq!(v["ok"], true);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), quantumacy_data_files());
    for f in files {
        assert_eq!(f["ok"], true, "{f}");
        assert_eq!(f["sha256"], f["expected_sha256"]);
        assert_eq!(f["sha256"].as_str().unwrap().len(), 64);
    }
}

fn quantumacy_data_files() -> usize {
    std::fs::read_dir(bundled())
        .unwrap()
        .map(|d| d.unwrap().path())
        // Only the catalogue's dataset folders: data/ also holds KATs and trained weights, checked by their crates.
        .filter(|d| {
            d.file_name().is_some_and(|n| {
                ["wdbc", "parkinsons", "pneumoniamnist", "mnist"].contains(&n.to_str().unwrap_or(""))
            })
        })
        .map(|d| std::fs::read_dir(d).unwrap().count() - 1) // minus PROVENANCE.md
        .sum()
}

#[test]
fn a_corrupted_copy_exits_1_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(bundled()).unwrap() {
        let from = entry.unwrap().path();
        let to = tmp.path().join(from.file_name().unwrap());
        std::fs::create_dir_all(&to).unwrap();
        for file in std::fs::read_dir(&from).unwrap() {
            let file = file.unwrap().path();
            std::fs::copy(&file, to.join(file.file_name().unwrap())).unwrap();
        }
    }
    let victim = tmp.path().join("parkinsons/parkinsons.data");
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[500] ^= 0x20;
    std::fs::write(&victim, bytes).unwrap();

    let dir = tmp.path().to_str().unwrap();
    let out = quantumacy(&["data", "verify", "--json", "--data-dir", dir]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one-line message: {stderr}");
    assert!(stderr.contains("parkinsons/parkinsons.data"), "{stderr}");
    let v = json(&out);
    assert_eq!(v["ok"], false);
    let bad: Vec<&Value> = v["files"].as_array().unwrap().iter().filter(|f| f["ok"] == false).collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["file"], "parkinsons/parkinsons.data");

    // Text mode fails the same way, and loading the damaged dataset fails too.
    assert_eq!(quantumacy(&["data", "verify", "--data-dir", dir]).status.code(), Some(1));
    let list = quantumacy(&["data", "list", "--data-dir", dir]);
    assert_eq!(list.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&list.stderr).contains("checksum mismatch"));
}

#[test]
fn list_json_reports_measured_shapes() {
    let out = quantumacy(&["data", "list", "--json", "--quiet", "--data-dir", bundled().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    let ds = v["datasets"].as_array().unwrap();
    let names: Vec<&str> = ds.iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["wdbc", "parkinsons", "pneumoniamnist", "mnist"]);
    assert_eq!(ds[0]["splits"][0]["rows"], 569);
    assert_eq!(ds[0]["splits"][0]["class_counts"]["malignant"], 212);
    assert_eq!(ds[1]["splits"][0]["groups"], 32);
    assert_eq!(ds[2]["splits"][2]["rows"], 468);
    assert_eq!(ds[3]["splits"][1]["features"], 784);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["data", "verify", "--data-dir", "/nonexistent/quantumacy-data"][..],
        &["data", "frobnicate"],
        &["data", "verify", "--bogus"],
        &[],
    ] {
        let out = quantumacy(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let help = quantumacy(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
}
