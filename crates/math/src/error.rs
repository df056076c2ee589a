//! Errors of the lattice-arithmetic layer.

/// Everything that can go wrong when building moduli, bases or polynomials from caller input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The modulus is outside `[2, 2^62)`.
    #[error("modulus {modulus} outside [2, 2^62)")]
    InvalidModulus {
        /// The rejected value.
        modulus: u64,
    },
    /// The ring degree is not a power of two in `[16, 2^17]`.
    #[error("ring degree {degree} is not a power of two in [16, 131072]")]
    InvalidDegree {
        /// The rejected degree.
        degree: usize,
    },
    /// The modulus does not support a negacyclic NTT of this size (needs a prime `p ≡ 1 mod 2N`).
    #[error("modulus {modulus} has no negacyclic NTT of size {degree}")]
    NoNtt {
        /// The modulus.
        modulus: u64,
        /// The ring degree.
        degree: usize,
    },
    /// Not enough NTT-friendly primes of the requested size exist.
    #[error("not enough {bits}-bit primes p ≡ 1 mod {two_n}")]
    NotEnoughPrimes {
        /// Bit size requested.
        bits: u32,
        /// `2N`.
        two_n: usize,
    },
    /// The same prime appears twice in a basis.
    #[error("duplicate modulus {modulus} in RNS basis")]
    DuplicateModulus {
        /// The repeated prime.
        modulus: u64,
    },
    /// A basis needs at least one modulus.
    #[error("empty RNS basis")]
    EmptyBasis,
    /// A residue is not below its prime.
    #[error("residue at limb {limb}, coefficient {index} is not reduced")]
    ResidueOutOfRange {
        /// Limb index.
        limb: usize,
        /// Coefficient index.
        index: usize,
    },
    /// Input length differs from what the basis expects.
    #[error("length mismatch: expected {expected}, got {got}")]
    LengthMismatch {
        /// Expected length.
        expected: usize,
        /// Given length.
        got: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn display_strings_are_pinned() {
        assert_eq!(Error::InvalidModulus { modulus: 1 }.to_string(), "modulus 1 outside [2, 2^62)");
        assert_eq!(
            Error::NoNtt { modulus: 7, degree: 16 }.to_string(),
            "modulus 7 has no negacyclic NTT of size 16"
        );
        assert_eq!(Error::EmptyBasis.to_string(), "empty RNS basis");
        assert_eq!(
            Error::LengthMismatch { expected: 2, got: 3 }.to_string(),
            "length mismatch: expected 2, got 3"
        );
    }
}
