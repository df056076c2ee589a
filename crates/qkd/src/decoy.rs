//! Decoy-state bounds on the single-photon contribution, computed from measured (or expected) quantities.
//!
//! Two estimators, both pure functions of what the parties observe:
//!
//! * **Vacuum + weak decoy, asymptotic** — Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005) (MQZL), Eqs. 34 and 37:
//!   a lower bound on the single-photon yield Y1 and an upper bound on its error rate e1 from the gains Q_μ, Q_ν,
//!   the decoy error rate E_ν and the background yield Y0 (measured with the vacuum decoy).
//! * **Three intensities, finite size** — Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014), Eqs. 2–5:
//!   bounds on the vacuum and single-photon detection counts s_X,0, s_X,1 and on the single-photon phase error
//!   rate φ_X from the per-intensity counts, with Hoeffding corrections n±_k for a failure probability ε_sec.
//!
//! Notation follows the papers: μ signal, ν weak decoy, k ∈ {μ1, μ2, μ3} the three intensities with μ1 > μ2 + μ3
//! and μ2 > μ3 ≥ 0, p_k their probabilities, n_X,k detections in the X (key) basis, m_Z,k errors in the Z basis.
//! Counts are `f64` so the same code evaluates expected counts (theory) and observed integers (estimation).

use serde::Serialize;

use crate::error::{Error, Result, check_range};

/// Error rate of a background (vacuum) click, e0 = 1/2.
pub const E0: f64 = 0.5;

/// What the vacuum + weak decoy method needs from a run (MQZL Sec. V).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VacuumWeakObservations {
    /// Signal intensity μ.
    pub mu: f64,
    /// Weak decoy intensity ν, 0 < ν < μ.
    pub nu: f64,
    /// Gain of the signal, Q_μ.
    pub gain_mu: f64,
    /// Gain of the weak decoy, Q_ν.
    pub gain_nu: f64,
    /// Quantum bit error rate of the weak decoy, E_ν.
    pub qber_nu: f64,
    /// Background yield Y0 (the gain of the vacuum decoy).
    pub y0: f64,
}

/// Bounds from [`VacuumWeakObservations::bounds`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VacuumWeakBounds {
    /// Lower bound on the single-photon yield, Y1^L (MQZL Eq. 34), floored at 0 (a negative bound is vacuous).
    pub y1_lower: f64,
    /// Upper bound on the single-photon error rate, e1^U (MQZL Eq. 37), clipped to [0, 1]; 1 when Y1^L = 0.
    pub e1_upper: f64,
    /// Lower bound on the single-photon gain, Q1^L = Y1^L · μ e^(−μ) (MQZL Eq. 5 with Y1^L).
    pub q1_lower: f64,
}

impl VacuumWeakObservations {
    /// Evaluates MQZL Eqs. 34 and 37:
    ///
    /// Y1^L = μ/(μν − ν²) · [Q_ν e^ν − Q_μ e^μ ν²/μ² − (μ² − ν²)/μ² · Y0],
    /// e1^U = (E_ν Q_ν e^ν − e0 Y0)/(Y1^L ν),  Q1^L = Y1^L μ e^(−μ).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for μ ≤ 0, ν ≤ 0 or a gain, error rate or Y0 outside [0, 1] (or non-finite);
    /// [`Error::DecoyOrder`] unless ν < μ.
    pub fn bounds(&self) -> Result<VacuumWeakBounds> {
        let mu = check_range("mu", self.mu, f64::MIN_POSITIVE, 100.0, "in (0, 100]")?;
        let nu = check_range("nu", self.nu, f64::MIN_POSITIVE, 100.0, "in (0, 100]")?;
        if nu >= mu {
            return Err(Error::DecoyOrder { detail: format!("weak decoy nu = {nu} is not below mu = {mu}") });
        }
        let q_mu = check_range("gain_mu", self.gain_mu, 0.0, 1.0, "in [0, 1]")?;
        let q_nu = check_range("gain_nu", self.gain_nu, 0.0, 1.0, "in [0, 1]")?;
        let e_nu = check_range("qber_nu", self.qber_nu, 0.0, 1.0, "in [0, 1]")?;
        let y0 = check_range("y0", self.y0, 0.0, 1.0, "in [0, 1]")?;

        // Eq. 34.
        let y1_raw = mu / (mu * nu - nu * nu)
            * (q_nu * nu.exp()
                - q_mu * mu.exp() * nu * nu / (mu * mu)
                - (mu * mu - nu * nu) / (mu * mu) * y0);
        let y1_lower = y1_raw.max(0.0);
        // Eq. 37; with no single-photon yield left the bound carries no information.
        let e1_upper = if y1_lower > 0.0 {
            ((e_nu * q_nu * nu.exp() - E0 * y0) / (y1_lower * nu)).clamp(0.0, 1.0)
        } else {
            1.0
        };
        Ok(VacuumWeakBounds { y1_lower, e1_upper, q1_lower: y1_lower * mu * (-mu).exp() })
    }
}

/// The three intensities μ1 > μ2 + μ3, μ2 > μ3 ≥ 0 of Lim et al. (2014) and their probabilities p_k.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ThreeIntensity {
    mu: [f64; 3],
    p: [f64; 3],
}

impl ThreeIntensity {
    /// Builds the intensity set; `mu = [μ1, μ2, μ3]`, `p = [p_μ1, p_μ2, p_μ3]`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an intensity outside [0, 100] (μ1, μ2 > 0) or a probability outside
    /// (0, 1]; [`Error::DecoyOrder`] unless μ1 > μ2 + μ3 and μ2 > μ3 (Lim 2014, protocol step 1);
    /// [`Error::ProbabilitySum`] unless Σ p_k = 1 within 10⁻⁹.
    pub fn new(mu: [f64; 3], p: [f64; 3]) -> Result<Self> {
        check_range("mu1", mu[0], f64::MIN_POSITIVE, 100.0, "in (0, 100]")?;
        check_range("mu2", mu[1], f64::MIN_POSITIVE, 100.0, "in (0, 100]")?;
        check_range("mu3", mu[2], 0.0, 100.0, "in [0, 100]")?;
        if mu[1] <= mu[2] || mu[0] <= mu[1] + mu[2] {
            return Err(Error::DecoyOrder {
                detail: format!("need mu1 > mu2 + mu3 and mu2 > mu3, got {} / {} / {}", mu[0], mu[1], mu[2]),
            });
        }
        for pk in p {
            check_range("intensity probability", pk, f64::MIN_POSITIVE, 1.0, "in (0, 1]")?;
        }
        let sum: f64 = p.iter().sum();
        if (sum - 1.0).abs() > 1e-9 {
            return Err(Error::ProbabilitySum { what: "intensity", sum });
        }
        Ok(ThreeIntensity { mu, p })
    }

    /// The intensities [μ1, μ2, μ3].
    pub fn intensities(&self) -> [f64; 3] {
        self.mu
    }

    /// The probabilities [p_μ1, p_μ2, p_μ3].
    pub fn probabilities(&self) -> [f64; 3] {
        self.p
    }

    /// τ_n = Σ_k p_k e^(−k) kⁿ/n!, the probability that Alice sends n photons (Lim 2014, below Eq. 2).
    pub fn tau(&self, n: u32) -> f64 {
        let fact: f64 = (1..=n).map(f64::from).product();
        let n = i32::try_from(n).unwrap_or(i32::MAX);
        self.mu.iter().zip(self.p).map(|(&k, pk)| pk * (-k).exp() * k.powi(n) / fact).sum()
    }

    /// Hoeffding-corrected counts (Lim 2014, below Eq. 5):
    /// n±_k = (e^k/p_k)·[n_k ± √(n/2 · ln(21/ε_sec))], n = Σ_k n_k.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite count or ε_sec outside (0, 1).
    pub fn hoeffding(&self, counts: [f64; 3], eps_sec: f64) -> Result<Corrected> {
        for c in counts {
            check_range("count", c, 0.0, f64::MAX, "finite and ≥ 0")?;
        }
        let delta = hoeffding_delta(counts.iter().sum(), eps_sec)?;
        let scale = |i: usize| self.mu[i].exp() / self.p[i];
        Ok(Corrected {
            minus: std::array::from_fn(|i| scale(i) * (counts[i] - delta)),
            plus: std::array::from_fn(|i| scale(i) * (counts[i] + delta)),
        })
    }
}

/// √(n/2 · ln(21/ε_sec)), the Hoeffding deviation of Lim 2014.
fn hoeffding_delta(total: f64, eps_sec: f64) -> Result<f64> {
    let eps = check_range("eps_sec", eps_sec, f64::MIN_POSITIVE, 1.0 - f64::EPSILON, "in (0, 1)")?;
    Ok((total / 2.0 * (21.0 / eps).ln()).sqrt())
}

/// Hoeffding-corrected counts n−_k, n+_k per intensity (index 0 = μ1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Corrected {
    /// n−_k.
    pub minus: [f64; 3],
    /// n+_k.
    pub plus: [f64; 3],
}

/// Counts observed in one basis, per intensity (index 0 = μ1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BasisCounts {
    /// Detections n_k (after sifting: both parties chose this basis).
    pub detections: [f64; 3],
    /// Bit errors m_k among them.
    pub errors: [f64; 3],
}

/// The finite-size decoy-state bounds of Lim 2014, Eqs. 2–5.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FiniteDecoyBounds {
    /// Lower bound on the X-basis vacuum detections s_X,0 (Eq. 2), floored at 0.
    pub s_x0: f64,
    /// Lower bound on the X-basis single-photon detections s_X,1 (Eq. 3), floored at 0.
    pub s_x1: f64,
    /// Lower bound on the Z-basis vacuum detections s_Z,0 (Eq. 2 with Z counts), floored at 0.
    pub s_z0: f64,
    /// Lower bound on the Z-basis single-photon detections s_Z,1 (Eq. 3 with Z counts), floored at 0.
    pub s_z1: f64,
    /// Upper bound on the Z-basis single-photon errors v_Z,1 (Eq. 4), floored at 0.
    pub v_z1: f64,
    /// Upper bound on the X-basis single-photon phase error rate φ_X (Eq. 5), clipped to [0, 1/2]
    /// (1/2 = no information, also used when s_Z,1 or s_X,1 is 0).
    pub phi_x: f64,
    /// The ε_sec the Hoeffding corrections were computed for.
    pub eps_sec: f64,
}

impl FiniteDecoyBounds {
    /// The argument of the floor in Lim 2014 Eq. 1 (the secret key length ℓ before rounding):
    /// s_X,0 + s_X,1 − s_X,1·h(φ_X) − λ_EC − 6 log2(21/ε_sec) − log2(2/ε_cor).
    ///
    /// `leak_ec_bits` is λ_EC, the error-correction leakage (in a run: the bits actually disclosed). Negative
    /// when no key is possible.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative leakage or ε_cor outside (0, 1).
    pub fn key_length(&self, leak_ec_bits: f64, eps_cor: f64) -> Result<f64> {
        check_range("leak_ec_bits", leak_ec_bits, 0.0, f64::MAX, "finite and ≥ 0")?;
        let eps_cor = check_range("eps_cor", eps_cor, f64::MIN_POSITIVE, 1.0 - f64::EPSILON, "in (0, 1)")?;
        Ok(self.s_x0 + self.s_x1 * (1.0 - crate::theory::h2(self.phi_x))
            - leak_ec_bits
            - 6.0 * (21.0 / self.eps_sec).log2()
            - (2.0 / eps_cor).log2())
    }
}

/// Lim 2014 Eq. 2: s_0 ≥ τ0 (μ2 n−_μ3 − μ3 n+_μ2)/(μ2 − μ3).
pub fn vacuum_lower(source: &ThreeIntensity, n: &Corrected) -> f64 {
    let [_, mu2, mu3] = source.mu;
    source.tau(0) * (mu2 * n.minus[2] - mu3 * n.plus[1]) / (mu2 - mu3)
}

/// Lim 2014 Eq. 3: s_1 ≥ τ1 μ1 [n−_μ2 − n+_μ3 − (μ2² − μ3²)/μ1² · (n+_μ1 − s_0/τ0)] / [μ1(μ2 − μ3) − μ2² + μ3²].
///
/// `s0` is the vacuum bound of the same basis ([`vacuum_lower`]).
pub fn single_photon_lower(source: &ThreeIntensity, n: &Corrected, s0: f64) -> f64 {
    let [mu1, mu2, mu3] = source.mu;
    let tail = (mu2 * mu2 - mu3 * mu3) / (mu1 * mu1) * (n.plus[0] - s0 / source.tau(0));
    source.tau(1) * mu1 * (n.minus[1] - n.plus[2] - tail) / (mu1 * (mu2 - mu3) - mu2 * mu2 + mu3 * mu3)
}

/// Lim 2014 Eq. 4: v_Z,1 ≤ τ1 (m+_Z,μ2 − m−_Z,μ3)/(μ2 − μ3), from the Hoeffding-corrected Z-basis error counts.
pub fn single_photon_errors_upper(source: &ThreeIntensity, m: &Corrected) -> f64 {
    let [_, mu2, mu3] = source.mu;
    source.tau(1) * (m.plus[1] - m.minus[2]) / (mu2 - mu3)
}

/// Lim 2014 Eq. 5's statistical term
/// γ(a, b, c, d) = √[ (c + d)(1 − b)b/(c d ln 2) · log2( (c + d)/(c d (1 − b) b) · 21²/a² ) ].
///
/// Defined for a ∈ (0, 1), c, d > 0; γ → 0 as b → 0 or 1, which is returned there. Returns `None` if c or d
/// is not positive or a is outside (0, 1).
pub fn gamma(a: f64, b: f64, c: f64, d: f64) -> Option<f64> {
    if !(a > 0.0 && a < 1.0 && c > 0.0 && d > 0.0 && b.is_finite()) {
        return None;
    }
    if b <= 0.0 || b >= 1.0 {
        return Some(0.0);
    }
    let v = b * (1.0 - b);
    let arg = (c + d) / (c * d * v) * (21.0 * 21.0) / (a * a);
    Some(((c + d) * v / (c * d * std::f64::consts::LN_2) * arg.log2()).max(0.0).sqrt())
}

/// All of Lim 2014 Eqs. 2–5 from the per-intensity counts of both bases.
///
/// `x` are the X-basis (key) detections (errors unused), `z` the Z-basis detections and errors.
///
/// # Errors
/// [`Error::InvalidParameter`] for a negative or non-finite count, errors exceeding detections, or ε_sec
/// outside (0, 1).
pub fn lim2014(
    source: &ThreeIntensity,
    x: &BasisCounts,
    z: &BasisCounts,
    eps_sec: f64,
) -> Result<FiniteDecoyBounds> {
    for basis in [x, z] {
        for (n, m) in basis.detections.iter().zip(basis.errors) {
            check_range("error count", m, 0.0, *n, "finite, ≥ 0 and ≤ the detections")?;
        }
    }
    let nx = source.hoeffding(x.detections, eps_sec)?;
    let nz = source.hoeffding(z.detections, eps_sec)?;
    let mz = source.hoeffding(z.errors, eps_sec)?;
    let s_x0 = vacuum_lower(source, &nx).max(0.0);
    let s_x1 = single_photon_lower(source, &nx, s_x0).max(0.0);
    let s_z0 = vacuum_lower(source, &nz).max(0.0);
    let s_z1 = single_photon_lower(source, &nz, s_z0).max(0.0);
    let v_z1 = single_photon_errors_upper(source, &mz).max(0.0);
    let phi_x = if s_z1 > 0.0 && s_x1 > 0.0 {
        let ratio = v_z1 / s_z1;
        match gamma(eps_sec, ratio, s_z1, s_x1) {
            Some(g) => (ratio + g).clamp(0.0, 0.5),
            None => 0.5,
        }
    } else {
        0.5
    };
    Ok(FiniteDecoyBounds { s_x0, s_x1, s_z0, s_z1, v_z1, phi_x, eps_sec })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vacuum_weak_recovers_the_true_single_photon_yield_as_nu_goes_to_zero() {
        // Exact model (MQZL Eqs. 8–9) with η = 10⁻³, Y0 = 10⁻⁵, e_det = 0.02.
        let (eta, y0, ed, mu) = (1e-3_f64, 1e-5_f64, 0.02, 0.5);
        let gain = |k: f64| y0 + (1.0 - y0) * (1.0 - (-eta * k).exp());
        let qber = |k: f64| (E0 * y0 + ed * (1.0 - y0) * (1.0 - (-eta * k).exp())) / gain(k);
        let y1 = y0 + eta - y0 * eta;
        let e1 = (E0 * y0 + ed * eta) / y1;
        let nu = 1e-3;
        let obs =
            VacuumWeakObservations { mu, nu, gain_mu: gain(mu), gain_nu: gain(nu), qber_nu: qber(nu), y0 };
        let b = obs.bounds().unwrap();
        assert!(b.y1_lower <= y1 && b.y1_lower > 0.99 * y1, "{} vs {y1}", b.y1_lower);
        assert!(b.e1_upper >= e1 && b.e1_upper < 1.01 * e1, "{} vs {e1}", b.e1_upper);
        assert!((b.q1_lower - b.y1_lower * mu * (-mu).exp()).abs() < 1e-18);
    }

    #[test]
    fn vacuum_weak_rejects_bad_inputs() {
        let ok = VacuumWeakObservations {
            mu: 0.5,
            nu: 0.1,
            gain_mu: 1e-3,
            gain_nu: 2e-4,
            qber_nu: 0.03,
            y0: 1e-6,
        };
        assert!(ok.bounds().is_ok());
        assert!(matches!(VacuumWeakObservations { nu: 0.5, ..ok }.bounds(), Err(Error::DecoyOrder { .. })));
        assert!(matches!(VacuumWeakObservations { nu: 0.7, ..ok }.bounds(), Err(Error::DecoyOrder { .. })));
        for bad in [
            VacuumWeakObservations { mu: 0.0, ..ok },
            VacuumWeakObservations { nu: -0.1, ..ok },
            VacuumWeakObservations { gain_mu: 1.5, ..ok },
            VacuumWeakObservations { gain_nu: f64::NAN, ..ok },
            VacuumWeakObservations { qber_nu: -0.1, ..ok },
            VacuumWeakObservations { y0: f64::INFINITY, ..ok },
        ] {
            assert!(matches!(bad.bounds(), Err(Error::InvalidParameter { .. })), "{bad:?}");
        }
        // Nothing left for single photons: vacuous bounds, not NaN.
        let dark = VacuumWeakObservations { gain_mu: 1e-6, gain_nu: 0.0, y0: 1e-6, ..ok }.bounds().unwrap();
        assert_eq!((dark.y1_lower, dark.e1_upper, dark.q1_lower), (0.0, 1.0, 0.0));
    }

    #[test]
    fn three_intensity_validation() {
        assert!(ThreeIntensity::new([0.5, 0.1, 2e-4], [0.7, 0.2, 0.1]).is_ok());
        assert!(matches!(
            ThreeIntensity::new([0.3, 0.2, 0.15], [0.7, 0.2, 0.1]),
            Err(Error::DecoyOrder { .. })
        ));
        assert!(matches!(
            ThreeIntensity::new([0.5, 0.1, 0.1], [0.7, 0.2, 0.1]),
            Err(Error::DecoyOrder { .. })
        ));
        assert!(matches!(
            ThreeIntensity::new([0.5, 0.1, 0.0], [0.7, 0.2, 0.2]),
            Err(Error::ProbabilitySum { .. })
        ));
        assert!(matches!(
            ThreeIntensity::new([0.5, 0.1, -1e-3], [0.7, 0.2, 0.1]),
            Err(Error::InvalidParameter { name: "mu3", .. })
        ));
        assert!(matches!(
            ThreeIntensity::new([0.5, 0.1, 0.0], [0.8, 0.2, 0.0]),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn tau_is_the_photon_number_distribution_of_the_mixture() {
        let s = ThreeIntensity::new([0.5, 0.1, 0.0], [0.5, 0.3, 0.2]).unwrap();
        let sum: f64 = (0..40).map(|n| s.tau(n)).sum();
        assert!((sum - 1.0).abs() < 1e-12);
        let want0 = 0.5 * (-0.5f64).exp() + 0.3 * (-0.1f64).exp() + 0.2;
        assert!((s.tau(0) - want0).abs() < 1e-15);
    }

    #[test]
    fn hoeffding_corrections_bracket_the_rescaled_counts_symmetrically() {
        let s = ThreeIntensity::new([0.5, 0.1, 0.0], [0.5, 0.3, 0.2]).unwrap();
        let c = s.hoeffding([1000.0, 200.0, 50.0], 1e-10).unwrap();
        let delta = (1250.0f64 / 2.0 * (21.0f64 / 1e-10).ln()).sqrt();
        assert!((c.plus[0] - 0.5f64.exp() / 0.5 * (1000.0 + delta)).abs() < 1e-9);
        assert!((c.minus[2] - (50.0 - delta) / 0.2).abs() < 1e-9);
        assert!(s.hoeffding([1.0, -1.0, 0.0], 1e-10).is_err());
        assert!(s.hoeffding([1.0, 1.0, 0.0], 0.0).is_err());
        assert!(s.hoeffding([1.0, 1.0, 0.0], 1.0).is_err());
    }

    #[test]
    fn gamma_limits() {
        assert_eq!(gamma(1e-10, 0.0, 1e4, 1e4), Some(0.0));
        assert_eq!(gamma(1e-10, 1e-3, 0.0, 1e4), None);
        assert_eq!(gamma(0.0, 1e-3, 1e4, 1e4), None);
        let g = gamma(1e-10, 0.02, 1e6, 1e6).unwrap();
        // √[2e6·0.0196/(1e12 ln2) · log2(2e6/(1e12·0.0196)·441e20)], evaluated independently.
        assert!((g - 1.871_984_445_729e-3).abs() < 1e-14, "{g}");
        assert!(gamma(1e-10, 0.02, 1e8, 1e8).unwrap() < g / 5.0);
    }

    #[test]
    fn lim2014_rejects_more_errors_than_detections() {
        let s = ThreeIntensity::new([0.5, 0.1, 0.0], [0.5, 0.3, 0.2]).unwrap();
        let x = BasisCounts { detections: [1e5, 1e4, 10.0], errors: [0.0; 3] };
        let z = BasisCounts { detections: [1e4, 1e3, 1.0], errors: [100.0, 10.0, 2.0] };
        assert!(matches!(
            lim2014(&s, &x, &z, 1e-10),
            Err(Error::InvalidParameter { name: "error count", .. })
        ));
    }
}
