//! Helpers the CLI contract tests share.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs the `quantumacy` binary with `args` on the repository's bundled data.
pub(crate) fn quantumacy(args: &[&str]) -> Output {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    Command::new(env!("CARGO_BIN_EXE_quantumacy"))
        .args(args)
        .args(["--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap()
}

/// Asserts exit code 0 and parses stdout as one JSON document.
pub(crate) fn json(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}
