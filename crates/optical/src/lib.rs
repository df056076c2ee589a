#![doc = include_str!("../README.md")]

mod error;
pub mod leakage;
pub mod link;

pub use error::{Error, Result};
pub use leakage::{Leakage, holevo_chi, leakage};
pub use link::{Convention, Link, Mapping};
