//! Packed RNS-CKKS approximate homomorphic encryption.
//!
//! - Scheme: Cheon–Kim–Kim–Song, "Homomorphic encryption for arithmetic of approximate numbers",
//!   ASIACRYPT 2017 (encoding via the canonical embedding, rescaling).
//! - Full-RNS variant: Cheon–Han–Kim–Kim–Song, "A full RNS variant of approximate homomorphic encryption",
//!   SAC 2018 (RNS rescale, ModUp/ModDown).
//! - Hybrid key switching with `dnum` digits and special primes `P`: Han–Ki, "Better bootstrapping for
//!   approximate homomorphic encryption", CT-RSA 2020, §3.
//! - Rescale / mod-down formulation and costs: Kim–Polyakov–Zucca, "Revisiting homomorphic encryption schemes
//!   for finite fields" / Kim et al., "Approximate homomorphic encryption with reduced approximation error",
//!   2021/2022.
//!
//! Arithmetic (moduli, NTT over `tfhe-ntt`, RNS, samplers) lives in `quantumacy-math`.
//!
//! ```
//! use quantumacy_ckks::{Encoder, Evaluator, Parameters, Preset, SecretKey};
//! use rand::SeedableRng;
//!
//! let params = Parameters::preset(Preset::InsecureTestN1024)?; // small and INSECURE: for examples only
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
//! let sk = SecretKey::generate(&params, &mut rng);
//! let pk = sk.public_key(&mut rng);
//! let rlk = sk.relinearization_key(&mut rng);
//! let encoder = Encoder::new(&params);
//! let eval = Evaluator::new(&params);
//! let pt = encoder.encode_real(&params, &[0.5, -0.25], params.scale(), params.max_level())?;
//! let ct = pk.encrypt(&params, &pt, &mut rng)?;
//! let mut sq = eval.multiply(&ct, &ct, &rlk)?;
//! eval.rescale(&mut sq)?;
//! let out = encoder.decode_real(&params, &sk.decrypt(&sq)?)?;
//! assert!((out[0] - 0.25).abs() < 1e-6 && (out[1] - 0.0625).abs() < 1e-6);
//! # Ok::<(), quantumacy_ckks::Error>(())
//! ```

mod ciphertext;
mod encoding;
mod error;
mod eval;
mod keys;
mod keyswitch;
pub mod lr;
mod params;

pub use ciphertext::{Ciphertext, round_for_release};
pub use encoding::{Complex, Encoder, Plaintext};
pub use error::Error;
pub use eval::{Evaluator, SCALE_TOLERANCE};
pub use keys::{GaloisKeys, KeySwitchKey, PublicKey, RelinearizationKey, SecretKey};
pub use params::{HE_STANDARD_128, Parameters, ParametersBuilder, Preset, Security};
