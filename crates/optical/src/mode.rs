//! The mode-level engine: simulates every optical mode of every inner product (Sulimany et al., Fig. 1 and
//! Methods): coherent states α_i = s_α·w_i, the client's unitary, amplifier, homodyne tap, re-injection, the
//! inverse unitary, return-channel loss T (beam splitter with vacuum) and technical noise ξ, and the server's
//! homodyne measurement of the returned q quadratures for verification.
//!
//! The server sets s_α so that the decoded output has the Gaussian engine's signal-to-noise F: the homodyne
//! outcome has mean 2√(G−1)·s_α·(w·x̂) and variance (2G²−3G+2)/G, so s_α = s·sqrt((2G²−3G+2)/G)/(2√(G−1)) with
//! s = sqrt(F/mean(W²)); the mean photon number per weight symbol is then μ = F/(4·G(G−1)/(2G²−3G+2)) per real
//! quadrature — the first-principles [`Mapping::Physics`](crate::Mapping::Physics).

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::client::{Client, Honest, Packing, Shot};
use crate::error::{Error, Result, check_range};
use crate::gaussian::{Engine, chunk_rng, prepare};
use crate::link::homodyne_variance;
use crate::verify::ExcessTally;

/// The mode-level engine, generic over the client's strategy (honest by default).
#[derive(Debug, Clone, PartialEq)]
pub struct ModeEngine<C = Honest> {
    snr: f64,
    gain: f64,
    packing: Packing,
    transmissivity: f64,
    xi: f64,
    client: C,
}

impl ModeEngine<Honest> {
    /// An engine with signal-to-noise F = `snr`, agreed gain G = `gain` > 1 and an honest client.
    ///
    /// # Errors
    /// [`Error::Parameter`] for F ≤ 0, G ≤ 1 or non-finite values.
    pub fn new(snr: f64, gain: f64, packing: Packing) -> Result<Self> {
        let snr = check_range("F", snr, 0.0, false, f64::MAX, "F > 0")?;
        let gain = check_range("G", gain, 1.0, false, f64::MAX, "G > 1 for the mode-level engine")?;
        Ok(ModeEngine { snr, gain, packing, transmissivity: 1.0, xi: 0.0, client: Honest { gain } })
    }
}

impl<C: Client> ModeEngine<C> {
    /// The same engine with a different client strategy (the server still assumes the agreed gain).
    pub fn with_client<D: Client>(self, client: D) -> ModeEngine<D> {
        let ModeEngine { snr, gain, packing, transmissivity, xi, .. } = self;
        ModeEngine { snr, gain, packing, transmissivity, xi, client }
    }

    /// The same engine with return-channel transmissivity T ∈ (0, 1] and technical noise ξ ≥ 0 (SNU).
    ///
    /// # Errors
    /// [`Error::Parameter`] for values out of range.
    pub fn with_channel(mut self, transmissivity: f64, xi: f64) -> Result<Self> {
        self.transmissivity = check_range("T", transmissivity, 0.0, false, 1.0, "0 < T <= 1")?;
        self.xi = check_range("xi", xi, 0.0, true, f64::MAX, "xi >= 0")?;
        Ok(self)
    }

    /// The agreed amplifier gain G.
    pub fn gain(&self) -> f64 {
        self.gain
    }

    /// The packing of weights into modes.
    pub fn packing(&self) -> Packing {
        self.packing
    }

    /// Summed excess noise an honest client leaves on the returned q quadratures: T·(2 − 2/G) + n_q·ξ.
    pub fn honest_excess(&self, d: usize) -> f64 {
        self.transmissivity * crate::link::returned_excess(self.gain)
            + self.measured_quadratures(d) as f64 * self.xi
    }

    /// Quadratures the server measures per shot (one q per mode).
    pub fn measured_quadratures(&self, d: usize) -> usize {
        self.packing.modes(d)
    }

    /// Amplitude scale s_α for weights with mean square `mean_sq` (see the module docs).
    fn amplitude_scale(&self, mean_sq: f64) -> f64 {
        (self.snr / mean_sq).sqrt() * homodyne_variance(self.gain).sqrt() / (2.0 * (self.gain - 1.0).sqrt())
    }

    /// Runs `shots` repetitions of the inner product between weight row `w` and data `x`, returning the decoded
    /// estimates' statistics and the server's excess-noise tally. s_α is set from mean(w²).
    ///
    /// # Errors
    /// As [`Engine::matmul`], and [`Error::Empty`] for zero shots.
    pub fn repeat(
        &self,
        w: ArrayView1<'_, f32>,
        x: ArrayView1<'_, f32>,
        shots: u64,
        seed: u64,
    ) -> Result<ShotStats> {
        if shots == 0 {
            return Err(Error::Empty { what: "shots" });
        }
        let w2 = w.insert_axis(Axis(0));
        let (inv_rms, _, _) = prepare(w2, x.insert_axis(Axis(0)))?;
        let mean_sq = 1.0 / (inv_rms * inv_rms);
        let s_alpha = self.amplitude_scale(mean_sq);
        let layout = Layout::new(self.packing, w.len());
        let mean2 = layout.pad(w.iter().map(|&v| 2.0 * s_alpha * f64::from(v)));
        let xh = unit_f64(&layout, x.iter());
        let jx = layout.jx(&xh);
        let decode = 1.0 / (self.client.homodyne_gain() * 2.0 * s_alpha);
        const PER_TASK: u64 = 4096;
        let tasks = shots.div_ceil(PER_TASK);
        let parts: Vec<ShotStats> = (0..tasks)
            .into_par_iter()
            .map(|k| {
                let mut rng = chunk_rng(seed, k);
                let mut buf = vec![0.0; layout.len];
                let mut stats = ShotStats::default();
                for _ in 0..PER_TASK.min(shots - k * PER_TASK) {
                    let (hom, excess) = self.shot(&mean2, &xh, jx.as_deref(), &mut buf, &mut rng);
                    stats.push(hom, hom * decode, excess);
                }
                stats
            })
            .collect();
        let mut total = ShotStats::default();
        parts.iter().for_each(|p| total.merge(p));
        Ok(total)
    }

    /// Noisy W·xᵀ for every row of `batch`, plus the server's excess-noise tally over all shots.
    ///
    /// # Errors
    /// As [`Engine::matmul`].
    pub fn matmul_verified(
        &self,
        w: ArrayView2<'_, f32>,
        batch: ArrayView2<'_, f32>,
        seed: u64,
    ) -> Result<(Array2<f32>, ExcessTally)> {
        let (inv_rms, norms, _) = prepare(w, batch)?;
        let s_alpha = self.amplitude_scale(1.0 / (inv_rms * inv_rms));
        let layout = Layout::new(self.packing, w.ncols());
        let mean2: Vec<Vec<f64>> = w
            .rows()
            .into_iter()
            .map(|r| layout.pad(r.iter().map(|&v| 2.0 * s_alpha * f64::from(v))))
            .collect();
        let decode = 1.0 / (self.client.homodyne_gain() * 2.0 * s_alpha);
        let mut y = Array2::<f32>::zeros((batch.nrows(), w.nrows()));
        let tallies: Vec<ExcessTally> = y
            .axis_iter_mut(Axis(0))
            .into_par_iter()
            .enumerate()
            .map(|(b, mut out)| {
                let mut rng = chunk_rng(seed, b as u64);
                let xh = unit_f64(&layout, batch.row(b).iter());
                let jx = layout.jx(&xh);
                let mut buf = vec![0.0; layout.len];
                let mut tally = ExcessTally::default();
                for (o, m2) in out.iter_mut().zip(&mean2) {
                    let (hom, excess) = self.shot(m2, &xh, jx.as_deref(), &mut buf, &mut rng);
                    tally.push(excess);
                    *o = (hom * decode) as f32 * norms[b];
                }
                tally
            })
            .collect();
        let mut tally = ExcessTally::default();
        tallies.iter().for_each(|t| tally.merge(t));
        Ok((y, tally))
    }

    /// One shot: Wigner-sample the server's coherent states, let the client act, apply the return channel and
    /// return (homodyne outcome, Σ over measured q quadratures of (residual² − 1)).
    fn shot<R: Rng + ?Sized>(
        &self,
        mean2: &[f64],
        xhat: &[f64],
        jxhat: Option<&[f64]>,
        buf: &mut [f64],
        rng: &mut R,
    ) -> (f64, f64) {
        if self.transmissivity == 1.0
            && self.xi == 0.0
            && let Some(gain) = self.client.honest_gain()
        {
            return fused_honest_shot(gain, mean2, xhat, jxhat, rng);
        }
        for (z, m) in buf.iter_mut().zip(mean2) {
            let n: f64 = StandardNormal.sample(rng);
            *z = m + n;
        }
        let hom = self.client.respond(Shot { quads: buf, xhat, jxhat }, rng);
        let step = if jxhat.is_some() { 2 } else { 1 };
        let ideal = self.transmissivity == 1.0 && self.xi == 0.0;
        let (st, sl, sx) = (self.transmissivity.sqrt(), (1.0 - self.transmissivity).sqrt(), self.xi.sqrt());
        let mut excess = 0.0;
        for (z, m) in buf.iter().zip(mean2).step_by(step) {
            let r = if ideal {
                z - m
            } else {
                let n1: f64 = StandardNormal.sample(rng);
                let n2: f64 = StandardNormal.sample(rng);
                st * (z - m) + sl * n1 + sx * n2
            };
            excess += r * r - 1.0;
        }
        (hom, excess)
    }
}

/// The honest shot in one pass over the modes, for an ideal return channel: the same random draws in the same
/// order as the generic path (vacuum samples v_i, then the amplifier and tap vacua), with the returned residuals
/// r_i = v_i + x̂_i·δq + (Jx̂)_i·δp summed algebraically:
/// Σ r² = Σv² + 2δq·Σx̂v + 2δp·ΣJx̂v + δq²·Σx̂² + δp²·Σ(Jx̂)² + 2δqδp·Σx̂Jx̂ over the measured q quadratures.
fn fused_honest_shot<R: Rng + ?Sized>(
    gain: f64,
    mean2: &[f64],
    xhat: &[f64],
    jxhat: Option<&[f64]>,
    rng: &mut R,
) -> (f64, f64) {
    let (sg, sg1) = (gain.sqrt(), (gain - 1.0).sqrt());
    let tap = 1.0 - 1.0 / gain;
    let (st, sr) = (tap.sqrt(), (1.0 - tap).sqrt());
    let mut normal = || -> f64 { StandardNormal.sample(rng) };
    match jxhat {
        None => {
            let (mut xv, mut xm, mut vv, mut xx) = (0.0, 0.0, 0.0, 0.0);
            for (&m, &x) in mean2.iter().zip(xhat) {
                let v = normal();
                xv += x * v;
                xm += x * m;
                vv += v * v;
                xx += x * x;
            }
            let a_q = xm + xv;
            let amp = sg * a_q + sg1 * normal();
            let u = normal();
            let dq = sr * amp + st * u - a_q;
            let s = vv + 2.0 * dq * xv + dq * dq * xx - mean2.len() as f64;
            (st * amp - sr * u, s)
        }
        Some(_) => {
            let (mut x1, mut j1, mut xm, mut jm) = (0.0, 0.0, 0.0, 0.0);
            let (mut vv, mut xv, mut jv, mut xx, mut jj, mut xj) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
            for (m, x) in mean2.chunks_exact(2).zip(xhat.chunks_exact(2)) {
                let (vq, vp) = (normal(), normal());
                let (xq, xp) = (x[0], x[1]);
                // x̂ = (xq, xp), Jx̂ = (−xp, xq) on this mode's (q, p).
                x1 += xq * vq + xp * vp;
                j1 += xq * vp - xp * vq;
                xm += xq * m[0] + xp * m[1];
                jm += xq * m[1] - xp * m[0];
                vv += vq * vq;
                xv += xq * vq;
                jv -= xp * vq;
                xx += xq * xq;
                jj += xp * xp;
                xj -= xq * xp;
            }
            let (a_q, a_p) = (xm + x1, jm + j1);
            let amp_q = sg * a_q + sg1 * normal();
            let u_q = normal();
            let dq = sr * amp_q + st * u_q - a_q;
            let amp_p = sg * a_p - sg1 * normal();
            let dp = sr * amp_p + st * normal() - a_p;
            let s = vv + 2.0 * dq * xv + 2.0 * dp * jv + dq * dq * xx + dp * dp * jj + 2.0 * dq * dp * xj
                - (mean2.len() / 2) as f64;
            (st * amp_q - sr * u_q, s)
        }
    }
}

impl<C: Client> Engine for ModeEngine<C> {
    fn snr(&self) -> f64 {
        self.snr
    }

    fn matmul(&self, w: ArrayView2<'_, f32>, batch: ArrayView2<'_, f32>, seed: u64) -> Result<Array2<f32>> {
        Ok(self.matmul_verified(w, batch, seed)?.0)
    }
}

/// x/‖x‖ in double precision (the rank-one update relies on ‖x̂‖ = 1), padded to the layout.
fn unit_f64<'a>(layout: &Layout, x: impl Iterator<Item = &'a f32> + Clone) -> Vec<f64> {
    let norm = x.clone().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
    layout.pad(x.map(|&v| f64::from(v) / norm))
}

/// Quadrature layout of d weight symbols: padded to an even length for complex packing.
struct Layout {
    packing: Packing,
    len: usize,
}

impl Layout {
    fn new(packing: Packing, d: usize) -> Self {
        let len = match packing {
            Packing::Complex => 2 * d.div_ceil(2),
            Packing::Real => d,
        };
        Layout { packing, len }
    }

    fn pad(&self, values: impl Iterator<Item = f64>) -> Vec<f64> {
        let mut v: Vec<f64> = values.collect();
        v.resize(self.len, 0.0);
        v
    }

    /// J·x̂ for complex packing.
    fn jx(&self, xhat: &[f64]) -> Option<Vec<f64>> {
        match self.packing {
            Packing::Complex => Some(xhat.chunks(2).flat_map(|c| [-c[1], c[0]]).collect()),
            Packing::Real => None,
        }
    }
}

/// Running statistics of repeated shots: decoded estimates, raw homodyne outcomes and the excess-noise tally.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShotStats {
    n: u64,
    sum_est: f64,
    sum_est2: f64,
    sum_hom: f64,
    sum_hom2: f64,
    excess: ExcessTally,
}

impl ShotStats {
    fn push(&mut self, hom: f64, est: f64, excess: f64) {
        self.n += 1;
        self.sum_est += est;
        self.sum_est2 += est * est;
        self.sum_hom += hom;
        self.sum_hom2 += hom * hom;
        self.excess.push(excess);
    }

    fn merge(&mut self, other: &ShotStats) {
        self.n += other.n;
        self.sum_est += other.sum_est;
        self.sum_est2 += other.sum_est2;
        self.sum_hom += other.sum_hom;
        self.sum_hom2 += other.sum_hom2;
        self.excess.merge(&other.excess);
    }

    /// Number of shots.
    pub fn shots(&self) -> u64 {
        self.n
    }

    /// Mean decoded estimate of w·x̂.
    pub fn mean_estimate(&self) -> f64 {
        self.sum_est / self.n as f64
    }

    /// Sample variance of the decoded estimate.
    pub fn var_estimate(&self) -> f64 {
        sample_var(self.n, self.sum_est, self.sum_est2)
    }

    /// Sample variance of the raw homodyne outcome (SNU).
    pub fn var_homodyne(&self) -> f64 {
        sample_var(self.n, self.sum_hom, self.sum_hom2)
    }

    /// Mean raw homodyne outcome.
    pub fn mean_homodyne(&self) -> f64 {
        self.sum_hom / self.n as f64
    }

    /// The server's pooled excess-noise tally.
    pub fn excess(&self) -> ExcessTally {
        self.excess
    }
}

fn sample_var(n: u64, sum: f64, sum2: f64) -> f64 {
    let n = n as f64;
    (sum2 - sum * sum / n) / (n - 1.0)
}
