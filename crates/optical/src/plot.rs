//! SVG plots (plotters, SVG backend only — no system fonts or C libraries needed): accuracy vs F, and the
//! (μ, G) accuracy map with the leakage-budget contours and iso-F contour lines.

use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::link::{Link, Mapping, snr_per_mu};
use crate::sweep::{AccuracyPoint, Budget, MapCell, interpolate};

fn plot_err(e: impl std::fmt::Display) -> Error {
    Error::Plot { detail: e.to_string() }
}

/// Accuracy vs F on a log axis, with the paper's published points for comparison.
///
/// # Errors
/// [`Error::Empty`] for an empty curve; [`Error::Plot`] if drawing fails.
pub fn accuracy_vs_snr_svg(curve: &[AccuracyPoint], published: &[(f64, f64)]) -> Result<String> {
    let (Some(first), Some(last)) = (curve.first(), curve.last()) else {
        return Err(Error::Empty { what: "accuracy curve" });
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("MNIST accuracy vs signal-to-noise F (Gaussian engine)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d((first.snr..last.snr).log_scale(), 0.0..1.0)
            .map_err(plot_err)?;
        chart.configure_mesh().x_desc("F").y_desc("accuracy").draw().map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(curve.iter().map(|p| (p.snr, p.accuracy)), &BLUE))
            .map_err(plot_err)?
            .label("this crate (t10k)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
        chart
            .draw_series(published.iter().map(|&(f, a)| Circle::new((f, a), 4, RED.filled())))
            .map_err(plot_err)?
            .label("Sulimany et al. (published)")
            .legend(|(x, y)| Circle::new((x + 10, y), 4, RED.filled()));
        chart
            .configure_series_labels()
            .background_style(WHITE)
            .border_style(BLACK)
            .draw()
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// The (μ, G) accuracy map as a heat map, with contours: I_w = budget (red), I_x = budget (purple, vertical:
/// I_x depends on G only) and iso-accuracy lines (black) at the F where the measured curve crosses 90 % and
/// 95 % (μ = F²/r(G) for the authors' mapping, F/(4r(G)) for the physical one, r = G(G−1)/(2G²−3G+2)).
///
/// # Errors
/// [`Error::Empty`] for an empty map; [`Error::Plot`] if drawing fails.
pub fn map_svg(cells: &[MapCell], curve: &[AccuracyPoint], budget: &Budget) -> Result<String> {
    if cells.is_empty() {
        return Err(Error::Empty { what: "map" });
    }
    let fold = |f: fn(f64, f64) -> f64, init: f64, g: fn(&MapCell) -> f64| cells.iter().map(g).fold(init, f);
    let (mu0, mu1) = (fold(f64::min, f64::INFINITY, |c| c.mu), fold(f64::max, 0.0, |c| c.mu));
    let (g0, g1) = (fold(f64::min, f64::INFINITY, |c| c.gain), fold(f64::max, 0.0, |c| c.gain));
    let mut mus: Vec<f64> = cells.iter().map(|c| c.mu).collect();
    mus.sort_by(f64::total_cmp);
    mus.dedup();
    let mut gains: Vec<f64> = cells.iter().map(|c| c.gain).collect();
    gains.sort_by(f64::total_cmp);
    gains.dedup();
    let dmu = (mu1 - mu0) / (mus.len().max(2) - 1) as f64;
    let dg = (g1 - g0) / (gains.len().max(2) - 1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("accuracy over (mu, G), n = {}, {:?} mapping", budget.modes, budget.mapping),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(mu0 - dmu / 2.0..mu1 + dmu / 2.0, g0 - dg / 2.0..g1 + dg / 2.0)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("mu (photons per weight symbol)")
            .y_desc("G")
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(cells.iter().map(|c| {
                let t = c.accuracy.clamp(0.0, 1.0);
                let colour = RGBColor(
                    (255.0 * t) as u8,
                    (255.0 * (1.0 - (t - 0.5).abs() * 2.0)) as u8,
                    (255.0 * (1.0 - t)) as u8,
                );
                Rectangle::new(
                    [(c.mu - dmu / 2.0, c.gain - dg / 2.0), (c.mu + dmu / 2.0, c.gain + dg / 2.0)],
                    colour.filled(),
                )
            }))
            .map_err(plot_err)?;
        // I_w contour: the largest μ under the budget for each G (bisection; I_w rises with μ).
        let iw_line: Vec<(f64, f64)> = gains
            .iter()
            .filter_map(|&g| max_mu(g, budget).filter(|&m| m <= mu1 + dmu).map(|m| (m, g)))
            .collect();
        chart.draw_series(LineSeries::new(iw_line, RED.stroke_width(2))).map_err(plot_err)?;
        if let Some(gx) = gains.iter().copied().find(|&g| {
            Link::new(1.0, g, budget.modes)
                .map(|l| crate::leakage::data_leakage(&l, budget.convention) >= budget.data_bits)
                .unwrap_or(false)
        }) {
            chart
                .draw_series(LineSeries::new(vec![(mu0, gx), (mu1, gx)], MAGENTA.stroke_width(2)))
                .map_err(plot_err)?;
        }
        for level in [0.90, 0.95] {
            let Some(f) = crossing(curve, level) else { continue };
            let line: Vec<(f64, f64)> = gains
                .iter()
                .filter(|&&g| g > 1.0)
                .map(|&g| {
                    let r = snr_per_mu(g);
                    let mu = match budget.mapping {
                        Mapping::Physics => f / (4.0 * r),
                        _ => f * f / r,
                    };
                    (mu, g)
                })
                .filter(|&(mu, _)| mu <= mu1 + dmu)
                .collect();
            chart.draw_series(LineSeries::new(line, BLACK.stroke_width(1))).map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Largest μ with I_w below the budget at gain `g`.
fn max_mu(g: f64, budget: &Budget) -> Option<f64> {
    let iw = |mu: f64| {
        Link::new(mu, g, budget.modes)
            .ok()
            .map(|l| crate::leakage::leakage(&l, budget.convention).weight_leakage_bits)
    };
    let (mut lo, mut hi) = (1e-6, 1e6);
    if iw(lo)? >= budget.weight_bits {
        return None;
    }
    for _ in 0..100 {
        let mid = (lo * hi).sqrt();
        if iw(mid)? < budget.weight_bits { lo = mid } else { hi = mid }
    }
    Some(lo)
}

/// The F at which the measured curve first reaches `level` (bisection on the interpolant).
fn crossing(curve: &[AccuracyPoint], level: f64) -> Option<f64> {
    let (first, last) = (curve.first()?, curve.last()?);
    if interpolate(curve, last.snr) < level {
        return None;
    }
    let (mut lo, mut hi) = (first.snr, last.snr);
    for _ in 0..60 {
        let mid = (lo * hi).sqrt();
        if interpolate(curve, mid) < level { lo = mid } else { hi = mid }
    }
    Some(hi)
}
