//! The crate's one error type.

use crate::aggregate::ClientId;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a client's update was refused. The round goes on without it if enough clients remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[non_exhaustive]
pub enum UpdateFault {
    /// A coordinate is NaN or ±∞.
    #[error("coordinate {index} is not finite")]
    NonFinite {
        /// First offending coordinate.
        index: usize,
    },
    /// The update does not have the model's parameter count.
    #[error("{got} parameters, expected {expected}")]
    WrongLength {
        /// The model's parameter count.
        expected: usize,
        /// The update's length.
        got: usize,
    },
    /// The update claims to come from zero training examples.
    #[error("it was trained on no examples")]
    NoExamples,
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of its domain.
    #[error("invalid {name}: {detail}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A federation or partition was asked for with no clients.
    #[error("no clients: a federation needs at least one")]
    NoClients,
    /// A partition left a client without rows.
    #[error("partition left client {client} with no examples")]
    EmptyPartition {
        /// The empty client.
        client: usize,
    },
    /// Data does not fit the model or another dataset.
    #[error("shape mismatch: {detail}")]
    Shape {
        /// What disagrees.
        detail: String,
    },
    /// A client's update was rejected.
    #[error("update from {client} rejected: {fault}")]
    BadUpdate {
        /// The client that sent it.
        client: ClientId,
        /// Why it was rejected.
        fault: UpdateFault,
    },
    /// An aggregation finished without any accepted update.
    #[error("no updates to aggregate")]
    NoUpdates,
    /// Fewer clients than the configured minimum delivered a valid update.
    #[error("round {round}: {accepted} valid updates, at least {required} required")]
    TooFewClients {
        /// The round (1-based).
        round: usize,
        /// Valid updates received.
        accepted: usize,
        /// The configured minimum.
        required: usize,
    },
    /// Running another round would spend more privacy than the budget allows.
    #[error(
        "privacy budget exhausted: round {round} would reach ε = {epsilon:.4} > budget {budget} (δ = {delta:e})"
    )]
    BudgetExhausted {
        /// The round that was refused (1-based).
        round: usize,
        /// ε after that round.
        epsilon: f64,
        /// The configured budget.
        budget: f64,
        /// The δ at which ε is reported.
        delta: f64,
    },
    /// A dataset name the crate does not know.
    #[error("unknown dataset {0:?} (known: wdbc, parkinsons, pneumoniamnist, mnist)")]
    UnknownDataset(String),
    /// From the dataset crate.
    #[error(transparent)]
    Data(#[from] quantumacy_data::Error),
}

pub(crate) fn invalid(name: &'static str, detail: impl Into<String>) -> Error {
    Error::InvalidParameter { name, detail: detail.into() }
}
