//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while locating, verifying, parsing or splitting a dataset.
///
/// `what` fields name the file (or archive member) being read, so a message always says which file is at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The data directory does not exist or is not a directory.
    #[error("data directory {path} not found (set QUANTUMACY_DATA or pass --data-dir)")]
    DataDirNotFound {
        /// The directory that was looked for.
        path: PathBuf,
    },
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A bundled file's SHA-256 differs from the one recorded in the catalogue.
    #[error("checksum mismatch for {path}: expected sha256 {expected}, found {actual}")]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The catalogue's digest (hex).
        expected: String,
        /// The file's digest (hex).
        actual: String,
    },
    /// A file or array ends before the length its own header announces.
    #[error("{what} is truncated: expected {expected} bytes, found {found}")]
    Truncated {
        /// The file or member.
        what: String,
        /// Bytes the header announces.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// A binary file does not start with the expected magic number.
    #[error("{what} has bad magic number {found:#010x} (expected {expected:#010x})")]
    BadMagic {
        /// The file or member.
        what: String,
        /// The magic number for this kind of file.
        expected: u32,
        /// The first four bytes found, big-endian.
        found: u32,
    },
    /// Dimensions disagree: wrong row or column count, images and labels of different lengths, trailing bytes.
    #[error("{what} has an inconsistent shape: {detail}")]
    Shape {
        /// The file or member.
        what: String,
        /// What disagrees with what.
        detail: String,
    },
    /// A text file has a malformed field.
    #[error("{what}, line {line}: {detail}")]
    Parse {
        /// The file.
        what: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// A gzip stream or zip archive is malformed.
    #[error("{what} is not a valid archive: {detail}")]
    Archive {
        /// The file or member.
        what: String,
        /// The decoder's complaint.
        detail: String,
    },
    /// A dataset name that is not in the catalogue.
    #[error("unknown dataset {name:?} (known: wdbc, parkinsons, pneumoniamnist, mnist)")]
    UnknownDataset {
        /// The name given.
        name: String,
    },
    /// Split parameters that cannot produce a non-empty train and test set.
    #[error("invalid split: {detail}")]
    InvalidSplit {
        /// What is wrong.
        detail: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
