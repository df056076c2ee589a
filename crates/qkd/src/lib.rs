//! Decoy-state BB84 over fibre: a physically faithful link simulator, parameter estimation, and key-rate theory.

mod error;
mod params;

pub use error::{AbortReason, Error, Result};
pub use params::{Intensity, Preset, Protocol, Source, System};
