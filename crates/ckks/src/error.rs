//! Errors of the CKKS layer.

/// Everything that can go wrong when building parameters or evaluating on ciphertexts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Parameters are structurally invalid.
    #[error("invalid parameters: {reason}")]
    InvalidParameters {
        /// What is wrong.
        reason: &'static str,
    },
    /// `log2(QP)` exceeds the HE-standard bound for 128-bit security and the caller did not opt into insecure
    /// parameters.
    #[error("log2(QP) = {log_qp:.1} exceeds {max} bits allowed at N = {degree} for 128-bit security")]
    Insecure {
        /// Ring degree.
        degree: usize,
        /// Total modulus bits.
        log_qp: f64,
        /// Bound from the HE standard.
        max: u32,
    },
    /// Two operands (or an operand and a key) come from different parameter sets.
    #[error("operands belong to different parameter sets")]
    ParametersMismatch,
    /// Two operands are at different levels.
    #[error("level mismatch: {left} vs {right}")]
    LevelMismatch {
        /// Level of the left operand.
        left: usize,
        /// Level of the right operand.
        right: usize,
    },
    /// Two operands carry different scales.
    #[error("scale mismatch: 2^{left:.3} vs 2^{right:.3}")]
    ScaleMismatch {
        /// log2 of the left scale.
        left: f64,
        /// log2 of the right scale.
        right: f64,
    },
    /// The operation needs a level the ciphertext does not have.
    #[error("level {requested} not available (ciphertext at level {current})")]
    InvalidLevel {
        /// Requested level.
        requested: usize,
        /// Current level.
        current: usize,
    },
    /// A rescale at level 0 was requested.
    #[error("no level left to rescale")]
    NoLevelLeft,
    /// The key for this Galois element was not generated.
    #[error("missing Galois key for element {galois_element}")]
    MissingGaloisKey {
        /// The Galois element `5^k mod 2N` or `2N − 1`.
        galois_element: usize,
    },
    /// More values than slots.
    #[error("{got} values for {slots} slots")]
    TooManyValues {
        /// Values given.
        got: usize,
        /// Slots available.
        slots: usize,
    },
    /// A value times the scale is not finite or does not fit the modulus.
    #[error("value out of range for the scale and modulus")]
    ValueOutOfRange,
    /// Serialized input ends before its structure does.
    #[error("serialized object is truncated")]
    Truncated,
    /// Serialized input does not have the expected structure.
    #[error("malformed serialized object ({what})")]
    Malformed {
        /// The part that is wrong.
        what: &'static str,
    },
    /// Serialized input longer than the caller's limit (checked before parsing).
    #[error("serialized object of {len} bytes exceeds the limit of {limit} bytes")]
    Oversize {
        /// Input length.
        len: usize,
        /// Caller's limit.
        limit: usize,
    },
    /// Envelope format version other than the one this build reads.
    #[error("format version {found} not supported (expected {expected})")]
    FormatVersion {
        /// Version in the envelope.
        found: u16,
        /// Version this build reads.
        expected: u16,
    },
    /// The envelope holds another kind of object.
    #[error("serialized object is a {found}, expected a {expected}")]
    WrongType {
        /// Kind in the envelope.
        found: String,
        /// Kind asked for.
        expected: &'static str,
    },
    /// The envelope's parameter digest is not the one of the expected parameters.
    #[error("serialized object was made for other parameters")]
    WrongParameters,
    /// A serialized residue is not below its prime (or a secret coefficient code is invalid).
    #[error("serialized residue {index} of limb {limb} is out of range")]
    OutOfRange {
        /// Limb (prime) index.
        limb: usize,
        /// Coefficient index within the limb.
        index: usize,
    },
    /// Bytes left after a complete object.
    #[error("{count} trailing bytes after the serialized object")]
    TrailingBytes {
        /// Number of extra bytes.
        count: usize,
    },
    /// A flooding-noise width that is zero, negative, not finite, or so large the noise would wrap around the
    /// modulus.
    #[error("invalid flooding noise width {width}: {reason}")]
    InvalidFlooding {
        /// The width given (σ or bound).
        width: f64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Error from the arithmetic layer.
    #[error(transparent)]
    Math(#[from] quantumacy_math::Error),
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn display_strings_are_pinned() {
        assert_eq!(Error::LevelMismatch { left: 2, right: 1 }.to_string(), "level mismatch: 2 vs 1");
        assert_eq!(
            Error::ScaleMismatch { left: 40.0, right: 80.0 }.to_string(),
            "scale mismatch: 2^40.000 vs 2^80.000"
        );
        assert_eq!(
            Error::MissingGaloisKey { galois_element: 5 }.to_string(),
            "missing Galois key for element 5"
        );
        assert_eq!(
            Error::Insecure { degree: 8192, log_qp: 230.04, max: 218 }.to_string(),
            "log2(QP) = 230.0 exceeds 218 bits allowed at N = 8192 for 128-bit security"
        );
        assert_eq!(Error::NoLevelLeft.to_string(), "no level left to rescale");
        assert_eq!(
            Error::Oversize { len: 10, limit: 4 }.to_string(),
            "serialized object of 10 bytes exceeds the limit of 4 bytes"
        );
        assert_eq!(
            Error::WrongType { found: "ckks/plaintext".into(), expected: "ckks/ciphertext" }.to_string(),
            "serialized object is a ckks/plaintext, expected a ckks/ciphertext"
        );
        assert_eq!(
            Error::OutOfRange { limb: 1, index: 7 }.to_string(),
            "serialized residue 7 of limb 1 is out of range"
        );
        assert_eq!(
            Error::InvalidFlooding { width: -1.0, reason: "must be positive" }.to_string(),
            "invalid flooding noise width -1: must be positive"
        );
        assert_eq!(Error::WrongParameters.to_string(), "serialized object was made for other parameters");
    }
}
