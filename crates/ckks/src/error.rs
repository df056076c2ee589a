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
    }
}
