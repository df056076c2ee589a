#![doc = include_str!("../README.md")]

pub mod client;
mod error;
mod gaussian;
pub mod leakage;
pub mod link;
mod mode;
pub mod verify;

pub use client::{Client, Householder, Packing};
pub use error::{Error, Result};
pub use gaussian::{Engine, GaussianEngine};
pub use leakage::{Leakage, holevo_chi, leakage};
pub use link::{Convention, Link, Mapping};
pub use mode::{ModeEngine, ShotStats};
pub use verify::{ExcessTally, Verdict, Verifier};
pub mod format;
pub mod network;
pub use network::{Network, TrainConfig};
pub mod plot;
pub mod pretrained;
pub mod sweep;
