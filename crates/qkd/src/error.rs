//! The crate's one error type.

/// Why a QKD run stopped without producing a key.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AbortReason {
    /// The measured error rate exceeds the configured threshold.
    QberAboveThreshold {
        /// The measured (or upper-bounded) error rate.
        qber: f64,
        /// The threshold.
        threshold: f64,
    },
    /// The decoy-state bounds leave no positive single-photon contribution, or the key-length formula is ≤ 0.
    NoPositiveKeyLength {
        /// Which bound or formula came out non-positive.
        detail: String,
    },
    /// Too few events to estimate the parameters.
    InsufficientStatistics {
        /// What was too small.
        detail: String,
    },
    /// A classical message or transcript failed authentication (deliberately without detail).
    AuthenticationFailed,
}

impl std::fmt::Display for AbortReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AbortReason::QberAboveThreshold { qber, threshold } => {
                write!(f, "QBER {:.2} % exceeds the threshold {:.2} %", qber * 100.0, threshold * 100.0)
            }
            AbortReason::NoPositiveKeyLength { detail } => write!(f, "no positive key length: {detail}"),
            AbortReason::InsufficientStatistics { detail } => write!(f, "insufficient statistics: {detail}"),
            AbortReason::AuthenticationFailed => write!(f, "authentication of the classical channel failed"),
        }
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is out of its physical or mathematical range.
    #[error("invalid {name} = {value}: must be {expected}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// Its valid range, in words.
        expected: &'static str,
    },
    /// Probabilities that must sum to one do not.
    #[error("{what} probabilities sum to {sum}, not 1")]
    ProbabilitySum {
        /// Which distribution.
        what: &'static str,
        /// Their sum.
        sum: f64,
    },
    /// Decoy intensities in the wrong order (e.g. ν ≥ μ).
    #[error("invalid decoy intensities: {detail}")]
    DecoyOrder {
        /// What is out of order.
        detail: String,
    },
    /// A preset name that does not exist.
    #[error("unknown preset {name:?} (known: gys, lim2014)")]
    UnknownPreset {
        /// The name given.
        name: String,
    },
    /// A configuration combination that is not supported (e.g. a decoy scheme with too few intensities).
    #[error("unsupported configuration: {detail}")]
    Unsupported {
        /// What is not supported.
        detail: String,
    },
    /// A protocol message that does not fit the session (wrong length, out-of-order, unknown pulse index).
    #[error("protocol message rejected: {detail}")]
    Protocol {
        /// What was wrong.
        detail: String,
    },
    /// A key to reconcile (or hash) has no bits.
    #[error("empty key")]
    EmptyKey,
    /// Alice's and Bob's keys differ in length.
    #[error("key lengths differ: Alice {alice} bits, Bob {bob} bits")]
    LengthMismatch {
        /// Alice's length in bits.
        alice: usize,
        /// Bob's length in bits.
        bob: usize,
    },
    /// The protocol aborted; no key.
    #[error("protocol aborted: {0}")]
    Aborted(AbortReason),
    /// A message failed authentication (bad tag, replayed, reordered, wrong session or sender). Deliberately
    /// opaque; the session is aborted.
    #[error("authentication failed")]
    Authentication,
    /// The authentication key pool has too few bits left.
    #[error("authentication key pool exhausted: {needed_bits} bits needed, {available_bits} available")]
    KeyPoolExhausted {
        /// Bits the operation needs.
        needed_bits: u64,
        /// Bits left in the pool.
        available_bits: u64,
    },
    /// A numerical routine (root finding, optimisation) found no solution in range.
    #[error("no solution: {detail}")]
    NoSolution {
        /// What was sought.
        detail: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks `lo ≤ value ≤ hi` (and finiteness), naming the parameter in the error.
pub(crate) fn check_range(
    name: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    expected: &'static str,
) -> Result<f64> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(Error::InvalidParameter { name, value, expected })
    }
}
