//! Sweeps over the operating point: accuracy vs F, accuracy and leakage maps over (μ, G), and the search for
//! the most accurate point within the leakage budget (Sulimany et al., Fig. 3 and the arXiv abstract's
//! "> 96 % with < 0.1 bit per weight symbol and < 0.01 bit per data symbol").

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gaussian::GaussianEngine;
use crate::leakage::{data_leakage, leakage};
use crate::link::{Convention, Link, Mapping};
use crate::network::Network;

/// One point of an accuracy-vs-F curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AccuracyPoint {
    /// Signal-to-noise F.
    #[serde(rename = "F")]
    pub snr: f64,
    /// Accuracy with the Gaussian engine at F (mean over the seeds).
    pub accuracy: f64,
}

/// Accuracy of `net` on (`inputs`, `labels`) with the Gaussian engine at each F in `snrs`, averaged over
/// `repeats` noise seeds derived from `seed`.
///
/// # Errors
/// As [`Network::accuracy`]; [`Error::Empty`] for no F values or zero repeats.
pub fn accuracy_vs_snr(
    net: &Network,
    inputs: ArrayView2<'_, f32>,
    labels: &[u8],
    snrs: &[f64],
    repeats: u64,
    seed: u64,
) -> Result<Vec<AccuracyPoint>> {
    if snrs.is_empty() || repeats == 0 {
        return Err(Error::Empty { what: "F grid" });
    }
    snrs.iter()
        .map(|&f| {
            let engine = GaussianEngine::new(f)?;
            let mut total = 0.0;
            for r in 0..repeats {
                total += net.accuracy(&engine, inputs, labels, seed ^ (r + 1).wrapping_mul(0x9E37_79B9))?;
            }
            Ok(AccuracyPoint { snr: f, accuracy: total / repeats as f64 })
        })
        .collect()
}

/// `n` log-spaced values from `lo` to `hi` inclusive.
pub fn log_space(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![lo];
    }
    let (a, b) = (lo.ln(), hi.ln());
    (0..n).map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp()).collect()
}

/// Linear interpolation of accuracy at F on a measured curve (log F axis), clamped to its ends.
pub fn interpolate(curve: &[AccuracyPoint], f: f64) -> f64 {
    match curve.iter().position(|p| p.snr >= f) {
        None => curve.last().map_or(f64::NAN, |p| p.accuracy),
        Some(0) => curve[0].accuracy,
        Some(i) => {
            let (p, q) = (curve[i - 1], curve[i]);
            let t = (f.ln() - p.snr.ln()) / (q.snr.ln() - p.snr.ln());
            p.accuracy + t * (q.accuracy - p.accuracy)
        }
    }
}

/// One cell of a (μ, G) map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MapCell {
    /// Photons per weight symbol.
    pub mu: f64,
    /// Client gain.
    pub gain: f64,
    /// F under the map's mapping.
    #[serde(rename = "F")]
    pub snr: f64,
    /// Accuracy, interpolated on the measured accuracy-vs-F curve (accuracy depends on (μ, G) only via F).
    pub accuracy: f64,
    /// Weight leakage per symbol (bits).
    pub weight_leakage_bits: f64,
    /// Data leakage per symbol (bits).
    pub data_leakage_bits: f64,
}

/// Accuracy and leakage over the grid `mus` × `gains` for links with `modes` modes.
///
/// # Errors
/// [`Error::Parameter`] for μ ≤ 0 or G < 1 in the grid.
pub fn map(
    curve: &[AccuracyPoint],
    mus: &[f64],
    gains: &[f64],
    modes: usize,
    mapping: Mapping,
    convention: Convention,
) -> Result<Vec<MapCell>> {
    let mut cells = Vec::with_capacity(mus.len() * gains.len());
    for &gain in gains {
        for &mu in mus {
            let link = Link::new(mu, gain, modes)?;
            let l = leakage(&link, convention);
            let snr = link.snr(mapping);
            cells.push(MapCell {
                mu,
                gain,
                snr,
                accuracy: interpolate(curve, snr),
                weight_leakage_bits: l.weight_leakage_bits,
                data_leakage_bits: l.data_leakage_bits,
            });
        }
    }
    Ok(cells)
}

/// Leakage budget and search space of [`operating_point`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Bound on I_w (bits per weight symbol), strict.
    pub weight_bits: f64,
    /// Bound on I_x (bits per data symbol), strict.
    pub data_bits: f64,
    /// Modes per inner product.
    pub modes: usize,
    /// Convention of the leakage formulas.
    pub convention: Convention,
    /// Mapping (μ, G) → F.
    pub mapping: Mapping,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            weight_bits: 0.1,
            data_bits: 0.01,
            modes: 392,
            convention: Convention::ArxivV1,
            mapping: Mapping::Authors,
        }
    }
}

/// The best operating point found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// Photons per weight symbol.
    pub mu: f64,
    /// Client gain.
    pub gain: f64,
    /// F at that point.
    #[serde(rename = "F")]
    pub snr: f64,
    /// Weight leakage (bits per symbol).
    pub weight_leakage_bits: f64,
    /// Data leakage (bits per symbol).
    pub data_leakage_bits: f64,
}

/// The (μ, G) with the largest F, hence the highest accuracy (accuracy rises with F), with I_w and I_x strictly
/// inside `budget`. Scans G on a 0.001 grid over (1, 4]; for each G with I_x below its bound, bisects the
/// largest μ with I_w below its bound (I_w rises monotonically with μ).
///
/// # Errors
/// [`Error::Parameter`] if no point satisfies the budget or the budget is not positive.
pub fn operating_point(budget: &Budget) -> Result<OperatingPoint> {
    if !(budget.weight_bits > 0.0 && budget.data_bits > 0.0) {
        return Err(Error::Parameter {
            name: "budget",
            value: budget.weight_bits.min(budget.data_bits),
            expected: "positive leakage bounds",
        });
    }
    let mut best: Option<OperatingPoint> = None;
    for k in 1..=3000 {
        let gain = 1.0 + k as f64 * 0.001;
        let probe = Link::new(1.0, gain, budget.modes)?;
        if data_leakage(&probe, budget.convention) >= budget.data_bits {
            continue;
        }
        let iw = |mu: f64| {
            Link::new(mu, gain, budget.modes).map(|l| leakage(&l, budget.convention).weight_leakage_bits)
        };
        let (mut lo, mut hi) = (1e-6, 1e6);
        if iw(lo)? >= budget.weight_bits {
            continue;
        }
        for _ in 0..200 {
            let mid = (lo * hi).sqrt();
            if iw(mid)? < budget.weight_bits { lo = mid } else { hi = mid }
        }
        let link = Link::new(lo, gain, budget.modes)?;
        let snr = link.snr(budget.mapping);
        if best.is_none_or(|b| snr > b.snr) {
            let l = leakage(&link, budget.convention);
            best = Some(OperatingPoint {
                mu: lo,
                gain,
                snr,
                weight_leakage_bits: l.weight_leakage_bits,
                data_leakage_bits: l.data_leakage_bits,
            });
        }
    }
    best.ok_or(Error::Parameter {
        name: "budget",
        value: budget.weight_bits,
        expected: "a budget some (mu, G) satisfies",
    })
}
