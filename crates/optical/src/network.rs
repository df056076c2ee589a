//! The networks of Sulimany et al. (arXiv:2408.05629, Methods; the authors' `QNetCast_with_MNIST` notebook):
//! bias-free layers, ReLU between layers, every layer's input L2-normalised (x̂ = x/‖x‖, which the optical
//! protocol needs), trained noise-free with Adam (lr 1e-3, batch 64) on cross-entropy, evaluated with either
//! engine's noise. The MLP is 784 → 784 → 10; the linear model 784 → 10.

use ndarray::{Array1, Array2, ArrayView2, Axis, Zip};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Uniform};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, check_finite};
use crate::gaussian::Engine;

/// A bias-free feed-forward network with L2-normalised layer inputs and ReLU between layers.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    layers: Vec<Array2<f32>>,
}

/// Training hyper-parameters (the authors' defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Mini-batch size (64).
    pub batch: usize,
    /// Adam learning rate (1e-3).
    pub learning_rate: f32,
    /// Seed of the initialisation and the shuffles.
    pub seed: u64,
    /// Stop after this many optimiser steps (`None`: run all epochs).
    pub max_steps: Option<usize>,
    /// Polyak averaging: keep an exponential moving average of the weights with this decay (e.g. 0.999) and
    /// return it as the trained network (Polyak & Juditsky 1992); `None` returns the last iterate.
    pub ema_decay: Option<f32>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 30,
            batch: 64,
            learning_rate: 1e-3,
            seed: 2024,
            max_steps: None,
            ema_decay: Some(0.999),
        }
    }
}

impl Network {
    /// A network with layer widths `sizes` (e.g. `[784, 784, 10]`), initialised like PyTorch's `nn.Linear`:
    /// U(−1/√fan_in, 1/√fan_in).
    ///
    /// # Errors
    /// [`Error::Empty`] for fewer than two sizes or a zero width.
    pub fn random(sizes: &[usize], seed: u64) -> Result<Self> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(Error::Empty { what: "network layer sizes" });
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let layers = sizes
            .windows(2)
            .map(|p| {
                let bound = 1.0 / (p[0] as f32).sqrt();
                let u = Uniform::new(-bound, bound).map_err(|_| Error::Empty { what: "layer" })?;
                Ok(Array2::from_shape_simple_fn((p[1], p[0]), || u.sample(&mut rng)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Network { layers })
    }

    /// A network from its weight matrices (layer l is out_l × in_l; in_{l+1} = out_l).
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::Dimension`] for chained shapes that do not fit, [`Error::NonFinite`].
    pub fn from_layers(layers: Vec<Array2<f32>>) -> Result<Self> {
        if layers.is_empty() || layers.iter().any(|l| l.is_empty()) {
            return Err(Error::Empty { what: "network layers" });
        }
        for p in layers.windows(2) {
            if p[1].ncols() != p[0].nrows() {
                return Err(Error::Dimension {
                    what: "layer chain",
                    expected: p[0].nrows(),
                    found: p[1].ncols(),
                });
            }
        }
        for l in &layers {
            check_finite("network weights", l.iter())?;
        }
        Ok(Network { layers })
    }

    /// The weight matrices.
    pub fn layers(&self) -> &[Array2<f32>] {
        &self.layers
    }

    /// Layer widths, input first.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.layers[0].ncols()];
        s.extend(self.layers.iter().map(|l| l.nrows()));
        s
    }

    /// Noise-free logits for a batch (rows are inputs).
    ///
    /// # Errors
    /// As [`Network::logits`].
    pub fn logits_clean(&self, batch: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        self.check_input(batch)?;
        let mut h = batch.to_owned();
        for (l, w) in self.layers.iter().enumerate() {
            if l > 0 {
                relu_in_place(&mut h);
            }
            normalise_rows(&mut h);
            h = h.dot(&w.t());
        }
        Ok(h)
    }

    /// Logits with every layer's product computed by `engine` (the client renormalises between layers).
    /// A hidden layer that ReLU zeroes entirely carries no information; the client then sends a constant vector.
    ///
    /// # Errors
    /// [`Error::Dimension`] for inputs of the wrong width, [`Error::Empty`], [`Error::NonFinite`], and the
    /// engine's errors (e.g. an all-zero input image: [`Error::ZeroNorm`]).
    pub fn logits<E: Engine + ?Sized>(
        &self,
        engine: &E,
        batch: ArrayView2<'_, f32>,
        seed: u64,
    ) -> Result<Array2<f32>> {
        self.check_input(batch)?;
        let mut h = batch.to_owned();
        for (l, w) in self.layers.iter().enumerate() {
            if l > 0 {
                relu_in_place(&mut h);
                for mut row in h.rows_mut() {
                    if row.iter().all(|&v| v == 0.0) {
                        row.fill(1.0);
                    }
                }
            }
            h = engine.matmul(
                w.view(),
                h.view(),
                seed.wrapping_add(l as u64).wrapping_mul(0x2545_F491_4F6C_DD1D),
            )?;
        }
        Ok(h)
    }

    /// Fraction of `batch` rows whose argmax logit (noisy, via `engine`) equals the label.
    ///
    /// # Errors
    /// As [`Network::logits`], and [`Error::Dimension`] if labels and rows differ in number.
    pub fn accuracy<E: Engine + ?Sized>(
        &self,
        engine: &E,
        batch: ArrayView2<'_, f32>,
        labels: &[u8],
        seed: u64,
    ) -> Result<f64> {
        let logits = self.logits(engine, batch, seed)?;
        score(&logits, labels)
    }

    /// Noise-free accuracy.
    ///
    /// # Errors
    /// As [`Network::accuracy`].
    pub fn accuracy_clean(&self, batch: ArrayView2<'_, f32>, labels: &[u8]) -> Result<f64> {
        score(&self.logits_clean(batch)?, labels)
    }

    fn check_input(&self, batch: ArrayView2<'_, f32>) -> Result<()> {
        if batch.nrows() == 0 {
            return Err(Error::Empty { what: "batch" });
        }
        let d = self.layers[0].ncols();
        if batch.ncols() != d {
            return Err(Error::Dimension { what: "network input", expected: d, found: batch.ncols() });
        }
        check_finite("batch", batch.iter())
    }

    /// Trains noise-free with Adam on softmax cross-entropy; returns the mean loss of each epoch.
    ///
    /// # Errors
    /// [`Error::Dimension`] for mismatched inputs/labels or a label beyond the output width, [`Error::Empty`],
    /// [`Error::NonFinite`].
    pub fn train(
        &mut self,
        inputs: ArrayView2<'_, f32>,
        labels: &[u8],
        config: &TrainConfig,
    ) -> Result<Vec<f64>> {
        self.train_with(inputs, labels, config, |_, _, _| {})
    }

    /// As [`Network::train`], calling `on_epoch(epoch, mean_loss, &network)` after every epoch.
    ///
    /// # Errors
    /// As [`Network::train`].
    pub fn train_with(
        &mut self,
        inputs: ArrayView2<'_, f32>,
        labels: &[u8],
        config: &TrainConfig,
        mut on_epoch: impl FnMut(usize, f64, &Network),
    ) -> Result<Vec<f64>> {
        self.check_input(inputs)?;
        if labels.len() != inputs.nrows() {
            return Err(Error::Dimension { what: "labels", expected: inputs.nrows(), found: labels.len() });
        }
        let classes = self.layers.last().map_or(0, Array2::nrows);
        if let Some(&bad) = labels.iter().find(|&&l| usize::from(l) >= classes) {
            return Err(Error::Dimension { what: "label", expected: classes, found: usize::from(bad) });
        }
        if config.batch == 0 {
            return Err(Error::Empty { what: "mini-batch" });
        }
        let mut adam = Adam::new(&self.layers, config.learning_rate);
        let mut average = config.ema_decay.map(|d| (d, self.layers.clone()));
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.seed ^ 0x5eed);
        let mut order: Vec<usize> = (0..inputs.nrows()).collect();
        let mut losses = Vec::with_capacity(config.epochs);
        let mut steps = 0;
        'epochs: for epoch in 0..config.epochs {
            order.shuffle(&mut rng);
            let (mut total, mut seen) = (0.0, 0usize);
            for idx in order.chunks(config.batch) {
                let x = inputs.select(Axis(0), idx);
                let y: Vec<u8> = idx.iter().map(|&i| labels[i]).collect();
                let (loss, grads) = self.gradients(x.view(), &y);
                adam.step(&mut self.layers, &grads);
                if let Some((decay, avg)) = &mut average {
                    // Bias-corrected early on: the effective decay ramps up as min(d, (1+t)/(10+t)).
                    let d = decay.min((1.0 + steps as f32) / (10.0 + steps as f32));
                    for (a, w) in avg.iter_mut().zip(&self.layers) {
                        Zip::from(a).and(w).for_each(|a, &w| *a = d * *a + (1.0 - d) * w);
                    }
                }
                total += loss * idx.len() as f64;
                seen += idx.len();
                steps += 1;
                if config.max_steps.is_some_and(|m| steps >= m) {
                    losses.push(total / seen as f64);
                    break 'epochs;
                }
            }
            losses.push(total / seen as f64);
            match &average {
                Some((_, avg)) => on_epoch(epoch, total / seen as f64, &Network { layers: avg.clone() }),
                None => on_epoch(epoch, total / seen as f64, self),
            }
        }
        if let Some((_, avg)) = average {
            self.layers = avg;
        }
        Ok(losses)
    }

    /// Mean cross-entropy and its gradient with respect to every weight matrix (backpropagation through ReLU and
    /// the L2 normalisations: d(x/‖x‖) = (I − x̂x̂ᵀ)/‖x‖).
    fn gradients(&self, x: ArrayView2<'_, f32>, labels: &[u8]) -> (f64, Vec<Array2<f32>>) {
        let b = x.nrows() as f32;
        // Forward, keeping each layer's normalised input, its norm and the pre-activation.
        let mut inputs = Vec::with_capacity(self.layers.len());
        let mut norms = Vec::with_capacity(self.layers.len());
        let mut pre = Vec::with_capacity(self.layers.len());
        let mut h = x.to_owned();
        for (l, w) in self.layers.iter().enumerate() {
            if l > 0 {
                relu_in_place(&mut h);
            }
            norms.push(normalise_rows(&mut h));
            let z = h.dot(&w.t());
            inputs.push(h);
            h = z.clone();
            pre.push(z);
        }
        // Softmax cross-entropy.
        let mut delta = h;
        let mut loss = 0.0;
        for (mut row, &y) in delta.rows_mut().into_iter().zip(labels) {
            let max = row.fold(f32::NEG_INFINITY, |a, &v| a.max(v));
            row.mapv_inplace(|v| (v - max).exp());
            let sum = row.sum();
            row /= sum;
            loss -= f64::from(row[usize::from(y)].max(1e-30).ln());
            row[usize::from(y)] -= 1.0;
            row /= b;
        }
        let mut grads = vec![Array2::zeros((0, 0)); self.layers.len()];
        for l in (0..self.layers.len()).rev() {
            grads[l] = delta.t().dot(&inputs[l]);
            if l == 0 {
                break;
            }
            // Through the normalisation of layer l's input, then the ReLU of layer l−1's output.
            let dxhat = delta.dot(&self.layers[l]);
            let mut dh = dxhat;
            Zip::from(dh.rows_mut()).and(inputs[l].rows()).and(&norms[l]).for_each(|mut g, xh, &n| {
                let proj = g.dot(&xh);
                g.zip_mut_with(&xh, |gi, &xi| *gi = if n > 0.0 { (*gi - proj * xi) / n } else { 0.0 });
            });
            Zip::from(&mut dh).and(&pre[l - 1]).for_each(|g, &z| {
                if z <= 0.0 {
                    *g = 0.0;
                }
            });
            delta = dh;
        }
        (loss / f64::from(b), grads)
    }
}

/// Argmax accuracy.
fn score(logits: &Array2<f32>, labels: &[u8]) -> Result<f64> {
    if labels.len() != logits.nrows() {
        return Err(Error::Dimension { what: "labels", expected: logits.nrows(), found: labels.len() });
    }
    let correct = logits
        .rows()
        .into_iter()
        .zip(labels)
        .filter(|(row, y)| {
            let best = row
                .iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |a, (i, &v)| if v > a.1 { (i, v) } else { a });
            best.0 == usize::from(**y)
        })
        .count();
    Ok(correct as f64 / labels.len() as f64)
}

fn relu_in_place(h: &mut Array2<f32>) {
    h.mapv_inplace(|v| v.max(0.0));
}

/// Divides each row by its norm (rows of norm 0 stay 0); returns the norms.
fn normalise_rows(h: &mut Array2<f32>) -> Array1<f32> {
    let norms: Array1<f32> = h.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect();
    Zip::from(h.rows_mut()).and(&norms).for_each(|mut row, &n| {
        if n > 0.0 {
            row /= n;
        }
    });
    norms
}

/// Adam (Kingma & Ba, ICLR 2015, Algorithm 1) with β1 = 0.9, β2 = 0.999, ε = 1e-8.
struct Adam {
    lr: f32,
    t: i32,
    m: Vec<Array2<f32>>,
    v: Vec<Array2<f32>>,
}

impl Adam {
    fn new(layers: &[Array2<f32>], lr: f32) -> Self {
        let zeros: Vec<Array2<f32>> = layers.iter().map(|l| Array2::zeros(l.raw_dim())).collect();
        Adam { lr, t: 0, m: zeros.clone(), v: zeros }
    }

    fn step(&mut self, layers: &mut [Array2<f32>], grads: &[Array2<f32>]) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.t += 1;
        let (c1, c2) = (1.0 - B1.powi(self.t), 1.0 - B2.powi(self.t));
        let lr = self.lr;
        for ((w, g), (m, v)) in layers.iter_mut().zip(grads).zip(self.m.iter_mut().zip(self.v.iter_mut())) {
            Zip::from(w).and(g).and(m).and(v).for_each(|w, &g, m, v| {
                *m = B1 * *m + (1.0 - B1) * g;
                *v = B2 * *v + (1.0 - B2) * g * g;
                *w -= lr * (*m / c1) / ((*v / c2).sqrt() + 1e-8);
            });
        }
    }
}

/// MNIST pixels (0–255) to the network's inputs: Normalize(0.5, 0.5), i.e. 2·p/255 − 1 ∈ [−1, 1].
///
/// # Errors
/// [`Error::Empty`] for an empty image set.
pub fn mnist_inputs(images: &ndarray::Array3<u8>) -> Result<Array2<f32>> {
    let (n, r, c) = images.dim();
    if n == 0 || r * c == 0 {
        return Err(Error::Empty { what: "image set" });
    }
    let pixels: Vec<f32> = images.iter().map(|&p| f32::from(p) / 127.5 - 1.0).collect();
    Array2::from_shape_vec((n, r * c), pixels).map_err(|e| Error::Format { detail: e.to_string() })
}
