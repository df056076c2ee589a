//! The crate's one error type.
//!
//! Verification, decapsulation and decryption failures are deliberately opaque (FIPS 204 §5.3 returns only a
//! boolean; a decryption oracle must not say which check failed). Envelope rejections are typed for the local
//! caller, who must log or count them, but a peer is only ever told [`Rejected`] (see [`Error::for_peer`]).

use thiserror::Error;

/// Everything that can go wrong in `quantumacy-pqc`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte string has the wrong length for its FIPS 203/204 encoding or for this crate's fixed-size types.
    #[error("{what}: expected {expected} bytes, got {actual}")]
    Length {
        /// What was being decoded.
        what: &'static str,
        /// The length the encoding requires.
        expected: usize,
        /// The length that was given.
        actual: usize,
    },
    /// A byte string has the right length but is not a valid encoding (e.g. an ML-KEM encapsulation key whose
    /// coefficients are not reduced mod q, FIPS 203 §7.2 "modulus check").
    #[error("invalid {what} encoding")]
    Encoding {
        /// What was being decoded.
        what: &'static str,
    },
    /// An ML-DSA context string longer than the 255 bytes FIPS 204 Algorithm 2 allows.
    #[error("context string is {len} bytes; FIPS 204 allows at most 255")]
    ContextTooLong {
        /// The length that was given.
        len: usize,
    },
    /// A parameter-set name or security level this crate does not know.
    #[error("unknown parameter set {0:?}")]
    UnknownParameterSet(String),
    /// A signature did not verify. Opaque by design: it never says why.
    #[error("signature verification failed")]
    Verification,
    /// Authenticated decryption failed. Opaque by design: wrong key, wrong QKD key, tampered ciphertext or
    /// associated data are indistinguishable.
    #[error("decryption failed")]
    Decryption,
    /// Signing failed (FIPS 204 rejection sampling gave up, which has negligible probability).
    #[error("signing failed")]
    Signing,
    /// Encryption or key encapsulation failed inside HPKE or the AEAD.
    #[error("encryption failed")]
    Encryption,
    /// An input to a key schedule or envelope field exceeds the length the format can carry.
    #[error("{what} is {len} bytes, over the {limit}-byte limit")]
    TooLong {
        /// Which input.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The largest accepted length.
        limit: usize,
    },
    /// A serialized envelope is longer than the decoder's size limit; nothing was parsed.
    #[error("envelope is {len} bytes, over the {limit}-byte limit")]
    Oversize {
        /// The input length.
        len: usize,
        /// The decoder's limit.
        limit: usize,
    },
    /// A serialized envelope does not parse (truncated, trailing bytes, wrong field lengths).
    #[error("malformed {what}")]
    Malformed {
        /// Which structure failed to parse.
        what: &'static str,
    },
    /// An envelope written in a format version this build does not accept (older versions are refused so a
    /// peer cannot downgrade).
    #[error("format version {found} is not supported (expected {expected})")]
    FormatVersion {
        /// The version in the envelope.
        found: u16,
        /// The only version this build accepts.
        expected: u16,
    },
    /// An envelope of another type or parameter suite than the decoder expects.
    #[error("envelope holds {found:?}, expected {expected:?}")]
    WrongType {
        /// The type-and-suite tag found.
        found: String,
        /// The tag expected.
        expected: &'static str,
    },
    /// The envelope is addressed to another party.
    #[error("message addressed to party {found}, not to this receiver ({expected})")]
    WrongReceiver {
        /// The receiver named in the header.
        found: u64,
        /// This receiver's identity.
        expected: u64,
    },
    /// The sender is not among the receiver's known senders.
    #[error("unknown sender {0}")]
    UnknownSender(u64),
    /// The (session, round, sequence) triple was already accepted once.
    #[error("replayed message: session {session}, round {round}, sequence {sequence} already accepted")]
    Replay {
        /// The session, as hex.
        session: String,
        /// The federated round.
        round: u64,
        /// The sender's sequence number.
        sequence: u64,
    },
    /// The QKD key ID was already used for an accepted message (keys are single-use, ETSI GS QKD 014 §5).
    #[error("QKD key {0} was already used")]
    KeyReuse(String),
    /// The QKD key supplied for opening does not carry the key ID named in the header.
    #[error("QKD key {found} supplied for a message sealed under key {expected}")]
    KeyIdMismatch {
        /// The key ID in the header.
        expected: String,
        /// The key ID of the key supplied.
        found: String,
    },
    /// No QKD key is available for the key ID in the header.
    #[error("no QKD key available for key ID {0}")]
    MissingKey(String),
}

/// What a peer is told when its message is rejected: nothing more than that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("message rejected")]
pub struct Rejected;

impl Error {
    /// The opaque form of this error, safe to send back to the peer whose message caused it.
    pub fn for_peer(&self) -> Rejected {
        Rejected
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn check_len(what: &'static str, expected: usize, bytes: &[u8]) -> Result<()> {
    if bytes.len() == expected { Ok(()) } else { Err(Error::Length { what, expected, actual: bytes.len() }) }
}
