//! Small numerical tools for the key-rate theory: Nelder–Mead minimisation, golden-section maximisation and
//! a bisection root finder for the maximum distance.
//!
//! Hand-written rather than pulled from an optimisation crate: each is a few dozen lines, the objectives are
//! cheap and low-dimensional (≤ 5 parameters), and the workspace stays free of a heavy dependency.

use crate::error::{Error, Result};

/// Options for [`nelder_mead`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NelderMead {
    /// Initial simplex edge along each coordinate.
    pub step: f64,
    /// Stop when every vertex is within this distance (max-norm) of the best one.
    pub x_tol: f64,
    /// Stop after this many objective evaluations.
    pub max_evals: usize,
}

impl Default for NelderMead {
    fn default() -> Self {
        NelderMead { step: 0.5, x_tol: 1e-7, max_evals: 4000 }
    }
}

/// Minimises `f` from `start` with the Nelder–Mead simplex (Nelder & Mead, Comput. J. 7, 308 (1965); standard
/// coefficients reflection 1, expansion 2, contraction ½, shrink ½). Returns the best point and its value.
///
/// `f` should return a large finite penalty (not NaN) outside its domain; a NaN is treated as +∞.
pub fn nelder_mead<const D: usize>(
    mut f: impl FnMut(&[f64; D]) -> f64,
    start: [f64; D],
    opts: NelderMead,
) -> ([f64; D], f64) {
    let mut eval = |x: &[f64; D]| {
        let v = f(x);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let mut simplex: Vec<([f64; D], f64)> = Vec::with_capacity(D + 1);
    simplex.push((start, eval(&start)));
    for i in 0..D {
        let mut x = start;
        x[i] += opts.step;
        simplex.push((x, eval(&x)));
    }
    let mut evals = D + 1;
    let combine = |a: &[f64; D], b: &[f64; D], t: f64| -> [f64; D] {
        std::array::from_fn(|i| a[i] + t * (b[i] - a[i]))
    };
    while evals < opts.max_evals {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].0;
        let size = simplex[1..]
            .iter()
            .flat_map(|(x, _)| x.iter().zip(&best).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        if size < opts.x_tol {
            break;
        }
        let centroid: [f64; D] =
            std::array::from_fn(|i| simplex[..D].iter().map(|(x, _)| x[i]).sum::<f64>() / D as f64);
        let (worst, f_worst) = simplex[D];
        let f_second = simplex[D - 1].1;
        let f_best = simplex[0].1;
        let reflected = combine(&centroid, &worst, -1.0);
        let f_r = eval(&reflected);
        evals += 1;
        if f_r < f_best {
            let expanded = combine(&centroid, &worst, -2.0);
            let f_e = eval(&expanded);
            evals += 1;
            simplex[D] = if f_e < f_r { (expanded, f_e) } else { (reflected, f_r) };
        } else if f_r < f_second {
            simplex[D] = (reflected, f_r);
        } else {
            let (contracted, f_c) = if f_r < f_worst {
                let c = combine(&centroid, &reflected, 0.5);
                let fc = eval(&c);
                (c, fc)
            } else {
                let c = combine(&centroid, &worst, 0.5);
                let fc = eval(&c);
                (c, fc)
            };
            evals += 1;
            if f_c < f_worst.min(f_r) {
                simplex[D] = (contracted, f_c);
            } else {
                for v in simplex.iter_mut().skip(1) {
                    v.0 = combine(&best, &v.0, 0.5);
                    v.1 = eval(&v.0);
                }
                evals += D;
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex[0]
}

/// Maximises a unimodal `f` on [lo, hi] by golden-section search to an interval below `tol`; returns the
/// argmax and the value there.
pub fn golden_max(mut f: impl FnMut(f64) -> f64, lo: f64, hi: f64, tol: f64) -> (f64, f64) {
    const INV_PHI: f64 = 0.618_033_988_749_894_9;
    let (mut a, mut b) = (lo, hi);
    let mut c = b - INV_PHI * (b - a);
    let mut d = a + INV_PHI * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    while (b - a).abs() > tol {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - INV_PHI * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + INV_PHI * (b - a);
            fd = f(d);
        }
    }
    let x = 0.5 * (a + b);
    (x, f(x))
}

/// The distance where a key rate that decreases with distance reaches zero: brackets the sign change by doubling
/// from `first_km` (up to `limit_km`), then bisects to `tol_km`.
///
/// `signed_rate` returns the key rate before flooring at zero (negative beyond the maximum distance).
///
/// # Errors
/// [`Error::NoSolution`] if there is no key at 0 km or the rate is still positive at `limit_km`; any error of
/// `signed_rate`.
pub fn max_distance(
    mut signed_rate: impl FnMut(f64) -> Result<f64>,
    first_km: f64,
    limit_km: f64,
    tol_km: f64,
) -> Result<f64> {
    let at_zero = signed_rate(0.0)?;
    if at_zero.is_nan() || at_zero <= 0.0 {
        return Err(Error::NoSolution { detail: "no positive key rate even at 0 km".into() });
    }
    let (mut lo, mut hi) = (0.0, first_km.min(limit_km));
    while signed_rate(hi)? > 0.0 {
        if hi >= limit_km {
            return Err(Error::NoSolution { detail: format!("key rate still positive at {limit_km} km") });
        }
        lo = hi;
        hi = (2.0 * hi).min(limit_km);
    }
    while hi - lo > tol_km {
        let mid = 0.5 * (lo + hi);
        if signed_rate(mid)? > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_the_rosenbrock_minimum() {
        let rosen = |x: &[f64; 2]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let (x, v) = nelder_mead(rosen, [-1.2, 1.0], NelderMead { max_evals: 10_000, ..Default::default() });
        assert!((x[0] - 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4, "{x:?}");
        assert!(v < 1e-8);
    }

    #[test]
    fn golden_section_finds_a_parabola_peak() {
        let (x, v) = golden_max(|x| -(x - 0.3).powi(2) + 2.0, -1.0, 1.0, 1e-9);
        // Near a smooth peak f is flat to rounding within √ε·|x|, which limits any comparison-based search.
        assert!((x - 0.3).abs() < 1e-7 && (v - 2.0).abs() < 1e-12, "{x} {v}");
    }

    #[test]
    fn max_distance_brackets_and_bisects() {
        let l = max_distance(|d| Ok(137.25 - d), 50.0, 1000.0, 1e-6).unwrap();
        assert!((l - 137.25).abs() < 1e-6);
        assert!(matches!(max_distance(|_| Ok(-1.0), 50.0, 1000.0, 1e-3), Err(Error::NoSolution { .. })));
        assert!(matches!(max_distance(|_| Ok(1.0), 50.0, 1000.0, 1e-3), Err(Error::NoSolution { .. })));
    }
}
