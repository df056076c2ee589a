#![doc = include_str!("../README.md")]

pub mod aggregate;
mod error;
pub mod federated;
pub mod metrics;
pub mod model;
pub mod partition;
pub mod privacy;
pub mod standardize;
pub mod task;
pub mod train;

pub use aggregate::{Aggregate, AggregateExt, Aggregator, ClientId, ClientUpdate, FedAvg};
pub use error::{Error, Result, UpdateFault};
pub use federated::{Algorithm, FederatedConfig, Federation, Rejection, RoundReport, ServerOptimizer};
pub use metrics::{Evaluation, evaluate};
pub use model::Model;
pub use partition::Partition;
pub use privacy::{DpConfig, DpMode, GaussianSum, RdpAccountant};
pub use standardize::{FeatureStats, Standardizer};
pub use task::{FlDataset, Prepared, TrainTest, prepare};
pub use train::{LocalConfig, Optimizer, fit, train};
