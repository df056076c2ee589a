#![doc = include_str!("../README.md")]

mod catalogue;
mod dataset;
mod error;
pub mod mnist;
pub mod pneumonia;
mod split;
mod tabular;

pub use catalogue::{BUNDLED, BundledFile, DATA_DIR_ENV, DataDir, DatasetId, FileCheck, sha256_hex};
pub use dataset::{Dataset, ImageSet};
pub use error::{Error, Result};
pub use split::{Split, group_split, stratified_split};
pub use tabular::{parkinsons, wdbc};
