//! `quantumacy qkd keyrate`: secret key rate per pulse versus distance from the theory module, the maximum
//! distance, and optionally a log-scale chart.
//!
//! JSON contract: `{"points": [{"distance_km", "key_rate_per_pulse"}], "max_distance_km"}` plus the settings
//! used (`preset`, `decoy`, `mu`, `nu`, `finite_nx`). `max_distance_km` is `null` when there is no key at 0 km.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use clap::ValueEnum;
use quantumacy_qkd::theory::{Asymptotic, Finite, FiniteConfig, Scheme, Settings, optimal_mu_small_eta};
use quantumacy_qkd::{Error as QkdError, Preset, System};
use serde::Serialize;

use crate::GlobalArgs;
use crate::output::{Failure, Output};

/// Most distance points one invocation evaluates.
const MAX_POINTS: usize = 100_000;

/// Arguments of `quantumacy qkd keyrate`.
#[derive(Debug, clap::Args)]
pub(crate) struct KeyrateArgs {
    /// System preset: gys (Gobby–Yuan–Shields, MQZL Table I) or lim2014 (Lim et al. 2014 Sec. IV).
    #[arg(long, default_value = "gys")]
    preset: String,
    /// Decoy scheme. Asymptotic: none (GLLP), infinite, vacuum-weak. With --finite-nx the finite-key rate
    /// of the three-intensity protocol is used (three-intensity, the default there).
    #[arg(long, value_enum)]
    decoy: Option<DecoyArg>,
    /// Signal intensity μ (default: MQZL Eq. 12 optimum for decoys; optimised per distance for none).
    #[arg(long, allow_negative_numbers = true)]
    mu: Option<f64>,
    /// Weak decoy intensity ν for vacuum-weak (default 0.05).
    #[arg(long, allow_negative_numbers = true)]
    nu: Option<f64>,
    /// Distances in km: START:STOP:STEP (inclusive), a comma-separated list, or one value.
    #[arg(long, value_name = "RANGE", default_value = "0:160:1", allow_hyphen_values = true)]
    distance_km: String,
    /// Finite-key block size n_X (Lim 2014); parameters optimised at every distance.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    finite_nx: Option<f64>,
    /// Write a log-scale chart of the key rate versus distance (SVG).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
}

/// The `--decoy` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
enum DecoyArg {
    /// No decoys (GLLP).
    None,
    /// Infinitely many decoys.
    Infinite,
    /// Vacuum + one weak decoy (MQZL).
    VacuumWeak,
    /// Three intensities with finite-size statistics (Lim 2014); needs --finite-nx.
    ThreeIntensity,
}

/// A command line that cannot be run.
#[derive(Debug)]
enum KeyrateError {
    /// `--distance-km` does not parse or describes no valid range.
    Range { given: String, why: &'static str },
    /// An option that does not go with the chosen scheme.
    Conflict(&'static str),
    /// The plot file's extension.
    PlotFormat { path: PathBuf },
}

impl fmt::Display for KeyrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyrateError::Range { given, why } => {
                write!(f, "invalid --distance-km {given:?}: {why} (use START:STOP:STEP, A,B,C or one value)")
            }
            KeyrateError::Conflict(why) => f.write_str(why),
            KeyrateError::PlotFormat { path } => write!(
                f,
                "cannot write {}: only .svg charts are supported (PNG needs a font rasteriser with system fonts)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for KeyrateError {}

/// `--distance-km` as a list of distances (each checked later by the model: ≥ 0 and finite).
fn parse_distances(given: &str) -> Result<Vec<f64>, KeyrateError> {
    let bad = |why| KeyrateError::Range { given: given.to_owned(), why };
    let num =
        |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad("not a number"));
    let parts: Vec<&str> = given.split(':').collect();
    let out = match parts.as_slice() {
        [one] => one.split(',').map(num).collect::<Result<Vec<_>, _>>()?,
        [start, stop, step] => {
            let (start, stop, step) = (num(start)?, num(stop)?, num(step)?);
            if step <= 0.0 {
                return Err(bad("STEP must be positive"));
            }
            if stop < start {
                return Err(bad("STOP is below START"));
            }
            let n = ((stop - start) / step + 1e-9).floor() + 1.0;
            if n > MAX_POINTS as f64 {
                return Err(bad("more than 100000 points"));
            }
            // n ≤ MAX_POINTS was checked above, so the cast is exact.
            (0..n as usize).map(|i| start + step * i as f64).collect()
        }
        _ => return Err(bad("expected one value, a list, or START:STOP:STEP")),
    };
    if out.is_empty() || out.len() > MAX_POINTS {
        return Err(bad("no points, or more than 100000"));
    }
    Ok(out)
}

/// One point of the curve.
#[derive(Debug, Serialize)]
struct Point {
    distance_km: f64,
    key_rate_per_pulse: f64,
}

/// The JSON document.
#[derive(Debug, Serialize)]
struct KeyrateReport {
    preset: Preset,
    decoy: DecoyArg,
    /// The fixed signal intensity (null when optimised per distance).
    mu: Option<f64>,
    nu: Option<f64>,
    finite_nx: Option<f64>,
    points: Vec<Point>,
    max_distance_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plot: Option<String>,
}

/// Which model the arguments select.
enum Model {
    Asymptotic(Asymptotic),
    Finite(Finite),
}

fn usage(e: QkdError) -> Failure {
    Failure::usage(e)
}

fn choose_model(
    args: &KeyrateArgs,
    system: System,
) -> Result<(Model, DecoyArg, Option<f64>, Option<f64>), Failure> {
    if let Some(n_x) = args.finite_nx {
        match args.decoy {
            None | Some(DecoyArg::ThreeIntensity) => {}
            Some(_) => {
                return Err(Failure::usage(KeyrateError::Conflict(
                    "--finite-nx uses the three-intensity finite-key analysis: omit --decoy or pass three-intensity",
                )));
            }
        }
        if args.mu.is_some() || args.nu.is_some() {
            return Err(Failure::usage(KeyrateError::Conflict(
                "with --finite-nx the intensities are optimised: --mu/--nu are not used",
            )));
        }
        let finite = Finite::new(system, FiniteConfig::lim2014(n_x)).map_err(usage)?;
        return Ok((Model::Finite(finite), DecoyArg::ThreeIntensity, None, None));
    }
    let decoy = args.decoy.unwrap_or(DecoyArg::Infinite);
    if args.nu.is_some() && decoy != DecoyArg::VacuumWeak {
        return Err(Failure::usage(KeyrateError::Conflict("--nu applies to --decoy vacuum-weak only")));
    }
    let default_mu = || optimal_mu_small_eta(&system).map_err(usage);
    let (scheme, mu, nu) = match decoy {
        DecoyArg::None => (Scheme::NoDecoy { mu: args.mu }, args.mu, None),
        DecoyArg::Infinite => {
            let mu = args.mu.map_or_else(default_mu, Ok)?;
            (Scheme::InfiniteDecoy { mu }, Some(mu), None)
        }
        DecoyArg::VacuumWeak => {
            let mu = args.mu.map_or_else(default_mu, Ok)?;
            let nu = args.nu.unwrap_or(0.05);
            (Scheme::VacuumWeak { mu, nu }, Some(mu), Some(nu))
        }
        DecoyArg::ThreeIntensity => {
            return Err(Failure::usage(KeyrateError::Conflict(
                "--decoy three-intensity is a finite-key scheme: pass --finite-nx N",
            )));
        }
    };
    Ok((Model::Asymptotic(Asymptotic::new(system, scheme).map_err(usage)?), decoy, mu, nu))
}

/// `max_distance` as JSON: `None` when the search finds no crossing (no key at 0 km, or none in range).
fn crossing(result: quantumacy_qkd::Result<f64>) -> Result<Option<f64>, Failure> {
    match result {
        Ok(l) => Ok(Some(l)),
        Err(QkdError::NoSolution { .. }) => Ok(None),
        Err(e) => Err(Failure::failed(e)),
    }
}

/// Runs `quantumacy qkd keyrate`.
pub(crate) fn run(args: KeyrateArgs, _global: &GlobalArgs, out: &Output) -> Result<(), Failure> {
    let preset: Preset = args.preset.parse().map_err(usage)?;
    let system = preset.system();
    let distances = parse_distances(&args.distance_km).map_err(Failure::usage)?;
    for &d in &distances {
        system.transmittance(d).map_err(usage)?;
    }
    if let Some(path) = &args.plot
        && !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg"))
    {
        return Err(Failure::usage(KeyrateError::PlotFormat { path: path.clone() }));
    }
    let (model, decoy, mu, nu) = choose_model(&args, system)?;

    let bar = out.progress(distances.len() as u64, "key rate");
    let mut points = Vec::with_capacity(distances.len());
    let max_distance_km = match &model {
        Model::Asymptotic(a) => {
            for &d in &distances {
                points.push(Point { distance_km: d, key_rate_per_pulse: a.key_rate(d).map_err(usage)? });
                bar.inc(1);
            }
            crossing(a.max_distance())?
        }
        Model::Finite(f) => {
            let mut hint: Option<Settings> = None;
            for &d in &distances {
                let key = match &hint {
                    Some(h) => f.optimise_from(d, h),
                    None => f.optimise(d),
                };
                let rate = match key {
                    Ok(k) => {
                        hint = Some(k.settings);
                        k.rate_per_pulse
                    }
                    Err(QkdError::NoSolution { .. }) => 0.0,
                    Err(e) => return Err(Failure::failed(e)),
                };
                points.push(Point { distance_km: d, key_rate_per_pulse: rate });
                bar.inc(1);
            }
            crossing(f.max_distance())?
        }
    };
    bar.finish_and_clear();

    if let Some(path) = &args.plot {
        let title = format!("{preset}, {} decoy", decoy_name(decoy));
        plot(path, &title, &points, max_distance_km).map_err(Failure::failed)?;
    }
    let report = KeyrateReport {
        preset,
        decoy,
        mu,
        nu,
        finite_nx: args.finite_nx,
        points,
        max_distance_km,
        plot: args.plot.as_ref().map(|p| p.display().to_string()),
    };
    out.emit(&report, human)
}

fn decoy_name(d: DecoyArg) -> &'static str {
    match d {
        DecoyArg::None => "no",
        DecoyArg::Infinite => "infinite",
        DecoyArg::VacuumWeak => "vacuum+weak",
        DecoyArg::ThreeIntensity => "three-intensity finite-key",
    }
}

fn human(r: &KeyrateReport) -> String {
    use std::fmt::Write as _;
    let mut s = format!("preset {}, {} decoy", r.preset, decoy_name(r.decoy));
    if let Some(mu) = r.mu {
        let _ = write!(s, ", mu = {mu}");
    }
    if let Some(nu) = r.nu {
        let _ = write!(s, ", nu = {nu}");
    }
    if let Some(n) = r.finite_nx {
        let _ = write!(s, ", n_X = {n:e}");
    }
    s.push_str("\n distance_km  key_rate_per_pulse\n");
    for p in &r.points {
        let _ = writeln!(s, "{:>12.3}  {:.6e}", p.distance_km, p.key_rate_per_pulse);
    }
    match r.max_distance_km {
        Some(l) => {
            let _ = write!(s, "max distance: {l:.3} km");
        }
        None => s.push_str("max distance: none (no key at 0 km)"),
    }
    if let Some(p) = &r.plot {
        let _ = write!(s, "\nchart: {p}");
    }
    s
}

/// Draws the log-scale key rate versus distance as SVG (positive rates only: a log axis has no zero).
fn plot(path: &Path, title: &str, points: &[Point], max_distance: Option<f64>) -> anyhow::Result<()> {
    use plotters::prelude::*;

    let positive: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.key_rate_per_pulse > 0.0)
        .map(|p| (p.distance_km, p.key_rate_per_pulse))
        .collect();
    let x_lo = points.iter().map(|p| p.distance_km).fold(f64::INFINITY, f64::min);
    let x_hi = points.iter().map(|p| p.distance_km).fold(f64::NEG_INFINITY, f64::max);
    let (x_lo, x_hi) = if x_hi > x_lo { (x_lo, x_hi) } else { (x_lo - 1.0, x_hi + 1.0) };
    let y_min = positive.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let y_max = positive.iter().map(|p| p.1).fold(0.0, f64::max);
    let (y_lo, y_hi) = if positive.is_empty() { (1e-10, 1e-2) } else { (y_min / 2.0, y_max * 2.0) };

    let err = |e: &dyn fmt::Display| anyhow!("plot {}: {e}", path.display());
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("Secret key rate per pulse — {title}"), ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x_lo..x_hi, (y_lo..y_hi).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("distance (km)")
        .y_desc("key rate per pulse")
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(|e| err(&e))?;
    chart.draw_series(LineSeries::new(positive, BLUE.stroke_width(2))).map_err(|e| err(&e))?;
    if let Some(l) = max_distance.filter(|l| (x_lo..=x_hi).contains(l)) {
        chart
            .draw_series(LineSeries::new([(l, y_lo), (l, y_hi)], RED.stroke_width(1)))
            .map_err(|e| err(&e))?
            .label(format!("max distance {l:.2} km"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
        chart
            .configure_series_labels()
            .background_style(WHITE)
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_ranges() {
        assert_eq!(parse_distances("0:160:1").unwrap().len(), 161);
        assert_eq!(parse_distances("0:1:0.1").unwrap().len(), 11);
        assert_eq!(parse_distances("10,20, 50").unwrap(), vec![10.0, 20.0, 50.0]);
        assert_eq!(parse_distances("42").unwrap(), vec![42.0]);
        for bad in ["", "a:b:c", "0:10", "0:10:0", "0:10:-1", "10:0:1", "0:1e9:1e-3", "1:2:3:4", "nan", "inf"]
        {
            assert!(parse_distances(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn error_messages() {
        let e = KeyrateError::Range { given: "x".into(), why: "not a number" };
        assert_eq!(
            e.to_string(),
            "invalid --distance-km \"x\": not a number (use START:STOP:STEP, A,B,C or one value)"
        );
        let e = KeyrateError::Conflict("--nu applies to --decoy vacuum-weak only");
        assert_eq!(e.to_string(), "--nu applies to --decoy vacuum-weak only");
        let e = KeyrateError::PlotFormat { path: "k.png".into() };
        assert_eq!(
            e.to_string(),
            "cannot write k.png: only .svg charts are supported (PNG needs a font rasteriser with system fonts)"
        );
    }
}
