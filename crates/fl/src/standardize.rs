//! Standardization without pooling data: each hospital sends per-feature sums, sums of squares and its row
//! count; the server combines them into global means and variances. No raw row leaves a hospital.
//!
//! With `n = Σ n_h`, `S₁ = Σ S₁ₕ`, `S₂ = Σ S₂ₕ`: `mean = S₁/n`, `var = S₂/n − mean²` (population variance, as
//! scikit-learn's `StandardScaler`), and a feature with zero variance is left unscaled (scale 1), also as
//! scikit-learn does. Fit it on training rows only; apply the same transform to the test set.

use ndarray::{Array2, ArrayView2, Axis};
use quantumacy_data::Dataset;
use serde::Serialize;

use crate::error::{Error, Result};

/// One hospital's contribution: `n`, `Σx` and `Σx²` per feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureStats {
    count: u64,
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
}

impl FeatureStats {
    /// The sufficient statistics of `x` (rows = examples).
    pub fn of(x: ArrayView2<'_, f64>) -> Self {
        let sum = x.sum_axis(Axis(0)).to_vec();
        let sum_sq = x.map(|v| v * v).sum_axis(Axis(0)).to_vec();
        FeatureStats { count: x.nrows() as u64, sum, sum_sq }
    }

    /// Rows summarised.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Features summarised.
    pub fn n_features(&self) -> usize {
        self.sum.len()
    }

    /// Adds another hospital's statistics.
    ///
    /// # Errors
    /// [`Error::Shape`] if the feature counts differ.
    pub fn merge(mut self, other: &FeatureStats) -> Result<Self> {
        if other.sum.len() != self.sum.len() {
            return Err(Error::Shape {
                detail: format!("feature stats of {} and {} features", self.sum.len(), other.sum.len()),
            });
        }
        self.count += other.count;
        self.sum.iter_mut().zip(&other.sum).for_each(|(a, b)| *a += b);
        self.sum_sq.iter_mut().zip(&other.sum_sq).for_each(|(a, b)| *a += b);
        Ok(self)
    }

    /// Combines hospitals' statistics into a [`Standardizer`].
    ///
    /// # Errors
    /// [`Error::NoClients`] for an empty iterator, [`Error::Shape`] for mismatched features or zero rows in total.
    pub fn combine<'a>(stats: impl IntoIterator<Item = &'a FeatureStats>) -> Result<Standardizer> {
        let mut it = stats.into_iter();
        let first = it.next().ok_or(Error::NoClients)?.clone();
        let total = it.try_fold(first, |acc, s| acc.merge(s))?;
        if total.count == 0 {
            return Err(Error::Shape { detail: "no rows to standardize with".to_owned() });
        }
        let n = total.count as f64;
        let mean: Vec<f64> = total.sum.iter().map(|s| s / n).collect();
        let scale = total
            .sum_sq
            .iter()
            .zip(&mean)
            .map(|(s2, m)| {
                let var = (s2 / n - m * m).max(0.0);
                if var > 0.0 { var.sqrt() } else { 1.0 }
            })
            .collect();
        Ok(Standardizer { mean, scale })
    }
}

/// A fitted feature-wise affine map `x ↦ (x − mean) / scale`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standardizer {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl Standardizer {
    /// Per-feature means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Per-feature scales (standard deviations; 1 where the variance is zero).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// `data` with its features standardized.
    ///
    /// # Errors
    /// [`Error::Shape`] if the feature count differs from the fitted one.
    pub fn apply(&self, data: &Dataset) -> Result<Dataset> {
        if data.n_features() != self.mean.len() {
            return Err(Error::Shape {
                detail: format!("{} features, standardizer fitted on {}", data.n_features(), self.mean.len()),
            });
        }
        let mut x: Array2<f64> = data.features().clone();
        for mut row in x.axis_iter_mut(Axis(0)) {
            for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *v = (*v - m) / s;
            }
        }
        Ok(Dataset::new(
            data.name(),
            x,
            data.labels().to_vec(),
            data.class_names().to_vec(),
            data.feature_names().to_vec(),
            data.groups().map(<[u32]>::to_vec),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    /// The federated statistics equal the pooled ones (what a central StandardScaler would compute).
    #[test]
    fn federated_stats_equal_pooled_stats() {
        let x = array![[1.0, 5.0, 2.0], [2.0, 5.0, 4.0], [4.0, 5.0, 9.0], [7.0, 5.0, 1.0], [3.0, 5.0, 3.0]];
        let (a, b) = (x.select(Axis(0), &[0, 1]), x.select(Axis(0), &[2, 3, 4]));
        let parts = [FeatureStats::of(a.view()), FeatureStats::of(b.view())];
        let fed = FeatureStats::combine(&parts).unwrap();
        let pooled = FeatureStats::combine([&FeatureStats::of(x.view())]).unwrap();
        assert_eq!(fed.mean(), pooled.mean());
        for (a, b) in fed.scale().iter().zip(pooled.scale()) {
            assert!((a - b).abs() < 1e-14);
        }
        // Column 0: mean 3.4, population variance 4.24; column 1 is constant → scale 1.
        assert!((fed.mean()[0] - 3.4).abs() < 1e-15);
        assert!((fed.scale()[0] - 4.24f64.sqrt()).abs() < 1e-14);
        assert_eq!(fed.scale()[1], 1.0);
    }

    #[test]
    fn mismatches_are_errors() {
        let a = FeatureStats::of(array![[1.0, 2.0]].view());
        let b = FeatureStats::of(array![[1.0]].view());
        assert!(matches!(FeatureStats::combine([&a, &b]), Err(Error::Shape { .. })));
        assert!(matches!(FeatureStats::combine(std::iter::empty()), Err(Error::NoClients)));
    }
}
