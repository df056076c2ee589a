#![doc = include_str!("../README.md")]

pub mod error;
pub mod hazmat;
pub mod hybrid;
pub mod kem;
pub mod sealed;
pub mod sign;
mod wire;

pub use error::{Error, Rejected, Result};
