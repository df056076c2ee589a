//! The messages Bob and Alice exchange (serde, so any transport can carry them).

use serde::{Deserialize, Serialize};

use super::schedule::Variant;
use crate::BitVec;

/// A request for the parity of Alice's bits at shuffled indices `start..end` of pass `pass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParityQuery {
    /// Pass index (0-based); its shuffle is derived from the session seed.
    pub pass: u16,
    /// First shuffled index.
    pub start: u32,
    /// One past the last shuffled index.
    pub end: u32,
}

/// Public parameters of a session, sent in Bob's first message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionParams {
    /// Frame length in bits.
    pub frame_bits: u32,
    /// The variant Bob runs.
    pub variant: Variant,
    /// The error-rate estimate that fixes the block sizes.
    pub qber_estimate: f64,
    /// Seed of the per-pass shuffles.
    pub shuffle_seed: u64,
}

/// Bob → Alice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BobMessage {
    /// Opens the session (step 0) with the first pass's block-parity requests.
    Open {
        /// Session parameters.
        params: SessionParams,
        /// Parity requests.
        queries: Vec<ParityQuery>,
    },
    /// All parity requests of one step (`step` counts Bob's messages from 0).
    Query {
        /// Step number.
        step: u32,
        /// Parity requests.
        queries: Vec<ParityQuery>,
    },
    /// Bob has no more requests: Alice sends the verification hash.
    Finish {
        /// Step number.
        step: u32,
    },
}

/// Alice → Bob.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub enum AliceMessage {
    /// The answers to a [`BobMessage::Open`] or [`BobMessage::Query`], one bit per request, in order.
    Parities {
        /// The step answered.
        step: u32,
        /// The parities.
        parities: BitVec,
    },
    /// The verification hash of Alice's key: a fresh random POLYVAL key and the tag under it.
    Verify {
        /// The step answered.
        step: u32,
        /// POLYVAL key H (public once sent).
        hash_key: [u8; 16],
        /// POLYVAL(H, Alice's frame).
        tag: [u8; 16],
    },
}

impl std::fmt::Debug for AliceMessage {
    // Parities are public once sent, but keep logs short.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AliceMessage::Parities { step, parities } => {
                write!(f, "Parities {{ step: {step}, {} bits }}", parities.len())
            }
            AliceMessage::Verify { step, .. } => write!(f, "Verify {{ step: {step} }}"),
        }
    }
}

impl AliceMessage {
    /// Key-dependent bits this message discloses: one per parity, 128 for the verification tag.
    pub fn disclosed_bits(&self) -> u64 {
        match self {
            AliceMessage::Parities { parities, .. } => parities.len() as u64,
            AliceMessage::Verify { .. } => super::verify::TAG_BITS,
        }
    }
}
