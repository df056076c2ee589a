//! The evaluator: homomorphic operations with level and scale tracking.
//!
//! Every operation checks that its operands share the parameter set, level and (for additions) scale, and
//! returns a typed [`Error`] otherwise. Multiplications do not rescale implicitly; call
//! [`Evaluator::rescale`] (CHKKS 2018, §3.3). Rotations use the automorphisms `X ↦ X^{5^k}` and conjugation
//! `X ↦ X^{−1}` (CKKS 2017, §4.3) followed by hybrid key switching.

use std::sync::Arc;

use quantumacy_math::{Ntt, Poly};

use crate::ciphertext::Ciphertext;
use crate::encoding::{Plaintext, reduce_f64};
use crate::keys::{GaloisKeys, KeySwitchKey, RelinearizationKey};
use crate::keyswitch::{Hoisted, key_switch, key_switch_ext, mod_down, mod_down_rescale, rescale_poly};
use crate::{Error, Parameters};

/// A Galois key and the slot permutations of its automorphism (indexed by the primes of the full basis).
type RotationKey<'k> = (&'k KeySwitchKey, &'k [Vec<u32>]);

/// Relative tolerance for two scales to count as equal (a few ulps of accumulated `f64` rounding).
pub const SCALE_TOLERANCE: f64 = 1e-10;

/// Homomorphic operations for one parameter set.
#[derive(Clone, Debug)]
pub struct Evaluator {
    params: Arc<Parameters>,
}

impl Evaluator {
    /// An evaluator for `params`.
    pub fn new(params: &Arc<Parameters>) -> Self {
        Self { params: Arc::clone(params) }
    }

    /// The parameters.
    pub fn params(&self) -> &Arc<Parameters> {
        &self.params
    }

    fn check_fp(&self, fp: u64) -> Result<(), Error> {
        if fp == self.params.fingerprint() { Ok(()) } else { Err(Error::ParametersMismatch) }
    }

    fn check_level(left: usize, right: usize) -> Result<(), Error> {
        if left == right { Ok(()) } else { Err(Error::LevelMismatch { left, right }) }
    }

    fn check_scale(left: f64, right: f64) -> Result<(), Error> {
        if (left - right).abs() <= SCALE_TOLERANCE * left.abs().max(right.abs()) {
            Ok(())
        } else {
            Err(Error::ScaleMismatch { left: left.log2(), right: right.log2() })
        }
    }

    fn check_pair(&self, a: &Ciphertext, b: &Ciphertext) -> Result<(), Error> {
        self.check_fp(a.fingerprint)?;
        self.check_fp(b.fingerprint)?;
        Self::check_level(a.level, b.level)
    }

    /// `a += b`.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`], [`Error::LevelMismatch`], [`Error::ScaleMismatch`].
    pub fn add_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<(), Error> {
        self.check_pair(a, b)?;
        Self::check_scale(a.scale, b.scale)?;
        let basis = self.params.basis(a.level);
        a.c0.add_assign(&b.c0, basis);
        a.c1.add_assign(&b.c1, basis);
        a.seed = None;
        Ok(())
    }

    /// `a + b`.
    ///
    /// # Errors
    /// As [`Evaluator::add_assign`].
    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, Error> {
        let mut out = a.clone();
        self.add_assign(&mut out, b)?;
        Ok(out)
    }

    /// `a − b`.
    ///
    /// # Errors
    /// As [`Evaluator::add_assign`].
    pub fn sub(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, Error> {
        self.check_pair(a, b)?;
        Self::check_scale(a.scale, b.scale)?;
        let basis = self.params.basis(a.level);
        let mut out = a.clone();
        out.c0.sub_assign(&b.c0, basis);
        out.c1.sub_assign(&b.c1, basis);
        out.seed = None;
        Ok(out)
    }

    /// `−a`.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`].
    pub fn negate(&self, a: &Ciphertext) -> Result<Ciphertext, Error> {
        self.check_fp(a.fingerprint)?;
        let basis = self.params.basis(a.level);
        let mut out = a.clone();
        out.c0.neg_assign(basis);
        out.c1.neg_assign(basis);
        out.seed = None;
        Ok(out)
    }

    /// `a + pt` (same level and scale).
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`], [`Error::LevelMismatch`], [`Error::ScaleMismatch`].
    pub fn add_plain(&self, a: &Ciphertext, pt: &Plaintext) -> Result<Ciphertext, Error> {
        self.check_fp(a.fingerprint)?;
        self.check_fp(pt.fingerprint)?;
        Self::check_level(a.level, pt.level)?;
        Self::check_scale(a.scale, pt.scale)?;
        let mut out = a.clone();
        out.c0.add_assign(&pt.poly, self.params.basis(a.level));
        out.seed = None;
        Ok(out)
    }

    /// `a · pt` (same level); the scale becomes the product of scales. No rescale.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`], [`Error::LevelMismatch`].
    pub fn mul_plain(&self, a: &Ciphertext, pt: &Plaintext) -> Result<Ciphertext, Error> {
        self.check_fp(a.fingerprint)?;
        self.check_fp(pt.fingerprint)?;
        Self::check_level(a.level, pt.level)?;
        let basis = self.params.basis(a.level);
        let mut out = a.clone();
        out.c0.mul_assign(&pt.poly, basis);
        out.c1.mul_assign(&pt.poly, basis);
        out.scale = a.scale * pt.scale;
        out.seed = None;
        Ok(out)
    }

    /// Residues of `round(value · scale)` modulo each prime of level `level`.
    fn constant_residues(&self, value: f64, scale: f64, level: usize) -> Result<Vec<u64>, Error> {
        let c = (value * scale).round();
        let basis = self.params.basis(level);
        if !c.is_finite() || (c.abs() > 1.0 && c.abs().log2() >= basis.log2_product() - 1.0) {
            return Err(Error::ValueOutOfRange);
        }
        Ok(basis.moduli().iter().map(|m| reduce_f64(c, m)).collect())
    }

    /// `a · round(value · const_scale)`: multiplies every RNS limb by an integer constant (no plaintext
    /// encoding); the scale becomes `a.scale · const_scale`. With `const_scale = 1`, `value` must be an integer.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`], [`Error::ValueOutOfRange`].
    pub fn mul_const(&self, a: &Ciphertext, value: f64, const_scale: f64) -> Result<Ciphertext, Error> {
        self.check_fp(a.fingerprint)?;
        let k = self.constant_residues(value, const_scale, a.level)?;
        let basis = self.params.basis(a.level);
        let mut out = a.clone();
        out.c0.mul_scalar_assign(&k, basis);
        out.c1.mul_scalar_assign(&k, basis);
        out.scale = a.scale * const_scale;
        out.seed = None;
        Ok(out)
    }

    /// `a + value` in every slot (encoded at the ciphertext's scale).
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`], [`Error::ValueOutOfRange`].
    pub fn add_const(&self, a: &Ciphertext, value: f64) -> Result<Ciphertext, Error> {
        self.check_fp(a.fingerprint)?;
        let k = self.constant_residues(value, a.scale, a.level)?;
        let basis = self.params.basis(a.level);
        let mut out = a.clone();
        // A constant polynomial evaluates to itself at every root: add it to every NTT slot.
        for (i, m) in basis.moduli().iter().enumerate() {
            for x in out.c0.limb_mut(i) {
                *x = m.add(*x, k[i]);
            }
        }
        out.seed = None;
        Ok(out)
    }

    /// `Σ_j round(w_j · weight_scale) · cts_j`, accumulated lazily without rescaling (one rescale afterwards
    /// serves the whole sum). All inputs share level and scale; the result has scale `scale · weight_scale`.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] for empty or mismatched inputs, and the checks of [`Evaluator::add_assign`].
    pub fn weighted_sum(
        &self,
        cts: &[Ciphertext],
        weights: &[f64],
        weight_scale: f64,
    ) -> Result<Ciphertext, Error> {
        let first = cts.first().ok_or(Error::InvalidParameters { reason: "empty weighted sum" })?;
        if cts.len() != weights.len() {
            return Err(Error::InvalidParameters { reason: "one weight per ciphertext" });
        }
        let basis = self.params.basis(first.level);
        let n = self.params.degree();
        let mut residues = Vec::with_capacity(cts.len());
        for (ct, &w) in cts.iter().zip(weights) {
            self.check_pair(first, ct)?;
            Self::check_scale(first.scale, ct.scale)?;
            residues.push(self.constant_residues(w, weight_scale, first.level)?);
        }
        let mut acc = [Poly::<Ntt>::zero(basis), Poly::<Ntt>::zero(basis)];
        // Lazy reduction: `g` products below p² plus one residue stay below p·2^64 (the Barrett input bound,
        // itself below 2^128) when (g + 1)·p ≤ 2^64; reduce every `g` ciphertexts (g ≈ 2^15 for 49-bit primes,
        // so in practice once). One limb of both halves is accumulated at a time: the two rows of N u128
        // (256 KiB at N = 8192) stay in L2 while every ciphertext streams through as two long sequential
        // reads (at N = 8192, d = 784, 18 % faster than rows of half a limb of one half at a time).
        let mut lanes = [vec![0u128; n], vec![0u128; n]];
        for (i, m) in basis.moduli().iter().enumerate() {
            let group = ((u64::MAX / m.value()) as usize).saturating_sub(1).max(1);
            let [l0, l1] = &mut lanes;
            l0.fill(0);
            l1.fill(0);
            for (group_ct, group_k) in cts.chunks(group).zip(residues.chunks(group)) {
                for (ct, k) in group_ct.iter().zip(group_k) {
                    let w = u128::from(k[i]);
                    for (((a0, a1), &y0), &y1) in
                        l0.iter_mut().zip(l1.iter_mut()).zip(ct.c0.limb(i)).zip(ct.c1.limb(i))
                    {
                        *a0 += u128::from(y0) * w;
                        *a1 += u128::from(y1) * w;
                    }
                }
                for l in l0.iter_mut().chain(l1.iter_mut()) {
                    *l = u128::from(m.reduce_u128(*l));
                }
            }
            for (dst, l) in acc.iter_mut().zip(&lanes) {
                for (x, &v) in dst.limb_mut(i).iter_mut().zip(l) {
                    *x = v as u64;
                }
            }
        }
        let [c0, c1] = acc;
        Ok(Ciphertext {
            c0,
            c1,
            level: first.level,
            scale: first.scale * weight_scale,
            fingerprint: first.fingerprint,
            seed: None,
        })
    }

    /// `a · b`, relinearized with hybrid key switching (CHKKS 2018 `Mult` + `Relin`); the scale becomes the
    /// product of scales. No rescale.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] (operands or key), [`Error::LevelMismatch`].
    pub fn multiply(
        &self,
        a: &Ciphertext,
        b: &Ciphertext,
        rlk: &RelinearizationKey,
    ) -> Result<Ciphertext, Error> {
        self.check_pair(a, b)?;
        self.check_fp(rlk.0.fingerprint)?;
        let basis = self.params.basis(a.level);
        let mut d0 = a.c0.clone();
        d0.mul_assign(&b.c0, basis);
        let mut d1 = a.c0.clone();
        d1.mul_assign(&b.c1, basis);
        d1.add_mul_assign(&a.c1, &b.c0, basis);
        let mut d2 = a.c1.clone();
        d2.mul_assign(&b.c1, basis);
        let [u0, u1] = key_switch(&self.params, a.level, &d2, &rlk.0);
        d0.add_assign(&u0, basis);
        d1.add_assign(&u1, basis);
        Ok(Ciphertext {
            c0: d0,
            c1: d1,
            level: a.level,
            scale: a.scale * b.scale,
            fingerprint: a.fingerprint,
            seed: None,
        })
    }

    /// `a · b`, relinearized and rescaled in one pass: the key-switching ModDown by `P` and the rescale by `q_ℓ`
    /// are merged into a single division by `P·q_ℓ` (Kim–Papadimitriou–Polyakov, CT-RSA 2022; Jung et al., TCHES 2021), saving `ℓ + 1` NTTs per component
    /// over [`Evaluator::multiply`] followed by [`Evaluator::rescale`]. Level `ℓ → ℓ−1`, scale `Δ_a·Δ_b/q_ℓ`.
    ///
    /// # Errors
    /// As [`Evaluator::multiply`], plus [`Error::NoLevelLeft`] at level 0.
    pub fn multiply_rescale(
        &self,
        a: &Ciphertext,
        b: &Ciphertext,
        rlk: &RelinearizationKey,
    ) -> Result<Ciphertext, Error> {
        self.check_pair(a, b)?;
        self.check_fp(rlk.0.fingerprint)?;
        let level = a.level;
        if level == 0 {
            return Err(Error::NoLevelLeft);
        }
        let basis = self.params.basis(level);
        let n = self.params.degree();
        let mut d2 = a.c1.clone();
        d2.mul_assign(&b.c1, basis);
        let mut acc = key_switch_ext(&self.params, level, &d2, &rlk.0);
        // acc += P·(a_0 b_0, a_0 b_1 + a_1 b_0) on the data limbs (P ≡ 0 on the special limbs).
        let mut d = [Poly::<Ntt>::zero(basis), Poly::<Ntt>::zero(basis)];
        d[0].add_mul_assign(&a.c0, &b.c0, basis);
        d[1].add_mul_assign(&a.c0, &b.c1, basis);
        d[1].add_mul_assign(&a.c1, &b.c0, basis);
        for (x, di) in acc.iter_mut().zip(&d) {
            for (i, m) in basis.moduli().iter().enumerate() {
                let (w, ws) = (self.params.p_mod_q[i], m.shoup(self.params.p_mod_q[i]));
                for (v, &y) in x[i * n..(i + 1) * n].iter_mut().zip(di.limb(i)) {
                    *v = m.add(*v, m.mul_shoup(y, w, ws));
                }
            }
        }
        let [c0, c1] = acc.map(|x| mod_down_rescale(&self.params, level, x));
        let q = self.params.chain()[level].value() as f64;
        Ok(Ciphertext {
            c0,
            c1,
            level: level - 1,
            scale: a.scale * b.scale / q,
            fingerprint: a.fingerprint,
            seed: None,
        })
    }

    /// Divides by the last prime `q_ℓ` with rounding: level `ℓ → ℓ−1`, scale `Δ → Δ/q_ℓ`.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`], [`Error::NoLevelLeft`] at level 0.
    pub fn rescale(&self, a: &mut Ciphertext) -> Result<(), Error> {
        self.check_fp(a.fingerprint)?;
        if a.level == 0 {
            return Err(Error::NoLevelLeft);
        }
        let q = self.params.chain()[a.level].value() as f64;
        rescale_poly(&self.params, a.level, &mut a.c0);
        rescale_poly(&self.params, a.level, &mut a.c1);
        a.level -= 1;
        a.scale /= q;
        a.seed = None;
        Ok(())
    }

    /// Drops primes down to `level` without dividing (scale unchanged).
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`], [`Error::InvalidLevel`] when `level` exceeds the current level.
    pub fn mod_drop_to(&self, a: &mut Ciphertext, level: usize) -> Result<(), Error> {
        self.check_fp(a.fingerprint)?;
        if level > a.level {
            return Err(Error::InvalidLevel { requested: level, current: a.level });
        }
        a.c0.truncate(level + 1);
        a.c1.truncate(level + 1);
        a.level = level;
        a.seed = None;
        Ok(())
    }

    fn apply_galois(&self, a: &Ciphertext, g: usize, gk: &GaloisKeys) -> Result<Ciphertext, Error> {
        self.check_fp(a.fingerprint)?;
        let (key, perms): (&KeySwitchKey, &[Vec<u32>]) = gk.get(g)?;
        self.check_fp(key.fingerprint)?;
        let basis = self.params.basis(a.level);
        let mut c0 = Poly::<Ntt>::zero(basis);
        let mut c1 = Poly::<Ntt>::zero(basis);
        a.c0.automorphism_into(perms, &mut c0);
        a.c1.automorphism_into(perms, &mut c1);
        let [u0, u1] = key_switch(&self.params, a.level, &c1, key);
        c0.add_assign(&u0, basis);
        Ok(Ciphertext { c0, c1: u1, level: a.level, scale: a.scale, fingerprint: a.fingerprint, seed: None })
    }

    /// Rotates the slots left by `steps` (negative: right).
    ///
    /// # Errors
    /// [`Error::MissingGaloisKey`], [`Error::ParametersMismatch`].
    pub fn rotate(&self, a: &Ciphertext, steps: i64, gk: &GaloisKeys) -> Result<Ciphertext, Error> {
        let g = self.params.galois_element(steps);
        if g == 1 {
            self.check_fp(a.fingerprint)?;
            return Ok(a.clone());
        }
        self.apply_galois(a, g, gk)
    }

    /// Complex conjugation of every slot.
    ///
    /// # Errors
    /// [`Error::MissingGaloisKey`], [`Error::ParametersMismatch`].
    pub fn conjugate(&self, a: &Ciphertext, gk: &GaloisKeys) -> Result<Ciphertext, Error> {
        self.apply_galois(a, self.params.conjugation_element(), gk)
    }

    /// Rotations of one ciphertext by several steps that share one ModUp ("hoisting": Halevi–Shoup, *Faster
    /// homomorphic linear transformations in HElib*, CRYPTO 2018, §5). The first rotation costs about as much as
    /// [`Evaluator::rotate`]; each further one only a slot permutation, the key inner product and ModDown.
    /// `out[i]` is `rotate(a, steps[i])` (step 0 gives `a`), with the same noise bound.
    ///
    /// # Errors
    /// [`Error::MissingGaloisKey`] (checked for every step before any work), [`Error::ParametersMismatch`].
    pub fn rotate_hoisted(
        &self,
        a: &Ciphertext,
        steps: &[i64],
        gk: &GaloisKeys,
    ) -> Result<Vec<Ciphertext>, Error> {
        let keys = self.rotation_keys(a, steps, gk)?;
        let basis = self.params.basis(a.level);
        let hoisted = keys.iter().any(Option::is_some).then(|| Hoisted::new(&self.params, a.level, &a.c1));
        Ok(keys
            .into_iter()
            .map(|key| {
                let (Some((key, perms)), Some(h)) = (key, &hoisted) else { return a.clone() };
                let mut acc = h.zero_accumulator(&self.params);
                h.accumulate(&self.params, key, perms, &mut acc);
                let [u0, u1] = acc.map(|x| mod_down(&self.params, a.level, x));
                let mut c0 = Poly::<Ntt>::zero(basis);
                a.c0.automorphism_into(perms, &mut c0);
                c0.add_assign(&u0, basis);
                Ciphertext {
                    c0,
                    c1: u1,
                    level: a.level,
                    scale: a.scale,
                    fingerprint: a.fingerprint,
                    seed: None,
                }
            })
            .collect())
    }

    /// `Σ_{s ∈ steps} rotate(a, s)` with one ModUp and one ModDown: the rotations share the ModUp digits of
    /// `a` ([`Evaluator::rotate_hoisted`]) and their key-switching results are summed over `Q_ℓ·P` before a
    /// single ModDown (the "double hoisting" of Bossuat, Mouchet, Troncoso-Pastoriza and Hubaux, *Efficient
    /// bootstrapping for approximate homomorphic encryption with non-sparse keys*, EUROCRYPT 2021). `k`
    /// rotations cost one ModUp, `k` inner products and one ModDown instead of `k` full key switches, and add
    /// one ModDown rounding error instead of `k`. Step 0 adds `a` itself.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] for an empty `steps`; [`Error::MissingGaloisKey`] (checked for every step
    /// before any work); [`Error::ParametersMismatch`].
    pub fn sum_rotations(&self, a: &Ciphertext, steps: &[i64], gk: &GaloisKeys) -> Result<Ciphertext, Error> {
        if steps.is_empty() {
            return Err(Error::InvalidParameters { reason: "a sum of rotations needs at least one step" });
        }
        let keys = self.rotation_keys(a, steps, gk)?;
        let basis = self.params.basis(a.level);
        let mut c0 = Poly::<Ntt>::zero(basis);
        let mut c1 = Poly::<Ntt>::zero(basis);
        let mut rotated = Poly::<Ntt>::zero(basis);
        let mut switched: Option<(Hoisted, [Vec<u64>; 2])> = None;
        for key in keys {
            match key {
                None => {
                    c0.add_assign(&a.c0, basis);
                    c1.add_assign(&a.c1, basis);
                }
                Some((key, perms)) => {
                    a.c0.automorphism_into(perms, &mut rotated);
                    c0.add_assign(&rotated, basis);
                    let (h, acc) = switched.get_or_insert_with(|| {
                        let h = Hoisted::new(&self.params, a.level, &a.c1);
                        let acc = h.zero_accumulator(&self.params);
                        (h, acc)
                    });
                    h.accumulate(&self.params, key, perms, acc);
                }
            }
        }
        if let Some((_, acc)) = switched {
            let [u0, u1] = acc.map(|x| mod_down(&self.params, a.level, x));
            c0.add_assign(&u0, basis);
            c1.add_assign(&u1, basis);
        }
        Ok(Ciphertext { c0, c1, level: a.level, scale: a.scale, fingerprint: a.fingerprint, seed: None })
    }

    /// The key and slot permutations of each step (`None` for the identity), all checked before any work.
    fn rotation_keys<'k>(
        &self,
        a: &Ciphertext,
        steps: &[i64],
        gk: &'k GaloisKeys,
    ) -> Result<Vec<Option<RotationKey<'k>>>, Error> {
        self.check_fp(a.fingerprint)?;
        steps
            .iter()
            .map(|&s| {
                let g = self.params.galois_element(s);
                if g == 1 {
                    return Ok(None);
                }
                let (key, perms) = gk.get(g)?;
                self.check_fp(key.fingerprint)?;
                Ok(Some((key, perms)))
            })
            .collect()
    }

    /// Sums `width` consecutive slots into slot 0 (and cyclically into the others) with `log2(width)`
    /// rotate-and-add steps by `1, 2, 4, …`; `width` must be a power of two. Same as
    /// [`Evaluator::rotate_and_sum_radix`] with radix 2 (keys for the steps `1, 2, 4, …, width/2`).
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] when `width` is not a power of two ≤ N/2; rotation errors.
    pub fn rotate_and_sum(&self, a: &Ciphertext, width: usize, gk: &GaloisKeys) -> Result<Ciphertext, Error> {
        self.rotate_and_sum_radix(a, width, 2, gk)
    }

    /// Sums `width` consecutive slots into slot 0 (and cyclically into the others) in `⌈log_r(width)⌉` stages
    /// of radix `r`: stage `k` adds the rotations by `i·r^k`, `0 < i < r`, as one [`Evaluator::sum_rotations`]
    /// (one ModUp and one ModDown per stage; the last stage is narrower when `width` is not a power of `r`).
    /// Radix 2 is the classic rotate-and-add; a larger radix trades more key inner products and more Galois
    /// keys ([`rotate_and_sum_steps`]) for fewer NTTs. `width` and `r` must be powers of two.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] when `width` is not a power of two ≤ N/2 or `r` not a power of two ≥ 2;
    /// rotation errors ([`Error::MissingGaloisKey`] without the keys of [`rotate_and_sum_steps`]).
    pub fn rotate_and_sum_radix(
        &self,
        a: &Ciphertext,
        width: usize,
        radix: usize,
        gk: &GaloisKeys,
    ) -> Result<Ciphertext, Error> {
        let stages = sum_stages(width, radix, self.params.slots())?;
        // Every key is checked (and the fingerprint, even for width 1) before any work.
        let all: Vec<i64> =
            stages.iter().flat_map(|&(stride, r)| (1..r).map(move |i| (i * stride) as i64)).collect();
        self.rotation_keys(a, &all, gk)?;
        let mut acc = a.clone();
        for (stride, r) in stages {
            let steps: Vec<i64> = (0..r).map(|i| (i * stride) as i64).collect();
            acc = self.sum_rotations(&acc, &steps, gk)?;
        }
        Ok(acc)
    }

    /// `round(value·C)·a` followed by a rescale, with the constant's scale `C = target·q_ℓ / a.scale` chosen so
    /// that the result lands exactly on `target_scale` at level `ℓ − 1` (how sums of differently-rescaled terms
    /// are aligned without a scale mismatch).
    ///
    /// # Errors
    /// [`Error::NoLevelLeft`], [`Error::ValueOutOfRange`] (a constant scale below 1 or too large),
    /// [`Error::ParametersMismatch`].
    pub fn mul_const_rescale_to(
        &self,
        a: &Ciphertext,
        value: f64,
        target_scale: f64,
    ) -> Result<Ciphertext, Error> {
        if a.level == 0 {
            return Err(Error::NoLevelLeft);
        }
        let q = self.params.chain()[a.level].value() as f64;
        let c_scale = target_scale * q / a.scale;
        if !(c_scale.is_finite() && c_scale >= 1.0) {
            return Err(Error::ValueOutOfRange);
        }
        let mut out = self.mul_const(a, value, c_scale)?;
        self.rescale(&mut out)?;
        out.scale = target_scale;
        Ok(out)
    }
}

/// `(stride, r)` of each stage of a radix-`radix` rotate-and-sum over `width` slots.
fn sum_stages(width: usize, radix: usize, slots: usize) -> Result<Vec<(usize, usize)>, Error> {
    if !width.is_power_of_two() || width > slots {
        return Err(Error::InvalidParameters {
            reason: "rotate-and-sum width must be a power of two ≤ N/2"
        });
    }
    if !radix.is_power_of_two() || radix < 2 {
        return Err(Error::InvalidParameters { reason: "rotate-and-sum radix must be a power of two ≥ 2" });
    }
    let mut stages = Vec::new();
    let mut stride = 1;
    while stride < width {
        let r = radix.min(width / stride);
        stages.push((stride, r));
        stride *= r;
    }
    Ok(stages)
}

/// The rotation steps [`Evaluator::rotate_and_sum_radix`] needs keys for: `i·r^k` for `0 < i < r` at each
/// stage (`1, 2, 4, …, width/2` for radix 2).
///
/// # Errors
/// [`Error::InvalidParameters`] when `width` or `radix` is not a power of two, or `radix < 2` (a `width` above
/// the slot count is refused at evaluation).
pub fn rotate_and_sum_steps(width: usize, radix: usize) -> Result<Vec<i64>, Error> {
    Ok(sum_stages(width, radix, usize::MAX)?
        .into_iter()
        .flat_map(|(stride, r)| (1..r).map(move |i| (i * stride) as i64))
        .collect())
}
