//! The catalogue of bundled files, their SHA-256 digests, and where the data directory is.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "QUANTUMACY_DATA";

/// The four bundled datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetId {
    /// UCI Breast Cancer Wisconsin (Diagnostic), 569 × 30.
    Wdbc,
    /// UCI Parkinson's voice recordings, 195 × 22, 32 subjects.
    Parkinsons,
    /// PneumoniaMNIST, class-balanced subset, 28 × 28 chest X-rays.
    PneumoniaMnist,
    /// MNIST handwritten digits: t10k and the 22,699-image training prefix.
    Mnist,
}

impl DatasetId {
    /// Every dataset, in catalogue order.
    pub const ALL: [DatasetId; 4] =
        [DatasetId::Wdbc, DatasetId::Parkinsons, DatasetId::PneumoniaMnist, DatasetId::Mnist];

    /// The short name used on the command line and as the folder under `data/`.
    pub fn name(self) -> &'static str {
        match self {
            DatasetId::Wdbc => "wdbc",
            DatasetId::Parkinsons => "parkinsons",
            DatasetId::PneumoniaMnist => "pneumoniamnist",
            DatasetId::Mnist => "mnist",
        }
    }

    /// The data licence.
    pub fn licence(self) -> &'static str {
        match self {
            DatasetId::Mnist => "CC BY-SA 3.0",
            _ => "CC BY 4.0",
        }
    }

    /// The reference to cite.
    pub fn citation(self) -> &'static str {
        match self {
            DatasetId::Wdbc => {
                "Street, Wolberg, Mangasarian, IS&T/SPIE Electronic Imaging 1905:861 (1993); doi:10.24432/C5DW2B"
            }
            DatasetId::Parkinsons => {
                "Little et al., BioMedical Engineering OnLine 6:23 (2007); doi:10.24432/C59C74"
            }
            DatasetId::PneumoniaMnist => "Yang et al., MedMNIST v2, Scientific Data 10:41 (2023)",
            DatasetId::Mnist => "LeCun, Bottou, Bengio, Haffner, Proc. IEEE 86(11) (1998)",
        }
    }

    /// The bundled files that make up this dataset.
    pub fn files(self) -> impl Iterator<Item = &'static BundledFile> {
        BUNDLED.iter().filter(move |f| f.dataset == self)
    }
}

impl fmt::Display for DatasetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        DatasetId::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::UnknownDataset { name: s.to_owned() })
    }
}

/// One file under the data directory, with the digest it must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundledFile {
    /// The dataset it belongs to.
    pub dataset: DatasetId,
    /// Path relative to the data directory, `/`-separated.
    pub path: &'static str,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, lowercase hex.
    pub sha256: &'static str,
}

/// Every bundled data file. The digests are those recorded in each folder's `PROVENANCE.md`.
pub const BUNDLED: &[BundledFile] = &[
    BundledFile {
        dataset: DatasetId::Wdbc,
        path: "wdbc/wdbc.data",
        bytes: 124_672,
        sha256: "11218503215d46bf9eb4e9bcf7da97b878f0cdae46c75863d00e5009ab91a76c",
    },
    BundledFile {
        dataset: DatasetId::Wdbc,
        path: "wdbc/wdbc.names",
        bytes: 4_708,
        sha256: "840e04e3f20f8a5b326892f3b9cbc01c4cd6f7e6c597630b701ef6c0ac79f5ef",
    },
    BundledFile {
        dataset: DatasetId::Parkinsons,
        path: "parkinsons/parkinsons.data",
        bytes: 40_698,
        sha256: "a148d3c47503f4f5b3842d3f995548da333eb2b4401f6bb8a65832d008aca5d5",
    },
    BundledFile {
        dataset: DatasetId::PneumoniaMnist,
        path: "pneumoniamnist/pneumoniamnist.npz",
        bytes: 2_486_856,
        sha256: "f36c2b3e34de9d60c5c734118bc6daff281eaf76b67a57d26ad958da948274b0",
    },
    BundledFile {
        dataset: DatasetId::Mnist,
        path: "mnist/t10k-images-idx3-ubyte.gz",
        bytes: 1_648_877,
        sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    },
    BundledFile {
        dataset: DatasetId::Mnist,
        path: "mnist/t10k-labels-idx1-ubyte.gz",
        bytes: 4_542,
        sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    BundledFile {
        dataset: DatasetId::Mnist,
        path: "mnist/train-images-idx3-ubyte.first22699.gz",
        bytes: 3_645_434,
        sha256: "4124b5b82275074b56fced2d7a36a8149d88da9a723ab47e96d8ce0973b66f96",
    },
    BundledFile {
        dataset: DatasetId::Mnist,
        path: "mnist/train-labels-idx1-ubyte.first22699.gz",
        bytes: 11_235,
        sha256: "2fbd838af311de0a78c8046b5e9c0db6daf9717862dbe50c48090de6c95151b8",
    },
];

/// Looks a bundled file up by its relative path.
pub(crate) fn bundled(path: &str) -> &'static BundledFile {
    // The loaders only ask for paths listed above; a miss is a bug in this crate.
    #[expect(clippy::expect_used, reason = "callers pass literal catalogue paths")]
    BUNDLED.iter().find(|f| f.path == path).expect("path is in the catalogue")
}

/// The directory holding the bundled data files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Uses `path` as the data directory.
    ///
    /// # Errors
    /// [`Error::DataDirNotFound`] if it is not a directory.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self> {
        let root = path.into();
        if !root.is_dir() {
            return Err(Error::DataDirNotFound { path: root });
        }
        // Canonical for readable messages (`data/` rather than `crates/data/../../data`); a directory that
        // exists but cannot be canonicalised is still usable as given.
        Ok(DataDir { root: std::fs::canonicalize(&root).unwrap_or(root) })
    }

    /// Finds the data directory: `$QUANTUMACY_DATA` if set, else the repository's `data/` folder this crate was
    /// built from, else `./data`.
    ///
    /// # Errors
    /// [`Error::DataDirNotFound`] if the chosen directory does not exist.
    pub fn locate() -> Result<Self> {
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV) {
            return DataDir::new(dir);
        }
        let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        if built_from.is_dir() {
            return DataDir::new(built_from);
        }
        DataDir::new("data")
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Where a bundled file lives in this directory.
    pub fn file_path(&self, file: &BundledFile) -> PathBuf {
        self.root.join(file.path)
    }

    /// Reads a bundled file and checks its SHA-256 before returning its bytes.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be read, [`Error::Checksum`] if its digest differs from the catalogue's.
    pub fn read_verified(&self, file: &BundledFile) -> Result<Vec<u8>> {
        let path = self.file_path(file);
        let bytes = read_capped(&path, file.bytes)?;
        let actual = sha256_hex(&bytes);
        if actual == file.sha256 {
            Ok(bytes)
        } else {
            Err(Error::Checksum { path, expected: file.sha256.to_owned(), actual })
        }
    }

    /// Checks every bundled file, in catalogue order. Never stops early: each file gets its own verdict.
    pub fn verify_all(&self) -> Vec<FileCheck> {
        BUNDLED
            .iter()
            .map(|file| {
                let path = self.file_path(file);
                let outcome = match read_capped(&path, file.bytes) {
                    Ok(bytes) => {
                        let actual = sha256_hex(&bytes);
                        let bytes_read = bytes.len() as u64;
                        let result = if actual == file.sha256 {
                            Ok(())
                        } else {
                            Err(Error::Checksum {
                                path: path.clone(),
                                expected: file.sha256.to_owned(),
                                actual: actual.clone(),
                            })
                        };
                        (Some(actual), Some(bytes_read), result)
                    }
                    Err(e) => (None, None, Err(e)),
                };
                FileCheck { file, path, sha256: outcome.0, bytes: outcome.1, result: outcome.2 }
            })
            .collect()
    }
}

/// The verdict on one bundled file.
#[derive(Debug)]
pub struct FileCheck {
    /// The catalogue entry.
    pub file: &'static BundledFile,
    /// Where it was looked for.
    pub path: PathBuf,
    /// Its SHA-256 (hex), if it could be read.
    pub sha256: Option<String>,
    /// Bytes read (at most one past the catalogue size), if it could be read.
    pub bytes: Option<u64>,
    /// `Ok` when present with the right digest.
    pub result: Result<()>,
}

impl FileCheck {
    /// Whether the file is present and intact.
    pub fn ok(&self) -> bool {
        self.result.is_ok()
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads at most `expected + 1` bytes: enough to tell a file is too long without reading a huge one.
fn read_capped(path: &Path, expected: u64) -> Result<Vec<u8>> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    file.take(expected.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}
