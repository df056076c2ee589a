//! Binary logistic regression and multinomial (softmax) regression with L2, on a flat parameter vector.
//!
//! Notation follows Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.2 (eq. 4.90–4.91, logistic)
//! and §4.3.4 (eq. 4.108–4.109, softmax): for an `n × d` batch `X` with labels `y`,
//!
//! * logistic: `z = Xw + b`, `L = (1/n) Σ softplus(z_i) − y_i z_i + (λ/2)‖w‖²`,
//!   `∇_w L = Xᵀ(σ(z) − y)/n + λw`, `∇_b L = mean(σ(z) − y)`;
//! * softmax: `Z = XWᵀ + b`, `L = (1/n) Σ logsumexp(Z_i) − Z_{i,y_i} + (λ/2)‖W‖²_F`,
//!   `∇_W L = (softmax(Z) − Y)ᵀX/n + λW`, `∇_b L = column means of softmax(Z) − Y`.
//!
//! Both losses are evaluated with the log-sum-exp trick (`softplus(t) = max(t, 0) + ln(1 + e^{−|t|})`), so they
//! stay finite for any finite logit. The bias is not regularised (as in scikit-learn).

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use serde::Serialize;

use crate::error::{Result, invalid};

/// A linear classifier's shape. Parameters live in a flat `Vec<f64>` of length [`Model::n_params`]:
/// weights row-major (`classes × features` for softmax) followed by the bias(es).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Model {
    /// Binary logistic regression: `features` weights and one bias; labels 0/1.
    Logistic {
        /// Input dimension `d`.
        features: usize,
    },
    /// Multinomial (softmax) regression: `classes × features` weights and `classes` biases.
    Softmax {
        /// Input dimension `d`.
        features: usize,
        /// Number of classes `k ≥ 2`.
        classes: usize,
    },
}

impl Model {
    /// Binary logistic regression on `features` inputs.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] if `features` is 0.
    pub fn logistic(features: usize) -> Result<Self> {
        if features == 0 {
            return Err(invalid("features", "a model needs at least one feature"));
        }
        Ok(Model::Logistic { features })
    }

    /// Softmax regression on `features` inputs and `classes` outputs.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] if `features` is 0 or `classes < 2`.
    pub fn softmax(features: usize, classes: usize) -> Result<Self> {
        if features == 0 {
            return Err(invalid("features", "a model needs at least one feature"));
        }
        if classes < 2 {
            return Err(invalid("classes", format!("{classes}; a classifier needs at least 2")));
        }
        Ok(Model::Softmax { features, classes })
    }

    /// The model a dataset with `features` columns and `classes` labels calls for: logistic for two classes.
    ///
    /// # Errors
    /// As [`Model::logistic`] / [`Model::softmax`].
    pub fn for_data(features: usize, classes: usize) -> Result<Self> {
        if classes == 2 { Model::logistic(features) } else { Model::softmax(features, classes) }
    }

    /// Input dimension.
    pub fn n_features(&self) -> usize {
        match *self {
            Model::Logistic { features } | Model::Softmax { features, .. } => features,
        }
    }

    /// Number of classes (2 for logistic).
    pub fn n_classes(&self) -> usize {
        match *self {
            Model::Logistic { .. } => 2,
            Model::Softmax { classes, .. } => classes,
        }
    }

    /// Length `P` of the parameter vector.
    pub fn n_params(&self) -> usize {
        match *self {
            Model::Logistic { features } => features + 1,
            Model::Softmax { features, classes } => classes * (features + 1),
        }
    }

    /// All-zero parameters (the usual start for a convex problem).
    pub fn zeros(&self) -> Vec<f64> {
        vec![0.0; self.n_params()]
    }

    /// How many leading parameters are weights (regularised); the rest are biases.
    pub(crate) fn n_weights(&self) -> usize {
        match *self {
            Model::Logistic { features } => features,
            Model::Softmax { features, classes } => classes * features,
        }
    }

    /// Mean regularised loss on `(x, y)` and its gradient, written into `grad` (length `P`).
    ///
    /// The caller guarantees `x.ncols() == n_features()`, `y.len() == x.nrows() > 0`, labels `< n_classes()`,
    /// `params.len() == grad.len() == P` (checked when data enters the crate).
    pub(crate) fn loss_grad(
        &self,
        params: &[f64],
        x: ArrayView2<'_, f64>,
        y: &[u8],
        l2: f64,
        grad: &mut [f64],
    ) -> f64 {
        let n = x.nrows() as f64;
        let nw = self.n_weights();
        let (w, b) = params.split_at(nw);
        let reg = 0.5 * l2 * w.iter().map(|v| v * v).sum::<f64>();
        match *self {
            Model::Logistic { .. } => {
                let mut z = x.dot(&ArrayView1::from(w));
                let mut loss = 0.0;
                for (zi, &yi) in z.iter_mut().zip(y) {
                    let t = *zi + b[0];
                    loss += softplus(t) - f64::from(yi) * t;
                    *zi = (sigmoid(t) - f64::from(yi)) / n; // residual, reused for the gradient
                }
                // Xᵀr as a sum of row axpys: rows are contiguous, a transposed mat-vec would stride.
                let gw = &mut grad[..nw];
                gw.iter_mut().zip(w).for_each(|(g, &wj)| *g = l2 * wj);
                for (row, &ri) in x.rows().into_iter().zip(&z) {
                    gw.iter_mut().zip(row).for_each(|(g, &xij)| *g += ri * xij);
                }
                grad[nw] = z.sum();
                loss / n + reg
            }
            Model::Softmax { features, classes } => {
                let wm = ArrayView2::from_shape((classes, features), w).unwrap_or_else(|_| unreachable!());
                let mut r = x.dot(&wm.t()); // n × k logits, then residuals
                let mut loss = 0.0;
                for (mut row, &yi) in r.axis_iter_mut(Axis(0)).zip(y) {
                    row += &ArrayView1::from(b);
                    let lse = log_sum_exp(row.view());
                    loss += lse - row[usize::from(yi)];
                    row.mapv_inplace(|v| (v - lse).exp() / n);
                    row[usize::from(yi)] -= 1.0 / n;
                }
                let gw = r.t().dot(&x); // k × d
                for ((g, &gwj), &wj) in grad.iter_mut().zip(gw.iter()).zip(w) {
                    *g = gwj + l2 * wj;
                }
                for (g, col) in grad[nw..].iter_mut().zip(r.axis_iter(Axis(1))) {
                    *g = col.sum();
                }
                loss / n + reg
            }
        }
    }

    /// Class probabilities, `n × k` (logistic: columns `1 − p, p`).
    pub fn predict_proba(&self, params: &[f64], x: ArrayView2<'_, f64>) -> Array2<f64> {
        let nw = self.n_weights();
        let (w, b) = params.split_at(nw);
        match *self {
            Model::Logistic { .. } => {
                let z = x.dot(&ArrayView1::from(w));
                let mut p = Array2::zeros((x.nrows(), 2));
                for (mut row, zi) in p.axis_iter_mut(Axis(0)).zip(z) {
                    let s = sigmoid(zi + b[0]);
                    row[0] = 1.0 - s;
                    row[1] = s;
                }
                p
            }
            Model::Softmax { features, classes } => {
                let wm = ArrayView2::from_shape((classes, features), w).unwrap_or_else(|_| unreachable!());
                let mut z = x.dot(&wm.t());
                for mut row in z.axis_iter_mut(Axis(0)) {
                    row += &ArrayView1::from(b);
                    let lse = log_sum_exp(row.view());
                    row.mapv_inplace(|v| (v - lse).exp());
                }
                z
            }
        }
    }

    /// Predicted labels (arg-max probability; ties go to the lower label).
    pub fn predict(&self, params: &[f64], x: ArrayView2<'_, f64>) -> Vec<u8> {
        argmax_rows(&self.predict_proba(params, x))
    }
}

/// Index of the largest entry of each row, as a label.
pub(crate) fn argmax_rows(p: &Array2<f64>) -> Vec<u8> {
    p.axis_iter(Axis(0))
        .map(|row| {
            let mut best = 0;
            for (j, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = j;
                }
            }
            u8::try_from(best).unwrap_or(u8::MAX) // k ≤ 256 classes (quantumacy-data's invariant)
        })
        .collect()
}

/// `ln(1 + eᵗ)` without overflow.
pub(crate) fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// The logistic function, evaluated on the side where `e^{−|t|}` cannot overflow.
pub(crate) fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// `ln Σ eᵛ`, shifted by the maximum.
pub(crate) fn log_sum_exp(v: ArrayView1<'_, f64>) -> f64 {
    let m = v.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    if !m.is_finite() {
        return m;
    }
    m + v.iter().map(|&x| (x - m).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    /// Central finite differences agree with the analytic gradient (both models, with L2).
    #[test]
    fn gradients_match_finite_differences() {
        let x = array![[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 0.1], [1.0, 1.0, 1.0]];
        let cases = [
            (Model::logistic(3).unwrap(), vec![1u8, 0, 1, 0]),
            (Model::softmax(3, 3).unwrap(), vec![2u8, 0, 1, 1]),
        ];
        for (model, y) in cases {
            let p: Vec<f64> = (0..model.n_params()).map(|i| 0.1 * i as f64 - 0.3).collect();
            let mut g = vec![0.0; p.len()];
            model.loss_grad(&p, x.view(), &y, 0.1, &mut g);
            for i in 0..p.len() {
                let h = 1e-6;
                let (mut a, mut b) = (p.clone(), p.clone());
                a[i] += h;
                b[i] -= h;
                let mut scratch = vec![0.0; p.len()];
                let fd = (model.loss_grad(&a, x.view(), &y, 0.1, &mut scratch)
                    - model.loss_grad(&b, x.view(), &y, 0.1, &mut scratch))
                    / (2.0 * h);
                assert!((fd - g[i]).abs() < 1e-8, "{model:?} param {i}: fd {fd} vs {}", g[i]);
            }
        }
    }

    /// Logits of ±800 overflow a naive `exp`; the stable forms stay finite and exact in the limit.
    #[test]
    fn losses_are_stable_for_huge_logits() {
        assert_eq!(softplus(800.0), 800.0);
        assert_eq!(softplus(-800.0), 0.0);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(sigmoid(800.0), 1.0);
        let x = array![[1.0]];
        let m = Model::softmax(1, 2).unwrap();
        let mut g = vec![0.0; 4];
        let loss = m.loss_grad(&[800.0, -800.0, 0.0, 0.0], x.view(), &[1], 0.0, &mut g);
        assert!((loss - 1600.0).abs() < 1e-9, "{loss}");
        let lg = Model::logistic(1).unwrap();
        let loss = lg.loss_grad(&[-800.0, 0.0], x.view(), &[1], 0.0, &mut g[..2]);
        assert!((loss - 800.0).abs() < 1e-9, "{loss}");
    }

    #[test]
    fn two_class_softmax_and_logistic_agree() {
        // softmax with W = [0; w], b = [0; b] is logistic with (w, b).
        let x = array![[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]];
        let lg = Model::logistic(2).unwrap();
        let sm = Model::softmax(2, 2).unwrap();
        let pl = lg.predict_proba(&[0.7, -0.4, 0.2], x.view());
        let ps = sm.predict_proba(&[0.0, 0.0, 0.7, -0.4, 0.0, 0.2], x.view());
        for (a, b) in pl.iter().zip(ps.iter()) {
            assert!((a - b).abs() < 1e-15);
        }
        assert_eq!(lg.predict(&[0.7, -0.4, 0.2], x.view()), vec![1, 1, 0]);
    }

    #[test]
    fn shapes_are_validated() {
        assert!(Model::logistic(0).is_err());
        assert!(Model::softmax(3, 1).is_err());
        assert_eq!(Model::softmax(784, 10).unwrap().n_params(), 7850);
        assert_eq!(Model::for_data(30, 2).unwrap(), Model::Logistic { features: 30 });
    }
}
