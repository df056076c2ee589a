//! Local training: full-batch gradient descent, mini-batch SGD and Adam, with an optional FedProx term.
//!
//! FedProx (Li et al., MLSys 2020, eq. 2) adds `(μ/2)‖w − w_t‖²` to a client's loss, i.e. `μ(w − w_t)` to its
//! gradient, where `w_t` is the global model the round started from. Adam is Kingma & Ba (ICLR 2015),
//! Algorithm 1, with bias-corrected moments; its state lives for one local training run.

use ndarray::{ArrayView2, Axis};
use quantumacy_data::Dataset;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::error::{Error, Result, invalid};
use crate::model::Model;

/// The optimiser a client runs locally.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub enum Optimizer {
    /// Full-batch gradient descent: one step per epoch.
    Gd,
    /// Mini-batch SGD: the rows are reshuffled every epoch and visited in batches.
    Sgd {
        /// Rows per batch (the last batch may be smaller).
        batch_size: usize,
    },
    /// Adam on mini-batches (`batch_size = usize::MAX` for full batch).
    Adam {
        /// Rows per batch.
        batch_size: usize,
        /// First-moment decay β₁ (0.9 in the paper).
        beta1: f64,
        /// Second-moment decay β₂ (0.999).
        beta2: f64,
        /// ε in the denominator (1e-8).
        eps: f64,
    },
}

impl Optimizer {
    /// Adam with the paper's defaults and the given batch size.
    pub fn adam(batch_size: usize) -> Self {
        Optimizer::Adam { batch_size, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

/// How a client trains each round (also used for centralized training).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LocalConfig {
    /// Passes over the local data.
    pub epochs: usize,
    /// Step size η.
    pub learning_rate: f64,
    /// L2 coefficient λ on the weights (not the biases).
    pub l2: f64,
    /// The local optimiser.
    pub optimizer: Optimizer,
    /// FedProx proximal coefficient μ (0 = FedAvg).
    pub prox_mu: f64,
}

impl Default for LocalConfig {
    /// The FL reference setup: 5 full-batch epochs, η = 0.5, λ = 10⁻³, no proximal term.
    fn default() -> Self {
        LocalConfig { epochs: 5, learning_rate: 0.5, l2: 1e-3, optimizer: Optimizer::Gd, prox_mu: 0.0 }
    }
}

impl LocalConfig {
    /// Checks every field's domain.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let positive = |name, v: f64| {
            if v.is_finite() && v > 0.0 { Ok(()) } else { Err(invalid(name, format!("{v}; must be > 0"))) }
        };
        let non_negative = |name, v: f64| {
            if v.is_finite() && v >= 0.0 { Ok(()) } else { Err(invalid(name, format!("{v}; must be ≥ 0"))) }
        };
        if self.epochs == 0 {
            return Err(invalid("local epochs", "0; must be ≥ 1"));
        }
        positive("learning rate", self.learning_rate)?;
        non_negative("l2", self.l2)?;
        non_negative("prox mu", self.prox_mu)?;
        match self.optimizer {
            Optimizer::Gd => Ok(()),
            Optimizer::Sgd { batch_size } | Optimizer::Adam { batch_size, .. } if batch_size == 0 => {
                Err(invalid("batch size", "0; must be ≥ 1"))
            }
            Optimizer::Sgd { .. } => Ok(()),
            Optimizer::Adam { beta1, beta2, eps, .. } => {
                if !(0.0..1.0).contains(&beta1) || !(0.0..1.0).contains(&beta2) {
                    return Err(invalid("adam betas", format!("({beta1}, {beta2}); must be in [0, 1)")));
                }
                positive("adam eps", eps)
            }
        }
    }
}

/// Checks that `data` fits `model` (feature count, label range, non-empty).
pub(crate) fn check_data(model: &Model, data: &Dataset) -> Result<()> {
    if data.is_empty() {
        return Err(Error::Shape { detail: format!("dataset {:?} has no rows", data.name()) });
    }
    if data.n_features() != model.n_features() {
        return Err(Error::Shape {
            detail: format!("{} features, model expects {}", data.n_features(), model.n_features()),
        });
    }
    if data.n_classes() > model.n_classes() {
        return Err(Error::Shape {
            detail: format!("{} classes, model has {}", data.n_classes(), model.n_classes()),
        });
    }
    Ok(())
}

/// Trains `model` from `start` on `data` and returns the final parameters.
///
/// # Errors
/// [`Error::InvalidParameter`] for a bad configuration, [`Error::Shape`] if `start` or `data` do not fit the model.
pub fn train<R: Rng + ?Sized>(
    model: &Model,
    start: &[f64],
    data: &Dataset,
    config: &LocalConfig,
    rng: &mut R,
) -> Result<Vec<f64>> {
    config.validate()?;
    check_data(model, data)?;
    if start.len() != model.n_params() {
        return Err(Error::Shape {
            detail: format!("{} start parameters, model has {}", start.len(), model.n_params()),
        });
    }
    Ok(train_checked(model, start, data.features().view(), data.labels(), config, rng))
}

/// Centralized training from zero parameters: the baseline federated training is compared with.
///
/// # Errors
/// As [`train`].
pub fn fit<R: Rng + ?Sized>(
    model: &Model,
    data: &Dataset,
    config: &LocalConfig,
    rng: &mut R,
) -> Result<Vec<f64>> {
    train(model, &model.zeros(), data, config, rng)
}

/// [`train`] after validation.
pub(crate) fn train_checked<R: Rng + ?Sized>(
    model: &Model,
    start: &[f64],
    x: ArrayView2<'_, f64>,
    y: &[u8],
    config: &LocalConfig,
    rng: &mut R,
) -> Vec<f64> {
    let p = model.n_params();
    let mut w = start.to_vec();
    let mut grad = vec![0.0; p];
    let lr = config.learning_rate;
    let mu = config.prox_mu;
    let mut step =
        |w: &mut Vec<f64>, xb: ArrayView2<'_, f64>, yb: &[u8], update: &mut dyn FnMut(&mut [f64], &[f64])| {
            model.loss_grad(w, xb, yb, config.l2, &mut grad);
            if mu > 0.0 {
                for ((g, wi), si) in grad.iter_mut().zip(w.iter()).zip(start) {
                    *g += mu * (wi - si);
                }
            }
            update(w, &grad);
        };
    match config.optimizer {
        Optimizer::Gd => {
            for _ in 0..config.epochs {
                step(&mut w, x, y, &mut |w, g| {
                    for (wi, gi) in w.iter_mut().zip(g) {
                        *wi -= lr * gi;
                    }
                });
            }
        }
        Optimizer::Sgd { batch_size } => {
            let mut order: Vec<usize> = (0..y.len()).collect();
            for _ in 0..config.epochs {
                order.shuffle(rng);
                for batch in order.chunks(batch_size) {
                    let (xb, yb) = gather(x, y, batch);
                    step(&mut w, xb.view(), &yb, &mut |w, g| {
                        for (wi, gi) in w.iter_mut().zip(g) {
                            *wi -= lr * gi;
                        }
                    });
                }
            }
        }
        Optimizer::Adam { batch_size, beta1, beta2, eps } => {
            let (mut m, mut v) = (vec![0.0; p], vec![0.0; p]);
            let mut t = 0;
            let mut order: Vec<usize> = (0..y.len()).collect();
            for _ in 0..config.epochs {
                order.shuffle(rng);
                for batch in order.chunks(batch_size.min(y.len())) {
                    let (xb, yb) = gather(x, y, batch);
                    t += 1;
                    let (c1, c2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
                    step(&mut w, xb.view(), &yb, &mut |w, g| {
                        for (((wi, gi), mi), vi) in w.iter_mut().zip(g).zip(&mut m).zip(&mut v) {
                            *mi = beta1 * *mi + (1.0 - beta1) * gi;
                            *vi = beta2 * *vi + (1.0 - beta2) * gi * gi;
                            *wi -= lr * (*mi / c1) / ((*vi / c2).sqrt() + eps);
                        }
                    });
                }
            }
        }
    }
    w
}

fn gather(x: ArrayView2<'_, f64>, y: &[u8], rows: &[usize]) -> (ndarray::Array2<f64>, Vec<u8>) {
    (x.select(Axis(0), rows), rows.iter().map(|&i| y[i]).collect())
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;
    use quantumacy_testkit::rng;

    use super::*;

    fn blobs(n: usize) -> Dataset {
        let mut r = rng(3);
        let labels: Vec<u8> = (0..n).map(|i| u8::from(i % 2 == 1)).collect();
        let x = Array2::from_shape_fn((n, 2), |(i, j)| {
            let centre = if labels[i] == 1 { 1.5 } else { -1.5 };
            centre * if j == 0 { 1.0 } else { 0.5 } + (r.next_u32() as f64 / u32::MAX as f64 - 0.5)
        });
        Dataset::new("blobs", x, labels, vec!["a".into(), "b".into()], vec!["x".into(), "y".into()], None)
            .unwrap()
    }

    fn loss(model: &Model, w: &[f64], d: &Dataset) -> f64 {
        let mut g = vec![0.0; w.len()];
        model.loss_grad(w, d.features().view(), d.labels(), 1e-3, &mut g)
    }

    #[test]
    fn every_optimizer_lowers_the_loss() {
        let d = blobs(200);
        let m = Model::logistic(2).unwrap();
        let start = loss(&m, &m.zeros(), &d);
        for (optimizer, learning_rate) in
            [(Optimizer::Gd, 1.0), (Optimizer::Sgd { batch_size: 16 }, 0.05), (Optimizer::adam(32), 0.05)]
        {
            let cfg = LocalConfig { epochs: 10, learning_rate, optimizer, ..LocalConfig::default() };
            let w = fit(&m, &d, &cfg, &mut rng(1)).unwrap();
            let end = loss(&m, &w, &d);
            assert!(end < 0.5 * start, "{optimizer:?}: {start} → {end}");
        }
    }

    #[test]
    fn prox_term_pulls_towards_the_start() {
        let d = blobs(100);
        let m = Model::logistic(2).unwrap();
        let start = vec![0.0, 0.0, 0.0];
        let free = fit(&m, &d, &LocalConfig::default(), &mut rng(1)).unwrap();
        let cfg = LocalConfig { prox_mu: 10.0, learning_rate: 0.05, ..LocalConfig::default() };
        let held = train(&m, &start, &d, &cfg, &mut rng(1)).unwrap();
        let norm = |w: &[f64]| w.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!(norm(&held) < norm(&free));
    }

    #[test]
    fn bad_configurations_and_shapes_are_refused() {
        let d = blobs(10);
        let m = Model::logistic(2).unwrap();
        let bad = [
            LocalConfig { epochs: 0, ..LocalConfig::default() },
            LocalConfig { learning_rate: 0.0, ..LocalConfig::default() },
            LocalConfig { learning_rate: f64::NAN, ..LocalConfig::default() },
            LocalConfig { l2: -1.0, ..LocalConfig::default() },
            LocalConfig { optimizer: Optimizer::Sgd { batch_size: 0 }, ..LocalConfig::default() },
            LocalConfig {
                optimizer: Optimizer::Adam { batch_size: 4, beta1: 1.0, beta2: 0.9, eps: 1e-8 },
                ..LocalConfig::default()
            },
        ];
        for cfg in bad {
            assert!(matches!(fit(&m, &d, &cfg, &mut rng(0)), Err(Error::InvalidParameter { .. })), "{cfg:?}");
        }
        let wrong = Model::logistic(3).unwrap();
        assert!(matches!(fit(&wrong, &d, &LocalConfig::default(), &mut rng(0)), Err(Error::Shape { .. })));
        assert!(matches!(
            train(&m, &[0.0], &d, &LocalConfig::default(), &mut rng(0)),
            Err(Error::Shape { .. })
        ));
    }
}
