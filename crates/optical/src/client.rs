//! The client's optical processing of one inner product, honest and cheating (Sulimany et al., Fig. 1).
//!
//! Shot state: a Wigner sample of the quadratures the server sent, in shot-noise units (vacuum variance 1), as
//! one real vector `quads`. With real packing entry i is the q quadrature of mode i; with complex packing entries
//! 2k, 2k+1 are (q, p) of mode k. All operations are Gaussian, so transforming the sample linearly and adding
//! fresh vacuum samples for every vacuum port reproduces the joint statistics of all homodyne outcomes exactly.
//!
//! The client's unitary U_x̂ has first row x̂. Mode 1 then carries A = Σ x̂_i α_i; the client amplifies it
//! (gain G, idler in vacuum), taps the fraction t = 1 − 1/G to homodyne, re-injects the rest and undoes U_x̂.
//! Since U_x̂^†(U_x̂ a + δ e₁) = a + δ·U_x̂^† e₁ = a + δ·x̂ for every unitary with first row x̂, the returned modes
//! are a rank-one update of the incoming ones; [`Householder`] is the explicit O(n) unitary and a test checks
//! that both paths agree.

use rand::Rng;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

/// How weight symbols occupy optical modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Packing {
    /// Two real weights per mode, α_k = s·(w_{2k} + i·w_{2k+1}): n = d/2 modes (the paper's 784 → 392).
    #[default]
    Complex,
    /// One real weight per mode: n = d modes, only q quadratures carry signal.
    Real,
}

impl Packing {
    /// Modes used for `d` weight symbols.
    pub fn modes(self, d: usize) -> usize {
        match self {
            Packing::Complex => d.div_ceil(2),
            Packing::Real => d,
        }
    }
}

/// One shot as the client sees it.
#[derive(Debug)]
pub struct Shot<'a> {
    /// Quadratures, modified in place into the returned state.
    pub quads: &'a mut [f64],
    /// The unit data vector x̂ (first row of U_x̂), padded like `quads`.
    pub xhat: &'a [f64],
    /// With complex packing, J·x̂: the direction of mode 1's p quadrature ((Jx̂)_{2k} = −x̂_{2k+1},
    /// (Jx̂)_{2k+1} = x̂_{2k}); `None` with real packing.
    pub jxhat: Option<&'a [f64]>,
}

/// A client strategy: what it does with the server's light.
pub trait Client: Sync + std::fmt::Debug {
    /// Processes one shot: leaves the returned quadratures in `shot.quads` and returns the homodyne outcome.
    fn respond<R: Rng + ?Sized>(&self, shot: Shot<'_>, rng: &mut R) -> f64;

    /// Mean homodyne outcome per unit of mode 1's q quadrature (√(t·G) for tap t, gain G): the client divides
    /// by it to decode.
    fn homodyne_gain(&self) -> f64;

    /// `Some(G)` if this client follows the honest protocol exactly with gain G, which lets the engine use its
    /// fused single-pass simulation (same random draws, same statistics); `None` for any other strategy.
    fn honest_gain(&self) -> Option<f64> {
        None
    }
}

fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Amplify mode 1 with gain `gain`, tap `tap` of it to homodyne, re-inject the rest, undo the unitary.
fn amplify_tap_return<R: Rng + ?Sized>(shot: Shot<'_>, gain: f64, tap: f64, rng: &mut R) -> f64 {
    let a_q = dot(shot.xhat, shot.quads);
    let a_p = shot.jxhat.map(|j| dot(j, shot.quads));
    let (sg, sg1) = (gain.sqrt(), (gain - 1.0).sqrt());
    let (st, sr) = (tap.sqrt(), (1.0 - tap).sqrt());
    // Phase-insensitive amplifier: q → √G q + √(G−1) q_E, p → √G p − √(G−1) p_E (idler in vacuum).
    let amp_q = sg * a_q + sg1 * normal(rng);
    let u_q = normal(rng);
    let homodyne = st * amp_q - sr * u_q;
    let delta_q = sr * amp_q + st * u_q - a_q;
    for (z, x) in shot.quads.iter_mut().zip(shot.xhat) {
        *z += x * delta_q;
    }
    if let (Some(a_p), Some(j)) = (a_p, shot.jxhat) {
        let amp_p = sg * a_p - sg1 * normal(rng);
        let delta_p = sr * amp_p + st * normal(rng) - a_p;
        for (z, x) in shot.quads.iter_mut().zip(j) {
            *z += x * delta_p;
        }
    }
    homodyne
}

/// The honest client: gain G, tap 1 − 1/G (so the returned mode 1 keeps its mean amplitude).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Honest {
    /// Amplifier gain G > 1.
    pub gain: f64,
}

impl Client for Honest {
    fn respond<R: Rng + ?Sized>(&self, shot: Shot<'_>, rng: &mut R) -> f64 {
        amplify_tap_return(shot, self.gain, 1.0 - 1.0 / self.gain, rng)
    }

    fn homodyne_gain(&self) -> f64 {
        (self.gain - 1.0).sqrt()
    }

    fn honest_gain(&self) -> Option<f64> {
        Some(self.gain)
    }
}

/// Cheater: taps a larger fraction than 1 − 1/G to get a better estimate (the returned mode loses amplitude
/// and gains noise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LargerTap {
    /// Amplifier gain G.
    pub gain: f64,
    /// Tapped fraction t ∈ (1 − 1/G, 1].
    pub tap: f64,
}

impl Client for LargerTap {
    fn respond<R: Rng + ?Sized>(&self, shot: Shot<'_>, rng: &mut R) -> f64 {
        amplify_tap_return(shot, self.gain, self.tap, rng)
    }

    fn homodyne_gain(&self) -> f64 {
        (self.tap * self.gain).sqrt()
    }
}

/// Cheater: runs the honest protocol with a larger gain G′ than agreed (e.g. G′ = 2G): more signal, more
/// returned excess noise g′ = 2 − 2/G′.
pub type LargerGain = Honest;

/// Cheater: heterodynes a random fraction of the incoming modes (learning about the weights), re-prepares
/// coherent states from the outcomes, then behaves honestly. Each intercepted quadrature gains 2 SNU of excess.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InterceptResend {
    /// Amplifier gain G of the honest part.
    pub gain: f64,
    /// Fraction of modes intercepted, in [0, 1].
    pub fraction: f64,
}

impl Client for InterceptResend {
    fn respond<R: Rng + ?Sized>(&self, shot: Shot<'_>, rng: &mut R) -> f64 {
        let per_mode = if shot.jxhat.is_some() { 2 } else { 1 };
        for mode in shot.quads.chunks_mut(per_mode) {
            if rng.random::<f64>() < self.fraction {
                // Heterodyne adds one vacuum unit to the estimate; re-preparing a coherent state adds another.
                for z in mode.iter_mut() {
                    *z += normal(rng) + normal(rng);
                }
            }
        }
        Honest { gain: self.gain }.respond(shot, rng)
    }

    fn homodyne_gain(&self) -> f64 {
        (self.gain - 1.0).sqrt()
    }
}

/// The Householder reflection H = I − 2vvᵀ/(vᵀv), v = e₁ − x̂: real orthogonal, symmetric, H e₁ = x̂, so its
/// first row is x̂ — the client's O(n) unitary for real data, applied in O(n).
#[derive(Debug, Clone, PartialEq)]
pub struct Householder {
    v: Vec<f64>,
    vv: f64,
}

impl Householder {
    /// The reflection whose first row is the unit vector `xhat`.
    pub fn new(xhat: &[f64]) -> Self {
        let mut v: Vec<f64> = xhat.iter().map(|x| -x).collect();
        if let Some(v0) = v.first_mut() {
            *v0 += 1.0;
        }
        let vv = dot(&v, &v);
        Householder { v, vv }
    }

    /// Applies H in place (H = H^T = H^{-1}).
    pub fn apply(&self, z: &mut [f64]) {
        if self.vv < 1e-300 {
            return;
        }
        let k = 2.0 * dot(&self.v, z) / self.vv;
        for (zi, vi) in z.iter_mut().zip(&self.v) {
            *zi -= k * vi;
        }
    }
}
