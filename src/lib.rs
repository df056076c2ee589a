//! # quantumacy
//!
//! Quantum-safe collaborative analysis of sensitive medical data. This crate is a thin facade: it re-exports the
//! subsystem crates, each behind a default-on cargo feature, adds a small [`prelude`], and composes them into the
//! end-to-end pipeline [`demo`] (feature `demo`) that `quantumacy demo` runs. No subsystem logic lives here.
//!
//! | feature | crate | what it is |
//! |---|---|---|
//! | `data` | [`quantumacy-data`](data) | checksum-verified loaders for the bundled datasets, deterministic splits |
//! | `qkd` | [`quantumacy-qkd`](qkd) | decoy-state BB84 link simulator, eavesdroppers, and the authenticated post-processing (sifting, estimation, Cascade, finite key, privacy amplification); theory |
//! | `fl` | [`quantumacy-fl`](fl) | federated logistic/softmax regression, FedAvg/FedProx, differential privacy |
//! | `optical` | [`quantumacy-optical`](optical) | optical quantum-secure MPC: engines, verification, leakage, MNIST |
//! | `pqc` | [`quantumacy-pqc`](pqc) | ML-KEM / ML-DSA wrappers, hybrid QKD + ML-KEM keys, sealed signed messages |
//! | `ckks` | [`quantumacy-ckks`](ckks), [`quantumacy-math`](math) | packed RNS-CKKS, encrypted logistic regression; NTT/RNS arithmetic |
//! | `demo` | all of the above | [`demo`]: QKD keys → sealed record → federated learning with sealed updates → encrypted inference → optical MPC |
//!
//! The README's status table says what each subsystem covers today.
//!
//! ```
//! # #[cfg(feature = "data")] {
//! use quantumacy::prelude::*;
//!
//! let data = quantumacy::data::wdbc::load(&DataDir::locate()?)?;
//! assert_eq!(data.n_features(), 30);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "ckks")]
pub use quantumacy_ckks as ckks;
#[cfg(feature = "demo")]
pub mod demo;
#[cfg(feature = "data")]
pub use quantumacy_data as data;
#[cfg(feature = "fl")]
pub use quantumacy_fl as fl;
#[cfg(feature = "ckks")]
pub use quantumacy_math as math;
#[cfg(feature = "optical")]
pub use quantumacy_optical as optical;
#[cfg(feature = "pqc")]
pub use quantumacy_pqc as pqc;
#[cfg(feature = "qkd")]
pub use quantumacy_qkd as qkd;

/// The types most programs need, for a glob import.
pub mod prelude {
    #[cfg(feature = "data")]
    pub use quantumacy_data::{DataDir, Dataset, DatasetId, ImageSet, Split, group_split, stratified_split};
    #[cfg(feature = "pqc")]
    pub use quantumacy_pqc::hybrid::{KeyId, QkdKey};
    #[cfg(feature = "pqc")]
    pub use quantumacy_pqc::kem::MlKem768;
    #[cfg(feature = "pqc")]
    pub use quantumacy_pqc::sign::MlDsa65;
    #[cfg(feature = "qkd")]
    pub use quantumacy_qkd::{Intensity, Preset, Protocol, Source, System};
}
