#![doc = include_str!("../README.md")]

mod bits;
pub mod decoy;
mod error;
pub mod eve;
pub mod link;
pub mod model;
mod params;
pub mod postprocess;
pub mod protocol;
pub mod sim;
mod state;
pub mod theory;

pub use bits::BitVec;
pub use error::{AbortReason, Error, Result};
pub use params::{Intensity, Preset, Protocol, Source, System};
pub use state::{Basis, State};
