//! Server verification at the paper's n = 392 modes: an honest client passes, cheaters are rejected with K from
//! the sizing rule K = Var(S)·(z_accept + z_reject)²/(g′ − g)², and the measured false-reject and false-accept
//! counts over seeds are reported. z = 4 on each side: either error has probability ≈ 3·10⁻⁵ per run.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use ndarray::Array1;
use quantumacy_optical::client::{Honest, InterceptResend, LargerTap};
use quantumacy_optical::{Client, ModeEngine, Packing, Verifier};
use quantumacy_testkit::seeds;

const N: usize = 392;
const G: f64 = 1.3;

fn vectors() -> (Array1<f32>, Array1<f32>) {
    let w = (0..2 * N).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
    let x = (0..2 * N).map(|i| ((i * 53 % 97) as f32) / 97.0).collect();
    (w, x)
}

fn run<C: Client>(client: C, k: u64, seed: u64, verifier: &Verifier) -> bool {
    run_at(1.0, client, k, seed, verifier)
}

fn run_at<C: Client>(snr: f64, client: C, k: u64, seed: u64, verifier: &Verifier) -> bool {
    let (w, x) = vectors();
    let engine = ModeEngine::new(snr, G, Packing::Complex).unwrap().with_client(client);
    let tally = engine.repeat(w.view(), x.view(), k, seed).unwrap().excess();
    verifier.verify(&tally).accepted
}

#[test]
fn sizing_rule_matches_the_reference() {
    let engine = ModeEngine::new(1.0, G, Packing::Complex).unwrap();
    let v = Verifier::new(N, engine.honest_excess(2 * N), 0.0, 4.0).unwrap();
    // Std of the pooled estimator ≈ sqrt(2n/K): 0.89 at K = 10³, 0.089 at K = 10⁵.
    assert!((v.shot_sigma() / 1e3f64.sqrt() - 0.89).abs() < 0.01);
    assert!((v.shot_sigma() / 1e5f64.sqrt() - 0.089).abs() < 0.001);
    let k = v.shots_needed(2.0 - 1.0 / G, 4.0);
    assert!((80_000..90_000).contains(&k), "K = {k}");
    assert_eq!(v.shots_needed(v.threshold(1) - v.shot_sigma() * 4.0, 4.0), u64::MAX);
}

#[test]
fn honest_passes_and_cheaters_are_rejected_at_n_392() {
    let honest_excess = 2.0 - 2.0 / G;
    let v = Verifier::new(N, honest_excess, 0.0, 4.0).unwrap();
    let gain2 = 2.0 - 2.0 / (2.0 * G);
    let k = v.shots_needed(gain2, 4.0);
    let (mut false_rejects, mut false_accepts) = (0, 0);
    let runs = seeds("verification", 3);
    for &s in &runs {
        false_rejects += u32::from(!run(Honest { gain: G }, k, s, &v));
        false_accepts += u32::from(run(Honest { gain: 2.0 * G }, k, s ^ 1, &v));
    }
    println!("K = {k}: false rejects {false_rejects}/3, false accepts {false_accepts}/3");
    assert_eq!((false_rejects, false_accepts), (0, 0));
    // Larger tap: the returned mode keeps only 1 − t of the amplified light: its noise falls to 2(G−1)(1−t)
    // (0.28 instead of 0.46) and its amplitude to √(G(1−t)) of the original; both show.
    // With x̂ along w (|w·x̂| = ‖w‖, the case the cheater gains most from) at F = 1 the amplitude loss dominates.
    let (w, _) = vectors();
    let engine = ModeEngine::new(1.0, G, Packing::Complex).unwrap();
    let tap = engine.with_client(LargerTap { gain: G, tap: 1.0 - 1.0 / G + 0.3 });
    let tally = tap.repeat(w.view(), w.view(), 20_000, 9).unwrap().excess();
    println!("tap cheater: excess {:.3} ± {:.3}", tally.estimate(), tally.std_error());
    assert!(!v.verify(&tally).accepted);
    // Intercept-resend of 1 % of the modes adds ≈ 2 SNU × 3.9 modes of excess.
    assert!(!run(InterceptResend { gain: G, fraction: 0.01 }, 20_000, 10, &v));
}

#[test]
fn too_few_shots_cannot_see_a_gain_cheater() {
    // K = 10³: estimator std 0.89 > g′ − g = 0.77, so the cheater usually passes (the reason for the sizing rule).
    let v = Verifier::new(N, 2.0 - 2.0 / G, 0.0, 4.0).unwrap();
    let accepted =
        seeds("few-shots", 4).iter().filter(|&&s| run(Honest { gain: 2.0 * G }, 1_000, s, &v)).count();
    assert!(accepted >= 3, "accepted {accepted}/4");
    assert!(Verifier::new(0, 0.4, 0.0, 4.0).is_err());
    assert!(Verifier::new(N, 0.4, 0.0, 0.0).is_err());
}
