//! The trained networks committed under `data/optical/` (see its PROVENANCE.md for the exact command, seed and
//! digests), verified by SHA-256 before decoding so tests and the CLI never retrain.

use quantumacy_data::{DataDir, sha256_hex};

use crate::error::{Error, Result};
use crate::network::Network;

/// Path of the 784 → 784 → 10 MLP inside the data directory.
pub const MLP_PATH: &str = "optical/mlp-784-784-10.qnet";
/// SHA-256 of [`MLP_PATH`].
pub const MLP_SHA256: &str = "bbafc16e0fc4a36970985a3ef2ba5306bfcb414fc6915164da73f500f7c3c51f";
/// Path of the linear 784 → 10 model inside the data directory.
pub const LINEAR_PATH: &str = "optical/linear-784-10.qnet";
/// SHA-256 of [`LINEAR_PATH`].
pub const LINEAR_SHA256: &str = "0740a6267a033347b25e6b4dcfb7c2566938ec5a8b579c984d68fa2e2fad97b7";

fn load(dir: &DataDir, rel: &str, sha256: &str, sizes: &[usize]) -> Result<Network> {
    let path = dir.path().join(rel);
    let bytes = std::fs::read(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
    let found = sha256_hex(&bytes);
    if found != sha256 {
        return Err(Error::Format { detail: format!("{rel}: sha256 {found}, expected {sha256}") });
    }
    Network::from_bytes(&bytes, Some(sizes))
}

/// The bundled 784 → 784 → 10 MLP.
///
/// # Errors
/// [`Error::Io`] if missing, [`Error::Format`] for a checksum mismatch or a bad file.
pub fn mlp(dir: &DataDir) -> Result<Network> {
    load(dir, MLP_PATH, MLP_SHA256, &[784, 784, 10])
}

/// The bundled linear 784 → 10 model.
///
/// # Errors
/// As [`mlp`].
pub fn linear(dir: &DataDir) -> Result<Network> {
    load(dir, LINEAR_PATH, LINEAR_SHA256, &[784, 10])
}
