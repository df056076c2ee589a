//! The two engines against the closed forms of the reference: unbiased inner products, homodyne variance
//! (2G²−3G+2)/G, summed returned excess noise 2 − 2/G, and agreement between the engines. Every statistical
//! assertion uses a fixed seed and a 4σ tolerance derived from the estimator's own variance.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use ndarray::{Array1, Array2};
use quantumacy_optical::client::{Honest, Shot};
use quantumacy_optical::link::{homodyne_variance, returned_excess};
use quantumacy_optical::{Client, Engine, Error, GaussianEngine, Householder, ModeEngine, Packing};
use quantumacy_testkit::{assert_within_sigma, rng_for};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

fn random_vec(label: &str, d: usize) -> Array1<f32> {
    let mut rng = rng_for(label);
    (0..d).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn unit_dot(w: &Array1<f32>, x: &Array1<f32>) -> f64 {
    f64::from(w.dot(x)) / f64::from(x.dot(x).sqrt())
}

const SHOTS: u64 = 20_000;

#[test]
fn mode_engine_is_unbiased_with_the_homodyne_variance_and_returned_excess_of_the_reference() {
    let (w, x) = (random_vec("w", 784), random_vec("x", 784));
    for (packing, gain) in [(Packing::Complex, 1.3), (Packing::Real, 1.43), (Packing::Complex, 2.0)] {
        let f = 2.0;
        let engine = ModeEngine::new(f, gain, packing).unwrap();
        let stats = engine.repeat(w.view(), x.view(), SHOTS, 7).unwrap();
        let k = stats.shots() as f64;
        // Unbiased: mean of K estimates within 4σ, σ = sqrt(var/K).
        assert_within_sigma(stats.mean_estimate(), unit_dot(&w, &x), (stats.var_estimate() / k).sqrt(), 4.0);
        // Decoded noise variance is 1/s² = mean(w²)/F.
        let s2 = f / (f64::from(w.dot(&w)) / 784.0);
        assert_within_sigma(stats.var_estimate(), 1.0 / s2, (2.0 / (k - 1.0)).sqrt() / s2, 4.0);
        // Homodyne variance (2G²−3G+2)/G; the sample variance of K normals has σ = V·sqrt(2/(K−1)).
        let v = homodyne_variance(gain);
        assert_within_sigma(stats.var_homodyne(), v, v * (2.0 / (k - 1.0)).sqrt(), 4.0);
        // Summed returned excess noise g = 2 − 2/G.
        let tally = stats.excess();
        assert_within_sigma(tally.estimate(), returned_excess(gain), tally.std_error(), 4.0);
    }
}

#[test]
fn loss_and_technical_noise_scale_the_returned_excess() {
    let (w, x) = (random_vec("w2", 392), random_vec("x2", 392));
    let (t, xi, gain) = (0.8, 0.002, 1.5);
    let engine = ModeEngine::new(1.0, gain, Packing::Complex).unwrap().with_channel(t, xi).unwrap();
    let tally = engine.repeat(w.view(), x.view(), SHOTS, 3).unwrap().excess();
    let expected = t * returned_excess(gain) + 196.0 * xi;
    assert!((engine.honest_excess(392) - expected).abs() < 1e-12);
    assert_within_sigma(tally.estimate(), expected, tally.std_error(), 4.0);
}

/// The honest client done the long way: explicit Householder unitary, mode 1 = index 0, inverse unitary.
#[derive(Debug)]
struct ExplicitHouseholder(f64);

impl Client for ExplicitHouseholder {
    fn respond<R: Rng + ?Sized>(&self, shot: Shot<'_>, rng: &mut R) -> f64 {
        let g = self.0;
        let h = Householder::new(shot.xhat);
        h.apply(shot.quads);
        let a = shot.quads[0];
        let n1: f64 = StandardNormal.sample(rng);
        let amp = g.sqrt() * a + (g - 1.0).sqrt() * n1;
        let u: f64 = StandardNormal.sample(rng);
        let t = 1.0 - 1.0 / g;
        shot.quads[0] = (1.0 - t).sqrt() * amp + t.sqrt() * u;
        h.apply(shot.quads);
        t.sqrt() * amp - (1.0 - t).sqrt() * u
    }

    fn homodyne_gain(&self) -> f64 {
        (self.0 - 1.0).sqrt()
    }
}

#[test]
fn rank_one_update_equals_explicit_householder_unitary() {
    let x = random_vec("hx", 50);
    let norm = x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
    let xhat: Vec<f64> = x.iter().map(|&v| f64::from(v) / norm).collect();
    // H is orthogonal with first row x̂.
    let h = Householder::new(&xhat);
    let mut e0 = vec![0.0; 50];
    e0[0] = 1.0;
    h.apply(&mut e0);
    for (a, b) in e0.iter().zip(&xhat) {
        assert!((a - b).abs() < 1e-12);
    }
    let mut z: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.1 - 2.0).collect();
    let norm0: f64 = z.iter().map(|v| v * v).sum();
    h.apply(&mut z);
    assert!((z.iter().map(|v| v * v).sum::<f64>() - norm0).abs() < 1e-9);

    let w = random_vec("hw", 50);
    let batch = Array2::from_shape_vec((1, 50), x.to_vec()).unwrap();
    let w2 = Array2::from_shape_vec((1, 50), w.to_vec()).unwrap();
    let fast = ModeEngine::new(3.0, 1.4, Packing::Real).unwrap();
    let slow = fast.clone().with_client(ExplicitHouseholder(1.4));
    for seed in 0..5 {
        let (a, ta) = fast.matmul_verified(w2.view(), batch.view(), seed).unwrap();
        let (b, tb) = slow.matmul_verified(w2.view(), batch.view(), seed).unwrap();
        assert!((a[[0, 0]] - b[[0, 0]]).abs() < 1e-5);
        assert!((ta.estimate() - tb.estimate()).abs() < 1e-8);
    }
    let _ = Honest { gain: 1.4 };
}

#[test]
fn gaussian_engine_is_unbiased_with_variance_norm_squared_over_s_squared() {
    let d = 64;
    let w = Array2::from_shape_fn((3, d), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 5.0 - 1.0);
    let x = random_vec("gx", d);
    let batch = Array2::from_shape_fn((20_000, d), |(_, j)| x[j]);
    let f = 0.5;
    let y = GaussianEngine::new(f).unwrap().matmul(w.view(), batch.view(), 11).unwrap();
    let exact = w.dot(&x);
    let mean_sq = w.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / w.len() as f64;
    let var = f64::from(x.dot(&x)) * mean_sq / f;
    let k = 20_000.0;
    for j in 0..3 {
        let col = y.column(j);
        let mean = col.iter().map(|&v| f64::from(v)).sum::<f64>() / k;
        let sv = col.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / (k - 1.0);
        assert_within_sigma(mean, f64::from(exact[j]), (var / k).sqrt(), 4.0);
        assert_within_sigma(sv, var, var * (2.0 / (k - 1.0)).sqrt(), 4.0);
    }
    let clean = GaussianEngine::new(f64::INFINITY).unwrap().matvec(w.view(), x.view(), 0).unwrap();
    for (a, b) in clean.iter().zip(&exact) {
        assert!((a - b).abs() < 1e-4);
    }
}

#[test]
fn engines_agree_in_distribution_on_a_layer() {
    let (m, d) = (8, 100);
    let w = Array2::from_shape_fn((m, d), |(i, j)| (((i * 31 + j * 17) % 23) as f32 - 11.0) / 11.0);
    let x = random_vec("ax", d);
    let batch = Array2::from_shape_fn((2_000, d), |(_, j)| x[j]);
    let f = 1.5;
    let g = GaussianEngine::new(f).unwrap().matmul(w.view(), batch.view(), 1).unwrap();
    let o = ModeEngine::new(f, 1.43, Packing::Complex).unwrap().matmul(w.view(), batch.view(), 2).unwrap();
    let k = 2_000.0;
    for j in 0..m {
        let (ga, oa) = (g.column(j), o.column(j));
        let mean = |c: &ndarray::ArrayView1<f32>| c.iter().map(|&v| f64::from(v)).sum::<f64>() / k;
        let var = |c: &ndarray::ArrayView1<f32>, mu: f64| {
            c.iter().map(|&v| (f64::from(v) - mu).powi(2)).sum::<f64>() / (k - 1.0)
        };
        let (mg, mo) = (mean(&ga), mean(&oa));
        let (vg, vo) = (var(&ga, mg), var(&oa, mo));
        // Difference of two independent means: σ = sqrt((vg + vo)/K).
        assert_within_sigma(mo - mg, 0.0, ((vg + vo) / k).sqrt(), 4.0);
        // Ratio of sample variances: log-ratio has σ ≈ sqrt(4/K).
        assert_within_sigma((vo / vg).ln(), 0.0, (4.0 / k).sqrt(), 4.0);
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let w = Array2::<f32>::ones((3, 4));
    let g = GaussianEngine::new(1.0).unwrap();
    let m = ModeEngine::new(1.0, 1.3, Packing::Complex).unwrap();
    let wrong = Array2::<f32>::ones((2, 5));
    let empty = Array2::<f32>::zeros((0, 4));
    let mut nan = Array2::<f32>::ones((2, 4));
    nan[[1, 2]] = f32::NAN;
    let zero = Array2::<f32>::zeros((1, 4));
    for engine in [&g as &dyn Engine, &m as &dyn Engine] {
        assert!(matches!(
            engine.matmul(w.view(), wrong.view(), 0),
            Err(Error::Dimension { expected: 4, found: 5, .. })
        ));
        assert!(matches!(engine.matmul(w.view(), empty.view(), 0), Err(Error::Empty { .. })));
        assert!(matches!(engine.matmul(w.view(), nan.view(), 0), Err(Error::NonFinite { .. })));
        assert!(matches!(engine.matmul(nan.view(), w.view(), 0), Err(Error::NonFinite { .. })));
        assert!(matches!(engine.matmul(w.view(), zero.view(), 0), Err(Error::ZeroNorm { .. })));
        assert!(matches!(engine.matmul(zero.view(), w.view(), 0), Err(Error::ZeroNorm { .. })));
    }
    assert!(GaussianEngine::new(0.0).is_err());
    assert!(GaussianEngine::new(f64::NAN).is_err());
    assert!(ModeEngine::new(1.0, 1.0, Packing::Real).is_err());
    assert!(ModeEngine::new(1.0, 0.5, Packing::Real).is_err());
    assert!(ModeEngine::new(-1.0, 1.3, Packing::Real).is_err());
    assert!(m.clone().with_channel(1.5, 0.0).is_err());
    assert!(m.clone().with_channel(0.5, -1.0).is_err());
    let x = Array1::<f32>::ones(4);
    assert!(matches!(m.repeat(w.row(0), x.view(), 0, 0), Err(Error::Empty { .. })));
}

#[test]
fn error_display_strings_are_pinned() {
    let cases: Vec<(Error, &str)> = vec![
        (
            Error::Parameter { name: "G", value: 0.5, expected: "G >= 1" },
            "parameter G = 0.5 is out of range: G >= 1",
        ),
        (
            Error::Dimension { what: "W·x", expected: 4, found: 5 },
            "dimension mismatch in W·x: expected 4, found 5",
        ),
        (Error::Empty { what: "batch" }, "empty input to batch"),
        (Error::NonFinite { what: "batch" }, "non-finite value in batch"),
        (Error::ZeroNorm { what: "batch row" }, "zero vector in batch row: cannot normalise"),
        (Error::Format { detail: "bad version".into() }, "invalid model file: bad version"),
        (Error::Plot { detail: "x".into() }, "plotting failed: x"),
    ];
    for (e, s) in cases {
        assert_eq!(e.to_string(), s);
    }
}

/// The honest strategy without the fused fast path: runs the generic per-mode code.
#[derive(Debug)]
struct GenericHonest(f64);

impl Client for GenericHonest {
    fn respond<R: Rng + ?Sized>(&self, shot: Shot<'_>, rng: &mut R) -> f64 {
        Honest { gain: self.0 }.respond(shot, rng)
    }

    fn homodyne_gain(&self) -> f64 {
        (self.0 - 1.0).sqrt()
    }
}

#[test]
fn fused_honest_path_equals_the_generic_per_mode_path() {
    let (m, d) = (5, 98);
    let w = Array2::from_shape_fn((m, d), |(i, j)| (((i * 13 + j * 7) % 19) as f32 - 9.0) / 9.0);
    let batch = Array2::from_shape_fn((3, d), |(i, j)| ((i + j * 5) % 11) as f32 / 11.0 + 0.05);
    for packing in [Packing::Complex, Packing::Real] {
        let fast = ModeEngine::new(2.0, 1.37, packing).unwrap();
        let slow = fast.clone().with_client(GenericHonest(1.37));
        let (a, ta) = fast.matmul_verified(w.view(), batch.view(), 9).unwrap();
        let (b, tb) = slow.matmul_verified(w.view(), batch.view(), 9).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{x} vs {y}");
        }
        assert!((ta.estimate() - tb.estimate()).abs() < 1e-8, "{} vs {}", ta.estimate(), tb.estimate());
    }
}
