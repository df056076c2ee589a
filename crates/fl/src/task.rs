//! Ready-made federated tasks on the bundled datasets: load, split, partition, standardize without pooling.

use std::fmt;
use std::str::FromStr;

use quantumacy_data::{DataDir, Dataset, group_split, mnist, parkinsons, pneumonia, stratified_split, wdbc};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::partition::Partition;
use crate::standardize::{FeatureStats, Standardizer};

/// The bundled datasets a federated task can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FlDataset {
    /// WDBC breast cancer, stratified 80/20 split.
    Wdbc,
    /// UCI Parkinson's voice recordings, 80/20 split **by subject**.
    Parkinsons,
    /// PneumoniaMNIST (balanced subset), its own train/test splits, 784 pixel features.
    PneumoniaMnist,
    /// MNIST (22,699-image training prefix, t10k test), 10 classes.
    Mnist,
}

impl FromStr for FlDataset {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "wdbc" => Ok(FlDataset::Wdbc),
            "parkinsons" => Ok(FlDataset::Parkinsons),
            "pneumoniamnist" => Ok(FlDataset::PneumoniaMnist),
            "mnist" => Ok(FlDataset::Mnist),
            other => Err(Error::UnknownDataset(other.to_owned())),
        }
    }
}

impl fmt::Display for FlDataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlDataset::Wdbc => "wdbc",
            FlDataset::Parkinsons => "parkinsons",
            FlDataset::PneumoniaMnist => "pneumoniamnist",
            FlDataset::Mnist => "mnist",
        })
    }
}

/// A train/test pair.
#[derive(Debug, Clone)]
pub struct TrainTest {
    /// Training rows (to be partitioned among hospitals).
    pub train: Dataset,
    /// Held-out rows for server-side evaluation.
    pub test: Dataset,
}

impl FlDataset {
    /// Loads the dataset and splits it: WDBC stratified and Parkinson's by subject (test fraction 0.2,
    /// `split_seed`); the image sets use their published splits (`split_seed` unused).
    ///
    /// # Errors
    /// Loader errors from `quantumacy-data` (missing file, bad checksum, …).
    pub fn load(self, dir: &DataDir, split_seed: u64) -> Result<TrainTest> {
        match self {
            FlDataset::Wdbc => {
                let d = wdbc::load(dir)?;
                let s = stratified_split(d.labels(), 0.2, split_seed)?;
                Ok(TrainTest { train: d.select(&s.train)?, test: d.select(&s.test)? })
            }
            FlDataset::Parkinsons => {
                let d = parkinsons::load(dir)?;
                let groups = d.groups().map(<[u32]>::to_vec).unwrap_or_default();
                let s = group_split(&groups, d.labels(), 0.2, split_seed)?;
                Ok(TrainTest { train: d.select(&s.train)?, test: d.select(&s.test)? })
            }
            FlDataset::PneumoniaMnist => {
                let p = pneumonia::load(dir)?;
                Ok(TrainTest { train: p.train.to_dataset(), test: p.test.to_dataset() })
            }
            FlDataset::Mnist => {
                let m = mnist::load(dir)?;
                Ok(TrainTest { train: m.train.to_dataset(), test: m.test.to_dataset() })
            }
        }
    }
}

/// Hospitals' standardized data, the standardized test set and the fitted transform.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// One dataset per hospital.
    pub hospitals: Vec<Dataset>,
    /// The test set, transformed with the hospitals' global statistics.
    pub test: Dataset,
    /// The transform (fitted from the hospitals' sums only).
    pub standardizer: Standardizer,
}

/// Partitions `data.train` among `clients` hospitals and standardizes everything with statistics the
/// hospitals share ([`FeatureStats`]) — fitted on training rows only.
///
/// # Errors
/// Partition errors ([`Error::NoClients`], [`Error::EmptyPartition`], …) and shape errors.
pub fn prepare(data: &TrainTest, partition: Partition, clients: usize, seed: u64) -> Result<Prepared> {
    let parts = partition.split(data.train.labels(), data.train.groups(), clients, seed)?;
    let raw: Vec<Dataset> = parts.iter().map(|p| data.train.select(p)).collect::<Result<_, _>>()?;
    let stats: Vec<FeatureStats> = raw.iter().map(|d| FeatureStats::of(d.features().view())).collect();
    let standardizer = FeatureStats::combine(&stats)?;
    let hospitals = raw.iter().map(|d| standardizer.apply(d)).collect::<Result<_>>()?;
    let test = standardizer.apply(&data.test)?;
    Ok(Prepared { hospitals, test, standardizer })
}
