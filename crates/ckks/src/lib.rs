#![doc = include_str!("../README.md")]

mod ciphertext;
mod encoding;
mod error;
mod eval;
mod keys;
mod keyswitch;
pub mod lr;
mod params;
mod polyeval;
mod release;
mod wire;

pub use ciphertext::{Ciphertext, round_for_release};
pub use encoding::{Complex, Encoder, Plaintext};
pub use error::Error;
pub use eval::{Evaluator, SCALE_TOLERANCE, rotate_and_sum_steps};
pub use keys::{GaloisKeys, KeySwitchKey, PublicKey, RelinearizationKey, SecretKey};
pub use params::{HE_STANDARD_128, Parameters, ParametersBuilder, Preset, Security};
pub use polyeval::MAX_DEGREE;
pub use release::{Flooding, flood_ciphertext, flood_plaintext};
pub use wire::FORMAT_VERSION;
