//! Lattice arithmetic for RNS-CKKS.
//!
//! - [`Modulus`]: word-size modular arithmetic with Barrett reduction of 128-bit products and Shoup's
//!   precomputed-quotient multiplication (Shoup, NTL; Harvey, "Faster arithmetic for number-theoretic
//!   transforms", J. Symb. Comput. 2014, Alg. 2).
//! - [`prime`]: deterministic NTT-friendly primes `p ≡ 1 (mod 2N)`.
//! - [`NttPlan`]: the negacyclic number-theoretic transform over `tfhe-ntt`'s `prime64::Plan`, with a naive
//!   `O(N²)` reference ([`ntt::naive_negacyclic_mul`]) used as the test oracle.
//! - [`RnsBasis`] and [`BaseConverter`]: residue number system with CRT lifting and the fast (approximate) base
//!   conversion of Bajard et al. (SAC 2016) used by RNS-CKKS (Cheon–Han–Kim–Kim–Song, SAC 2018, §3) and by hybrid
//!   key switching (Han–Ki, CT-RSA 2020, §3; Kim et al., "Approximate homomorphic encryption over the
//!   conjugate-invariant ring" / "Revisiting HE-friendly RNS", 2021, for mod-down).
//! - [`Poly`]: polynomials of `Z_Q[X]/(X^N + 1)` in RNS form, with the domain as a type parameter
//!   ([`Coeff`] or [`Ntt`]) so that a product in the coefficient domain does not compile.
//! - [`sample`]: uniform, ternary and discrete-Gaussian samplers from an explicit RNG, and uniform polynomials
//!   expanded from a 32-byte seed with ChaCha20 (bit-identical on every platform).
//!
//! ```compile_fail
//! use quantumacy_math::{Coeff, Poly, RnsBasis};
//! let basis = RnsBasis::new(16, &[97]).unwrap();
//! let mut a: Poly<Coeff> = Poly::zero(&basis);
//! let b: Poly<Coeff> = Poly::zero(&basis);
//! a.mul_assign(&b, &basis); // products exist only in the NTT domain
//! ```

mod error;
mod modulus;
pub mod ntt;
mod poly;
pub mod prime;
mod rns;
pub mod sample;

pub use error::Error;
pub use modulus::Modulus;
pub use ntt::NttPlan;
pub use poly::{Coeff, Ntt, Poly};
pub use rns::{BaseConverter, RnsBasis};
