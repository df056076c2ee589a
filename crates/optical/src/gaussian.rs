//! The abstract Gaussian engine of Sulimany et al. (arXiv:2408.05629, Methods "noise model"; PRX 15, 041056):
//! per layer y = s·(W x̂) + N(0, I) with s = sqrt(F/mean(W²)), F the signal-to-noise set by (μ, G).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::error::{Error, Result, check_finite, check_range};

/// Rows of a batch handled by one parallel task (each task draws from its own seeded stream).
const CHUNK: usize = 256;

/// A noisy linear-algebra engine: estimates W·x for each data vector x, with the noise the optical protocol adds.
///
/// The output is ‖x‖·(W x̂ + n/s): an unbiased estimate of W·x whose per-entry noise has standard deviation
/// ‖x‖/s, s = sqrt(F/mean(W²)), where F is the engine's per-layer signal-to-noise ratio.
pub trait Engine: Sync {
    /// The engine's signal-to-noise ratio F.
    fn snr(&self) -> f64;

    /// Noisy W·xᵀ for every row x of `batch` (batch × d) with W (m × d); returns batch × m. `seed` fixes the noise.
    ///
    /// # Errors
    /// [`Error::Dimension`] if the widths differ, [`Error::Empty`] for an empty W or batch,
    /// [`Error::NonFinite`] for NaN or infinite entries, [`Error::ZeroNorm`] for an all-zero W or data row.
    fn matmul(&self, w: ArrayView2<'_, f32>, batch: ArrayView2<'_, f32>, seed: u64) -> Result<Array2<f32>>;

    /// Noisy W·x for one data vector.
    ///
    /// # Errors
    /// As [`Engine::matmul`].
    fn matvec(&self, w: ArrayView2<'_, f32>, x: ArrayView1<'_, f32>, seed: u64) -> Result<Array1<f32>> {
        let batch = x.insert_axis(Axis(0));
        Ok(self.matmul(w, batch, seed)?.row(0).to_owned())
    }
}

/// The Gaussian engine: y = s·(W x̂) + N(0, I), rescaled to estimate W·x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianEngine {
    snr: f64,
}

impl GaussianEngine {
    /// An engine with signal-to-noise `snr` = F > 0 (use `f64::INFINITY` for the noise-free product).
    ///
    /// # Errors
    /// [`Error::Parameter`] for F ≤ 0 or NaN.
    pub fn new(snr: f64) -> Result<Self> {
        if snr == f64::INFINITY {
            return Ok(GaussianEngine { snr });
        }
        Ok(GaussianEngine { snr: check_range("F", snr, 0.0, false, f64::MAX, "F > 0")? })
    }
}

impl Engine for GaussianEngine {
    fn snr(&self) -> f64 {
        self.snr
    }

    fn matmul(&self, w: ArrayView2<'_, f32>, batch: ArrayView2<'_, f32>, seed: u64) -> Result<Array2<f32>> {
        let (scale, norms, xhat) = prepare(w, batch)?;
        let sigma = if self.snr.is_finite() { Some(1.0 / (scale * self.snr.sqrt()) as f32) } else { None };
        let mut y = Array2::<f32>::zeros((batch.nrows(), w.nrows()));
        // Each task multiplies its block of rows (matrixmultiply is single-threaded) and draws its own noise.
        y.axis_chunks_iter_mut(Axis(0), CHUNK)
            .into_par_iter()
            .zip(xhat.axis_chunks_iter(Axis(0), CHUNK))
            .zip(norms.axis_chunks_iter(Axis(0), CHUNK))
            .enumerate()
            .for_each(|(k, ((mut rows, x), n))| {
                ndarray::linalg::general_mat_mul(1.0, &x, &w.t(), 0.0, &mut rows);
                let mut rng = chunk_rng(seed, k as u64);
                Zip::from(rows.rows_mut()).and(&n).for_each(|mut row, &norm| {
                    if let Some(sigma) = sigma {
                        row.iter_mut().for_each(|v| {
                            *v += sigma * Distribution::<f32>::sample(&StandardNormal, &mut rng)
                        });
                    }
                    row *= norm;
                });
            });
        Ok(y)
    }
}

/// Validates W and the batch; returns sqrt(1/mean(W²)) (so s = scale·√F), the row norms ‖x‖ and x̂.
pub(crate) fn prepare(
    w: ArrayView2<'_, f32>,
    batch: ArrayView2<'_, f32>,
) -> Result<(f64, Array1<f32>, Array2<f32>)> {
    if w.is_empty() {
        return Err(Error::Empty { what: "weight matrix" });
    }
    if batch.nrows() == 0 {
        return Err(Error::Empty { what: "batch" });
    }
    if w.ncols() != batch.ncols() {
        return Err(Error::Dimension { what: "W·x", expected: w.ncols(), found: batch.ncols() });
    }
    check_finite("weight matrix", w.iter())?;
    check_finite("batch", batch.iter())?;
    let mean_sq = w.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / w.len() as f64;
    if mean_sq == 0.0 {
        return Err(Error::ZeroNorm { what: "weight matrix" });
    }
    let norms: Array1<f32> = batch.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect();
    if norms.iter().any(|&n| n == 0.0 || !n.is_finite()) {
        return Err(Error::ZeroNorm { what: "batch row" });
    }
    let mut xhat = batch.to_owned();
    Zip::from(xhat.rows_mut()).and(&norms).for_each(|mut row, &n| row /= n);
    Ok((1.0 / mean_sq.sqrt(), norms, xhat))
}

/// An independent, reproducible stream for parallel task `k` of a run seeded with `seed`.
pub(crate) fn chunk_rng(seed: u64, k: u64) -> Xoshiro256PlusPlus {
    // seed_from_u64 expands through SplitMix64, so neighbouring inputs give unrelated states.
    Xoshiro256PlusPlus::seed_from_u64(seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}
