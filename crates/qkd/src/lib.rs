//! Decoy-state BB84 over fibre: a physically faithful link simulator, parameter estimation, and key-rate theory.

pub mod decoy;
mod error;
mod params;
pub mod theory;

pub use error::{AbortReason, Error, Result};
pub use params::{Intensity, Preset, Protocol, Source, System};
