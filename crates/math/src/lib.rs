#![doc = include_str!("../README.md")]

mod error;
mod modulus;
pub mod ntt;
mod poly;
pub mod prime;
mod rns;
pub mod sample;

pub use error::Error;
pub use modulus::Modulus;
pub use ntt::{NTT_BACKEND, NttPlan};
pub use poly::{Coeff, Ntt, Poly};
pub use rns::{BaseConverter, RnsBasis};
