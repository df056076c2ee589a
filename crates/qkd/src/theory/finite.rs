//! Finite-key rate of three-intensity decoy BB84: Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014),
//! arXiv:1311.7129 (Lim 2014), with its numerical optimisation over (q_x, p_μ1, p_μ2, μ1, μ2) at fixed μ3.
//!
//! Expected counts follow Lim 2014 Sec. IV (their detection model), with η_sys = η_ch·η_Bob:
//!
//! * D_k = 1 − (1 − 2p_dc)e^(−η_sys k) (detection without after-pulses), R_k = D_k(1 + p_ap);
//! * e_k = p_dc + e_d[1 − e^(−η_sys k)] + p_ap·D_k/2 (probability of an erroneous detection);
//! * N pulses give n_X,k = N p_k q_x² R_k, m_X,k = N p_k q_x² e_k, and likewise in Z with (1 − q_x)²;
//!   N is fixed by the block size n_X = Σ_k n_X,k.
//!
//! **Misprint:** the paper writes η_ch inside the e_mis term of e_k; with η_ch the misalignment error would
//! be ~5 % instead of e_mis = 0.5 % at short range, so η_sys is used (as in D_k).
//!
//! The key length is Lim 2014 Eq. 1 with the bounds of Eqs. 2–5 ([`crate::decoy::lim2014`]) and
//! λ_EC = f_EC·n_X·h(E_X); the rate per pulse is ℓ/N. With [`Security::PerKeyBit`] ε_sec = κ·ℓ as in their
//! Sec. IV, found by fixed-point iteration (ℓ depends on ε_sec only through log terms).

use serde::Serialize;

use super::h2;
use super::optimize::{NelderMead, max_distance, nelder_mead};
use crate::decoy::{BasisCounts, FiniteDecoyBounds, ThreeIntensity, lim2014};
use crate::error::{Error, Result, check_range};
use crate::params::{Intensity, Source, System};

/// Largest distance the maximum-distance search considers, in km.
const SEARCH_LIMIT_KM: f64 = 2000.0;

/// Largest μ2 − μ3 and μ1 − μ2 − μ3 the optimiser considers.
const MU2_SPAN: f64 = 0.8;
const MU1_SPAN: f64 = 1.5;

/// Points of the optimiser's initial scan, and the Halton bases of its five coordinates.
const SCAN_POINTS: usize = 512;
const HALTON_BASES: [usize; 5] = [2, 3, 5, 7, 11];

/// The `i`-th element of the van der Corput sequence in `base` (one coordinate of a Halton sequence).
fn halton(mut i: usize, base: usize) -> f64 {
    let (mut f, mut r) = (1.0, 0.0);
    while i > 0 {
        f /= base as f64;
        r += f * (i % base) as f64;
        i /= base;
    }
    r
}

/// How the secrecy parameter ε_sec is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum Security {
    /// ε_sec = κ·ℓ: a fixed secrecy per key bit κ (Lim 2014 Sec. IV uses κ = 10⁻¹⁵).
    PerKeyBit(f64),
    /// A fixed ε_sec for the whole block.
    Fixed(f64),
}

/// Block size and security parameters of the finite-key analysis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FiniteConfig {
    /// Block size n_X: sifted X-basis detections used for the key.
    pub n_x: f64,
    /// The weakest intensity μ3 (fixed, not optimised).
    pub mu3: f64,
    /// Correctness parameter ε_cor.
    pub eps_cor: f64,
    /// Secrecy parameter.
    pub security: Security,
}

impl FiniteConfig {
    /// Lim 2014 Sec. IV: μ3 = 2×10⁻⁴, ε_cor = 10⁻¹⁵, ε_sec = 10⁻¹⁵·ℓ, block size `n_x`.
    pub fn lim2014(n_x: f64) -> Self {
        FiniteConfig { n_x, mu3: 2e-4, eps_cor: 1e-15, security: Security::PerKeyBit(1e-15) }
    }

    fn validate(&self) -> Result<()> {
        check_range("n_x", self.n_x, 1.0, 1e18, "in [1, 1e18]")?;
        check_range("mu3", self.mu3, 0.0, 1.0, "in [0, 1]")?;
        let unit = |name, v| check_range(name, v, f64::MIN_POSITIVE, 1e-3, "in (0, 1e-3]");
        unit("eps_cor", self.eps_cor)?;
        match self.security {
            Security::PerKeyBit(k) => {
                unit("kappa", k)?;
                // ℓ ≤ n_X, so ε_sec = κ·ℓ stays ≤ 10⁻³ (a meaningful secrecy level) for every ℓ.
                if k * self.n_x > 1e-3 {
                    return Err(Error::InvalidParameter {
                        name: "n_x",
                        value: self.n_x,
                        expected: "at most 1e-3/kappa, so that eps_sec = kappa * key length stays <= 1e-3",
                    });
                }
            }
            Security::Fixed(e) => {
                unit("eps_sec", e)?;
            }
        }
        Ok(())
    }
}

/// The optimised parameters: basis bias and the two upper intensities with their probabilities
/// (p_μ3 = 1 − p_μ1 − p_μ2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    /// Probability q_x of the X (key) basis, for both parties.
    pub q_x: f64,
    /// Probability of the signal μ1.
    pub p_mu1: f64,
    /// Probability of the decoy μ2.
    pub p_mu2: f64,
    /// Signal intensity μ1.
    pub mu1: f64,
    /// Decoy intensity μ2.
    pub mu2: f64,
}

/// The finite-key result at one distance and setting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FiniteKey {
    /// The parameters used.
    pub settings: Settings,
    /// Secret key length ℓ (Lim 2014 Eq. 1, floored; 0 when no key).
    pub key_length: f64,
    /// ℓ before flooring (negative when no key); the optimiser maximises this divided by N.
    pub signed_key_length: f64,
    /// Pulses sent, N.
    pub pulses: f64,
    /// Secret key rate per pulse, ℓ/N.
    pub rate_per_pulse: f64,
    /// Expected X-basis error rate E_X.
    pub qber_x: f64,
    /// The decoy-state bounds (with the ε_sec used).
    pub bounds: FiniteDecoyBounds,
}

/// A validated system and finite-key configuration: the (optimised) finite-key rate versus distance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Finite {
    system: System,
    config: FiniteConfig,
}

impl Finite {
    /// Checks the system and the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first field out of range.
    pub fn new(system: System, config: FiniteConfig) -> Result<Self> {
        system.validate()?;
        config.validate()?;
        Ok(Finite { system, config })
    }

    /// The configuration.
    pub fn config(&self) -> &FiniteConfig {
        &self.config
    }

    /// Lim 2014's expected detection and error probabilities per pulse of intensity k at η_sys: (R_k, e_k).
    fn detection(&self, eta_sys: f64, k: f64) -> (f64, f64) {
        let s = &self.system;
        let e_d = (1.0 - s.depolarization) * s.misalignment + 0.5 * s.depolarization;
        let click = -(-eta_sys * k).exp_m1();
        let d = 1.0 - (1.0 - 2.0 * s.dark_count) * (-eta_sys * k).exp();
        (d * (1.0 + s.afterpulse), s.dark_count + e_d * click + s.afterpulse * d / 2.0)
    }

    /// The key at `distance_km` with the given settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a bad distance or q_x outside (0, 1); errors of
    /// [`ThreeIntensity::new`] for the intensities and probabilities.
    pub fn evaluate(&self, distance_km: f64, settings: &Settings) -> Result<FiniteKey> {
        let eta = self.system.transmittance(distance_km)?;
        self.evaluate_at_transmittance(eta, settings)
    }

    fn evaluate_at_transmittance(&self, eta_sys: f64, st: &Settings) -> Result<FiniteKey> {
        let q_x = check_range("q_x", st.q_x, f64::MIN_POSITIVE, 1.0 - f64::EPSILON, "in (0, 1)")?;
        let source = ThreeIntensity::new(
            [st.mu1, st.mu2, self.config.mu3],
            [st.p_mu1, st.p_mu2, 1.0 - st.p_mu1 - st.p_mu2],
        )?;
        let (mu, p) = (source.intensities(), source.probabilities());
        let det: [(f64, f64); 3] = std::array::from_fn(|i| self.detection(eta_sys, mu[i]));
        let per_pulse_x: f64 = (0..3).map(|i| p[i] * q_x * q_x * det[i].0).sum();
        if per_pulse_x <= 0.0 {
            return Err(Error::NoSolution { detail: "no detections expected".into() });
        }
        let n_x = self.config.n_x;
        let pulses = n_x / per_pulse_x;
        let counts = |w: f64| BasisCounts {
            detections: std::array::from_fn(|i| pulses * p[i] * w * det[i].0),
            errors: std::array::from_fn(|i| pulses * p[i] * w * det[i].1),
        };
        let (x, z) = (counts(q_x * q_x), counts((1.0 - q_x) * (1.0 - q_x)));
        let qber_x = x.errors.iter().sum::<f64>() / n_x;
        let leak = self.system.ec_efficiency * n_x * h2(qber_x);
        let length = |eps_sec: f64| -> Result<(f64, FiniteDecoyBounds)> {
            let b = lim2014(&source, &x, &z, eps_sec)?;
            Ok((b.key_length(leak, self.config.eps_cor)?, b))
        };
        let (ell, bounds) = match self.config.security {
            Security::Fixed(eps) => length(eps)?,
            Security::PerKeyBit(kappa) => {
                // ℓ(ε) grows with ε and ℓ ≤ n_X, so iterating ε ← κ·ℓ from ℓ = n_X decreases to the largest
                // fixed point; ℓ is floored at 1 bit so ε stays positive.
                let mut ell_prev = n_x;
                let mut out = length(kappa * ell_prev)?;
                for _ in 0..30 {
                    let next = out.0.max(1.0);
                    if (next - ell_prev).abs() <= 1e-9 * ell_prev {
                        break;
                    }
                    ell_prev = next;
                    out = length(kappa * ell_prev)?;
                }
                out
            }
        };
        let key_length = ell.max(0.0).floor();
        Ok(FiniteKey {
            settings: *st,
            key_length,
            signed_key_length: ell,
            pulses,
            rate_per_pulse: key_length / pulses,
            qber_x,
            bounds,
        })
    }

    /// Maximises ℓ/N at `distance_km` over (q_x, p_μ1, p_μ2, μ1, μ2).
    ///
    /// The search runs in unconstrained coordinates (logit q_x; softmax of the probabilities against p_μ3;
    /// μ2 − μ3 = 0.8·σ(x₃), μ1 − μ2 − μ3 = 1.5·σ(x₄)), so every point satisfies the constraints of Lim 2014:
    /// a 512-point Halton scan of that box, then Nelder–Mead from the three best points, then one restart.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a bad distance; [`Error::NoSolution`] if no point of the scan is valid.
    pub fn optimise(&self, distance_km: f64) -> Result<FiniteKey> {
        let eta = self.system.transmittance(distance_km)?;
        self.optimise_at_transmittance(eta, None)
    }

    /// As [`Finite::optimise`], adding `hint` (e.g. the optimum at a nearby distance) to the starting points.
    ///
    /// # Errors
    /// As [`Finite::optimise`].
    pub fn optimise_from(&self, distance_km: f64, hint: &Settings) -> Result<FiniteKey> {
        let eta = self.system.transmittance(distance_km)?;
        self.optimise_at_transmittance(eta, Some(hint))
    }

    fn optimise_at_transmittance(&self, eta: f64, hint: Option<&Settings>) -> Result<FiniteKey> {
        let mu3 = self.config.mu3;
        let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
        let logit = |p: f64| (p / (1.0 - p)).ln();
        let decode = |x: &[f64; 5]| -> Settings {
            let (e1, e2) = (x[1].exp(), x[2].exp());
            let z = 1.0 + e1 + e2;
            let mu2 = mu3 + MU2_SPAN * sigmoid(x[3]);
            Settings {
                q_x: sigmoid(x[0]),
                p_mu1: e1 / z,
                p_mu2: e2 / z,
                mu2,
                mu1: mu2 + mu3 + MU1_SPAN * sigmoid(x[4]),
            }
        };
        let encode = |s: &Settings| -> [f64; 5] {
            let p3 = 1.0 - s.p_mu1 - s.p_mu2;
            [
                logit(s.q_x),
                (s.p_mu1 / p3).ln(),
                (s.p_mu2 / p3).ln(),
                logit((s.mu2 - mu3) / MU2_SPAN),
                logit((s.mu1 - s.mu2 - mu3) / MU1_SPAN),
            ]
        };
        // Minimise −ℓ/N where ℓ > 0. Where ℓ ≤ 0, −ℓ/N would reward sending more pulses (q_x → 0 drives it to
        // 0 from below), so the shortfall −ℓ/n_X ≥ 0 is minimised instead: continuous at ℓ = 0 and any key beats
        // none. The shortfall is < 1 + 10³/n_X; 10⁶ marks an invalid point.
        const PENALTY: f64 = 1e6;
        let n_x = self.config.n_x;
        let objective = |x: &[f64; 5]| match self.evaluate_at_transmittance(eta, &decode(x)) {
            Ok(k) if k.signed_key_length > 0.0 => -k.signed_key_length / k.pulses,
            Ok(k) => -k.signed_key_length / n_x,
            Err(_) => PENALTY,
        };
        // Scan box: q_x ∈ σ([−2, 5]), probability logits ∈ [−3, 3], intensity logits ∈ [−4, 3].
        let lo = [-2.0, -3.0, -3.0, -4.0, -4.0];
        let width = [7.0, 6.0, 6.0, 7.0, 7.0];
        let mut scan: Vec<([f64; 5], f64)> = (1..=SCAN_POINTS)
            .map(|i| {
                let x: [f64; 5] = std::array::from_fn(|d| lo[d] + width[d] * halton(i, HALTON_BASES[d]));
                (x, objective(&x))
            })
            .collect();
        if let Some(h) = hint {
            let x = encode(h);
            if x.iter().all(|v| v.is_finite()) {
                scan.push((x, objective(&x)));
            }
        }
        scan.sort_by(|a, b| a.1.total_cmp(&b.1));
        let opts = NelderMead { step: 0.5, x_tol: 1e-6, max_evals: 3000 };
        let (x, v) = scan
            .iter()
            .take(3)
            .map(|(x, _)| nelder_mead(objective, *x, opts))
            .chain(std::iter::once(scan[0]))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or(scan[0]);
        let (x, v) = {
            let polished = nelder_mead(objective, x, NelderMead { step: 0.1, ..opts });
            if polished.1 < v { polished } else { (x, v) }
        };
        if v >= PENALTY {
            return Err(Error::NoSolution { detail: "no valid finite-key parameters found".into() });
        }
        self.evaluate_at_transmittance(eta, &decode(&x))
    }

    /// As [`Finite::optimise`], for a budget of `pulses` sent pulses instead of a block size: the block size
    /// n_X of the configuration is only the starting point, rescaled by fixed-point iteration (at most 6 rounds,
    /// to 1 %) until the optimum's pulse count N matches the budget.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-positive or non-finite budget; otherwise as [`Finite::optimise`].
    pub fn optimise_for_pulses(&self, distance_km: f64, pulses: f64) -> Result<FiniteKey> {
        check_range("pulses", pulses, 1.0, 1e20, "in [1, 1e20]")?;
        let mut config = self.config;
        let mut last: Option<FiniteKey> = None;
        for _ in 0..6 {
            let finite = Finite::new(self.system, config)?;
            let key = match &last {
                Some(k) => finite.optimise_from(distance_km, &k.settings)?,
                None => finite.optimise(distance_km)?,
            };
            let scale = pulses / key.pulses;
            last = Some(key);
            if (scale - 1.0).abs() < 0.01 {
                break;
            }
            config.n_x = (config.n_x * scale).clamp(1.0, 1e18);
        }
        last.ok_or_else(|| Error::NoSolution { detail: "no finite-key optimum".into() })
    }

    /// The source that maximises the finite key for a budget of `pulses` at `distance_km`
    /// ([`Finite::optimise_for_pulses`]): intensities μ1, μ2 and the configuration's μ3 (μ3 = 0 gives the
    /// vacuum + weak decoy source) with their optimal probabilities, and the optimal X-basis probability.
    /// `None` when even the optimum has no key (the caller picks fixed settings and the run aborts with a
    /// reason).
    ///
    /// # Errors
    /// As [`Finite::optimise_for_pulses`], except that "no solution" is `Ok(None)`.
    pub fn optimal_source(&self, distance_km: f64, pulses: f64) -> Result<Option<Source>> {
        let key = match self.optimise_for_pulses(distance_km, pulses) {
            Ok(key) if key.key_length > 0.0 => key,
            Ok(_) | Err(Error::NoSolution { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let s = key.settings;
        let intensity = |mean, probability| Intensity { mean, probability };
        let p3 = 1.0 - s.p_mu1 - s.p_mu2;
        Source::new(
            vec![intensity(s.mu1, s.p_mu1), intensity(s.mu2, s.p_mu2), intensity(self.config.mu3, p3)],
            s.q_x,
        )
        .map(Some)
    }

    /// The optimised secret key rate per pulse at `distance_km` (0 when no key).
    ///
    /// # Errors
    /// As [`Finite::optimise`].
    pub fn key_rate(&self, distance_km: f64) -> Result<f64> {
        Ok(self.optimise(distance_km)?.rate_per_pulse)
    }

    /// The distance where the optimised key length reaches zero, to 0.01 km.
    ///
    /// # Errors
    /// [`Error::NoSolution`] if there is no key at 0 km or still a key at 2000 km.
    pub fn max_distance(&self) -> Result<f64> {
        // Near the edge the region with a key is small: start each search also from the last optimum found.
        let mut last: Option<Settings> = None;
        max_distance(
            |d| {
                let k = match &last {
                    Some(hint) => self.optimise_from(d, hint)?,
                    None => self.optimise(d)?,
                };
                if k.signed_key_length > 0.0 {
                    last = Some(k.settings);
                }
                Ok(k.signed_key_length)
            },
            50.0,
            SEARCH_LIMIT_KM,
            1e-2,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lim_detection_model_at_zero_km() {
        let f = Finite::new(System::lim2014(), FiniteConfig::lim2014(1e6)).unwrap();
        let (r, e) = f.detection(0.1, 0.5);
        let d = 1.0 - (1.0 - 1.2e-6) * (-0.05f64).exp();
        assert!((r - d * 1.04).abs() < 1e-15);
        // Misalignment 0.5 % of the clicks plus half the after-pulses: ≈ 2.4 % QBER (not 5 % as with η_ch).
        assert!((e / r - 0.0241).abs() < 5e-4, "{}", e / r);
    }

    #[test]
    fn optimising_for_a_pulse_budget_matches_the_budget() {
        let system = System { ec_efficiency: 1.1, ..System::gys() };
        let config = FiniteConfig { n_x: 1e4, mu3: 0.0, eps_cor: 1e-15, security: Security::Fixed(1e-10) };
        let f = Finite::new(system, config).unwrap();
        let k = f.optimise_for_pulses(25.0, 1e9).unwrap();
        assert!((k.pulses / 1e9 - 1.0).abs() < 0.02, "{}", k.pulses);
        assert!(k.key_length > 1e5 && k.settings.mu2 > 0.0, "{k:?}");
        assert!(f.optimise_for_pulses(25.0, 0.0).is_err());
    }

    #[test]
    fn bad_configurations_are_rejected() {
        let s = System::lim2014();
        assert!(Finite::new(s, FiniteConfig::lim2014(0.0)).is_err());
        assert!(matches!(
            Finite::new(s, FiniteConfig::lim2014(1e13)),
            Err(Error::InvalidParameter { name: "n_x", .. })
        ));
        assert!(Finite::new(s, FiniteConfig::lim2014(1e12)).is_ok());
        assert!(Finite::new(s, FiniteConfig { mu3: -1.0, ..FiniteConfig::lim2014(1e6) }).is_err());
        assert!(
            Finite::new(s, FiniteConfig { security: Security::Fixed(0.5), ..FiniteConfig::lim2014(1e6) })
                .is_err()
        );
        let f = Finite::new(s, FiniteConfig::lim2014(1e6)).unwrap();
        let ok = Settings { q_x: 0.8, p_mu1: 0.7, p_mu2: 0.2, mu1: 0.45, mu2: 0.15 };
        assert!(f.evaluate(50.0, &ok).is_ok());
        assert!(f.evaluate(-5.0, &ok).is_err());
        assert!(matches!(
            f.evaluate(50.0, &Settings { q_x: 1.0, ..ok }),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(f.evaluate(50.0, &Settings { mu1: 0.1, ..ok }), Err(Error::DecoyOrder { .. })));
        assert!(f.evaluate(50.0, &Settings { p_mu1: 0.9, ..ok }).is_err());
    }
}
