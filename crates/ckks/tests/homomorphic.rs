//! Homomorphic laws, precision and typed errors of the CKKS engine.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::sync::Arc;

use proptest::prelude::*;
use quantumacy_ckks::{
    Ciphertext, Complex, Encoder, Error, Evaluator, GaloisKeys, Parameters, Preset, PublicKey,
    RelinearizationKey, SecretKey,
};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;

struct Ctx {
    params: Arc<Parameters>,
    sk: SecretKey,
    pk: PublicKey,
    rlk: RelinearizationKey,
    gk: GaloisKeys,
    enc: Encoder,
    eval: Evaluator,
}

fn ctx(preset: Preset, seed: u64) -> Ctx {
    let params = Parameters::preset(preset).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let sk = SecretKey::generate(&params, &mut rng);
    let pk = sk.public_key(&mut rng);
    let rlk = sk.relinearization_key(&mut rng);
    let gk = sk.galois_keys(&[1, 2, 3, 5, -1, 4, 8, 16, 32, 64], true, &mut rng);
    Ctx { enc: Encoder::new(&params), eval: Evaluator::new(&params), params, sk, pk, rlk, gk }
}

fn uniform(rng: &mut impl Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

fn encrypt(c: &Ctx, x: &[f64], rng: &mut ChaCha20Rng) -> Ciphertext {
    let pt = c.enc.encode_real(&c.params, x, c.params.scale(), c.params.max_level()).unwrap();
    c.pk.encrypt(&c.params, &pt, rng).unwrap()
}

fn decrypt(c: &Ctx, ct: &Ciphertext) -> Vec<f64> {
    c.enc.decode_real(&c.params, &c.sk.decrypt(ct).unwrap()).unwrap()
}

fn max_err(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// −log2 of the maximum absolute error (the figure SEAL's 27.0 / 22.9 bits refers to).
fn bits(err: f64) -> f64 {
    -err.log2()
}

#[test]
fn precision_at_n8192_fresh_and_after_one_multiplication() {
    let c = ctx(Preset::N8192Depth3, 1);
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let x = uniform(&mut rng, c.params.slots());
    let y = uniform(&mut rng, c.params.slots());
    let (cx, cy) = (encrypt(&c, &x, &mut rng), encrypt(&c, &y, &mut rng));
    let fresh = bits(max_err(&decrypt(&c, &cx), &x));
    let pt = c.enc.encode_real(&c.params, &x, c.params.scale(), 3).unwrap();
    let sym = bits(max_err(&decrypt(&c, &c.sk.encrypt(&pt, &mut rng).unwrap()), &x));
    let mut prod = c.eval.multiply(&cx, &cy, &c.rlk).unwrap();
    c.eval.rescale(&mut prod).unwrap();
    let want: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a * b).collect();
    let after_mul = bits(max_err(&decrypt(&c, &prod), &want));
    let merged = c.eval.multiply_rescale(&cx, &cy, &c.rlk).unwrap();
    assert_eq!((merged.level(), merged.scale()), (prod.level(), prod.scale()));
    let after_merged = bits(max_err(&decrypt(&c, &merged), &want));
    eprintln!("precision bits after multiply_rescale: {after_merged:.2}");
    assert!(after_merged >= 23.0, "merged {after_merged}");
    eprintln!("precision bits: fresh(pk) {fresh:.2}, fresh(sk) {sym:.2}, after mul {after_mul:.2}");
    assert!(fresh >= 27.0, "fresh {fresh}");
    assert!(sym >= 27.0, "symmetric {sym}");
    assert!(after_mul >= 23.0, "after mul {after_mul}");
}

#[test]
fn rotations_conjugation_and_rotate_and_sum() {
    let c = ctx(Preset::InsecureTestN1024, 3);
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let slots = c.params.slots();
    let z: Vec<Complex> =
        (0..slots).map(|_| Complex::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0))).collect();
    let pt = c.enc.encode(&c.params, &z, c.params.scale(), 2).unwrap();
    let ct = c.sk.encrypt(&pt, &mut rng).unwrap();
    for k in [1i64, 3, 5, -1] {
        let r = c.eval.rotate(&ct, k, &c.gk).unwrap();
        let got = c.enc.decode(&c.params, &c.sk.decrypt(&r).unwrap()).unwrap();
        for j in 0..slots {
            let want = z[(j as i64 + k).rem_euclid(slots as i64) as usize];
            assert!((got[j].re - want.re).abs() < 1e-6 && (got[j].im - want.im).abs() < 1e-6, "k={k} j={j}");
        }
    }
    let conj = c.eval.conjugate(&ct, &c.gk).unwrap();
    let got = c.enc.decode(&c.params, &c.sk.decrypt(&conj).unwrap()).unwrap();
    assert!(z.iter().zip(&got).all(|(a, b)| (a.re - b.re).abs() < 1e-6 && (a.im + b.im).abs() < 1e-6));
    let x = uniform(&mut rng, slots);
    let cx = encrypt(&c, &x, &mut rng);
    let s = c.eval.rotate_and_sum(&cx, 64, &c.gk).unwrap();
    let got = decrypt(&c, &s);
    let want: f64 = x[..64].iter().sum();
    assert!((got[0] - want).abs() < 1e-5, "{} vs {want}", got[0]);
}

#[test]
fn lazy_weighted_sum_then_one_rescale() {
    let c = ctx(Preset::InsecureTestN1024, 5);
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let xs: Vec<Vec<f64>> = (0..8).map(|_| uniform(&mut rng, c.params.slots())).collect();
    let cts: Vec<Ciphertext> = xs.iter().map(|x| encrypt(&c, x, &mut rng)).collect();
    let w = uniform(&mut rng, 8);
    let q_top = c.params.chain()[c.params.max_level()].value() as f64;
    // Weight scale chosen so that the rescaled result lands exactly on Δ.
    let mut acc = c.eval.weighted_sum(&cts, &w, q_top).unwrap();
    c.eval.rescale(&mut acc).unwrap();
    assert!((acc.scale() / c.params.scale() - 1.0).abs() < 1e-12);
    let got = decrypt(&c, &acc);
    let want: Vec<f64> = (0..c.params.slots()).map(|s| (0..8).map(|j| w[j] * xs[j][s]).sum()).collect();
    assert!(max_err(&got, &want) < 1e-6);
    let plus = c.eval.add_const(&acc, 0.5).unwrap();
    let scaled = c.eval.mul_const(&plus, -3.0, 1.0).unwrap();
    let got = decrypt(&c, &scaled);
    assert!(max_err(&got, &want.iter().map(|v| -3.0 * (v + 0.5)).collect::<Vec<_>>()) < 1e-5);
}

#[test]
fn typed_errors_for_level_scale_parameters_and_keys() {
    let c = ctx(Preset::InsecureTestN1024, 7);
    let other = ctx(Preset::InsecureTestN4096, 8);
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let x = uniform(&mut rng, 4);
    let a = encrypt(&c, &x, &mut rng);
    let mut b = a.clone();
    c.eval.mod_drop_to(&mut b, 1).unwrap();
    assert!(matches!(c.eval.add(&a, &b), Err(Error::LevelMismatch { left: 3, right: 1 })));
    let mut sq = c.eval.multiply(&a, &a, &c.rlk).unwrap();
    assert!(matches!(c.eval.add(&a, &sq), Err(Error::ScaleMismatch { .. })));
    assert!(matches!(c.eval.mod_drop_to(&mut sq, 5), Err(Error::InvalidLevel { requested: 5, current: 3 })));
    let foreign = encrypt(&other, &x, &mut rng);
    assert!(matches!(c.eval.add(&a, &foreign), Err(Error::ParametersMismatch)));
    assert!(matches!(c.sk.decrypt(&foreign), Err(Error::ParametersMismatch)));
    assert!(matches!(c.eval.multiply(&a, &a, &other.rlk), Err(Error::ParametersMismatch)));
    let g7 = c.params.galois_element(7);
    assert!(
        matches!(c.eval.rotate(&a, 7, &c.gk), Err(Error::MissingGaloisKey { galois_element }) if galois_element == g7)
    );
    let mut low = a.clone();
    c.eval.mod_drop_to(&mut low, 0).unwrap();
    assert!(matches!(c.eval.rescale(&mut low), Err(Error::NoLevelLeft)));
    assert!(c.eval.rotate_and_sum(&a, 3, &c.gk).is_err());
    assert!(matches!(c.eval.weighted_sum(&[], &[], 1.0), Err(Error::InvalidParameters { .. })));
}

/// dnum = 2 (two primes per digit, multi-prime ModUp) and two special primes (multi-prime ModDown).
#[test]
fn multi_prime_digits_and_special_primes() {
    let c = ctx(Preset::InsecureTestN4096, 13);
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let n = c.params.slots();
    let (x, y) = (uniform(&mut rng, n), uniform(&mut rng, n));
    let (cx, cy) = (encrypt(&c, &x, &mut rng), encrypt(&c, &y, &mut rng));
    assert!(bits(max_err(&decrypt(&c, &cx), &x)) > 26.0);
    let want: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a * b).collect();
    let mut prod = c.eval.multiply(&cx, &cy, &c.rlk).unwrap();
    c.eval.rescale(&mut prod).unwrap();
    let merged = c.eval.multiply_rescale(&cx, &cy, &c.rlk).unwrap();
    assert!(bits(max_err(&decrypt(&c, &prod), &want)) > 23.0);
    assert!(bits(max_err(&decrypt(&c, &merged), &want)) > 23.0);
    // Again one level down, where the last digit is cut to one prime.
    let sq = c.eval.multiply_rescale(&merged, &merged, &c.rlk).unwrap();
    let want2: Vec<f64> = want.iter().map(|v| v * v).collect();
    assert!(bits(max_err(&decrypt(&c, &sq), &want2)) > 20.0);
    let r = c.eval.rotate(&sq, 3, &c.gk).unwrap();
    let rotated: Vec<f64> = (0..n).map(|k| want2[(k + 3) % n]).collect();
    assert!(bits(max_err(&decrypt(&c, &r), &rotated)) > 20.0);
}

#[test]
fn seeded_symmetric_ciphertext_records_its_seed() {
    let c = ctx(Preset::InsecureTestN1024, 10);
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let pt = c.enc.encode_real(&c.params, &[1.0], c.params.scale(), 3).unwrap();
    let ct = c.sk.encrypt(&pt, &mut rng).unwrap();
    assert!(ct.seed().is_some());
    let sum = c.eval.add(&ct, &ct).unwrap();
    assert!(sum.seed().is_none());
    assert!((decrypt(&c, &sum)[0] - 2.0).abs() < 1e-7);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// dec(a ± b), dec(a·b) (relinearized, rescaled), rot_i(rot_j(a)) = rot_{i+j}(a) within stated bounds:
    /// 2^-25 for additions and rotations, 2^-20 for a product of values in [−1, 1] (N = 1024, Δ = 2^40).
    #[test]
    fn homomorphic_laws_hold_within_bounds(seed: u64, i in 0usize..4, j in 0usize..4) {
        let c = ctx(Preset::InsecureTestN1024, 12);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let n = c.params.slots();
        let (x, y) = (uniform(&mut rng, n), uniform(&mut rng, n));
        let (cx, cy) = (encrypt(&c, &x, &mut rng), encrypt(&c, &y, &mut rng));
        let sum = decrypt(&c, &c.eval.add(&cx, &cy).unwrap());
        prop_assert!(max_err(&sum, &x.iter().zip(&y).map(|(a, b)| a + b).collect::<Vec<_>>()) < 2f64.powi(-25));
        let diff = decrypt(&c, &c.eval.sub(&cx, &cy).unwrap());
        prop_assert!(max_err(&diff, &x.iter().zip(&y).map(|(a, b)| a - b).collect::<Vec<_>>()) < 2f64.powi(-25));
        let mut prod = c.eval.multiply(&cx, &cy, &c.rlk).unwrap();
        c.eval.rescale(&mut prod).unwrap();
        let p = decrypt(&c, &prod);
        prop_assert!(max_err(&p, &x.iter().zip(&y).map(|(a, b)| a * b).collect::<Vec<_>>()) < 2f64.powi(-20));
        let steps = [1i64, 2, 4, 8];
        let (si, sj) = (steps[i], steps[j]);
        let twice = c.eval.rotate(&c.eval.rotate(&cx, si, &c.gk).unwrap(), sj, &c.gk).unwrap();
        let got = decrypt(&c, &twice);
        let want: Vec<f64> = (0..n).map(|k| x[(k + (si + sj) as usize) % n]).collect();
        prop_assert!(max_err(&got, &want) < 2f64.powi(-25));
        let pt = c.enc.encode_real(&c.params, &y, c.params.scale(), 3).unwrap();
        let mut cp = c.eval.mul_plain(&cx, &pt).unwrap();
        c.eval.rescale(&mut cp).unwrap();
        prop_assert!(max_err(&decrypt(&c, &cp), &x.iter().zip(&y).map(|(a, b)| a * b).collect::<Vec<_>>()) < 2f64.powi(-20));
    }
}

/// The deep presets (N = 16384: dnum 4, two special primes; N = 32768: dnum 6, three special primes) through a
/// chain of multiplications and a rotation. Heavy in debug builds: run with
/// `cargo test --release -p quantumacy-ckks --test homomorphic deep_presets -- --ignored --nocapture`.
#[test]
#[ignore = "N = 16384 and 32768 key generation takes seconds; run in release"]
fn deep_presets_multiply_down_the_chain() {
    for preset in [Preset::N16384Depth7, Preset::N32768Depth16] {
        let params = Parameters::preset(preset).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(15);
        let sk = SecretKey::generate(&params, &mut rng);
        let rlk = sk.relinearization_key(&mut rng);
        let gk = sk.galois_keys(&[1], false, &mut rng);
        let (enc, eval) = (Encoder::new(&params), Evaluator::new(&params));
        let x = uniform(&mut rng, params.slots());
        let top = params.max_level();
        let mut ct =
            sk.encrypt(&enc.encode_real(&params, &x, params.scale(), top).unwrap(), &mut rng).unwrap();
        let mut want = x.clone();
        for _ in 0..4 {
            ct = eval.multiply_rescale(&ct, &ct, &rlk).unwrap();
            want.iter_mut().for_each(|v| *v *= *v);
        }
        let r = eval.rotate(&ct, 1, &gk).unwrap();
        let n = want.len();
        let rotated: Vec<f64> = (0..n).map(|k| want[(k + 1) % n]).collect();
        let got = enc.decode_real(&params, &sk.decrypt(&r).unwrap()).unwrap();
        let b = bits(max_err(&got, &rotated));
        eprintln!("{preset:?}: level {} after 4 squarings + rotation, precision {b:.1} bits", r.level());
        assert!(b > 18.0, "{preset:?}: {b}");
    }
}

/// Hoisted rotations (one ModUp) equal separate rotations: the automorphism commutes with the centered digit
/// decomposition, so the key switches are the same computation. Single-prime digits (N = 1024, dnum = 4) and
/// two-prime digits with two special primes (N = 4096, dnum = 2).
#[test]
fn hoisted_rotations_equal_separate_rotations() {
    for (preset, seed) in [(Preset::InsecureTestN1024, 21), (Preset::InsecureTestN4096, 22)] {
        let c = ctx(preset, seed);
        let mut rng = ChaCha20Rng::seed_from_u64(seed + 100);
        let slots = c.params.slots();
        let x = uniform(&mut rng, slots);
        let ct = encrypt(&c, &x, &mut rng);
        let steps = [1i64, 0, 3, -1, 5, 1];
        let hoisted = c.eval.rotate_hoisted(&ct, &steps, &c.gk).unwrap();
        assert_eq!(hoisted.len(), steps.len());
        for (&s, h) in steps.iter().zip(&hoisted) {
            let separate = c.eval.rotate(&ct, s, &c.gk).unwrap();
            assert_eq!(decrypt(&c, h), decrypt(&c, &separate), "{preset:?} step {s}");
            let want: Vec<f64> =
                (0..slots).map(|j| x[(j as i64 + s).rem_euclid(slots as i64) as usize]).collect();
            assert!(max_err(&decrypt(&c, h), &want) < 1e-6, "{preset:?} step {s}");
        }
        // Double hoisting: one ModDown for the whole sum, so one rounding error instead of six.
        let sum = c.eval.sum_rotations(&ct, &steps, &c.gk).unwrap();
        let want: Vec<f64> = (0..slots)
            .map(|j| steps.iter().map(|&s| x[(j as i64 + s).rem_euclid(slots as i64) as usize]).sum())
            .collect();
        let mut sequential = hoisted[0].clone();
        for h in &hoisted[1..] {
            c.eval.add_assign(&mut sequential, h).unwrap();
        }
        let (e_sum, e_seq) = (max_err(&decrypt(&c, &sum), &want), max_err(&decrypt(&c, &sequential), &want));
        assert!(e_sum < 1e-6, "{preset:?}: {e_sum}");
        assert!(e_sum <= 2.0 * e_seq, "{preset:?}: double hoisting {e_sum} vs separate {e_seq}");
    }
}

#[test]
fn rotate_and_sum_at_every_radix() {
    let c = ctx(Preset::InsecureTestN1024, 23);
    let mut rng = ChaCha20Rng::seed_from_u64(24);
    let slots = c.params.slots();
    let x = uniform(&mut rng, slots);
    let ct = encrypt(&c, &x, &mut rng);
    let plain = c.eval.rotate_and_sum(&ct, 128, &c.gk).unwrap();
    assert_eq!(decrypt(&c, &plain), decrypt(&c, &c.eval.rotate_and_sum_radix(&ct, 128, 2, &c.gk).unwrap()));
    for radix in [2usize, 4, 8, 16, 256] {
        let steps = quantumacy_ckks::rotate_and_sum_steps(128, radix).unwrap();
        let gk = c.sk.galois_keys(&steps, false, &mut rng);
        let s = c.eval.rotate_and_sum_radix(&ct, 128, radix, &gk).unwrap();
        let got = decrypt(&c, &s);
        for j in [0, 1, 77, slots - 1] {
            let want: f64 = (0..128).map(|i| x[(j + i) % slots]).sum();
            assert!((got[j] - want).abs() < 1e-5, "radix {radix} slot {j}: {} vs {want}", got[j]);
        }
    }
    assert_eq!(quantumacy_ckks::rotate_and_sum_steps(64, 4).unwrap(), vec![1, 2, 3, 4, 8, 12, 16, 32, 48]);
    assert_eq!(quantumacy_ckks::rotate_and_sum_steps(32, 4).unwrap(), vec![1, 2, 3, 4, 8, 12, 16]);
    assert_eq!(quantumacy_ckks::rotate_and_sum_steps(1, 4).unwrap(), Vec::<i64>::new());
    for (width, radix) in [(3, 2), (64, 3), (64, 1), (64, 0), (2 * slots, 2)] {
        assert!(
            matches!(
                c.eval.rotate_and_sum_radix(&ct, width, radix, &c.gk),
                Err(Error::InvalidParameters { .. })
            ),
            "width {width} radix {radix}"
        );
    }
    assert!(matches!(quantumacy_ckks::rotate_and_sum_steps(64, 6), Err(Error::InvalidParameters { .. })));
    // Radix 4 needs the steps 3, 12, 48 … that the power-of-two key set lacks.
    assert!(matches!(c.eval.rotate_and_sum_radix(&ct, 128, 4, &c.gk), Err(Error::MissingGaloisKey { .. })));
    assert!(matches!(c.eval.sum_rotations(&ct, &[], &c.gk), Err(Error::InvalidParameters { .. })));
    assert!(matches!(c.eval.rotate_hoisted(&ct, &[1, 7], &c.gk), Err(Error::MissingGaloisKey { .. })));
    assert_eq!(decrypt(&c, &c.eval.sum_rotations(&ct, &[0], &c.gk).unwrap()), decrypt(&c, &ct));
}
