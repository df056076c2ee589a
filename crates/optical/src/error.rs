//! The crate's one error type.

/// Everything that can go wrong: bad physical parameters, mismatched shapes, bad data, bad weight files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A physical or numerical parameter is outside its domain (μ ≤ 0, G < 1, T ∉ (0, 1], ...).
    #[error("parameter {name} = {value} is out of range: {expected}")]
    Parameter {
        /// The parameter's name in the paper's notation.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The accepted range, in words.
        expected: &'static str,
    },
    /// Two operands' dimensions do not fit together.
    #[error("dimension mismatch in {what}: expected {expected}, found {found}")]
    Dimension {
        /// The operation.
        what: &'static str,
        /// The dimension required.
        expected: usize,
        /// The dimension given.
        found: usize,
    },
    /// A batch, vector or matrix with no entries.
    #[error("empty input to {what}")]
    Empty {
        /// The operation.
        what: &'static str,
    },
    /// Input data contains NaN or an infinity.
    #[error("non-finite value in {what}")]
    NonFinite {
        /// The operand.
        what: &'static str,
    },
    /// A data vector of zero norm cannot be normalised (the client's unitary needs x̂ = x/‖x‖).
    #[error("zero vector in {what}: cannot normalise")]
    ZeroNorm {
        /// The operand.
        what: &'static str,
    },
    /// A saved model could not be decoded: wrong version, type, fingerprint, size or corrupt payload.
    #[error("invalid model file: {detail}")]
    Format {
        /// What was wrong.
        detail: String,
    },
    /// Loading MNIST failed.
    #[error(transparent)]
    Data(#[from] quantumacy_data::Error),
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Drawing a plot failed.
    #[error("plotting failed: {detail}")]
    Plot {
        /// The backend's message.
        detail: String,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks that every entry is finite.
pub(crate) fn check_finite<'a>(what: &'static str, values: impl IntoIterator<Item = &'a f32>) -> Result<()> {
    if values.into_iter().all(|v| v.is_finite()) { Ok(()) } else { Err(Error::NonFinite { what }) }
}

/// Checks `lo < value` (or `lo ≤ value` when `inclusive`) and `value ≤ hi`, and that `value` is finite.
pub(crate) fn check_range(
    name: &'static str,
    value: f64,
    lo: f64,
    inclusive: bool,
    hi: f64,
    expected: &'static str,
) -> Result<f64> {
    let above = if inclusive { value >= lo } else { value > lo };
    if value.is_finite() && above && value <= hi {
        Ok(value)
    } else {
        Err(Error::Parameter { name, value, expected })
    }
}
