//! The classical protocol after transmission, as two parties exchanging messages.
//!
//! Alice and Bob each hold only their own record; every step consumes the other party's message and produces
//! the next one, so the same code runs in process (see [`crate::link`]) or over a network:
//!
//! 1. Bob → Alice: [`DetectionReport`] — which pulses clicked, and his basis for each (B92: only the conclusive
//!    ones, no basis).
//! 2. Alice → Bob: [`SiftReply`] — her basis and intensity class for each reported pulse (decoy intensities are
//!    announced only now). Both keep the pulses whose bases match.
//! 3. Bob → Alice: [`Disclosure`] — his bits at the test positions: every decoy-intensity pulse, every pulse not in
//!    the key basis, and a random sample of key-basis signal pulses.
//! 4. Alice → Bob: [`Estimates`] — gains and error rates per intensity with confidence intervals, decoy bounds,
//!    and the decision to continue or abort. The undisclosed key-basis signal bits are the raw key.

pub mod amplify;
pub mod authenticate;
pub(crate) mod estimate;
mod keylength;
pub mod reconcile;
mod sift;

pub use estimate::{
    DecoyEstimates, DecoyMethod, Estimates, EstimationConfig, IntensityStats, wilson_interval,
};
pub use keylength::{KeyLength, KeyLengthMode, Leakage};
pub use sift::{Alice, Bob, DetectionReport, Disclosure, SiftReply};
